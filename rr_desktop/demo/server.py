"""The demo escalation service: in-process for the demo and tests, or standalone (``serve``).

    with DemoServer(token="t0k3n", count=5000) as server:
        requests.get(f"{server.url}/v1/escalations", headers={"Authorization": "Bearer t0k3n"})
        server.faults.add("429", count=2, retry_after=1, method="GET")
        server.state.mutate("ESC-000042", status="contained")
"""

from __future__ import annotations

import random
import signal
import sys
import threading
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from types import FrameType, TracebackType
from typing import Any

from .api import EscalationApi
from .faults import FaultInjector
from .generator import generate, history_s
from .handler import DemoHttpServer
from .hostile import add_hostile_ids
from .incident_log import IncidentLog
from .live import LiveFeed
from .postmortems import ServicePostmortems
from .state import EscalationStore

__all__ = ["DemoServer", "LiveFeed", "serve"]


class DemoServer:
    """The reference escalation service on a background thread (random port by default).

    ``state`` is the :class:`EscalationStore` (inspect or change records from tests),
    ``faults`` the :class:`FaultInjector`, ``incidents`` the :class:`IncidentLog`,
    ``postmortems`` the :class:`ServicePostmortems`;
    ``hostile`` kinds of hostile.py are served too.
    A server is started once and stopped once.
    """

    def __init__(self, token: str, seed: int = 7, count: int = 2000, host: str = "127.0.0.1",
                 port: int = 0, *, now: datetime | None = None,
                 hostile: Collection[str] = (), fresh: int = 0) -> None:
        self.token = token
        self.seed = seed
        # The generated history's arrival rate is the live feed's too (a real team's, ~100
        # a day, unless count asks for more than a month of it).
        self.arrivals_per_day = count * 86_400 / history_s(count) if count else 0.0
        self.state = EscalationStore(generate(seed, count, now or datetime.now(UTC),
                                              fresh=fresh))
        self.hostile = frozenset(hostile)
        if "ids" in self.hostile:
            add_hostile_ids(self.state)
        self.faults = FaultInjector()
        self.incidents = IncidentLog()
        self.postmortems = ServicePostmortems()
        self.api = EscalationApi(token, self.state, self.faults, self.incidents,
                                 self.postmortems)
        self._address = (host, port)
        self._httpd: DemoHttpServer | None = None
        self._thread: threading.Thread | None = None
        self._live: LiveFeed | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """``http://host:port`` once started."""
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        host, port = self._httpd.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    def start(self) -> DemoServer:
        """Bind and serve on a daemon thread; returns self."""
        with self._lock:
            if self._httpd is not None:
                raise RuntimeError("the server was started already")
            self._httpd = DemoHttpServer(self._address, self.api, self.hostile)
            self._thread = threading.Thread(target=self._httpd.serve_forever,
                                            kwargs={"poll_interval": 0.05},
                                            name="rr-demo-server", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop live changes and the server, close open connections. Idempotent."""
        self.stop_live()
        with self._lock:
            httpd, thread = self._httpd, self._thread
            if httpd is None or thread is None or not thread.is_alive():
                return
            httpd.shutdown()
            httpd.close_connections()
            httpd.server_close()
            thread.join(timeout=5)

    def start_live(self, interval_s: float) -> None:
        """Move the queue on every ``interval_s`` seconds until stop_live: new escalations
        at the day's rate, the other analysts' moves, platform changes (live.py)."""
        self.stop_live()
        live = LiveFeed(self.state, random.Random(self.seed + 1), interval_s,
                        self.arrivals_per_day)
        self._live = live
        live.start()

    @property
    def live(self) -> LiveFeed | None:
        """The running live feed (its ``counts`` say what it did), or None."""
        return self._live

    def stop_live(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.stop()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def serve(host: str, port: int, token: str, seed: int, count: int,
          live_interval: float | None, *, faults: Sequence[Mapping[str, Any]] = (),
          rates: Mapping[str, Any] | None = None, hostile: Collection[str] = (),
          fresh: int = 0) -> None:
    """Run the service until Ctrl+C or SIGTERM; prints the URL and token once.
    `faults`: keyword arguments of FaultInjector.add each; `rates`: of set_random."""
    server = DemoServer(token, seed=seed, count=count, host=host, port=port,
                        hostile=hostile, fresh=fresh)
    for fault in faults:
        server.faults.add(**fault)
    if rates:
        server.faults.set_random(**rates)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        server.start()
        if live_interval:
            server.start_live(live_interval)
        print(f"RR demo escalation service: {server.url}  (token: {token})", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        sys.stdout.flush()
