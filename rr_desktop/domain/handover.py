"""The shift handover pack (docs/lead-board.md, "Shift handover"): what the outgoing
analyst leaves the next shift, as data, and its Markdown and HTML forms.

Pure: the store reads the sections (store/handover.py); this module decides the next
shift's window and writes the text. Every text from a channel is untrusted: Markdown
escapes its syntax characters, HTML escapes everything (no markup from a title or note
ever renders).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .enums import Priority
from .markdown_text import escape_md, flat
from .shift import ShiftSchedule

DEFAULT_NEXT_SHIFT = timedelta(hours=8)
FIRST_PACK_LOOKBACK = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class NextShift:
    """Who comes next (None: nobody on the roster has shift hours) and until when the
    pack looks ahead."""

    until: datetime
    analyst_id: str | None = None
    name: str = ""
    zone: str = ""


@dataclass(frozen=True, slots=True)
class PackItem:
    """An escalation as the pack lists it; `note` says why it is there."""

    esc_id: int
    ref: str
    title: str
    priority: Priority
    status: str
    assignee: str | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class IncidentEntry:
    """An open incident and, per linked escalation, its latest fact ("" when none);
    its stage and who commands it (docs/incidents.md)."""

    incident_id: int
    title: str
    facts: tuple[tuple[str, str, str], ...]  # (ref, title, latest fact)
    status: str = "active"
    commanders: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PendingRequest:
    """A stakeholder request of an open incident still waiting for its answer."""

    incident_id: int
    incident_title: str
    function: str
    asked_of: str
    question: str
    asked_at: datetime
    due: datetime | None
    blocking: bool


@dataclass(frozen=True, slots=True)
class FieldChange:
    at: int
    ref: str
    field: str
    old: str
    new: str
    who: str


@dataclass(frozen=True, slots=True)
class NoteEntry:
    at: int
    ref: str
    text: str


@dataclass(frozen=True, slots=True)
class HandoverPack:
    built_at: datetime
    since: datetime
    since_recorded: bool  # False: no handover recorded yet (the last 24 hours)
    outgoing: str
    next_shift: NextShift
    urgent: tuple[PackItem, ...]
    sla: tuple[PackItem, ...]
    incidents: tuple[IncidentEntry, ...]
    changes: tuple[FieldChange, ...]
    notes: tuple[NoteEntry, ...]
    # the newest timeline event the pack saw: the next pack lists only later ones (times
    # are whole seconds; an event in the second the pack was built is neither lost nor
    # listed twice)
    last_event_id: int = 0
    requests: tuple[PendingRequest, ...] = ()


def pack_since(last: datetime | None, now: datetime) -> tuple[datetime, bool]:
    """Where the pack starts: the last recorded handover, else the last 24 hours."""
    return (last, True) if last is not None else (now - FIRST_PACK_LOOKBACK, False)


def next_shift(now: datetime, outgoing: str,
               shifts: list[tuple[str, str, ShiftSchedule]]) -> NextShift:
    """The next analyst on shift and the end of their shift.

    The outgoing analyst's shift ends at `handoff` (now when they have no shift or are
    off shift); the next analyst is whoever else is on shift at `handoff` or comes on
    first after it (ties: the later end, then the id). Nobody with hours: 8 hours."""
    mine = next((s for who, _n, s in shifts if who == outgoing), None)
    handoff = (mine.shift_end(now) if mine is not None else None) or now
    best: tuple[datetime, datetime, str, str, str] | None = None
    for who, name, shift in shifts:
        if who == outgoing:
            continue
        start = handoff if shift.shift_end(handoff) is not None else shift.next_start(handoff)
        if start is None:
            continue
        end = shift.shift_end(start)
        if end is None:
            continue
        key = (start, -end.timestamp(), who)
        if best is None or key < (best[0], -best[1].timestamp(), best[2]):
            best = (start, end, who, name, shift.zone)
    if best is None:
        return NextShift(now + DEFAULT_NEXT_SHIFT)
    return NextShift(best[1], best[2], best[3], best[4])


# -- text --------------------------------------------------------------------------------


def _when(at: datetime | int) -> str:
    moment = at if isinstance(at, datetime) else datetime.fromtimestamp(at, UTC)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _item_line(i: PackItem) -> str:
    who = i.assignee or "unassigned"
    tail = f" \u2014 {i.note}" if i.note else ""
    return f"{i.priority.name} {i.ref}: {i.title} ({i.status.replace('_', ' ')}, {who}){tail}"


def _request_line(r: PendingRequest, now: datetime) -> str:
    due = "no due time" if r.due is None else (
        f"OVERDUE since {_when(r.due)}" if r.due < now else f"due {_when(r.due)}")
    block = "BLOCKING, " if r.blocking else ""
    who = f" ({r.asked_of})" if r.asked_of else ""
    return (f"#{r.incident_id} {r.incident_title}: {r.function}{who}: {r.question} "
            f"({block}{due}, asked {_when(r.asked_at)})")


def pack_sections(pack: HandoverPack) -> list[tuple[str, list[str]]]:
    """The pack as (heading, lines) in reading order; lines are plain text."""
    nxt = pack.next_shift
    urgent = [_item_line(i) for i in pack.urgent]
    sla = [_item_line(i) for i in pack.sla]
    incidents = []
    for inc in pack.incidents:
        lead = f", commander {', '.join(inc.commanders)}" if inc.commanders else \
            ", no commander"
        incidents.append(f"Incident #{inc.incident_id}: {inc.title} ({inc.status}{lead})")
        incidents += [f"  {ref} {title}: {fact or 'no facts yet'}"
                      for ref, title, fact in inc.facts]
    changes = [f"{_when(c.at)} {c.ref} {c.field} {c.old} \u2192 {c.new} ({c.who})"
               for c in pack.changes]
    notes = [f"{_when(n.at)} {n.ref}: {n.text}" for n in pack.notes]
    return [
        ("Open P0/P1 items", urgent),
        (f"SLA at risk or breached before {_when(nxt.until)}", sla),
        ("Open incidents, latest facts", incidents),
        ("Pending stakeholder requests", [_request_line(r, pack.built_at)
                                          for r in pack.requests]),
        ("Priority, severity and status changes", changes),
        (f"Notes by {pack.outgoing}", notes),
    ]


def _intro(pack: HandoverPack) -> list[str]:
    nxt = pack.next_shift
    incoming = (f"{nxt.name or nxt.analyst_id} ({nxt.zone}), on shift until "
                f"{_when(nxt.until)}" if nxt.analyst_id else
                "nobody on the roster has shift hours: looking "
                f"{DEFAULT_NEXT_SHIFT.seconds // 3600} hours ahead")
    since = (f"since the last handover at {_when(pack.since)}" if pack.since_recorded else
             f"since {_when(pack.since)} (no handover recorded yet: the last 24 hours)")
    return [f"Handed over by {pack.outgoing} at {_when(pack.built_at)}",
            f"Next shift: {incoming}", f"Changes and notes {since}"]


def to_text(pack: HandoverPack) -> str:
    """Plain text, as the app shows it."""
    out = ["Shift handover", *_intro(pack)]
    for heading, lines in pack_sections(pack):
        out += ["", f"{heading} ({len(lines) if lines else 'none'})",
                *(f"- {flat(x)}" if not x.startswith("  ") else f"    {flat(x)}"
                  for x in lines)]
    return "\n".join(out) + "\n"


def to_markdown(pack: HandoverPack) -> str:
    """Markdown; every text is escaped, so a title cannot add links or headings."""
    out = ["# Shift handover", "", *(f"{escape_md(x)}  " for x in _intro(pack))]
    for heading, lines in pack_sections(pack):
        out += ["", f"## {escape_md(heading)}", ""]
        if not lines:
            out.append("None.")
        out += [f"    - {escape_md(x)}" if x.startswith("  ") else f"- {escape_md(x)}"
                for x in lines]
    return "\n".join(out) + "\n"


def to_html(pack: HandoverPack) -> str:
    """A standalone HTML page; every text is escaped."""
    e = html.escape
    out = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\">",
           "<title>Shift handover</title></head><body>", "<h1>Shift handover</h1>",
           *(f"<p>{e(flat(x))}</p>" for x in _intro(pack))]
    for heading, lines in pack_sections(pack):
        out.append(f"<h2>{e(heading)}</h2>")
        if not lines:
            out.append("<p>None.</p>")
            continue
        out.append("<ul>")
        out += [f"<li>{e(flat(x))}</li>" for x in lines]
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
