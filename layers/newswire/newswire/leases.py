"""Who holds a lease: an owner string that names its host and process.

A lease normally ends when its holder saves the feed's state; a holder that was killed leaves it
until it expires (the function's timeout, 15 minutes by default). On one machine the embedded
backend can tell that the holder is gone — its process no longer exists — and take the lease
over at once; the owner string carries what that check needs.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class LeaseOwner:
    host: str
    pid: int


def new_lease_owner() -> str:
    """A fresh owner id: `host/pid/random`, unique per holder even within one process."""
    host = socket.gethostname().replace("/", "_") or "localhost"
    return f"{host}/{os.getpid()}/{uuid.uuid4().hex}"


def parse_lease_owner(owner: str) -> LeaseOwner | None:
    """The host and process of an owner id made by new_lease_owner; None for any other form."""
    host, sep, rest = owner.partition("/")
    pid, sep2, _ = rest.partition("/")
    if not (sep and sep2 and host and pid.isdigit()):
        return None
    return LeaseOwner(host=host, pid=int(pid))


def holder_is_gone(owner: str) -> bool:
    """True only when `owner` is a process of this host that no longer exists. Unknown forms,
    other hosts and processes we may not signal count as alive: taking over a live holder's
    lease would let two runs write the same feed at once."""
    parsed = parse_lease_owner(owner)
    if parsed is None or parsed.host != socket.gethostname().replace("/", "_"):
        return False
    if parsed.pid == os.getpid():
        return False  # a holder in this very process is alive by definition
    try:
        os.kill(parsed.pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: the process exists under another user
        return False
    return False
