"""The benchmarks are not run by the suite (they print figures, docs/performance.md), so
a rename in the app could break them unseen: each must at least import."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCHMARKS = sorted(p.stem for p in (Path(__file__).parents[1] / "benchmarks").glob("bench_*.py"))


def test_there_are_benchmarks() -> None:
    assert {"bench_ingest", "bench_search", "bench_ui", "bench_sync_footprint"} <= set(
        BENCHMARKS)


@pytest.mark.parametrize("name", BENCHMARKS)
def test_a_benchmark_imports(name: str) -> None:
    module = importlib.import_module(f"tests.benchmarks.{name}")
    assert callable(getattr(module, "main", None)) or hasattr(module, "test_" + name[6:]) \
        or any(n.startswith("test_") for n in dir(module))
