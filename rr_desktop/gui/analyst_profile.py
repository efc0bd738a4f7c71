"""Editing the team's fields of an analyst (policy areas, shift in their time zone,
capacity) from the lead board: a dialog built from ui/analyst_profile.ui. What the sources
list (name, languages, markets) is shown, not edited: the next roster sync would undo it.
A roster sync never touches these fields (store/roster.py)."""

from __future__ import annotations

from zoneinfo import available_timezones

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCompleter, QDialog, QDialogButtonBox, QListWidgetItem, QWidget

from ..domain import Analyst, PolicyCategory
from ..domain.roster_profile import AnalystProfile, check_capacity, parse_skills
from ..domain.shift import ShiftSchedule
from ..keymap import Mode
from ..store.changes import Changes
from ..store.roster import save_profile
from .context import AppContext
from .forms import load_form
from .text import one_line

_ZONES = sorted(available_timezones())


class AnalystProfileDialog(QDialog):
    """Signals: saved(str): the analyst's fields were written (their id)."""

    saved = Signal(str)
    command_mode = Mode.COMPOSER  # Ctrl+Return saves, like a composer sends

    def __init__(self, ctx: AppContext, analyst: Analyst, profile: AnalystProfile,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("analystProfile")
        self.ctx, self.analyst = ctx, analyst
        self.ui = load_form("analyst_profile")()
        self.ui.setupUi(self)
        ui = self.ui
        self.setWindowTitle(f"Analyst: {one_line(analyst.name)}")
        ui.whoLabel.setText(
            f"{one_line(analyst.name)} ({one_line(analyst.id)})\nLanguages: "
            f"{' '.join(analyst.languages) or 'none listed'} \u00b7 Markets: "
            f"{' '.join(analyst.markets) or 'none listed'} (from the source's roster)")
        for category in PolicyCategory:
            item = QListWidgetItem(category.label)
            item.setData(Qt.ItemDataRole.UserRole, category.value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if category in profile.skills
                               else Qt.CheckState.Unchecked)
            ui.skillsList.addItem(item)
        ui.skillsList.setCurrentRow(0)
        completer = QCompleter(_ZONES, self)  # inline: "Asia/Ja" completes, no popup
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.InlineCompletion)
        ui.zoneEdit.setCompleter(completer)
        if profile.shift is not None:
            ui.zoneEdit.setText(profile.shift.zone)
            ui.hoursEdit.setText(profile.shift.text())
        ui.capacitySpin.setValue(profile.capacity or 0)
        ui.buttonBox.button(QDialogButtonBox.StandardButton.Save).clicked.connect(self.submit)
        self.busy = False
        ui.skillsList.setFocus()

    def handle_command(self, name: str) -> None:
        if name in ("submit", "submit-next"):
            self.submit()

    def set_skills(self, skills: tuple[PolicyCategory, ...]) -> None:
        lst = self.ui.skillsList
        for row in range(lst.count()):
            item = lst.item(row)
            item.setCheckState(Qt.CheckState.Checked
                               if item.data(Qt.ItemDataRole.UserRole) in skills
                               else Qt.CheckState.Unchecked)

    def profile(self) -> AnalystProfile:
        """What the form says; ValueError with a sentence when it cannot be saved."""
        ui = self.ui
        lst = ui.skillsList
        skills = parse_skills(" ".join(
            str(lst.item(r).data(Qt.ItemDataRole.UserRole)) for r in range(lst.count())
            if lst.item(r).checkState() == Qt.CheckState.Checked))
        zone, hours = ui.zoneEdit.text().strip(), ui.hoursEdit.text().strip()
        shift = None
        if hours or zone:
            if not hours:
                raise ValueError("Shift hours: type them (e.g. Mon-Fri 09:00-18:00), or "
                                 "clear the time zone too")
            shift = ShiftSchedule.parse(zone, hours)
        capacity = check_capacity(ui.capacitySpin.value() or None)
        return AnalystProfile(skills, shift, capacity)

    def submit(self) -> None:
        """Check the form, then write on a worker; a problem is said in the dialog and
        nothing typed is lost."""
        if self.busy:
            return
        try:
            wanted = self.profile()
        except ValueError as exc:
            self.ui.problemLabel.setText(str(exc)[:300])
            return
        self.busy = True
        self.ui.problemLabel.setText("Saving\u2026")
        analyst_id = self.analyst.id

        def landed(found: bool) -> None:
            self.busy = False
            if not found:
                self.ui.problemLabel.setText(f"{analyst_id} is no longer on the roster; "
                                             "nothing was saved.")
                return
            self.ctx.notifier.info(f"Saved {self.analyst.name}'s skills, shift and capacity")
            self.saved.emit(analyst_id)
            self.accept()

        def failed(_exc: BaseException) -> None:
            self.busy = False
            self.ui.problemLabel.setText("Could not save; see the status bar.")

        self.ctx.run_write("analyst-profile",
                           lambda db: save_profile(db, analyst_id, wanted),
                           failure=f"Could not save {analyst_id}'s fields",
                           changes=Changes(roster=True), on_done=landed, on_failure=failed)
