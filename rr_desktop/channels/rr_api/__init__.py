"""Channel `rr_api` (see records.py)."""

from .records import KIND, SPEC, RrApiChannel, to_record, validate

__all__ = ["KIND", "SPEC", "RrApiChannel", "to_record", "validate"]
