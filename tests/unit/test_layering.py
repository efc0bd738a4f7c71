"""Walls between the core packages (docs/architecture.md, "The walls"), read from the
import statements themselves (ast), wherever they are: module level, inside functions,
under TYPE_CHECKING, absolute or relative.

- The store imports nothing from the channels, and the channels nothing from the store:
  the records they exchange (`Incoming`, `Quarantined`) live in the domain, and what
  needs both (channel setup, the workspace, the sync engine) lives outside both.
- The domain imports no other part of the app.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import rr_desktop

ROOT = Path(rr_desktop.__file__).parent
WALLS = {
    "rr_desktop.store": ("rr_desktop.channels",),
    "rr_desktop.channels": ("rr_desktop.store",),
    "rr_desktop.domain": ("rr_desktop.channels", "rr_desktop.store", "rr_desktop.sync",
                          "rr_desktop.gui", "rr_desktop.workspace",
                          "rr_desktop.channel_setup"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, module: str, is_package: bool) -> set[str]:
    """Every module name an import statement of `source` (the text of `module`) names,
    relative ones resolved; `from X import y` counts as X and X.y (y may be a module)."""
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


def crosses(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    folder = ROOT.parent.joinpath(*package.split("."))
    found = []
    for path in sorted(folder.rglob("*.py")):
        module = module_name(path)
        for name in sorted(imported(path.read_text(encoding="utf-8"), module,
                                    path.name == "__init__.py")):
            if crosses(name, forbidden):
                found.append(f"{path.relative_to(ROOT.parent)} imports {name}")
    return found


@pytest.mark.parametrize("package", sorted(WALLS))
def test_package_keeps_to_its_side_of_the_wall(package: str) -> None:
    folder = ROOT.parent.joinpath(*package.split("."))
    assert len(list(folder.rglob("*.py"))) > 5  # the walk really reads the package
    assert offenders(package, WALLS[package]) == []


@pytest.mark.parametrize(("module", "is_package", "source"), [
    ("rr_desktop.store.ingest", False, "from ..channels.contract import Page"),
    ("rr_desktop.store.ingest", False, "from .. import channels"),
    ("rr_desktop.store.ingest", False, "import rr_desktop.channels.rr_api"),
    ("rr_desktop.store", True, "from ..channels import registry"),
    ("rr_desktop.store.ingest", False,
     "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
     "    from rr_desktop.channels.contract import Page"),
    ("rr_desktop.store.ingest", False, "def f():\n    from ..channels import manual"),
])
def test_every_way_of_importing_across_the_wall_is_caught(module: str, is_package: bool,
                                                          source: str) -> None:
    assert any(crosses(n, WALLS["rr_desktop.store"])
               for n in imported(source, module, is_package))


def test_imports_on_the_right_side_are_not_flagged() -> None:
    names = imported("from ..domain import Incoming\nfrom . import channel_state\n"
                     "from .channelsx import y", "rr_desktop.store.ingest", False)
    assert not any(crosses(n, WALLS["rr_desktop.store"]) for n in names)
    assert "rr_desktop.store.channel_state" in names


def test_the_sync_engine_and_the_window_load_no_http_stack() -> None:
    """The engine only sets a run's deadline (run_deadline.py): importing it, or the
    window, must not load requests/urllib3, which the window's first paint would pay for
    (the channels load them when a workspace opens them)."""
    code = ("import sys, os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'; "
            "import rr_desktop.sync.engine, rr_desktop.gui.main_window; "
            "print(sorted(m for m in ('urllib3', 'requests', 'ssl') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
