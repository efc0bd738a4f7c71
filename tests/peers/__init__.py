"""Fixtures that start real third-party servers on loopback (docs/testing.md, "Real servers")."""
