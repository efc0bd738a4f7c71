"""What the cache can hold: the one boundary every channel's record passes on its way in.

SQLite (through Python's sqlite3) refuses two things a record can carry: a `str` that is
not valid UTF-8 (lone surrogates, from a JSON `\\ud800` escape, or bytes smuggled in by
`surrogateescape` decoding, as the email package does with raw UTF-8 headers) and an
integer outside 64 bits. Either would fail the whole page. Here:

- `clean_text` makes any `str` valid UTF-8: bytes carried as surrogateescape (U+DC80..
  U+DCFF) are put back and decoded as UTF-8, a high+low surrogate pair becomes its
  character, and whatever is left (a lone surrogate, bytes that are not UTF-8) becomes
  U+FFFD, visibly;
- `storable_row` applies it to every text of a stage row and names what cannot be
  stored at all (an integer out of range, a required field missing), for quarantine.

Every str that reaches SQLite through ingest is valid UTF-8 either way: a page whose rows
all bind (nearly every page) is stored as is, and a page where one does not is cleaned
row by row here (store/ingest.py), so the common path pays nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
REPLACEMENT = "\ufffd"
_SURROGATES = re.compile("[\ud800-\udfff]+")


def clean_text(text: str) -> str:
    """`text` as valid UTF-8 (see the module doc); the same object when it already is."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return text
    out = bytearray()
    pos = 0
    for run in _SURROGATES.finditer(text):
        out += text[pos:run.start()].encode("utf-8")
        out += _surrogate_run(run.group())
        pos = run.end()
    out += text[pos:].encode("utf-8")
    return out.decode("utf-8", "replace")


def _surrogate_run(run: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(run):
        cp = ord(run[i])
        nxt = ord(run[i + 1]) if i + 1 < len(run) else 0
        if 0xD800 <= cp <= 0xDBFF and 0xDC00 <= nxt <= 0xDFFF:  # a pair, split
            out += chr(0x10000 + ((cp - 0xD800) << 10) + (nxt - 0xDC00)).encode("utf-8")
            i += 2
            continue
        if 0xDC80 <= cp <= 0xDCFF:  # one byte carried by surrogateescape
            out.append(cp - 0xDC00)
        else:
            out += REPLACEMENT.encode("utf-8")
        i += 1
    return bytes(out)


def int_problem(name: str, value: object) -> str | None:
    """Why `value` cannot be stored as a SQLite INTEGER, or None."""
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        # str() of a huge int raises past 4300 digits (CPython's int_max_str_digits).
        shown = str(value) if value.bit_length() < 200 else \
            f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
        return f"{name} {shown} is out of range (the cache holds -2^63 .. 2^63-1)"
    return None


def storable_row(columns: Sequence[str], required: frozenset[str],
                 row: Sequence[object]) -> tuple[object, ...] | str:
    """The row with every text cleaned, or the reason it cannot be stored."""
    out: list[object] = []
    for name, value in zip(columns, row, strict=True):
        if isinstance(value, str):
            value = clean_text(value)
        elif value is None and name in required:
            return f"{name} is missing"
        else:
            problem = int_problem(name, value)
            if problem:
                return problem
        out.append(value)
    return tuple(out)
