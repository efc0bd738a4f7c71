"""The one path for formatted untrusted content (docs/security.md, "Untrusted content in Qt").

HTML is sanitized with nh3 to a strict allowlist (no img, no style, no remote URLs), shown
in a QTextBrowser that never follows links itself (`setOpenLinks(False)`) and whose
`loadResource` refuses everything but bundled `qrc:` resources, so nothing is fetched
from the network or the disk. A link opens only for http/https/mailto, after a
confirmation that shows the decoded host and its punycode form and warns when the host
mixes scripts.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import nh3
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QTextBrowser, QWidget

from .text import reveal_invisibles

ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "blockquote",
                "pre", "code", "a", "h1", "h2", "h3", "h4", "table", "tr", "td", "th"}
SAFE_SCHEMES = {"http", "https", "mailto"}


def sanitize(html: str) -> str:
    """Untrusted HTML reduced to the allowlist; links keep only http/https/mailto hrefs."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href"}},
                     url_schemes=SAFE_SCHEMES, link_rel="noopener noreferrer nofollow",
                     strip_comments=True)


def _scripts(text: str) -> set[str]:
    scripts = set()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            scripts.add(name.split(" ")[0] if name else "?")
    return scripts


def describe_link(url: QUrl) -> tuple[bool, str]:
    """(may open, the confirmation text) for a clicked link."""
    scheme = url.scheme().lower()
    if scheme not in SAFE_SCHEMES:
        return False, f"Links of type '{scheme or 'none'}' are never opened."
    host = url.host(QUrl.ComponentFormattingOption.FullyDecoded)
    puny = url.host(QUrl.ComponentFormattingOption.FullyEncoded)
    lines = [f"Open this link in your browser?\n\n{url.toDisplayString()}", f"Host: {host}"]
    if puny and puny != host:
        lines.append(f"Punycode: {puny}")
    if len(_scripts(host)) > 1:
        lines.append("Warning: the host name mixes writing systems; it may imitate another "
                     "site.")
    return True, "\n".join(lines)


class SafeHtmlView(QTextBrowser):
    """Read-only formatted text that can fetch nothing and opens links only after asking.

    Signals: QTextBrowser's; `anchorClicked` is handled here (confirmation first)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("safeHtml")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._confirm_and_open)
        self.refused: list[str] = []

    def set_untrusted_html(self, html: str) -> None:
        """Show untrusted HTML: sanitized, bidi and invisible characters made visible."""
        self.setHtml(reveal_invisibles(sanitize(html)))

    def loadResource(self, kind: int, name: QUrl | str) -> Any:
        """Qt override: only bundled qrc: resources; never file:, http:, data: etc."""
        url = name if isinstance(name, QUrl) else QUrl(str(name))
        if url.scheme() == "qrc":
            return super().loadResource(kind, url)
        self.refused.append(url.toString())
        return None

    def _confirm_and_open(self, url: QUrl) -> None:
        allowed, text = describe_link(url)
        if not allowed:
            QMessageBox.information(self, "Link not opened", text)
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Open link?", text,
                          QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
                          self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        if box.exec() == QMessageBox.StandardButton.Open:
            QDesktopServices.openUrl(url)
