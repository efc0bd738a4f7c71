"""RR Desktop: the Trust & Safety Rapid Response analyst workstation."""

__version__ = "0.1.0"
APP_NAME = "RR Desktop"
