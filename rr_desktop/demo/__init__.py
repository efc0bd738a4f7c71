"""The reference escalation service: the platform-side REST API that the ``rr_api`` channel
speaks, with deterministic APAC demo data, a live mode and fault injection for tests.

No Qt here. ``python -m rr_desktop.demo`` runs it standalone.
"""

from .faults import FaultInjector
from .generator import Evolver, generate
from .server import DemoServer, serve
from .state import EscalationStore

__all__ = ["DemoServer", "EscalationStore", "Evolver", "FaultInjector", "generate", "serve"]
