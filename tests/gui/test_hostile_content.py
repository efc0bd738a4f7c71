"""Hostile text from channels, shown everywhere the window shows text, fetches nothing
and renders as literal text (docs/security.md, "Untrusted content in Qt")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtNetwork import QNetworkAccessManager, QNetworkReply, QNetworkRequest
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QTextEdit,
    QToolTip,
    QWidget,
)
from pytestqt.qtbot import QtBot

from rr_desktop.gui.main_window import MainWindow
from rr_desktop.gui.safe_html import SafeHtmlView, describe_link, sanitize
from rr_desktop.gui.triage.columns import Column
from tests.peers.canary import Canary

from .conftest import FakeWorkspace
from .seed import choose_identity, escalation, make_store


@pytest.fixture
def canary() -> Iterator[Canary]:
    c = Canary()
    yield c
    c.close()


def corpus(port: int, secret_file: Path) -> list[str]:
    return [
        "<script>alert(1)</script><b>bold</b>",
        f"<img src=http://127.0.0.1:{port}/pixel.png>",
        f"<img src=file://{secret_file}>",
        f"<a href=http://127.0.0.1:{port}/x>click</a><style>*{{}}</style>",
        "evil\u202egnp.exe",  # RTL override
        "zero\u200bwidth\u2066isolate\ufeff",
        "line1\nFAKE ROW\tx",
    ]


def html_corpus(port: int, secret_file: Path) -> list[str]:
    """Formatted bodies (mail, feeds) that try to fetch, style or script."""
    base = f"http://127.0.0.1:{port}"
    return [
        f"<link rel=stylesheet href={base}/css><style>@import url({base}/imp);</style>"
        f"<p style=\"background:url({base}/bg)\">styled</p>",
        f"<table background={base}/tbl><tr><td background=file://{secret_file}>cell</td>"
        f"</tr></table><iframe src={base}/frame></iframe><object data={base}/obj></object>",
        f"<body background={base}/body><img srcset='{base}/set 2x'>"
        f"<svg><image href={base}/svg /></svg><a href=javascript:alert(1)>js</a>",
    ]


@pytest.fixture
def hostile_window(qtbot: QtBot, tmp_path: Path, canary: Canary) -> Iterator[MainWindow]:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG not really")
    texts = corpus(canary.port, secret)
    records = [escalation(n, title=t, body=t * 3, reporter=t, tags=("x",),
                          content_url=f"http://127.0.0.1:{canary.port}/c{n}",
                          body_html=t + html_corpus(canary.port, secret)[n % 3])
               for n, t in enumerate(texts)]
    records.append(escalation(99, title="10 MB body",
                              body=f"<img src=http://127.0.0.1:{canary.port}/big>" +
                              "A" * 10_000_000))
    store = make_store(tmp_path, 0, records)
    choose_identity(tmp_path)
    win = MainWindow(FakeWorkspace(store, data_dir=tmp_path), sync_interval_s=None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.shutdown()
    store.close()


def test_hostile_strings_render_literally_and_fetch_nothing(
        qtbot: QtBot, hostile_window: MainWindow, canary: Canary) -> None:
    win = hostile_window
    model = win.model
    assert model.rowCount() == 8
    for r in range(model.rowCount()):
        win.table.select_row(r)
        qtbot.waitUntil(lambda: not win.detail.is_pending())
        esc_id = win.current_id()
        assert win.detail.escalation_id == esc_id
        title_cell = str(model.index(r, Column.TITLE).data())
        assert "\n" not in title_cell and "\u202e" not in title_cell
        tooltip = str(model.index(r, Column.TITLE).data(Qt.ItemDataRole.ToolTipRole))
        QToolTip.showText(win.table.mapToGlobal(QPoint(10, 10)), tooltip, win.table)
        qtbot.waitUntil(QToolTip.isVisible)
        assert QToolTip.text() == tooltip
        assert win.windowTitle().endswith("RR Desktop")
    QToolTip.hideText()
    QApplication.processEvents()
    assert canary.settle() == 0  # every connection made so far is counted by now
    assert win.detail.formatted.refused == []  # sanitized first: nothing left to fetch


def test_formatted_bodies_show_through_safe_html_only(
        qtbot: QtBot, hostile_window: MainWindow, canary: Canary) -> None:
    """A formatted body shows in the SafeHtml view (sanitized, invisibles revealed); an
    escalation without one hides that view and keeps the plain body."""
    win = hostile_window
    rtl = next(r for r in range(win.model.rowCount())
               if "[U+202E]" in str(win.model.index(r, Column.TITLE).data()))
    win.table.select_row(rtl)
    qtbot.waitUntil(lambda: not win.detail.is_pending())
    view = win.detail.formatted
    assert isinstance(view, SafeHtmlView) and view.isVisible()
    shown = view.toPlainText()
    assert "evil[U+202E]gnp.exe" in shown and "\u202e" not in shown
    assert "cell" in shown  # the table came through, its background did not
    markup = view.toHtml()
    for gone in ("<img", "<iframe", "<object", "<link", "javascript", "background=",
                 str(canary.port)):
        assert gone not in markup
    assert "formatted above" in win.detail.text.toPlainText()
    plain = next(r for r in range(win.model.rowCount())
                 if str(win.model.index(r, Column.TITLE).data()) == "10 MB body")
    win.table.select_row(plain)
    qtbot.waitUntil(lambda: not win.detail.is_pending())
    assert view.isHidden() and view.toPlainText() == ""
    assert "formatted above" not in win.detail.text.toPlainText()
    QApplication.processEvents()
    assert canary.settle() == 0


def test_rtl_override_is_shown_as_a_marker(qtbot: QtBot,
                                           hostile_window: MainWindow) -> None:
    win = hostile_window
    texts = [str(win.model.index(r, Column.TITLE).data()) for r in range(win.model.rowCount())]
    assert any("[U+202E]" in t for t in texts)
    assert any("[U+200B]" in t and "[U+2066]" in t for t in texts)


def test_every_text_widget_is_plain_or_the_safe_html_view(
        hostile_window: MainWindow) -> None:
    for widget in hostile_window.findChildren(QWidget):
        if isinstance(widget, QLabel):
            assert widget.textFormat() == Qt.TextFormat.PlainText, widget.objectName()
        if isinstance(widget, QTextEdit):
            assert isinstance(widget, SafeHtmlView), widget.objectName()


def test_safe_html_refuses_remote_and_file_resources(qtbot: QtBot, canary: Canary,
                                                     tmp_path: Path) -> None:
    view = SafeHtmlView()
    qtbot.addWidget(view)
    for text in corpus(canary.port, tmp_path / "x.png"):
        view.set_untrusted_html(text)
    cleaned = sanitize(f"<img src=http://127.0.0.1:{canary.port}/a><p style='x'>hi</p>"
                       "<a href='javascript:alert(1)'>j</a><a href='file:///etc/passwd'>f</a>")
    assert "<img" not in cleaned and "style" not in cleaned
    assert "javascript" not in cleaned and "file:" not in cleaned
    view.setHtml(f"<img src='http://127.0.0.1:{canary.port}/raw'>")  # even unsanitized
    view.show()
    qtbot.waitExposed(view)  # laid out and painted: the image was asked for
    qtbot.waitUntil(lambda: any("127.0.0.1" in r for r in view.refused))
    assert canary.settle() == 0


def _urls(port: int, secret: Path) -> list[str]:
    text = " ".join(corpus(port, secret) + html_corpus(port, secret))
    return sorted(set(re.findall(rf"http://127\.0\.0\.1:{port}/\w+", text)))


def test_positive_control_a_qt_fetch_of_the_corpus_urls_registers(
        qtbot: QtBot, canary: Canary, tmp_path: Path) -> None:
    """The zero-hit tests above can fail: every URL the hostile corpus carries points at
    the canary, and a real Qt network fetch of each (what a view that loaded remote
    resources would do) registers there, counted by the same settle() barrier."""
    urls = _urls(canary.port, tmp_path / "x.png")
    assert len(urls) >= 10
    manager = QNetworkAccessManager()
    for url in urls:
        reply = manager.get(QNetworkRequest(QUrl(url)))
        with qtbot.waitSignal(reply.finished, timeout=10_000):
            pass
        assert reply.error() == QNetworkReply.NetworkError.NoError, reply.errorString()
        reply.deleteLater()
    assert canary.settle() == len(urls)
    assert sorted(f"http://127.0.0.1:{canary.port}{p}" for p in canary.paths) == urls


def test_links_are_confirmed_with_punycode_and_odd_schemes_refused() -> None:
    from PySide6.QtCore import QUrl

    ok, text = describe_link(QUrl("https://xn--pple-43d.com/login"))
    assert ok and "xn--pple-43d.com" in text and "mixes writing systems" in text
    assert describe_link(QUrl("file:///etc/passwd"))[0] is False
    assert describe_link(QUrl("javascript:alert(1)"))[0] is False
