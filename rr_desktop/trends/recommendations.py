"""Recommendations made from findings (docs/trends.md): what to change, which function
owns it, and the data it rests on. Kept in the data dir as JSON
(`trends-recommendations.json`) so a monthly review can be built up over days; a file
that cannot be read is set aside and named, never lost."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from .findings import Finding

FILE_NAME = "trends-recommendations.json"


class Owner(StrEnum):
    """The function a recommendation is for."""

    PRODUCT = "Product"
    POLICY = "Policy"
    PUBLIC_POLICY = "Public Policy"
    LEGAL = "Legal"
    ENGINEERING = "Engineering"
    COMMS = "Comms"
    LAW_ENFORCEMENT_RESPONSE = "Law-Enforcement Response"
    MARKET_TEAM = "Market team"
    RAPID_RESPONSE = "Rapid Response"


@dataclass(frozen=True, slots=True)
class LinkedData:
    """The evidence a recommendation carries: the finding's window and counts and the
    escalations behind it."""

    window: str
    zone: str
    observed: int
    expected: float
    method: str
    escalation_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A recommendation: its text, its owner function and what it rests on (`finding`
    is the finding's ref, "" for one written without a finding)."""

    text: str
    owner: Owner
    finding: str = ""
    data: LinkedData | None = None
    uid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a recommendation needs some text")


def from_finding(finding: Finding, text: str, owner: Owner, method: str) -> Recommendation:
    """A recommendation resting on a finding, with its evidence copied in."""
    return Recommendation(text.strip(), owner, finding.ref, LinkedData(
        finding.window, finding.zone, finding.observed, finding.expected, method,
        finding.escalation_ids))


def _decode(item: object) -> Recommendation:
    if not isinstance(item, dict):
        raise ValueError("not an object")
    data = item.get("data")
    linked = None
    if isinstance(data, dict):
        linked = LinkedData(str(data["window"]), str(data["zone"]), int(data["observed"]),
                            float(data["expected"]), str(data["method"]),
                            tuple(int(i) for i in data["escalation_ids"]))
    return Recommendation(str(item["text"]), Owner(item["owner"]), str(item.get("finding", "")),
                          linked, str(item.get("uid") or uuid.uuid4()))


def load(data_dir: Path) -> tuple[list[Recommendation], str | None]:
    """The saved recommendations, and a sentence when the file could not be read (it is
    renamed `.unreadable` beside itself, and the list starts empty)."""
    path = data_dir / FILE_NAME
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], None
    except OSError as exc:
        return [], f"Saved recommendations could not be read ({exc.strerror or exc})."
    try:
        items = json.loads(raw)
        if not isinstance(items, list):
            raise ValueError("not a list")
        return [_decode(i) for i in items], None
    except (ValueError, KeyError, TypeError) as exc:
        aside = path.with_suffix(".unreadable")
        try:
            os.replace(path, aside)
        except OSError:
            aside = path
        return [], (f"Saved recommendations were unreadable ({exc}); the file is kept as "
                    f"{aside.name} and the list starts empty.")


def save(data_dir: Path, items: Sequence[Recommendation]) -> None:
    """Write the list whole (a temporary file renamed over the old one)."""
    path = data_dir / FILE_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([asdict(r) for r in items], indent=1), encoding="utf-8")
    os.replace(tmp, path)
