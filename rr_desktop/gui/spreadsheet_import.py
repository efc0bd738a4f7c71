"""Importing a partner's or regulator's spreadsheet: choose the file, map its columns,
preview what would come in (and what would be rejected, and why), then register it as a
`spreadsheet` channel. Reading and previewing run on the job helper, off the GUI thread;
the file itself is only read at sync time by the channel (no network anywhere).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QFileDialog, QLabel, QTableView, QWidget

from ..channels import spreadsheet as ss
from ..channels.spreadsheet import importing
from ..domain import Channel, PolicyCategory, ReporterType, Severity, Urgency
from ..store import channel_state as cs
from ..store.store import Store
from .forms import load_form
from .jobs import JobRunner
from .spreadsheet_rows import RowsModel
from .text import one_line

PREVIEW_ROWS = 200
NOT_MAPPED = "(not in this file)"
ALWAYS_SHOWN = ("title", "market", "category", "severity", "urgency", "reporter")
DEFAULTS = {"reporter_type": ReporterType.TRUSTED_PARTNER.value,
            "category": PolicyCategory.OTHER.value, "severity": "S2", "urgency": "U2",
            "date_order": "DMY", "timezone": "UTC", "date_system": "1900"}


class SpreadsheetImportDialog(QDialog):
    """The import wizard on one page: file, column mapping, defaults, preview, import.

    Signals (besides QDialog's):
      imported(object): the `Channel` just registered (or updated) for the file; the
        window builds its client and syncs it;
      preview_ready(): a preview, or the reason there is none, is on screen;
      failed(str): reading the file or saving the channel failed (the message shown).
    """

    imported = Signal(object)
    preview_ready = Signal()
    failed = Signal(str)

    def __init__(self, store: Store, jobs: JobRunner | None = None,
                 parent: QWidget | None = None, path: Path | None = None) -> None:
        super().__init__(parent)
        self.ui = load_form("spreadsheet_import")()
        self.ui.setupUi(self)
        self.store = store
        self._own_jobs = jobs is None
        self.jobs = jobs or JobRunner(self, max_workers=1, name="rr-sheet")
        self.path: Path | None = None
        self.info: ss.SheetInfo | None = None
        self.mapping = ss.ColumnMapping()
        self.preview: ss.Preview | None = None
        self.existing: Channel | None = None
        self._adopted: Path | None = None  # the file whose channel's header row was taken
        self._channels: list[Channel] = []
        self._combos: dict[str, QComboBox] = {}
        self._cancel: threading.Event | None = None
        self._preview_running = False
        self._preview_again = False
        self.preview_model = RowsModel(self)
        self.rejected_model = RowsModel(self)
        self._setup_widgets()
        if path is not None:
            self.load_file(path)

    def _setup_widgets(self) -> None:
        ui = self.ui
        for table, model in ((ui.previewTable, self.preview_model),
                             (ui.rejectedTable, self.rejected_model)):
            table.setModel(model)
            table.horizontalHeader().setDefaultSectionSize(160)
            table.verticalHeader().setVisible(False)
            table.horizontalHeader().setStretchLastSection(True)
            model.modelReset.connect(lambda t=table: self._size_columns(t))
        self._choices = {"reporter_type": ui.reporterTypeCombo, "category": ui.categoryCombo,
                         "severity": ui.severityCombo, "urgency": ui.urgencyCombo,
                         "date_order": ui.dateOrderCombo, "date_system": ui.dateSystemCombo}
        self._texts = {"reporter": ui.reporterEdit, "market": ui.marketEdit,
                       "timezone": ui.timezoneEdit}
        for key, values in (
                ("reporter_type", [(m.label, m.value) for m in ReporterType]),
                ("category", [(m.label, m.value) for m in PolicyCategory]),
                ("severity", [(m.label, m.name) for m in Severity]),
                ("urgency", [(m.label, m.name) for m in Urgency]),
                ("date_order", [("day first (DMY)", "DMY"), ("month first (MDY)", "MDY")]),
                ("date_system", [("1900 (Excel for Windows)", "1900"),
                                 ("1904 (old Excel for Mac)", "1904")])):
            for label, value in values:
                self._choices[key].addItem(label, value)
        self._set_defaults(DEFAULTS)
        for combo in self._choices.values():
            combo.currentIndexChanged.connect(self.refresh_preview)
        for edit in self._texts.values():
            edit.editingFinished.connect(self.refresh_preview)
        ui.sheetCombo.setEnabled(False)
        ui.sheetCombo.currentIndexChanged.connect(self._on_sheet_chosen)
        ui.headerRowSpin.valueChanged.connect(self._on_header_row_chosen)
        ui.browseButton.clicked.connect(self.browse)
        ui.pathEdit.returnPressed.connect(lambda: self.load_file(Path(ui.pathEdit.text())))
        ui.importButton.clicked.connect(self.import_file)
        ui.nameEdit.textEdited.connect(lambda _t: self._update_import_button())

    # -- public API ----------------------------------------------------------------------

    def browse(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, "Import spreadsheet", str(self.path.parent) if self.path else "",
            "Spreadsheets (*.csv *.xlsx *.xlsm *.tsv *.txt);;All files (*)")
        if name:
            self.load_file(Path(name))

    def load_file(self, path: Path, sheet: str = "") -> None:
        """Read the file's header (and the channels already configured) off the GUI
        thread, then suggest a mapping and preview. The header row is the one chosen
        in the Header row box, or found (Automatic)."""
        self.path = path.expanduser().resolve()
        self.ui.pathEdit.setText(str(self.path))
        self.ui.importButton.setEnabled(False)
        self._show_message("Reading the file\u2026")
        store, target, header_row = self.store, self.path, self.ui.headerRowSpin.value()

        def work(_progress: Any, _cancel: threading.Event) -> tuple[Any, list[Channel]]:
            info = ss.inspect(target, sheet, header_row)
            with store.read() as db:
                return info, cs.list_channels(db)

        self.jobs.run("sheet-open", work, on_success=self._on_opened,
                      on_failure=self._on_failed)

    def set_column(self, field: str, column: str | None) -> None:
        """Map `field` to `column` (None: unmapped), as choosing it in its combo does."""
        combo = self._combos[field]
        index = combo.findData(column) if column else 0
        combo.setCurrentIndex(max(index, 0))

    def config(self) -> dict[str, str]:
        """The channel config the Import button would save."""
        return {
            "path": str(self.path or ""),
            "sheet": self.info.sheet if self.info and self.info.kind == "xlsx" else "",
            "header_row": str(self.ui.headerRowSpin.value() or ""),
            "mapping": self.mapping.to_json(),
            **{k: str(c.currentData()) for k, c in self._choices.items()},
            **{k: e.text().strip() for k, e in self._texts.items()},
        }

    def is_busy(self) -> bool:
        return self._preview_running or any(j.name.startswith("sheet-") for j in self.jobs.active())

    def refresh_preview(self) -> None:
        """Preview again with the current mapping and defaults (coalesced while one runs)."""
        if self.path is None or self.info is None:
            return
        if self._preview_running:
            self._preview_again = True
            if self._cancel is not None:
                self._cancel.set()
            return
        try:
            defaults = ss.Defaults.from_config(self.config())
        except ValueError as exc:
            self._show_problem(f"Defaults: {exc}")
            return
        self._preview_running = True
        self._preview_again = False
        path, mapping, sheet = self.path, self.mapping, self.config()["sheet"]
        source = self.ui.nameEdit.text().strip() or path.stem
        header_row = self.ui.headerRowSpin.value()

        def work(_progress: Any, cancel: threading.Event) -> ss.Preview:
            return ss.preview(path, mapping, PREVIEW_ROWS, defaults=defaults, sheet=sheet,
                              source=source, cancelled=cancel.is_set, header_row=header_row)

        job = self.jobs.run("sheet-preview", work, on_success=self._on_preview,
                            on_failure=self._on_failed)
        self._cancel = job.cancel_event
        job.finished.connect(self._preview_done)

    def import_file(self) -> None:
        """Register (or update) the channel for this file through the core; the next
        sync reads it. Emits `imported(Channel)` and closes on success."""
        name = self.ui.nameEdit.text().strip()
        config = self.config()
        problems = importing.import_problems(name, config, self._channels)
        if problems:
            self._show_problem("; ".join(problems))
            return
        self.ui.importButton.setEnabled(False)
        store = self.store

        def work(_progress: Any, _cancel: threading.Event) -> Channel:
            channel = Channel(name, ss.KIND, config)
            with store.write() as db:
                cid = cs.ensure_channel(db, channel)
            return Channel(name, ss.KIND, config, cid)

        self.jobs.run("sheet-import", work, on_success=self._on_imported,
                      on_failure=self._on_import_failed)

    # -- job results -----------------------------------------------------------------------

    def _on_opened(self, opened: tuple[ss.SheetInfo, list[Channel]]) -> None:
        (info, self._channels), ui = opened, self.ui
        self.info = info
        ui.sheetCombo.blockSignals(True)
        ui.sheetCombo.clear()
        for name in info.sheet_names:
            ui.sheetCombo.addItem(one_line(name), name)
        ui.sheetCombo.setCurrentIndex(max(ui.sheetCombo.findData(info.sheet), 0))
        ui.sheetCombo.setEnabled(info.kind == "xlsx" and len(info.sheet_names) > 1)
        ui.sheetCombo.blockSignals(False)
        headers, path = info.headers, self.path or Path()
        self.existing = importing.channel_for_file(self._channels, path)
        self.mapping = ss.ColumnMapping.suggest(headers)
        if self.existing is not None:  # the same file again: the same channel and cursor
            if self._adopted != path:  # its header row too, once per file
                self._adopted = path
                saved = self.existing.config.get("header_row", "")
                row = int(saved) if saved.isdigit() else 0
                if row != ui.headerRowSpin.value():
                    ui.headerRowSpin.blockSignals(True)
                    ui.headerRowSpin.setValue(row)
                    ui.headerRowSpin.blockSignals(False)
                    self.load_file(path, info.sheet if info.kind == "xlsx" else "")
                    return
            ui.nameEdit.setText(self.existing.name)
            self.mapping = importing.saved_mapping(self.existing, headers) or self.mapping
            self._set_defaults(self.existing.config)
        elif not ui.nameEdit.text().strip():
            ui.nameEdit.setText(importing.new_channel_name(path, self._channels))
        self._build_mapping(headers)
        self._show_message("\n".join(info.warnings))
        self.refresh_preview()

    def _set_defaults(self, config: dict[str, str]) -> None:
        for key, combo in self._choices.items():
            index = combo.findData(config.get(key, DEFAULTS.get(key)))
            if index >= 0:
                combo.blockSignals(True)
                combo.setCurrentIndex(index)
                combo.blockSignals(False)
        for key, edit in self._texts.items():
            edit.setText(config.get(key, "") or DEFAULTS.get(key, ""))

    def _build_mapping(self, headers: tuple[str, ...]) -> None:
        form = self.ui.mappingForm
        while form.rowCount():
            form.removeRow(0)
        self._combos = {}
        for info in ss.FIELDS:
            label = QLabel(info.label)
            label.setTextFormat(Qt.TextFormat.PlainText)
            combo = QComboBox()
            combo.setObjectName(f"mapping-{info.name}")
            combo.addItem(NOT_MAPPED, None)
            for header in headers:
                combo.addItem(one_line(header), header)
            current = self.mapping.column(info.name)
            combo.setCurrentIndex(max(combo.findData(current), 0) if current else 0)
            combo.currentIndexChanged.connect(
                lambda _i, f=info.name, c=combo: self._on_column_chosen(f, c))
            form.addRow(label, combo)
            self._combos[info.name] = combo

    def _on_column_chosen(self, field: str, combo: QComboBox) -> None:
        data = combo.currentData()
        self.mapping = self.mapping.with_column(field, data if isinstance(data, str) else None)
        self.refresh_preview()

    def _on_header_row_chosen(self, _row: int) -> None:
        """Another header row: other column names, so read the file again."""
        if self.path is not None:
            self.load_file(self.path, self.config()["sheet"])

    def _on_sheet_chosen(self, _index: int) -> None:
        sheet = self.ui.sheetCombo.currentData()
        if self.path is not None and isinstance(sheet, str):
            self.load_file(self.path, sheet)

    def _on_preview(self, result: ss.Preview) -> None:
        if self._preview_again:
            return  # the mapping changed meanwhile; the next preview replaces this one
        self.preview = result
        shown = [f.name for f in ss.FIELDS if f.name in result.mapping.columns or
                 f.name in ALWAYS_SHOWN]
        labels = {f.name: f.label for f in ss.FIELDS}
        self.preview_model.set_rows(
            [("#row", "Row"), ("#problem", "Problem"), *((f, labels[f]) for f in shown)],
            result.rows)
        self.rejected_model.set_rows(
            [("#row", "Row"), ("#problem", "Why it is rejected"), ("external_id", "ID"),
             ("title", "Title"), ("content_url", "Content URL")], result.rejected)
        self.ui.resultTabs.setTabText(1, f"Rejected rows ({result.total_rejected:,})")
        more = "" if len(result.rejected) == result.total_rejected else \
            f" (the first {len(result.rejected):,} are listed)"
        self.ui.summaryLabel.setText(
            f"{result.total:,} rows: {result.accepted:,} to import, "
            f"{result.total_rejected:,} rejected{more}. Showing the first "
            f"{len(result.rows):,}.")
        self._show_message("\n".join(result.info.warnings))
        self._update_import_button()
        self.preview_ready.emit()

    def _preview_done(self) -> None:
        self._preview_running = False
        if self._preview_again:  # the mapping or defaults changed while it ran
            self.refresh_preview()

    def _on_failed(self, error: BaseException) -> None:
        message = str(error) if isinstance(error, ss.SpreadsheetError | ValueError) else (
            f"{type(error).__name__}: {error}")
        self.preview = None
        self.preview_model.set_rows([], [])
        self.rejected_model.set_rows([], [])
        self._show_problem(message)
        self.ui.summaryLabel.setText("Nothing can be imported from this file.")
        self.failed.emit(message)
        self.preview_ready.emit()

    def _on_import_failed(self, error: BaseException) -> None:
        message = f"The channel could not be saved: {error}"
        self._show_message(message)
        self._update_import_button()
        self.failed.emit(message)

    def _on_imported(self, channel: Channel) -> None:
        self.imported.emit(channel)
        self.accept()

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _size_columns(table: QTableView) -> None:
        """A narrow row number, a wide reason; every other column the default width."""
        if table.model().columnCount() > 1:
            table.setColumnWidth(0, 56)
            table.setColumnWidth(1, 380)

    def _update_import_button(self) -> None:
        self.ui.importButton.setEnabled(
            self.preview is not None and self.preview.accepted > 0 and
            bool(self.ui.nameEdit.text().strip()))

    def _show_message(self, text: str) -> None:
        self.ui.messageLabel.setText("\n".join(one_line(t) for t in text.split("\n")))
        self.ui.messageLabel.setVisible(bool(text))

    def _show_problem(self, text: str) -> None:
        self.ui.importButton.setEnabled(False)
        self._show_message(text)

    def done(self, result: int) -> None:
        """Closing cancels a preview still reading a big file."""
        if self._cancel is not None:
            self._cancel.set()
        if self._own_jobs:
            self.jobs.shutdown(timeout=2.0)
        super().done(result)
