"""Where the non-Python parts of the app live: `resources/` and `ui/` at the repository
root in a checkout, under `sys._MEIPASS` in a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def app_root() -> Path:
    """The directory that holds `resources/` and `ui/`."""
    if is_frozen():
        return Path(sys._MEIPASS)  # type: ignore[attr-defined]  # set by PyInstaller
    return Path(__file__).resolve().parents[2]


def resource_path(*parts: str) -> Path:
    return app_root().joinpath("resources", *parts)


def ui_dir() -> Path:
    return app_root() / "ui"
