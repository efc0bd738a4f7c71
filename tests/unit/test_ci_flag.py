"""One definition of "in CI" (tests/ci.py): slow-test selection and the must-fail-not-skip
rule for missing server binaries agree for every value of CI (issue: with CI=1 the
real-keyring, SIGKILL and bundle tests were silently deselected)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ci import in_ci, run_slow
from tests.peers.availability import require_binary

ROOT = Path(__file__).resolve().parents[2]
MISSING = "rr-no-such-server-binary-4f1d"


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True), ("TRUE", True), ("1", True), ("yes", True), (" on ", True),
    ("woodpecker", True),  # any other value set by a CI service counts
    ("", False), ("0", False), ("false", False), ("False", False), ("no", False),
    ("off", False),
])
def test_in_ci_reads_the_ci_variable(value: str, expected: bool) -> None:
    assert in_ci({"CI": value}) is expected
    assert run_slow(False, {"CI": value}) is expected
    assert run_slow(True, {"CI": value}) is True  # --slow always runs them


def test_unset_ci_is_a_local_run() -> None:
    assert in_ci({}) is False and run_slow(False, {}) is False


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_a_missing_binary_fails_in_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="may not skip in CI"):
        require_binary(MISSING)


def test_a_missing_binary_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "0")
    with pytest.raises(pytest.skip.Exception, match="is not installed"):
        require_binary(MISSING)


@pytest.mark.parametrize(("value", "selected"), [("1", True), ("0", False)])
def test_the_collection_hook_uses_the_same_definition(value: str, selected: bool) -> None:
    """The real conftest, in a child pytest: with CI=1 the SIGKILL test (marked slow) is
    collected; with CI=0 it is deselected."""
    env = {**os.environ, "CI": value}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-p", "no:randomly", "tests/integration/test_sync_kill.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode in (0, 5), out.stdout + out.stderr
    listed = "test_sigkill_at_random_points_loses_and_duplicates_nothing" in out.stdout
    assert listed is selected, out.stdout
    assert ("1 deselected" in out.stdout) is not selected, out.stdout


def test_no_test_module_reads_the_ci_variable_itself() -> None:
    """One definition of "in CI": every place asks tests/ci.py (a copy that knows fewer
    spellings of the variable would skip where CI must fail)."""
    tests = Path(__file__).parents[1]
    readers = [str(p.relative_to(tests)) for p in tests.rglob("*.py")
               if p.name not in ("ci.py", "test_ci_flag.py")
               and re.search(r"environ(\.get)?[\[(]\s*[\"']CI[\"']",
                             p.read_text(encoding="utf-8"))]
    assert readers == []
