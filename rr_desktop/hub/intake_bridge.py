"""The bridge: the intake cache's escalations into the hub's store (docs/hub.md, "Channel
sync on the hub").

After every run of the intake's sync engine, each escalation the run wrote is copied into
the hub with `HubEscalations.upsert_from_source`. The two are separate databases, so no
transaction spans both; what makes a crash harmless is the order and idempotence:

- The bridge's position per channel (`hub_meta` "intake.<channel id>") is the `synced_at`
  second of the newest row it copied. It is saved only after the rows are in the hub, so
  a crash between the engine's commit and the bridge, or in the middle of the bridge,
  copies those rows again on the next pass: at least once.
- `upsert_from_source` writes nothing for a record the hub already holds as it is: copied
  twice, stored once, one change in the feed.
- The cache has no change counter: `synced_at` (epoch seconds of the merge that wrote the
  row) is the order. A pass starts at the saved second inclusive, so rows written later in
  that same second are not skipped (re-copying the rest of it costs reads, not writes).
  The engine and the bridge run one after the other on one thread, so no merge commits
  behind the bridge's back. A wall clock set back by hand could hide rows until the clock
  passes the saved second again; deleting the channel's hub_meta row copies it all again.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import insert, select, update

from ..store.store import Store
from . import caller
from .escalation_store import HubEscalations
from .intake_records import IntakeChannel, intake_channels, row_of, rows_since, wire_record
from .schema import escalation, meta
from .store import HubStore

log = logging.getLogger("rr_desktop.hub.intake")
PAGE = 500


class Bridge:
    """Copies the intake cache's escalations into the hub's store."""

    def __init__(self, hub: HubStore, cache: Store) -> None:
        self.hub = hub
        self.cache = cache
        # No forwarder: what the bridge writes is the source's state, never sent back.
        self.escalations = HubEscalations(hub)

    def channels(self) -> list[IntakeChannel]:
        with self.cache.read() as db:
            return intake_channels(db)

    def copy(self, channel: IntakeChannel) -> int:
        """Copy what the channel's runs wrote since the last copy; how many records
        changed on the hub."""
        token = caller.current.set(caller.HUB_SELF)
        try:
            since = self._position(channel)
            last_second, after_id, changed = since, -1, 0
            while True:
                with self.cache.read() as db:
                    rows = rows_since(db, channel.id, since, after_id, PAGE)
                for row in self._differing(channel, rows):
                    if self.copy_row(channel, row) is not None:
                        changed += 1
                if rows:
                    since, after_id = int(rows[-1][-1]), int(rows[-1][0])
                    last_second = since
                if len(rows) < PAGE:
                    break
            if last_second != self._position(channel):
                self._save_position(channel, last_second)
            return changed
        finally:
            caller.current.reset(token)

    def _differing(self, channel: IntakeChannel, rows: list[tuple[Any, ...]]
                   ) -> list[tuple[Any, ...]]:
        """The rows whose record the hub does not hold as it is: one read for the page,
        so re-reading the saved second costs no write transaction per row."""
        records = {channel.api_id(str(row[1])): (row, wire_record(row)) for row in rows}
        with self.hub.read() as conn:
            held = dict(conn.execute(select(escalation.c.api_id, escalation.c.fields).where(
                escalation.c.source == channel.source,
                escalation.c.api_id.in_(list(records)))).all()) if records else {}
        out = []
        for api_id, (row, record) in records.items():
            old = held.get(api_id)
            if old is None or _without_version(json.loads(old)) != \
                    _without_version({**record, "id": api_id}):
                out.append(row)
        return out

    def copy_row(self, channel: IntakeChannel, row: tuple[object, ...]) -> dict[str, object] | None:
        record = wire_record(row)
        external_id = str(record["id"])
        return self.escalations.upsert_from_source(channel.source, external_id,
                                                   channel.api_id(external_id), record)

    def copy_one(self, channel: IntakeChannel, escalation_id: int,
                 who: caller.Caller = caller.HUB_SELF) -> dict[str, object] | None:
        """One escalation as the cache holds it now (after a forwarded change settled),
        written as `who` (the analyst whose change it was); the hub's record afterwards."""
        with self.cache.read() as db:
            row = row_of(db, escalation_id)
        if row is None:
            return None
        token = caller.current.set(who)
        try:
            self.copy_row(channel, row)
        finally:
            caller.current.reset(token)
        return self.escalations.get(channel.api_id(str(row[1])))

    # -- position ------------------------------------------------------------------------

    @staticmethod
    def _name(channel: IntakeChannel) -> str:
        return f"intake.{channel.id}"

    def _position(self, channel: IntakeChannel) -> int:
        """The saved second, or 0 (copy everything) when none is saved or it was saved for
        another channel under the same id (the intake cache was made anew)."""
        with self.hub.read() as conn:
            value = conn.execute(select(meta.c.value).where(
                meta.c.name == self._name(channel))).scalar_one_or_none()
        if value is None:
            return 0
        try:
            saved = json.loads(value)
            if saved.get("channel") == channel.name and saved.get("source") == channel.source:
                return int(saved["synced_at"])
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("the intake position of %s was unreadable; copying it all again",
                        channel.name)
        return 0

    def _save_position(self, channel: IntakeChannel, second: int) -> None:
        value = json.dumps({"channel": channel.name, "source": channel.source,
                            "synced_at": second})
        with self.hub.write() as conn:
            done = conn.execute(update(meta).where(meta.c.name == self._name(channel))
                                .values(value=value)).rowcount
            if not done:
                conn.execute(insert(meta).values(name=self._name(channel), value=value))


def _without_version(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "version"}
