"""Where sockets may bind or connect, and ZeroMQ CURVE keys for the endpoints that leave the machine."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import pathlib

from protocols.errors import WireError

_LOCAL_TRANSPORTS = ("ipc://", "inproc://")


def is_loopback(address: str) -> bool:
    """True for ipc://, inproc:// and tcp:// addresses whose host is a loopback address or 'localhost'."""
    if address.startswith(_LOCAL_TRANSPORTS):
        return True
    if not address.startswith("tcp://"):
        return False
    rest = address[len("tcp://") :]
    for part in rest.split(";"):  # tcp://source;destination: both ends must be local
        host = part.rsplit(":", 1)[0] if ":" in part else part
        host = host.strip("[]")
        if host == "localhost":
            continue
        try:
            if not ipaddress.ip_address(host).is_loopback:
                return False
        except ValueError:  # '*', an interface name or a DNS name: not provably local
            return False
    return True


@dataclasses.dataclass(frozen=True)
class KeyPair:
    """A CURVE key pair, both Z85-encoded (40 bytes each)."""

    public: bytes
    secret: bytes

    def __repr__(self) -> str:  # never print the secret
        return f"KeyPair(public={self.public!r}, secret=<hidden>)"


@dataclasses.dataclass(frozen=True)
class Curve:
    """CURVE settings of one socket: its own key pair and, on the connecting side, the server's public key."""

    keys: KeyPair
    server_public: bytes | None = None


def check_address(address: str, curve: Curve | None, what: str) -> None:
    """Refuse a non-loopback endpoint without CURVE keys (WireError naming the address and the fix)."""
    if curve is None and not is_loopback(address):
        raise WireError(
            f"{what}: {address!r} is not a loopback address and no CURVE keys were given; use tcp://127.0.0.1:PORT "
            "or ipc://PATH, or create keys with `quantacore keys DIR` and configure them on both ends"
        )


def make_keypair(directory: str | os.PathLike[str], name: str = "quantacore") -> tuple[pathlib.Path, pathlib.Path]:
    """Create a CURVE key pair as DIR/NAME.public and DIR/NAME.secret (mode 0600); return both paths."""
    import zmq

    if not zmq.has("curve"):
        raise WireError("make_keypair: this libzmq was built without CURVE support; install pyzmq wheels (bundled libsodium)")
    d = pathlib.Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    public, secret = zmq.curve_keypair()
    pub_path, sec_path = d / f"{name}.public", d / f"{name}.secret"
    for p in (pub_path, sec_path):
        if p.exists():
            raise WireError(f"make_keypair: {p} exists; refusing to overwrite a key (remove it first)")
    fd = os.open(sec_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secret + b"\n")
    pub_path.write_bytes(public + b"\n")
    return pub_path, sec_path


def _read_key(path: pathlib.Path) -> bytes:
    try:
        key = path.read_bytes().strip()
    except OSError as e:
        raise WireError(f"CURVE key {path}: cannot read ({e.strerror})") from e
    if len(key) != 40:
        raise WireError(f"CURVE key {path}: {len(key)} characters, expected a 40-character Z85 key")
    return key


def load_keypair(directory: str | os.PathLike[str], name: str = "quantacore") -> KeyPair:
    """Read DIR/NAME.public and DIR/NAME.secret written by make_keypair."""
    d = pathlib.Path(directory)
    return KeyPair(public=_read_key(d / f"{name}.public"), secret=_read_key(d / f"{name}.secret"))


def load_public_key(path: str | os.PathLike[str]) -> bytes:
    """Read one Z85 public key file (e.g. the server's, given to a connecting client)."""
    return _read_key(pathlib.Path(path))


def apply_curve(socket: object, curve: Curve | None, server: bool) -> None:
    """Configure CURVE on a zmq socket (server side, or client side with the server's public key)."""
    if curve is None:
        return
    socket.curve_secretkey = curve.keys.secret  # type: ignore[attr-defined]
    socket.curve_publickey = curve.keys.public  # type: ignore[attr-defined]
    if server:
        socket.curve_server = True  # type: ignore[attr-defined]
    else:
        if curve.server_public is None:
            raise WireError("CURVE client: server_public is required to connect (the server's NAME.public)")
        socket.curve_serverkey = curve.server_public  # type: ignore[attr-defined]
