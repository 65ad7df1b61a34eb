"""Nothing the bench runs may leave loopback: a process-wide guard on DNS and connect().

Every process of the bench (the orchestrator, the feed server, moto's server and each measured
client) calls `enforce_loopback()` first. A name other than localhost never reaches a resolver,
and a socket never connects outside 127.0.0.0/8 or ::1: the attempt raises instead, so a
figure that would have needed the network fails loudly rather than quietly measuring it.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

LOOPBACK = "127.0.0.1"
_LOCAL_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


class OffLoopback(ConnectionRefusedError):
    """The bench tried to reach something that is not on this machine's loopback."""


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def enforce_loopback() -> None:
    if getattr(socket, "_bench_loopback_only", False):
        return
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(host):
            raise OffLoopback(f"bench: refusing to resolve {host!r} (loopback only)")
        return real_getaddrinfo(host, *args, **kwargs)

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            raise OffLoopback(f"bench: refusing to connect to {address!r} (loopback only)")

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    # socket.socket is a Python subclass of _socket.socket: its methods can be replaced.
    type.__setattr__(socket.socket, "connect", connect)
    type.__setattr__(socket.socket, "connect_ex", connect_ex)
    vars(socket)["_bench_loopback_only"] = True
