"""The shift handover pack in the app (Ctrl+Shift+H, docs/lead-board.md "Shift handover"):
read on a worker (store/handover.py), shown as plain text (docs/decisions/0009: titles,
notes and facts are channel or analyst text), exported to Markdown, HTML or PDF, and
recorded so the next pack starts at this one's time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSizeF, Qt, Signal
from PySide6.QtGui import QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..domain.handover import HandoverPack, to_html, to_markdown, to_text
from ..store.handover import build_pack, record_handover
from .context import AppContext
from .text import reveal_invisibles

FILTERS = "Markdown (*.md);;HTML (*.html);;PDF (*.pdf)"


def write_pack(path: Path, pack: HandoverPack) -> Path:
    """Write the pack by the file's suffix (.md when it has none of ours). PDF goes
    through Qt's text document, filled as plain text."""
    suffix = path.suffix.lower()
    if suffix not in (".md", ".html", ".htm", ".pdf"):
        path, suffix = path.with_suffix(".md"), ".md"
    if suffix == ".pdf":
        doc = QTextDocument()
        doc.setPlainText(to_text(pack))
        writer = QPdfWriter(str(path))
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        writer.setTitle("Shift handover")
        doc.setPageSize(QSizeF(writer.width(), writer.height()))
        doc.print_(writer)
        del writer  # the file is finished when the writer goes
        return path
    path.write_text(to_markdown(pack) if suffix == ".md" else to_html(pack), encoding="utf-8")
    return path


class HandoverDialog(QDialog):
    """The pack as text, with Export and Record handover."""

    def __init__(self, pack: HandoverPack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("handoverDialog")
        self.setWindowTitle("Shift handover")
        self.pack = pack
        self.text = QPlainTextEdit()
        self.text.setObjectName("handoverText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.textCursor().insertText(reveal_invisibles(to_text(pack)))
        self.status = QLabel("Record the handover when the next shift has it: the next pack "
                             "starts then.")
        self.status.setObjectName("handoverStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.export_button = QPushButton("Export\u2026")
        self.export_button.setObjectName("handoverExport")
        self.record_button = QPushButton("Record handover")
        self.record_button.setObjectName("handoverRecord")
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        buttons.addWidget(self.record_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(820, 640)


class Handover(QObject):
    """Builds, shows, exports and records the pack. Signals: shown(HandoverDialog);
    exported(str): a file was written (its path); recorded(): the handover time was
    saved."""

    shown = Signal(object)
    exported = Signal(str)
    recorded = Signal()

    def __init__(self, ctx: AppContext, open_dialog: Callable[[QDialog], None],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx, self._open_dialog, self._parent = ctx, open_dialog, parent
        self.dialog: HandoverDialog | None = None

    def build(self) -> None:
        """Ctrl+Shift+H: read the pack for now and show it."""
        me = self.ctx.me
        if not me:
            self.ctx.notifier.info("Choose who you are first (File, Who am I): the pack "
                                   "lists your notes since the last handover")
            return
        now = self.ctx.clock()
        self.ctx.run_read("handover", lambda db: build_pack(db, me, now),
                          failure="Could not build the handover pack", on_done=self._show)

    def _show(self, pack: HandoverPack) -> None:
        dialog = HandoverDialog(pack, self._parent)
        dialog.export_button.clicked.connect(lambda: self.ask_export(dialog))
        dialog.record_button.clicked.connect(lambda: self.record(dialog))
        dialog.destroyed.connect(lambda _o=None: setattr(self, "dialog", None))
        self.dialog = dialog
        self._open_dialog(dialog)
        self.shown.emit(dialog)

    def ask_export(self, owner: HandoverDialog) -> None:
        stamp = owner.pack.built_at.strftime("%Y%m%d-%H%M")
        default = self.ctx.data_dir / f"handover-{stamp}.md"
        dialog = QFileDialog(owner, "Export the handover pack", str(default), FILTERS)
        dialog.setObjectName("exportHandover")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda name: self.export(owner.pack, Path(name)))
        dialog.open()

    def export(self, pack: HandoverPack, path: Path) -> None:
        """Write the file (small: on the GUI thread, PDF needs it); a failure is one
        sentence, nothing else changes."""
        try:
            written = write_pack(path, pack)
        except OSError as exc:
            self.ctx.notifier.warn(f"Could not export the handover pack to {path}: "
                                   f"{exc.strerror or exc}")
            return
        self.ctx.notifier.info(f"Exported the handover pack to {written}", 8000)
        self.exported.emit(str(written))

    def record(self, owner: HandoverDialog) -> None:
        pack, me = owner.pack, self.ctx.me

        def done(_result: Any) -> None:
            if self.dialog is owner:  # else closed before the write landed
                owner.record_button.setEnabled(False)
                owner.status.setText(f"Handover recorded at {pack.built_at:%Y-%m-%d %H:%M} "
                                     "UTC: the next pack starts there.")
            else:
                self.ctx.notifier.info("Handover recorded: the next pack starts there")
            self.recorded.emit()

        self.ctx.run_write("handover-record", lambda db: record_handover(db, pack, me),
                           failure="Could not record the handover", on_done=done)
