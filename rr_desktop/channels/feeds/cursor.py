"""The feed channel's cursor (JSON, opaque to the engine)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .records import Seen


@dataclass(slots=True)
class FeedCursor:
    """The cursor: validators of the last full response and what its entries were, and
    where in a document served in several pages the next page starts."""

    url: str = ""
    etag: str | None = None
    modified: str | None = None
    seen: Seen = field(default_factory=dict)
    more_doc: str | None = None
    more_offset: int = 0

    @classmethod
    def load(cls, cursor: str | None) -> FeedCursor:
        try:
            d = json.loads(cursor) if cursor else {}
            more = d.get("more") or {}
            etag, modified = d.get("etag"), d.get("modified")
            return cls(str(d.get("url", "")), etag if isinstance(etag, str) else None,
                       modified if isinstance(modified, str) else None,
                       {k: (int(v[0]), str(v[1])) for k, v in d.get("seen", {}).items()},
                       more.get("doc"), int(more.get("offset", 0)))
        except (ValueError, TypeError, AttributeError, IndexError, KeyError):
            return cls()  # unreadable: start over with a full fetch

    def dump(self) -> str:
        d: dict[str, Any] = {"url": self.url, "etag": self.etag, "modified": self.modified,
                             "seen": {k: list(v) for k, v in self.seen.items()}}
        if self.more_doc:
            d["more"] = {"doc": self.more_doc, "offset": self.more_offset}
        return json.dumps(d, separators=(",", ":"), sort_keys=True)
