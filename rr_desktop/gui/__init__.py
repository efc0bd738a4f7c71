"""The Qt layer: the only package that imports PySide6 (docs/architecture.md, "The walls" 1)."""
