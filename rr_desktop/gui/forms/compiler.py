"""pyside6-uic for the Designer forms: `ui/<name>.ui` -> `ui_<name>.py`.

The one compiler of the project's forms. The build runs it (setup.py's `build_ui` step,
for wheels, sdists and editable installs; packaging/build.sh before PyInstaller), and
`load_form` runs it in a source checkout when a form is newer than its module.

Standard library only and no package-relative imports: setup.py loads this file by its
path while nothing of RR Desktop is installed yet.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_UIC_SHIM = ("import sys; from PySide6.scripts.pyside_tool import uic; "
             "sys.argv[0] = 'pyside6-uic'; sys.exit(uic())")


class FormError(RuntimeError):
    """A form could not be found or compiled."""


def module_name(source: Path) -> str:
    """`ui/about.ui` -> `ui_about.py`."""
    return f"ui_{source.stem}.py"


def sources(ui_dir: Path) -> list[Path]:
    return sorted(ui_dir.glob("*.ui"))


def uic_command() -> list[str]:
    """pyside6-uic of this interpreter's PySide6, never another one found on PATH:
    generated code must match the PySide6 it runs on. In an isolated PEP 517 build the
    interpreter is the caller's and PySide6 comes from the build environment (PYTHONPATH),
    so the module shim is the way that always finds the right one."""
    bin_dir = Path(sys.executable).parent
    for exe in ("pyside6-uic", "pyside6-uic.exe"):
        if (bin_dir / exe).is_file():
            return [str(bin_dir / exe)]
    return [sys.executable, "-c", _UIC_SHIM]


def is_stale(source: Path, out: Path) -> bool:
    """The module is missing or older than its form (a missing form is never stale)."""
    if not source.is_file():
        return False
    return not out.is_file() or out.stat().st_mtime < source.stat().st_mtime


def compile_form(source: Path, out: Path) -> Path:
    """Generate `out` from `source` atomically (a temp file, then a rename), so a reader
    never imports half a module."""
    if not source.is_file():
        raise FormError(f"no form {source}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp")
    proc = subprocess.run([*uic_command(), str(source), "-o", str(tmp)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise FormError(f"pyside6-uic failed on {source}: {proc.stderr.strip()}")
    os.replace(tmp, out)
    return out


def compile_forms(ui_dir: Path, out_dir: Path, only_stale: bool = False) -> list[Path]:
    """Compile every form of `ui_dir` into `out_dir`; returns the modules written."""
    found = sources(ui_dir)
    if not found:
        raise FormError(f"no forms under {ui_dir}")
    written = []
    for source in found:
        out = out_dir / module_name(source)
        if not only_stale or is_stale(source, out):
            written.append(compile_form(source, out))
    return written
