"""Qt Designer forms: `ui/<name>.ui` compiled by pyside6-uic into `ui_<name>.py` here.

The build compiles them (setup.py `build_ui`: into the wheel; in place for an editable
install; packaging/build.sh for the bundle), so an installed app only imports them.

One fallback stays for the source checkout, where `ui/` sits beside the package: a form
newer than its module (edited in Designer, or new from a pull) is compiled again before it
is loaded. An editable install ran the build step once and never again, so without this
the app and the tests would quietly run the previous form. Installed copies have no
`ui/` and never compile anything. The generated modules are git-ignored.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

from ...locations import ui_dir
from .compiler import FormError, compile_form, is_stale

__all__ = ["FormError", "form_names", "load_form", "module_path", "stale_forms"]

FORMS_DIR = Path(__file__).resolve().parent


def form_names() -> list[str]:
    """Every form: the sources under ui/ in a checkout, else the compiled modules."""
    sources = ui_dir()
    if sources is not None:
        return sorted(p.stem for p in sources.glob("*.ui"))
    return sorted(m.name.removeprefix("ui_") for m in pkgutil.iter_modules(__path__)
                  if m.name.startswith("ui_"))


def module_path(name: str) -> Path:
    return FORMS_DIR / f"ui_{name}.py"


def stale_forms() -> list[str]:
    """Forms whose compiled module is missing or older than the .ui (checkout only)."""
    sources = ui_dir()
    if sources is None:
        return []
    return [n for n in form_names() if is_stale(sources / f"{n}.ui", module_path(n))]


def _import(name: str, fresh: bool) -> ModuleType:
    qualified = f"{__name__}.ui_{name}"
    if fresh:
        importlib.invalidate_caches()
        if qualified in sys.modules:
            return importlib.reload(sys.modules[qualified])
    return importlib.import_module(qualified)


def load_form(name: str) -> type:
    """The `Ui_*` class of form `name`.

    Use: `ui = load_form("about")(); ui.setupUi(dialog)`.
    """
    fresh = False
    sources = ui_dir()
    if sources is not None and is_stale(sources / f"{name}.ui", module_path(name)):
        compile_form(sources / f"{name}.ui", module_path(name))
        fresh = True
    try:
        module = _import(name, fresh)
    except ModuleNotFoundError as exc:
        where = "ui/ of this checkout" if sources is not None else "the installed package"
        raise FormError(f"form {name!r} is not in {where}") from exc
    classes = [v for k, v in vars(module).items() if k.startswith("Ui_") and isinstance(v, type)]
    if len(classes) != 1:
        raise FormError(f"{module.__file__} defines {len(classes)} Ui_ classes, expected 1")
    return classes[0]
