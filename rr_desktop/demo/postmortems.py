"""The reference service's post-mortems (docs/postmortems.md, "On the service").

Each post-mortem is one current copy: ``{uid, incident, title, state, text, actions,
version, seq, updated_at, updated_by}``. ``version`` counts the post-mortem's own writes
from 1; ``seq`` is the service's change sequence, one number per write across all
post-mortems (1, 2, 3, ... in the order writes were accepted, no gaps), so reading "what
changed after seq N" in seq order never misses a write. Writes are conditional: a
post-mortem that exists is changed only by a writer who names its current version
(``If-Match``); a writer who names another version, or none (it has not seen this copy),
gets the current copy back instead (HTTP 412). A version named for a post-mortem the
service does not hold (it restarted, in memory) is refused the same way, with no copy.
A repeated Idempotency-Key with the same request answers what the first one stored.
Thread-safe: the HTTP server answers from many threads.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .wire import decode, encode, iso

STATES = ("draft", "in_review", "final")
MAX_TEXT = 2_000_000
MAX_TITLE = 1_000
MAX_ID = 200
MAX_ACTIONS = 1_000
MAX_ACTION_TEXT = 2_000
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
PAGE_BUDGET = 8 * 1024 * 1024  # a page stops growing past this many bytes (one at least)
MAX_KEYS = 2_000  # idempotency keys remembered, the oldest forgotten first
FIELDS = frozenset({"incident", "title", "state", "text", "actions", "updated_by"})
ACTION_FIELDS = ("key", "text", "owner", "due", "done")


class InvalidPostmortem(ValueError):
    """The body breaks the contract (HTTP 422); ``str()`` is one sentence."""


class KeyReused(ValueError):
    """The Idempotency-Key was used for another request (HTTP 409)."""


class AheadOfLog(ValueError):
    """A position past the newest seq: the service restarted and lost what came after."""


class VersionMismatch(Exception):
    """The write names another version than the current one (HTTP 412); ``current`` is
    the service's copy, or None when it holds no post-mortem of that uid."""

    def __init__(self, current: dict[str, Any] | None) -> None:
        super().__init__("the post-mortem changed since that version")
        self.current = current


@dataclass(frozen=True, slots=True)
class PostmortemPage:
    """Post-mortems changed after a position, encoded, in seq order; ``next`` the seq of
    the last one (the position asked for when there are none)."""

    postmortems: list[bytes]
    next: int
    has_more: bool


def check_body(body: object) -> str | None:
    """None if ``body`` is a post-mortem as a writer sends it, else one sentence why not."""
    if not isinstance(body, dict):
        return "A post-mortem must be a JSON object."
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        return (f"Unknown field {unknown[0][:40]!r} in the post-mortem; known: "
                f"{', '.join(sorted(FIELDS))}.")
    for name, limit in (("incident", MAX_ID), ("title", MAX_TITLE)):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            return f"The post-mortem's {name} must be non-empty text."
        if len(value) > limit:
            return f"The post-mortem's {name} can be at most {limit:,} characters."
    if body.get("state") not in STATES:
        return (f"Unknown review state {str(body.get('state'))[:40]!r}; known: "
                f"{', '.join(STATES)}.")
    text = body.get("text")
    if not isinstance(text, str):
        return "The post-mortem's text must be text."
    if len(text) > MAX_TEXT:
        return f"A post-mortem can be at most {MAX_TEXT:,} characters."
    by = body.get("updated_by", "")
    if not isinstance(by, str) or len(by) > MAX_ID:
        return f"updated_by must be an analyst id of at most {MAX_ID} characters."
    return _check_actions(body.get("actions"))


def _check_actions(actions: object) -> str | None:
    if not isinstance(actions, list):
        return "The post-mortem's actions must be a list of action items."
    if len(actions) > MAX_ACTIONS:
        return f"A post-mortem can have at most {MAX_ACTIONS:,} action items."
    seen: set[str] = set()
    for n, item in enumerate(actions, 1):
        if not isinstance(item, dict) or set(item) != set(ACTION_FIELDS):
            return (f"Action item {n} must be an object with exactly "
                    f"{', '.join(ACTION_FIELDS)}.")
        key, text, owner = item["key"], item["text"], item["owner"]
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_ID:
            return f"Action item {n}'s key must be text of 1 to {MAX_ID} characters."
        if key in seen:
            return f"Action item {n}'s key {key[:40]!r} is used twice."
        seen.add(key)
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_ACTION_TEXT:
            return (f"Action item {n}'s text must be non-empty, at most "
                    f"{MAX_ACTION_TEXT:,} characters.")
        if not isinstance(owner, str) or len(owner) > MAX_ID:
            return f"Action item {n}'s owner must be an analyst id (or empty for none)."
        if not _is_day(item["due"]):
            return f"Action item {n}'s due date {str(item['due'])[:20]!r} is not YYYY-MM-DD."
        if not isinstance(item["done"], bool):
            return f"Action item {n}'s done must be true or false."
    return None


def _is_day(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def request_digest(uid: str, if_match: str | None, body: Mapping[str, Any]) -> str:
    """What a request asked for, in one spelling (key order and spacing do not matter),
    to tell a retry from another request under the same Idempotency-Key."""
    raw = json.dumps([uid, if_match, body], sort_keys=True, separators=(",", ":"),
                     ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


class ServicePostmortems:
    """Every post-mortem the service holds, and the change sequence over them."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._now = now
        self._copies: dict[str, bytes] = {}  # uid -> encoded current copy
        self._seq_of: dict[str, int] = {}  # uid -> seq of its current copy
        self._log: list[tuple[int, str]] = []  # (seq, uid) of every write, seq order
        self._seq = 0
        self._keys: OrderedDict[tuple[str, str], tuple[str, bytes]] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._copies)

    @property
    def max_seq(self) -> int:
        with self._lock:
            return self._seq

    def get(self, uid: str) -> dict[str, Any] | None:
        with self._lock:
            raw = self._copies.get(uid)
        return None if raw is None else dict(decode(raw))

    def encoded(self, uid: str) -> bytes | None:
        with self._lock:
            return self._copies.get(uid)

    def put(self, uid: str, body: Mapping[str, Any], if_match: int | str | None,
            key: str | None = None) -> tuple[dict[str, Any], bool, bool]:
        """Store ``body`` as post-mortem ``uid``: ``(stored copy, created, replayed)``.

        ``if_match``: the version the writer edited, or None / "*" to create one.
        Raises InvalidPostmortem (422), VersionMismatch (412), KeyReused (409)."""
        why = check_body(body)
        if why is not None:
            raise InvalidPostmortem(why)
        digest = request_digest(uid, None if if_match is None else str(if_match), body)
        with self._lock:
            if key is not None:
                known = self._keys.get((uid, key))
                if known is not None:
                    if known[0] != digest:
                        raise KeyReused(f"The Idempotency-Key {key[:80]} was used already "
                                        "for another write of this post-mortem.")
                    return dict(decode(known[1])), False, True
            raw = self._copies.get(uid)
            current = None if raw is None else dict(decode(raw))
            if current is None:
                if if_match not in (None, "*"):
                    raise VersionMismatch(None)
                version = 1
            else:
                if if_match is None or if_match == "*" or \
                        int(if_match) != int(current["version"]):
                    raise VersionMismatch(current)
                if body["incident"] != current["incident"]:
                    raise InvalidPostmortem(
                        f"This post-mortem belongs to incident {current['incident'][:80]}; "
                        "it cannot move to another one.")
                version = int(current["version"]) + 1
            self._seq += 1
            stored = {"uid": uid, "incident": body["incident"], "title": body["title"],
                      "state": body["state"], "text": body["text"],
                      "actions": [dict(a) for a in body["actions"]], "version": version,
                      "seq": self._seq, "updated_at": iso(int(self._now())),
                      "updated_by": body.get("updated_by", "")}
            data = encode(stored)
            self._copies[uid] = data
            self._seq_of[uid] = self._seq
            self._log.append((self._seq, uid))
            if key is not None:
                self._keys[(uid, key)] = (digest, data)
                while len(self._keys) > MAX_KEYS:
                    self._keys.popitem(last=False)
            return stored, current is None, False

    def page(self, after: int, limit: int = DEFAULT_LIMIT) -> PostmortemPage:
        """Up to ``limit`` post-mortems whose current copy's seq is after ``after``, in seq
        order (a page also stops once it holds PAGE_BUDGET bytes). Raises AheadOfLog for
        ``after`` past the newest seq, ValueError for a negative ``after`` or a ``limit``
        outside 1..MAX_LIMIT."""
        if after < 0:
            raise ValueError("after must not be negative")
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be 1..{MAX_LIMIT}")
        with self._lock:
            if after > self._seq:
                raise AheadOfLog(f"after={after} is past this service's newest post-mortem "
                                 f"change ({self._seq}): it restarted; read again from 0")
            out: list[bytes] = []
            size, last = 0, after
            start = bisect.bisect_right(self._log, after, key=lambda entry: entry[0])
            for i in range(start, len(self._log)):
                seq, uid = self._log[i]
                if self._seq_of.get(uid) != seq:
                    continue  # written again later: it comes at its newer seq
                if len(out) >= limit or (out and size >= PAGE_BUDGET):
                    return PostmortemPage(out, last, True)
                out.append(self._copies[uid])
                size += len(out[-1])
                last = seq
            return PostmortemPage(out, last if out else after, False)

    def tasks(self, owner: str | None = None, postmortem: str | None = None
              ) -> list[dict[str, Any]]:
        """The action items of every post-mortem as tasks, by due date, then post-mortem
        and key; only ``owner``'s or ``postmortem``'s when given."""
        with self._lock:
            copies = [decode(raw) for uid, raw in self._copies.items()
                      if postmortem is None or uid == postmortem]
        out = [{"key": a["key"], "postmortem": pm["uid"], "incident": pm["incident"],
                "text": a["text"], "owner": a["owner"], "due": a["due"], "done": a["done"]}
               for pm in copies for a in pm["actions"]
               if owner is None or a["owner"] == owner]
        return sorted(out, key=lambda t: (t["due"], t["postmortem"], t["key"]))

