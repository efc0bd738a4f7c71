"""Simulated desktops for the hub load benchmark (bench_hub_load.py): each one syncs the
escalation feed from its cursor and writes triage actions, over keep-alive HTTP/1.1
connections to a hub on this machine; `Tally` keeps what was written and what arrived.

One asyncio loop runs every desktop: a thread per desktop would cost the generator more
CPU than the hub it measures on a 2-core machine. The HTTP client is the few lines an
HTTP/1.1 keep-alive exchange needs (`Conn`), for the same reason. Loopback only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import random
import socket
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import msgspec

OPEN_STATUSES = ("triaged", "investigating", "waiting_on_partner", "contained")
SEVERITIES, URGENCIES = ("S0", "S1", "S2", "S3"), ("U0", "U1", "U2", "U3")
TAGS = ("minor", "viral", "press", "regulator", "repeat", "geo")
POLL_S = 0.25  # a desktop's fastest feed poll, without the hub's wait route
WAIT_S = 5  # the long-poll each desktop holds open (the hub allows up to 30)
HOLD_LOW, HOLD_HIGH = 4, 12  # a desktop takes work below, releases some above


class _Item(msgspec.Struct):
    id: str
    version: int


class _Page(msgspec.Struct):
    items: list[_Item]
    next_cursor: str
    has_more: bool


_page = msgspec.json.Decoder(_Page)
_item = msgspec.json.Decoder(_Item)


def loopback(base: str) -> tuple[str, int]:
    """(host, port) of a loopback http URL; anything else is refused: the generator only
    ever loads a hub on this machine."""
    parts = urlsplit(base)
    if parts.scheme != "http" or not parts.hostname or parts.port is None:
        raise ValueError(f"{base!r} is not an http://host:port URL")
    try:
        addresses = {ipaddress.ip_address(info[4][0]) for info in socket.getaddrinfo(
            parts.hostname, parts.port, type=socket.SOCK_STREAM)}
    except (socket.gaierror, ValueError) as exc:
        raise ValueError(f"cannot resolve {parts.hostname!r}") from exc
    if not addresses or not all(a.is_loopback for a in addresses):
        raise ValueError(f"{base!r} is not a loopback address: the load generator only "
                         "loads a hub on this machine")
    return parts.hostname, parts.port


class Conn:
    """One keep-alive HTTP/1.1 connection; requests on it go one at a time."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in
                            {"Host": f"{host}:{port}", **headers}.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """(status, body). A request on a kept-alive connection the server has closed
        in the meantime (uvicorn closes one idle for 5 s) goes again on a new one, as
        HTTP clients do: every request here is safe to send twice (GETs, PATCH with
        If-Match, POST with an Idempotency-Key). Anything else that fails raises."""
        reused = self.writer is not None
        try:
            return await self._exchange(method, path, body, headers)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.close()
            if not reused:
                raise
        return await self._exchange(method, path, body, headers)

    async def _exchange(self, method: str, path: str, body: bytes,
                        headers: dict[str, str] | None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        length = f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n" \
            if body else ""
        self.writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}{extra}{length}\r\n"
                          .encode() + body)
        await self.writer.drain()
        status = int((await self.reader.readline()).split(b" ", 2)[1])
        size, chunked, close = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                size = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        data = await self._chunked() if chunked else await self.reader.readexactly(size)
        if close:
            self.close()
        return status, data

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        out = b""
        while size := int((await self.reader.readline()).strip().split(b";")[0], 16):
            out += await self.reader.readexactly(size)
            await self.reader.readline()
        await self.reader.readline()
        return out

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    """Writes acknowledged and their arrival at the other desktops (one clock: this
    process's monotonic time)."""

    desktops: int
    # escalation id -> [(version written, when acknowledged, writer)]
    acks: dict[str, list[tuple[int, float, int]]] = field(default_factory=dict)
    known: list[dict[str, int]] = field(default_factory=list)  # per desktop: id -> version
    arrival_s: list[float] = field(default_factory=list)
    arrived: Counter[tuple[str, int]] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)  # "patch 200", "note 201", ...
    write_s: dict[str, list[float]] = field(default_factory=dict)  # request time by kind
    page_s: list[float] = field(default_factory=list)
    changes: int = 0  # writes the hub acknowledged as new changes

    def __post_init__(self) -> None:
        self.known = [{} for _ in range(self.desktops)]

    def acked(self, desk: int, eid: str, version: int, now: float) -> None:
        self.acks.setdefault(eid, []).append((version, now, desk))
        for other, known in enumerate(self.known):  # seen before the answer got back
            if other != desk and known.get(eid, 0) >= version:
                self.arrival_s.append(0.0)
                self.arrived[(eid, version)] += 1
        mine = self.known[desk]
        mine[eid] = max(mine.get(eid, 0), version)

    def seen(self, desk: int, eid: str, version: int, now: float) -> None:
        known = self.known[desk]
        last = known.get(eid, 0)
        if version <= last:
            return
        known[eid] = version
        for written, at, writer in self.acks.get(eid, ()):
            if last < written <= version and writer != desk:
                self.arrival_s.append(now - at)
                self.arrived[(eid, written)] += 1

    def missing(self) -> int:
        """Acknowledged record writes no other desktop ever saw."""
        return sum(1 for eid, writes in self.acks.items() for version, _, _ in writes
                   if self.arrived[(eid, version)] == 0)


@dataclass
class Desktop:
    """One analyst's desktop: a sync loop and a writer, each on its own connection."""

    number: int
    analyst: str
    token: str
    host: str
    port: int
    tally: Tally
    pool: list[str]  # free escalations any desktop may take (shared)
    held: list[str] = field(default_factory=list)
    cursor: str = ""
    head: int = 0  # the feed seq this desktop has read up to
    poll_s: float = POLL_S  # between feed reads without the wait route
    doing: tuple[str, float] = ("", 0.0)  # the sync's current request, since when

    def conn(self) -> Conn:
        return Conn(self.host, self.port, {"Authorization": f"Bearer {self.token}",
                                           "X-RR-Desktop": f"bench-desk-{self.number:02d}"})

    async def sync(self, use_wait: bool, stop: asyncio.Event) -> None:
        """Page the feed from the cursor whenever the hub says it moved (or every `poll_s`
        without the wait route), like the desktop's sync."""
        feed, waiter = self.conn(), self.conn()
        try:
            while not stop.is_set():
                try:
                    await self._sync_once(use_wait, feed, waiter)
                except (ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
                    self.tally.statuses[f"sync {type(exc).__name__}"] += 1
                    feed.close()
                    waiter.close()
                    await asyncio.sleep(self.poll_s)
        finally:
            feed.close()
            waiter.close()

    async def _sync_once(self, use_wait: bool, feed: Conn, waiter: Conn) -> None:
        """Wait for the feed to move (or the poll interval), then read it."""
        if use_wait:
            self.doing = ("wait", time.monotonic())
            status, body = await waiter.request(
                "GET", f"/v1/changes/wait?after={self.head}&timeout={WAIT_S}")
            if status != 200:
                self.tally.statuses[f"wait {status}"] += 1
                await asyncio.sleep(self.poll_s)
                return
            head = int(json.loads(body)["head"])
            if head <= self.head:
                return
        else:
            await asyncio.sleep(self.poll_s)
            head = 0
        self.doing = ("feed", time.monotonic())
        await self.read_feed(feed)
        self.head = max(self.head, head)

    async def read_feed(self, feed: Conn) -> None:
        while True:
            t0 = time.monotonic()
            status, body = await feed.request(
                "GET", f"/v1/escalations?cursor={self.cursor}&limit=1000")
            now = time.monotonic()
            self.tally.page_s.append(now - t0)
            if status != 200:
                self.tally.statuses[f"feed {status}"] += 1
                return
            page = _page.decode(body)
            for item in page.items:
                self.tally.seen(self.number, item.id, item.version, now)
            self.cursor = page.next_cursor
            self.head = max(self.head, int(self.cursor.rpartition(".")[2]))
            if not page.has_more:
                return

    async def write(self, rate: float, until: float, rng: random.Random) -> None:
        """Triage actions at `rate` a second (spaced evenly, from a random start), until
        `until`; late ones go at once (the hub sets the pace then), none after `until`."""
        conn = self.conn()
        at = time.monotonic() + rng.random() / rate
        try:
            while at < until and time.monotonic() < until:
                delay = at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                at += 1 / rate
                try:
                    await self.action(conn, rng)
                except (ConnectionError, asyncio.IncompleteReadError) as exc:
                    self.tally.statuses[f"write {type(exc).__name__}"] += 1
                    conn.close()
        finally:
            conn.close()

    async def action(self, conn: Conn, rng: random.Random) -> None:
        roll = rng.random()
        if (len(self.held) < HOLD_LOW or roll < 0.08) and self.pool:
            eid = self.pool.pop(int(rng.random() * len(self.pool)))
            await self.patch(conn, eid, {"assignee": self.analyst, "status": "triaged"})
        elif not self.held:
            return
        elif len(self.held) > HOLD_HIGH and roll < 0.3:
            eid = self.held.pop(int(rng.random() * len(self.held)))
            await self.patch(conn, eid, {"assignee": None, "status": "triaged",
                                         "status_reason": "back to the queue"})
        elif roll < 0.75:
            change: dict[str, Any] = rng.choice((
                {"status": rng.choice(OPEN_STATUSES)}, {"severity": rng.choice(SEVERITIES)},
                {"urgency": rng.choice(URGENCIES)},
                {"tags": rng.sample(TAGS, int(rng.random() * 3) + 1)}))
            await self.patch(conn, rng.choice(self.held), change)
        elif roll < 0.88:
            await self.post(conn, rng.choice(self.held), "facts",
                            f"Reach update from desk {self.number}: {rng.randrange(10**6)}")
        else:
            await self.post(conn, rng.choice(self.held), "notes",
                            f"Desk {self.number} called the partner ({rng.randrange(10**6)})")

    async def patch(self, conn: Conn, eid: str, change: dict[str, Any]) -> None:
        version = self.tally.known[self.number].get(eid, 0)
        t0 = time.monotonic()
        status, body = await conn.request(
            "PATCH", f"/v1/escalations/{eid}", json.dumps(change).encode(),
            {"If-Match": f'"{version}"'})
        now = time.monotonic()
        self._record("patch", status, now - t0)
        taking = change.get("assignee") == self.analyst
        if status == 200:
            self.tally.changes += 1
            self.tally.acked(self.number, eid, _item.decode(body).version, now)
            if taking:
                self.held.append(eid)
            elif "assignee" in change:
                self.pool.append(eid)
        elif status == 412:  # another desktop changed it first: take its version
            current = msgspec.json.decode(body)["current"]
            self.tally.seen(self.number, eid, int(current["version"]), now)
            if current.get("assignee") in (None, self.analyst):
                (self.pool if taking else self.held).append(eid)
        # 403: somebody else holds it now; it leaves this desktop's lists

    async def post(self, conn: Conn, eid: str, kind: str, text: str) -> None:
        t0 = time.monotonic()
        status, body = await conn.request(
            "POST", f"/v1/escalations/{eid}/{kind}",
            json.dumps({"text": text, "author": self.analyst}).encode(),
            {"Idempotency-Key": uuid.uuid4().hex})
        now = time.monotonic()
        self._record(kind, status, now - t0)
        if status == 201:
            self.tally.changes += 1
            if kind == "facts":  # a fact is a change of the record, in the feed
                self.tally.acked(self.number, eid, _item.decode(body).version, now)

    def _record(self, kind: str, status: int, seconds: float) -> None:
        self.tally.statuses[f"{kind} {status}"] += 1
        self.tally.write_s.setdefault(kind, []).append(seconds)
