"""The canary can fail: it counts a real fetch of its URL, every connection of a burst,
and a connection that sends nothing; settle() is an exact barrier, not a guess."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests

from tests.peers.canary import Canary


@pytest.fixture
def canary() -> Iterator[Canary]:
    c = Canary()
    yield c
    c.close()


def test_a_real_fetch_registers(canary: Canary) -> None:
    assert canary.settle() == 0
    resp = requests.get(canary.url, timeout=10)
    assert resp.status_code == 204
    assert canary.settle() == 1 and canary.paths == ["/canary"]


def test_a_burst_is_counted_exactly_by_the_barrier(canary: Canary) -> None:
    socks = [socket.create_connection(("127.0.0.1", canary.port)) for _ in range(20)]
    for s in socks:
        s.close()  # connected and gone without a byte: still a hit
    assert canary.settle() == 20
    assert canary.paths == [""] * 20
    with requests.Session() as session:
        for n in range(3):
            session.get(f"http://127.0.0.1:{canary.port}/p{n}", timeout=10)
    assert canary.settle() == 23 and canary.paths[-3:] == ["/p0", "/p1", "/p2"]
