"""The lead board's rebalance (`b`, docs/lead-board.md "Rebalance"): the proposal read on
a worker (store/rebalance.py), shown with who gets what and why (plain text: titles are
channel text, docs/decisions/0009), applied in one step as one undo batch (AssignEach:
the assign action's outbox, audit and undo; `z` restores every move)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..domain.rebalance import Proposal
from ..store import triage_actions as ta
from ..store.actions import AssignEach
from ..store.changes import Changes
from ..store.rebalance import rebalance_proposal
from .context import AppContext
from .text import one_line, plural


class RebalanceDialog(QDialog):
    """The moves, one a line, with Apply (Return) and Cancel (Esc)."""

    def __init__(self, proposal: Proposal, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rebalanceDialog")
        self.setWindowTitle("Rebalance")
        self.proposal = proposal
        n = len(proposal.moves)
        left = (f"; {plural(proposal.left, 'item')} nobody on shift has room for stay "
                "where they are") if proposal.left else ""
        intro = QLabel(f"Move {plural(n, 'item')} to analysts on shift with room{left}. "
                       "Apply assigns them all in one step; z undoes it.")
        intro.setObjectName("rebalanceIntro")
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        self.moves = QPlainTextEdit()
        self.moves.setObjectName("rebalanceMoves")
        self.moves.setReadOnly(True)
        self.moves.textCursor().insertText("\n".join(
            f"{one_line(m.sentence())}\n    {one_line(m.title)}" for m in proposal.moves))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.moves, 1)
        layout.addWidget(buttons)
        self.resize(760, 420)


class Rebalance(QObject):
    """Signals: proposed(RebalanceDialog): the proposal is shown; applied(object): the
    batch landed (its ApplyResult)."""

    proposed = Signal(object)
    applied = Signal(object)

    def __init__(self, ctx: AppContext, open_dialog: Callable[[QDialog], None],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx, self._open_dialog, self._parent = ctx, open_dialog, parent

    def propose(self) -> None:
        """b: read the proposal for now and show it (or say there is nothing to do)."""
        now = self.ctx.clock()
        self.ctx.run_read("rebalance", lambda db: rebalance_proposal(db, now),
                          failure="Could not work out a rebalance", on_done=self._show)

    def _show(self, proposal: Proposal) -> None:
        if not proposal.moves:
            why = (f"nobody on shift has room for {plural(proposal.left, 'item')}"
                   if proposal.left else
                   "no unassigned items and nobody over capacity")
            self.ctx.notifier.info(f"Nothing to rebalance: {why}")
            return
        dialog = RebalanceDialog(proposal, self._parent)
        dialog.accepted.connect(lambda: self.apply(proposal))
        self._open_dialog(dialog)
        dialog.apply_button.setFocus()
        self.proposed.emit(dialog)

    def apply(self, proposal: Proposal) -> None:
        me = self.ctx.me
        if not me:
            self.ctx.notifier.info("Choose who you are first (File, Who am I): the audit "
                                   "log names who rebalanced")
            return
        action = AssignEach(tuple((m.esc_id, m.from_id, m.to_id) for m in proposal.moves))
        ids = [m.esc_id for m in proposal.moves]

        def landed(result: ta.ApplyResult) -> None:
            failed = [o for o in result.outcomes if not o.ok]
            more = f"; {len(failed)} not changed: {one_line(failed[0].message)}" \
                if failed else ""
            self.ctx.notifier.info(f"{result.description}{more} (z undoes it)", 8000)
            self.applied.emit(result)

        self.ctx.run_write(
            "rebalance", lambda db: ta.apply_action(db, action, ids, me, self.ctx.clock()),
            failure="The rebalance could not be saved",
            changes=lambda result: Changes.of_escalations(result.changed_ids),
            on_done=landed)
