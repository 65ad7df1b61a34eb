"""SSRF guard: feed URLs come from strangers, so every connection must go to a public address.

The check happens where the socket is opened, on the address actually connected to (after DNS,
on every redirect hop), so DNS rebinding, numeric tricks (`http://2130706433/`, `http://127.1/`)
and redirects to internal hosts are all caught. Written here because the libraries that did this
for requests are unmaintained; urllib3 offers the hook (a connection class), not the policy.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

ALLOW_ENV = "NEWSWIRE_ALLOW_HOSTS"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(Exception):
    """A connection to a non-public address was refused. Deliberately not an OSError, so that
    urllib3 does not retry it as a connection failure."""


def _describe(addr: IPAddress) -> str:
    if addr.is_loopback:
        return "a loopback"
    if addr.is_link_local:
        return "a link-local"
    if addr.is_multicast:
        return "a multicast"
    if addr.is_private:
        return "a private"
    return "a non-public"


NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _public(addr: IPAddress) -> bool:
    return addr.is_global and not addr.is_multicast


def _embedded_ipv4(addr: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv6 one that carries it (mapped, NAT64, 6to4, Teredo,
    IPv4-compatible), which is where such a connection really goes."""
    if isinstance(addr, ipaddress.IPv4Address):
        return None
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]
    if addr in NAT64 or (int(addr) >> 32 == 0 and int(addr) > 1):
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


class AddressPolicy:
    """Which addresses feeds may be fetched from: public ones, plus an explicit allow-list of
    host names and CIDR ranges (for tests and for a user's own private feed hosts)."""

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in allow:
            item = item.strip().lower()
            if not item:
                continue
            try:
                self.networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.hosts.add(item.rstrip("."))

    def check(self, host: str, ip: str) -> None:
        """Raise BlockedAddress unless connecting to `ip` (resolved from `host`) is allowed."""
        addr: IPAddress = ipaddress.ip_address(ip.split("%", 1)[0])
        embedded = _embedded_ipv4(addr)
        if host.lower().rstrip(".") in self.hosts or any(
            a in n for n in self.networks for a in (addr, embedded) if a is not None
        ):
            return
        # An IPv6 address that carries an IPv4 one (NAT64, 6to4, ...) goes where that one does.
        target = embedded or addr
        if _public(addr) and _public(target):
            return
        where = f"{host} is" if host == str(target) else f"{host} resolves to {target}, which is"
        raise BlockedAddress(
            f"refused: {where} {_describe(target)} address (to fetch from it anyway, allow it "
            f"with --allow-host, {ALLOW_ENV} or allow_hosts in feeds.yaml)"
        )


_fetch = threading.local()


@contextlib.contextmanager
def wall_clock_deadline(at: float) -> Iterator[None]:
    """Within this block, a connection of this thread that is still receiving a response at
    monotonic time `at` is shut down. requests' timeouts bound each socket read, not the
    response: a server dripping its headers or body a line at a time would otherwise hold the
    fetch for as long as it likes."""
    _fetch.at, _fetch.timers = at, []
    try:
        yield
    finally:
        for timer in _fetch.timers:
            timer.cancel()
        _fetch.at, _fetch.timers = None, []


def _shutdown(sock: socket.socket | None) -> None:
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _guarded(base: type[HTTPConnection], policy: AddressPolicy) -> type[HTTPConnection]:
    class GuardedConnection(base):  # type: ignore[valid-type,misc]
        def getresponse(self, *args: Any, **kwargs: Any) -> Any:
            at: float | None = getattr(_fetch, "at", None)
            if at is not None:
                timer = threading.Timer(max(0.0, at - time.monotonic()), _shutdown, [self.sock])
                timer.daemon = True
                timer.start()
                _fetch.timers.append(timer)
            return super().getresponse(*args, **kwargs)

        def _new_conn(self) -> socket.socket:
            host = self._dns_host
            try:
                infos = socket.getaddrinfo(host, self.port, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise NameResolutionError(self.host, self, exc) from exc
            for *_, sockaddr in infos:  # every answer must pass, or a rebinding host could pick
                policy.check(host, str(sockaddr[0]))
            errors: list[OSError] = []
            for family, kind, proto, _, sockaddr in infos:
                sock = socket.socket(family, kind, proto)
                try:
                    for option in self.socket_options or ():
                        sock.setsockopt(*option)
                    if self.timeout is not None:
                        sock.settimeout(self.timeout)
                    sock.connect(sockaddr)
                    return sock
                except TimeoutError as exc:
                    sock.close()
                    raise ConnectTimeoutError(
                        self, f"connection to {host} timed out ({self.timeout} s)"
                    ) from exc
                except OSError as exc:
                    sock.close()
                    errors.append(exc)
            raise NewConnectionError(self, f"failed to connect to {host}: {errors[-1]}")

    return GuardedConnection


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections refuse non-public addresses."""

    def __init__(self, policy: AddressPolicy, **kwargs: Any) -> None:
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http = type(
            "GuardedHTTPPool",
            (HTTPConnectionPool,),
            {"ConnectionCls": _guarded(HTTPConnection, self.policy)},
        )
        https = type(
            "GuardedHTTPSPool",
            (HTTPSConnectionPool,),
            {"ConnectionCls": _guarded(HTTPSConnection, self.policy)},
        )
        self.poolmanager.pool_classes_by_scheme = {"http": http, "https": https}
