"""Where a device's two sockets live, given the one address a user types.

A device binds its control socket (ROUTER) at the address given and its data socket (PUSH) next to it: for
tcp at the next port, for ipc at the same path with `.data` appended. A controller that knows the control
address therefore knows both.
"""

from __future__ import annotations

import re
import socket

from protocols.errors import ConfigError

_TCP = re.compile(r"^tcp://(?P<host>\[[^\]]+\]|[^:/]+):(?P<port>\d+|\*)$")


def data_address(control: str) -> str:
    """The data-path address that belongs to a device's control address."""
    m = _TCP.match(control)
    if m:
        if m["port"] == "*":
            raise ConfigError(f"{control!r}: a wildcard port has no data port; bind first, then ask the bound address")
        return f"tcp://{m['host']}:{int(m['port']) + 1}"
    if control.startswith("ipc://"):
        return control + ".data"
    raise ConfigError(f"address {control!r}: expected tcp://HOST:PORT or ipc://PATH")


def free_port_pair(host: str = "127.0.0.1") -> int:
    """A port p such that p and p + 1 were both free on `host` a moment ago."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as a:
            a.bind((host, 0))
            p = a.getsockname()[1]
            if p >= 65535:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as b:
                try:
                    b.bind((host, p + 1))
                except OSError:
                    continue
            return p
    raise ConfigError(f"no free pair of adjacent ports on {host}")


def resolve_bind(address: str) -> str:
    """A concrete control address to bind: a tcp wildcard port becomes a free port with a free neighbour."""
    m = _TCP.match(address)
    if m and m["port"] == "*":
        host = m["host"].strip("[]")
        return f"tcp://{m['host']}:{free_port_pair(host)}"
    data_address(address)  # validates the form
    return address
