"""Qt Designer forms: `ui/<name>.ui` compiled by pyside6-uic into `ui_<name>.py` here.

The generated modules are git-ignored (ARCHITECTURE.md). In a checkout `load_form`
compiles a form on first use, and again whenever the .ui is newer than its module; the
build (packaging/compile_forms.py) generates them all so a PyInstaller bundle, which has
no uic, imports the pre-generated modules.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from ..locations import is_frozen, ui_dir

FORMS_DIR = Path(__file__).resolve().parent
_UIC_SHIM = ("import sys; from PySide6.scripts.pyside_tool import uic; "
             "sys.argv[0] = 'pyside6-uic'; sys.exit(uic())")


class FormError(RuntimeError):
    """A form could not be found or compiled."""


def form_names() -> list[str]:
    """Every form under ui/ (or, in a bundle, every pre-generated module)."""
    if ui_dir().is_dir():
        return sorted(p.stem for p in ui_dir().glob("*.ui"))
    return sorted(p.stem.removeprefix("ui_") for p in FORMS_DIR.glob("ui_*.py"))


def module_path(name: str) -> Path:
    return FORMS_DIR / f"ui_{name}.py"


def uic_command() -> list[str]:
    """pyside6-uic from the same environment as this interpreter (never another PySide6
    found on PATH: generated code must match the runtime)."""
    bin_dir = Path(sys.executable).parent
    for exe in ("pyside6-uic", "pyside6-uic.exe"):
        if (bin_dir / exe).is_file():
            return [str(bin_dir / exe)]
    return [sys.executable, "-c", _UIC_SHIM]


def compile_form(name: str) -> Path:
    """Generate ui_<name>.py from ui/<name>.ui (atomically: temp file + rename)."""
    source = ui_dir() / f"{name}.ui"
    if not source.is_file():
        raise FormError(f"no form {source}")
    out = module_path(name)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp")
    proc = subprocess.run([*uic_command(), str(source), "-o", str(tmp)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise FormError(f"pyside6-uic failed on {source}: {proc.stderr.strip()}")
    os.replace(tmp, out)
    return out


def is_stale(name: str) -> bool:
    source, out = ui_dir() / f"{name}.ui", module_path(name)
    if not source.is_file():
        return False
    return not out.is_file() or out.stat().st_mtime < source.stat().st_mtime


def _import(name: str, fresh: bool) -> ModuleType:
    qualified = f"{__name__}.ui_{name}"
    if fresh:
        importlib.invalidate_caches()
        if qualified in sys.modules:
            return importlib.reload(sys.modules[qualified])
    return importlib.import_module(qualified)


def load_form(name: str) -> type:
    """The `Ui_*` class of form `name`, compiling it first if needed.

    Use: `ui = load_form("about")(); ui.setupUi(dialog)`.
    """
    fresh = False
    if not is_frozen() and is_stale(name):
        compile_form(name)
        fresh = True
    try:
        module = _import(name, fresh)
    except ModuleNotFoundError as exc:
        raise FormError(f"form {name!r} is neither in {ui_dir()} nor pre-generated") from exc
    classes = [v for k, v in vars(module).items() if k.startswith("Ui_") and isinstance(v, type)]
    if len(classes) != 1:
        raise FormError(f"{module.__file__} defines {len(classes)} Ui_ classes, expected 1")
    return classes[0]
