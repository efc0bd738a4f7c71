"""The hub's intake: the team's channels synced once, headless, by the desktop's own sync
engine on a desktop-format cache, and copied into the hub's store (docs/hub.md, "Channel
sync on the hub").

The intake data dir is an ordinary desktop data dir (configured with `rr-desktop --data-dir
DIR channels add ...`); the engine (sync/engine.py) runs on it unchanged, so a page and its
cursor commit in one transaction, malformed records are quarantined and the outbox sends
each op exactly once. One background thread runs it: every `interval` seconds for every
channel, and at once for a channel a desktop's change was queued for. After each run the
bridge (intake_bridge.py) copies what the run wrote into the hub's store, and changes
nobody waits for any more are settled (intake_queue.py).

A desktop's change of a source-backed escalation is forwarded (`forward`): queued in the
intake outbox, pushed by an immediate run, and waited for up to WAIT_S.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from ..store.problems import StoreUnavailable
from ..store.timecodec import utcnow
from ..workspace import Workspace
from . import caller
from . import intake_queue as q
from .escalation_store import HubEscalations
from .intake_bridge import Bridge
from .intake_outcome import Forwarded
from .intake_records import IntakeChannel
from .store import HubStore

log = logging.getLogger("rr_desktop.hub.intake")
WAIT_S = 10.0
POLL_S = 0.05


class IntakeError(Exception):
    """The intake cannot start; str() is one sentence for the admin."""


class Intake:
    """The intake cache, its engine and the thread that runs it."""

    def __init__(self, hub: HubStore, directory: Path, interval: float = 60.0,
                 wait_s: float = WAIT_S) -> None:
        self.hub = hub
        self.directory = directory
        self.interval = interval
        self.wait_s = wait_s
        self.workspace: Workspace | None = None
        self.bridge: Bridge | None = None
        self.runs = 0  # finished passes, for tests and the log
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._kicked: set[str] = set()
        self._lock = threading.Lock()
        self._settling = threading.Lock()
        self._serial: dict[str, threading.Lock] = {}
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def open(self) -> list[str]:
        """Open the intake cache and its channels' clients; the channels that cannot
        sync, each with why (a missing secret, an unknown kind)."""
        try:
            ws = Workspace.open(self.directory, demo=False)
        except (StoreUnavailable, OSError) as exc:
            raise IntakeError(f"The intake data dir {self.directory} cannot be used: "
                              f"{exc}") from exc
        self.workspace = ws
        self.bridge = Bridge(self.hub, ws.store)
        with ws.store.write() as db:
            q.nobody_waits(db)
        return [f"{name}: {error}" for name, error in sorted(ws.setup_errors.items())]

    @property
    def channel_names(self) -> list[str]:
        return sorted(self.workspace.engine.clients) if self.workspace else []

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="rr-hub-intake", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(60)
        if self.workspace is not None:
            self.workspace.close()

    def kick(self, channel: str) -> None:
        """Run this channel now (a desktop's change waits in its outbox)."""
        with self._lock:
            self._kicked.add(channel)
        self._wake.set()

    def wait_for_pass(self, after: int, timeout: float) -> bool:
        """Wait until more than `after` passes have finished (tests, the first copy)."""
        with self._done:
            return self._done.wait_for(lambda: self.runs > after, timeout)

    # -- the thread ----------------------------------------------------------------------

    def _loop(self) -> None:
        next_full = time.monotonic()
        while not self._stop.is_set():
            with self._lock:
                kicked, self._kicked = self._kicked, set()
                self._wake.clear()
            full = time.monotonic() >= next_full
            names = self.channel_names if full else sorted(kicked & set(self.channel_names))
            for name in names:
                if self._stop.is_set():
                    break
                self.run_channel(name)
            if full:
                next_full = time.monotonic() + self.interval
            with self._done:
                self.runs += 1
                self._done.notify_all()
            self._wake.wait(max(0.0, next_full - time.monotonic()))

    def run_channel(self, name: str) -> None:
        """One engine run of the channel, then its copy into the hub and the settling of
        forwarded changes nobody waits for. A failure is logged, never ends the thread."""
        assert self.workspace is not None and self.bridge is not None
        report = self.workspace.engine.run(name, cancel=self._stop)
        (log.warning if report.error else log.info)("intake %s", report.summary())
        channel = self._channel(name)
        if channel is None:
            return
        try:
            changed = self.bridge.copy(channel)
            if changed:
                log.info("intake %s: %d escalations changed on the hub", name, changed)
            self.settle_unwatched(channel)
        except SQLAlchemyError as exc:  # the hub's database: the next pass copies it
            log.warning("intake %s: the hub's database failed (%s); copying again on the "
                        "next run", name, type(exc).__name__)

    def _channel(self, name: str) -> IntakeChannel | None:
        assert self.bridge is not None
        return next((c for c in self.bridge.channels() if c.name == name), None)

    # -- forwarding ----------------------------------------------------------------------

    @contextmanager
    def serial(self, api_id: str) -> Iterator[None]:
        with self._lock:
            lock = self._serial.setdefault(api_id, threading.Lock())
        with lock:
            yield

    def forward(self, source: str, external_id: str, api_id: str, kind: str,
                payload: Mapping[str, Any], key: str | None, who: caller.Caller,
                seen_version: int | None = None) -> Forwarded:
        assert self.workspace is not None and self.bridge is not None
        channel = next((c for c in self.bridge.channels() if c.source == source
                        and c.name in self.workspace.engine.clients), None)
        if channel is None:
            return Forwarded("refused", message=f"{api_id} comes from {source}, which this "
                             "hub does not sync any more: the change was not sent.")
        try:
            with self.workspace.store.write() as db:
                queued = q.queue(db, channel.id, external_id, api_id, kind, payload, key,
                                 who.analyst, who.desktop, utcnow(), seen_version)
        except q.NotQueued as exc:
            return Forwarded("refused", message=str(exc))
        except q.Behind as behind:
            return Forwarded("conflict", self.bridge.copy_one(channel, behind.escalation_id),
                             "changed on the source meanwhile")
        if queued.op_id is None:
            return Forwarded("local", self.bridge.copy_one(channel, queued.escalation_id, who))
        self.kick(channel.name)
        return self._wait(channel, queued.op_id, who)

    def _wait(self, channel: IntakeChannel, op_id: str, who: caller.Caller) -> Forwarded:
        assert self.workspace is not None
        deadline = time.monotonic() + self.wait_s
        while True:
            with self.workspace.store.read() as db:
                state = q.op_state(db, op_id)
            if state.state != "pending" or state.last_error is not None \
                    or time.monotonic() >= deadline:
                with self._settling:
                    return self._settle_waited(channel, op_id, who)
            with self._done:
                self._done.wait(POLL_S)

    def _settle_waited(self, channel: IntakeChannel, op_id: str,
                       who: caller.Caller) -> Forwarded:
        assert self.workspace is not None and self.bridge is not None
        store = self.workspace.store
        with store.write() as db:
            state = q.op_state(db, op_id)
            if state.state == "pending":  # unreachable or slow: the engine keeps trying
                q.stop_waiting(db, op_id)
                return Forwarded("pending")
            if state.state in ("conflict", "dead"):
                why = "changed on the source meanwhile" if state.state == "conflict" \
                    else (state.last_error or "refused by the source")
                q.withdraw(db, op_id, f"withdrawn by the hub: {why}", utcnow())
            q.forget(db, op_id)
        record = self.bridge.copy_one(channel, state.escalation_id, who) \
            if state.escalation_id else None
        if state.state == "conflict":
            return Forwarded("conflict", record, "changed on the source meanwhile")
        if state.state == "dead":
            return Forwarded("refused", record,
                             _sentence(state.last_error or "the source refused the change"))
        return Forwarded("pushed", record)

    def settle_unwatched(self, channel: IntakeChannel) -> None:
        """Forwarded changes whose request stopped waiting (202, or a hub restart): once
        their op settled, the hub copies the source's state; a refusal or conflict is
        withdrawn and told on the escalation in a note from hub-sync."""
        assert self.workspace is not None and self.bridge is not None
        store = self.workspace.store
        with self._settling:
            with store.read() as db:
                waiting = [(op_id, e) for op_id, e in q.unwatched(db)
                           if e.get("channel") == channel.id]
            for op_id, entry in waiting:
                with store.write() as db:
                    state = q.op_state(db, op_id)
                    if state.state == "pending":
                        continue
                    refused = state.state in ("conflict", "dead")
                    why = "it met a change made on the source meanwhile" \
                        if state.state == "conflict" else \
                        _sentence(state.last_error or "the source refused it")
                    if refused:
                        q.withdraw(db, op_id, f"withdrawn by the hub: {why}", utcnow())
                    q.forget(db, op_id)
                self.bridge.copy_one(channel, int(entry["escalation"]), caller.HUB_SELF)
                if refused:
                    self._tell(entry, why)

    def _tell(self, entry: Mapping[str, Any], why: str) -> None:
        """A note on the escalation on the hub saying whose change did not reach the
        source and why (stored on the hub only)."""
        what = {"update": "change of " + ", ".join(entry.get("fields") or ["fields"]),
                "fact": "fact", "note": "note", "reply": "reply"}.get(str(entry["kind"]),
                                                                     "change")
        desktop = f" from desktop {entry['desktop']}" if entry.get("desktop") else ""
        text = (f"{entry['analyst']}'s {what}{desktop} was not applied on the source: "
                f"{why}. The escalation shows the source's state again.")
        token = caller.current.set(caller.HUB_SELF)
        try:
            HubEscalations(self.hub).add_note(str(entry["api_id"]), "notes", text,
                                              caller.HUB_SELF.analyst)
        finally:
            caller.current.reset(token)


def _sentence(error: str) -> str:
    """The engine's message without the channel's name in front, one line."""
    text = error.strip().splitlines()[0] if error.strip() else "refused"
    _, colon, rest = text.partition(": ")
    return (rest if colon and " " not in text.split(":", 1)[0] else text)[:500]
