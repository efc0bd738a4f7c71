"""Pure domain logic: records, enums and rules. No I/O, no Qt."""

from .enums import PolicyCategory, Priority, Region, ReporterType, Severity, Status, Urgency
from .escalation import Analyst, Channel, Escalation, Fact, PriorityAssessment
from .incoming import Incoming, Quarantined
from .long_text import MAX_BODY, MAX_BODY_HTML, Extent, cut_marker, cut_text
from .markets import normalize_market, region_of
from .priority import PriorityFacts, assess_priority, priority_change

__all__ = [
    "MAX_BODY", "MAX_BODY_HTML",
    "Analyst", "Channel", "Escalation", "Extent", "Fact", "Incoming", "PolicyCategory",
    "Priority", "PriorityAssessment", "PriorityFacts", "Quarantined", "Region",
    "ReporterType", "Severity", "Status", "Urgency", "assess_priority", "cut_marker",
    "cut_text", "normalize_market", "priority_change", "region_of",
]
