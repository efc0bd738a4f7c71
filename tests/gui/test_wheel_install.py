"""A wheel built from a clean checkout carries what the app loads (issue 15): the forms
compiled at build time and resources/ as package data. The committed HEAD is cloned (no
generated forms, no build/ of this tree), built into a wheel (isolated PEP 517 build, as
`pip install .` does), installed into a fresh venv, and tests/gui/installed_app_check.py
is run with that venv's python: the window offscreen, themed, and every dialog built from
a Designer form opened. Uncommitted changes are not in the clone: commit first."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECK_SCRIPT = Path(__file__).with_name("installed_app_check.py")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def run(cmd: list[str | Path], timeout: float, cwd: Path | None = None,
        env: dict[str, str] | None = None) -> str:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def clean_env() -> dict[str, str]:
    """No PYTHONPATH into this tree, no RR_DESKTOP_* of the developer's."""
    return {k: v for k, v in os.environ.items()
            if k != "PYTHONPATH" and not k.startswith("RR_DESKTOP_")}


class Installed:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.checkout = base / "checkout"
        self.venv = base / "venv"
        self.python = self.venv / "bin" / "python"
        self.wheel = base / "wheel"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    inst = Installed(tmp_path_factory.mktemp("wheel-install"))
    head = run(["git", "-C", ROOT, "rev-parse", "HEAD"], 30).strip()
    run(["git", "clone", "--quiet", "--no-checkout", ROOT, inst.checkout], 120)
    run(["git", "-C", inst.checkout, "checkout", "--quiet", "--detach", head], 120)
    assert not list((inst.checkout / "rr_desktop/gui/forms").glob("ui_*.py"))
    # Speed: a venv without pip of its own (this pip installs into it with --python,
    # ~5 s less), packages from the pip cache, no byte-compiling at install (~7 s less).
    run([sys.executable, "-m", "venv", "--without-pip", inst.venv], 120)
    pip = [sys.executable, "-m", "pip", "--python", inst.python]
    env = clean_env()
    # The wheel first (to read what it holds; PySide6 comes into the isolated build
    # environment for pyside6-uic), then the wheel and its dependencies.
    run([*pip, "wheel", "--quiet", "--no-deps", "-w", inst.wheel, inst.checkout], 600,
        env=env)
    run([*pip, "install", "--quiet", "--no-compile", *inst.wheel.glob("*.whl")], 600,
        env=env)
    return inst


def test_the_wheel_holds_compiled_forms_and_resources(installed: Installed) -> None:
    (wheel,) = installed.wheel.glob("rr_desktop-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    forms = sorted(p.stem for p in (installed.checkout / "ui").glob("*.ui"))
    assert forms
    assert {f"rr_desktop/gui/forms/ui_{f}.py" for f in forms} <= names
    resources = installed.checkout / "resources"
    expected = {f"rr_desktop/resources/{p.relative_to(resources).as_posix()}"
                for p in resources.rglob("*") if p.is_file()}
    assert {"rr_desktop/resources/theme.qss", "rr_desktop/resources/rr-desktop.desktop",
            "rr_desktop/resources/icons/rr-desktop.svg",
            "rr_desktop/resources/channels/example-rest.json",
            "rr_desktop/resources/templates/sitreps/team.md",
            "rr_desktop/resources/templates/replies/ja/regulator/acknowledge.md",
            "rr_desktop/resources/playbooks/violent-event.yaml",
            "rr_desktop/resources/playbooks/overlays/au.yaml",
            "rr_desktop/resources/stakeholders/functions.yaml"} <= expected <= names
    assert not [n for n in names if n.startswith(("ui/", "resources/")) or n.endswith(".ui")]


def test_the_installed_window_is_themed_and_opens_every_dialog(installed: Installed) -> None:
    data = installed.base / "data"
    env = {**clean_env(), "QT_QPA_PLATFORM": "offscreen"}
    # -I: the script's folder (in this tree) is not put on sys.path; cwd is outside it.
    out = run([installed.python, "-I", CHECK_SCRIPT, data], 180, cwd=installed.base, env=env)
    report: dict[str, Any] = json.loads(out.strip().splitlines()[-1])

    site = Path(report["prefix"]).resolve()
    assert site == installed.venv.resolve()
    assert Path(report["package_file"]).resolve().is_relative_to(site)
    assert report["source_checkout"] == "None"
    assert Path(report["resources_dir"]).resolve().is_relative_to(site)
    forms = sorted(p.stem for p in (installed.checkout / "ui").glob("*.ui"))
    assert report["forms"] == forms
    assert report["playbook_problems"] == []
    assert len(report["playbooks"]) == len(list((installed.checkout / "resources" /
                                                 "playbooks").glob("*.yaml")))
    assert {"AU", "IN", "ID", "JP", "KR", "PH", "SG"} <= set(report["overlays"])
    assert report["stakeholders"] > 0

    assert "theme_error" not in report, report["theme_error"]
    assert report["stylesheet_is_theme"] and report["theme_chars"] > 0
    assert report["icon"]
    qss = (installed.checkout / "resources" / "theme.qss").read_text(encoding="utf-8")
    themed = re.search(r"QMainWindow, QDialog\s*\{\s*background:\s*(#[0-9a-fA-F]{6})", qss)
    assert themed, "theme.qss no longer sets QMainWindow, QDialog { background }"
    colour = themed.group(1).lower()
    assert report["unthemed_background"] != colour  # the check below can tell them apart
    assert report["window_background"] == colour

    dialogs = report["dialogs"]
    failed = [d for d in dialogs if "error" in d or not d.get("visible")]
    assert not failed, failed
    assert all(d["background"] == colour for d in dialogs), dialogs
    used = {d["form_module"].removeprefix("rr_desktop.gui.forms.ui_") for d in dialogs}
    assert used == set(forms), f"forms no dialog opened: {set(forms) - used}"
    assert report["compiled_at_run_time"] == []
    assert report["qt_warnings"] == []
    assert report["log_warnings"] == []
