"""What a post-mortem's auto parts say, drafted from the incident (docs/postmortems.md):
header, timeline from pinned facts and stage changes, metrics, the stakeholder
communications log, linked escalations. Pure: an IncidentState in, Markdown out. Every
text from the incident is escaped, so a fact cannot add a heading or a link."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .incident import IncidentState, metrics
from .markdown_text import escape_md as md

AUTO_PARTS = ("header", "timeline", "metrics", "communications", "escalations")


def _when(at: datetime | None, zone: ZoneInfo) -> str:
    if at is None:
        return "—"
    local = at.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _span(d: timedelta | None) -> str:
    if d is None:
        return "not reached"
    minutes = int(d.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def generate(state: IncidentState, zone: ZoneInfo) -> dict[str, str]:
    """Each auto part's Markdown body."""
    parts: dict[str, Callable[[IncidentState, ZoneInfo], str]] = {
        "header": _header, "timeline": _timeline, "metrics": _metrics,
        "communications": _communications, "escalations": _escalations}
    return {name: fn(state, zone) for name, fn in parts.items()}


def _header(s: IncidentState, zone: ZoneInfo) -> str:
    held = {r: sorted({md(x.analyst) for x in s.roles if x.role == r})
            for r in ("commander", "scribe", "liaison")}
    roles = "; ".join(f"{r}: {', '.join(who)}" for r, who in held.items() if who) \
        or "none recorded"
    return "\n".join([
        f"- **Incident:** {md(s.title)}",
        f"- **Severity / priority:** {s.severity} / {s.priority}",
        f"- **Markets:** {', '.join(s.markets) or '—'}",
        f"- **Status:** {s.status}",
        f"- **Declared:** {_when(s.declared_at, zone)} by {md(s.declared_by)}",
        *(f"- **{stage.capitalize()}:** {_when(at, zone)}"
          for stage, at in s.stage_times.items() if stage != "active"),
        f"- **Roles:** {roles}",
    ]) + "\n"


def _timeline(s: IncidentState, zone: ZoneInfo) -> str:
    rows = [(e.at, f"{md(e.text)} ({md(e.actor)})") for e in s.timeline
            if e.pinned or e.kind in ("declare",)
            or (e.kind == "field" and e.text.startswith("status:"))]
    if not rows:
        return "No pinned facts yet: pin the facts that matter on the incident (p).\n"
    return "\n".join(f"- {_when(at, zone)}: {text}" for at, text in sorted(rows,
                                                                         key=lambda r: r[0])) + "\n"


def _metrics(s: IncidentState, zone: ZoneInfo) -> str:
    m = metrics(s)
    return "\n".join([
        "| Measure | Value |", "|---|---|",
        f"| Time to detect | {_span(m.detect)} |",
        f"| Time to acknowledge | {_span(m.acknowledge)} |",
        f"| Time to contain | {_span(m.contain)} |",
        f"| Time to resolve | {_span(m.resolve)} |",
        f"| Linked escalations | {len(s.links)} |",
        f"| Stakeholder requests | {len(s.requests)} |",
    ]) + "\n"


def _communications(s: IncidentState, zone: ZoneInfo) -> str:
    rows = []
    for r in s.requests:
        answer = f" — answered {_when(r.answered_at, zone)}: {md(r.answer)}" \
            if r.status == "answered" else f" — {r.status}"
        block = " (blocking)" if r.blocking else ""
        rows.append((r.asked_at, f"{md(r.function)}{block}, asked of {md(r.asked_of) or '—'}: "
                                 f"{md(r.question)}{answer}"))
    rows += [(x.at, f"{x.audience} sitrep sent by {md(x.actor)}") for x in s.sitreps]
    if not rows:
        return "No stakeholder requests or sitreps recorded.\n"
    return "\n".join(f"- {_when(at, zone)}: {text}"
                     for at, text in sorted(rows, key=lambda r: r[0])) + "\n"


def _escalations(s: IncidentState, zone: ZoneInfo) -> str:
    if not s.links:
        return "No escalations linked.\n"
    return "\n".join(f"- {md(ln.external_id)}: {md(ln.title)} ({md(ln.category) or '—'}, "
                     f"{md(ln.market) or '—'}; reported {_when(ln.reported_at, zone)})"
                     for ln in s.links) + "\n"
