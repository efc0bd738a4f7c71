"""The post-mortem editor's text work, without widgets: Markdown to safe HTML (the preview
and the exports, through the one sanitizer of safe_html.py), the template the analyst
keeps, and the edits its keys make (headings, list items, links, action items).

Rendering: markdown-it-py with raw HTML off (CommonMark, tables on), then `sanitize`
(docs/security.md): no images, no styles, no remote resources. HTML comments (the auto
part markers, the template's hints) are for the source only and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..domain.postmortem_doc import split_sections
from ..locations import resource_path
from ..store.postmortems import MAX_TEXT
from .safe_html import sanitize
from .text import reveal_invisibles

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

_COMMENT_LINE = re.compile(r"^\s*<!--.*-->\s*$")
_HEADING = re.compile(r"^(#{1,6}) +")
_BULLET = re.compile(r"^(\s*)[-*+] +")
@cache
def _markdown() -> MarkdownIt:
    """The renderer, made on first use: markdown-it loads when a post-mortem is first
    shown, not with the window (docs/performance.md, first paint)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")

USER_TEMPLATE = Path("templates") / "postmortem.md"


def source_only_removed(text: str) -> str:
    """The text without whole-line HTML comments (auto part markers, hints)."""
    return "".join(line for line in text.splitlines(keepends=True)
                   if not _COMMENT_LINE.match(line))


def safe_html(markdown: str) -> str:
    """The document as sanitized HTML (a body fragment)."""
    return sanitize(_markdown().render(reveal_invisibles(source_only_removed(markdown))))


class SectionRenderer:
    """The preview's HTML, re-rendering only the sections that changed (typing changes
    one; a 20-page draft renders in ~0.3 s whole). A section on its own renders as it
    does in the whole document: a level-2 heading closes every open block."""

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}

    def render(self, markdown: str) -> str:
        sections = [s.text() for s in split_sections(markdown)]
        cache = {t: self._cache.get(t) or safe_html(t) for t in sections}
        self._cache = cache
        return "".join(cache[t] for t in sections)


@dataclass(frozen=True, slots=True)
class Template:
    text: str
    problem: str  # "" or why the analyst's own template was not used


def load_template(data_dir: Path) -> Template:
    """The analyst's own template (`<data dir>/templates/postmortem.md`) if there is a
    good one, else the bundled one; `problem` says why theirs was not used."""
    bundled = resource_path("templates", "postmortem.md").read_text(encoding="utf-8")
    path = data_dir / USER_TEMPLATE
    if not path.exists():
        return Template(bundled, "")
    why = ""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        why = f"it cannot be read ({exc.strerror or exc})"
    except UnicodeDecodeError:
        why = "it is not UTF-8 text"
    else:
        if len(text) > MAX_TEXT:
            why = "it is longer than 2,000,000 characters"
        elif not any(s.heading for s in split_sections(text)):
            why = "it has no \"## \" section headings"
    if why:
        return Template(bundled, f"Your post-mortem template {path} was not used: {why}; "
                                 "the bundled template was used instead.")
    return Template(text, "")


# -- edits (pure: text in, replacement lines out) -----------------------------------------


def toggle_heading(line: str, level: int) -> str:
    """`line` as a heading of `level`; a heading of that level already: plain text."""
    found = _HEADING.match(line)
    bare = line[found.end():] if found else line
    if found and len(found.group(1)) == level:
        return bare
    return "#" * level + " " + bare.lstrip()


def toggle_bullets(lines: list[str]) -> list[str]:
    """Every line a list item; all of them already: plain lines. Blank lines stay."""
    filled = [ln for ln in lines if ln.strip()]
    if filled and all(_BULLET.match(ln) for ln in filled):
        return [_BULLET.sub(r"\1", ln, count=1) for ln in lines]
    return [ln if not ln.strip() or _BULLET.match(ln) else
            re.sub(r"^(\s*)", r"\1- ", ln, count=1) for ln in lines]


def action_insertion(text: str, line: str) -> tuple[int, str]:
    """Where and what to insert to add an action item `line`: (character offset, text).
    It goes after the last non-blank line of the "Action items" section, or, with no
    such section, into a new one at the end of the document."""
    offset = 0
    for section in split_sections(text):
        start = min(offset + len(section.text()) - len(section.body), len(text))
        offset += len(section.text())
        if section.key == "action items":
            kept = section.body.rstrip("\n")
            if kept:
                return start + len(kept), "\n" + line
            lead = "" if start == 0 or text[start - 1] == "\n" else "\n"
            return start, lead + line + "\n"
    lead = "" if not text or text.endswith("\n") else "\n"
    return len(text), f"{lead}\n## Action items\n{line}\n"
