"""The fonts the Linux bundle carries, found on the build machine (docs/packaging.md).

The bundle must show every market's script and the app's symbols on a Linux desktop that
lacks them (rr_desktop.gui.fonts registers these files at start-up). They are the Noto
files that `.ci/system-packages.sh` installs (Debian: fonts-noto-core, fonts-noto-cjk,
fonts-noto-color-emoji); Noto names its files the same on every distribution, so they
are looked up by name under the usual font folders. Windows and macOS ship fonts for all
these scripts with the system, and their bundles carry none.

    python packaging/bundled_fonts.py      lists the files and their total size
"""

from __future__ import annotations

import sys
from pathlib import Path

# Regular weights only: Qt emboldens a regular face for bold text when the family has no
# bold one, and the CJK and emoji files are most of the size.
FILES = (
    "NotoSans-Regular.ttf",          # Latin, Greek, Cyrillic, Vietnamese: the UI font
    "NotoSans-Bold.ttf",             # headings and the detail title
    "NotoSansSymbols-Regular.ttf",   # arrows and technical symbols
    "NotoSansSymbols2-Regular.ttf",  # the table's marks: ⚠ ✖ ⏸ ✓ ▲, ⏎
    "NotoSansThai-Regular.ttf",
    "NotoSansDevanagari-Regular.ttf",  # Hindi, Nepali, Marathi
    "NotoSansBengali-Regular.ttf",
    "NotoSansKhmer-Regular.ttf",
    "NotoSansMyanmar-Regular.ttf",
    "NotoSansSinhala-Regular.ttf",
    "NotoSansTamil-Regular.ttf",
    "NotoSansTelugu-Regular.ttf",
    "NotoSansArabic-Regular.ttf",    # Urdu (Pakistan)
    "NotoSansCJK-Regular.ttc",       # Japanese, Korean, Chinese simplified and traditional
    "NotoColorEmoji.ttf",            # emoji: content in reports, Matrix reaction keys
)
LICENSE = Path(__file__).with_name("fonts-OFL.txt")  # every file above is OFL-1.1
SEARCH = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
          Path.home() / ".local/share/fonts")
INSTALL_HINT = ("install them with `bash .ci/system-packages.sh` (Debian: fonts-noto-core "
                "fonts-noto-cjk fonts-noto-color-emoji)")


def font_files(search: tuple[Path, ...] = SEARCH) -> list[Path]:
    """The path of each file in FILES (the first found); SystemExit naming the missing."""
    found: dict[str, Path] = {}
    for folder in search:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.name in FILES and path.name not in found and path.is_file():
                    found[path.name] = path
    missing = [name for name in FILES if name not in found]
    if missing:
        raise SystemExit(f"the bundle carries fonts this machine lacks: {', '.join(missing)}; "
                         + INSTALL_HINT)
    return [found[name] for name in FILES]


if __name__ == "__main__":
    paths = font_files()
    for p in paths:
        print(f"{p.stat().st_size / 1e6:7.2f} MB  {p}")
    print(f"{sum(p.stat().st_size for p in paths) / 1e6:7.2f} MB  total", file=sys.stderr)
