"""Whether new records carry the host name: ``JOURNAL_RECORD_HOST``."""

from __future__ import annotations

import socket

import pytest

from journal.host import recorded_hostname, records_host


@pytest.mark.parametrize("value", ["0", "false", "No", " off "])
def test_host_name_left_out_when_switched_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("JOURNAL_RECORD_HOST", value)
    assert not records_host()
    assert recorded_hostname() is None


@pytest.mark.parametrize("value", [None, "", "1", "yes"])
def test_host_name_recorded_by_default(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("JOURNAL_RECORD_HOST", raising=False)
    else:
        monkeypatch.setenv("JOURNAL_RECORD_HOST", value)
    assert records_host()
    assert recorded_hostname() == socket.gethostname()
