"""Where the non-Python parts of the app live.

Installed (a wheel, or the PyInstaller bundle, which collects them to the same place) they
are package data: `rr_desktop/resources/` (theme, icons, the .desktop file, the channel
examples), copied there by the build, and the forms compiled into
`rr_desktop/gui/forms/ui_*.py`; `importlib.resources` finds both. In the source checkout
(an editable install, the tests) the repository keeps them at the top: `resources/` and
the Designer sources in `ui/` (docs/packaging.md).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

_PACKAGE = "rr_desktop"
_CHECKOUT_ROOT = Path(__file__).resolve().parents[1]


@cache
def source_checkout() -> Path | None:
    """The repository root when the app runs from its source tree, else None (a wheel in
    site-packages or a bundle has no pyproject.toml, ui/ and resources/ beside it)."""
    root = _CHECKOUT_ROOT
    markers = (root / "pyproject.toml", root / "ui", root / "resources")
    return root if all(m.exists() for m in markers) else None


def resources_dir() -> Path:
    """`rr_desktop/resources` as installed; the repository's `resources/` in a checkout
    (the build copies that folder into the package; an editable install reads it where
    it is, so an edited theme shows on the next start)."""
    packaged = files(_PACKAGE).joinpath("resources")
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    checkout = source_checkout()
    if checkout is not None:
        return checkout / "resources"
    return Path(str(packaged))  # missing: callers name this path in their message


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def ui_dir() -> Path | None:
    """The Designer sources (`ui/`), present only in a checkout."""
    checkout = source_checkout()
    return None if checkout is None else checkout / "ui"
