"""Issue 8, offline: the reference service goes away while the app is open. What the
analyst does meanwhile is queued and nothing is lost; the status bar, a banner and
`rr-desktop sync`'s exit code say the channel is offline; when the service is back, F5
delivers everything queued exactly once (the service restarted as a new instance: the
app's cursor is refused with 410 and it resyncs).

The analyst here is already set up (settings.json names them): the scenario is a working
day, not a first start (the journey test answers the first-start prompt with keys).
"""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.desktop import Desktop, now_s

ME = "a.tan"
REPLY = "We have this in hand; the reporter line is down, so expect a call back."
OFFLINE_WORDS = re.compile(r"offline|cannot reach|unreachable", re.IGNORECASE)


@pytest.mark.slow
def test_offline_changes_wait_and_arrive_once_when_the_service_is_back(
        desktop: Desktop) -> None:
    d = desktop
    d.add_channel("ref")
    (d.data / "settings.json").write_text(json.dumps({"me": ME}), encoding="utf-8")
    main = d.start()
    d.wait(lambda: d.channel().get("last_outcome") == "ok", "the first sync to end")
    d.wait(lambda: "synced" in d.channel_status("ref"), "the status bar to say synced")
    accepted = d.wait(d.shown_item, "the detail pane to show an escalation")

    d.service.stop()  # the platform's service goes away; the app stays open

    # Work goes on: accept this one, reply on the next (from the detail pane this time:
    # Return, then r).
    d.keys("1", on=main)
    d.wait(lambda: [o["external_id"] for o in d.outbox()] == [accepted],
           "the accept to be queued")
    replied = d.shown_other_than(accepted)
    d.keys("Return", "r", on=main)
    composer = d.window(r"^Reply on source")
    d.focus(composer)
    d.display.type(REPLY)
    d.display.key("ctrl+Return")
    d.gone(composer)
    d.wait(lambda: [(o["op_type"], o["external_id"]) for o in d.outbox()] ==
           [("update", accepted), ("reply", replied)], "the reply to be queued")

    # F5 while the service is down: the run fails, nothing is lost or dead-lettered.
    pressed = now_s()
    d.keys("F5", on=main)
    d.wait(lambda: d.synced_since(pressed, "offline"), "the F5 sync to end offline")
    assert [o["state"] for o in d.outbox()] == ["pending", "pending"], d.outbox()
    assert "cannot reach" in (d.channel()["last_error"] or ""), d.channel()

    # What the analyst sees: the channel is not "synced", the queue is counted.
    status = d.wait(lambda: (lambda text: text if "synced" not in text else None)(
        d.channel_status("ref")), "the status bar to stop saying synced")
    assert re.search(r"^ref: offline\b", status) and "2 queued" in status, status
    assert re.search(r"\bref\b.*cannot reach", d.status_message()), d.status_message()
    banner = [t for t in d.labels_outside_status_bar() if OFFLINE_WORDS.search(t)]
    # A banner names the channel that cannot be reached, until it can again.
    assert banner, d.labels_outside_status_bar()
    d.screenshot("offline")

    # The analyst (or a cron job) runs the headless sync while the app is open: it
    # exits non-zero naming the channel that cannot be reached, and loses nothing.
    cli = d.cli("sync", "--once")
    assert cli.returncode != 0, cli.stdout + cli.stderr
    assert re.search(r"^ref: offline: .*cannot reach", cli.stdout, re.MULTILINE), \
        cli.stdout + cli.stderr
    assert "Traceback" not in cli.stderr, cli.stderr
    assert [o["state"] for o in d.outbox()] == ["pending", "pending"], d.outbox()

    # The service is back (a new instance on the same port): F5 sends everything once.
    d.service.start()
    pressed = now_s()
    d.keys("F5", on=main)
    d.wait(lambda: d.synced_since(pressed, "ok"), "the F5 sync to end ok", timeout=30)
    assert [o["state"] for o in d.outbox()] == ["done", "done"], d.outbox()
    assert re.search(r"\b2 sent\b", d.status_message()), d.status_message()
    d.wait(lambda: (lambda text: "synced" in text and "queued" not in text)(
        d.channel_status("ref")), "the status bar to say synced, nothing queued")
    d.wait(lambda: not [t for t in d.labels_outside_status_bar() if OFFLINE_WORDS.search(t)],
           "the offline banner to go")
    d.screenshot("back-online")

    service = d.service
    answers = service.stats()["answers"]
    assert answers.get("GET /v1/escalations 410"), answers  # a new instance: a resync
    assert service.record(accepted)["status"] == "triaged"
    history = service.get(f"/v1/escalations/{accepted}/history")["items"]
    assert [(h["kind"], h["detail"].get("status")) for h in history] == \
        [("patch", "triaged")], history
    assert [(r["text"], r["author"]) for r in service.replies(replied)] == [(REPLY, ME)]
    history = service.get(f"/v1/escalations/{replied}/history")["items"]
    assert [h["kind"] for h in history] == ["reply"], history

    assert d.quit() == 0
    assert "Traceback" not in d.output(), d.output()
