"""moto's server on 127.0.0.1 (a free port), in its own process: `python -m bench.motoserver`.

Prints one JSON line with the port once the socket listens, then serves until stdin closes.
`make moto-server` runs the same server on a fixed port until interrupted (`--port 5000
--until-interrupted`), with its address space capped (`--max-memory-mb`): stock `moto_server`
grew to 24 GB on about 1,000 articles of site builds.
Its own process so that moto's request handling (pure Python) takes neither the measured
client's GIL nor its memory.

Two changes to moto 5.2.5 inside this process only, both about moto's own limits, neither
about what newswire sends (the bench counts requests on the client side, with botocore hooks):

- Requests are served one at a time. moto's backends are not thread-safe: with 8 clients
  writing, its TransactWriteItems snapshot (below) raced with concurrent PutItems and failed
  with "dictionary changed size during iteration".
- TransactWriteItems snapshots each table it touches with `copy.deepcopy` (to roll back when
  a condition fails): O(table size) in time per call, and in memory too, because moto's
  models keep a reference to every instance ever made (the copies are never freed). A
  5,000-article first run was quadratic: it did not finish in 5 minutes and grew moto's
  process past 19 GB. For transactions of Put/Delete/ConditionCheck only, which replace
  stored items and never mutate them, a copy of the table's item mapping is the same
  snapshot; transactions with an Update still get moto's deep copy.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import logging
import resource
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from bench.loopback import LOOPBACK, enforce_loopback

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _serialized(app: WSGIApp) -> WSGIApp:
    lock = threading.Lock()

    def serve_one(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with lock:
            return list(app(environ, start_response))

    return serve_one


def _cheap_transaction_snapshots() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    class NoCopy:
        """Stands in for the `copy` module inside moto.dynamodb.models during a transaction:
        its "snapshot" is the table itself, whose items the wrapper below saves and restores.
        (A copied Table would also leak: moto's models keep every instance ever created.)"""

        copy = staticmethod(copy.copy)

        @staticmethod
        def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
            if isinstance(value, Table):
                return value
            return copy.deepcopy(value, memo)

    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        if any("Update" in item for item in transact_items):
            return original(self, transact_items)
        names = {op.get("TableName") for item in transact_items for op in item.values()} & set(
            self.tables
        )
        saved = {name: copy.copy(self.tables[name].items) for name in names}
        namespace = vars(models)
        namespace["copy"] = NoCopy
        try:
            return original(self, transact_items)
        except Exception:
            for name, items in saved.items():  # roll back, as moto's deep copy would have
                self.tables[name].items = items
            raise
        finally:
            namespace["copy"] = copy

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.motoserver", description=__doc__)
    parser.add_argument("--host", default=LOOPBACK, help="address to listen on (%(default)s)")
    parser.add_argument("--port", type=int, default=0, help="0: a free port (the default)")
    parser.add_argument(
        "--max-memory-mb",
        type=int,
        default=0,
        help="cap the process's address space (RLIMIT_AS): a request past it fails, the "
        "machine does not swap. 0: no cap",
    )
    parser.add_argument(
        "--until-interrupted",
        action="store_true",
        help="serve until Ctrl-C or SIGTERM, not until stdin closes",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    if args.host == LOOPBACK:
        # The bench's own server: nothing it does may leave loopback. Another address is
        # `make moto-server MOTO_HOST=...` serving a Docker container (sam local invoke).
        enforce_loopback()
    if args.max_memory_mb:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (args.max_memory_mb * 2**20, hard))
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _cheap_transaction_snapshots()
    app = _serialized(DomainDispatcherApplication(create_backend_app))
    server = make_server(
        args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler
    )
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    if args.until_interrupted:
        # Ctrl-C, or SIGTERM (make's children), ends it quietly: no traceback.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
        return
    thread = threading.Thread(target=server.serve_forever, name="moto", daemon=True)
    thread.start()
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
