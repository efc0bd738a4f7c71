"""Generate rr_desktop/gui/forms/ui_<name>.py for every ui/<name>.ui with pyside6-uic.

Run by packaging/build.sh before PyInstaller (a bundle has no uic and imports these
modules). `--check` only reports forms whose generated module is missing or stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rr_desktop.gui import forms  # noqa: E402  (needs the repository on sys.path)
from rr_desktop.gui.locations import ui_dir  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale forms")
    args = parser.parse_args(argv)
    names = forms.form_names()
    if not names:
        print(f"no forms under {ui_dir()}", file=sys.stderr)
        return 1
    if args.check:
        stale = [n for n in names if forms.is_stale(n)]
        for name in stale:
            print(f"stale: ui/{name}.ui")
        return 1 if stale else 0
    for name in names:
        out = forms.compile_form(name)
        print(f"ui/{name}.ui -> {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
