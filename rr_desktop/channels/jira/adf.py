"""Atlassian Document Format (ADF) <-> plain text, as a pure walk of a JSON tree.

ADF (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/) is a
tree of block nodes (paragraph, heading, lists, table, codeBlock, blockquote, panel...)
and inline nodes (text with marks, hardBreak, mention, emoji, date, status, inlineCard,
media). Jira Cloud REST v3 returns issue descriptions and comment bodies in it.

Rendering never produces markup, never follows a URL and never reads a file: link targets
and card URLs are kept as visible text. Untrusted input is tolerated: unknown node types
render their children, wrongly typed values are skipped, and three budgets bound the work
(nesting depth, nodes visited, characters produced), so a hostile document cannot exhaust
the stack, the CPU or memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_DEPTH = 64
MAX_NODES = 200_000
MAX_CHARS = 200_000
TRUNCATED = "[... truncated]"
TOO_DEEP = "[... nested too deeply]"

_BLOCKS = frozenset({
    "paragraph", "heading", "codeBlock", "panel", "expand", "nestedExpand", "rule",
    "mediaSingle", "mediaGroup", "blockCard", "embedCard", "decisionItem", "table",
    "layoutSection", "layoutColumn", "bodiedExtension", "extension", "taskItem",
})
_MANY_NEWLINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


@dataclass(slots=True)
class _Budget:
    max_chars: int
    chars: int = 0
    nodes: int = 0
    truncated: bool = False
    too_deep: bool = False

    def take(self, text: str) -> str:
        if self.truncated:
            return ""
        room = self.max_chars - self.chars
        if len(text) > room:
            self.truncated = True
            text = text[:max(room, 0)]
        self.chars += len(text)
        return text


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _text_leaf(node: dict[str, Any]) -> str:
    text = _clean(_str(node.get("text")))
    marks = node.get("marks")
    if isinstance(marks, list):
        for mark in marks:
            if isinstance(mark, dict) and mark.get("type") == "link":
                attrs = mark.get("attrs")
                href = _clean(_str(attrs.get("href"))) if isinstance(attrs, dict) else ""
                if href and href != text:
                    text = f"{text} ({href})"
    return text


def _date(attrs: dict[str, Any]) -> str:
    raw = attrs.get("timestamp")
    try:
        millis = int(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else None
        if millis is None:
            return ""
        return datetime.fromtimestamp(millis / 1000, UTC).date().isoformat()
    except (ValueError, OverflowError, OSError):
        return ""


def _leaf(kind: str, node: dict[str, Any], attrs: dict[str, Any]) -> str | None:
    """Text of an inline node that has no children worth walking; None if not a leaf."""
    if kind == "text":
        return _text_leaf(node)
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return _clean(_str(attrs.get("text")) or "@" + _str(attrs.get("id")))
    if kind == "emoji":
        return _clean(_str(attrs.get("text")) or _str(attrs.get("shortName")))
    if kind == "date":
        return _date(attrs)
    if kind == "status":
        label = _clean(_str(attrs.get("text")))
        return f"[{label}]" if label else ""
    if kind in ("inlineCard", "blockCard", "embedCard"):
        return _clean(_str(attrs.get("url")))
    if kind in ("media", "mediaInline"):
        alt = _clean(_str(attrs.get("alt")))
        return f"[attachment: {alt}]" if alt else "[attachment]"
    if kind == "rule":
        return "----"
    if kind in ("placeholder", "extension", "inlineExtension"):
        return ""
    return None


def _indent(text: str, first: str, rest: str) -> str:
    lines = text.strip("\n").split("\n")
    return "\n".join([first + lines[0], *(rest + line for line in lines[1:])])


def _render(node: Any, budget: _Budget, depth: int) -> str:
    if budget.truncated or not isinstance(node, dict):
        return ""
    budget.nodes += 1
    if budget.nodes > MAX_NODES:
        budget.truncated = True
        return ""
    if depth > MAX_DEPTH:
        budget.too_deep = True
        return ""
    kind = _str(node.get("type"))
    attrs = node.get("attrs")
    attrs = attrs if isinstance(attrs, dict) else {}
    leaf = _leaf(kind, node, attrs)
    if leaf is not None:
        text = budget.take(leaf)
        return text + "\n\n" if kind in _BLOCKS else text
    children = node.get("content")
    items = children if isinstance(children, list) else []
    if kind in ("bulletList", "orderedList", "taskList", "decisionList"):
        return _list(kind, items, attrs, budget, depth) + "\n\n"
    if kind == "table":
        return _table(items, budget, depth) + "\n"
    inner = "".join(_render(child, budget, depth + 1) for child in items)
    if not items and "text" in node:  # an unknown node carrying text directly
        inner = budget.take(_clean(_str(node.get("text"))))
    if kind == "blockquote":
        return _indent(inner, "> ", "> ") + "\n\n" if inner.strip() else ""
    if kind in ("expand", "nestedExpand"):
        title = budget.take(_clean(_str(attrs.get("title"))))
        return (title + "\n" if title else "") + inner + "\n\n"
    return inner + "\n\n" if kind in _BLOCKS else inner


def _list(kind: str, items: list[Any], attrs: dict[str, Any], budget: _Budget,
          depth: int) -> str:
    start = attrs.get("order")
    number = start if isinstance(start, int) and not isinstance(start, bool) and \
        0 <= start < 10**9 else 1
    lines = []
    for item in items:
        text = _render(item, budget, depth + 1).strip("\n")
        if not text and not isinstance(item, dict):
            continue
        if kind == "orderedList":
            marker = f"{number}. "
            number += 1
        elif kind == "taskList":
            state = item.get("attrs", {}).get("state") if isinstance(item, dict) and \
                isinstance(item.get("attrs"), dict) else None
            marker = "[x] " if state == "DONE" else "[ ] "
        else:
            marker = "- "
        lines.append(_indent(_MANY_NEWLINES.sub("\n\n", text) or " ", marker,
                             " " * len(marker)))
        if budget.truncated:
            break
    return "\n".join(lines)


def _table(rows: list[Any], budget: _Budget, depth: int) -> str:
    lines = []
    for row in rows:
        cells = row.get("content") if isinstance(row, dict) else None
        if not isinstance(cells, list):
            continue
        texts = [" ".join(_render(cell, budget, depth + 2).split()) for cell in cells]
        lines.append(" | ".join(texts))
        if budget.truncated:
            break
    return "\n".join(lines)


def adf_to_text(doc: Any, max_chars: int = MAX_CHARS) -> str:
    """Plain text of an ADF document (or of any JSON value: non-ADF yields "").

    A plain string (as REST v2 or a misbehaving server sends) is returned cleaned."""
    if isinstance(doc, str):
        text = _clean(doc)
        return text if len(text) <= max_chars else text[:max_chars] + "\n" + TRUNCATED
    budget = _Budget(max_chars)
    text = _render(doc, budget, 0)
    text = _MANY_NEWLINES.sub("\n\n", _TRAILING_SPACE.sub("\n", text)).strip()
    text = text[:max_chars]
    if budget.too_deep:
        text += "\n" + TOO_DEEP
    if budget.truncated:
        text += "\n" + TRUNCATED
    return text


def text_to_adf(text: str) -> dict[str, Any]:
    """An ADF document holding `text` as plain paragraphs (blank lines separate them,
    single newlines become hard breaks); no marks, so nothing in it is interpreted."""
    paragraphs: list[dict[str, Any]] = []
    for block in _clean(text).split("\n\n"):
        content: list[dict[str, Any]] = []
        for i, line in enumerate(block.split("\n")):
            if i:
                content.append({"type": "hardBreak"})
            if line:
                content.append({"type": "text", "text": line})
        paragraphs.append({"type": "paragraph", "content": content})
    return {"version": 1, "type": "doc", "content": paragraphs}
