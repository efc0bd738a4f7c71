"""Every script the markets write in and every symbol the app draws shows as a glyph,
never as a box (docs/fonts.md).

Qt draws a character with the widget's font or, when that font lacks it, with the first
font the system offers for its script (fontconfig on Linux); when no font has it, a box.
On Linux the system's fonts come from the README's first command (`.ci/system-packages.sh`
installs Noto). The PyInstaller bundle, which must also run on a machine without them,
carries a set in `rr_desktop/resources/fonts/` (packaging/bundled_fonts.py) that
`register_bundled_fonts` hands to Qt at start-up; a wheel or a checkout has no such folder
and draws with the system's fonts alone.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QTextLayout

from ..locations import resource_path

log = logging.getLogger("rr_desktop.gui")

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")

# A title as an escalation from each market's languages would carry it (the demo's and
# the docs' markets: India, Bangladesh, Sri Lanka, Nepal, Thailand, Cambodia, Myanmar,
# Korea, Japan, China/Singapore/Malaysia, Taiwan/Hong Kong, Pakistan, Vietnam).
SCRIPT_SAMPLES: dict[str, str] = {
    "Thai": "ไลฟ์สดเหตุกราดยิงในห้างสรรพสินค้า กรุงเทพฯ",
    "Devanagari": "मुंबई में बाढ़ की चेतावनी के बाद फ़र्ज़ी निकासी आदेश",
    "Bengali": "ঢাকায় ভুয়া উদ্ধার নির্দেশ ছড়িয়ে পড়ছে",
    "Khmer": "ការក្លែងបន្លំគណនីធនាគារ នៅភ្នំពេញ",
    "Myanmar": "ရန်ကုန်မြို့တွင် သတင်းအတု ပျံ့နှံ့နေသည်",
    "Sinhala": "කොළඹ ව්‍යාජ පුවත් පැතිරීම",
    "Tamil": "சென்னையில் போலி வெள்ள எச்சரிக்கை",
    "Telugu": "హైదరాబాద్‌లో నకిలీ వరద హెచ్చరిక",
    "Korean": "서울 선거 관리 공무원 신상 공개",
    "Japanese": "大阪のショッピングセンター襲撃のライブ配信",
    "Chinese (simplified)": "上海疫苗虚假信息视频播放量超过200万",
    "Chinese (traditional)": "臺北疫苗假訊息影片觀看次數超過200萬",
    "Urdu": "کراچی میں سیلاب کی جعلی وارننگ",
    "Vietnamese": "Tin giả về lệnh sơ tán ở Hà Nội",
}

# What the app writes itself beyond ASCII: the table's SLA and priority marks
# (triage/columns.py), separators and quotes, the one-line marker of a folded line break
# (text.py), the timeline's arrow, the section sign of quarantine reasons citing an RFC,
# the replacement character for undecodable bytes, the Matrix channel's default reaction
# keys. A test keeps this in step with the string literals of the package.
APP_SYMBOLS = "⚠ ✖ ⏸ ✓ ▲ — · … “ ” • → ⏎ § \ufffd 🔴 🟠 🟡 🟢"

_RUN_FLAGS = (QTextLayout.GlyphRunRetrievalFlag.RetrieveGlyphIndexes
              | QTextLayout.GlyphRunRetrievalFlag.RetrieveStringIndexes)


def bundled_fonts_dir() -> Path:
    """Where the bundle keeps the fonts it carries (absent from a wheel and a checkout)."""
    return resource_path("fonts")


def register_bundled_fonts(directory: Path | None = None) -> list[str]:
    """Hand every font file in `directory` (default: the bundle's) to Qt, which then
    draws with them wherever the system's fonts lack a glyph. Returns the families
    registered; a missing folder registers nothing, a file Qt cannot read is logged."""
    folder = bundled_fonts_dir() if directory is None else directory
    if not folder.is_dir():
        return []
    families: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in FONT_SUFFIXES:
            continue
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id < 0:
            log.warning("font %s could not be read; text it covers may show as boxes", path)
            continue
        families.extend(QFontDatabase.applicationFontFamilies(font_id))
    return list(dict.fromkeys(families))


def boxed_characters(text: str, font: QFont) -> str:
    """The characters of `text` that Qt draws as a box with `font` and its fallbacks,
    each once, in the order of the text: those a font maps to its missing-glyph box
    (.notdef, glyph 0), and those of a run drawn by Qt's box engine because no font at all
    has the script (that engine has no character map)."""
    layout = QTextLayout(text, font)
    layout.beginLayout()
    layout.createLine()  # one line, as wide as the text needs
    layout.endLayout()
    # Qt counts in UTF-16 code units; map them back to the characters of `text`.
    unit_to_char: list[int] = []
    for i, ch in enumerate(text):
        unit_to_char.extend([i] * (2 if ord(ch) > 0xFFFF else 1))
    boxed: set[int] = set()
    for run in layout.glyphRuns(0, len(unit_to_char), _RUN_FLAGS):
        no_font = not run.rawFont().fontTable("cmap")
        for glyph, unit in zip(run.glyphIndexes(), run.stringIndexes(), strict=False):
            if (no_font or glyph == 0) and not text[unit_to_char[unit]].isspace():
                boxed.add(unit_to_char[unit])
    return "".join(dict.fromkeys(text[i] for i in sorted(boxed)))


def missing_glyphs(font: QFont) -> dict[str, str]:
    """Per script sample (and "symbols" for APP_SYMBOLS), the characters drawn as boxes
    with `font` in its regular and bold weights; empty when everything renders."""
    bold = QFont(font)
    bold.setBold(True)
    samples = {**SCRIPT_SAMPLES, "symbols": APP_SYMBOLS}
    found: dict[str, str] = {}
    for name, text in samples.items():
        chars = "".join(dict.fromkeys(boxed_characters(text, font) + boxed_characters(text, bold)))
        if chars:
            found[name] = chars
    return found


def describe_missing(missing: dict[str, str]) -> str:
    """One line naming what shows as boxes: 'Thai (ไลฟ...), symbols (⏸)'."""
    return ", ".join(f"{name} ({chars[:12]})" for name, chars in missing.items())
