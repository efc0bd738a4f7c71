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
        # channel name -> (the client watched, set when it is replaced)
        self._watched: dict[str, tuple[object, threading.Event]] = {}

    def watch(self, clients: Mapping[str, object]) -> None:
        """Start watching every client that can wait for news and is not watched yet; a
        channel whose client was replaced (set up again) is watched through the new one,
        the old one's thread ends after its current wait."""
        for name, client in dict(clients).items():
            if self._stop.is_set():
                return
            known = self._watched.get(name)
            if known is not None and known[0] is client:
                continue
            if known is not None:
                known[1].set()
                del self._watched[name]
            if not isinstance(client, MailboxWatch):
                continue
            replaced = threading.Event()
            self._watched[name] = (client, replaced)
            threading.Thread(target=self._watch, args=(name, client.idle_wait, replaced),
                             daemon=True, name=f"watch-{name}").start()

    def stop(self) -> None:
        self._stop.set()

    def _watch(self, name: str, wait: Callable[[float], bool],
               replaced: threading.Event) -> None:
        def over() -> bool:
            return self._stop.is_set() or replaced.is_set()

        while not over():
            try:
                if wait(IDLE_TIMEOUT_S) and not over():
                    self.mail_arrived.emit(name)
            except Exception as exc:
                log.info("%s: watching for news stopped (%s); retrying in %.0f s", name, exc,
                         IDLE_RETRY_S)
                self._stop.wait(IDLE_RETRY_S)
