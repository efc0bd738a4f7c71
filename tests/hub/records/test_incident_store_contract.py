"""The reference service's incident log contract (tests/unit/test_demo_incident_log.py),
the very same tests, run against the hub's log on SQLite and on the real PostgreSQL.

In a new database only incident events move the feed, so their seqs are 1, 2, 3, ...
there too; tests/hub/records/test_incident_store.py covers the gaps other records leave."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rr_desktop.hub.incident_store import HubIncidentLog
from tests.hub.records.rig import NewHubStore
from tests.unit.test_demo_incident_log import (  # noqa: F401  (collected here again)
    eager_switching,
    test_a_repeated_uid_answers_the_stored_event_and_appends_nothing,
    test_a_uid_reused_with_another_body_is_refused,
    test_appends_from_many_threads_get_one_gapless_order,
    test_events_are_numbered_in_arrival_order_from_one,
    test_incidents_are_listed_newest_declared_first_and_refolded_after_a_change,
    test_pages_cover_the_log_once_and_their_bounds_hold,
    test_the_log_refuses_what_would_break_the_shared_order,
    test_true_and_one_are_different_bodies,
)


@pytest.fixture
def new_log(new_hub_store: NewHubStore) -> Callable[[], HubIncidentLog]:
    return lambda: HubIncidentLog(new_hub_store())


@pytest.fixture
def appends_per_thread() -> int:
    """Each append is a durable commit here: fewer than the in-memory log's 150."""
    return 40
