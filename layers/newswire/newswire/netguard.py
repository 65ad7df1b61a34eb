"""SSRF guard: feed URLs come from strangers, so every connection must go to a public address.

The check happens where the socket is opened, on the address actually connected to (after DNS,
on every redirect hop), so DNS rebinding, numeric tricks (`http://2130706433/`, `http://127.1/`)
and redirects to internal hosts are all caught. Written here because the libraries that did this
for requests are unmaintained; urllib3 offers the hook (a connection class), not the policy.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterable
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

    @classmethod
    def from_env(
        cls, extra: Iterable[str] = (), env: dict[str, str] | None = None
    ) -> AddressPolicy:
        value = (os.environ if env is None else env).get(ALLOW_ENV, "")
        return cls([*value.split(","), *extra])

    def check(self, host: str, ip: str) -> None:
        """Raise BlockedAddress unless connecting to `ip` (resolved from `host`) is allowed."""
        addr: IPAddress = ipaddress.ip_address(ip.split("%", 1)[0])
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        if host.lower().rstrip(".") in self.hosts or any(addr in n for n in self.networks):
            return
        if addr.is_global and not addr.is_multicast:
            return
        where = f"{host} is" if host == str(addr) else f"{host} resolves to {addr}, which is"
        raise BlockedAddress(
            f"refused: {where} {_describe(addr)} address (to fetch from it anyway, allow it "
            f"with --allow-host, {ALLOW_ENV} or allow_hosts in feeds.yaml)"
        )


def _guarded(base: type[HTTPConnection], policy: AddressPolicy) -> type[HTTPConnection]:
    class GuardedConnection(base):  # type: ignore[valid-type,misc]
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
