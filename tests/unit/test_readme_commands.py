"""The README starts with the two commands, and CI runs exactly the test command."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)


def test_readme_starts_with_run_and_test_commands() -> None:
    run, test = _readme_commands()[:2]
    assert run.endswith(".venv/bin/rr-desktop")
    assert "pytest" in test and "ruff check" in test and "mypy" in test


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test = _readme_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in ci
    assert any("system-packages.sh" in line for line in ci)


def test_the_test_command_runs_the_suite_twice_in_random_orders() -> None:
    """Two pytest runs, each with its own random order: pytest-randomly is in the test
    extra and neither run pins a seed or turns the plugin off."""
    test = _readme_commands()[1]
    runs = re.findall(r"python -m pytest[^&]*", test)
    assert len(runs) == 2, test
    for run in runs:
        assert "randomly-seed" not in run and "no:randomly" not in run, run
    # The first run is the whole suite; the second every test that is not slow.
    assert " -m " not in runs[0].removeprefix("python -m pytest") and " -k " not in runs[0], runs[0]
    assert runs[1].rstrip().endswith("-m 'not benchmark and not slow'"), runs[1]
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    test_extra = config["project"]["optional-dependencies"]["test"]
    assert any(dep.startswith("pytest-randomly") for dep in test_extra)
