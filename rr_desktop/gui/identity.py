"""Who the analyst is: chosen from the roster (or typed once when no channel has one) at
first start, kept in settings, shown in the status bar. Never the OS login: the id is what
sources receive as an assignee and as the author of notes and replies."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QDialog, QLabel, QWidget

from ..settings import save_setting
from ..store.actions.base import MAX_NAME
from .context import AppContext
from .fuzzy import Choice
from .lookups import Lookups
from .text import one_line
from .triage.prompts import PickPrompt


class IdentityLabel(QLabel):
    """"You: Aileen Tan (a.tan)" in the status bar; a click asks again.

    Signals: clicked()."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("identity")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Who you are in RR Desktop: the assignee of 'assign to me' and the "
                        "author of your notes and replies. Click to change.")

    def show_identity(self, me: str, name: str | None) -> None:
        if not me:
            self.setText("You: not chosen yet")
            self.setProperty("state", "error")
        else:
            self.setText(f"You: {one_line(name)} ({one_line(me)})" if name and name != me
                         else f"You: {one_line(me)}")
            self.setProperty("state", "ok")
        self.style().unpolish(self)
        self.style().polish(self)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Qt override: a click asks who you are again."""
        self.clicked.emit()
        event.accept()


class IdentityChooser(QObject):
    """Asks who the analyst is, saves it (settings `me`) and tells the context."""

    def __init__(self, ctx: AppContext, lookups: Lookups, parent: QWidget,
                 open_dialog: Callable[[QDialog], None]) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.lookups = lookups
        self._parent = parent
        self._open_dialog = open_dialog
        self.prompt: PickPrompt | None = None

    def choices(self) -> list[Choice]:
        return [Choice(e.analyst.id, e.analyst.name, f"{e.analyst.id} \u00b7 {e.describe()}")
                for e in self.lookups.roster()]

    def ask(self) -> None:
        """Open the chooser (once: asking again while it is open only focuses it)."""
        if self.prompt is not None:
            self.prompt.activateWindow()
            return
        choices = self.choices()
        hint = ("Who are you? Pick yourself from the roster" if choices else
                "No roster yet: type your analyst id (as your team's tools know you), or "
                "wait for the first sync to list the team")
        prompt = PickPrompt("Who are you?", choices, hint, True, self._parent)
        prompt.setObjectName("identityPrompt")
        prompt.chosen.connect(self.choose)
        prompt.finished.connect(lambda _code: self._closed(prompt))
        self.prompt = prompt
        self._open_dialog(prompt)

    def roster_changed(self) -> None:
        """The roster filled in while the chooser is open: show it."""
        if self.prompt is not None:
            self.prompt.finder.set_choices(self.choices())

    def choose(self, me: str) -> None:
        me = " ".join(me.split())
        if not me or len(me) > MAX_NAME or not me.isprintable():
            self.ctx.notifier.warn(f"Not an analyst id: {one_line(me)!r}")
            return
        try:
            save_setting(self.ctx.data_dir, "me", me)
        except OSError as exc:
            self.ctx.notifier.error(f"Your choice could not be saved ({exc.strerror}); it "
                                    "holds until you quit")
        self.ctx.set_me(me)
        self.ctx.notifier.info(f"You are {me} in RR Desktop")

    def _closed(self, prompt: PickPrompt) -> None:
        if self.prompt is prompt:
            self.prompt = None
