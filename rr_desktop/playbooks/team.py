"""Team playbooks (docs/playbooks.md, "Team playbooks"): the files a team hub keeps, named
by their path under a playbooks folder (`regulator-takedown-order.yaml`,
`overlays/JP.yaml`), and the checks a file passes before the hub stores it or a desktop
writes it: the library's own, as for a file in the data dir.

An overlay is checked on its own: whether its `every_playbook` steps fit the playbooks
is checked where the library loads (a desktop's playbooks may differ from the hub's
view of them), and reported there like any file's problem.
"""

from __future__ import annotations

import re
from pathlib import Path

from .files import OVERLAYS, DataFile
from .library import overlay_of, playbook_of
from .model import Source
from .problems import FileInvalid, parse_yaml

MAX_NAME = 120
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml\Z", re.IGNORECASE)


def name_problem(name: str) -> str | None:
    """None if `name` is a team file's name (`<file>.yaml` or `overlays/<file>.yaml`, no
    `..`, no absolute path, `.yaml` or `.yml`), else one sentence saying why not."""
    parts = name.split("/")
    folder_ok = len(parts) == 1 or (len(parts) == 2 and parts[0] == OVERLAYS)
    if len(name) > MAX_NAME or not folder_ok or not _FILE_NAME.match(parts[-1]) \
            or ".." in name:
        return (f"{name[:MAX_NAME]!r} is not a playbook file name: use a name like "
                "'regulator-takedown-order.yaml' or 'overlays/JP.yaml' (letters, digits, "
                "'.', '_' and '-', ending in .yaml or .yml)")
    return None


def is_overlay(name: str) -> bool:
    return name.startswith(OVERLAYS + "/")


def file_problem(name: str, text: str) -> str | None:
    """None if `text` is a valid base playbook (or, under overlays/, a valid country
    overlay) named `name`, else the first problem as one sentence naming the place."""
    why = name_problem(name)
    if why is not None:
        return why
    file = DataFile(Path(name), name, Source.TEAM)
    try:
        data = parse_yaml(text, name)
        if is_overlay(name):
            overlay_of(data, file)
        else:
            playbook_of(data, file)
    except FileInvalid as exc:
        return str(exc.problem)
    return None
