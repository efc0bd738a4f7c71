"""The SQL console's query history: `query_history.json` in the data dir (0600), newest
first, each query once (the same text re-run moves to the top), at most `MAX_ENTRIES`.

A history is a convenience: a file that cannot be read is set aside as
`query_history.json.unreadable` the next time a query is recorded, and the history starts
afresh; a failure to write it loses nothing but the entry (the caller says so).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

HISTORY_NAME = "query_history.json"
MAX_ENTRIES = 200
MAX_QUERY_CHARS = 100_000  # a pasted dump is not kept whole


def _key(sql: str) -> str:
    """Queries differing only in whitespace are one entry."""
    return " ".join(sql.split())


class QueryHistory:
    """Load with `QueryHistory(data_dir)`; `entries` newest first; `add(sql)` records one
    and writes the file atomically."""

    def __init__(self, data_dir: Path, limit: int = MAX_ENTRIES) -> None:
        self.path = data_dir / HISTORY_NAME
        self.limit = limit
        self.problem: str | None = None
        self.entries: list[str] = self._read()

    def _read(self) -> list[str]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            self.problem = (f"The query history {self.path} could not be read "
                            f"({getattr(exc, 'strerror', None) or exc}); it starts afresh.")
            return []
        queries = raw.get("queries") if isinstance(raw, dict) else None
        if not isinstance(queries, list):
            self.problem = f"The query history {self.path} is not one; it starts afresh."
            return []
        return [q for q in queries if isinstance(q, str) and q.strip()][:self.limit]

    def add(self, sql: str) -> None:
        """Record `sql` as the newest entry (OSError when the file cannot be written)."""
        text = sql.strip()[:MAX_QUERY_CHARS]
        if not text:
            return
        key = _key(text)
        self.entries = [text, *(q for q in self.entries if _key(q) != key)][:self.limit]
        self._write()

    def _write(self) -> None:
        if self.problem is not None and self.path.exists():
            os.replace(self.path, self.path.with_name(HISTORY_NAME + ".unreadable"))
            self.problem = None
        fd, tmp = tempfile.mkstemp(prefix=f".{HISTORY_NAME}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"version": 1, "queries": self.entries}, fh, ensure_ascii=False,
                          indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
