"""The benchmarks under pytest: `pytest tests/benchmarks -m benchmark -s` runs every
`bench_*.py` module here as `python -m tests.benchmarks.<module>` (its own process, as
documented in the README) and shows its figures. The default run leaves them out
(`-m 'not benchmark'` in pyproject.toml). Figures, not pass/fail: a benchmark test fails
only when the benchmark itself does (a crash, a non-zero exit).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
BENCH_TIMEOUT_S = 3 * 3600  # the 1M-row caches are built on a first run


@pytest.mark.benchmark
@pytest.mark.timeout(BENCH_TIMEOUT_S)
@pytest.mark.parametrize("module", BENCHMARKS)
def test_benchmark(module: str) -> None:
    print(f"\n== python -m tests.benchmarks.{module}", flush=True)
    done = subprocess.run([sys.executable, "-m", f"tests.benchmarks.{module}"], cwd=ROOT,
                          timeout=BENCH_TIMEOUT_S, check=False)
    assert done.returncode == 0, f"{module} exited with {done.returncode}"


def _documented_command() -> list[str]:
    """The command the `benchmark` marker's description in pyproject.toml documents."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [marker] = [m for m in config["tool"]["pytest"]["ini_options"]["markers"]
                if m.startswith("benchmark:")]
    found = re.search(r"`pytest ([^`]+)`", marker)
    assert found, marker
    return found.group(1).split()


def test_the_documented_benchmark_command_collects_every_benchmark() -> None:
    """The documented command once collected nothing (the modules hold no tests); now it
    collects one test per benchmark module, and the default run none of them."""
    args = [a for a in _documented_command() if a != "-s"]
    collect = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly",
               "-p", "no:cacheprovider"]
    listed = subprocess.run([*collect, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    ids = re.findall(r"::test_benchmark\[(\w+)\]", listed.stdout)
    assert BENCHMARKS and ids == BENCHMARKS, listed.stdout + listed.stderr
    default = subprocess.run([*collect, "tests/benchmarks"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
    assert "test_benchmark[" not in default.stdout, default.stdout
