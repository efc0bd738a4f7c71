"""Syncing from a reference service that misbehaves (its own process, faults given on its
command line): every case ends the run with a clear error recorded on the channel row,
in bounded time, having asked the server a bounded number of times."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from rr_desktop.channels.contract import Rejected, TooSlow
from rr_desktop.channels.transport import Transport
from rr_desktop.sync.limits import SyncLimits
from tests.integration.hostile_env import routes, sync_in_child, synced
from tests.peers.reference_service import ReferenceService

FEED = "GET /v1/escalations"


@pytest.mark.parametrize(("fault", "words", "pages"), [
    ("cursor_same", "sent back the same cursor", 2),
    ("cursor_back", "cursor that goes backwards", 2),
    ("cursor_empty", "sent no cursor for the next page", 1),
])
def test_a_cursor_that_does_not_move_ends_the_run(tmp_path: Path, fault: str, words: str,
                                                  pages: int) -> None:
    with ReferenceService(count=200, extra_args=["--fault", fault]) as svc:
        env = synced(svc, tmp_path)
        report = env.engine.run("ref")
        assert report.error is not None and words in report.error, report.summary()
        assert routes(svc, FEED) == pages  # asked once per page, not 22 times a second
        status = env.status()
        assert status.last_error == report.error
        # What the pages brought is stored; the cursor stays where it was asked from.
        assert env.count() == 50 * pages
        again = env.engine.run("ref")  # the next run ends the same way, storing no more
        assert again.error is not None and words in again.error
        assert env.count() == 50 * pages
        env.store.close()


def test_a_huge_retry_after_ends_the_run_rate_limited_until_then(tmp_path: Path) -> None:
    with ReferenceService(count=100, extra_args=["--fault", "429:retry_after=86400"]) as svc:
        env = synced(svc, tmp_path, limits=SyncLimits(max_retry_wait_s=60))
        start = time.time()
        report = env.engine.run("ref")
        assert report.error is not None and "rate-limited until" in report.error
        assert "24 h" in report.error and report.summary().startswith("ref: not finished")
        status = env.status()
        assert status.last_error == report.error
        assert status.rate_limited_until is not None
        assert abs(status.rate_limited_until - (start + 86_400)) < 60
        assert report.rate_limited_until == status.rate_limited_until
        assert routes(svc, FEED) == 1
        env.store.close()


def test_a_retry_after_within_the_cap_is_waited_out(tmp_path: Path) -> None:
    with ReferenceService(count=100, extra_args=["--fault", "429:retry_after=1,count=1"]) \
            as svc:
        env = synced(svc, tmp_path, limits=SyncLimits(max_retry_wait_s=60))
        report = env.engine.run("ref")
        assert report.error is None, report.summary()
        assert env.count() == 100 and env.status().rate_limited_until is None
        env.store.close()


def test_a_redirect_to_another_host_is_refused(tmp_path: Path) -> None:
    # "localhost" is the same service under another name: had the client followed, the
    # service would have seen a request for it (with the token).
    with ReferenceService(count=100, extra_args=["--fault", "redirect:host=localhost"]) \
            as svc:
        env = synced(svc, tmp_path)
        report = env.engine.run("ref")
        assert report.error is not None
        assert "redirected to localhost" in report.error and "refused" in report.error
        assert env.status().last_error == report.error
        assert env.count() == 0
        assert not [h for h in svc.stats()["hosts"] if h.startswith("localhost")]
        env.store.close()


def test_a_cursor_refused_again_after_a_resync_fails_without_saying_resyncing(
        tmp_path: Path) -> None:
    with ReferenceService(count=100, extra_args=["--fault", "gone"]) as svc:
        env = synced(svc, tmp_path)
        report = env.engine.run("ref")
        assert report.resynced and report.error is not None
        assert "again right after a full resync" in report.error
        assert not report.error.endswith("resyncing")
        assert report.summary().startswith("ref: failed:")
        assert env.status().last_error == report.error
        assert routes(svc, FEED) == 2
        env.store.close()


def test_a_pull_answer_cut_off_mid_body_is_retried(tmp_path: Path) -> None:
    with ReferenceService(count=120, extra_args=[
            "--fault", "truncate:method=GET,path=/v1/escalations,count=1"]) as svc:
        env = synced(svc, tmp_path, limits=SyncLimits(run_deadline_s=60))
        env.engine.rng.seed(1)
        report = env.engine.run("ref")
        assert report.error is None, report.summary()
        assert env.count() == 120
        assert svc.stats()["injected"] == {"truncate": 1}
        env.store.close()


@pytest.mark.slow
def test_a_server_dripping_its_answer_is_cut_off_by_the_run_deadline(tmp_path: Path) -> None:
    with ReferenceService(count=100, extra_args=["--fault", "drip:bytes_per_s=2"]) as svc:
        result = sync_in_child(svc, tmp_path, time_limit=3)
    assert "did not finish within 3 s" in str(result["error"])
    assert result["last_error"] == result["error"]
    assert result["seconds"] < 8  # 3 s, not the hours the answer would take
    assert result["growth_kb"] < 16 * 1024, result


@pytest.mark.slow
def test_a_gzip_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    # 1 MB on the wire, 1 GB inflated; the cap is 32 MB.
    with ReferenceService(count=100, extra_args=["--fault", "gzip_bomb:size_mb=1024"]) as svc:
        result = sync_in_child(svc, tmp_path)
        assert routes(svc, FEED) == 1  # refused at once, not retried
    assert "larger than 32 MB" in str(result["error"]), result
    assert "after decompression" in str(result["error"])
    assert result["last_error"] == result["error"]
    assert result["growth_kb"] < 80 * 1024, result  # the cap (32 MB) and little more


def test_an_answer_slower_than_its_deadline_is_cut_off_in_headers_or_body() -> None:
    # First answer: 5 bytes a second, its headers alone would take half a minute.
    # Then 20 kB a second: headers at once, a 300-record page in about 15 s.
    with ReferenceService(count=300, extra_args=[
            "--fault", "drip:method=PATCH,bytes_per_s=5",
            "--fault", "drip:bytes_per_s=5,count=1", "--fault", "drip:bytes_per_s=20000",
    ]) as svc:
        transport = Transport("t", svc.url, deadline_s=1.0)
        auth = {"Authorization": f"Bearer {svc.token}"}
        for _ in range(2):
            start = time.monotonic()
            with pytest.raises(TooSlow, match="took over 1 s") as caught:
                transport.call("GET", "/v1/escalations", params={"limit": 300},
                               headers=auth)
            assert time.monotonic() - start < 3
            assert not caught.value.ambiguous
        with pytest.raises(TooSlow) as write:
            transport.call("PATCH", "/v1/escalations/ESC-000001", write=True, json={},
                           headers=auth)
        assert write.value.ambiguous  # it may have been applied
        transport.close()


def test_requests_leave_for_nowhere_but_the_channels_host() -> None:
    with ReferenceService(count=10) as svc:
        transport = Transport("t", svc.url)
        with pytest.raises(Rejected, match="refusing to send"):
            transport.call("GET", svc.url.replace("127.0.0.1", "localhost") + "/v1/analysts")
        with pytest.raises(Rejected, match=r"'\.\.'"):
            transport.call("GET", "/v1/escalations/../../admin")
        transport.close()
        assert svc.stats()["requests"] == 1  # the stats call itself


def test_hostile_data_is_served_as_the_command_line_says() -> None:
    with ReferenceService(count=20, extra_args=[
            "--hostile", "bigint,surrogate,deep,bom,ids"]) as svc:
        raw = svc.session.get(f"{svc.url}/v1/escalations", params={"limit": 100},
                              timeout=10).content
        cursor = re.search(rb'"next_cursor":"([^"]+)"', raw)
        assert cursor is not None
        later = svc.session.get(f"{svc.url}/v1/escalations", timeout=10, params={
            "limit": 1, "cursor": cursor.group(1).decode()})
        held = [svc.record(i)["id"] for i in ("ESC-a/b", "ESC-what?admin=1", "../../admin",
                                               "..", "ESC-100%", "ESC-#top")]
    assert raw.startswith(b"\xef\xbb\xbf{")  # a BOM, then the page
    assert b'"version":9223372036854775808' in raw and b'"views":18446744073709551616' in raw
    assert b"lone surrogate \\ud800 here" in raw
    assert b"[" * 200_000 + b"]" * 200_000 in raw
    assert later.content.startswith(b'{"items":[')  # only the first page is hostile
    assert held == ["ESC-a/b", "ESC-what?admin=1", "../../admin", "..", "ESC-100%",
                    "ESC-#top"]
