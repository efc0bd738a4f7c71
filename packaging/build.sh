#!/usr/bin/env bash
# Build the PyInstaller bundle: build/dist/rr-desktop/rr-desktop (work files in build/work).
#   packaging/build.sh            uses .venv/bin/python if present, else python3
#   PYTHON=/path/to/python packaging/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi

"$PYTHON" packaging/compile_forms.py
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath build/dist --workpath build/work packaging/rr_desktop.spec
echo "built build/dist/rr-desktop/rr-desktop"
