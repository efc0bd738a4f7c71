"""Watching sources that can report news while the app is open (a mailbox with IMAP IDLE,
the team hub's changes feed by long poll): news starts a sync of that channel at once
instead of at the next interval."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

from PySide6.QtCore import QObject, Signal

from ..channels.contract import MailboxWatch

log = logging.getLogger("rr_desktop.gui")
IDLE_TIMEOUT_S = 25.0
IDLE_RETRY_S = 30.0


class MailboxWatcher(QObject):
    """One daemon thread per client that can watch its source (channels.contract.
    MailboxWatch: a long wait on the server, not a job: it would hold a job worker for
    the life of the window).

    Signals: mail_arrived(str): a watched source reported news (new mail, a change on
    the hub): the channel's name, for the window to sync that channel."""

    mail_arrived = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = threading.Event()
        self._threads: dict[str, threading.Thread] = {}

    def watch(self, clients: Mapping[str, object]) -> None:
        """Start watching every client that can wait for news and is not watched yet."""
        for name, client in dict(clients).items():
            if not isinstance(client, MailboxWatch) or name in self._threads or \
                    self._stop.is_set():
                continue
            thread = threading.Thread(target=self._watch, args=(name, client.idle_wait),
                                      daemon=True, name=f"watch-{name}")
            self._threads[name] = thread
            thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _watch(self, name: str, wait: Callable[[float], bool]) -> None:
        while not self._stop.is_set():
            try:
                if wait(IDLE_TIMEOUT_S) and not self._stop.is_set():
                    self.mail_arrived.emit(name)
            except Exception as exc:
                log.info("%s: watching for news stopped (%s); retrying in %.0f s", name, exc,
                         IDLE_RETRY_S)
                self._stop.wait(IDLE_RETRY_S)
