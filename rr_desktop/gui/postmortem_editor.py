"""The post-mortem editor page: the outline, the Markdown source and its live preview.

The source is a plain text field (bare letters type text; the page's commands are
Ctrl/Alt chords registered in the keymap, mode POSTMORTEM). The preview and the outline
follow the text once typing pauses, so a keystroke never waits for a render; the preview
is the one SafeHtml path (sanitized, loads nothing, asks before opening a link).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QFont, QTextCursor
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..domain.postmortem_doc import outline
from ..store.postmortems import Draft
from .postmortem_autosave import editor_text
from .postmortem_text import SectionRenderer, toggle_bullets, toggle_heading
from .safe_html import SafeHtmlView
from .text import one_line

PREVIEW_IDLE_MS = 400
STATES = {"draft": "Draft", "in_review": "In review", "final": "Final"}
LINE_ROLE = Qt.ItemDataRole.UserRole


class SourceEdit(QPlainTextEdit):
    """The Markdown source. Signals: focus_lost(): the focus went elsewhere (autosave)."""

    focus_lost = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        """Qt override: say so, so the draft is saved when the analyst looks away."""
        super().focusOutEvent(event)
        self.focus_lost.emit()


class PostmortemEditor(QWidget):
    """`text` (the source), `preview`, `outline`, `header`, `lock` (shown while final),
    `status` (the save state). Signals: outline_picked(): a heading was chosen."""

    outline_picked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("postmortemEditor")
        self.pm_id: int | None = None
        self.header = QLabel()
        self.header.setObjectName("postmortemHeader")
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self.lock = QLabel()
        self.lock.setObjectName("postmortemLock")
        self.lock.setTextFormat(Qt.TextFormat.PlainText)
        self.lock.setWordWrap(True)
        self.lock.hide()
        self.conflicts = QLabel()
        self.conflicts.setObjectName("postmortemConflicts")
        self.conflicts.setTextFormat(Qt.TextFormat.PlainText)
        self.conflicts.hide()
        self.text = SourceEdit()
        self.text.setObjectName("postmortemSource")
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setTabChangesFocus(False)
        mono = QFont("Noto Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(mono)
        self.outline = QListWidget()
        self.outline.setObjectName("postmortemOutline")
        self.outline.itemActivated.connect(self._go_to_heading)
        self.preview = SafeHtmlView()
        self.preview.setObjectName("postmortemPreview")
        self.preview.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.status = QLabel()
        self.status.setObjectName("postmortemStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        split = QSplitter(Qt.Orientation.Horizontal)
        for widget, stretch in ((self.outline, 1), (self.text, 4), (self.preview, 4)):
            split.addWidget(widget)
            split.setStretchFactor(split.count() - 1, stretch)
        layout = QVBoxLayout(self)
        for label in (self.header, self.lock, self.conflicts):
            layout.addWidget(label)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        self._renderer = SectionRenderer()
        self._follow = QTimer(self)
        self._follow.setSingleShot(True)
        self._follow.setInterval(PREVIEW_IDLE_MS)
        self._follow.timeout.connect(self.refresh_preview)
        self.text.textChanged.connect(self._follow.start)

    # -- showing a draft ------------------------------------------------------------------

    def load(self, draft: Draft) -> None:
        """Show `draft` (a fresh undo history)."""
        self.pm_id = draft.id
        self.text.setPlainText(draft.text)
        self.show_state(draft)
        self.refresh_preview()

    def show_state(self, draft: Draft) -> None:
        """Title, review state, open merges; final locks the text."""
        marker = " \u00b7 not yet synced" if draft.dirty else ""
        self.header.setText(f"{one_line(draft.title)} \u2014 {STATES.get(draft.state, '?')}"
                            f"{marker}")
        final = draft.state == "final"
        self.text.setReadOnly(final)
        self.lock.setText("Final: the text is locked. Set it back to draft (Ctrl+Alt+S) to "
                          "change it; that starts a new revision." if final else "")
        self.lock.setVisible(final)
        n = len(draft.conflicts)
        self.conflicts.setText(
            f"{n} section{'s' if n != 1 else ''} changed here and on the service: "
            "Ctrl+Alt+M to merge" if n else "")
        self.conflicts.setVisible(bool(n))

    def replace_text(self, text: str) -> None:
        """The whole text becomes `text` as one edit (Ctrl+Z undoes it); the cursor stays
        near where it was."""
        if text == editor_text(self.text):
            return
        position = self.text.textCursor().position()
        cursor = QTextCursor(self.text.document())
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()
        cursor.setPosition(min(position, len(text)))
        self.text.setTextCursor(cursor)

    # -- the commands' edits ---------------------------------------------------------------

    def _lines_edit(self, change: object) -> None:
        if self.text.isReadOnly():
            return
        cursor = self.text.textCursor()
        doc = self.text.document()
        first = doc.findBlock(cursor.selectionStart())
        last = doc.findBlock(cursor.selectionEnd())
        edit = QTextCursor(doc)
        edit.setPosition(first.position())
        edit.setPosition(last.position() + last.length() - 1, QTextCursor.MoveMode.KeepAnchor)
        lines = edit.selectedText().split("\u2029")
        new = change(lines)  # type: ignore[operator]
        edit.beginEditBlock()
        edit.insertText("\n".join(new))
        edit.endEditBlock()
        self.text.setTextCursor(edit)

    def heading(self, level: int) -> None:
        self._lines_edit(lambda lines: [toggle_heading(ln, level) for ln in lines])

    def bullets(self) -> None:
        self._lines_edit(toggle_bullets)

    def link(self) -> None:
        """[selection](https://) with the address selected, ready to be typed over."""
        if self.text.isReadOnly():
            return
        cursor = self.text.textCursor()
        label = cursor.selectedText().replace("\u2029", " ") or "text"
        cursor.beginEditBlock()
        cursor.insertText(f"[{label}](https://)")
        cursor.endEditBlock()
        end = cursor.position() - 1
        cursor.setPosition(end - len("https://"))
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        self.text.setTextCursor(cursor)

    def insert(self, offset: int, text: str) -> None:
        """Insert `text` at `offset` as one edit, and show it."""
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(min(offset, self.text.document().characterCount() - 1))
        cursor.beginEditBlock()
        cursor.insertText(text)
        cursor.endEditBlock()
        self.text.setTextCursor(cursor)
        self.text.ensureCursorVisible()

    # -- outline and preview ---------------------------------------------------------------

    def focus_outline(self) -> None:
        self.refresh_preview()
        if self.outline.count():
            row = max(self._heading_row(), 0)
            self.outline.setCurrentRow(row)
        self.outline.setFocus()

    def _heading_row(self) -> int:
        line = self.text.textCursor().blockNumber()
        row = -1
        for i in range(self.outline.count()):
            if self.outline.item(i).data(LINE_ROLE) <= line:
                row = i
        return row

    def _go_to_heading(self, item: QListWidgetItem) -> None:
        block = self.text.document().findBlockByNumber(int(item.data(LINE_ROLE)))
        cursor = QTextCursor(block)
        self.text.setTextCursor(cursor)
        self.text.centerCursor()
        self.text.setFocus()
        self.outline_picked.emit()

    def refresh_preview(self) -> None:
        """Re-render the preview and the outline (typing paused)."""
        self._follow.stop()
        text = editor_text(self.text)
        bar = self.preview.verticalScrollBar()
        at = bar.value() / bar.maximum() if bar.maximum() else 0.0
        self.preview.set_untrusted_html(self._renderer.render(text))
        bar.setValue(round(at * bar.maximum()))
        self.outline.clear()
        for line, heading in outline(text):
            item = QListWidgetItem(one_line(heading))
            item.setData(LINE_ROLE, line)
            self.outline.addItem(item)
