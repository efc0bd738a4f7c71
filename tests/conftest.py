"""Shared test set-up.

Qt must see QT_QPA_PLATFORM before anything imports it, so it is set at import time of
this conftest (pytest loads it before any test module).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ci import run_slow

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # headless and identical everywhere
# A headless run must not read the developer's real data dir.
os.environ.pop("RR_DESKTOP_DATA_DIR", None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", default=False,
                     help="also run tests marked slow (always on in CI, see tests/ci.py)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the local run fast: slow real-server tests run in CI or with --slow."""
    if run_slow(config.getoption("--slow")):
        return
    kept = [item for item in items if "slow" not in item.keywords]
    deselected = [item for item in items if "slow" in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def pytest_configure(config: pytest.Config) -> None:
    # The offscreen platform plugin warns that it cannot propagate size hints whenever a
    # top-level window with a minimum/maximum size is shown; it is a limitation of the
    # headless plugin, not of our code, and would fail every GUI test under
    # qt_log_level_fail = WARNING.
    try:
        config.addinivalue_line("qt_log_ignore",
                                r"This plugin does not support propagateSizeHints\(\)")
        # Tooltips raise their window; the offscreen plugin cannot (headless only).
        config.addinivalue_line("qt_log_ignore", r"This plugin does not support raise\(\)")
    except ValueError:  # pytest-qt not installed: no Qt tests will run anyway
        pass


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty, private data dir (what --data-dir / RR_DESKTOP_DATA_DIR point at)."""
    path = tmp_path / "data"
    path.mkdir(mode=0o700)
    return path
