"""Trends over the cache (docs/trends.md): volumes, clocks, SLA breach rates, incidents and
surges over a period, aggregated in SQLite and folded by pure functions; findings and the
recommendations made from them, exported as a report. No Qt here."""
