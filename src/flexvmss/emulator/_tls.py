"""A throwaway certificate authority and server certificate for the emulator's HTTPS.

Made fresh at every start with ``trustme``; only the CA's certificate is written to disk (a
temporary directory), for clients to trust through ``connection_verify``. The private keys
stay in memory.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass

__all__ = ["TlsMaterial", "make_tls"]


@dataclass
class TlsMaterial:
    """The server's SSL context and the path of the CA certificate clients should trust."""

    server_context: ssl.SSLContext
    ca_file: str
    directory: str

    def cleanup(self) -> None:
        """Remove the CA file and its directory."""
        try:
            os.remove(self.ca_file)
            os.rmdir(self.directory)
        except OSError:
            pass


def make_tls(host: str) -> TlsMaterial:
    """A new CA and a certificate for ``host``, ``localhost``, 127.0.0.1 and ::1."""
    import trustme

    ca = trustme.CA(organization_name="flexvmss emulator")
    names = ["localhost", "127.0.0.1", "::1"]
    if host not in names and host not in ("0.0.0.0", "::"):
        names.insert(0, host)
    cert = ca.issue_cert(*names)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    directory = tempfile.mkdtemp(prefix="flexvmss-emulator-")
    ca_file = os.path.join(directory, "ca.pem")
    ca.cert_pem.write_to_path(ca_file)
    return TlsMaterial(ctx, ca_file, directory)
