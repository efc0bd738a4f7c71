"""Where RR Desktop keeps its data: platformdirs, overridable by --data-dir or
RR_DESKTOP_DATA_DIR."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_DATA_DIR = "RR_DESKTOP_DATA_DIR"
DB_NAME = "cache.sqlite3"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir("rr-desktop", appauthor=False))


def db_path(directory: Path) -> Path:
    return directory / DB_NAME
