"""The sync engine: channel pages into the cache, the outbox back out."""
