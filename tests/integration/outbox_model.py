"""A model of what the analyst's triage changes should do to the source, for the outbox
state machine (test_outbox_state_machine.py). Pure Python, no I/O.

It says what the analyst sees and what the source must end up holding, at the level a
user reasons at, not how the outbox gets there:
- a field the analyst changed and has not synced yet is "dirty", with the value it had
  when they first touched it (its base); changing it back to that base leaves nothing to
  send (coalescing);
- a sync sends each dirty field once: the source takes it when it still holds the base
  (or already holds the same value); when a colleague changed it meanwhile, that is a
  conflict the analyst settles (keep mine or take theirs); everything not dirty shows the
  source's value afterwards;
- notes and replies are sent once each, in the order written; one undone before it left
  is never sent;
- undo reverts the last batch (every escalation in it) field by field where the field
  still shows what the batch set, and withdraws its unsent note or reply; redo re-applies
  the batch undone last; a new batch that changes something clears the redo stack.

Values are in wire form (status "new", severity "S2", tags as a tuple).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from rr_desktop.domain import Status

FIELDS = ("status", "severity", "urgency", "assignee", "tags")
BASELINE: dict[str, Any] = {"status": "new", "severity": "S2", "urgency": "U2",
                            "assignee": None, "tags": ()}


@dataclass
class FieldState:
    """One editable field of one escalation."""

    local: Any
    dirty: bool = False
    base: Any = None


@dataclass
class Message:
    """A note or reply; `state`: pending (queued), sent, withdrawn (undone unsent)."""

    kind: Literal["note", "reply"]
    text: str
    seq: int
    state: Literal["pending", "sent", "withdrawn"] = "pending"


@dataclass
class Batch:
    """One undo step: (escalation, field, before, after) per changed field, and messages."""

    items: list[tuple[str, str, Any, Any]]
    messages: list[tuple[str, Message]]
    undone: bool = False


@dataclass
class OutboxModel:
    """The analyst's side (fields, messages, undo stack) and the source's fields."""

    escalations: tuple[str, ...]
    server: dict[str, dict[str, Any]] = field(default_factory=dict)
    fields: dict[str, dict[str, FieldState]] = field(default_factory=dict)
    messages: dict[str, list[Message]] = field(default_factory=dict)
    batches: list[Batch] = field(default_factory=list)
    # Queue position of each escalation's update (set when its first field turns dirty)
    # and of each message: ops leave FIFO per escalation.
    update_seq: dict[str, int | None] = field(default_factory=dict)
    seq: int = 0

    def __post_init__(self) -> None:
        for ext in self.escalations:
            self.server[ext] = dict(BASELINE)
            self.fields[ext] = {f: FieldState(v) for f, v in BASELINE.items()}
            self.messages[ext] = []
            self.update_seq[ext] = None

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    # -- what the analyst sees ----------------------------------------------------------

    def local(self, ext: str) -> dict[str, Any]:
        return {f: s.local for f, s in self.fields[ext].items()}

    def dirty(self, ext: str) -> dict[str, tuple[Any, Any]]:
        """Fields waiting to be sent: {field: (base, mine)}."""
        return {f: (s.base, s.local) for f, s in self.fields[ext].items() if s.dirty}

    def pending_messages(self, ext: str) -> list[Message]:
        return [m for m in self.messages[ext] if m.state == "pending"]

    def sent_messages(self, ext: str, kind: str) -> list[str]:
        return [m.text for m in self.messages[ext] if m.kind == kind and m.state == "sent"]

    def has_pending(self, ext: str) -> bool:
        return bool(self.dirty(ext) or self.pending_messages(ext))

    # -- the analyst's actions ----------------------------------------------------------

    def _set(self, ext: str, name: str, value: Any) -> None:
        state = self.fields[ext][name]
        if not state.dirty:
            if self.update_seq[ext] is None:
                self.update_seq[ext] = self._next_seq()
            state.dirty, state.base = True, state.local
        state.local = value
        if state.base == value:  # back where the source is: nothing to send
            state.dirty, state.base = False, None
            if not self.dirty(ext):
                self.update_seq[ext] = None

    def planned(self, ext: str, action: tuple[Any, ...]) -> dict[str, Any]:
        """The fields `action` changes on `ext` ({} when it is a no-op there)."""
        kind, arg = action
        cur = self.local(ext)
        status = Status(cur["status"])
        if kind == "accept":
            return {"status": "triaged"} if status in (Status.NEW, Status.SNOOZED) else {}
        if kind == "decline":
            ok = status is not Status.DECLINED and status.is_open
            return {"status": "declined"} if ok else {}
        if kind == "resolve":
            return {"status": "resolved"} if status.is_open else {}
        if kind == "tag_add":
            return {} if arg in cur["tags"] else {"tags": (*cur["tags"], arg)}
        if kind == "tag_remove":
            tags = tuple(t for t in cur["tags"] if t != arg)
            return {} if tags == cur["tags"] else {"tags": tags}
        name = {"severity": "severity", "urgency": "urgency", "assign": "assignee"}[kind]
        return {} if cur[name] == arg else {name: arg}

    def act(self, exts: list[str], action: tuple[Any, ...]) -> bool:
        """Apply a field action to a selection as one batch; False if nothing changed."""
        items = []
        for ext in exts:
            for name, value in self.planned(ext, action).items():
                items.append((ext, name, self.fields[ext][name].local, value))
                self._set(ext, name, value)
        if items:
            self._push_batch(Batch(items, []))
        return bool(items)

    def write(self, ext: str, kind: Literal["note", "reply"], text: str) -> None:
        message = Message(kind, text, self._next_seq())
        self.messages[ext].append(message)
        self._push_batch(Batch([], [(ext, message)]))

    def _push_batch(self, batch: Batch) -> None:
        self.batches = [b for b in self.batches if not b.undone]
        self.batches.append(batch)

    def undo(self) -> bool:
        done = [b for b in self.batches if not b.undone]
        if not done:
            return False
        batch = done[-1]
        for ext, name, before, after in batch.items:
            if self.fields[ext][name].local == after:  # else changed since: left as it is
                self._set(ext, name, before)
        for _ext, message in batch.messages:
            if message.state == "pending":
                message.state = "withdrawn"
        batch.undone = True
        return True

    def redo(self) -> bool:
        undone = [b for b in self.batches if b.undone]
        if not undone:
            return False
        batch = undone[0]  # the one undone last
        for ext, name, before, after in batch.items:
            if self.fields[ext][name].local == before:
                self._set(ext, name, after)
        for ext, message in batch.messages:
            if message.state == "withdrawn":  # queued anew: after everything written since
                message.state, message.seq = "pending", self._next_seq()
                self.messages[ext].remove(message)
                self.messages[ext].append(message)
        batch.undone = False
        return True

    # -- the other side ------------------------------------------------------------------

    def colleague_edit(self, ext: str, name: str, value: Any) -> None:
        self.server[ext][name] = value

    def conflicts(self, ext: str) -> dict[str, tuple[Any, Any, Any]]:
        """Dirty fields a sync would find changed on the source too: (base, mine, theirs)."""
        return {f: (base, mine, self.server[ext][f])
                for f, (base, mine) in self.dirty(ext).items()
                if self.server[ext][f] not in (base, mine)}

    def sync(self, resolution: Literal["mine", "theirs"]) -> None:
        """A full sync, conflicts settled with `resolution`: afterwards the analyst, the
        outbox and the source agree."""
        for ext in self.escalations:
            self._push_update(ext, resolution)
            for message in self.pending_messages(ext):
                message.state = "sent"

    def pulled(self) -> None:
        """A sync run read the changes feed: every field without a queued change shows
        the source's value (queued ones stay the analyst's until they are settled)."""
        for ext in self.escalations:
            for name, state in self.fields[ext].items():
                if not state.dirty:
                    state.local = self.server[ext][name]

    def _push_update(self, ext: str, resolution: Literal["mine", "theirs"]) -> None:
        """The escalation's update lands (conflicts settled with `resolution`), and the
        cache shows the source's whole record (the push's answer, or the pull)."""
        conflicts = self.conflicts(ext)
        for name, (_base, mine) in self.dirty(ext).items():
            if name not in conflicts or resolution == "mine":
                self.server[ext][name] = mine
        for name, state in self.fields[ext].items():
            state.local, state.dirty, state.base = self.server[ext][name], False, None
        self.update_seq[ext] = None

    def pushed_through(self, ext: str, op_type: str, text: str | None,
                       resolution: Literal["mine", "theirs"]) -> None:
        """The op `op_type` (a message: the one with `text`) of `ext` was just applied by
        the source: it and every op of `ext` queued before it have left, FIFO. A message
        push carries no record back, so the fields stay as the cache had them unless the
        update left too."""
        if op_type == "update":
            upto = self.update_seq[ext]
        else:
            upto = next(m.seq for m in self.pending_messages(ext) if m.text == text)
        assert upto is not None, (ext, op_type, text)
        if self.update_seq[ext] is not None and self.update_seq[ext] <= upto:
            self._push_update(ext, resolution)
        for message in self.pending_messages(ext):
            if message.seq <= upto:
                message.state = "sent"
