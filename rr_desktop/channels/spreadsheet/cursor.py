"""What the spreadsheet channel's cursor carries between pages and runs: the state of
the last import of the file (ImportState, JSON opaque to the engine) and the set-up it
was made with."""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass, field

from ..contract import CursorExpired

CURSOR_FORMAT = 1


def pack(known: frozenset[bytes]) -> str:
    """The fingerprint set as cursor text (sorted, compressed, base64)."""
    return base64.b64encode(zlib.compress(b"".join(sorted(known)))).decode()


def _unpack(text: str) -> frozenset[bytes]:
    blob = zlib.decompress(base64.b64decode(text, validate=True)) if text else b""
    if len(blob) % 8:
        raise ValueError("fingerprint table")
    return frozenset(blob[i:i + 8] for i in range(0, len(blob), 8))


def parse_header_row(text: str) -> int:
    """The configured header row: a row number, or 0 (empty) to find the header."""
    t = text.strip()
    if not t:
        return 0
    if not t.isdigit() or not 0 < int(t) <= 1_000_000:
        raise ValueError(f"header row {t!r} is not a row number like 3 (empty: find it)")
    return int(t)


@dataclass(frozen=True, slots=True)
class ImportState:
    """What the cursor carries between pages and runs (JSON, opaque to the engine).

    `after` is the last row number done of an import in progress (None once complete);
    `known` holds the row fingerprints of the last complete import, `rejected` those of
    them that were rejected, and `problem` what its last page said (see the module).
    """

    config: str
    header: str
    file: str
    size: int
    mtime_ns: int
    version: int
    after: int | None
    known: frozenset[bytes] = field(default_factory=frozenset)
    rejected: frozenset[bytes] = field(default_factory=frozenset)
    problem: str = ""

    def encode(self, packed: str | None = None) -> str:
        """The cursor text; `packed` is `pack(self.known)` when the caller has it."""
        packed = pack(self.known) if packed is None else packed
        return json.dumps({"v": CURSOR_FORMAT, "config": self.config, "header": self.header,
                           "file": self.file, "size": self.size, "mtime_ns": self.mtime_ns,
                           "version": self.version, "after": self.after, "known": packed,
                           "rejected": pack(self.rejected) if self.rejected else "",
                           "problem": self.problem},
                          separators=(",", ":"))

    @classmethod
    def decode(cls, text: str, with_known: bool = True) -> ImportState:
        """CursorExpired for anything this version did not write (the engine resyncs).
        Without `with_known` the fingerprints are left out (a quick look)."""
        try:
            d = json.loads(text)
            if d.get("v") != CURSOR_FORMAT:
                raise ValueError("cursor format")
            known = _unpack(d["known"]) if with_known else frozenset()
            rejected = _unpack(d.get("rejected") or "") if with_known else frozenset()
            after = d["after"]
            return cls(str(d["config"]), str(d["header"]), str(d["file"]), int(d["size"]),
                       int(d["mtime_ns"]), int(d["version"]),
                       None if after is None else int(after), known, rejected,
                       str(d.get("problem") or ""))
        except (ValueError, TypeError, KeyError, AttributeError, zlib.error) as exc:
            raise CursorExpired(f"the import cursor is unreadable ({exc})") from None
