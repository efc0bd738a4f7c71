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

# One left-to-right scan, so a string's "--" is not a comment and a comment's quote is
# not a string.
_TOKEN = re.compile(r"(?P<comment>--[^\n]*)|(?P<block>/\*)|(?P<string>'(?:[^']|'')*'?)"
                    r"|(?P<identifier>\"(?:[^\"]|\"\")*\"?)|(?P<number>\b\d+(?:\.\d+)?\b)"
                    r"|(?P<word>\b[A-Za-z_]\w*\b)(?P<call>\s*\()?")
_KEYWORD_SET = frozenset(KEYWORDS)
_FUNCTION_SET = frozenset(FUNCTIONS)
_VIEW_SET = frozenset(VIEW_NAMES)
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
        self.setCurrentBlockState(0)
        pos = 0
        if self.previousBlockState() == _IN_COMMENT:
            pos = self._block_comment(text, 0)
        while 0 <= pos < len(text):
            m = _TOKEN.search(text, pos)
            if m is None:
                break
            kind = m.lastgroup if m.lastgroup != "call" else "word"
            if m.group("block"):
                pos = self._block_comment(text, m.start(), m.end())
                continue
            if m.group("word"):
                word = m.group("word").lower()
                kind = ("keyword" if word in _KEYWORD_SET else "view" if word in _VIEW_SET
                        else "function" if m.group("call") and word in _FUNCTION_SET
                        else None)
                end = m.end("word")
            else:
                end = m.end()
            if kind is not None:
                self.setFormat(m.start(), end - m.start(), self.formats[kind])
            pos = max(m.end(), pos + 1)

    def _block_comment(self, text: str, start: int, after: int | None = None) -> int:
        """Format a /* comment */ from `start`; where scanning goes on (-1: the comment
        runs on into the next line)."""
        end = text.find("*/", start if after is None else after)
        if end < 0:
            self.setCurrentBlockState(_IN_COMMENT)
            self.setFormat(start, len(text) - start, self.formats["comment"])
            return -1
        self.setFormat(start, end + 2 - start, self.formats["comment"])
        return end + 2
