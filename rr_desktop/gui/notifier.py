"""The one path by which anything the analyst must know reaches them (issue: 31 status bar
calls and silent job failures). Controllers and screens call the notifier; the main
window decides how it shows (status bar message, banner)."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QObject, Signal

from ..channels.contract import ChannelError
from .text import one_line

log = logging.getLogger("rr_desktop.gui")


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Notice:
    """One message: plain text (it may quote untrusted text), how serious, how long."""

    text: str
    level: Level = Level.INFO
    timeout_ms: int = 5000


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that needs the analyst's attention until they act on it (a change the
    source refused, a channel that keeps failing): shown in a banner, not a fleeting
    status message. `key` identifies it, so the same problem is not shown twice."""

    key: str
    text: str
    action: str = ""  # the command that helps ("go-outbox"), if any
    action_text: str = "Show in Outbox & sync (g o)"  # its button
    other_action: str = ""  # a second command, if any ("surge-show")
    other_text: str = ""  # its button


class Notifier(QObject):
    """Signals: notice(Notice): show a message; problem(Problem): raise a banner;
    resolved(str): the problem with that key is gone."""

    notice = Signal(object)
    problem = Signal(object)
    resolved = Signal(str)

    def info(self, text: str, timeout_ms: int = 5000) -> None:
        self.notice.emit(Notice(one_line(text), Level.INFO, timeout_ms))

    def warn(self, text: str, timeout_ms: int = 8000) -> None:
        self.notice.emit(Notice(one_line(text), Level.WARNING, timeout_ms))

    def error(self, text: str, timeout_ms: int = 10_000) -> None:
        self.notice.emit(Notice(one_line(text), Level.ERROR, timeout_ms))

    def failed(self, what: str, exc: BaseException) -> None:
        """A background job failed: a sentence for the analyst, the details in the log.
        Errors that are sentences already (invalid input, a channel's verdict) are shown
        as they are; anything else says what could not be done, never a traceback."""
        log.warning("%s failed: %s", what, exc, exc_info=exc)
        self.error(f"{what}: {user_sentence(exc)}")

    def raise_problem(self, problem: Problem) -> None:
        self.problem.emit(problem)

    def resolve(self, key: str) -> None:
        self.resolved.emit(key)


def user_sentence(exc: BaseException) -> str:
    """What an exception means to the analyst, in one sentence."""
    if isinstance(exc, ValueError | LookupError | ChannelError):
        return one_line(str(exc)) or type(exc).__name__
    if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc).lower():
        return "the disk is full; free some space and try again (nothing was lost)"
    if isinstance(exc, sqlite3.Error):
        return f"the local cache refused it ({one_line(str(exc))}); nothing was changed"
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}; nothing was changed"
    return f"it failed ({type(exc).__name__}); nothing was changed"
