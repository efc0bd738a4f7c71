"""Triage commands from keys to the store (docs/keymap.md "Rules" 1-6).

Every command of a triage action (store/actions/) is handled the same way: its inputs are
asked with the prompts (asking.py), the action is built and written on a worker in one
transaction (local change + outbox + audit), and what it changed is applied to every
screen through the context (`changes_applied`); an undo toast offers `z`.

Rule 1: with a multi-selection an action applies to all of it, else to the current row.
Rule 3: accept, duplicate, decline, snooze and resolve move on to the next item at once.
Undo and redo revert or re-apply a whole batch in one step.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from ...store import incidents, manual
from ...store import triage_actions as ta
from ...store import undo as store_undo
from ...store import views as store_views
from ...store.actions import ACTION_TYPES, ActionCommand, TriageAction
from ...store.changes import Changes
from ..context import AppContext
from ..fuzzy import Choice
from ..lookups import Lookups
from ..new_escalation import NewEscalationDialog
from ..text import one_line
from ..toast import UndoToast
from .asking import ADVANCE, InputAsker
from .prompts import PickPrompt, ReasonPrompt
from .selection import MAX_BATCH, Selection

log = logging.getLogger("rr_desktop.gui.triage")

Handler = Callable[[], object]


class TriageController(QObject):
    """Runs triage commands against the store.

    Signals:
      applied(object): an `ApplyResult` landed (after `changes_applied` redrew the rows);
      prompt_opened(object): a dialog asking for more (reason, picker, composer) opened;
      escalation_created(int, str): an escalation was typed in (its id, its channel);
      view_saved(str): a view was saved under this name.
    """

    applied = Signal(object)
    prompt_opened = Signal(object)
    escalation_created = Signal(int, str)
    view_saved = Signal(str)

    def __init__(self, ctx: AppContext, selection: Selection, lookups: Lookups,
                 toast: UndoToast, parent: QWidget,
                 focus_back: Callable[[QWidget | None], None],
                 current_query: Callable[[], str],
                 ask_identity: Callable[[], None],
                 actions: Sequence[type[TriageAction]] = ACTION_TYPES) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.selection = selection
        self.lookups = lookups
        self.toast = toast
        self._parent = parent
        self._focus_back = focus_back
        self._current_query = current_query
        self._ask_identity = ask_identity
        self._actions = tuple(actions)
        self.prompt: QDialog | None = None
        self._return_focus: QWidget | None = None
        self.asker = InputAsker(ctx, lookups, selection, parent, self._open)

    # -- commands --------------------------------------------------------------------

    def handlers(self) -> dict[str, Handler]:
        h: dict[str, Handler] = {
            "create": self._identified(self.ask_create),
            "save-view": self.ask_save_view,
            "undo": self._identified(self.undo),
            "redo": self._identified(self.redo),
        }
        for action in self._actions:
            for command in action.commands:
                h[command.name] = self._identified(partial(self.run_command, action, command))
        return h

    def _identified(self, handler: Handler) -> Handler:
        """Changes carry who made them: until the analyst said who they are, a change
        asks that first (never the OS login)."""
        def run() -> object:
            if not self.ctx.me:
                self.ctx.notifier.warn("Choose who you are first: your changes are sent "
                                       "under your analyst id")
                self._ask_identity()
                return None
            return handler()

        return run

    def run_command(self, action: type[TriageAction], command: ActionCommand) -> None:
        """Ask what the command needs, then apply the action to the targets."""
        ids = self.selection.targets()
        if not ids:
            self.ctx.notifier.info("No escalation selected")
            return
        if len(ids) > MAX_BATCH:
            self.ctx.notifier.warn(
                f"That is more than {MAX_BATCH:,} escalations: narrow the view first")
            return
        title = command.title.rstrip("\u2026")

        def answered(values: dict[str, Any]) -> None:
            advance = bool(values.pop(ADVANCE, False))
            try:
                built = action.build({**dict(command.params), **values})
            except (TypeError, ValueError) as exc:
                self.ctx.notifier.warn(f"{title}: {exc}")
                return
            self.apply(built, ids)
            if advance:
                self.selection.move(1)

        self.asker.ask(title, action.inputs_of(command), ids, self.describe_targets(ids),
                       answered)

    def describe_targets(self, ids: list[int]) -> str:
        """How prompts name what the action will change."""
        if len(ids) != 1:
            return f"{len(ids):,} escalations"
        return self.lookups.reference(ids[0])

    def apply(self, action: TriageAction, ids: list[int]) -> None:
        if action.advances:
            self.selection.advance_past(ids)
        me = self.ctx.me
        self.ctx.run_write(
            f"action-{action.kind}", lambda db: ta.apply_action(db, action, ids, me,
                                                               self.ctx.clock()),
            failure="The action could not be saved",
            changes=lambda result: Changes.of_escalations(result.changed_ids),
            on_done=lambda result: self._landed(result, False))

    def undo(self) -> None:
        self._history("undo", store_undo.undo)

    def redo(self) -> None:
        self._history("redo", store_undo.redo)

    def _history(self, what: str, fn: Callable[..., ta.ApplyResult | None]) -> None:
        me = self.ctx.me
        self.ctx.run_write(
            what, lambda db: fn(db, me, self.ctx.clock()),
            failure=f"Could not {what}",
            changes=lambda r: Changes() if r is None else Changes.of_escalations(r.changed_ids),
            on_done=lambda result: self._landed(result, True))

    def _landed(self, result: ta.ApplyResult | None, history: bool) -> None:
        if result is None:
            self.ctx.notifier.info("Nothing to " + ("undo" if history else "do"))
            return
        failed = [o for o in result.outcomes if not o.ok]
        message = result.description
        if failed:
            shown = "; ".join(f"{self.lookups.reference(o.escalation_id, title=False)}: "
                              f"{one_line(o.message)}" for o in failed[:3])
            more = f" (+{len(failed) - 3} more)" if len(failed) > 3 else ""
            message += f" \u2014 {len(failed)} not changed: {shown}{more}"
        self.toast.show_message(message, undoable=result.undo_id is not None or history)
        self.applied.emit(result)

    def wake_snoozes(self) -> None:
        """Bring back snoozed escalations whose time has come (runs with the clock)."""

        def landed(ids: frozenset[int]) -> None:
            if ids:
                self.ctx.notifier.info(f"{len(ids):,} snoozed escalation(s) are back", 6000)

        self.ctx.run_write("wake-snoozes", lambda db: ta.wake_due_snoozes(db, self.ctx.clock()),
                           failure="Snoozed escalations could not be woken",
                           changes=lambda ids: Changes.of_escalations(ids, outbox=False),
                           on_done=landed)

    # -- prompts ---------------------------------------------------------------------

    def _open(self, dialog: QDialog) -> None:
        focus = QApplication.focusWidget()
        self._return_focus = focus if focus is not None and self._parent.isAncestorOf(
            focus) else None
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
            self._focus_back(self._return_focus)

    # -- create and save ---------------------------------------------------------------

    def ask_create(self) -> None:
        """`c`: an escalation typed in (a call, a chat, a meeting) or an incident."""
        choices = [Choice("escalation", "Escalation",
                          "typed in: a phone call, a chat, a meeting"),
                   Choice("incident", "Incident", "by title; add escalations to it with f")]
        prompt = PickPrompt("Create", choices, "Create what? (e or i, then Enter)", False,
                            self._parent)
        prompt.chosen.connect(lambda key: QTimer.singleShot(
            0, self.ask_create_escalation if key == "escalation" else
            self.ask_create_incident))
        self._open(prompt)

    def ask_create_escalation(self) -> None:
        # The market of the escalation at the cursor is the likeliest one.
        current = self.selection.current_id()
        row = None if current is None else self.selection.row(current)
        dialog = NewEscalationDialog(row.market if row is not None else "", self._parent)
        dialog.submitted.connect(self._create_escalation)
        self._open(dialog)

    def _create_escalation(self, draft: manual.ManualDraft) -> None:
        me = self.ctx.me

        def landed(created: manual.Created) -> None:
            self.ctx.notifier.info(
                f"Escalation #{created.escalation_id} created in {created.channel}", 6000)
            self.escalation_created.emit(created.escalation_id, created.channel)

        self.ctx.run_write(
            "create-escalation", lambda db: manual.create_escalation(db, draft, me,
                                                                     self.ctx.clock()),
            failure="The escalation could not be created",
            changes=lambda created: Changes.of_escalations([created.escalation_id],
                                                           outbox=False) | Changes(
                channels=True),
            on_done=landed)

    def ask_create_incident(self) -> None:
        prompt = ReasonPrompt("Create incident", "A title for the new incident:", (),
                              self._parent, placeholder="Title (required)")
        prompt.chosen.connect(self._create_incident)
        self._open(prompt)

    def _create_incident(self, title: str) -> None:
        me = self.ctx.me
        self.ctx.run_write(
            "create-incident", lambda db: incidents.create_incident(db, title, me,
                                                                    self.ctx.clock()),
            failure="The incident could not be created", changes=Changes(incidents=True),
            on_done=lambda i: self.ctx.notifier.info(
                f"Incident #{i} created: add escalations to it with f", 6000))

    def ask_save_view(self) -> None:
        query = self._current_query()
        prompt = ReasonPrompt("Save view", f"Save the query {query!r} as:", (), self._parent,
                              placeholder="Name (required)")
        prompt.chosen.connect(lambda name: self._save_view(name, query))
        self._open(prompt)

    def _save_view(self, name: str, query: str) -> None:
        def save(db: sqlite3.Connection) -> str:
            return store_views.save_view(db, name, query).name

        self.ctx.run_write("save-view", save, failure="The view could not be saved",
                           changes=Changes(views=True), on_done=self.view_saved.emit)
