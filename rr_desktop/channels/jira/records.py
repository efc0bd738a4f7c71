"""Jira issue JSON -> Escalation (the settings that steer it are in config.py).

Documented shapes relied on (Jira Cloud REST v3 issue fields): `id` (numeric string,
stable), `key` (PROJ-123, changes when an issue moves), `fields.summary`,
`fields.description` (ADF), `fields.status` {name, statusCategory {key: new |
indeterminate | done}}, `fields.priority` {name}, `fields.labels` [str, no spaces],
`fields.assignee` / `fields.reporter` {accountId, displayName}, `fields.created` /
`fields.updated` (`2024-05-01T10:05:51.199+0000`), `fields.duedate` (`yyyy-MM-dd`),
`fields.comment` {comments: [{author, body (ADF), created}]}.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

import msgspec

from ...domain import (
    MAX_BODY,
    Escalation,
    Extent,
    Fact,
    Incoming,
    PolicyCategory,
    Quarantined,
    Status,
    Urgency,
    cut_text,
    normalize_market,
    region_of,
)
from .adf import TRUNCATED, adf_to_text
from .config import JiraSettings

_V = TypeVar("_V")
FIELDS = ("summary", "description", "status", "priority", "labels", "assignee", "reporter",
          "created", "updated", "duedate", "comment")
# statusCategory.key is one of three documented values; it covers unmapped statuses.
_CATEGORY_STATUS = {"new": Status.NEW, "indeterminate": Status.INVESTIGATING,
                    "done": Status.RESOLVED}
URGENCY_PREFIX, MARKET_PREFIX, CATEGORY_PREFIX = "urgency-", "market-", "category-"
_STRUCTURAL = (URGENCY_PREFIX, MARKET_PREFIX, CATEGORY_PREFIX)
_ISSUE_ID = re.compile(r"[0-9]{1,20}")
_ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,99}-[0-9]{1,12}")
MAX_SUMMARY = 1_000
MAX_LABELS = 100
MAX_FACTS = 100
MAX_FACT_CHARS = 4_000
RENDER_CHARS = 4 * MAX_BODY  # of a description's ADF tree (its walk is bounded)
_decode = msgspec.json.Decoder()


def parse_time(value: Any, what: str) -> datetime:
    """Jira's `2024-05-01T10:05:51.199+0000` (or any ISO 8601 with an offset)."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(f"{what} is missing or not a timestamp")
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a timestamp") from None
    if dt.tzinfo is None:
        raise ValueError(f"{what} {value!r} has no time zone")
    if not 1970 <= dt.year <= 9000:
        raise ValueError(f"{what} {value!r} is out of range")
    return dt


def to_ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def _description(doc: Any) -> str:
    """The description as text. A long one is cut where every body is (the domain's
    Escalation), which says by how much; past RENDER_CHARS the tree is not walked on,
    so its length is only known to be more."""
    text = adf_to_text(doc, RENDER_CHARS)
    if not text.endswith(TRUNCATED):
        return text
    kept = text[: -len(TRUNCATED)].rstrip()
    return cut_text(kept, source_chars=len(kept), extent=Extent.MORE_THAN)


def _obj(value: Any, what: str, optional: bool = True) -> dict[str, Any]:
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not an object")
    return value


def _name(value: Any, what: str) -> str:
    name = _obj(value, what).get("name")
    if name is not None and not isinstance(name, str):
        raise ValueError(f"{what}.name is not text")
    return name or ""


def split_labels(labels: list[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """(structural labels by prefix, the remaining labels as tags)."""
    special: dict[str, str] = {}
    tags = []
    for label in labels:
        prefix = next((p for p in _STRUCTURAL if label.lower().startswith(p)), None)
        if prefix:
            special.setdefault(prefix, label[len(prefix):])
        else:
            tags.append(label)
    return special, tuple(tags)


def merged_labels(current: Any, todo: dict[str, Any]) -> list[str]:
    """The issue's new labels: every structural one (market-, category-, urgency-) kept,
    urgency- replaced when urgency changes, and the tags."""
    labels = [x for x in current if isinstance(x, str)] if isinstance(current, list) else []
    _, tags = split_labels(labels)
    kept = [x for x in labels if x.lower().startswith(_STRUCTURAL)]
    if "urgency" in todo:
        kept = [x for x in kept if not x.lower().startswith(URGENCY_PREFIX)]
        kept.append(URGENCY_PREFIX + todo["urgency"])
    return sorted(set(kept) | set(todo.get("tags", tags)))


def _labels(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_LABELS or not all(
            isinstance(v, str) and v and len(v) <= 255 and not any(c.isspace() for c in v)
            for v in value):
        raise ValueError("labels are not a list of short words")
    return value


def _try(fn: Callable[[str], _V], text: str, default: _V) -> _V:
    try:
        return fn(text)
    except (ValueError, KeyError):
        return default


def _status(fields: dict[str, Any], cfg: JiraSettings) -> Status:
    status = _obj(fields.get("status"), "status", optional=False)
    name = _name(status, "status")
    mapped = cfg.status_of(name)
    if mapped is None:
        category = _obj(status.get("statusCategory"), "status.statusCategory").get("key")
        mapped = _CATEGORY_STATUS.get(category) if isinstance(category, str) else None
    if mapped is None:
        raise ValueError(f"status {name[:60]!r} is not in the status mapping and has no "
                         "status category")
    return mapped


def _person(value: Any, what: str) -> tuple[str | None, str]:
    """(accountId, display name) of a user object, or (None, "")."""
    user = _obj(value, what)
    account, display = user.get("accountId"), user.get("displayName")
    if account is not None and (not isinstance(account, str) or not 0 < len(account) <= 128):
        raise ValueError(f"{what}.accountId is not an account id")
    return account, display if isinstance(display, str) else ""


def _due(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise ValueError(f"duedate {str(value)[:40]!r} is not a date")
    return datetime.combine(day, time(23, 59), UTC)


def _facts(value: Any) -> tuple[Fact, ...]:
    """Comments as timeline facts; a malformed comment is skipped, not fatal."""
    comments = _obj(value, "comment").get("comments")
    facts = []
    for c in comments[-MAX_FACTS:] if isinstance(comments, list) else []:
        if not isinstance(c, dict):
            continue
        try:
            at = parse_time(c.get("created"), "comment created")
            _, author = _person(c.get("author"), "comment author")
        except ValueError:
            continue
        text = adf_to_text(c.get("body"), MAX_FACT_CHARS)
        facts.append(Fact(at, f"{author or 'Someone'}: {text}"[:MAX_FACT_CHARS]))
    return tuple(facts)


def to_record(issue: dict[str, Any], cfg: JiraSettings) -> Escalation:
    """Validate one issue object; ValueError says what is wrong."""
    issue_id, key = issue.get("id"), issue.get("key")
    if not isinstance(issue_id, str) or not _ISSUE_ID.fullmatch(issue_id):
        raise ValueError("id is missing or not a Jira issue id")
    if not isinstance(key, str) or not _ISSUE_KEY.fullmatch(key):
        raise ValueError("key is missing or not a Jira issue key")
    fields = _obj(issue.get("fields"), "fields", optional=False)
    summary = fields.get("summary")
    if not isinstance(summary, str) or len(summary) > MAX_SUMMARY:
        raise ValueError("summary is missing, not text or too long")
    updated = parse_time(fields.get("updated"), "updated")
    labels = _labels(fields.get("labels"))
    special, tags = split_labels(labels)
    market = _try(normalize_market, special.get(MARKET_PREFIX, ""), cfg.market)
    assignee, _ = _person(fields.get("assignee"), "assignee")
    reporter_id, reporter = _person(fields.get("reporter"), "reporter")
    return Escalation(
        external_id=issue_id, remote_version=to_ms(updated),
        title=f"{key}: {summary}", body=_description(fields.get("description")),
        reporter=reporter or reporter_id or "", reporter_type=cfg.reporter_type,
        category=_try(PolicyCategory, special.get(CATEGORY_PREFIX, "").lower(),
                      cfg.category),
        market=market, region=region_of(market), language=cfg.language,
        severity=cfg.severity_of(_name(fields.get("priority"), "priority")),
        urgency=_try(Urgency.parse, special.get(URGENCY_PREFIX, ""), cfg.urgency),
        status=_status(fields, cfg),
        created_at=parse_time(fields.get("created"), "created"), updated_at=updated,
        assignee=assignee, tags=tags, deadline_at=_due(fields.get("duedate")),
        content_url=f"{cfg.site}/browse/{key}", facts=_facts(fields.get("comment")),
    )


def identity(issue: Any) -> tuple[str, int] | None:
    """(id, updated ms) of an issue object, if it has them, even when it is invalid."""
    try:
        fields = issue["fields"]
        issue_id = issue["id"]
        if isinstance(issue_id, str) and _ISSUE_ID.fullmatch(issue_id):
            return issue_id, to_ms(parse_time(fields["updated"], "updated"))
    except (KeyError, TypeError, ValueError, OverflowError):
        pass
    return None


def validate(raw: bytes, cfg: JiraSettings) -> tuple[Incoming | Quarantined,
                                                      tuple[str, int] | None]:
    """One raw issue -> (Incoming or Quarantined, its identity for the cursor)."""
    text = raw.decode("utf-8", errors="replace")
    try:
        issue = _decode.decode(raw)
    except RecursionError:
        return Quarantined.of(None, "the issue is nested too deeply", text), None
    except msgspec.DecodeError as exc:
        return Quarantined.of(None, f"the issue is not JSON ({exc})", text), None
    ident = identity(issue)
    ext = ident[0] if ident else None
    if not isinstance(issue, dict):
        return Quarantined.of(ext, "the issue is not a JSON object", text), ident
    try:
        record = to_record(issue, cfg)
    except (ValueError, OverflowError) as exc:
        return Quarantined.of(ext, str(exc) or type(exc).__name__, text), ident
    return Incoming(record, hashlib.blake2b(raw, digest_size=16).hexdigest()), ident
