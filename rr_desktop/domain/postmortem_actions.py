"""Action items: the task lines of a post-mortem's "Action items" section, read into
trackable items (docs/postmortems.md).

A line is a Markdown task with an owner and a due date in parentheses:

    - [ ] Add the challenge's sounds to the audio hash list (owner: b.santoso, due: 2026-12-13)
    - [x] Brief ID market team on the Kominfo notice (owner: s.lim, due: 2026-12-08)

A line without a due date is due seven days after the item was first seen; without an
owner it is listed as "no owner" so the lead notices. Each item is named by a key derived
from its text, so editing the owner or ticking it keeps the item.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta

from .postmortem_doc import split_sections

SECTION = "action items"
DEFAULT_DUE = timedelta(days=7)
_TASK = re.compile(r"^\s*[-*] \[(?P<done>[ xX])\] +(?P<rest>.+?)\s*$")
_META = re.compile(r"\((?P<meta>[^()]*\b(?:owner|due)\s*:[^()]*)\)\s*$")


@dataclass(frozen=True, slots=True)
class ActionItem:
    key: str
    text: str
    owner: str
    due: date | None
    done: bool
    problem: str = ""  # why a part of the line could not be read


def item_key(text: str) -> str:
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()[:16]


def parse_actions(document: str) -> list[ActionItem]:
    """Every task line of the document's "Action items" section, in order."""
    section = next((s for s in split_sections(document) if s.key == SECTION), None)
    if section is None:
        return []
    items: list[ActionItem] = []
    seen: set[str] = set()
    for line in section.body.splitlines():
        task = _TASK.match(line)
        if task is None:
            continue
        rest, owner, due, problem = task.group("rest"), "", None, ""
        meta = _META.search(rest)
        if meta is not None:
            rest = rest[:meta.start()].rstrip()
            for part in meta.group("meta").split(","):
                name, _, value = part.partition(":")
                name, value = name.strip().lower(), value.strip()
                if name == "owner":
                    owner = value.lstrip("@")
                elif name == "due":
                    try:
                        due = date.fromisoformat(value)
                    except ValueError:
                        problem = f"the due date {value!r} is not YYYY-MM-DD"
        key = item_key(rest)
        if not rest or key in seen:
            continue
        seen.add(key)
        items.append(ActionItem(key, rest, owner, due, task.group("done") != " ", problem))
    return items


def task_line(text: str, owner: str, due: date, done: bool = False) -> str:
    """The line a new action item is written as (the editor's "add action item")."""
    return f"- [{'x' if done else ' '}] {' '.join(text.split())} (owner: {owner}, " \
           f"due: {due.isoformat()})"


def default_due(first_seen: date) -> date:
    return first_seen + DEFAULT_DUE
