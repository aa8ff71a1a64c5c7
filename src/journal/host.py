"""Whether records name the machine they ran on.

A record's ``environment.hostname`` says where a run trained. Records committed to a public
repository may not want to say so: with ``JOURNAL_RECORD_HOST=0`` (or ``false``, ``no``, ``off``)
in the environment of the training script, the field stays empty.
"""

from __future__ import annotations

import os
import socket

RECORD_HOST = "JOURNAL_RECORD_HOST"
OFF = frozenset({"0", "false", "no", "off"})


def records_host() -> bool:
    """Whether new records carry the host name (``$JOURNAL_RECORD_HOST`` is not 0/false/no/off)."""
    return os.environ.get(RECORD_HOST, "").strip().lower() not in OFF


def recorded_hostname() -> str | None:
    """The host name a new record carries: this machine's, or None when it is left out."""
    return socket.gethostname() if records_host() else None
