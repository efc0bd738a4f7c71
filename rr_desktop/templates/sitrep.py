"""Situation reports drafted from an incident's folded state (docs/templates.md).

Two audiences, each a template file under `templates/sitreps/`: `team` (conditions,
actions, needs: for the people working it) and `exec` (status, overview, next steps: for
leadership). The analyst's `<data dir>/templates/sitreps/<audience>.md` replaces the
shipped one. This module computes the values (scalars and bullet lists) from the state
and fills the template in one pass; the text is a draft for the analyst to edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from ..domain.incident import IncidentState, metrics
from ..locations import resource_path
from .front_matter import TemplateFileError, split_front_matter
from .placeholders import fill, placeholders, stray_braces

AUDIENCES = ("team", "exec")
MAX_FACTS = 6
MAX_LINKS = 10

SITREP_PLACEHOLDERS: dict[str, str] = {
    "incident_title": "the incident's title",
    "incident_type": "its type (a playbook incident type)",
    "severity": "S0..S3", "priority": "P0..P4",
    "status": "active, contained, stable, resolved or closed",
    "markets": "its markets, comma separated",
    "summary": "its summary",
    "declared_at": "when it was declared", "as_of": "when the draft was made",
    "duration": "how long since it was declared",
    "commander": "who holds the role now", "scribe": "who holds the role now",
    "liaison": "who holds the role now",
    "metrics": "time to detect, acknowledge, contain, resolve (those reached)",
    "key_facts": "pinned facts, else the latest (a list)",
    "linked_escalations": "the escalations linked to it (a list)",
    "links_count": "how many escalations are linked",
    "containment": "containment actions with their state (a list)",
    "steps_progress": "required playbook steps done of all",
    "steps_done": "playbook steps done (a list)",
    "next_steps": "required steps not done, actions under way, open requests (a list)",
    "needs": "blocking or overdue requests and roles nobody holds (a list)",
    "conflicts": "fields two people set differently (a list)",
}


@dataclass(frozen=True, slots=True)
class SitrepTemplate:
    """One audience's template: its title and body (placeholders checked)."""

    audience: str
    title: str
    body: str
    path: Path


def parse_sitrep_template(text: str, audience: str, path: Path) -> SitrepTemplate:
    front, body = split_front_matter(text, str(path), frozenset({"title"}))
    if not front.get("title"):
        raise TemplateFileError(f"{path} has no title in its front matter.")
    unknown = [n for n in placeholders(body) if n not in SITREP_PLACEHOLDERS]
    if unknown:
        raise TemplateFileError(f"{path} uses {{{unknown[0]}}}, which is not a sitrep "
                                f"placeholder (known: {', '.join(SITREP_PLACEHOLDERS)}).")
    stray = stray_braces(body)
    if stray:
        raise TemplateFileError(f"{path} has {stray[0]!r}, which is not a placeholder "
                                "(write {{ and }} for literal braces).")
    return SitrepTemplate(audience, front["title"], body, path)


def load_sitrep_template(audience: str, data_dir: Path | None = None,
                         ) -> tuple[SitrepTemplate, str | None]:
    """The template for `audience`: the analyst's own if it loads, else the shipped one;
    with the sentence saying why the analyst's was left out (or None)."""
    if audience not in AUDIENCES:
        raise ValueError(f"no sitrep audience {audience!r} (one of {', '.join(AUDIENCES)})")
    problem = None
    if data_dir is not None:
        own = data_dir / "templates" / "sitreps" / f"{audience}.md"
        if own.is_file():
            try:
                return parse_sitrep_template(_read(own), audience, own), None
            except TemplateFileError as exc:
                problem = str(exc)
    shipped = resource_path("templates", "sitreps", f"{audience}.md")
    return parse_sitrep_template(_read(shipped), audience, shipped), problem


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TemplateFileError(f"{path} is not UTF-8 text.") from None
    except OSError as exc:
        raise TemplateFileError(f"{path} could not be read ({exc.strerror or exc}).") \
            from None


def _when(at: datetime | None, zone: tzinfo) -> str | None:
    if at is None:
        return None
    local = at.astimezone(zone)
    offset = local.strftime("%z")
    shown = "UTC" if offset in ("", "+0000") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{local:%Y-%m-%d %H:%M} ({shown})"


def span(delta: timedelta) -> str:
    """A duration as people say it: "45 min", "3 h 20 min", "2 d 4 h"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def _bullets(lines: Sequence[str], empty: str) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else f"- {empty}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def sitrep_values(state: IncidentState, now: datetime, zone: tzinfo) -> dict[str, str | None]:
    """Every sitrep placeholder's value for `state` at `now` (None: no value; it shows
    as "[label?]" for the analyst to fill in)."""
    m = metrics(state)
    reached = [(name, d) for name, d in (("detect", m.detect), ("acknowledge", m.acknowledge),
                                         ("contain", m.contain), ("resolve", m.resolve))
               if d is not None]
    pinned = [f for f in state.facts if f.pinned]
    facts = pinned or state.facts[-MAX_FACTS:]
    key_facts = [f"{_when(f.at, zone)} {_one_line(f.text)} ({f.actor})"
                 for f in facts[-MAX_FACTS:]]
    links = [f"{ln.external_id} {_one_line(ln.title)} ({ln.market}, "
             f"{ln.category.replace('_', ' ')})" for ln in state.links[:MAX_LINKS]]
    if len(state.links) > MAX_LINKS:
        links.append(f"and {len(state.links) - MAX_LINKS} more")
    containment = [f"{_one_line(c.text)}: {c.state.replace('_', ' ')}"
                   for c in state.containment]
    steps = [(run, st) for run in state.runs for st in run.steps]
    required = [st for _run, st in steps if st.required]
    done = [f"{st.title} ({_when(st.done_at, zone)}, {st.done_by})"
            for _run, st in steps if st.done]
    open_steps = [f"{st.title}" + (f" ({st.role})" if st.role else "")
                  for st in required if not st.done]
    under_way = [f"{_one_line(c.text)} (under way)" for c in state.containment
                 if c.state == "in_progress"]
    open_requests = [r for r in state.requests if r.status == "open"]
    asked = [f"{r.function}: {_one_line(r.question)}" + (f" (due {_when(r.due, zone)})"
                                                          if r.due else "")
             for r in open_requests]
    needs = [f"{'BLOCKING ' if r.blocking else ''}{'OVERDUE ' if r.overdue(now) else ''}"
             f"{r.function} ({r.asked_of or 'nobody named'}): {_one_line(r.question)}"
             for r in open_requests if r.blocking or r.overdue(now)]
    needs += [f"a {role}: nobody holds the role" for role in ("commander", "scribe", "liaison")
              if not state.holders(role)]
    conflicts = [f"{c.field}: " + " / ".join(f"{_one_line(str(v[1]))} ({v[2]})"
                                            for v in c.values)
                 for c in state.conflicts]
    declared = state.declared_at
    return {
        "incident_title": state.title or None,
        "incident_type": state.type.replace("_", " ") or None,
        "severity": state.severity or None,
        "priority": state.priority or None,
        "status": state.status,
        "markets": ", ".join(state.markets) or None,
        "summary": _one_line(state.summary) or None,
        "declared_at": _when(declared, zone),
        "as_of": _when(now, zone),
        "duration": None if declared is None else span(now - declared),
        "commander": ", ".join(state.holders("commander")) or "nobody",
        "scribe": ", ".join(state.holders("scribe")) or "nobody",
        "liaison": ", ".join(state.holders("liaison")) or "nobody",
        "metrics": "; ".join(f"time to {name} {span(d)}" for name, d in reached)
                   or "no milestone reached yet",
        "key_facts": _bullets(key_facts, "no facts logged yet"),
        "linked_escalations": _bullets(links, "none linked"),
        "links_count": str(len(state.links)),
        "containment": _bullets(containment, "none recorded"),
        "steps_progress": (f"{sum(st.done for st in required)} of {len(required)} required "
                           "steps done") if required else "no playbook running",
        "steps_done": _bullets(done, "none yet"),
        "next_steps": _bullets([*open_steps, *under_way, *asked], "none recorded"),
        "needs": _bullets(needs, "nothing blocking"),
        "conflicts": _bullets(conflicts, "none"),
    }


def draft_sitrep(state: IncidentState, audience: str, now: datetime,
                 zone: tzinfo = UTC, template: SitrepTemplate | None = None) -> str:
    """The sitrep draft for `audience` ("team" or "exec") from the incident's state at
    `now`, times in `zone`; the shipped template unless one is given
    (`load_sitrep_template` finds the analyst's own)."""
    if template is None:
        template, _problem = load_sitrep_template(audience)
    return fill(template.body, sitrep_values(state, now, zone)).text.strip() + "\n"
