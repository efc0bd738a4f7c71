"""A post-mortem as a Markdown document of sections (docs/postmortems.md).

The document is the unit the analyst writes and the service stores: a title line, then
level-2 sections ("## Summary", "## Timeline", ...). Sections are what merges work on
(`merge_by_section`) and what the auto parts of the template fill: an auto section's body
sits between an opening marker that carries a digest of what was generated and a closing
marker, so refreshing it from the incident replaces only text the analyst has not edited.
Pure: no I/O, no Qt.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

_HEADING = re.compile(r"^## +(.+?)\s*$")
_AUTO_OPEN = re.compile(r"^<!-- rr:auto (?P<name>[a-z_]+) (?P<digest>[0-9a-f]{12}) -->$")
AUTO_CLOSE = "<!-- rr:end -->"
_LINES = re.compile(r"[^\n]*\n|[^\n]+")


@dataclass(frozen=True, slots=True)
class Section:
    """`heading` is "" for the text before the first "## " heading (the title block)."""

    heading: str
    body: str
    line: str = ""  # the heading line as written (its spacing and line end), if read

    @property
    def key(self) -> str:
        return " ".join(self.heading.lower().split())

    def text(self) -> str:
        if not self.heading:
            return self.body
        return (self.line or f"## {self.heading}\n") + self.body


def split_sections(text: str) -> list[Section]:
    """The document's sections in order; joining them gives `text` back exactly."""
    sections: list[Section] = []
    heading, raw, lines = "", "", list[str]()
    # Only "\n" ends a line: splitlines() also breaks at U+2028, VT and the like, and the
    # join could not give those back.
    for line in _LINES.findall(text):
        found = _HEADING.match(line.rstrip("\r\n"))
        if found is not None:
            sections.append(Section(heading, "".join(lines), raw))
            heading, raw, lines = found.group(1), line, []
        else:
            lines.append(line)
    sections.append(Section(heading, "".join(lines), raw))
    if sections and sections[0].heading == "" and sections[0].body == "" and len(sections) > 1:
        sections = sections[1:]
    return sections


def join_sections(sections: list[Section]) -> str:
    out: list[str] = []
    for s in sections:
        chunk = s.text()
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out.append(chunk)
    return "".join(out)


def outline(text: str) -> list[tuple[int, str]]:
    """(line number, heading) of every Markdown heading, for outline navigation."""
    found = []
    in_fence = False
    for n, line in enumerate(text.splitlines()):
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and (m := re.match(r"^(#{1,6}) +(.+?)\s*$", line)):
            found.append((n, m.group(1) + " " + m.group(2)))
    return found


# -- three-way merge by section -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SectionConflict:
    """One section both sides changed differently: base, mine and theirs, all kept."""

    heading: str
    base: str | None
    mine: str | None  # None: deleted on that side
    theirs: str | None


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The merged text, and the sections only a person can merge. In `text`, a
    conflicting section holds *mine* (nothing is dropped: `conflicts` keeps theirs)."""

    text: str
    conflicts: list[SectionConflict]


def merge_by_section(base: str, mine: str, theirs: str) -> MergeResult:
    """Three-way merge: a section changed on one side only takes that side's version;
    changed identically on both, that; changed differently (or deleted on one side and
    edited on the other), a conflict. Sections added on either side are kept, in
    their order after the section they followed."""
    b = {s.key: s for s in split_sections(base)}
    m_list, t_list = split_sections(mine), split_sections(theirs)
    m, t = {s.key: s for s in m_list}, {s.key: s for s in t_list}
    conflicts: list[SectionConflict] = []
    chosen: dict[str, Section | None] = {}
    for key in [*t, *(k for k in m if k not in t), *(k for k in b if k not in m and k not in t)]:
        bs, ms, ts = b.get(key), m.get(key), t.get(key)
        btx, mtx, ttx = (None if s is None else s.text() for s in (bs, ms, ts))
        if mtx == ttx:
            chosen[key] = ms
        elif mtx == btx:
            chosen[key] = ts
        elif ttx == btx:
            chosen[key] = ms
        else:
            heading = next(s.heading for s in (ms, ts, bs) if s is not None)
            conflicts.append(SectionConflict(heading, _body(bs), _body(ms), _body(ts)))
            chosen[key] = ms if ms is not None else ts
    order = _order([s.key for s in t_list], [s.key for s in m_list])
    merged = [s for k in order if (s := chosen.get(k)) is not None]
    return MergeResult(join_sections(merged), conflicts)


def _body(s: Section | None) -> str | None:
    return None if s is None else s.body


def _order(theirs: list[str], mine: list[str]) -> list[str]:
    """Their order, with sections only mine has inserted after the one they follow."""
    out = list(theirs)
    for i, key in enumerate(mine):
        if key in out:
            continue
        prev = next((mine[j] for j in range(i - 1, -1, -1) if mine[j] in out), None)
        out.insert(0 if prev is None else out.index(prev) + 1, key)
    return out


def resolve_section(text: str, heading: str, body: str) -> str:
    """`text` with section `heading`'s body replaced by `body` (the analyst's merge)."""
    key = " ".join(heading.lower().split())
    sections = split_sections(text)
    for i, s in enumerate(sections):
        if s.key == key:
            sections[i] = Section(s.heading, body if body.endswith("\n") else body + "\n",
                                  s.line if s.line.endswith("\n") else "")
            return join_sections(sections)
    return join_sections([*sections, Section(heading, body)])


# -- auto sections ---------------------------------------------------------------------


def digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:12]


def auto_block(name: str, body: str) -> str:
    """An auto part as the document holds it: markers around the generated body."""
    body = body if body.endswith("\n") else body + "\n"
    return f"<!-- rr:auto {name} {digest(body)} -->\n{body}{AUTO_CLOSE}\n"


@dataclass(frozen=True, slots=True)
class Refresh:
    text: str
    refreshed: list[str]
    kept: list[str]  # auto parts the analyst edited: left as they wrote them


def refresh_auto(text: str, generated: Mapping[str, str]) -> Refresh:
    """Replace each auto part whose body is still what was generated (its digest
    matches) with the newly generated body; keep edited ones untouched."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    refreshed: list[str] = []
    kept: list[str] = []
    i = 0
    while i < len(lines):
        opened = _AUTO_OPEN.match(lines[i].rstrip("\r\n"))
        if opened is None:
            out.append(lines[i])
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines))
                    if lines[j].rstrip("\r\n") == AUTO_CLOSE), None)
        if end is None:  # an unclosed marker: text, not a part
            out.append(lines[i])
            i += 1
            continue
        name, body = opened.group("name"), "".join(lines[i + 1:end])
        if name in generated and digest(body) == opened.group("digest"):
            out.append(auto_block(name, generated[name]))
            refreshed.append(name)
        else:
            out.extend(lines[i:end + 1])
            if name in generated:
                kept.append(name)
        i = end + 1
    return Refresh("".join(out), refreshed, kept)


def fill_template(template: str, generated: Mapping[str, str]) -> str:
    """The template with `{{auto:name}}` lines replaced by auto blocks; other lines as
    they are. A name the incident cannot fill becomes an empty block."""
    out = []
    for line in template.splitlines(keepends=True):
        m = re.fullmatch(r"\{\{auto:([a-z_]+)\}\}\s*", line)
        out.append(auto_block(m.group(1), generated.get(m.group(1), "")) if m else line)
    return "".join(out)
