"""Two leads, two data dirs, one reference service in its own process: a post-mortem
drafted on one desk reaches the service and the other desk; edits to different sections
made while one desk is offline merge by themselves; the same section edited on both sides
keeps both copies until the lead has merged it, and nothing of theirs is pushed before
(docs/postmortems.md, "Sync"). Real client, real service; the service's state is read
through its own API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rr_desktop.domain.postmortem_doc import resolve_section, split_sections
from rr_desktop.locations import resource_path
from rr_desktop.store import incident_log, postmortems
from rr_desktop.store import postmortem_sync as ps
from rr_desktop.store.postmortems import Draft
from rr_desktop.store.timecodec import utcnow
from tests.integration.desk import Desk, two_desks
from tests.peers.reference_service import ReferenceService

pytestmark = pytest.mark.slow
TEMPLATE = resource_path("templates", "postmortem.md").read_text(encoding="utf-8")
JAKARTA = ZoneInfo("Asia/Jakarta")
ACTION = "- [ ] Hash the challenge's sounds (owner: b.santoso, due: 2026-12-13)"


@pytest.fixture
def service() -> Iterator[ReferenceService]:
    svc = ReferenceService(count=20, fresh=5).start()
    yield svc
    svc.stop()


@pytest.fixture
def desks(tmp_path: Path, service: ReferenceService) -> Iterator[tuple[Desk, Desk]]:
    with two_desks(tmp_path, service) as pair:
        yield pair


def draft(desk: Desk, uid: str) -> Draft:
    with desk.store.read() as db:
        pm = postmortems.by_uid(db, uid)
        assert pm is not None
        found = postmortems.get(db, pm)
    assert found is not None
    return found


def edit(desk: Desk, uid: str, heading: str, body: str, kind: str = "autosave") -> str:
    """The lead rewrites one section; the draft's new text."""
    def change(db: Any) -> str:
        pm = postmortems.by_uid(db, uid)
        current = postmortems.get(db, pm)
        text = resolve_section(current.text, heading, body)
        postmortems.save(db, pm, text, desk.me, utcnow(), kind=kind)
        return text
    text: str = desk.write(change)
    return text


def section(text: str, heading: str) -> str:
    return next(s.body for s in split_sections(text) if s.heading == heading)


def served(service: ReferenceService, uid: str) -> dict[str, Any]:
    data: dict[str, Any] = service.get(f"/v1/postmortems/{uid}")
    return data


def puts(service: ReferenceService, uid: str) -> int:
    prefix = f"PUT /v1/postmortems/{uid}"
    return sum(n for key, n in service.stats()["routes"].items() if key == prefix)


def test_drafted_on_one_desk_merged_by_section_and_a_same_section_edit_waits_for_the_lead(
        desks: tuple[Desk, Desk], service: ReferenceService) -> None:
    a, b = desks
    _, incident = a.write(lambda db: incident_log.declare(db, "Blackout challenge", a.me,
                                                          utcnow(), severity="S1"))
    pm = a.write(lambda db: postmortems.create(db, incident, TEMPLATE, a.me, utcnow(),
                                               JAKARTA))
    uid = a.write(lambda db: postmortems.get(db, pm).uid)
    edit(a, uid, "Action items", ACTION + "\n")
    assert a.sync().error is None

    # the service has it, and its action item as a task
    held = served(service, uid)
    assert held["version"] == 1 and held["text"] == draft(a, uid).text
    assert held["incident"] == incident and held["state"] == "draft"
    [task] = service.get("/v1/tasks", postmortem=uid)["items"]
    assert (task["text"], task["owner"], task["due"], task["done"]) == \
        ("Hash the challenge's sounds", "b.santoso", "2026-12-13", False)
    assert not draft(a, uid).dirty

    assert b.sync().error is None
    assert draft(b, uid).text == held["text"] and not draft(b, uid).dirty

    # A on a plane edits Summary; B in the office edits Impact and syncs
    a.go_offline()
    edit(a, uid, "Summary", "A dangerous challenge spread across ID for 9 hours.\n")
    offline = a.sync()
    assert offline.offline and offline.error
    edit(b, uid, "Impact", "1.2M views before removal; 40 minors' videos.\n")
    assert b.sync().error is None
    assert served(service, uid)["version"] == 2

    # A lands: different sections merge by themselves, on the service and on both desks
    a.go_online()
    report = a.sync()
    assert report.error is None and report.problems == []
    held = served(service, uid)
    assert held["version"] == 3
    assert section(held["text"], "Summary") == \
        "A dangerous challenge spread across ID for 9 hours.\n"
    assert section(held["text"], "Impact") == "1.2M views before removal; 40 minors' videos.\n"
    assert draft(a, uid).text == held["text"] and not draft(a, uid).dirty
    assert b.sync().error is None
    assert draft(b, uid).text == held["text"]

    # both edit Summary, A offline: a conflict, both copies kept, nothing of A's pushed
    a.go_offline()
    mine = "Nine hours, 14 markets, one sound.\n"
    theirs = "A challenge spread from one sound to 14 markets.\n"
    edit(a, uid, "Summary", mine)
    edit(b, uid, "Summary", theirs)
    assert a.sync().offline
    assert b.sync().error is None
    at_b = served(service, uid)
    assert at_b["version"] == 4
    a.go_online()
    assert a.sync().error is None
    waiting = draft(a, uid)
    [conflict] = waiting.conflicts
    assert conflict.heading == "Summary"
    assert (conflict.mine, conflict.theirs) == (mine, theirs)
    assert conflict.base == "A dangerous challenge spread across ID for 9 hours.\n"
    assert section(waiting.text, "Summary") == mine  # ours stays in the text
    with a.store.read() as db:
        kept = db.execute("SELECT theirs_text, theirs_version FROM postmortem WHERE uid = ?",
                          (uid,)).fetchone()
    assert kept == (at_b["text"], 4)
    assert served(service, uid) == at_b  # nothing of A's reached the service
    before = puts(service, uid)
    assert a.sync().error is None  # another run pushes nothing while the merge waits
    assert puts(service, uid) == before and served(service, uid) == at_b

    # the lead merges the section side by side; then it goes out against their version
    merged = "Nine hours, 14 markets: a challenge spread from one sound.\n"

    def resolve(db: Any) -> None:
        pm_id = postmortems.by_uid(db, uid)
        text = resolve_section(postmortems.get(db, pm_id).text, "Summary", merged)
        postmortems.save(db, pm_id, text, a.me, utcnow(), kind="merge")
        ps.clear_conflicts(db, pm_id)

    a.write(resolve)
    assert a.sync().error is None
    held = served(service, uid)
    assert held["version"] == 5
    assert section(held["text"], "Summary") == merged
    assert section(held["text"], "Impact") == "1.2M views before removal; 40 minors' videos.\n"
    assert held["text"] == draft(a, uid).text
    resolved = draft(a, uid)
    assert resolved.conflicts == [] and not resolved.dirty
    assert b.sync().error is None
    assert draft(b, uid).text == held["text"]


def test_a_service_that_lost_its_post_mortems_gets_ours_again(
        desks: tuple[Desk, Desk], service: ReferenceService) -> None:
    a, _ = desks
    _, incident = a.write(lambda db: incident_log.declare(db, "Takedown order", a.me,
                                                          utcnow()))
    pm = a.write(lambda db: postmortems.create(db, incident, TEMPLATE, a.me, utcnow(),
                                               JAKARTA))
    uid = a.write(lambda db: postmortems.get(db, pm).uid)
    edit(a, uid, "Summary", "Order 17/2026 received and complied with in 3 hours.\n")
    assert a.sync().error is None
    edit(a, uid, "Impact", "None outside ID.\n")
    assert a.sync().error is None
    assert served(service, uid)["version"] == 2
    service.stop()
    service.start()  # an in-memory service restarted: it holds no post-mortems
    report = a.sync()
    assert report.error is None, report.error
    held = served(service, uid)
    assert held["version"] == 1 and held["text"] == draft(a, uid).text
    assert section(held["text"], "Impact") == "None outside ID.\n"
    assert not draft(a, uid).dirty
