"""The recommendation report (docs/trends.md): the period and its filter, the headline
figures with their change from the previous period, the findings with their evidence,
the recommendations, and the charts as PNG images embedded as data URIs, in Markdown or
HTML. Every text from the cache is escaped: category, market and channel names are data.
(PDF is printed from the HTML by the GUI, with Qt.)"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..domain.sla import SlaKind
from .findings import Finding
from .metrics import Change, human_duration, top
from .recommendations import Recommendation
from .snapshot import Snapshot
from .zones import MARKET_LOCAL


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart image for the report: its title and PNG bytes."""

    title: str
    png: bytes

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def _day(at: int) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.1f}%"


def _filter_lines(s: Snapshot) -> list[str]:
    f = s.filter
    zone = "each market's local time" if f.zone == MARKET_LOCAL else f.zone
    chosen = [("Markets", ", ".join(f.markets)), ("Regions", ", ".join(f.regions)),
              ("Categories", ", ".join(f.categories)),
              ("Channels", ", ".join(s.channels.get(c, str(c)) for c in f.channel_ids))]
    return ([f"Period: {_day(f.start)} to {_day(f.end)} (buckets per {f.bucket.value}, "
             f"in {zone})"]
            + [f"{name}: {value or 'all'}" for name, value in chosen])


def headline(s: Snapshot) -> list[tuple[str, str, str]]:
    """(figure, value now, change from the previous period) rows."""
    rows = [("Escalations", f"{s.total.current:.0f}", s.total.text())]
    names = {SlaKind.ACKNOWLEDGE: "acknowledge", SlaKind.CONTAIN: "contain",
             SlaKind.RESOLVE: "resolve"}
    for kind, name in names.items():
        now, before = s.clocks[kind], s.clocks_before[kind]
        p50, p50b = now.p(50), before.p(50)
        change = ("-" if p50 is None or p50b is None
                  else Change(p50 / 60, p50b / 60).text(" min"))
        rows.append((f"Time to {name}, median (p90)",
                     f"{human_duration(p50)} ({human_duration(now.p(90))})", change))
        rate, rate_b = s.breaches.get(("", kind)), s.breaches_before.get(("", kind))
        r, rb = (rate.rate if rate else None), (rate_b.rate if rate_b else None)
        rows.append((f"SLA breached: {name}",
                     f"{_pct(r)} of {rate.decided if rate else 0}",
                     "-" if r is None or rb is None
                     else Change(100 * r, 100 * rb).text(" pts").split(" (")[0]))
    i, ib = s.incidents, s.incidents_before
    rows.append(("Incidents declared", str(i.declared),
                 Change(i.declared, ib.declared).text()))
    rows.append(("Incident time to contain, median", human_duration(i.to_contain.p(50)), ""))
    rows.append(("Incident time to resolve, median", human_duration(i.to_resolve.p(50)), ""))
    return rows


def _tops(s: Snapshot) -> list[tuple[str, list[tuple[str, str, str]]]]:
    def rows(changes: Mapping[str, Change]) -> list[tuple[str, str, str]]:
        counts = {k: int(c.current) for k, c in changes.items()}
        return [(k, str(n), changes[k].text()) for k, n in top(counts, 8) if n]
    return [("By category", rows(s.by_category)), ("By market", rows(s.by_market)),
            ("Top sources (channels)", rows(s.by_channel)),
            ("Reporter types", rows(s.reporter_types))]


def _finding_lines(x: Finding) -> list[str]:
    ids = ", ".join(str(i) for i in x.escalation_ids[:30])
    more = f" and {len(x.escalation_ids) - 30} more" if len(x.escalation_ids) > 30 else ""
    return [x.summary(), f"baseline weeks: {', '.join(str(v) for v in x.baseline)}",
            f"escalations: {ids}{more}" if ids else "escalations: none cached"]


def markdown(s: Snapshot, recs: Sequence[Recommendation], charts: Sequence[Chart] = (),
             title: str = "Trends and recommendations") -> str:
    """The report as Markdown (charts as data-URI images)."""
    def esc(text: str) -> str:
        return "".join("\\" + ch if ch in "\\`*_[]<>|#" else ch for ch in text)

    out = [f"# {esc(title)}", ""]
    out += [f"- {esc(line)}" for line in _filter_lines(s)] + [""]
    out += ["## Headline", "", "| Figure | Now | Change |", "|---|---|---|"]
    out += [f"| {esc(a)} | {esc(b)} | {esc(c)} |" for a, b, c in headline(s)] + [""]
    for name, rows in _tops(s):
        out += [f"### {name}", "", "| | Escalations | Change |", "|---|---|---|"]
        out += [f"| {esc(a)} | {b} | {esc(c)} |" for a, b, c in rows] + [""]
    out += ["## Findings", "", f"Method: {esc(s.surge.method())}.", ""]
    if not s.findings:
        out += ["No surge in this period.", ""]
    for n, x in enumerate(s.findings, 1):
        lines = _finding_lines(x)
        out += [f"{n}. {esc(lines[0])}"] + [f"   - {esc(line)}" for line in lines[1:]]
    out += ["", "## Recommendations", ""]
    if not recs:
        out += ["None yet.", ""]
    for n, r in enumerate(recs, 1):
        out.append(f"{n}. **{esc(r.owner.value)}**: {esc(r.text)}")
        if r.data is not None:
            out.append(f"   - from finding {esc(r.finding)}: {r.data.observed} seen, "
                       f"{r.data.expected:g} expected; escalations "
                       f"{', '.join(str(i) for i in r.data.escalation_ids[:30])}")
    if charts:
        out += ["", "## Charts", ""]
        out += [f"![{esc(c.title)}]({c.data_uri()})\n" for c in charts]
    return "\n".join(out) + "\n"


def to_html(s: Snapshot, recs: Sequence[Recommendation], charts: Sequence[Chart] = (),
            title: str = "Trends and recommendations",
            src: Callable[[int, Chart], str] | None = None) -> str:
    """The report as one self-contained HTML page (charts embedded as data URIs, or
    named by `src(index, chart)` for a renderer that is handed the images itself)."""
    e = html.escape
    out = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\">",
           f"<title>{e(title)}</title>",
           "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
           "table{border-collapse:collapse}td,th{border:1px solid #999;padding:2px 8px;"
           "text-align:left}img{max-width:100%}</style></head><body>",
           f"<h1>{e(title)}</h1>", "<ul>"]
    out += [f"<li>{e(line)}</li>" for line in _filter_lines(s)] + ["</ul>"]

    def table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
        t = ["<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>"]
        t += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows]
        return [*t, "</table>"]

    out += ["<h2>Headline</h2>", *table(("Figure", "Now", "Change"), headline(s))]
    for name, rows in _tops(s):
        out += [f"<h3>{e(name)}</h3>", *table(("", "Escalations", "Change"), rows)]
    out += ["<h2>Findings</h2>", f"<p>Method: {e(s.surge.method())}.</p>"]
    if not s.findings:
        out.append("<p>No surge in this period.</p>")
    else:
        out.append("<ol>")
        for x in s.findings:
            first, *rest = _finding_lines(x)
            out.append(f"<li>{e(first)}<ul>" + "".join(f"<li>{e(r)}</li>" for r in rest)
                       + "</ul></li>")
        out.append("</ol>")
    out.append("<h2>Recommendations</h2>")
    if not recs:
        out.append("<p>None yet.</p>")
    else:
        out.append("<ol>")
        for r in recs:
            item = f"<li><b>{e(r.owner.value)}</b>: {e(r.text)}"
            if r.data is not None:
                item += (f"<br><small>from finding {e(r.finding)}: {r.data.observed} seen, "
                         f"{r.data.expected:g} expected; escalations "
                         f"{e(', '.join(str(i) for i in r.data.escalation_ids[:30]))}"
                         "</small>")
            out.append(item + "</li>")
        out.append("</ol>")
    if charts:
        out.append("<h2>Charts</h2>")
        out += [f"<h3>{e(c.title)}</h3><p><img alt=\"{e(c.title)}\" "
                f"src=\"{e(src(i, c) if src else c.data_uri())}\" width=\"640\"></p>"
                for i, c in enumerate(charts)]
    out.append("</body></html>")
    return "\n".join(out) + "\n"
