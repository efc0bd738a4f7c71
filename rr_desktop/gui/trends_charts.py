"""The trends screen's charts (Qt Charts, docs/decisions/0011-qt-charts-for-trends.md):
volume over time stacked by a dimension, time to acknowledge/contain/resolve, SLA breach
rates now and before. Themed from the window palette (light or dark); hovering a bar
says what it is; any chart saves as PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QBuffer, QIODevice, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from ..domain.sla import SlaKind
from ..trends.metrics import Series
from ..trends.snapshot import Snapshot
from ..trends.zones import Bucket, label

EXPORT_SIZE = QSize(1000, 480)  # pixels of a chart in a report or a PNG file


def dark_palette() -> bool:
    window = QApplication.palette().color(QPalette.ColorRole.Window)
    return window.lightness() < 128


class TrendChart(QChartView):
    """One chart. Signals: hovered(str): what the bar under the pointer is ("" when it
    leaves)."""

    hovered = Signal(str)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(QChart(), parent)
        self.title = title
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(220)
        self.chart().setTitle(title)
        self.chart().legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.apply_theme()
        self.points = 0  # bars drawn (what tests and the empty state read)

    def apply_theme(self) -> None:
        self.chart().setTheme(QChart.ChartTheme.ChartThemeDark if dark_palette()
                              else QChart.ChartTheme.ChartThemeLight)

    def _reset(self) -> QChart:
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        self.points = 0
        return chart

    def _bars(self, series: QBarSeries | QStackedBarSeries, categories: Sequence[str],
              top: float, unit: str) -> None:
        chart = self.chart()
        chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append(list(categories))
        if len(categories) > 16:
            x.setLabelsAngle(-60)
        y = QValueAxis()
        y.setRange(0, max(top, 1.0) * 1.05)
        y.setLabelFormat("%.0f")
        y.setTitleText(unit)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
        self.apply_theme()

    def _hover(self, bar: QBarSet, categories: Sequence[str], unit: str) -> None:
        def said(status: bool, index: int) -> None:
            if not status or not 0 <= index < len(categories):
                self.hovered.emit("")
                return
            text = f"{categories[index]} \u00b7 {bar.label()}: {bar.at(index):g} {unit}"
            self.setToolTip(text)
            self.hovered.emit(text)
        bar.hovered.connect(said)

    def show_volume(self, series: Series, bucket: Bucket) -> None:
        """Escalations per bucket, stacked."""
        self._reset()
        categories = [label(b, bucket).replace("week of ", "") for b in series.buckets]
        stacked = QStackedBarSeries()
        for name, values in series.stacks:
            bar = QBarSet(name.replace("_", " "))
            bar.append([float(v) for v in values])
            self._hover(bar, categories, "escalations")
            stacked.append(bar)
            self.points += sum(1 for v in values if v)
        self._bars(stacked, categories, float(max(series.totals(), default=0)), "escalations")

    def show_clocks(self, snap: Snapshot) -> None:
        """Median and 90th percentile of each clock, in hours, now and before."""
        self._reset()
        names = ["acknowledge", "contain", "resolve"]
        grouped = QBarSeries()
        top = 0.0
        for title, clocks, p in (("median", snap.clocks, 50), ("p90", snap.clocks, 90),
                                 ("median before", snap.clocks_before, 50)):
            bar = QBarSet(title)
            values = [(clocks[k].p(p) or 0) / 3600 for k in SlaKind]
            bar.append(values)
            top = max(top, *values)
            self._hover(bar, names, "h")
            grouped.append(bar)
            self.points += sum(1 for v in values if v)
        self._bars(grouped, names, top, "hours")

    def show_breaches(self, snap: Snapshot) -> None:
        """The share of decided clocks that breached, now and in the previous period."""
        self._reset()
        names = ["acknowledge", "contain", "resolve"]
        grouped = QBarSeries()
        for title, rates in (("this period", snap.breaches),
                             ("previous period", snap.breaches_before)):
            bar = QBarSet(title)
            values = []
            for k in SlaKind:
                r = rates.get(("", k))
                values.append(100 * (r.rate or 0.0) if r else 0.0)
            bar.append(values)
            self._hover(bar, names, "% breached")
            grouped.append(bar)
            self.points += sum(1 for v in values if v)
        self._bars(grouped, names, 100.0, "% breached")

    def png(self, size: QSize = EXPORT_SIZE) -> bytes:
        """The chart drawn at `size` as PNG bytes (whatever size it shows at)."""
        shown = self.size()
        self.resize(size)
        pixmap = self.grab()
        self.resize(shown)
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        pixmap.save(buffer, "PNG")
        return bytes(buffer.data().data())

    def save_png(self, path: Path) -> Path:
        """Write the chart to `path` (.png added when missing); OSError on failure."""
        if path.suffix.lower() != ".png":
            path = path.with_suffix(".png")
        path.write_bytes(self.png())
        return path
