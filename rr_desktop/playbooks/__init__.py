"""Playbooks as data: base checklists per incident type, country overlays, the
stakeholder directory (docs/playbooks.md). Core: no Qt.

    library = load_library(data_dir)           # bundled + <data dir>/playbooks/
    run = resolve_playbook(library, "violent-event", ["AU", "SG"])
    event_data = {"run": str(uuid4()), **run.to_event_data()}
    directory = load_directory(data_dir, library)
    directory.find(function="legal", market="AU")
"""

from .library import PlaybookLibrary, load_library, problem_lines
from .model import LibraryEntry, Overlay, Playbook, Source, Stakeholder
from .problems import Problem
from .resolve import ResolvedPlaybook, ResolvedStep, UnknownPlaybook, resolve_playbook
from .stakeholders import StakeholderDirectory, load_directory
from .vocabulary import ROLE_LABELS, STAKEHOLDER_FUNCTIONS, STEP_ROLES

__all__ = [
    "ROLE_LABELS", "STAKEHOLDER_FUNCTIONS", "STEP_ROLES", "LibraryEntry", "Overlay",
    "Playbook", "PlaybookLibrary", "Problem", "ResolvedPlaybook", "ResolvedStep", "Source",
    "Stakeholder", "StakeholderDirectory", "UnknownPlaybook", "load_directory",
    "load_library", "problem_lines", "resolve_playbook",
]
