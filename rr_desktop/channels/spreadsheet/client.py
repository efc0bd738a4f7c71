"""The `spreadsheet` channel client: a partner's file imported as a feed.

`pull()` reads the configured file and pages its rows out as escalations (and rejected
rows as quarantine, with row number and reason). Re-importing is idempotent:

- `external_id` is the row's identity (its ID column, else a hash of its key fields), so
  a re-sorted file maps to the same escalations;
- the cursor remembers the file's content hash and the fingerprints of every row of the
  last complete import. An unchanged file is not read again; in a changed file only new
  or changed rows are sent, with `remote_version` = the time of this import in ms (always
  above the previous import's). Unchanged rows are not sent at all, so the engine's
  version guard has nothing to do for them and local triage on them stays untouched.
- A changed mapping, defaults or header re-sends every row (their records change).
- When no row of the file could be imported (every one rejected: a wrong header row or
  mapping, a file of another shape), the last page says so (`Page.problem`: how many
  rows, the commonest reasons); the cursor keeps that sentence, so the channel's state
  shows it on every run until the file or the set-up changes.

Push: a spreadsheet has no write API. Edits, notes and replies are accepted locally and
there is nothing to send (`PushResult(None)`): the cache keeps the analyst's change and the
next import only overwrites a row the partner changed in the file.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from ...domain import Analyst, Incoming, Quarantined
from ...domain.push import NOTHING
from ..contract import ChannelError, Mutation, Page, PushResult, Rejected
from .columns import ColumnMapping
from .cursor import ImportState, pack, parse_header_row
from .reader import DataRow, Sheet, SpreadsheetError, open_sheet, scan_file
from .records import Defaults, MappedRow, RowInvalid, RowMapper, imported_time

_R = TypeVar("_R")
PAGE_SIZE = 500
CONFIG_KEYS = ("sheet", "mapping", "reporter", "reporter_type", "category", "market",
               "severity", "urgency", "language", "date_order", "timezone", "header_row",
               "date_system")
TOP_REASONS = 3


@dataclass(slots=True)
class _Import:
    """One pass over the file, possibly spanning several pages of one run."""

    state: ImportState
    sheet: Sheet
    mapper: RowMapper
    rows: Iterator[DataRow]
    seen: list[bytes] = field(default_factory=list)
    bad: list[bytes] = field(default_factory=list)  # fingerprints of rejected rows
    cursor: str | None = None  # the cursor the last page of this pass returned
    packed: str | None = None  # pack(state.known), which does not change during a pass
    accepted: int = 0  # rows imported, or unchanged since an import that took them
    earlier: int = 0  # rows done by a page before a restart: their outcome is not known
    reasons: Counter[str] = field(default_factory=Counter)
    first_row: dict[str, int] = field(default_factory=dict)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _payload_hash(row: MappedRow) -> str:
    return hashlib.blake2b(row.raw().encode(), digest_size=16).hexdigest()


def _mtime(state: ImportState) -> datetime:
    return datetime.fromtimestamp(state.mtime_ns / 1e9, UTC)


class SpreadsheetChannel:
    """Imports one CSV/XLSX file; one instance per configured channel. No network."""

    pushes = NOTHING  # no write API: triage lives in the cache (ingest keeps it)

    def __init__(self, name: str, config: Mapping[str, str], page_size: int = PAGE_SIZE,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.name = name
        self.path = Path(config.get("path", "")).expanduser()
        self.sheet_name = config.get("sheet", "")
        try:
            self.mapping = ColumnMapping.from_json(config.get("mapping", ""))
            self.defaults = Defaults.from_config(config)
            self.header_row = parse_header_row(config.get("header_row", ""))
        except ValueError as exc:
            raise ChannelError(f"{name}: {exc}") from None
        self.config_digest = _digest(json.dumps(
            {k: config.get(k, "") for k in CONFIG_KEYS} | {"mapping": self.mapping.to_json()},
            sort_keys=True))
        self._page_size = page_size
        self._clock = clock
        self._live: _Import | None = None

    # -- pull ------------------------------------------------------------------------

    def pull(self, cursor: str | None) -> Page:
        live, self._live = self._live, None
        if live is not None and cursor == live.cursor and self._same_stat(live.state):
            return self._run(live)  # the next page of the pass this run is making
        if live is not None:
            live.sheet.close()
        if cursor:
            look = ImportState.decode(cursor, with_known=False)
            if look.after is None and look.config == self.config_digest and \
                    self._same_stat(look):  # the file has not been touched since
                return Page([], [], cursor, True, _mtime(look), problem=look.problem or None)
        state = ImportState.decode(cursor) if cursor else None
        begun = self._begin(state)
        if isinstance(begun, ImportState):
            return self._caught_up(begun)
        return self._run(begun)

    def _same_stat(self, state: ImportState) -> bool:
        try:
            st = self.path.stat()
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns) == (state.size, state.mtime_ns)

    def _caught_up(self, state: ImportState) -> Page:
        return Page([], [], state.encode(), True, _mtime(state),
                    problem=state.problem or None)

    def _begin(self, state: ImportState | None) -> _Import | ImportState:
        """Open the file and decide: nothing to do (the state, with the file's new stat),
        resume an import in progress, or start a new one against the fingerprints of the
        last complete import."""
        scan = self._guard(lambda: scan_file(self.path))
        if state is not None and state.after is None and state.file == scan.sha256 and \
                state.config == self.config_digest:
            return replace(state, size=scan.size, mtime_ns=scan.mtime_ns)  # only touched
        sheet = self._guard(lambda: open_sheet(self.path, self.sheet_name, scan,
                                               self.header_row))
        try:
            headers = sheet.info.headers
            mapper = self._mapper(sheet)
        except BaseException:
            sheet.close()
            raise
        header = _digest(json.dumps(headers))
        same_setup = state is not None and state.config == self.config_digest and \
            state.header == header
        if state is not None and same_setup and state.after is not None and \
                state.file == scan.sha256:
            new = replace(state, size=scan.size, mtime_ns=scan.mtime_ns)  # resume
        else:
            now_ms = int(self._clock().timestamp() * 1000)
            floor = state.version + 1 if state is not None else 0
            keep = state is not None and same_setup
            new = ImportState(self.config_digest, header, scan.sha256, scan.size,
                              scan.mtime_ns, max(now_ms, floor), 0,
                              state.known if state is not None and keep else frozenset(),
                              state.rejected if state is not None and keep else frozenset())
        return _Import(new, sheet, mapper, self._guard_iter(sheet.rows()))

    def _run(self, imp: _Import) -> Page:
        try:
            return self._page(imp)
        except BaseException:
            imp.sheet.close()
            raise

    def _page(self, imp: _Import) -> Page:
        items: list[Incoming] = []
        bad: list[Quarantined] = []
        state, mapper = imp.state, imp.mapper
        done_upto = state.after or 0
        imported_at = imported_time(state.version)
        for data in imp.rows:  # the same iterator across pages: never re-wrapped
            mapped = mapper.map(data)
            mark = mapped.fingerprint
            imp.seen.append(mark)
            duplicate = mapper.duplicate_of(mapped)
            if data.number <= done_upto:  # sent by a page before a restart
                imp.earlier += 1
                if mark in state.rejected:
                    imp.bad.append(mark)
                continue
            if mark in state.known:  # unchanged since the last import
                if mark in state.rejected:
                    imp.bad.append(mark)
                    imp.reasons["rejected by an earlier import (unchanged)"] += 1
                else:
                    imp.accepted += 1
                continue
            if duplicate is not None:
                bad.append(self._quarantine(imp, mapped, [duplicate]))
            else:
                try:
                    record = mapper.to_record(mapped, state.version, imported_at)
                except RowInvalid as exc:
                    bad.append(self._quarantine(imp, mapped, exc.reasons or [str(exc)]))
                else:
                    items.append(Incoming(record, _payload_hash(mapped)))
                    imp.accepted += 1
            if len(items) + len(bad) >= self._page_size:
                imp.state = replace(state, after=data.number)
                imp.packed = imp.packed or pack(state.known)
                imp.cursor = imp.state.encode(imp.packed)
                self._live = imp
                return Page(items, bad, imp.cursor, False, _mtime(state))
        imp.sheet.close()
        final = replace(state, after=None, known=frozenset(imp.seen),
                        rejected=frozenset(imp.bad), problem=self._problem(imp))
        return Page(items, bad, final.encode(), True, _mtime(state),
                    problem=final.problem or None)

    def _quarantine(self, imp: _Import, row: MappedRow, reasons: list[str]) -> Quarantined:
        imp.bad.append(row.fingerprint)
        for reason in reasons:
            key = re.sub(r"^duplicate of row \d+", "duplicate of an earlier row", reason)
            imp.reasons[key] += 1
            imp.first_row.setdefault(key, row.number)
        return Quarantined.of(row.external_id, f"row {row.number}: {'; '.join(reasons)}",
                              row.raw())

    def _problem(self, imp: _Import) -> str:
        """The sentence for a pass that imported no row at all, else ""."""
        rejected = len(imp.bad)
        if imp.accepted or not rejected or imp.earlier:
            return ""
        top = imp.reasons.most_common(TOP_REASONS)
        said = "; ".join(
            f"{reason} ({n:,} row{'s' if n != 1 else ''}"
            + (f", first row {imp.first_row[reason]})" if reason in imp.first_row else ")")
            for reason, n in top)
        more = len(imp.reasons) - len(top)
        if more > 0:
            said += f"; and {more:,} other reason{'s' if more != 1 else ''}"
        header = imp.sheet.info.header_row
        return (f"no row of {self.path.name} was imported: all {rejected:,} rows were "
                f"rejected ({said}). The header was taken from row {header}: check the "
                "header row and the column mapping")

    def _mapper(self, sheet: Sheet) -> RowMapper:
        headers = sheet.info.headers
        mapping = self.mapping or ColumnMapping.suggest(headers)
        return self._guard(lambda: RowMapper(headers, mapping, self.defaults, self.name,
                                             sheet.info.date1904))

    def _guard(self, fn: Callable[[], _R]) -> _R:
        """Name the channel in a file error (the run fails with this sentence)."""
        try:
            return fn()
        except SpreadsheetError as exc:
            raise SpreadsheetError(f"{self.name}: {exc}") from exc

    def _guard_iter(self, rows: Iterator[DataRow]) -> Iterator[DataRow]:
        try:
            yield from rows
        except SpreadsheetError as exc:
            raise SpreadsheetError(f"{self.name}: {exc}") from exc

    # -- the rest of the channel contract ---------------------------------------------

    def check(self) -> None:
        """"Test connection" for a file: it exists, reads as CSV/XLSX, and every mapped
        column is in its header. Raises SpreadsheetError (a Rejected) with the verdict."""
        with self._guard(lambda: open_sheet(self.path, self.sheet_name,
                                            header_row=self.header_row)) as sheet:
            self._mapper(sheet)

    def fetch(self, external_id: str) -> Incoming:
        """The row with this identity as the file holds it now. Its version is 0: a
        fetched row never overrides what an import stored (versions come from imports)."""
        with self._guard(lambda: open_sheet(self.path, self.sheet_name,
                                            header_row=self.header_row)) as sheet:
            mapper = self._mapper(sheet)
            now = self._clock()
            for data in self._guard_iter(sheet.rows()):
                mapped = mapper.map(data)
                if mapped.external_id == external_id:
                    try:
                        return Incoming(mapper.to_record(mapped, 0, now),
                                        _payload_hash(mapped))
                    except RowInvalid as exc:
                        raise Rejected(f"{self.name}: row {data.number} is invalid: "
                                       f"{exc}") from None
        raise Rejected(f"{self.name}: no row {external_id!r} in {self.path.name}")

    def push(self, mutation: Mutation) -> PushResult:
        """Spreadsheets have no write API: triage and notes stay local, nothing is sent.
        A reply cannot reach whoever sent the list: refused with a sentence, never
        marked sent."""
        if mutation.op_type in ("update", "note"):
            return PushResult(None)
        if mutation.op_type == "reply":
            raise Rejected(f"{self.name}: a spreadsheet cannot send replies; contact its "
                           "sender another way (the reply was not sent)")
        raise Rejected(f"{self.name}: a spreadsheet cannot take a {mutation.op_type!r}")

    def analysts(self) -> list[Analyst]:
        return []

    def close(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.sheet.close()
