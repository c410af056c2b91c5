"""``python -m flexvmss.testing scan PATH...``: check cassettes for secrets.

Exit status 0 with a one-line summary when nothing looks like a secret, 1 with one
``file:line: kind`` line per suspect otherwise, 2 for a usage error (such as a path
that does not exist).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._scan import scan_path

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flexvmss.testing", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    scan = commands.add_parser("scan", help="list anything in the cassettes that still looks like a secret")
    scan.add_argument(
        "paths", nargs="+", help="cassette files or folders (searched for *.yaml, *.yml, *.json)"
    )
    args = parser.parse_args(argv)

    try:
        findings, files = scan_path(*args.paths)
    except FileNotFoundError as exc:
        print(f"flexvmss scan: {exc}", file=sys.stderr)
        return 2
    for finding in findings:
        print(finding)
    if findings:
        print(
            f"flexvmss scan: {len(findings)} suspect value(s) in {files} file(s); scrub them "
            "(see docs/testing.md) and re-record.",
            file=sys.stderr,
        )
        return 1
    print(f"flexvmss scan: {files} cassette file(s) scanned, nothing that looks like a secret.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
