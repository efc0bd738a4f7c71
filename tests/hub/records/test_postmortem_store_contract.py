"""The reference service's post-mortem contract (tests/unit/test_service_postmortems.py),
the very same tests, run against the hub's post-mortems on SQLite and on the real
PostgreSQL. In a new database only post-mortem writes move the feed, so their seqs are
1, 2, 3, ... there too; tests/hub/records/test_postmortem_store.py covers the gaps, the role rule
and durability."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from rr_desktop.hub.postmortem_store import HubPostmortems
from tests.hub.records.rig import NewHubStore
from tests.unit.test_service_postmortems import (  # noqa: F401  (collected here again)
    test_a_bad_body_is_refused_with_one_sentence_and_stores_nothing,
    test_a_replayed_key_answers_what_it_stored_and_another_request_under_it_is_refused,
    test_action_items_are_the_teams_tasks,
    test_concurrent_writers_get_one_gapless_sequence_and_readers_miss_nothing,
    test_pages_follow_the_sequence_stop_at_the_budget_and_know_their_end,
    test_versions_count_from_one_and_each_write_names_the_current_one,
)


@pytest.fixture
def new_store(new_hub_store: NewHubStore) -> Callable[..., HubPostmortems]:
    def make(now: Callable[[], float] = time.time) -> HubPostmortems:
        return HubPostmortems(new_hub_store(), now)
    return make


@pytest.fixture
def rounds() -> int:
    """Each write is a durable commit here: fewer than the in-memory store's 40."""
    return 25
