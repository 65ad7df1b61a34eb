"""SSRF: feed URLs come from strangers. Only http(s); every connection, after DNS and on every
redirect hop, must go to a public address unless explicitly allowed; local files only from
the CLI, never from the Lambda's config or event."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newswire import service
from newswire.bootstrap import Settings, build_fetcher
from newswire.cli import main as cli_main
from newswire.config import parse_config
from newswire.fetch import Fetcher, FetchLimits
from newswire.models import FeedStatus, Fetched, FetchError, RunSummary
from newswire.netguard import ALLOW_ENV, AddressPolicy, BlockedAddress
from newswire.service import feeds_from_event, run_scheduled

from .backends import BUCKET, TABLE
from .conftest import FAST, AwsClients, ConnectLog
from .feeds import numbered, rss
from .server import LOOPBACK, HostileServer

FEED = rss(numbered(2))
NOTHING_ALLOWED = AddressPolicy([])


def ran(summary: object) -> RunSummary:
    """The Lambda ingested inline (no queue configured): a RunSummary."""
    assert isinstance(summary, RunSummary), summary
    return summary


def refused(host: str, address: str, kind: str) -> str:
    """The guard's message, as a regex (the hint about how to allow a host follows it)."""
    where = f"{host} is" if host == address else f"{host} resolves to {address}, which is"
    return "^" + re.escape(f"refused: {where} {kind} address (to fetch from it anyway")


def strict_fetcher(**limits: Any) -> Fetcher:
    return Fetcher(FetchLimits(**{"retries": 0, **limits}), policy=NOTHING_ALLOWED)


# --- schemes and local files --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/feed.xml",
        "gopher://127.0.0.1:70/_GET",
        "data:application/rss+xml,<rss/>",
        "javascript:alert(1)",
        "dict://127.0.0.1:11211/stats",
        "ldap://127.0.0.1/",
        "jar:http://127.0.0.1/x.jar!/",
        "s3://bucket/feed.xml",
    ],
)
def test_only_http_and_https_are_fetched(url: str, connects: ConnectLog) -> None:
    with pytest.raises(FetchError, match=r"^unsupported URL scheme .*only http and https"):
        Fetcher(FAST, policy=AddressPolicy([LOOPBACK])).fetch(url)
    assert connects.attempts == []


@pytest.mark.parametrize(
    "url", ["/etc/passwd", "file:///etc/passwd", "file://localhost/etc/passwd", "feeds.yaml",
            "C:\\Windows\\win.ini", "C:/Windows/win.ini"],
)  # fmt: skip
def test_local_paths_are_refused_unless_allowed(url: str) -> None:
    with pytest.raises(FetchError, match=r"^local paths are not allowed here: "):
        Fetcher(FAST, policy=NOTHING_ALLOWED).fetch(url)


def test_the_cli_may_read_a_local_file(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    for url in (str(path), path.as_uri()):
        fetched = Fetcher(FAST, allow_local=True, policy=NOTHING_ALLOWED).fetch(url)
        assert isinstance(fetched, Fetched) and fetched.body == FEED


def test_lambda_settings_never_allow_local_files() -> None:
    env = {"CONTENT_BUCKET": "b", "INDEX_TABLE": "t", "NEWSWIRE_ALLOW_LOCAL": "true"}
    assert Settings.from_env(env).allow_local is False


@pytest.fixture
def cold_start() -> Iterator[None]:
    """newswire.service keeps one Ingestor per settings for warm invocations; every test here
    is a cold start, so that no client or allow-list of another test is reused."""
    clear = getattr(getattr(service, "_ingestor", None), "cache_clear", None)
    if clear is not None:
        clear()
    yield
    if clear is not None:
        clear()


def test_lambda_refuses_local_files_from_the_event_and_the_config(
    aws: AwsClients, tmp_path: Path, server: HostileServer, connects: ConnectLog,
    cold_start: None,
) -> None:  # fmt: skip
    """The Lambda path end to end (service.run_scheduled on moto): file:// and paths listed in
    the event or in feeds.yaml fail with a plain error and nothing is read or written."""
    secret = tmp_path / "secret.xml"
    secret.write_bytes(rss(numbered(1, prefix="Secret")))
    config = tmp_path / "feeds.yaml"
    config.write_text(f"feeds:\n  - name: from-config\n    url: {secret}\n", encoding="utf-8")
    env = {"CONTENT_BUCKET": BUCKET, "INDEX_TABLE": TABLE, "FEEDS_CONFIG": str(config)}

    from_config = ran(run_scheduled({}, env=env))
    from_event = ran(run_scheduled(
        {"feeds": [secret.as_uri(), {"url": str(secret), "name": "by-path"},
                   {"url": "file://localhost/etc/passwd", "name": "passwd"}]},
        env=env,
    ))  # fmt: skip

    results = [*from_config.results, *from_event.results]
    assert [r.status for r in results] == [FeedStatus.FAILED] * 4
    for result in results:
        assert result.error == f"local paths are not allowed here: {result.url}"
    assert aws.s3().list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    assert connects.attempts == []


def test_feeds_from_event_keeps_urls_as_given_for_the_guard_to_judge() -> None:
    config = parse_config("feeds:\n  - https://example.org/feed.xml\n")
    feeds = feeds_from_event({"feeds": ["file:///etc/passwd"]}, config)
    assert [f.url for f in feeds] == ["file:///etc/passwd"]
    with pytest.raises(FetchError, match=r"^local paths are not allowed here"):
        Fetcher(FAST).fetch(feeds[0].url)


# --- addresses ------------------------------------------------------------------------------


# (host as written in the URL, the address it resolves to, what the guard calls it)
BLOCKED = [
    ("127.0.0.1", "127.0.0.1", "a loopback"),
    ("127.1", "127.0.0.1", "a loopback"),
    ("2130706433", "127.0.0.1", "a loopback"),
    ("0x7f000001", "127.0.0.1", "a loopback"),
    ("017700000001", "127.0.0.1", "a loopback"),
    ("0177.0.0.1", "127.0.0.1", "a loopback"),
    ("127.0.0.2", "127.0.0.2", "a loopback"),
    ("localhost", "127.0.0.1", "a loopback"),
    ("[::1]", "::1", "a loopback"),
    ("[::ffff:127.0.0.1]", "127.0.0.1", "a loopback"),
    ("[::ffff:7f00:1]", "127.0.0.1", "a loopback"),
    ("0.0.0.0", "0.0.0.0", "a private"),
    ("0", "0.0.0.0", "a private"),
    ("[::]", "::", "a private"),
    ("10.0.0.1", "10.0.0.1", "a private"),
    ("172.16.0.1", "172.16.0.1", "a private"),
    ("192.168.1.1", "192.168.1.1", "a private"),
    ("[fc00::1]", "fc00::1", "a private"),
    ("169.254.169.254", "169.254.169.254", "a link-local"),
    ("169.254.170.2", "169.254.170.2", "a link-local"),
    ("[fe80::1]", "fe80::1", "a link-local"),
    ("[::ffff:169.254.169.254]", "169.254.169.254", "a link-local"),
    ("[fd00:ec2::254]", "fd00:ec2::254", "a private"),
    ("224.0.0.1", "224.0.0.1", "a multicast"),
    ("239.255.255.250", "239.255.255.250", "a multicast"),
    ("[ff02::1]", "ff02::1", "a multicast"),
    ("100.64.0.1", "100.64.0.1", "a non-public"),
]


# Most real feeds (Google News included) are https, which urllib3 opens with another connection
# class than http: both must be guarded. The refusal comes before any TLS handshake, so these
# need no certificate; were the https connection unguarded, the connect would be attempted and
# the `connects` fixture would record it (and stop it at the socket).
SCHEMES = ["http", "https"]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("host", "address", "kind"), BLOCKED, ids=[b[0] for b in BLOCKED])
def test_non_public_addresses_are_refused_before_any_connect(
    host: str, address: str, kind: str, scheme: str, connects: ConnectLog
) -> None:
    """The port is the Lambda runtime API's (9001): nothing may even try to connect there."""
    url = f"{scheme}://{host}:9001/2018-06-01/runtime/invocation/next"
    with pytest.raises(FetchError, match=refused(host.strip("[]"), address, kind)):
        strict_fetcher().fetch(url)
    assert connects.attempts == []


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "localhost"])
def test_numeric_tricks_really_are_loopback(server: HostileServer, host: str) -> None:
    """The same URLs reach the server once loopback is allowed: the guard judged the address
    actually connected to, not the spelling of the host."""
    server.feed("/feed.xml", FEED)
    fetched = Fetcher(FAST, policy=AddressPolicy(["127.0.0.0/8"])).fetch(
        server.url("/feed.xml", host=host)
    )
    assert isinstance(fetched, Fetched) and fetched.body == FEED
    assert server.hits("/feed.xml") == 1


def test_the_loopback_server_is_refused_without_an_allow_list(
    server: HostileServer, connects: ConnectLog
) -> None:
    server.feed("/feed.xml", FEED)
    with pytest.raises(FetchError, match=refused(LOOPBACK, LOOPBACK, "a loopback")):
        strict_fetcher().fetch(server.url("/feed.xml"))
    assert server.total == 0
    assert connects.attempts == []


def test_every_dns_answer_must_pass(
    monkeypatch: pytest.MonkeyPatch, server: HostileServer, connects: ConnectLog
) -> None:
    """A name that resolves to an allowed address and a private one (DNS rebinding) is refused
    as a whole: the guard does not pick the harmless answer and hope."""
    server.feed("/feed.xml", FEED)
    real = socket.getaddrinfo

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.test":
            tcp = (socket.AF_INET, socket.SOCK_STREAM, 6, "")
            return [(*tcp, (LOOPBACK, port)), (*tcp, ("10.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(FetchError, match=refused("rebind.test", "10.0.0.1", "a private")):
        Fetcher(FAST, policy=AddressPolicy([LOOPBACK])).fetch(
            server.url("/feed.xml", host="rebind.test")
        )
    assert connects.attempts == []


# Addresses that embed a non-public IPv4 address in IPv6 (NAT64, 6to4, IPv4-compatible).
# The stdlib calls some of them global on this Python; the guard should unwrap them as it
# unwraps ::ffff:a.b.c.d. Checked on the pure policy: nothing is connected to.
EMBEDDED_IPV4 = [
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "::127.0.0.1",  # IPv4-compatible (deprecated) 127.0.0.1
    "::169.254.169.254",
]


@pytest.mark.parametrize(
    "address",
    [
        *EMBEDDED_IPV4,
    ],
)
def test_ipv6_addresses_embedding_private_ipv4_are_refused(address: str) -> None:
    with pytest.raises(BlockedAddress):
        AddressPolicy([]).check(address, address)


# --- redirects ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("http://10.0.0.1/feed.xml", refused("10.0.0.1", "10.0.0.1", "a private")),
        ("http://169.254.169.254/latest/meta-data/iam/security-credentials/",
         refused("169.254.169.254", "169.254.169.254", "a link-local")),
        ("http://127.0.0.2:9001/2018-06-01/runtime/invocation/next",
         refused("127.0.0.2", "127.0.0.2", "a loopback")),
        ("//192.168.0.1/feed.xml", refused("192.168.0.1", "192.168.0.1", "a private")),
        ("http://[::ffff:10.0.0.1]/", refused("::ffff:10.0.0.1", "10.0.0.1", "a private")),
        ("https://10.0.0.1/feed.xml", refused("10.0.0.1", "10.0.0.1", "a private")),
        ("https://169.254.169.254/latest/meta-data/",
         refused("169.254.169.254", "169.254.169.254", "a link-local")),
        ("https://127.0.0.2:9001/", refused("127.0.0.2", "127.0.0.2", "a loopback")),
        ("https://[fd00:ec2::254]/", refused("fd00:ec2::254", "fd00:ec2::254", "a private")),
        ("HTTPS://192.168.0.1/feed.xml", refused("192.168.0.1", "192.168.0.1", "a private")),
        ("file:///etc/passwd", "^redirected to a URL that is not http or https$"),
        ("ftp://127.0.0.1/feed.xml", "^redirected to a URL that is not http or https$"),
        ("gopher://127.0.0.1:70/_x", "^redirected to a URL that is not http or https$"),
        ("javascript:alert(1)", "^redirected to a URL that is not http or https$"),
    ],
)  # fmt: skip
def test_every_redirect_hop_is_checked(
    server: HostileServer, connects: ConnectLog, status: int, location: str, message: str
) -> None:
    """Only 127.0.0.1 (the server) is allowed: the hop to anywhere else is refused."""
    url = server.redirect("/moved", location, status)
    with pytest.raises(FetchError, match=message):
        Fetcher(FAST, policy=AddressPolicy([LOOPBACK])).fetch(url)
    assert server.hits("/moved") == 1
    assert connects.hosts() <= {LOOPBACK}


def test_a_redirect_deep_in_a_chain_is_checked(server: HostileServer, connects: ConnectLog) -> None:
    server.redirect("/a", "/b")
    server.redirect("/b", server.url("/c", host="localhost"))
    server.redirect("/c", "http://169.254.169.254/latest/meta-data/")
    # The allow-list names the server by address and by name: only the last hop is private.
    policy = AddressPolicy([LOOPBACK, "localhost"])
    with pytest.raises(FetchError, match=refused("169.254.169.254", "169.254.169.254",
                                                  "a link-local")):  # fmt: skip
        Fetcher(FAST, policy=policy).fetch(server.url("/a"))
    assert [server.hits(p) for p in ("/a", "/b", "/c")] == [1, 1, 1]
    assert connects.hosts() <= {LOOPBACK, "::1"}


def test_five_redirects_are_followed(server: HostileServer) -> None:
    url = server.chain("/chain", 5, FEED)
    fetched = Fetcher(FAST, policy=AddressPolicy([LOOPBACK])).fetch(url)
    assert isinstance(fetched, Fetched) and fetched.body == FEED
    assert server.hits("/chain/0") == 1


@pytest.mark.parametrize("hops", [6, 7, 20])
def test_more_than_five_redirects_are_refused(server: HostileServer, hops: int) -> None:
    url = server.chain("/chain", hops, FEED)
    with pytest.raises(FetchError, match=r"^more than 5 redirects$"):
        Fetcher(FAST, policy=AddressPolicy([LOOPBACK])).fetch(url)
    assert server.hits("/chain/0") == 0
    assert sum(server.hits(f"/chain/{n}") for n in range(1, hops + 1)) == 6


def test_a_redirect_loop_ends(server: HostileServer) -> None:
    url = server.redirect("/loop", "/loop")
    with pytest.raises(FetchError, match=r"^more than 5 redirects$"):
        Fetcher(FAST, policy=AddressPolicy([LOOPBACK])).fetch(url)
    assert server.hits("/loop") == 6


# --- the allow-list -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["127.0.0.1", "127.0.0.0/8", " 10.9.9.9 , 127.0.0.1 ", "127.0.0.1/32,", "::1,127.0.0.1"],
)
def test_allow_list_from_the_environment(
    server: HostileServer, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    server.feed("/feed.xml", FEED)
    monkeypatch.setenv(ALLOW_ENV, value)
    fetched = build_fetcher(Settings.for_cli(limits=FAST)).fetch(server.url("/feed.xml"))
    assert isinstance(fetched, Fetched) and fetched.body == FEED


def test_allow_list_by_host_name(server: HostileServer, connects: ConnectLog) -> None:
    """A name on the list allows that name only, not the address it resolves to."""
    server.feed("/feed.xml", FEED)
    by_name = Fetcher(FAST, policy=AddressPolicy(["LOCALHOST."]))
    fetched = by_name.fetch(server.url("/feed.xml", host="localhost"))
    assert isinstance(fetched, Fetched) and fetched.body == FEED
    with pytest.raises(FetchError, match=refused(LOOPBACK, LOOPBACK, "a loopback")):
        by_name.fetch(server.url("/feed.xml"))
    assert server.hits("/feed.xml") == 1


@pytest.mark.parametrize(
    ("allowed", "url", "message"),
    [
        ("127.0.0.1", "http://127.0.0.2:9001/", refused("127.0.0.2", "127.0.0.2", "a loopback")),
        ("127.0.0.1", "http://10.0.0.1/", refused("10.0.0.1", "10.0.0.1", "a private")),
        ("10.0.0.0/8", "http://169.254.169.254/", refused("169.254.169.254", "169.254.169.254",
                                                          "a link-local")),
        ("feeds.internal", "http://10.0.0.1/", refused("10.0.0.1", "10.0.0.1", "a private")),
        ("127.0.0.1", "https://10.0.0.1/", refused("10.0.0.1", "10.0.0.1", "a private")),
        ("10.0.0.0/8", "https://169.254.169.254/", refused("169.254.169.254", "169.254.169.254",
                                                           "a link-local")),
    ],
)  # fmt: skip
def test_the_allow_list_allows_nothing_more(
    allowed: str, url: str, message: str, connects: ConnectLog
) -> None:
    with pytest.raises(FetchError, match=message):
        Fetcher(FetchLimits(retries=0), policy=AddressPolicy([allowed])).fetch(url)
    assert connects.attempts == []


def test_allow_list_on_the_cli(
    server: HostileServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:  # fmt: skip
    url = server.feed("/feed.xml", FEED)
    site = str(tmp_path / "site")
    refused_run = cli_main(["run", "-q", "--site-dir", site, url])
    assert refused_run == 1
    assert "refused: 127.0.0.1 is a loopback address" in capsys.readouterr().out
    assert cli_main(["run", "-q", "--site-dir", site, "--allow-host", LOOPBACK, url]) == 0
    assert "articles: 2 new" in capsys.readouterr().out
    assert server.hits("/feed.xml") == 1


def test_allow_list_in_feeds_yaml(
    server: HostileServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:  # fmt: skip
    url = server.feed("/feed.xml", FEED)
    config = tmp_path / "feeds.yaml"
    config.write_text(
        f"allow_hosts: ['127.0.0.0/8']\nfeeds:\n  - name: local\n    url: '{url}'\n",
        encoding="utf-8",
    )
    assert cli_main(["run", "-q", "-c", str(config), "--site-dir", str(tmp_path / "s")]) == 0
    assert "articles: 2 new" in capsys.readouterr().out


def test_allow_list_in_the_lambda_config(
    aws: AwsClients, server: HostileServer, tmp_path: Path, cold_start: None
) -> None:
    url = server.feed("/feed.xml", FEED)
    config = tmp_path / "feeds.yaml"
    config.write_text(
        f"allow_hosts: ['{LOOPBACK}']\nfeeds:\n  - name: local\n    url: '{url}'\n",
        encoding="utf-8",
    )
    env = {"CONTENT_BUCKET": BUCKET, "INDEX_TABLE": TABLE, "FEEDS_CONFIG": str(config)}
    summary = ran(run_scheduled({}, env=env))
    assert [(r.status, r.new) for r in summary.results] == [(FeedStatus.FETCHED, 2)]
