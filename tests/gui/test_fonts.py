"""Every market's script and every glyph the app writes renders as a glyph, never a box:
with the system's fonts (what `.ci/system-packages.sh`, the README's first command,
installs), and with only the fonts the Linux bundle carries on a machine that has none.

A box is what Qt draws when no font has a character: the font's .notdef (glyph 0) or Qt's
box engine. `rr_desktop.gui.fonts.boxed_characters` finds both in the glyph runs Qt lays
out, which are exactly what it paints. These tests fail, never skip, when fonts are
missing: CI installs them with the system packages.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from PySide6.QtGui import QFont
from pytestqt.qtbot import QtBot

import rr_desktop
from rr_desktop.domain import Severity, Urgency
from rr_desktop.gui import fonts
from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.triage.columns import Column

from .conftest import FakeWorkspace
from .seed import NOW, add, escalation

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(rr_desktop.__file__).parent
INSTALL = "install the fonts with `bash .ci/system-packages.sh` (docs/fonts.md)"
# Modules whose non-ASCII literals are data the app parses, never text it draws itself:
# country names to match in feeds, charset test vectors, grapheme cluster rules.
DATA_MODULES = {"channels/feeds/countries.py", "channels/email/charsets.py",
                "domain/long_text.py", "gui/fonts.py", "demo/vocab.py"}
# Titles in the four languages the screenshot shows (and the test reads back).
TITLES = {
    "Thai": "ไลฟ์สดเหตุกราดยิงในห้างสรรพสินค้า กรุงเทพฯ",
    "Hindi": "मुंबई में बाढ़ की चेतावनी के बाद फ़र्ज़ी निकासी आदेश",
    "Korean": "서울 선거 관리 공무원 신상 공개",
    "Japanese": "大阪のショッピングセンター襲撃のライブ配信",
}


def _drawn(ch: str) -> bool:
    """A character that draws a glyph of its own (not a control, format mark, separator
    or a combining mark, which draws on the character before it)."""
    return ord(ch) > 127 and unicodedata.category(ch)[0] not in "CZM"


def _literal_glyphs(files: list[Path]) -> dict[str, str]:
    """Every drawn non-ASCII character in the string literals of `files` (docstrings
    left out: nothing draws them), with one file it comes from."""
    found: dict[str, str] = {}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                                    | ast.AsyncFunctionDef)
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and id(node) not in docstrings:
                for ch in node.value:
                    if _drawn(ch):
                        found.setdefault(ch, str(path.relative_to(PACKAGE)))
    return found


def _package_files(*, skip_data: bool) -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py"))
            if "forms" not in p.parts and "migrations" not in p.parts
            and not (skip_data and p.relative_to(PACKAGE).as_posix() in DATA_MODULES)]


def test_every_script_and_symbol_renders_in_the_table_and_detail_fonts(
        window: MainWindow) -> None:
    for widget in (window.table, window.detail.title, window.detail.text):
        missing = fonts.missing_glyphs(widget.font())
        assert missing == {}, (f"{type(widget).__name__} draws boxes for "
                               f"{fonts.describe_missing(missing)}: {INSTALL}")


def test_every_glyph_in_the_packages_strings_renders(window: MainWindow) -> None:
    """New symbols in the code (a status mark, an arrow) are covered without editing the
    test; data modules count too, their text may reach the screen."""
    glyphs = _literal_glyphs(_package_files(skip_data=False))
    assert "\u23f8" in glyphs and "\u26a0" in glyphs  # the scan sees escapes too
    # One at a time: in a mixed line Qt gives a symbol the script of its neighbours.
    font = window.table.font()
    boxed = {ch: where for ch, where in glyphs.items() if fonts.boxed_characters(ch, font)}
    assert boxed == {}, f"{len(boxed)} boxed, e.g. {dict(list(boxed.items())[:12])}: {INSTALL}"


def test_app_symbols_lists_what_the_app_writes() -> None:
    """The bundle's smoke check renders APP_SYMBOLS: every glyph the code writes is in it."""
    written = _literal_glyphs(_package_files(skip_data=True))
    listed = set(fonts.APP_SYMBOLS) - {" "}
    assert set(written) <= listed, {ch: f for ch, f in written.items() if ch not in listed}
    assert listed <= set(written), listed - set(written)  # nothing listed that is unused


def test_boxes_are_found_when_fonts_lack_a_script(tmp_path: Path) -> None:
    """With only DejaVu (what the app had before the Noto packages), the check names the
    scripts and symbols that showed as boxes: the check can fail."""
    dejavu = [d for d in (Path("/usr/share/fonts/truetype/dejavu"),) if d.is_dir()]
    assert dejavu, "fonts-dejavu-core is not installed: " + INSTALL
    out = _fonts_child(tmp_path, dirs=dejavu, register=None)
    assert "BOXED Thai:" in out and "BOXED Japanese:" in out and "BOXED Sinhala:" in out
    assert "BOXED symbols: \u23f8" in out  # DejaVu has no pause sign
    assert "BOXED Vietnamese" not in out  # DejaVu has Latin with stacked marks


def test_the_bundles_fonts_cover_everything_on_a_machine_without_fonts(
        tmp_path: Path) -> None:
    """The files packaging/bundled_fonts.py puts in the bundle, registered the way the
    bundle registers them, with no font known to fontconfig at all."""
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import bundled_fonts
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    try:
        files = bundled_fonts.font_files()
    except SystemExit as exc:
        pytest.fail(str(exc))
    folder = tmp_path / "fonts"
    folder.mkdir()
    for path in files:
        (folder / path.name).symlink_to(path)
    (folder / "fonts-OFL.txt").symlink_to(bundled_fonts.LICENSE)  # skipped: not a font
    bare = _fonts_child(tmp_path, dirs=[], register=None)
    assert "BOXED Thai:" in bare and "BOXED Korean:" in bare  # truly no fonts
    out = _fonts_child(tmp_path, dirs=[], register=folder)
    assert "REGISTERED" in out and "Noto Sans CJK JP" in out and "Noto Color Emoji" in out
    assert "BOXED" not in out, out
    assert "ALL RENDER" in out


def test_no_bundled_folder_registers_nothing(tmp_path: Path) -> None:
    """A wheel or a checkout has no resources/fonts: start-up registers nothing."""
    assert not fonts.bundled_fonts_dir().exists()
    assert fonts.register_bundled_fonts() == []
    assert fonts.register_bundled_fonts(tmp_path / "absent") == []


def test_boxed_characters_maps_glyphs_back_to_characters() -> None:
    """Characters outside the BMP take two UTF-16 units in Qt's glyph runs; the report
    names the character itself, in text order."""
    font = QFont()
    assert fonts.boxed_characters("a\U0001F534b\u23f8", font) == ""
    # A private-use character no font has, after an astral one.
    assert fonts.boxed_characters("\U0001F534 x\ue000y", font) == "\ue000"


def test_screenshot_with_thai_hindi_korean_and_japanese_titles(
        qtbot: QtBot, workspace: FakeWorkspace, tmp_path: Path) -> None:
    add(workspace.store, [
        escalation(950 + n, title=title, severity=Severity.S0, urgency=Urgency.U0,
                   created_at=NOW, updated_at=NOW, language=lang)
        for n, (title, lang) in enumerate(zip(TITLES.values(), ("th", "hi", "ko", "ja"),
                                              strict=True))])
    win = MainWindow(workspace, sync_interval_s=None)
    qtbot.addWidget(win)
    win.resize(1280, 640)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.model.rowCount() > 4)
    shown = {win.model.index(row, Column.TITLE).data() for row in range(win.model.rowCount())}
    assert set(TITLES.values()) <= shown
    for name, title in TITLES.items():
        assert fonts.boxed_characters(title, win.table.font()) == "", f"{name}: {INSTALL}"
    out = Path(os.environ.get("RR_DESKTOP_SCREENSHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    shot = out / "main-window-scripts.png"
    image = win.grab()
    assert image.save(str(shot))
    assert shot.stat().st_size > 10_000 and image.width() >= 1280
    # The detail pane of the Thai item: its title in the pane's larger, bold font.
    with workspace.store.read() as db:
        thai = db.execute("SELECT id FROM escalation WHERE title = ?",
                          (TITLES["Thai"],)).fetchone()[0]
    assert win.select_id(thai)
    qtbot.waitUntil(lambda: not win.detail.is_pending())
    assert win.detail.title.text() == TITLES["Thai"]
    assert fonts.boxed_characters(TITLES["Thai"], win.detail.title.font()) == ""
    assert win.grab().save(str(out / "detail-thai.png"))
    win.shutdown()


_CHILD = """
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
from rr_desktop.gui import fonts
if len(sys.argv) > 1:
    print("REGISTERED", fonts.register_bundled_fonts(Path(sys.argv[1])))
missing = fonts.missing_glyphs(app.font())
for name, chars in missing.items():
    print(f"BOXED {name}: {chars}")
print("ALL RENDER" if not missing else "SOME BOXED")
"""


def _fonts_child(tmp_path: Path, dirs: list[Path], register: Path | None) -> str:
    """Run the glyph check in a fresh process whose fontconfig knows only `dirs` (the
    system's rules and aliases still apply: a desktop without those fonts)."""
    conf = tmp_path / f"fonts-{len(dirs)}-{register is not None}.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        + "".join(f"<dir>{d}</dir>" for d in dirs)
        + f"<cachedir>{tmp_path / 'fc-cache'}</cachedir>"
        '<include ignore_missing="yes">/etc/fonts/conf.d</include></fontconfig>',
        encoding="utf-8")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "QT_QPA_PLATFORM": "offscreen"}
    args = [sys.executable, "-c", _CHILD] + ([str(register)] if register else [])
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env,
                          cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    return proc.stdout


def test_fc_list_agrees_that_each_script_has_a_system_font() -> None:
    """The same question asked of fontconfig directly (the system packages' job)."""
    fc_list = shutil.which("fc-list")
    assert fc_list, "fontconfig's fc-list is missing: " + INSTALL
    for lang in ("th", "hi", "bn", "km", "my", "si", "ko", "ja", "zh-cn", "zh-tw"):
        out = subprocess.run([fc_list, f":lang={lang}", "family"], capture_output=True,
                             text=True, timeout=30, check=False).stdout
        assert out.strip(), f"no font for lang={lang}: {INSTALL}"
