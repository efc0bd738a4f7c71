"""The reply composer's templates (key r, then Ctrl+T): which templates to offer for an
escalation, the picker the composer holds above its text, and the text a picked template
becomes (rr_desktop/templates/, docs/templates.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...keymap import Mode
from ...templates.placeholders import fill
from ...templates.replies import REPLY_PLACEHOLDERS, ReplyTemplates
from ...templates.reply_values import ReplySubject, reply_values
from ..fuzzy import Choice, FuzzyList


@dataclass(frozen=True, slots=True)
class ReplyDraft:
    """What a picked template puts in the composer: the text (placeholders filled, or
    left as "[label?]"), and a line to show above it (the template's review note)."""

    text: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class ReplyOffer:
    """The templates offered for one escalation's reply, filled for it and its writer."""

    templates: ReplyTemplates
    subject: ReplySubject
    analyst_name: str | None
    placeholders: tuple[str, ...] = field(default=tuple(REPLY_PLACEHOLDERS))

    def choices(self) -> list[Choice]:
        """The templates for the escalation's language (and English), partner type and
        channel kind, best first."""
        s = self.subject
        return [Choice(t.key, t.title, t.describe())
                for t in self.templates.offered(s.language, s.partner_type, s.channel_kind)]

    def draft(self, key: str) -> ReplyDraft | None:
        template = self.templates.templates.get(key)
        if template is None:
            return None
        filled = fill(template.body, reply_values(self.subject, self.analyst_name))
        note = f"Review before sending: {template.review}" if template.review else ""
        return ReplyDraft(filled.text, note)

    def problems_sentence(self) -> str | None:
        """What the analyst is told about template files that did not load (the first
        one's sentence, and how many more)."""
        problems = self.templates.problems
        if not problems:
            return None
        more = len(problems) - 1
        return problems[0].sentence if not more else \
            f"{problems[0].sentence} ({more} more template files were left out.)"


class TemplatePicker(QWidget):
    """The composer's template list: type to filter (a title, a language, a partner
    type), Up/Down, Enter inserts (the registry's picker keys, Mode.PICKER).

    Signals: picked(str): the template's key."""

    picked = Signal(str)
    command_mode = Mode.PICKER

    def __init__(self, choices: list[Choice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replyTemplates")
        self.finder = FuzzyList(choices, "Templates (Ctrl+T): type a title, language or "
                                         "partner type; Enter inserts")
        self.finder.setObjectName("replyTemplateList")
        self.finder.list.setMaximumHeight(120)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        count = QLabel(f"{len(choices)} templates for this reply" if choices
                       else "No template suits this reply; write your own.")
        count.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(count)
        layout.addWidget(self.finder)
        self.setFocusProxy(self.finder)
        self.finder.picked.connect(self.picked)
        if not choices:
            self.finder.setEnabled(False)

    def handle_command(self, name: str) -> None:
        self.finder.handle_command(name)
