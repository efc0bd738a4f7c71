"""The form for an escalation typed in by an analyst (KEYMAP `c`, then escalation)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QWidget

from ..domain import PolicyCategory, ReporterType, Severity, Urgency
from ..keymap import Mode
from ..store.manual import ManualDraft
from .forms import load_form


def _fill(combo: QComboBox, members: list[Severity] | list[Urgency] | list[PolicyCategory]
          | list[ReporterType], default: object) -> None:
    for member in members:
        combo.addItem(member.label, member)
    combo.setCurrentIndex(members.index(default))  # type: ignore[arg-type]


class NewEscalationDialog(QDialog):
    """Title, market, severity, urgency, category, reporter, URL and details. OK (or
    Ctrl+Return) checks the draft and says what is wrong in the dialog, keeping what was
    typed; a good draft is handed on and the dialog closes.

    Signals: submitted(ManualDraft).
    """

    submitted = Signal(object)
    command_mode = Mode.COMPOSER  # Ctrl+Return creates it, like a composer sends

    def __init__(self, default_market: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui = load_form("new_escalation")()
        self.ui.setupUi(self)
        ui = self.ui
        _fill(ui.severityCombo, list(Severity), Severity.S2)
        _fill(ui.urgencyCombo, list(Urgency), Urgency.U2)
        _fill(ui.categoryCombo, list(PolicyCategory), PolicyCategory.OTHER)
        _fill(ui.reporterTypeCombo, list(ReporterType), ReporterType.INTERNAL)
        ui.marketEdit.setText(default_market)
        ui.buttonBox.accepted.connect(self.submit)
        ok = ui.buttonBox.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Create")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        ui.titleEdit.setFocus()

    def draft(self) -> ManualDraft:
        ui = self.ui
        return ManualDraft(
            title=ui.titleEdit.text(), body=ui.bodyEdit.toPlainText(),
            market=ui.marketEdit.text(), severity=ui.severityCombo.currentData(),
            urgency=ui.urgencyCombo.currentData(), category=ui.categoryCombo.currentData(),
            reporter=ui.reporterEdit.text(), reporter_type=ui.reporterTypeCombo.currentData(),
            content_url=ui.urlEdit.text().strip() or None)

    def handle_command(self, name: str) -> None:
        if name in ("submit", "submit-next"):
            self.submit()

    def submit(self) -> None:
        draft = self.draft()
        problems = draft.problems()
        if problems:
            self.ui.errorLabel.setText(" ".join(problems))
            return
        self.accept()
        self.submitted.emit(draft)
