"""Text drafted from data: partner reply templates (replies.py, filled from the escalation
by reply_values.py) and situation reports drafted from an incident (sitrep.py). Safe
placeholder filling for both is in placeholders.py. No Qt here (docs/templates.md)."""
