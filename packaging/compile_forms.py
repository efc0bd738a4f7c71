"""Compile every ui/<name>.ui into rr_desktop/gui/forms/ui_<name>.py in this checkout.

The same compiler as the build's `build_ui` step (rr_desktop/gui/forms/compiler.py), run
in place: packaging/build.sh calls it before PyInstaller, whose bundle imports the
generated modules. `--check` only reports forms whose module is missing or stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rr_desktop.gui.forms import compiler  # noqa: E402  (needs the repository on sys.path)

UI_DIR = ROOT / "ui"
OUT_DIR = ROOT / "rr_desktop" / "gui" / "forms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale forms")
    args = parser.parse_args(argv)
    sources = compiler.sources(UI_DIR)
    if not sources:
        print(f"no forms under {UI_DIR}", file=sys.stderr)
        return 1
    if args.check:
        stale = [s for s in sources if compiler.is_stale(s, OUT_DIR / compiler.module_name(s))]
        for source in stale:
            print(f"stale: ui/{source.name}")
        return 1 if stale else 0
    try:
        written = compiler.compile_forms(UI_DIR, OUT_DIR)
    except compiler.FormError as exc:
        print(exc, file=sys.stderr)
        return 1
    for out in written:
        print(f"ui/{out.stem.removeprefix('ui_')}.ui -> {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
