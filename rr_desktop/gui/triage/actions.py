"""Triage actions from keys to the store (KEYMAP.md rules 1-6).

Rule 1: with a multi-selection an action applies to all of it, else to the current row.
Rule 3: accept, duplicate, decline, snooze and resolve move on to the next item at once.
Rule 5: the write (local change + outbox + audit, one transaction) runs on a worker; the
rows it changed are redrawn when it lands (a few ms) and an undo toast offers `z`.
Undo and redo revert or re-apply a whole batch in one step.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from ...domain import Severity, Urgency
from ...keymap import Mode
from ...store import incidents, manual
from ...store import triage_actions as ta
from ...store import undo as store_undo
from ...store import views as store_views
from ..fuzzy import Choice
from ..new_escalation import NewEscalationDialog
from ..text import one_line
from .prompts import Composer, PickPrompt, ReasonPrompt, SnoozePrompt, TagsPrompt

if TYPE_CHECKING:
    from ..main_window import MainWindow

log = logging.getLogger("rr_desktop.gui.triage")

MAX_BATCH = 5000
ADVANCING = ("accept", "mark-duplicate", "decline", "snooze", "resolve")


def _now() -> datetime:
    return datetime.now(UTC)


class TriageController(QObject):
    """Runs triage commands against the store for the main window.

    Signals:
      applied(object): an `ApplyResult` landed (after the table was told what changed);
      prompt_opened(object): a dialog asking for more (reason, picker, composer) opened.
    """

    applied = Signal(object)
    prompt_opened = Signal(object)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.prompt: QDialog | None = None
        self._drafts: dict[tuple[int, str], str] = {}
        self._return_focus: QWidget | None = None

    # -- targets ---------------------------------------------------------------------

    def targets(self) -> list[int]:
        """Selected ids in view order (rule 1), else the current one."""
        table, model = self.w.table, self.w.model
        selection = table.selectionModel().selection()
        rows: list[int] = []
        for i in range(selection.count()):
            rng = selection.at(i)
            rows.extend(range(rng.top(), rng.bottom() + 1))
            if len(rows) > MAX_BATCH:
                break
        if len(rows) > 1 or (rows and table.marking):
            ids = [model.id_at(r) for r in sorted(set(rows))[:MAX_BATCH + 1]]
            return [i for i in ids if i is not None]
        current = table.current_id()
        return [] if current is None else [current]

    # -- commands --------------------------------------------------------------------

    def handlers(self) -> dict[str, Callable[[], object]]:
        h: dict[str, Callable[[], object]] = {
            "accept": lambda: self.apply(ta.Accept(), "accept"),
            "resolve": lambda: self.apply(ta.Resolve(), "resolve"),
            "decline": self.ask_decline,
            "mark-duplicate": self.ask_duplicate,
            "snooze": self.ask_snooze,
            "assign": self.ask_assign,
            "assign-me": lambda: self.apply(ta.Assign(self.w.me), "assign-me"),
            "tags": self.ask_tags,
            "move-queue": self.ask_queue,
            "escalate-incident": self.ask_incident,
            "note": lambda: self.compose("note"),
            "reply": lambda: self.compose("reply"),
            "create": self.ask_create,
            "save-view": self.ask_save_view,
            "undo": self.undo,
            "redo": self.redo,
        }
        for n in range(4):
            h[f"severity-{n}"] = partial(self.apply, ta.SetSeverity(Severity(n)), "sev")
            h[f"urgency-{n}"] = partial(self.apply, ta.SetUrgency(Urgency(n)), "urg")
        return h

    def apply(self, action: ta.TriageAction, name: str,
              ids: list[int] | None = None) -> None:
        ids = self.targets() if ids is None else ids
        if not ids:
            self.w.statusBar().showMessage("No escalation selected", 4000)
            return
        if len(ids) > MAX_BATCH:
            self.w.statusBar().showMessage(
                f"That is more than {MAX_BATCH:,} escalations: narrow the view first", 6000)
            return
        if name in ADVANCING:
            self.advance_past(ids)
        store, me = self.w.store, self.w.me

        def work(_progress: Any, _cancel: Any) -> ta.ApplyResult:
            with store.write() as db:
                return ta.apply_action(db, action, ids, me, _now())

        self._submit(f"action-{name}", work)

    def advance_past(self, ids: list[int]) -> None:
        """Auto-advance (KEYMAP rule 3): the current row moves to the first row after the
        acted-on ones, at once, before the write lands."""
        rows = [r for r in (self.w.model.row_of(i) for i in ids[:1] + ids[-1:]) if r is not None]
        if not rows:
            return
        target = max(rows) + 1
        if target >= self.w.model.rowCount():
            target = min(rows) - 1
        self.w.table.marking = False
        if target >= 0:
            self.w.table.select_row(target)
        else:
            self.w.table.clearSelection()

    def undo(self) -> None:
        self._history("undo", store_undo.undo)

    def redo(self) -> None:
        self._history("redo", store_undo.redo)

    def _history(self, what: str, fn: Callable[..., ta.ApplyResult | None]) -> None:
        store, me = self.w.store, self.w.me

        def work(_progress: Any, _cancel: Any) -> ta.ApplyResult | None:
            with store.write() as db:
                return fn(db, me, _now())

        self._submit(what, work, history=True)

    def _submit(self, name: str, work: Callable[[Any, Any], ta.ApplyResult | None],
                history: bool = False) -> None:
        if self.w.is_closed():
            return
        job = self.w.jobs.run(name, work, on_success=lambda r: self._landed(r, history))
        job.failed.connect(self._failed)

    def _landed(self, result: ta.ApplyResult | None, history: bool) -> None:
        if result is None:
            self.w.statusBar().showMessage("Nothing to " + ("undo" if history else "do"), 4000)
            return
        # The rows and the detail pane are redrawn here: the view's re-read only has to
        # re-order (passing the ids would render the detail pane a second time), once the
        # analyst pauses.
        self.w.refresh_view_soon()
        self.w.model.refresh_rows(result.changed_ids)
        if self.w.detail.escalation_id in result.changed_ids:
            self.w.detail.refresh_soon()  # the changed row paints first
        failed = [o for o in result.outcomes if not o.ok]
        message = result.description
        if failed:
            shown = "; ".join(f"#{o.escalation_id}: {one_line(o.message)}" for o in failed[:3])
            more = f" (+{len(failed) - 3} more)" if len(failed) > 3 else ""
            message += f" \u2014 {len(failed)} not changed: {shown}{more}"
        self.w.toast.show_message(message, undoable=result.undo_id is not None or history)
        self.applied.emit(result)

    def _failed(self, exc: object) -> None:
        log.warning("triage action failed: %s", exc)
        text = str(exc) if isinstance(exc, ValueError | LookupError) else \
            f"The action could not be saved ({type(exc).__name__}): nothing was changed"
        self.w.statusBar().showMessage(one_line(text), 10_000)

    def wake_snoozes(self) -> None:
        """Bring back snoozed escalations whose time has come (runs with the clock)."""
        store = self.w.store
        if self.w.is_closed():
            return

        def work(_progress: Any, _cancel: Any) -> frozenset[int]:
            with store.write() as db:
                return ta.wake_due_snoozes(db, _now())

        def landed(ids: frozenset[int]) -> None:
            if ids:
                self.w.refresh_view(set(ids))
                self.w.statusBar().showMessage(
                    f"{len(ids):,} snoozed escalation(s) are back", 6000)

        self.w.jobs.run("wake-snoozes", work, on_success=landed)

    # -- actions that ask first ------------------------------------------------------

    def _open(self, dialog: QDialog) -> None:
        focus = QApplication.focusWidget()
        self._return_focus = focus if focus is not None and self.w.isAncestorOf(focus) \
            else None
        self.prompt = dialog
        dialog.finished.connect(lambda _code: self._closed(dialog))
        dialog.open()
        dialog.activateWindow()  # keys go to the prompt, not the window's shortcuts
        self.prompt_opened.emit(dialog)

    def _closed(self, dialog: QDialog) -> None:
        if self.prompt is dialog:
            self.prompt = None
        dialog.deleteLater()
        if self.prompt is None:  # not chained into another prompt
            self.w.back_to_list_if_lost(self._return_focus)

    def _prepare(self) -> list[int] | None:
        ids = self.targets()
        if not ids:
            self.w.statusBar().showMessage("No escalation selected", 4000)
            return None
        return ids

    def ask_decline(self) -> None:
        ids = self._prepare()
        if ids is None:
            return
        prompt = ReasonPrompt("Decline", f"Decline {_count(ids)}: why?",
                              self.w.settings.get("decline_reasons"), self.w)
        prompt.chosen.connect(lambda reason: self.apply(ta.Decline(reason), "decline", ids))
        self._open(prompt)

    def ask_snooze(self) -> None:
        ids = self._prepare()
        if ids is None:
            return
        prompt = SnoozePrompt(_now(), self.w)
        prompt.chosen.connect(
            lambda until, reason: self.apply(ta.Snooze(until, reason), "snooze", ids))
        self._open(prompt)

    def ask_duplicate(self) -> None:
        ids = self._prepare()
        if ids is None:
            return
        choices = self.w.lookups.duplicate_candidates(ids, self.w.model)
        prompt = PickPrompt("Mark duplicate", choices,
                            "Canonical escalation: type to filter, or #id", True, self.w)

        def picked(key: str) -> None:
            try:
                canonical = int(key.lstrip("#"))
            except ValueError:
                self.w.statusBar().showMessage(f"Not an escalation id: {one_line(key)}", 5000)
                return
            others = [i for i in ids if i != canonical]
            reason = ReasonPrompt("Mark duplicate", f"Duplicate of #{canonical}: why?",
                                  ("Same content", "Same account", "Same report, "
                                   "other channel"), self.w)
            reason.chosen.connect(lambda why: self.apply(
                ta.MarkDuplicate(canonical, why), "mark-duplicate", others))
            self._open(reason)

        prompt.chosen.connect(picked)
        self._open(prompt)

    def ask_assign(self) -> None:
        ids = self._prepare()
        if ids is None:
            return
        choices = [Choice(a, name, a) for a, name in self.w.lookups.analysts()]
        choices.append(Choice("", "Unassigned", "clear the assignee"))
        prompt = PickPrompt("Assign", choices, "Analyst", True, self.w)
        prompt.chosen.connect(
            lambda key: self.apply(ta.Assign(key or None), "assign", ids))
        self._open(prompt)

    def ask_tags(self) -> None:
        ids = self._prepare()
        if ids is None:
            return
        row = self.w.model.row_at(self.w.model.row_of(ids[0]) or 0)
        current = self.w.lookups.tags_of(ids[0]) if row is not None else []
        prompt = TagsPrompt(current, self.w)
        prompt.chosen.connect(lambda add, remove: self.apply(ta.Tag(add, remove), "tags", ids))
        self._open(prompt)

    def ask_queue(self) -> None:
        ids = self._prepare()
        if ids is None:
            return
        choices = [Choice(q, q) for q in self.w.settings.get("queues")]
        prompt = PickPrompt("Move to queue", choices, "Queue", True, self.w)
        prompt.chosen.connect(lambda q: self.apply(ta.MoveQueue(q), "move-queue", ids))
        self._open(prompt)

    def ask_incident(self) -> None:
        ids = self._prepare()
        if ids is None:
            return
        choices = [Choice(str(i), title, f"incident #{i}")
                   for i, title in self.w.lookups.incidents()]
        prompt = PickPrompt("Escalate to incident", choices,
                            "Choose an incident, or type a title to create one", True, self.w)
        known = {c.key for c in choices}

        def picked(key: str) -> None:
            action = (ta.EscalateToIncident(int(key), None) if key in known
                      else ta.EscalateToIncident(None, key))
            self.apply(action, "escalate-incident", ids)

        prompt.chosen.connect(picked)
        self._open(prompt)

    def ask_create(self) -> None:
        """`c`: an escalation typed in (a call, a chat, a meeting) or an incident."""
        choices = [Choice("escalation", "Escalation",
                          "typed in: a phone call, a chat, a meeting"),
                   Choice("incident", "Incident", "by title; add escalations to it with f")]
        prompt = PickPrompt("Create", choices, "Create what? (e or i, then Enter)", False,
                            self.w)
        prompt.chosen.connect(lambda key: QTimer.singleShot(
            0, self.ask_create_escalation if key == "escalation" else
            self.ask_create_incident))
        self._open(prompt)

    def ask_create_escalation(self) -> None:
        # The market of the escalation at the cursor is the likeliest one.
        current = self.w.model.row_at(self.w.table.currentIndex().row())
        dialog = NewEscalationDialog(current.market if current is not None else "", self.w)
        dialog.submitted.connect(self._create_escalation)
        self._open(dialog)

    def _create_escalation(self, draft: manual.ManualDraft) -> None:
        store, me = self.w.store, self.w.me

        def work(_p: Any, _c: Any) -> manual.Created:
            with store.write() as db:
                return manual.create_escalation(db, draft, me, _now())

        def landed(created: manual.Created) -> None:
            clients = getattr(self.w.engine, "clients", {})
            if created.channel not in clients:
                self.w.start_channel(created.channel)
            self.w.statusBar().showMessage(
                f"Escalation #{created.escalation_id} created in {created.channel}", 6000)
            self.w.show_when_listed(created.escalation_id)

        self.w.jobs.run("create-escalation", work, on_success=landed, on_failure=self._failed)

    def ask_create_incident(self) -> None:
        prompt = ReasonPrompt("Create incident", "A title for the new incident:", (), self.w,
                              placeholder="Title (required)")
        prompt.chosen.connect(self._create_incident)
        self._open(prompt)

    def _create_incident(self, title: str) -> None:
        store, me = self.w.store, self.w.me

        def work(_p: Any, _c: Any) -> int:
            with store.write() as db:
                return incidents.create_incident(db, title, me, _now())

        self.w.jobs.run("create-incident", work, on_success=lambda i: self.w.statusBar(
            ).showMessage(f"Incident #{i} created: add escalations to it with f", 6000),
            on_failure=self._failed)

    def ask_save_view(self) -> None:
        query = self.w.views.current.text()
        prompt = ReasonPrompt("Save view", f"Save the query {query!r} as:", (), self.w,
                              placeholder="Name (required)")
        prompt.chosen.connect(lambda name: self._save_view(name, query))
        self._open(prompt)

    def _save_view(self, name: str, query: str) -> None:
        store = self.w.store

        def work(_p: Any, _c: Any) -> str:
            with store.write() as db:
                return store_views.save_view(db, name, query).name

        self.w.jobs.run("save-view", work, on_success=self.w.views_saved,
                        on_failure=self._failed)

    def compose(self, kind: str) -> None:
        esc_id = self.w.table.current_id()
        if esc_id is None:
            self.w.statusBar().showMessage("No escalation selected", 4000)
            return
        composer = Composer(kind, f"#{esc_id}", self._drafts.get((esc_id, kind), ""), self.w)
        self.w.commands.add_mode_widget(Mode.COMPOSER, composer)

        def done(_code: int) -> None:
            draft = composer.draft().strip()
            if composer.result() == QDialog.DialogCode.Accepted or not draft:
                self._drafts.pop((esc_id, kind), None)
            else:
                self._drafts[(esc_id, kind)] = composer.draft()

        def submitted(what: str, text: str, advance: bool) -> None:
            action: ta.TriageAction
            if what == "fact":
                action = ta.LogFact(text)
            elif what == "reply":
                action = ta.Reply(text)
            else:
                action = ta.AddNote(text)
            self.apply(action, what, [esc_id])
            if advance:
                self.w.table.move_current(1)

        composer.finished.connect(done)
        composer.submitted.connect(submitted)
        self._open(composer)


def _count(ids: list[int]) -> str:
    return f"#{ids[0]}" if len(ids) == 1 else f"{len(ids):,} escalations"


def sql_pairs(db: sqlite3.Connection, sql: str) -> list[tuple[str, str]]:
    """(key, label) pairs for pickers, as text."""
    return [(str(a), str(b)) for a, b in db.execute(sql)]
