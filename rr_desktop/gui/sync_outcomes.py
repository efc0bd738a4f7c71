"""What the analyst learns of background syncs: progress in the status bar, the outcome of
every run that changed something or that they asked for (F5 always ends with a visible
outcome), a banner for each change a source refused for good (once), and a banner for
each channel that is offline or failing, until a run of it succeeds."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ..store.changes import Changes
from ..store.sync_overview import queued_count, refused_seqs, refused_since
from ..sync.engine import SyncProgress, SyncReport
from .bridge import SyncBridge
from .context import AppContext
from .notifier import Problem
from .status import ChannelStatusBar
from .text import one_line

PROGRESS_REFRESH_MS = 1500  # while a sync runs, show arriving rows this often


class SyncOutcomes(QObject):
    """Follows a `SyncBridge`.

    Signals: progress_shown(): rows are arriving (the view re-reads, at most every
    PROGRESS_REFRESH_MS); reported(list): a run ended with these `SyncReport`s, after
    every screen was told what changed."""

    progress_shown = Signal()
    reported = Signal(list)

    def __init__(self, ctx: AppContext, bridge: SyncBridge, channels: ChannelStatusBar,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.channels = channels
        self._requested = False  # F5: the run's outcome is always said
        self._refused_seen = 0  # refused changes up to this op were announced
        self._refused_keys: set[str] = set()
        self._down: set[str] = set()  # channels with an offline / failing banner up
        self._dismissed: set[str] = set()  # ... and those whose banner the analyst closed
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(PROGRESS_REFRESH_MS)
        self._refresh.timeout.connect(self.progress_shown)
        bridge.progress.connect(self._progress)
        bridge.finished.connect(self._finished)
        bridge.failed.connect(self._failed)

    def requested(self) -> None:
        """The analyst asked for a sync: say how it ended, whatever happens."""
        self._requested = True
        self.ctx.notifier.info("Syncing\u2026", 30_000)

    def stop(self) -> None:
        self._refresh.stop()

    def _progress(self, progress: SyncProgress) -> None:
        self.channels.on_progress(progress)
        if progress.phase == "pull" and progress.items and not self._refresh.isActive():
            self._refresh.start()

    def _finished(self, reports: list[SyncReport]) -> None:
        self._refresh.stop()
        self.channels.sync_ended()
        changed: set[int] = set()
        delivered: set[int] = set()
        for report in reports:
            changed |= report.changed_ids
            delivered |= report.delivered_ids
        failed = [r for r in reports if r.error]
        requested, self._requested = self._requested, False
        notifier = self.ctx.notifier
        if failed:
            notifier.error("; ".join(r.summary() for r in failed), 15_000)
        elif requested or changed:
            refused = sum(r.dead for r in reports)
            notifier.info(
                f"Synced {len(reports)} channel{'s' if len(reports) != 1 else ''}: "
                f"{len(changed):,} changed, {sum(r.pushed for r in reports):,} sent"
                + (f", {refused} refused (g o)" if refused else ""), 8000)
        roster = any(r.roster_changed for r in reports)
        self.ctx.apply(Changes(frozenset(changed | delivered), outbox=True, channels=True,
                               roster=roster))
        self._announce_refused()
        self._announce_down(reports)
        self.reported.emit(reports)

    def dismissed(self, key: str) -> None:
        """The analyst closed a banner: a channel's stays closed until it recovers and
        goes down again (not raised anew by every background run)."""
        if key.startswith("down:"):
            self._dismissed.add(key.removeprefix("down:"))

    def _failed(self, message: str) -> None:
        self._requested = False
        self.channels.sync_ended()
        self.ctx.notifier.error(f"Sync failed: {message}")

    def _announce_refused(self) -> None:
        """Changes the source refused for good get a banner each (once); one that is no
        longer refused (retried, resolved) leaves it."""
        with self.ctx.store.read() as db:
            fresh = refused_since(db, self._refused_seen)
            still = {f"refused:{seq}" for seq in refused_seqs(db)}
        for key in self._refused_keys - still:
            self.ctx.notifier.resolve(key)
        self._refused_keys &= still
        for op in fresh:
            self._refused_seen = max(self._refused_seen, op.seq)
            key = f"refused:{op.seq}"
            self._refused_keys.add(key)
            self.ctx.notifier.raise_problem(Problem(
                key, f"{op.channel} refused a change to {op.external_id} "
                f"\u201c{one_line(op.title)}\u201d ({op.summary}): "
                f"{op.last_error or 'no reason given'}", "go-outbox"))

    def _announce_down(self, reports: list[SyncReport]) -> None:
        """A channel that could not be reached, or that failed (wrong credentials, a
        server error), gets a banner saying so and that nothing is lost; a later run of
        it that ends well takes the banner down. Rate limits and cancelled runs are
        neither: the status bar says when a limited channel resumes."""
        for report in reports:
            key = f"down:{report.channel}"
            if report.error and report.rate_limited_until is None:
                self._down.add(report.channel)
                if report.channel in self._dismissed:
                    continue
                with self.ctx.store.read() as db:
                    queued = queued_count(db, report.channel)
                one = queued == 1
                waiting = (f"{queued:,} change{'' if one else 's'} wait{'s' if one else ''} "
                           f"in the outbox and go{'es' if one else ''}" if queued
                           else "Your changes are kept and go")
                state = "is offline" if report.offline else "is failing"
                self.ctx.notifier.raise_problem(Problem(
                    key, f"{report.channel} {state}: {one_line(report.reason)}. "
                    f"{waiting} once it is back (F5 tries now).", "sync-details",
                    "Sync details\u2026"))
            elif report.channel in self._down and not report.cancelled:
                self._down.discard(report.channel)
                self._dismissed.discard(report.channel)
                self.ctx.notifier.resolve(key)
