"""The "declare an incident?" suggestion for a surge of related escalations
(domain/surge.py, docs/surges.md), shown in the window's problem banner.

Detection runs on a worker whenever escalations changed (a sync, an action: the context's
`changes_applied`, debounced) and once at start; never on the GUI thread. The biggest
surge shows at a time, as a banner with three commands (keymap, "Surge: ..."):

- declare (Ctrl+Shift+D): the triage list shows exactly the surge's escalations
  (`id:...` in All), selects them all and starts the `f` flow (escalate to incident)
  with a suggested title typed in; or, when most of the surge is in an incident already,
  with that incident highlighted;
- show (Ctrl+Shift+L): the same list, nothing selected;
- dismiss (Ctrl+Shift+X, or the banner's Dismiss): kept in the cache; the suggestion
  comes back only once the surge grows materially.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QDialog, QWidget

from ..domain.surge import SurgeSuggestion
from ..store import surge as store_surge
from ..store.changes import Changes
from ..store.search import MAX_QUERY
from ..store.views import View
from .banner import ProblemBanner
from .commands import CommandRegistry
from .context import AppContext
from .notifier import Problem
from .text import one_line
from .triage.actions import TriageController
from .triage.prompts import PickPrompt
from .view_switcher import ViewSwitcher

log = logging.getLogger("rr_desktop.gui.surge")

CHECK_DELAY_MS = 1500  # after escalations changed, look again once the burst is over
KEY_PREFIX = "surge:"


def ids_query(ids: tuple[int, ...]) -> str:
    """`id:1,2,3` for as many of `ids` as a search holds (the newest are kept)."""
    kept: list[str] = []
    room = MAX_QUERY - len("id:")
    for esc_id in reversed(ids):
        text = str(esc_id)
        room -= len(text) + 1
        if room < 0:
            break
        kept.append(text)
    return "id:" + ",".join(reversed(kept))


class SurgeSuggestions(QObject):
    """Watches for surges and offers the banner; `handlers()` are its commands.

    Signals: checked(object): a look for surges ended; the suggestion shown (or None)."""

    checked = Signal(object)

    def __init__(self, ctx: AppContext, views: ViewSwitcher, banner: ProblemBanner,
                 triage: TriageController, commands: CommandRegistry,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.views = views
        self.triage = triage
        self.commands = commands
        self.current: SurgeSuggestion | None = None
        self._running = False
        self._again = False
        self._listing: tuple[str, str, SurgeSuggestion] | None = None  # (query, then, s)
        self._prompt_for: SurgeSuggestion | None = None
        self._memo = store_surge.SignalMemo()  # used by one check at a time
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(CHECK_DELAY_MS)
        self._timer.timeout.connect(self.check)
        ctx.changes_applied.connect(self._changed)
        banner.dismissed.connect(self._banner_dismissed)
        views.view_changed.connect(self._view_changed)
        triage.prompt_opened.connect(self._prompt_opened)
        QTimer.singleShot(0, self.check)

    def handlers(self) -> dict[str, Callable[[], object]]:
        return {"surge-declare": self.declare, "surge-show": self.show,
                "surge-dismiss": self.dismiss}

    # -- detection -------------------------------------------------------------------

    def _changed(self, changes: Changes) -> None:
        if changes.escalations or changes.all_rows:
            self._timer.start()

    def check(self) -> None:
        """Look for surges on a worker; the banner follows what is found."""
        if self.ctx.closed:
            return
        if self._running:
            self._again = True
            return
        self._running = True
        clock, memo = self.ctx.clock, self._memo
        job = self.ctx.run_read(
            "surge-check", lambda db: store_surge.find_surges(db, clock(), memo=memo),
            failure="Looking for surges failed", on_done=self._found)
        if job is None:
            self._running = False
            return
        job.finished.connect(self._check_done)

    def _check_done(self) -> None:
        self._running = False
        if self._again:
            self._again = False
            self.check()

    def _found(self, suggestions: list[SurgeSuggestion]) -> None:
        top = suggestions[0] if suggestions else None
        old, self.current = self.current, top
        if old is not None and (top is None or old.key != top.key):
            self.ctx.notifier.resolve(KEY_PREFIX + old.key)
        if top is None or top == old:
            self.checked.emit(top)
            return
        keys = self.commands.keys_text
        if top.incident_id is None:
            question, act = "Declare an incident?", "Declare\u2026"
        else:
            n = len(top.ids)
            question = f"Add {n:,} more to incident #{top.incident_id}?"
            act = f"Add to #{top.incident_id}\u2026"
        self.ctx.notifier.raise_problem(Problem(
            KEY_PREFIX + top.key, f"Surge: {one_line(top.reason)} \u2014 {question}",
            "surge-declare", f"{act} ({keys('surge-declare')})", "surge-show",
            f"Show them ({keys('surge-show')})"))
        self.checked.emit(top)

    # -- commands --------------------------------------------------------------------

    def declare(self) -> None:
        """List the surge's escalations, select them, then `f` with a suggested title."""
        self._list("declare")

    def show(self) -> None:
        """List exactly the surge's escalations."""
        self._list("show")

    def _list(self, then: str) -> None:
        s = self.current
        if s is None:
            self.ctx.notifier.info("No surge is suggested now")
            return
        query = ids_query(s.ids)
        listed = query.count(",") + 1
        if listed < len(s.ids):
            self.ctx.notifier.info(f"Listing the newest {listed:,} of the surge's "
                                   f"{len(s.ids):,} escalations", 8000)
        self._listing = (query, then, s)
        self.views.show_search("All", query)

    def _view_changed(self, view: View) -> None:
        listing, self._listing = self._listing, None
        if listing is None or view.search != listing[0]:
            return
        _query, then, s = listing
        if then != "declare":
            return
        if self.views.model.rowCount() == 0:
            self.ctx.notifier.warn("The surge's escalations are no longer in the cache")
            return
        self.commands.run("select-all")
        self._prompt_for = s
        if not self.commands.run("escalate-incident"):
            self._prompt_for = None

    def _prompt_opened(self, dialog: QDialog) -> None:
        """The `f` picker the declare started: the suggested title typed in (Enter
        creates it), or the incident most of the surge is in highlighted."""
        s, self._prompt_for = self._prompt_for, None
        if s is None or not isinstance(dialog, PickPrompt):
            return
        finder = dialog.finder
        if s.incident_id is None:
            finder.edit.setText(one_line(s.title))
            return
        keys = finder.shown_keys()
        if str(s.incident_id) in keys:
            finder.list.setCurrentRow(keys.index(str(s.incident_id)))

    def dismiss(self) -> None:
        """Hide the suggestion until the surge grows materially (kept in the cache)."""
        s = self.current
        if s is None:
            self.ctx.notifier.info("No surge is suggested now")
            return
        self.ctx.notifier.resolve(KEY_PREFIX + s.key)
        self._forget(s)

    def _banner_dismissed(self, key: str) -> None:
        s = self.current
        if s is not None and key == KEY_PREFIX + s.key:
            self._forget(s)

    def _forget(self, s: SurgeSuggestion) -> None:
        self.current = None
        now = int(self.ctx.clock().timestamp())
        self.ctx.run_write("surge-dismiss", lambda db: store_surge.dismiss(db, s, now),
                           failure="The dismissal could not be saved",
                           on_done=lambda _none: QTimer.singleShot(0, self.check))

