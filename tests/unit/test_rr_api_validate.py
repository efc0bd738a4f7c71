"""rr_api validation never lets a hostile record escape as an exception."""

from __future__ import annotations

from rr_desktop.channels.rr_api import validate
from rr_desktop.domain import Quarantined


def test_deeply_nested_record_is_quarantined_not_raised() -> None:
    deep = b'{"id": "X-1", "title": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    result = validate(deep)
    assert isinstance(result, Quarantined)
    assert result.external_id is None or result.external_id == "X-1"
