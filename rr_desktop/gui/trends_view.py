"""Trends (`g r`, docs/trends.md): choose a period, zone, markets or regions, categories
and channels; see volume over time, the clocks, SLA breach rates, top sources and
reporter types, incidents, each with the change from the previous period; surges are
listed as findings, `r` makes one a recommendation, `e` exports the report, `p` the
volume chart as PNG. Every aggregate is read on a worker (AppContext.run_read)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..domain.enums import Region
from ..keymap import Mode
from ..trends import recommendations as saved
from ..trends.metrics import Stack, volume_series
from ..trends.queries import TrendFilter
from ..trends.recommendations import Recommendation, from_finding
from ..trends.report import Chart, headline
from ..trends.snapshot import Snapshot, read_snapshot
from ..trends.zones import MARKET_LOCAL, Bucket
from .context import AppContext
from .trends_charts import TrendChart
from .trends_export import REPORT_FILTERS, RecommendationDialog, write_report

PERIODS = (("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90),
           ("Last 365 days", 365))
RELOAD_DELAY_MS = 250  # filters typed in quick succession read once
MAX_HOURLY_DAYS = 7  # a longer period shows days even when hours are chosen


def own_zone(ctx: AppContext) -> str:
    """The analyst's zone as an IANA name (settings `timezone`, else the computer's as
    /etc/localtime names it, else UTC)."""
    zone = ctx.settings.zone
    if zone is not None:
        return zone.key
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            name = target.split("zoneinfo/", 1)[1]
            ZoneInfo(name)
            return name
    except (OSError, ValueError, KeyError):
        pass
    return "UTC"


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]


class TrendsView(QWidget):
    """The trends page. Signals: loaded(object): a Snapshot was shown;
    exported(str): a file was written (its path)."""

    command_mode = Mode.TRENDS
    loaded = Signal(object)
    exported = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trendsView")
        self.ctx = ctx
        self.snapshot: Snapshot | None = None
        self.loading = False
        self._generation = 0
        items, problem = saved.load(ctx.data_dir)
        self.recommendations: list[Recommendation] = items
        if problem:
            ctx.notifier.warn(problem, 10_000)
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(RELOAD_DELAY_MS)
        self._reload.timeout.connect(self.load)
        self._build()

    # -- layout ----------------------------------------------------------------------

    def _combo(self, name: str, items: list[tuple[str, object]]) -> QComboBox:
        box = QComboBox()
        box.setObjectName(name)
        for text, data in items:
            box.addItem(text, data)
        box.currentIndexChanged.connect(lambda _i: self._reload.start())
        return box

    def _edit(self, name: str, hint: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(hint)
        edit.textChanged.connect(lambda _t: self._reload.start())
        return edit

    def _build(self) -> None:
        zone = own_zone(self.ctx)
        self.period = self._combo("trendsPeriod", [(t, d) for t, d in PERIODS])
        self.period.setCurrentIndex(1)
        self.zone = self._combo("trendsZone", [(f"Your zone ({zone})", zone), ("UTC", "UTC"),
                                               ("Each market's local time", MARKET_LOCAL)])
        self.bucket = self._combo("trendsBucket", [(b.value.title(), b) for b in Bucket])
        self.bucket.setCurrentIndex(1)
        self.stack = self._combo("trendsStack", [(f"By {s.value}", s) for s in Stack])
        self.markets = self._edit("trendsMarkets", "markets or regions: ID, PH, APAC")
        self.categories = self._edit("trendsCategories", "categories: all")
        self.channels = self._edit("trendsChannels", "channels: all")
        bar = QHBoxLayout()
        for w in (self.period, self.zone, self.bucket, self.stack, self.markets,
                  self.categories, self.channels):
            bar.addWidget(w)
        self.state = QLabel("")
        self.state.setObjectName("trendsState")
        self.volume = TrendChart("Escalations over time")
        self.clocks = TrendChart("Time to acknowledge, contain, resolve (hours)")
        self.breach_chart = TrendChart("SLA breached (% of decided clocks)")
        for chart in (self.volume, self.clocks, self.breach_chart):
            chart.hovered.connect(lambda t: self.state.setText(t) if t else None)
        charts = QWidget()
        col = QVBoxLayout(charts)
        for chart in (self.volume, self.clocks, self.breach_chart):
            col.addWidget(chart)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(charts)
        self.figures = QTableWidget(0, 3)
        self.figures.setObjectName("trendsFigures")
        self.figures.setHorizontalHeaderLabels(["Figure", "Now", "Change"])
        self.findings = QListWidget()
        self.findings.setObjectName("trendsFindings")
        self.recs = QListWidget()
        self.recs.setObjectName("trendsRecommendations")
        side = QWidget()
        right = QVBoxLayout(side)
        for title, part in (("Figures (change from the previous period)", self.figures),
                            ("Findings: surges (r: make a recommendation)", self.findings),
                            ("Recommendations (e: export the report)", self.recs)):
            right.addWidget(QLabel(title))
            right.addWidget(part)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(scroll)
        split.addWidget(side)
        split.setSizes([700, 500])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.state)
        layout.addWidget(split, 1)
        self._show_recommendations()

    # -- reading -----------------------------------------------------------------------

    def current_filter(self, now: datetime | None = None) -> TrendFilter:
        """The period ends at the next midnight of the chosen zone (UTC for market-local)
        and is as many whole days long as chosen."""
        zone_name = str(self.zone.currentData())
        zone = ZoneInfo("UTC" if zone_name == MARKET_LOCAL else zone_name)
        now = (now or self.ctx.clock()).astimezone(zone)
        end = (now.replace(hour=0, minute=0, second=0, microsecond=0)
               + timedelta(days=1))
        start = end - timedelta(days=int(self.period.currentData()))
        tokens = [t.upper() for t in _split(self.markets.text())]
        regions = tuple(t for t in tokens if t in Region.__members__)
        markets = tuple(t for t in tokens if t not in Region.__members__)
        names = {n.lower(): i for i, n in (self.snapshot.channels.items()
                                            if self.snapshot else ())}
        channel_ids = tuple(names.get(n.lower(), -1) for n in _split(self.channels.text()))
        categories = tuple(c.lower().replace(" ", "_") for c in _split(self.categories.text()))
        bucket = Bucket(self.bucket.currentData())
        if bucket is Bucket.HOUR and end - start > timedelta(days=MAX_HOURLY_DAYS):
            bucket = Bucket.DAY  # hundreds of hourly bars read as noise (and read slowly)
        return TrendFilter(int(start.timestamp()), int(end.timestamp()), zone_name, bucket,
                           markets, regions, categories, channel_ids)

    def load(self) -> None:
        """Read the figures for the filter on a worker; the newest request wins."""
        self._reload.stop()
        self._generation += 1
        generation, f = self._generation, self.current_filter()
        now = int(self.ctx.clock().timestamp())
        self.loading = True
        self.state.setText("Reading the trends\u2026")

        def done(snap: Snapshot) -> None:
            if generation == self._generation:
                self.loading = False
                self.show_snapshot(snap)

        def failed(_exc: BaseException) -> None:
            if generation == self._generation:
                self.loading = False
                self.state.setText("The trends could not be read (see the message).")

        store = self.ctx.store

        def work(_progress: object, _cancel: object) -> Snapshot:
            with store.read() as db:
                return read_snapshot(db, f, now)

        self.ctx.run_job("trends", work, failure="Could not read the trends", on_done=done,
                         on_failure=failed)

    def show_snapshot(self, snap: Snapshot) -> None:
        self.snapshot = snap
        stack = Stack(self.stack.currentData())
        self.volume.show_volume(volume_series(snap.cube, snap.buckets, stack, snap.channels),
                                snap.filter.bucket)
        self.clocks.show_clocks(snap)
        self.breach_chart.show_breaches(snap)
        rows = headline(snap)
        self.figures.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                self.figures.setItem(r, c, QTableWidgetItem(text))
        self.figures.resizeColumnsToContents()
        self.findings.clear()
        for x in snap.findings:
            item = QListWidgetItem(x.summary())
            item.setData(Qt.ItemDataRole.UserRole, x)
            self.findings.addItem(item)
        if not snap.findings:
            self.findings.addItem(QListWidgetItem("No surge in this period."))
        self.findings.setCurrentRow(0)
        hours_refused = (snap.filter.bucket is not Bucket(self.bucket.currentData()))
        self.state.setText(("Hours show for 7 days or less: showing days. "
                            if hours_refused else "")
                           + f"{snap.total.current:.0f} escalations, "
                           f"{snap.total.text()} on the previous period; "
                           f"{len(snap.findings)} surges; read in {snap.seconds:.1f} s")
        self.loaded.emit(snap)

    # -- commands ----------------------------------------------------------------------

    def show_page(self) -> None:
        """Shown: read (again) and put the focus on the findings."""
        self.findings.setFocus()
        self.load()

    def recommend(self) -> None:
        """r: a recommendation from the finding at the cursor."""
        item = self.findings.currentItem()
        finding = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if finding is None or self.snapshot is None:
            self.ctx.notifier.info("No finding is selected: a recommendation starts from "
                                   "a finding in the list.")
            return
        dialog = RecommendationDialog(finding, self)
        method = self.snapshot.surge.method()

        def accepted() -> None:
            rec = from_finding(finding, dialog.text.text(), dialog.chosen_owner(), method)
            self.recommendations.append(rec)
            self._show_recommendations()
            try:
                saved.save(self.ctx.data_dir, self.recommendations)
            except OSError as exc:
                self.ctx.notifier.warn(f"The recommendation is kept for this session but "
                                       f"could not be saved: {exc.strerror or exc}")
        dialog.accepted.connect(accepted)
        dialog.open()
        self.dialog = dialog

    def _show_recommendations(self) -> None:
        self.recs.clear()
        for r in self.recommendations:
            self.recs.addItem(QListWidgetItem(f"{r.owner.value}: {r.text}"))

    def charts(self) -> list[Chart]:
        return [Chart(c.title, c.png()) for c in (self.volume, self.clocks, self.breach_chart)]

    def _ask_path(self, title: str, default: Path, filters: str, then: object) -> None:
        dialog = QFileDialog(self, title, str(default), filters)
        dialog.setObjectName("trendsExport")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda name: then(Path(name)))  # type: ignore[operator]
        dialog.open()

    def ask_export(self) -> None:
        """e: where to save the report (Markdown, HTML or PDF)."""
        if self.snapshot is None:
            self.ctx.notifier.info("The trends are still being read; export once they show.")
            return
        stamp = self.ctx.clock().strftime("%Y%m%d")
        self._ask_path("Export the trends report", self.ctx.data_dir / f"trends-{stamp}.md",
                       REPORT_FILTERS, self.export_report)

    def export_report(self, path: Path) -> None:
        if self.snapshot is None:
            return
        try:
            written = write_report(path, self.snapshot, self.recommendations, self.charts())
        except OSError as exc:
            self.ctx.notifier.warn(f"Could not export the trends report to {path}: "
                                   f"{exc.strerror or exc}")
            return
        self.ctx.notifier.info(f"Exported the trends report to {written}", 8000)
        self.exported.emit(str(written))

    def ask_export_chart(self) -> None:
        """p: save the volume chart as PNG."""
        self._ask_path("Save the chart as PNG", self.ctx.data_dir / "trends-volume.png",
                       "PNG image (*.png)", self.export_chart)

    def export_chart(self, path: Path) -> None:
        try:
            written = self.volume.save_png(path)
        except OSError as exc:
            self.ctx.notifier.warn(f"Could not save the chart to {path}: "
                                   f"{exc.strerror or exc}")
            return
        self.ctx.notifier.info(f"Saved the chart to {written}", 8000)
        self.exported.emit(str(written))
