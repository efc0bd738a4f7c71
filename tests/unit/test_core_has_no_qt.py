"""Wall 1: nothing outside rr_desktop/gui imports PySide6; core never imports the GUI."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import rr_desktop

ROOT = Path(rr_desktop.__file__).parent


def _core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages([str(ROOT)], prefix="rr_desktop."):
        if info.name.startswith("rr_desktop.gui") or ".migrations" in info.name:
            continue
        if info.name == "rr_desktop.__main__":
            continue
        names.append(info.name)
    return names


def test_core_modules_import_without_pyside6() -> None:
    modules = _core_modules()
    assert "rr_desktop.sync.engine" in modules and "rr_desktop.cli" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', "
        "'rr_desktop.gui')))\n"
        "print('LOADED', bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_pyside6_import_statement_outside_gui() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        if "gui" in path.relative_to(ROOT).parts[:1]:
            continue
        text = path.read_text(encoding="utf-8")
        if "import PySide6" in text or "from PySide6" in text:
            offenders.append(str(path))
    assert offenders == []
