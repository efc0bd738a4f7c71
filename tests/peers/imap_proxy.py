"""A TCP proxy in front of a real IMAP server that cannot deliver one message: it drops
the connection whenever a command FETCHes that UID (as a server does that fails on a
damaged message file every time it reads it). Everything else passes through untouched.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

_FETCH = re.compile(rb"^\S+ UID FETCH ([0-9:,*]+) (.*)$", re.IGNORECASE)


def uid_set(text: str) -> Callable[[int], bool]:
    """Membership in an IMAP sequence set ("1:5,7,9:*"; RFC 3501 §9 seq-set)."""
    ranges = []
    for piece in text.split(","):
        lo, _, hi = piece.partition(":")
        a = 2**32 if lo == "*" else int(lo)
        b = a if not hi else 2**32 if hi == "*" else int(hi)
        ranges.append((min(a, b), max(a, b)))
    return lambda uid: any(lo <= uid <= hi for lo, hi in ranges)


@dataclass
class RefusingProxy:
    """Where it listens, and the FETCH commands it dropped the connection on."""

    port: int
    refused_uid: int
    only_items: bytes  # drop only FETCHes whose items contain this (b"" = every FETCH)
    dropped: list[str] = field(default_factory=list)

    def refuses(self, line: bytes) -> bool:
        m = _FETCH.match(line.rstrip(b"\r\n"))
        if m is None or self.only_items.upper() not in m.group(2).upper():
            return False
        if uid_set(m.group(1).decode())(self.refused_uid):
            self.dropped.append(m.group(1).decode())
            return True
        return False


def _pipe(src: socket.socket, dst: socket.socket, inspect: Callable[[bytes], bool] | None,
          close: Callable[[], None]) -> None:
    buffer = b""
    try:
        while chunk := src.recv(65536):
            if inspect is not None:
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                if any(inspect(line) for line in lines):
                    break  # the message the server cannot read: the connection dies
            dst.sendall(chunk)
    except OSError:
        pass
    close()


@contextmanager
def refusing_proxy(upstream_port: int, refused_uid: int,
                   only_items: bytes = b"") -> Iterator[RefusingProxy]:
    """Listen on a free loopback port; forward to 127.0.0.1:`upstream_port`."""
    listener = socket.create_server(("127.0.0.1", 0))
    proxy = RefusingProxy(listener.getsockname()[1], refused_uid, only_items)
    open_sockets: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", upstream_port))
            open_sockets.extend((client, server))

            def close(c: socket.socket = client, s: socket.socket = server) -> None:
                for sock in (c, s):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    sock.close()

            threading.Thread(target=_pipe, args=(client, server, proxy.refuses, close),
                             daemon=True).start()
            threading.Thread(target=_pipe, args=(server, client, None, close),
                             daemon=True).start()

    acceptor = threading.Thread(target=serve, daemon=True)
    acceptor.start()
    try:
        yield proxy
    finally:
        try:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (Linux)
        except OSError:
            pass
        listener.close()
        for sock in open_sockets:
            try:
                sock.close()
            except OSError:
                pass
        acceptor.join(5)
