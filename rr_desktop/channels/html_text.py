"""Untrusted HTML bodies to plain text, safely: the stdlib tokenizer only (no network, no
files, no entity expansion beyond HTML's own character references), what is not text
(scripts, styles, the head) dropped with its content.

One walk for every kind; an `HtmlReading` says what differs between them: which tags
break lines, which are dropped, how a list item starts, whether a link's target stays
readable, and how the result is tidied (each kind tidies as it tidies its plain text).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

_BLANKS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_SPACES = re.compile(r"[ \t\f\v]+")


def tidy_lines(text: str) -> str:
    """Runs of spaces to one, lines trimmed, blank lines at most one in a row."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


@dataclass(frozen=True, slots=True)
class HtmlReading:
    """How a kind reads HTML.

    `blocks`: tags that start and end a line; `skipped`: tags dropped with their content;
    `bullet`: put before a list item's text; `break_after_item`: whether `</li>` ends a
    line too; `void_breaks_once`: `<br/>` (written self-closed) breaks the line once, not
    twice; `link_targets`: a link's http(s)/mailto target stays visible as
    " [link: ...] " (never a live link); `tidy`: what the text then goes through."""

    blocks: frozenset[str]
    skipped: frozenset[str]
    bullet: str = "- "
    break_after_item: bool = True
    void_breaks_once: bool = True
    link_targets: bool = False
    tidy: Callable[[str], str] = tidy_lines


# A document body as a REST tool or a form sends it.
DOCUMENT = HtmlReading(
    blocks=frozenset({
        "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p",
        "pre", "section", "table", "td", "th", "tr", "ul"}),
    skipped=frozenset({"script", "style", "template", "head", "title", "noscript"}),
)


class _Text(HTMLParser):
    def __init__(self, reading: HtmlReading) -> None:
        super().__init__(convert_charrefs=True)
        self.reading = reading
        self.parts: list[str] = []
        self.links: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        r = self.reading
        if tag in r.skipped:
            self.skipping += 1
        elif tag in r.blocks:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append(r.bullet)
        if r.link_targets and tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href if href.startswith(("http://", "https://", "mailto:"))
                              else "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.reading.void_breaks_once:
            super().handle_startendtag(tag, attrs)  # as an opening and a closing tag
        elif tag in self.reading.blocks:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        r = self.reading
        if tag in r.skipped:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in r.blocks:
            if tag != "li" or r.break_after_item:
                self.parts.append("\n")
        elif r.link_targets and tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self.parts.append(f" [link: {href[:2000]}] ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str, reading: HtmlReading = DOCUMENT) -> str:
    """The readable text of an HTML fragment, read as `reading` says; markup, scripts
    and styles are gone."""
    parser = _Text(reading)
    parser.feed(html)
    parser.close()
    return reading.tidy("".join(parser.parts))
