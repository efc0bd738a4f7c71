"""The Qt layer: the only package that imports PySide6 (ARCHITECTURE.md rule 1)."""
