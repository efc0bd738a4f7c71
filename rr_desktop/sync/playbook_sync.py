"""Team playbooks' part of a sync run (docs/playbooks.md, "Team playbooks"), on the channel
that carries the incident logs: read the team hub's playbook files (nothing when the hub
says none changed since the folder was written) and make `<data dir>/playbooks/team/`
hold them (rr_desktop/playbooks/team_files.py). A server without team playbooks (the
reference service) is left alone, quietly; a file that fails the checks here is logged
once and not written, the others are."""

from __future__ import annotations

import logging
import threading
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ..channels.contract import TeamPlaybooks
from ..playbooks.team_files import known_tag, write_team_files
from .incident_sync import home_channel

if TYPE_CHECKING:
    from .engine import ProgressFn, SyncEngine, SyncReport

log = logging.getLogger(__name__)


class PlaybookSync:
    def __init__(self, engine: SyncEngine, client: TeamPlaybooks, cid: int, folder: Path,
                 report: SyncReport, cancel: threading.Event,
                 progress: ProgressFn | None) -> None:
        self.engine, self.client, self.cid, self.folder = engine, client, cid, folder
        self.report, self.cancel, self.progress = report, cancel, progress

    def run(self) -> None:
        with self.engine.store.write() as db:
            if not home_channel(db, self.cid):
                return
        listing = self.engine.call(partial(self.client.pull_playbooks, known_tag(self.folder)),
                                   self.cid, self.report, self.cancel, self.progress)
        if listing is None or listing.unchanged:
            return
        for why in listing.malformed:
            log.warning("%s: %s", self.report.channel, why)
        try:
            problems = write_team_files(self.folder, listing.files, listing.tag,
                                        listing.unread)
        except OSError as exc:
            self.report.problems.append(f"the team playbooks cannot be saved in "
                                        f"{self.folder} ({exc.strerror or exc})")
            return
        for why in problems:
            log.warning("%s: %s", self.report.channel, why)
