"""``python -m flexvmss.emulator serve ...``"""

from __future__ import annotations

import sys

from ._serve import serve

if __name__ == "__main__":
    sys.exit(serve())
