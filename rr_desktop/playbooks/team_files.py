"""The desktop's copy of the team hub's playbooks: `<data dir>/playbooks/team/` (base
playbooks) and `team/overlays/` (docs/playbooks.md, "Team playbooks").

The folder is the hub's: each sync makes it hold exactly the hub's files that pass the
library's checks, every write atomic (a temporary file renamed over the old one), so the
library never reads half a file. A file the hub removed is removed here. A file that
fails the checks here (a hub newer than this desktop) is not written: the copy written
before, if any, stays, and the reason is returned for the log. The user's own files sit
beside the folder and are never touched. `.hub.json` records the hub's listing tag and
the names written, so an unchanged hub is not read again while the folder still holds
them (and by an app reading the same playbook format).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .files import OVERLAYS
from .team import file_problem
from .vocabulary import SCHEMA_VERSION

MANIFEST = ".hub.json"
_SUFFIXES = (".yaml", ".yml")


def _present(folder: Path) -> set[str]:
    """The team file names the folder holds now (`x.yaml`, `overlays/y.yaml`)."""
    names: set[str] = set()
    for sub, prefix in ((folder, ""), (folder / OVERLAYS, f"{OVERLAYS}/")):
        if sub.is_dir():
            names |= {prefix + p.name for p in sub.iterdir()
                      if p.is_file() and p.suffix.lower() in _SUFFIXES}
    return names


def known_tag(folder: Path) -> str | None:
    """The hub's listing tag the folder was written from, if it still holds every file
    written then (a file deleted here by hand is fetched again) and this app reads the
    same playbook format (a newer one checks the files it refused again)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
        tag, names = manifest["tag"], set(manifest["names"])
        checked_by = manifest["schema_version"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(tag, str) or checked_by != SCHEMA_VERSION or \
            not names <= _present(folder):
        return None
    return tag


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_team_files(folder: Path, files: Iterable[Mapping[str, Any]],
                     tag: str | None, unread: Iterable[str] = ()) -> list[str]:
    """Make `folder` hold the hub's `files` ({name, text, ...}); one sentence per file
    not written. `unread`: names the hub listed but sent unreadable (kept as they are).
    Raises OSError when the folder cannot be written."""
    problems: list[str] = []
    wanted: dict[str, str] = dict.fromkeys(unread, "")
    for entry in files:
        name, text = str(entry["name"]), str(entry["text"])
        why = file_problem(name, text)
        if why is not None:
            problems.append(f"the team playbook {name[:120]!r} from the hub is not used: "
                            f"{why}")
            wanted.setdefault(name, "")  # not written; an earlier good copy stays
            continue
        wanted[name] = text
    for name, text in wanted.items():
        if not text:
            continue
        path = folder / name
        data = text.encode("utf-8")
        try:
            if path.read_bytes() == data:
                continue
        except OSError:
            pass
        _write_atomic(path, data)
    for name in _present(folder) - set(wanted):
        (folder / name).unlink(missing_ok=True)
    written = sorted(n for n, t in wanted.items() if t)
    if tag is not None:  # a file refused here is read again by a newer app only
        _write_atomic(folder / MANIFEST, json.dumps(
            {"tag": tag, "names": written, "schema_version": SCHEMA_VERSION}).encode())
    else:
        (folder / MANIFEST).unlink(missing_ok=True)
    return problems
