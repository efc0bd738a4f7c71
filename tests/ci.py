"""What "running in CI" means for this suite: one definition, used by every place that
asks (slow-test selection in tests/conftest.py, must-fail-not-skip in peers/availability.py).

CI services set `CI` to "true" (GitHub, GitLab), some to "1" or "yes". Any value that is
not empty or a plain "no" counts: a CI run that a typo turned into a local one would
silently deselect the real-server tests, which is worse than running them once too often.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

NOT_CI = frozenset({"", "0", "false", "no", "off", "n", "f"})


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """True when the `CI` environment variable says this is a CI run."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() not in NOT_CI


def run_slow(slow_option: object, environ: Mapping[str, str] | None = None) -> bool:
    """Whether tests marked slow run: with `--slow` (its value here) or in CI."""
    return bool(slow_option) or in_ci(environ)
