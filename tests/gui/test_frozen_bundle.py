"""The PyInstaller bundle starts, migrates a fresh cache, syncs the demo channel and shows
rows (STYLE habit 13), and draws every market's script with the fonts it carries on a
machine without them. Builds with packaging/build.sh unless a fresh build exists."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE_DIR = ROOT / "build" / "dist" / "rr-desktop"
EXE = BUNDLE_DIR / ("rr-desktop.exe" if sys.platform == "win32" else "rr-desktop")
SOURCES = ("rr_desktop", "ui", "resources", "packaging")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def newest_source() -> float:
    newest = 0.0
    for top in SOURCES:
        for path in (ROOT / top).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


@pytest.fixture(scope="module")
def bundle() -> Path:
    if not EXE.is_file() or EXE.stat().st_mtime < newest_source():
        proc = subprocess.run(["bash", str(ROOT / "packaging" / "build.sh")], cwd=ROOT,
                              capture_output=True, text=True, timeout=900,
                              env={**os.environ, "PYTHON": sys.executable}, check=False)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert EXE.is_file()
    return EXE


def test_bundle_smoke(bundle: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RR_DESKTOP_")}
    env.update(RR_DESKTOP_SMOKE="1", QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([str(bundle), "--data-dir", str(data)], env=env,
                          capture_output=True, text=True, timeout=90, check=False)
    assert "SMOKE OK" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode == 0
    assert "no theme" not in proc.stderr and "FormError" not in proc.stderr, proc.stderr
    rows = int(proc.stdout.split("SMOKE OK rows=")[1].split()[0])
    assert rows > 0
    db = data / "cache.sqlite3"
    assert db.is_file() and (db.stat().st_mode & 0o777) == 0o600


def test_bundle_holds_resources_where_a_wheel_does(bundle: Path) -> None:
    """resources/ is package data at rr_desktop/resources, as in a wheel (setup.py); the
    Designer sources are not shipped (the spec refuses to build without compiled forms)."""
    internal = BUNDLE_DIR / "_internal"
    resources = ROOT / "resources"
    for source in (p for p in resources.rglob("*") if p.is_file()):
        assert (internal / "rr_desktop" / "resources" / source.relative_to(resources)).is_file()
    assert not (internal / "resources").exists() and not (internal / "ui").exists()


def test_bundle_leaves_out_unused_qt(bundle: Path) -> None:
    internal = BUNDLE_DIR / "_internal" / "PySide6"
    names = {p.name.split(".")[0] for p in internal.glob("Qt*.so")} | {
        p.name.split(".")[0] for p in internal.glob("Qt*.pyd")}
    assert {"QtCore", "QtGui", "QtWidgets"} <= names
    assert not names & {"QtWebEngineCore", "QtQml", "QtQuick", "QtNetwork", "QtMultimedia",
                        "Qt3DCore", "QtSql", "QtTest"}


def test_bundle_renders_every_script_on_a_machine_without_fonts(bundle: Path,
                                                                 tmp_path: Path) -> None:
    """A Linux desktop without Noto (here: fontconfig knows no font at all): the bundle's
    own fonts, registered at start-up, draw every market's script and the app's symbols
    (the smoke check fails on any box, docs/packaging.md "Fonts")."""
    conf = tmp_path / "no-fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f"<cachedir>{tmp_path / 'fc-cache'}</cachedir>"
                    '<include ignore_missing="yes">/etc/fonts/conf.d</include></fontconfig>',
                    encoding="utf-8")
    listed = subprocess.run(["fc-list"], env={**os.environ, "FONTCONFIG_FILE": str(conf)},
                            capture_output=True, text=True, timeout=60, check=False)
    assert listed.returncode == 0 and listed.stdout.strip() == ""  # truly no system font
    env = {k: v for k, v in os.environ.items() if not k.startswith("RR_DESKTOP_")}
    env.update(RR_DESKTOP_SMOKE="1", QT_QPA_PLATFORM="offscreen", FONTCONFIG_FILE=str(conf))
    proc = subprocess.run([str(bundle), "--data-dir", str(tmp_path / "data")], env=env,
                          capture_output=True, text=True, timeout=90, check=False)
    assert "SMOKE OK" in proc.stdout, proc.stdout + proc.stderr[-3000:]
    assert proc.returncode == 0


def test_bundle_carries_its_fonts_and_their_license(bundle: Path) -> None:
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import bundled_fonts
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    fonts = BUNDLE_DIR / "_internal" / "rr_desktop" / "resources" / "fonts"
    assert sorted(p.name for p in fonts.iterdir()) == sorted(
        [*bundled_fonts.FILES, bundled_fonts.LICENSE.name])
    assert "SIL OPEN FONT LICENSE Version 1.1" in (fonts / "fonts-OFL.txt").read_text(
        encoding="utf-8")


def test_bundle_without_a_display_says_so_in_one_sentence(bundle: Path, tmp_path: Path) -> None:
    """The display check finds the bundle's own Qt plugin (PySide6 inside _internal) and
    answers before Qt could abort."""
    drop = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE")
    env = {k: v for k, v in os.environ.items()
           if k not in drop and not k.startswith("RR_DESKTOP_")}
    proc = subprocess.run([str(bundle), "--data-dir", str(tmp_path / "data")], env=env,
                          capture_output=True, text=True, timeout=90, check=False)
    assert proc.returncode == 1
    assert proc.stderr == ("rr-desktop: error: the window cannot open: there is no display "
                           "(DISPLAY and WAYLAND_DISPLAY are not set); for headless use, "
                           "run `rr-desktop sync`\n")
    assert not (tmp_path / "data").exists()
    verbose = subprocess.run([str(bundle), "-v", "--data-dir", str(tmp_path / "data")],
                             env=env, capture_output=True, text=True, timeout=90, check=False)
    plugin = BUNDLE_DIR / "_internal" / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    assert f"display check: {plugin} loads" in verbose.stderr, verbose.stderr
