"""Building a cache with known escalations for GUI tests (no network)."""

from __future__ import annotations

import random
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from rr_desktop.domain import (
    Analyst,
    Channel,
    Escalation,
    Fact,
    Incoming,
    PolicyCategory,
    Region,
    ReporterType,
    Severity,
    Status,
    Urgency,
)
from rr_desktop.settings import save_setting
from rr_desktop.store.channel_state import ensure_channel
from rr_desktop.store.ingest import merge_page
from rr_desktop.store.roster import save_roster
from rr_desktop.store.store import Store

T = TypeVar("T")

NOW = datetime.now(UTC).replace(second=0, microsecond=0)

_TOPICS = (
    ("Livestream of armed attack at shopping centre, {city}", PolicyCategory.VIOLENT_EXTREMISM),
    ("Fake evacuation order circulating after flood warning in {city}",
     PolicyCategory.MISINFO_CRISIS),
    ("Blackout challenge video trending among teens in {city}",
     PolicyCategory.DANGEROUS_CHALLENGES),
    ("Doxxing of election official's home address ({city})",
     PolicyCategory.HARASSMENT_DOXXING),
    ("Impersonation of bank support account targeting users in {city}",
     PolicyCategory.IMPERSONATION_SCAMS),
    ("Coordinated hashtag spreading ballot fraud claims, {city}",
     PolicyCategory.MISINFO_CIVIC),
    ("Removal notice: intimate imagery shared without consent ({city})",
     PolicyCategory.PRIVACY),
    ("Self-harm livestream reported by trusted flagger, {city}",
     PolicyCategory.SUICIDE_SELF_HARM),
    ("Vaccine misinformation clip with 2M views, {city}", PolicyCategory.MISINFO_HEALTH),
    ("Slur-laden brigading of minority creator, {city}", PolicyCategory.HATE_SPEECH),
)
_CITIES = (("IN", "Mumbai"), ("ID", "Jakarta"), ("PH", "Manila"), ("AU", "Sydney"),
           ("JP", "Osaka"), ("VN", "Hanoi"), ("TH", "Bangkok"), ("NZ", "Auckland"))
_ASSIGNEES = (None, None, "aditi", "budi", "chen", "maria")


def escalation(n: int, **overrides: object) -> Escalation:
    """A deterministic, plausible escalation number `n`."""
    rng = random.Random(n)
    title, category = _TOPICS[n % len(_TOPICS)]
    market, city = _CITIES[n % len(_CITIES)]
    created = NOW - timedelta(minutes=7 * n + rng.randint(0, 6))
    rec = Escalation(
        external_id=f"ESC-{n:06d}", remote_version=1, title=title.format(city=city),
        body=f"Reported at {created:%H:%M} UTC.\nLinks and context for item {n}.",
        reporter=f"reporter{n % 17}@partner.example", reporter_type=ReporterType.TRUSTED_FLAGGER,
        category=category, market=market, region=Region.APAC, language="en",
        severity=Severity(rng.choice((0, 1, 1, 2, 2, 2, 3, 3))),
        urgency=Urgency(rng.choice((0, 1, 2, 3))), status=Status.NEW,
        created_at=created, updated_at=created,
        assignee=_ASSIGNEES[n % len(_ASSIGNEES)],
        facts=(Fact(created + timedelta(minutes=5), f"Views passed {n * 1000}"),),
    )
    return replace(rec, **overrides)  # type: ignore[arg-type]


def add(store: Store, records: Iterable[Escalation], channel: str = "demo",
        version_hash: str = "hash") -> list[int]:
    """Merge records into the store through the real ingest path; returns changed ids."""
    recs = list(records)

    def merge(db: sqlite3.Connection) -> list[int]:
        changed: list[int] = []
        cid = ensure_channel(db, Channel(channel, "rr_api", {}))
        for start in range(0, len(recs), 500):
            page = [Incoming(r, version_hash) for r in recs[start:start + 500]]
            changed.extend(merge_page(db, cid, page, [], NOW).changed_ids)
        return changed

    return write_elsewhere(store, merge)


def write_elsewhere(store: Store, write: Callable[[sqlite3.Connection], T]) -> T:
    """Run `write(db)` in one write transaction on another thread, as a sync or a job
    does: an open window forbids writes on the GUI thread (the test's thread)."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with store.write() as db:
                result.append(write(db))
        except BaseException as exc:  # re-raised on the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run, name="test-writer")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


ROSTER = (
    Analyst("aditi", "Aditi Rao", "aditi@example.com", ("en", "hi"), ("IN",)),
    Analyst("budi", "Budi Santoso", "budi@example.com", ("id", "jv", "en"), ("ID",)),
    Analyst("chen", "Chen Wei", "chen@example.com", ("zh", "en"), ("SG", "MY")),
    Analyst("maria", "Maria Reyes", "maria@example.com", ("fil", "en"), ("PH",)),
)
ME = "aditi"


def make_store(path: Path, count: int = 0, extra: Sequence[Escalation] = ()) -> Store:
    """A cache with `count` escalations and the team's roster (as a sync leaves it)."""
    store = Store.open(path / "cache.sqlite3")
    add(store, [*(escalation(n) for n in range(count)), *extra])
    write_elsewhere(store, lambda db: save_roster(db, ROSTER))
    return store


def choose_identity(data_dir: Path, me: str = ME) -> None:
    """The analyst chose who they are (at first start); tests start after that."""
    save_setting(data_dir, "me", me)


def triage_order(store: Store) -> list[int]:
    with store.read() as db:
        return [r[0] for r in db.execute(
            "SELECT id FROM escalation ORDER BY priority, created_at, id")]
