"""Push for the Jira channel: field updates by read-compare-write (Jira has no conditional
update) and transitions, notes and replies as comments carrying the op id (see the
package docstring for the documented calls)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...domain import Severity, Status, Urgency
from ..contract import Mutation, PushResult, Rejected, VersionConflict, wire_value
from .adf import text_to_adf
from .api import issue_path
from .records import merged_labels

if TYPE_CHECKING:
    from .client import JiraChannel


OP_PROPERTY = "rr-desktop.op"
EDITABLE = ("status", "assignee", "severity", "urgency", "tags")


def checked_value(name: str, field: str, value: Any) -> Any:
    """An outbox field value in wire form, or Rejected with the reason."""
    try:
        if field == "status":
            return Status(value).value
        if field == "severity":
            return Severity.parse(str(value)).name
        if field == "urgency":
            return Urgency.parse(str(value)).name
    except ValueError:
        raise Rejected(f"{name}: {value!r} is not a valid {field}") from None
    if field == "assignee" and not (value is None or (isinstance(value, str) and
                                    0 < len(value) <= 128)):
        raise Rejected(f"{name}: the assignee must be a Jira account id")
    if field == "tags" and not (isinstance(value, list) and all(
            isinstance(t, str) and 0 < len(t) <= 255 and not any(c.isspace() for c in t)
            for t in value)):
        raise Rejected(f"{name}: Jira labels are single words without spaces")
    return value


def same(field: str, a: Any, b: Any) -> bool:
    if field == "tags" and isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return sorted(map(str, a)) == sorted(map(str, b))
    return bool(a == b)


class JiraWrites:
    """The writes of one JiraChannel."""

    def __init__(self, channel: JiraChannel) -> None:
        self.ch = channel

    def push(self, mutation: Mutation) -> PushResult:
        if mutation.op_type == "update":
            return self._update(mutation)
        if mutation.op_type in ("note", "reply"):
            return self._comment(mutation)
        raise Rejected(f"{self.ch.name}: Jira cannot take a {mutation.op_type!r} change")

    def _update(self, m: Mutation) -> PushResult:
        """Read-compare-write: Jira has no conditional update, so the issue is read first
        and a field the source changed away from `base` is a VersionConflict."""
        unknown = sorted(set(m.payload) - set(EDITABLE))
        if unknown:
            raise Rejected(f"{self.ch.name}: Jira cannot change {', '.join(unknown)}")
        wanted = {f: checked_value(self.ch.name, f, v) for f, v in m.payload.items()}
        fields, current = self.ch.read(m.external_id)
        theirs = {f: wire_value(current.record, f) for f in wanted}
        if "status" in wanted and self._holds(fields, Status(wanted["status"])):
            # The issue is in a Jira status ours is written as, though it reads back as
            # another of ours (Done=resolved,Done=declined): our change is there already
            # (a replay after a lost answer), not a change someone else made.
            theirs["status"] = wanted["status"]
        clash = [f for f in wanted if f in m.base and not same(f, theirs[f], m.base[f])
                 and not same(f, theirs[f], wanted[f])]
        if clash:
            raise VersionConflict(f"{self.ch.name}: the issue changed in Jira meanwhile "
                                  f"({', '.join(clash)})", current)
        todo = {f: v for f, v in wanted.items() if not same(f, theirs[f], v)}
        if not todo:
            return PushResult(current.record.remote_version, current)
        edit: dict[str, Any] = {}
        if "severity" in todo:
            priority = self.ch.settings.priority_for(Severity.parse(todo["severity"]))
            if priority is None:
                raise Rejected(f"{self.ch.name}: no Jira priority is mapped to "
                               f"{todo['severity']}; add one to the priority mapping")
            edit["priority"] = {"name": priority}
        if "tags" in todo or "urgency" in todo:
            edit["labels"] = merged_labels(fields.get("labels"), todo)
        path = issue_path(m.external_id)
        if "assignee" in todo:
            self.ch.http.call("PUT", f"{path}/assignee", write=True,
                            json={"accountId": todo["assignee"]})
        if edit:
            self.ch.http.call("PUT", path, write=True, json={"fields": edit})
        if "status" in todo:
            self._transition(path, Status(todo["status"]), current.record.status)
        after = self.ch.fetch(m.external_id)
        return PushResult(after.record.remote_version, after)

    def _holds(self, fields: Mapping[str, Any], status: Status) -> bool:
        """Whether the issue's Jira status is one `status` is mapped to."""
        current = fields.get("status")
        name = current.get("name") if isinstance(current, dict) else None
        return isinstance(name, str) and self.ch.settings.maps_to(name, status)

    def _transition(self, path: str, target: Status, now: Status) -> None:
        """GET the transitions Jira offers now; take the one whose target status is
        mapped to `target` (earliest in the mapping wins); POST it."""
        data = self.ch.decoded(self.ch.http.call("GET", f"{path}/transitions"), "transition list")
        options = data.get("transitions") if isinstance(data, dict) else None
        ranked: list[tuple[int, str]] = []
        offered: set[str] = set()
        for t in options if isinstance(options, list) else []:
            to = t.get("to") if isinstance(t, dict) else None
            name = to.get("name") if isinstance(to, dict) else None
            if not isinstance(name, str) or not isinstance(t.get("id"), str):
                continue
            offered.add(name[:60])
            rank = next((i for i, (n, s) in enumerate(self.ch.settings.status_map)
                         if n.casefold() == name.casefold() and s == target), None)
            if rank is not None:
                ranked.append((rank, t["id"]))
        if not ranked:
            raise Rejected(f"{self.ch.name}: Jira offers no transition from {now.label!r} to a "
                           f"status mapped to {target.label!r} (offered: "
                           f"{', '.join(sorted(offered)) or 'none'}); adjust the status "
                           "mapping or the workflow")
        self.ch.http.call("POST", f"{path}/transitions", write=True,
                        json={"transition": {"id": min(ranked)[1]}})

    def _comment(self, m: Mutation) -> PushResult:
        """POST an ADF comment carrying the op id as a comment property, unless a recent
        comment already carries it (the replay of a send whose response was lost)."""
        text = m.payload.get("text")
        if not isinstance(text, str) or not text.strip():
            raise Rejected(f"{self.ch.name}: a Jira comment needs text")
        path = f"{issue_path(m.external_id)}/comment"
        if not self._posted(path, m.op_id):
            body: dict[str, Any] = {"body": text_to_adf(text), "properties": [
                {"key": OP_PROPERTY, "value": {"opId": m.op_id}}]}
            if m.op_type == "note" and self.ch.note_visibility:
                body["visibility"] = self.ch.note_visibility
            self.ch.http.call("POST", path, write=True, json=body)
        after = self.ch.fetch(m.external_id)
        return PushResult(after.record.remote_version, after)

    def _posted(self, path: str, op_id: str) -> bool:
        data = self.ch.decoded(self.ch.http.call("GET", path, params={
            "orderBy": "-created", "maxResults": 50}), "comment list")
        comments = data.get("comments") if isinstance(data, dict) else None
        ids = [int(c["id"]) for c in comments if isinstance(c, dict) and
               isinstance(c.get("id"), str) and c["id"].isdigit()] \
            if isinstance(comments, list) else []
        if not ids:
            return False
        found = self.ch.decoded(self.ch.http.call("POST", "/rest/api/3/comment/list",
                                           params={"expand": "properties"},
                                           json={"ids": ids}), "comment list")
        values = found.get("values") if isinstance(found, dict) else None
        for c in values if isinstance(values, list) else []:
            props = c.get("properties") if isinstance(c, dict) else None
            for p in props if isinstance(props, list) else []:
                value = p.get("value") if isinstance(p, dict) else None
                if isinstance(value, dict) and p.get("key") == OP_PROPERTY and \
                        value.get("opId") == op_id:
                    return True
        return False
