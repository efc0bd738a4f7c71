"""Skip locally when a real server's binary is missing; fail in CI (tests/ci.py)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.ci import in_ci


def require_binary(name: str) -> str:
    path = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None)
    if path:
        return path
    message = f"{name} is not installed (apt: see .ci/system-packages.sh)"
    if in_ci():
        pytest.fail(message + " and this is a CI run: a real-server test may not skip in CI")
    pytest.skip(message)
