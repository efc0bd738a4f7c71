"""Entry script of the PyInstaller bundle: the same `main()` as the `rr-desktop` command."""

import sys

from rr_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
