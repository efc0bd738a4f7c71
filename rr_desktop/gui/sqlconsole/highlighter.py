"""SQL syntax highlighting for the console's editor: keywords, functions, the console's
views, strings, numbers and comments (block comments across lines)."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from ...query.views import VIEW_NAMES

_KEYWORD_TEXT = (
    "select from where and or not in is null like glob between group by order having limit "
    "offset as on join left right inner outer cross natural using with recursive union all "
    "intersect except distinct case when then else end asc desc exists cast collate escape "
    "pragma values over partition filter window rows range preceding following current row "
    "unbounded true false match"
)
KEYWORDS = _KEYWORD_TEXT.split()
_FUNCTION_TEXT = (
    "count sum avg min max total group_concat coalesce ifnull nullif iif length lower upper "
    "substr trim ltrim rtrim replace instr printf format round abs date time datetime "
    "julianday strftime unixepoch json_extract json_each json_group_array row_number rank "
    "dense_rank lag lead first_value last_value highlight snippet bm25 typeof hex quote"
)
FUNCTIONS = _FUNCTION_TEXT.split()

_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:" + "|".join(KEYWORDS) + r")\b", re.IGNORECASE), "keyword"),
    (re.compile(r"\b(?:" + "|".join(FUNCTIONS) + r")(?=\s*\()", re.IGNORECASE), "function"),
    (re.compile(r"\b(?:" + "|".join(VIEW_NAMES) + r")\b", re.IGNORECASE), "view"),
    (re.compile(r"\b\d+(?:\.\d+)?\b"), "number"),
    (re.compile(r"'(?:[^']|'')*'?"), "string"),
    (re.compile(r"\"(?:[^\"]|\"\")*\"?"), "identifier"),
    (re.compile(r"--[^\n]*"), "comment"),
]
_IN_COMMENT = 1


def _format(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class SqlHighlighter(QSyntaxHighlighter):
    """Colours the editor's text as it is typed (one block, i.e. line, at a time)."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.formats = {
            "keyword": _format("#1d4ed8", bold=True), "function": _format("#7c3aed"),
            "view": _format("#047857", bold=True), "number": _format("#b45309"),
            "string": _format("#b42318"), "identifier": _format("#0f766e"),
            "comment": _format("#667085", italic=True),
        }

    def highlightBlock(self, text: str) -> None:
        """Qt override: format one line; a /* comment */ may run on to the next."""
        for pattern, kind in _RULES:
            for m in pattern.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), self.formats[kind])
        self.setCurrentBlockState(0)
        start = 0 if self.previousBlockState() == _IN_COMMENT else text.find("/*")
        while start >= 0:
            end = text.find("*/", start + (0 if start == 0 and self.previousBlockState()
                                           == _IN_COMMENT else 2))
            if end < 0:
                self.setCurrentBlockState(_IN_COMMENT)
                self.setFormat(start, len(text) - start, self.formats["comment"])
                break
            self.setFormat(start, end + 2 - start, self.formats["comment"])
            start = text.find("/*", end + 2)

    def kind_at(self, block_text: str, column: int) -> str | None:
        """What the rules make of the text at `column` of a line (for tests)."""
        found = None
        for pattern, kind in _RULES:
            for m in pattern.finditer(block_text):
                if m.start() <= column < m.end():
                    found = kind
        return found
