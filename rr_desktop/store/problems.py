"""When the cache itself fails: one clear sentence for each cause, never a traceback.

SQLite's result codes tell the causes apart (Python 3.11 exposes them on every
sqlite3.Error as `sqlite_errorcode`): a full disk, a data dir that cannot be written, an
I/O error and a damaged file need different advice. Nothing is lost in any of them: a
failed write transaction is rolled back whole, and the cursor never moves past what was
stored (docs/cache-safety.md).
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

# SQLite primary result codes (sqlite3.h); extended codes carry them in the low byte.
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26

_UNWRITABLE = (SQLITE_PERM, SQLITE_READONLY, SQLITE_CANTOPEN)
_DAMAGED = (SQLITE_CORRUPT, SQLITE_NOTADB)


class StoreUnavailable(Exception):
    """The cache cannot be used right now for a reason outside the file's content (disk
    full, read-only or unreadable data dir, I/O error, held locked): `str()` is the
    sentence; `cause` is full | unwritable | io | busy."""

    def __init__(self, sentence: str, cause: str) -> None:
        super().__init__(sentence)
        self.cause = cause


def primary_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def is_damage(exc: sqlite3.Error) -> bool:
    """True when SQLite says the file's content is wrong (as opposed to the disk, the
    directory or a lock)."""
    return primary_code(exc) in _DAMAGED or classify(exc) is None


def classify(exc: BaseException) -> str | None:
    """full | unwritable | io | busy for a storage failure, None for anything else."""
    code = primary_code(exc)
    if code == SQLITE_FULL:
        return "full"
    if code in _UNWRITABLE:
        return "unwritable"
    if code == SQLITE_IOERR:
        return "io"
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return "busy"
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return "full"
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return "unwritable"
        return "io"
    return None


def unavailable(path: Path, exc: BaseException) -> StoreUnavailable | None:
    """The StoreUnavailable for a storage failure of the cache at `path`, else None."""
    cause = classify(exc)
    if cause is None:
        return None
    where = path.parent
    if cause == "full":
        sentence = (f"The disk holding the cache ({where}) is full: nothing was lost, and "
                    "RR Desktop carries on where it stopped once there is space again.")
    elif cause == "unwritable":
        sentence = (f"The cache in {where} cannot be written (the folder or the file is "
                    "read-only, or not yours): nothing was changed; make it writable or "
                    "choose another --data-dir.")
    elif cause == "busy":
        sentence = (f"The cache at {path} is locked by another program: nothing was "
                    "changed; try again once it has finished.")
    else:
        detail = getattr(exc, "strerror", None) or str(exc)
        sentence = (f"The cache at {path} could not be read or written ({detail}): "
                    "nothing was lost; check the disk, then try again.")
    return StoreUnavailable(sentence, cause)


def cache_failure(path: Path, exc: sqlite3.Error) -> str:
    """The sentence for a failure of the cache while it was in use (a sync, an action)."""
    problem = unavailable(path, exc)
    return str(problem) if problem is not None else damaged(path, str(exc))


def damaged(path: Path, detail: str) -> str:
    """The sentence for a cache whose content is wrong (a damaged file or schema)."""
    return (f"The cache at {path} is damaged ({detail}). Nothing was changed; restore a "
            "backup or move the file away and RR Desktop will resync from the channels.")
