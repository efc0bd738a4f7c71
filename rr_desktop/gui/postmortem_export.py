"""Exporting a post-mortem: Markdown (the document as written), HTML (one self-contained
file: the sanitized body and inline CSS, a policy that forbids loading anything) and PDF
(Qt's PDF writer). Every format is written through QSaveFile: a temporary file beside
the target, renamed over it only when every byte was written, so a failed write (a full
disk, a read-only folder) leaves the previous file exactly as it was."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSaveFile
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from .postmortem_text import safe_html

FORMATS = {"md": "Markdown", "html": "HTML", "pdf": "PDF"}

_CSS = """
body { font-family: "Noto Sans", "DejaVu Sans", sans-serif; max-width: 52em;
       margin: 2em auto; padding: 0 1em; color: #1d2125; line-height: 1.45; }
h1 { font-size: 1.7em; } h2 { font-size: 1.3em; border-bottom: 1px solid #d0d4d9;
       padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; } td, th { border: 1px solid #d0d4d9;
       padding: .25em .6em; text-align: left; }
pre, code { font-family: "Noto Sans Mono", "DejaVu Sans Mono", monospace; }
pre { background: #f4f5f7; padding: .6em; overflow-x: auto; }
blockquote { border-left: 3px solid #d0d4d9; margin-left: 0; padding-left: 1em; }
"""


class ExportFailed(OSError):
    """The file could not be written; the previous one (if any) is untouched."""


def html_document(title: str, markdown: str) -> str:
    """The self-contained HTML export: nothing in it can load a resource."""
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head><body>\n"
        f"{safe_html(markdown)}\n</body></html>\n")


def _failed(path: Path, why: str) -> ExportFailed:
    if not why or why == "Unknown error":
        why = "the disk refused the data: is it full?"
    return ExportFailed(f"{path.name} could not be written ({why}); the previous file, if "
                        "any, is unchanged.")


def _open(path: Path) -> QSaveFile:
    out = QSaveFile(str(path))
    if not out.open(QSaveFile.OpenModeFlag.WriteOnly):
        raise _failed(path, out.errorString())
    return out


def _commit(out: QSaveFile, path: Path) -> None:
    if not out.commit():
        raise _failed(path, out.errorString())


def write_bytes(path: Path, data: bytes) -> None:
    out = _open(path)
    written = out.write(data)
    if written != len(data):
        why = out.errorString()
        out.cancelWriting()
        out.commit()  # only drops the temporary file (writing was cancelled)
        raise _failed(path, why)
    _commit(out, path)


def export(path: Path, fmt: str, title: str, markdown: str) -> None:
    """Write the post-mortem to `path` as `fmt` ("md", "html" or "pdf")."""
    if fmt == "md":
        write_bytes(path, markdown.encode("utf-8"))
    elif fmt == "html":
        write_bytes(path, html_document(title, markdown).encode("utf-8"))
    elif fmt == "pdf":
        write_pdf(path, title, markdown)
    else:
        raise ValueError(f"Unknown export format {fmt!r}.")


def write_pdf(path: Path, title: str, markdown: str) -> None:
    """A4 pages of the sanitized document, drawn by Qt's PDF writer into a QSaveFile."""
    doc = QTextDocument()
    doc.setDefaultStyleSheet("table { border-collapse: collapse; } td, th { padding: 3px; }")
    doc.setHtml(safe_html(markdown))
    out = _open(path)
    writer = QPdfWriter(out)
    writer.setTitle(title)
    writer.setCreator("RR Desktop")
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Portrait,
                                     QMarginsF(18, 18, 18, 18),
                                     QPageLayout.Unit.Millimeter))
    doc.print_(writer)
    del writer  # the writer finishes the file when it goes away
    _commit(out, path)
