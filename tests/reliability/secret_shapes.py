"""Secrets of every shape the scrubber knows, made from a seed.

Each :class:`Plant` is the text to put somewhere (a JSON value, a header, a query value) and
its ``cores``: the parts that are the secret, none of which may survive scrubbing. Cores are
long and random, so finding one anywhere can only mean it leaked.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["NAMED_HEADERS", "NAMED_KEYS", "NAMED_PARAMS", "SHAPES", "Plant", "password", "plant"]


@dataclass(frozen=True)
class Plant:
    kind: str
    text: str
    cores: tuple[str, ...]
    one_line: bool = True


_PASSWORD_CHARS = string.ascii_letters + string.digits + "!@#^*_+~"


def password(rng: random.Random, length: int = 16) -> str:
    """A password-like secret: a letter, then letters, digits and a few symbols."""
    return rng.choice(string.ascii_letters) + "".join(rng.choice(_PASSWORD_CHARS) for _ in range(length - 1))


def _b64(rng: random.Random, n: int, *, url: bool = False) -> str:
    raw = rng.randbytes(n)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") if url else base64.b64encode(raw).decode()


def _pem(rng: random.Random) -> Plant:
    label = rng.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY",
                        "ENCRYPTED PRIVATE KEY"])  # fmt: skip
    lines = [_b64(rng, 48) for _ in range(rng.randint(1, 4))]
    sep = rng.choice(["\n", " "])
    text = f"-----BEGIN {label}-----{sep}{sep.join(lines)}{sep}-----END {label}-----"
    return Plant("private-key", text, tuple(lines), one_line=sep == " ")


def _jwt(rng: random.Random) -> Plant:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    token = ".".join(
        [
            part({"alg": "RS256", "typ": "JWT"}),
            part({"sub": password(rng), "n": rng.random()}),
            _b64(rng, 64, url=True),
        ]
    )
    return Plant("jwt", token, (token,))


def _bearer(rng: random.Random) -> Plant:
    token = _b64(rng, 40, url=True)
    return Plant("bearer-token", f"Bearer {token}", (token,))


def _sas(rng: random.Random) -> Plant:
    sig = _b64(rng, 32).replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    host = f"acct{rng.randint(1, 999)}.blob.core.windows.net"
    url = f"https://{host}/c/b.vhd?sv=2022-11-02&se=2030-01-01&sr=b&sp=r&sig={sig}"
    return Plant("sas-signature", url, (sig,))


def _connection_string(rng: random.Random) -> Plant:
    key = _b64(rng, 64)
    text = f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={key};EndpointSuffix=core.windows.net"
    return Plant("connection-string", text, (key,))


def _command(rng: random.Random) -> Plant:
    secret = password(rng)
    form = rng.choice(
        [
            "mysql -u root -p{pw} -e 'select 1'",
            "setup.sh --password {pw} --verbose",
            "setup.sh --admin-password={pw}",
            "Set-Thing -Password '{pw}' -Force",
            "echo password={pw} > /etc/app.conf",
            "sqlcmd -Q x; pwd={pw}",
        ]
    )
    return Plant("command-password", form.format(pw=secret), (secret,))


def _random_token(rng: random.Random) -> Plant:
    token = rng.choice([_b64(rng, 48), _b64(rng, 48, url=True), rng.randbytes(32).hex()])
    return Plant("high-entropy", token, (token,))


#: Every shape, by kind.
SHAPES: dict[str, Callable[[random.Random], Plant]] = {
    "private-key": _pem,
    "jwt": _jwt,
    "bearer-token": _bearer,
    "sas-signature": _sas,
    "connection-string": _connection_string,
    "command-password": _command,
    "high-entropy": _random_token,
}

#: Keys, headers and query parameters whose values are secret by name, whatever they look like.
NAMED_KEYS = ("adminPassword", "storageAccountKey", "sqlAdminPassword", "clientSecret", "apiKey", "sasToken")
NAMED_HEADERS = ("x-api-key", "api-key", "x-auth-token", "ocp-apim-subscription-key", "x-functions-key")
NAMED_PARAMS = ("token", "code", "sig", "key", "access_token", "client_secret")


def plant(kind: str, seed: int) -> Plant:
    """A secret of ``kind`` (one of :data:`SHAPES`, or ``"named"``: a password-like value meant
    for a secret key, header or parameter), reproducible from ``seed``."""
    rng = random.Random(seed)
    if kind == "named":
        secret = password(rng, 20)
        return Plant("named", secret, (secret,))
    return SHAPES[kind](rng)
