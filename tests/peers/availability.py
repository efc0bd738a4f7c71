"""Skip locally when a real server's binary is missing; fail in CI (tests/ci.py)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence

import pytest

from tests.ci import in_ci


def require_binary(name: str, search_dirs: Sequence[str] = ()) -> str:
    """The binary's path: PATH, then /usr/sbin and /usr/bin, then `search_dirs` (for
    packages that keep their binaries off PATH, like Debian's PostgreSQL)."""
    path = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}",
                     *(os.path.join(d, name) for d in search_dirs))
         if os.path.exists(p)), None)
    if path:
        return path
    message = f"{name} is not installed (apt: see .ci/system-packages.sh)"
    if in_ci():
        pytest.fail(message + " and this is a CI run: a real-server test may not skip in CI")
    pytest.skip(message)
