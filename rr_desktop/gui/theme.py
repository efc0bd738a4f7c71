"""Colours and the QSS theme. Colour never carries meaning alone: every coloured cell also
says what it means in text ("S0", "P1")."""

from __future__ import annotations

import logging

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QAbstractItemView

from ..domain import Priority, Severity
from ..domain.sla import SlaState
from ..locations import resource_path

log = logging.getLogger("rr_desktop.gui")

# Foregrounds chosen for >= 4.5:1 contrast on the light row backgrounds of theme.qss.
SEVERITY_FG: dict[Severity, QColor] = {
    Severity.S0: QColor("#b42318"),
    Severity.S1: QColor("#b54708"),
    Severity.S2: QColor("#7a5c00"),
    Severity.S3: QColor("#475467"),
}
PRIORITY_FG: dict[Priority, QColor] = {
    Priority.P0: QColor("#b42318"),
    Priority.P1: QColor("#b54708"),
    Priority.P2: QColor("#7a5c00"),
    Priority.P3: QColor("#3e5a80"),
    Priority.P4: QColor("#667085"),
}
MUTED_FG = QColor("#667085")
SLA_FG: dict[SlaState, QColor] = {
    SlaState.OK: QColor("#344054"),
    SlaState.AT_RISK: QColor("#b54708"),
    SlaState.BREACHED: QColor("#b42318"),
    SlaState.PAUSED: QColor("#667085"),
    SlaState.MET: QColor("#067647"),
}
ERROR_FG = QColor("#b42318")


def load_stylesheet() -> str:
    """The QSS theme from resources/theme.qss ('' if it is missing: Qt's defaults)."""
    path = resource_path("theme.qss")
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        log.warning("no theme at %s: %s", path, exc)
        return ""


def apply_table_palette(view: QAbstractItemView) -> None:
    """Colours of a dense item view, set on its palette rather than in QSS (a stylesheet
    rule on an item view disables scroll blitting: every j/k at the edge repaints all)."""
    palette = view.palette()
    groups = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive,
              QPalette.ColorGroup.Disabled)
    for group in groups:
        palette.setColor(group, QPalette.ColorRole.Base, QColor("#ffffff"))
        palette.setColor(group, QPalette.ColorRole.AlternateBase, QColor("#f9fafb"))
        palette.setColor(group, QPalette.ColorRole.Text, QColor("#1d2939"))
        palette.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#101828"))
    palette.setColor(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight, QColor("#d3e3fa"))
    palette.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.Highlight,
                     QColor("#e4ebf5"))
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight,
                     QColor("#e4ebf5"))
    view.setPalette(palette)
