"""The channel setup dialog (ui/channel_setup.ui): pick a kind, name the channel, fill the
kind's fields, test the connection, save.

The field widgets are built from the kind's FieldSpecs (rr_desktop/channels/registry.py),
so every registered kind gets a form without code here. Validation, the connection test
and saving are the same core functions the CLI's `channels add` uses
(rr_desktop/channel_setup.py); the test and the save (network, keyring) run through the
job helper, never on the GUI thread.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from .. import channel_setup as core
from .. import secrets
from ..channels import registry
from .forms import load_form
from .jobs import Job, JobRunner
from .text import one_line, plain_tooltip

if TYPE_CHECKING:
    from ..store.store import Store

log = logging.getLogger("rr_desktop.gui")

FieldWidget = QLineEdit | QComboBox


def _set_state(label: QLabel, state: str) -> None:
    """A `state` property for the theme (ok / bad / busy / ""); text always says it too."""
    if label.property("state") != state:
        label.setProperty("state", state)
        label.style().unpolish(label)
        label.style().polish(label)


class ChannelSetupDialog(QDialog):
    """Adds a channel: kind, name, the kind's settings; "Test connection"; Save.

    Save stores the non-secret settings in the cache and the secrets in the keyring
    (with no keyring it says so and saves nothing). An existing channel name is refused.

    Signals (GUI thread):
      channel_saved(str): the channel with this name was saved; the dialog then accepts;
      verdict_shown(object): a connection test ended with this `channel_setup.Verdict`.
    """

    channel_saved = Signal(str)
    verdict_shown = Signal(object)

    def __init__(self, store: Store, jobs: JobRunner | None = None,
                 parent: QWidget | None = None, kind: str | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.ui = load_form("channel_setup")()
        self.ui.setupUi(self)
        self._own_jobs = jobs is None
        self.jobs = jobs if jobs is not None else JobRunner(self, max_workers=1,
                                                            name="rr-channel-setup")
        self.fields: dict[str, FieldWidget] = {}
        self._remembered: dict[str, str] = {}  # plain values kept across kind switches
        self._generation = 0  # bumped on every edit: a late verdict may be stale
        self._tested_generation = 0
        self._saving = ""
        self.test_job: Job | None = None
        self.save_job: Job | None = None
        self.verdict: core.Verdict | None = None

        ui = self.ui
        self.save_button = ui.buttonBox.button(QDialogButtonBox.StandardButton.Save)
        for name in registry.kinds():
            ui.kindCombo.addItem(registry.spec(name).label + f" ({name})", name)
        if kind is not None and ui.kindCombo.findData(kind) >= 0:
            ui.kindCombo.setCurrentIndex(ui.kindCombo.findData(kind))
        ui.kindCombo.currentIndexChanged.connect(lambda _i: self._build_fields())
        ui.nameEdit.textEdited.connect(lambda _t: self._edited())
        ui.testButton.clicked.connect(self.test_connection)
        ui.buttonBox.accepted.connect(self.save)
        self._build_fields()

    # -- public API ----------------------------------------------------------------------

    def kind(self) -> str:
        return str(self.ui.kindCombo.currentData())

    def spec(self) -> registry.ChannelSpec:
        return registry.spec(self.kind())

    def draft(self) -> core.ChannelDraft:
        """What the form holds now, as the core's draft (not validated)."""
        plain: dict[str, str] = {}
        hidden: dict[str, str] = {}
        for f in self.spec().fields:
            widget = self.fields[f.name]
            value = (widget.text() if isinstance(widget, QLineEdit)
                     else str(widget.currentData() or ""))
            (hidden if f.secret else plain)[f.name] = value
        return core.new_draft(self.kind(), self.ui.nameEdit.text().strip(), plain, hidden)

    def problems(self) -> list[str]:
        """What stops the form from being tested or saved (also shown in the dialog)."""
        problems = self.draft().problems()
        self._show_problems(problems)
        return problems

    def test_connection(self) -> Job | None:
        """Run the kind's connection test on a worker; the verdict is shown when it ends."""
        if self.test_job is not None or self.problems():
            return None
        draft, self._tested_generation = self.draft(), self._generation
        self.verdict = None
        self.ui.verdictLabel.setText("Testing the connection\u2026")
        _set_state(self.ui.verdictLabel, "busy")
        self.ui.testButton.setEnabled(False)
        job = self.jobs.run("channel-test",
                            lambda _progress, _cancel: core.check_connection(draft))
        # Bound methods of this QObject: Qt drops the connections if the dialog goes first.
        job.succeeded.connect(self._on_verdict)
        job.failed.connect(self._on_test_error)
        job.finished.connect(self._test_done)
        self.test_job = job
        return job

    def save(self) -> Job | None:
        """Save on a worker (keyring, then the cache); accepts the dialog when done."""
        if self.save_job is not None or self.problems():
            return None
        draft, store = self.draft(), self.store
        self._saving = draft.name
        self._set_busy(True)
        self._show_problems([], "Saving\u2026")
        job = self.jobs.run("channel-save",
                            lambda _progress, _cancel: core.save(store, draft, replace=False))
        job.succeeded.connect(self._saved)
        job.failed.connect(self._save_failed)
        self.save_job = job
        return job

    def done(self, result: int) -> None:
        """Qt override: a dialog made its own job runner shuts it down when it closes."""
        if self.save_job is not None and not self.save_job.is_delivered() \
                and result == QDialog.DialogCode.Rejected:
            return  # the save is under way: its outcome decides
        if self._own_jobs:
            self.jobs.shutdown(0.5)
        super().done(result)

    # -- the form ------------------------------------------------------------------------

    def _build_fields(self) -> None:
        self._remember()
        layout = self.ui.fieldsLayout
        while layout.rowCount():
            layout.removeRow(0)
        self.fields = {}
        spec = self.spec()
        self.ui.kindDescription.setText(spec.description)
        self.ui.kindDescription.setVisible(bool(spec.description))
        for f in spec.fields:
            widget = self._field_widget(f)
            widget.setObjectName(f"field_{f.name}")
            label = QLabel(f.label if f.required else f"{f.label} (optional)")
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setBuddy(widget)
            if f.help:
                widget.setToolTip(plain_tooltip(f.help))
                label.setToolTip(plain_tooltip(f.help))
            layout.addRow(label, widget)
            self.fields[f.name] = widget
        self.ui.keyringNote.setVisible(bool(spec.secret_fields()))
        self._edited()

    def _field_widget(self, f: registry.FieldSpec) -> FieldWidget:
        if f.choices and not f.secret:
            combo = QComboBox()
            if not f.required and not f.default:  # an empty choice would mean the default
                combo.addItem("(none)", "")
            for choice in f.choices:
                combo.addItem(choice, choice)
            wanted = self._remembered.get(f.name, f.default)
            combo.setCurrentIndex(max(combo.findData(wanted), 0))
            combo.currentIndexChanged.connect(lambda _i: self._edited())
            return combo
        edit = QLineEdit()
        if f.secret:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setPlaceholderText(one_line(f.help) or "stored in the system keyring")
        else:
            edit.setText(self._remembered.get(f.name, f.default))
            edit.setPlaceholderText(one_line(f.help))
        edit.textEdited.connect(lambda _t: self._edited())
        return edit

    def _remember(self) -> None:
        for name, widget in self.fields.items():
            if isinstance(widget, QComboBox):
                self._remembered[name] = str(widget.currentData() or "")
            elif widget.echoMode() == QLineEdit.EchoMode.Normal:  # never keep a secret
                self._remembered[name] = widget.text()

    def _edited(self) -> None:
        """Any change makes the last verdict stale and clears old messages."""
        self._generation += 1
        if self.test_job is None:
            self.ui.verdictLabel.clear()
            _set_state(self.ui.verdictLabel, "")
        self.verdict = None
        if self.save_job is None:
            self._show_problems([])

    def _show_problems(self, problems: list[str], note: str = "") -> None:
        text = "\n".join(f"\u2022 {one_line(p)}" for p in problems) or note
        self.ui.problemsLabel.setText(text)
        _set_state(self.ui.problemsLabel, "bad" if problems else "")
        if problems:
            self._focus_first_problem()

    def _focus_first_problem(self) -> None:
        draft = self.draft()
        if core.name_problems(draft.name):
            self.ui.nameEdit.setFocus()
            return
        for f in self.spec().fields:
            value = (draft.secret_values if f.secret else draft.config).get(f.name, "")
            if f.required and not value:
                self.fields[f.name].setFocus()
                return

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.ui.kindCombo, self.ui.nameEdit, self.ui.fieldsBox,
                       self.ui.testButton, self.save_button):
            widget.setEnabled(not busy)

    # -- job results (GUI thread) --------------------------------------------------------

    def _on_verdict(self, verdict: Any) -> None:
        assert isinstance(verdict, core.Verdict)
        self._show_verdict(verdict, self._tested_generation)

    def _on_test_error(self, exc: BaseException) -> None:
        self._show_verdict(core.Verdict(core.VerdictKind.ERROR, f"{type(exc).__name__}: {exc}"),
                           self._tested_generation)

    def _show_verdict(self, verdict: core.Verdict, generation: int) -> None:
        self.verdict = verdict if generation == self._generation else None
        text = one_line(verdict.text())
        if generation != self._generation:
            text += " (the settings have changed since; test again)"
        self.ui.verdictLabel.setText(text)
        _set_state(self.ui.verdictLabel, "ok" if verdict.ok else "bad")
        self.verdict_shown.emit(verdict)

    def _test_done(self) -> None:
        self.test_job = None
        self.ui.testButton.setEnabled(self.save_job is None)

    def _saved(self, _channel_id: Any) -> None:
        self.save_job = None
        name = self._saving
        self._show_problems([], f"Saved channel {one_line(name)}.")
        self.channel_saved.emit(name)
        self.accept()

    def _save_failed(self, exc: BaseException) -> None:
        self.save_job = None
        self._set_busy(False)
        if isinstance(exc, core.SetupError):
            self._show_problems(exc.problems)
        elif isinstance(exc, secrets.SecretStoreError):
            self._show_problems([f"Nothing was saved. {exc}"])
        else:
            log.warning("saving a channel failed", exc_info=exc)
            self._show_problems([f"Nothing was saved: {type(exc).__name__}: {exc}"])
