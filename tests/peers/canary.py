"""A TCP listener that counts every connection: hostile content must never reach it.

`settle()` is the readiness check: it connects a marker connection of its own and waits
until the listener has accepted it. Connections are accepted in the order they were
made, so every connection made before the call has been counted by then: no fixed wait
for "whatever might still arrive". Each hit is answered with an empty HTTP 204 (a real
client gets an answer, not an error) and its request line's path is kept in `paths`.

Tests that expect zero hits pair with a positive control in the same run
(tests/unit/test_canary.py, and the hostile-content tests' own controls): a real fetch of
the canary's URLs does register.
"""

from __future__ import annotations

import socket
import threading

SETTLE_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 0.5


class Canary:
    """A TCP listener that counts connections; hostile content must never reach it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}/canary"
        self.hits = 0
        self.paths: list[str] = []
        self._markers: set[int] = set()  # local ports of settle() connections not yet seen
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="canary")
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except OSError:
                continue
            with self._cond:
                marker = peer[1] in self._markers
                if marker:
                    self._markers.discard(peer[1])
                    self._cond.notify_all()
            if marker:
                conn.close()
                continue
            path = self._answer(conn)
            with self._cond:
                self.hits += 1
                self.paths.append(path)

    @staticmethod
    def _answer(conn: socket.socket) -> str:
        """Read the request head (if any comes) and answer 204; returns the path."""
        conn.settimeout(READ_TIMEOUT_S)
        head = b""
        try:
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                head += chunk
            if head:
                conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
        except OSError:
            pass
        finally:
            conn.close()
        parts = head.split(b"\r\n", 1)[0].split()
        return parts[1].decode("latin-1") if len(parts) >= 2 else ""

    def settle(self, timeout: float = SETTLE_TIMEOUT_S) -> int:
        """Wait until every connection made before this call is counted; return the hits."""
        marker = socket.socket()
        try:
            marker.bind(("127.0.0.1", 0))
            port = int(marker.getsockname()[1])
            with self._cond:
                self._markers.add(port)
            marker.connect(("127.0.0.1", self.port))
            with self._cond:
                if not self._cond.wait_for(lambda: port not in self._markers, timeout):
                    raise TimeoutError(f"the canary did not accept its marker in {timeout} s")
                return self.hits
        finally:
            marker.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
