"""Pure domain logic: records, enums and rules. No I/O, no Qt."""

from .enums import PolicyCategory, Priority, Region, ReporterType, Severity, Status, Urgency
from .escalation import MAX_BODY_HTML, Analyst, Channel, Escalation, Fact, PriorityAssessment
from .markets import normalize_market, region_of
from .priority import PriorityFacts, assess_priority, priority_change

__all__ = [
    "MAX_BODY_HTML",
    "Analyst", "Channel", "Escalation", "Fact", "PolicyCategory", "Priority",
    "PriorityAssessment", "PriorityFacts", "Region", "ReporterType", "Severity", "Status",
    "Urgency", "assess_priority", "normalize_market", "priority_change", "region_of",
]
