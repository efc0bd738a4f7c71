"""Fixtures that start real third-party servers on loopback (shared/peers/REAL_PEERS.md)."""
