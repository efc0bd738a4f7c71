"""Helper modules the suite runs in child processes (``python -m tests.integration.sync_child``)
only show a broken import as a child that never says START: each must import here, so a
rename in the app names the line that broke."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

TESTS = Path(__file__).parents[1]
HELPERS = sorted(
    ".".join(p.relative_to(TESTS.parent).with_suffix("").parts)
    for p in TESTS.rglob("*.py")
    if not p.name.startswith(("test_", "conftest", "__init__"))
    and "benchmarks" not in p.parts)


def test_the_child_process_helpers_are_among_them() -> None:
    assert "tests.integration.sync_child" in HELPERS


@pytest.mark.parametrize("name", HELPERS)
def test_a_helper_module_imports(name: str) -> None:
    assert importlib.import_module(name).__name__ == name
