"""Issue 8's black-box journey: a new analyst starts `rr-desktop` on a fresh data dir and,
with keys only, accepts an escalation and replies to the reporter of the next one; the
reference service (its own process) must have received the accept and the reply, exactly
once each.

The first-start "Who are you?" prompt is answered with keys here too: it is the first
thing a new user meets on a fresh data dir, and the author of the reply on the service
must be the identity chosen there, never the OS login.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.desktop import Desktop, now_s

REPLY = "Thanks for flagging this. We are reviewing the clip now; update within 1 hour."
ME = "a.tan"


@pytest.mark.slow
def test_keys_only_journey_reaches_the_service_exactly_once(desktop: Desktop) -> None:
    d = desktop
    d.add_channel("ref")
    main = d.start(focus=False)  # the first-start prompt takes the focus

    # First start: who are you? Typed into the picker, Enter.
    prompt = d.window(r"^Who are you\?")
    d.focus(prompt)
    d.display.type(ME)
    d.display.key("Return")
    d.gone(prompt)
    d.wait(lambda: d.settings().get("me") == ME, "settings.json to keep who I am")
    d.wait(lambda: any(t.startswith("You:") and f"({ME})" in t for t in d.status_bar()),
           "the status bar to say who I am")

    # The first sync has filled the queue: the detail pane shows the current item.
    d.wait(lambda: d.channel().get("last_outcome") == "ok", "the first sync to end")
    first = d.wait(d.shown_item, "the detail pane to show an escalation")

    # j: the next item.
    d.keys("j", on=main)
    accepted = d.shown_other_than(first)
    shown_id, heading = d.wait(d.shown, "the detail pane's heading")
    assert shown_id == accepted
    title = heading if len(heading) <= 80 else heading[:79] + "\u2026"
    d.wait(lambda: d.display.name_of(main) == f"{title} \u2014 RR Desktop",
           f"the window title to name {accepted}, the item on screen")

    # 1: accept the item on screen; the cursor moves on.
    d.keys("1", on=main)
    updates = d.wait(lambda: [o for o in d.outbox() if o["op_type"] == "update"],
                     "the accept to be queued")
    assert [(o["external_id"], o["payload"].get("status")) for o in updates] == \
        [(accepted, "triaged")], "1 acted on another item than the detail pane showed"
    replied = d.shown_other_than(accepted)

    # r, the text, Ctrl+Enter: a reply to the reporter of the item on screen.
    d.keys("r", on=main)  # r works in the list, on the item at the cursor
    composer = d.window(r"^Reply on source")
    d.focus(composer)
    prompt_text = " ".join(d.texts_in(r"^Reply on source"))
    # Prompts name the item by its external id and title, never an internal #id.
    assert replied in prompt_text and not re.search(r"#\d", prompt_text), prompt_text
    d.display.type(REPLY)
    d.display.key("ctrl+Return")
    d.gone(composer)
    replies = d.wait(lambda: [o for o in d.outbox() if o["op_type"] == "reply"],
                     "the reply to be queued")
    assert [(o["external_id"], o["payload"].get("text")) for o in replies] == \
        [(replied, REPLY)], "the reply went to another item, or its text changed"
    # The pane shows the reply, in full, as waiting to sync.
    d.wait(lambda: f"by {ME}: \u2014 waiting to sync" in d.detail_text()
           and " ".join(REPLY.split()) in " ".join(d.detail_text().split()),
           "the detail pane to show the queued reply")
    d.screenshot("journey-queued")

    # F5: sync now. Both changes reach the service; the outbox is empty.
    pressed = now_s()
    d.keys("F5", on=main)
    d.wait(lambda: d.synced_since(pressed, "ok"), "the sync F5 started to end ok")
    sent_ops = d.outbox()
    assert [(o["op_type"], o["state"]) for o in sent_ops] == \
        [("update", "done"), ("reply", "done")], sent_ops
    d.wait(lambda: "synced" in d.channel_status("ref"), "the status bar to say synced")
    # F5 ends with a visible outcome that counts what went out.
    assert re.search(r"\b2 sent\b", d.status_message()), d.status_message()
    # The pane follows delivery: the reply now reads as sent.
    d.wait(lambda: f"by {ME}: \u2014 sent" in d.detail_text()
           and "waiting to sync" not in d.detail_text(),
           "the detail pane to show the reply as sent", timeout=10)
    d.screenshot("journey-synced")

    # The SERVER's state, through its own API: exactly once each.
    service = d.service
    record = service.record(accepted)
    assert record["status"] == "triaged"
    history = service.get(f"/v1/escalations/{accepted}/history")["items"]
    assert [(h["kind"], h["detail"].get("status")) for h in history] == \
        [("patch", "triaged")], history
    sent = service.replies(replied)
    assert [(r["text"], r["author"]) for r in sent] == [(REPLY, ME)], sent
    history = service.get(f"/v1/escalations/{replied}/history")["items"]
    assert [h["kind"] for h in history] == ["reply"], history
    assert service.record(replied)["status"] == "new"  # replying does not triage
    assert service.notes(replied) == []  # a reply is public, never an internal note

    assert d.quit() == 0
    output = d.output()
    assert "Traceback" not in output, output
