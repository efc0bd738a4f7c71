"""Every registered command is driven by some GUI test: a command with keys by one of
its keys, a command without keys (menu and palette only) any way.

Enforced when the session runs the whole tests/gui directory (`pytest tests/gui`, or the
whole suite), in any order (pytest-randomly): this test is moved last by the collection
hook in conftest.py and reads what the session's tests invoked (command_coverage.py).
With a subset (-k, -m, --lf, --deselect, one file, `::name`) it skips and says why. Under
-x it runs only if nothing failed before it (the session stops at the first failure)."""

from __future__ import annotations

import pytest

from .command_coverage import COMMAND_LOG, PLAN, app_commands


def test_every_command_is_driven_by_a_gui_test(request: pytest.FixtureRequest) -> None:
    if not PLAN.complete:
        pytest.skip(f"command coverage is checked only over the whole tests/gui: {PLAN.why}")
    commands = app_commands()
    missing = COMMAND_LOG.missing(commands)
    failed = request.session.testsfailed
    assert not missing, (
        f"{len(missing)} of {len(commands)} commands are not driven by any GUI test "
        "(a command with keys must be pressed by a key at least once):\n  "
        + "\n  ".join(missing)
        + (f"\n({failed} GUI tests failed before this one: their commands may be "
           "missing for that reason)" if failed else ""))
