"""JQL text this channel writes: project keys, the user's extra filter, and the date
literal of the re-read window (minute precision, in the querying account's zone)."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

MINUTE_MS = 60_000
_PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,99}")
_ORDER_BY = re.compile(r"(?i)\border\s+by\b")


def floor_minute(ms: int) -> int:
    return ms - ms % MINUTE_MS


def jql_time(ms: int, tz: tzinfo) -> str:
    """A JQL date literal ("yyyy-MM-dd HH:mm", minute precision) that Jira reads in the
    time zone of the querying account: so it is written in that zone."""
    return datetime.fromtimestamp(floor_minute(ms) / 1000, tz).strftime("%Y-%m-%d %H:%M")


def parse_projects(text: str) -> tuple[str, ...]:
    """Comma-separated project keys ("LEGAL, PROD"); ValueError names a bad one."""
    keys = tuple(k.strip().upper() for k in text.split(",") if k.strip())
    for key in keys:
        if not _PROJECT_KEY.fullmatch(key):
            raise ValueError(f"{key!r} is not a Jira project key")
    return keys


def check_filter(jql: str) -> str:
    jql = jql.strip()
    if _ORDER_BY.search(jql):
        raise ValueError("the JQL filter may not have an ORDER BY clause")
    if len(jql) > 4000:
        raise ValueError("the JQL filter is too long")
    return jql


def build_jql(projects: tuple[str, ...], extra: str, since: str | None) -> str:
    clauses = []
    if projects:
        clauses.append("project in (" + ", ".join(f'"{p}"' for p in projects) + ")")
    if extra:
        clauses.append(f"({extra})")
    if since:
        clauses.append(f'updated >= "{since}"')
    return " AND ".join(clauses) + " ORDER BY updated ASC, key ASC"
