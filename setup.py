"""Build steps that pyproject.toml cannot declare (all metadata lives there).

Like Picard's setup.py, the build carries what the app loads at run time:
  build_ui         ui/*.ui -> rr_desktop/gui/forms/ui_*.py with pyside6-uic (PySide6 is
                   a build requirement); in place for an editable install;
  build_resources  resources/ -> rr_desktop/resources/ as package data, so
                   importlib.resources finds the theme, icons, .desktop file and channel
                   examples in an installed wheel. An editable install reads the
                   repository's resources/ directly (rr_desktop/locations.py).
Both run as sub-commands of `build`, hence of every wheel, sdist-to-wheel and editable
build. `python setup.py build_ui --inplace` compiles the forms into the checkout by hand.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

from setuptools import Command, setup
from setuptools.command.build import build

ROOT = Path(__file__).resolve().parent
FORMS_PACKAGE = Path("rr_desktop", "gui", "forms")
RESOURCES_PACKAGE = Path("rr_desktop", "resources")


def _compiler() -> ModuleType:
    """rr_desktop/gui/forms/compiler.py, loaded by path: nothing is installed yet."""
    path = ROOT / FORMS_PACKAGE / "compiler.py"
    spec = importlib.util.spec_from_file_location("_rr_desktop_forms_compiler", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class build_ui(Command):  # setuptools command classes are named like the command
    description = "compile the Qt Designer forms in ui/ with pyside6-uic"
    user_options = [("inplace", "i", "write into the source tree (only stale forms)")]
    boolean_options = ["inplace"]

    def initialize_options(self) -> None:
        self.build_lib: str | None = None
        self.inplace = False
        self.editable_mode = False  # set by setuptools for an editable install

    def finalize_options(self) -> None:
        self.set_undefined_options("build_py", ("build_lib", "build_lib"))

    def _in_place(self) -> bool:
        return bool(self.inplace or self.editable_mode)

    def _out_dir(self) -> Path:
        if self._in_place():
            return ROOT / FORMS_PACKAGE
        assert self.build_lib is not None
        return Path(self.build_lib) / FORMS_PACKAGE

    def run(self) -> None:
        compiler = _compiler()
        # A wheel always gets freshly generated modules (never a developer's leftovers
        # copied by build_py); in place only what is stale is compiled again.
        written = compiler.compile_forms(ROOT / "ui", self._out_dir(),
                                         only_stale=self._in_place())
        for path in written:
            self.announce(f"compiled {path}", level=2)

    def get_source_files(self) -> list[str]:
        return [str(p.relative_to(ROOT)) for p in sorted((ROOT / "ui").glob("*.ui"))]

    def get_outputs(self) -> list[str]:
        if self._in_place():
            return []
        compiler = _compiler()
        return [str(self._out_dir() / compiler.module_name(p))
                for p in compiler.sources(ROOT / "ui")]


class build_resources(Command):
    description = "copy resources/ into the package (rr_desktop/resources)"
    user_options: list[tuple[str, str | None, str]] = []

    def initialize_options(self) -> None:
        self.build_lib: str | None = None
        self.editable_mode = False

    def finalize_options(self) -> None:
        self.set_undefined_options("build_py", ("build_lib", "build_lib"))

    def _files(self) -> list[Path]:
        return sorted(p for p in (ROOT / "resources").rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts)

    def run(self) -> None:
        if self.editable_mode:
            return  # an editable install reads the checkout's resources/ in place
        assert self.build_lib is not None
        target = Path(self.build_lib) / RESOURCES_PACKAGE
        if target.exists():
            shutil.rmtree(target)  # nothing deleted upstream lingers in the wheel
        for source in self._files():
            out = target / source.relative_to(ROOT / "resources")
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, out)

    def get_source_files(self) -> list[str]:
        return [str(p.relative_to(ROOT)) for p in self._files()]

    def get_outputs(self) -> list[str]:
        if self.editable_mode:
            return []
        assert self.build_lib is not None
        target = Path(self.build_lib) / RESOURCES_PACKAGE
        return [str(target / p.relative_to(ROOT / "resources")) for p in self._files()]


class build_with_resources(build):
    # After build_py: its copy of the package is then completed, never overwritten.
    sub_commands = [*build.sub_commands, ("build_ui", None), ("build_resources", None)]


setup(cmdclass={"build": build_with_resources, "build_ui": build_ui,
                "build_resources": build_resources})
