"""Issue 10, class 6: one character or one header never costs a whole feed, and nothing a
server or a feed sends reaches a terminal or a log line as control characters.

- Lone surrogates (`&#xD800;`, `&#56320;`) anywhere in a feed (titles, links, bodies, guids,
  the feed's title) are replaced at the parse boundary: the feed's items are all stored and its
  state (validators, health) is saved.
- A Retry-After that is not delay-seconds or an HTTP date (`--5`, `²`, `-30`, garbage) is
  ignored and logged; a huge one is capped at 24 hours. Never an internal error.
- ESC sequences, C0/C1 controls and bidi overrides never reach a terminal or a log line raw:
  reason phrases, titles, feed names and statuses printed by `run`, `list` and `feeds`, and
  log lines (text and JSON) show them escaped.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newswire.adapters.local import SqliteIndex
from newswire.cli import main
from newswire.fetch import MAX_RETRY_AFTER, parse_retry_after
from newswire.logs import JsonFormatter, TextFormatter, escape_controls
from newswire.models import FeedConfig, FeedState, FeedStatus, Fetched, IndexRecord
from newswire.parse import parse_feed

from .backends import Backend, Clock
from .conftest import IngestorFactory
from .feeds import Item, atom, atom_entry, rss
from .pages import split_page
from .server import Exchange, HostileServer, Reply, Route

SURROGATES = [b"&#xD800;", b"&#xdfff;", b"&#55296;", b"&#56320;", b"&#xDBFF;&#xDC00;"]


def poisoned(body: bytes, reference: bytes) -> bytes:
    return body.replace(b"@@", reference)


def surrogate_items() -> list[Item]:
    return [
        Item(title="Good one", link="https://gazette.example.org/1",
             guid="https://gazette.example.org/1", description="Fine."),
        Item(title="Bad @@ title", link="https://gazette.example.org/2@@",
             guid="https://gazette.example.org/2", description="Bad @@ description",
             content_html="<p>Bad @@ body &lt;b&gt;@@</p>"),
        Item(title="Bad guid", link="https://gazette.example.org/3", guid="guid-@@-3",
             permalink=False, description="x"),
        Item(title="Good two", link="https://gazette.example.org/4",
             guid="https://gazette.example.org/4", description="Fine too."),
    ]  # fmt: skip


def no_surrogate(text: str) -> bool:
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


@pytest.mark.parametrize("reference", SURROGATES)
def test_lone_surrogates_are_replaced_and_the_feed_is_kept(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory, reference: bytes
) -> None:
    body = poisoned(rss(surrogate_items(), title="Gazette @@"), reference)
    feed = FeedConfig(url=server.feed("/surrogates.xml", body), name="surrogates")
    index = backend.make_index()
    [result] = make_ingestor(backend.make_store(), index).run([feed]).results
    assert result.status is FeedStatus.FETCHED, result.error
    assert (result.new, result.failed_items) == (4, 0)
    titles = set()
    for key in backend.object_keys():
        data = backend.read(key)
        meta, body_text = split_page(data)
        titles.add(meta["title"])
        for value in (meta["title"], meta["guid"], meta["link"], meta["summary"], body_text):
            assert no_surrogate(str(value))
    assert {"Good one", "Good two", "Bad guid"} <= titles
    state = index.get_feed_states([feed.feed_id]).get(feed.feed_id)
    assert state is not None
    assert (state.last_status, state.consecutive_errors) == ("ok", 0)
    assert state.etag is not None, "the validators were not saved"


@pytest.mark.parametrize("reference", SURROGATES)
def test_an_atom_feed_with_surrogates_parses_to_encodable_text(reference: bytes) -> None:
    entry = atom_entry(
        title="T @@", link="https://gazette.example.org/a@@", entry_id="urn:x:@@",
        content_html="<p>C @@</p>", extra="<summary>S @@</summary>",
    )  # fmt: skip
    body = poisoned(atom([entry], title="Feed @@"), reference)
    parsed = parse_feed(Fetched("https://f.example/", body, "application/atom+xml", None, None))
    assert parsed.entries
    assert no_surrogate(parsed.title)
    parsed.title.encode("utf-8")
    for found in parsed.entries:
        for value in _strings(found):
            value.encode("utf-8")  # raises on any lone surrogate left


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32", "windows-1252"])
@pytest.mark.parametrize(
    "reference", ["&#xD800;", "&#1114112;", "&#x00110000;", "&#" + "9" * 5000 + ";"]
)
def test_impossible_references_in_any_encoding_keep_the_other_items(
    encoding: str, reference: str
) -> None:
    xml = (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>T</title>'
        f"<item><title>a {reference} b</title><guid>g1</guid></item>"
        "<item><title>ok &#x10FFFF;</title><guid>g2</guid></item></channel></rss>"
    )
    parsed = parse_feed(Fetched("https://f.example/", xml.encode(encoding), None, None, None))
    assert [e["title"] for e in parsed.entries] == ["a \ufffd b", "ok \U0010ffff"]


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# --- Retry-After -------------------------------------------------------------------------------

NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    ["--5", "²", "-30", "-0", "+5", "1.5", "5 s", "0x10", "١٢٠", "in an hour", "Thu, 99 Foo",
     "\x1b[31m60", "9" * 5000, "Mon, 01 Jan 10000 00:00:00 GMT", "Mon, 01 Jan 9999 00:00:00 GMT"],
)  # fmt: skip
def test_a_bad_retry_after_is_ignored_or_capped_never_an_error(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="newswire.fetch"):
        seconds = parse_retry_after(value, NOW)
    assert seconds is None or 0 <= seconds <= MAX_RETRY_AFTER
    if (value.isascii() and value.isdigit()) or "9999" in value:
        assert seconds == MAX_RETRY_AFTER
    else:
        assert seconds is None
    assert caplog.records, "a bad or huge Retry-After was not logged"
    assert all("\x1b" not in r.getMessage() for r in caplog.records)


def test_a_date_in_the_past_means_now_and_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="newswire.fetch"):
        assert parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", NOW) == 0
        assert parse_retry_after(" 120 ", NOW) == 120
    assert not caplog.records


@settings(deadline=None)
@given(st.text())
@example("--5")
@example("²")
def test_any_retry_after_gives_none_or_a_wait_within_a_day(value: str) -> None:
    seconds = parse_retry_after(value, NOW)
    assert seconds is None or 0 <= seconds <= MAX_RETRY_AFTER


@pytest.mark.parametrize("value", ["--5", "²", "-30", "garbage", "9" * 400])
def test_a_feed_with_a_bad_retry_after_fails_plainly_and_backs_off(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory, clock: Clock,
    value: str,
) -> None:  # fmt: skip
    reply = Reply(429, b"slow down", (("Retry-After", value),))
    feed = FeedConfig(url=server.reply("/busy.xml", reply), name="busy")
    index = embedded.make_index()
    [result] = make_ingestor(embedded.make_store(), index).run([feed]).results
    assert result.status is FeedStatus.FAILED
    assert result.error is not None and "internal error" not in result.error
    state = index.get_feed_states([feed.feed_id]).get(feed.feed_id)
    assert state is not None and state.consecutive_errors == 1
    huge = value.isascii() and value.isdigit()
    assert state.not_before == (clock.now + timedelta(hours=24) if huge else None)


# --- control characters never reach a terminal or a log line raw ------------------------------

# ESC sequences (colour, window title, clear screen, OSC 8 link), C0/C1 controls, CR, bidi.
HOSTILE_TEXT = (
    "\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x1b[2J \x1b]8;;https://evil.example/\x1b\\link"
    "\x1b]8;;\x1b\\ \x9b31m \x85 \r overwritten \x08\x7f \u202egnp.exe\u202c \u2066iso\u2069"
)
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def assert_no_raw_controls(text: str) -> None:
    found = RAW.findall(text)
    assert not found, f"raw control characters reached the output: {found!r}"


def raw_reply(status: int, reason: bytes) -> Route:
    def route(exchange: Exchange) -> None:
        exchange.close_after()
        exchange.write_raw(
            b"HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" % (status, reason)
        )

    return route


def test_a_reason_phrase_with_escape_sequences_is_printed_plainly(
    server: HostileServer, tmp_path: Path, restore_logging: None,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    reason = HOSTILE_TEXT.encode("latin-1", "ignore")  # what a status line can carry
    url = server.route("/escape.xml", raw_reply(404, reason))
    site = str(tmp_path / "site")
    common = ["--site-dir", site]
    status = main(["run", "--quiet", "--no-site", *common, "--allow-host", "127.0.0.1", url])
    assert status == 1
    run_out = capsys.readouterr()
    assert "HTTP 404" in run_out.out
    assert main(["feeds", "-c", str(tmp_path / "none.yaml"), *common]) == 0
    feeds_out = capsys.readouterr()
    assert "HTTP 404" in feeds_out.out
    assert main(["feeds", "--json", "-c", str(tmp_path / "none.yaml"), *common]) == 0
    feeds_json = capsys.readouterr()
    [row] = json.loads(feeds_json.out)
    for text in (run_out.out, run_out.err, feeds_out.out, feeds_out.err, feeds_json.out):
        assert_no_raw_controls(text)
    assert row["last_status"].startswith("error: HTTP 404 [31mred")
    assert_no_raw_controls(row["last_status"])


def test_list_and_feeds_escape_what_the_index_holds(
    tmp_path: Path, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """An index written by an older version (or by hand) may hold anything: the CLI is the
    last guard before the terminal."""
    site = tmp_path / "site"
    index = SqliteIndex(site / "newswire.sqlite3")
    record = IndexRecord(
        id="0123456789abcdef0123", key="content/news/2026/01/a.md", section="news", slug="a",
        title=f"Title {HOSTILE_TEXT}", date=NOW, link="https://gazette.example.org/a",
        feeds=(f"feed{HOSTILE_TEXT}",), content_hash="h", publisher=f"P {HOSTILE_TEXT}",
    )  # fmt: skip
    assert index.add(record)
    index.save_feed_state(
        FeedState(feed_id=f"feed{HOSTILE_TEXT}", url="https://f.example/",
                  last_status=f"error: {HOSTILE_TEXT}")
    )  # fmt: skip
    index.close()
    outputs = []
    for command in (["list"], ["list", "--json"], ["feeds"], ["feeds", "--json"]):
        assert main([*command, "--site-dir", str(site), *(
            ["-c", str(tmp_path / "none.yaml")] if command[0] == "feeds" else []
        )]) == 0  # fmt: skip
        captured = capsys.readouterr()
        outputs.append(captured.out)
        assert_no_raw_controls(captured.out + captured.err)
    assert "Title" in outputs[0] and "red" in outputs[0]
    # JSON stays valid, and its strings still hold the exact text.
    assert json.loads(outputs[1])[0]["title"] == f"Title {HOSTILE_TEXT}"
    assert json.loads(outputs[3])[0]["last_status"] == f"error: {HOSTILE_TEXT}"


@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()], ids=["text", "json"])
def test_log_lines_carry_no_raw_control_and_stay_one_line(formatter: logging.Formatter) -> None:
    record = logging.LogRecord(
        "newswire.ingest", logging.WARNING, __file__, 1, f"feed failed {HOSTILE_TEXT}\nfake: line",
        None, None,
    )  # fmt: skip
    record.error = HOSTILE_TEXT + "\ud800"
    line = formatter.format(record)
    assert_no_raw_controls(line)
    assert "\n" not in line
    line.encode("utf-8")  # no lone surrogate either
    if isinstance(formatter, JsonFormatter):
        data = json.loads(line)
        assert data["error"] == HOSTILE_TEXT + "\ud800"


@settings(deadline=None)
@given(st.text())
def test_escaping_leaves_no_control_and_json_strings_decode_back(text: str) -> None:
    escaped = escape_controls(text)
    assert_no_raw_controls(escaped.replace("\n", "").replace("\t", ""))
    escaped.encode("utf-8")
    assert json.loads(escape_controls(json.dumps(text, ensure_ascii=False))) == text


@pytest.mark.parametrize("function", ["ingest", "worker"])
def test_lambda_log_lines_carry_no_raw_control(
    function: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handlers' Powertools logger (and the newswire loggers it configures) escape too."""
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", f"log-escaping-{function}")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "newswire")
    path = Path(__file__).resolve().parents[2] / "functions" / function / "app.py"
    spec = importlib.util.spec_from_file_location(f"{function}_app_for_logs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved = {
        name: (list(lg.handlers), lg.level, lg.propagate)
        for name, lg in logging.Logger.manager.loggerDict.items()
        if name.startswith("newswire") and isinstance(lg, logging.Logger)
    }
    try:
        spec.loader.exec_module(module)
    finally:  # loading copies Powertools' handler onto the newswire loggers: undo that
        for name, lg in logging.Logger.manager.loggerDict.items():
            if name.startswith("newswire") and isinstance(lg, logging.Logger):
                handlers, level, propagate = saved.get(name, ([], logging.NOTSET, True))
                lg.handlers[:], lg.level, lg.propagate = handlers, level, propagate
    record = logging.LogRecord(
        "newswire.ingest", logging.WARNING, __file__, 1, f"feed failed {HOSTILE_TEXT}", None, None
    )
    record.error = HOSTILE_TEXT + "\ud800"
    line = module.logger.registered_formatter.format(record)
    assert_no_raw_controls(line)
    line.encode("utf-8")
    assert json.loads(line)["message"] == f"feed failed {HOSTILE_TEXT}"
