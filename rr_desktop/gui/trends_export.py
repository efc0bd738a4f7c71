"""Writing the trends report (Markdown, HTML, or PDF printed by Qt from the HTML) and the
dialog that turns a finding into a recommendation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSizeF, QUrl
from PySide6.QtGui import QImage, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from ..trends.findings import Finding
from ..trends.recommendations import Owner, Recommendation
from ..trends.report import Chart, markdown, to_html
from ..trends.snapshot import Snapshot

REPORT_FILTERS = "Markdown (*.md);;HTML (*.html);;PDF (*.pdf)"


def write_report(path: Path, snap: Snapshot, recs: Sequence[Recommendation],
                 charts: Sequence[Chart]) -> Path:
    """Write the report by the file's suffix (.md when it has none of ours); OSError on
    failure."""
    suffix = path.suffix.lower()
    if suffix not in (".md", ".html", ".htm", ".pdf"):
        path, suffix = path.with_suffix(".md"), ".md"
    if suffix == ".pdf":
        doc = QTextDocument()
        for i, chart in enumerate(charts):
            doc.addResource(QTextDocument.ResourceType.ImageResource,
                            QUrl(f"chart-{i}.png"), QImage.fromData(chart.png))
        doc.setHtml(to_html(snap, recs, charts, src=lambda i, _c: f"chart-{i}.png"))
        writer = QPdfWriter(str(path))
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        writer.setTitle("Trends and recommendations")
        writer.setResolution(96)
        doc.setPageSize(QSizeF(writer.width(), writer.height()))
        doc.print_(writer)
        del writer  # the file is finished when the writer goes
        if not path.is_file() or path.stat().st_size == 0:
            raise OSError(f"the PDF could not be written to {path}")
        return path
    text = markdown(snap, recs, charts) if suffix == ".md" else to_html(snap, recs, charts)
    path.write_text(text, encoding="utf-8")
    return path


class RecommendationDialog(QDialog):
    """Text and owner function of a recommendation resting on a finding; Return accepts,
    Esc cancels."""

    def __init__(self, finding: Finding, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trendsRecommendation")
        self.setWindowTitle("Make a recommendation")
        self.finding = finding
        form = QFormLayout(self)
        evidence = QLabel(finding.summary())
        evidence.setWordWrap(True)
        evidence.setTextFormat(evidence.textFormat().PlainText)
        form.addRow("Finding", evidence)
        self.text = QLineEdit()
        self.text.setObjectName("recommendationText")
        self.text.setPlaceholderText("What should change, e.g. a detection rule for this "
                                     "challenge in ID")
        self.owner = QComboBox()
        self.owner.setObjectName("recommendationOwner")
        self.owner.addItems([o.value for o in Owner])
        form.addRow("Recommendation", self.text)
        form.addRow("Owner", self.owner)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.problem = QLabel("")
        form.addRow(self.problem)
        self.text.setFocus()

    def _accept(self) -> None:
        if not self.text.text().strip():
            self.problem.setText("Write what should change first.")
            return
        self.accept()

    def chosen_owner(self) -> Owner:
        return Owner(self.owner.currentText())
