"""Write-back of a `RestChannel`: field updates, notes and replies, as the config says.

Updates are read-compare-write: the record is read from the item endpoint, every field the
analyst changed must still hold the value the analyst saw (`Mutation.base`), else the
engine gets `VersionConflict` with the record as the server has it. The write itself is
conditional when the server allows it (RFC 9110 13.1.1 If-Match with the ETag of that read,
or with the record's version value); a 412 Precondition Failed (RFC 9110 15.5.13) means it
changed in between and is a conflict too. What the config does not describe is refused
with a sentence saying so.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from ...domain import Incoming, Severity, Status, Urgency
from ..contract import MalformedPage, Mutation, PushResult, Rejected, VersionConflict, wire_value
from .api import url_for
from .config import MessageWrite, UpdateWrite
from .jsonpath import MISSING

if TYPE_CHECKING:
    from .client import RestChannel

_PLACEHOLDER = re.compile(r"\{(text|author|op_id|id)\}")


def render(template: Any, values: dict[str, str]) -> Any:
    """A JSON body template with {text}, {author}, {op_id}, {id} filled in (one pass:
    a placeholder inside a filled-in value stays as it is)."""
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
    if isinstance(template, dict):
        return {k: render(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, values) for v in template]
    return template


class Writer:
    """Pushes outbox ops for one RestChannel."""

    def __init__(self, channel: RestChannel) -> None:
        self.ch = channel
        self.name = channel.name

    def push(self, m: Mutation) -> PushResult:
        if m.op_type == "update":
            up = self.ch.cfg.write.update
            if up is None:
                raise Rejected(f"{self.name}: the config has no write-back endpoint "
                               "(write.update), so changes cannot be sent to this tool")
            return self._update(up, m)
        if m.op_type in ("note", "reply"):
            msg = getattr(self.ch.cfg.write, m.op_type)
            if msg is None:
                raise Rejected(f"{self.name}: this tool takes no {m.op_type}s (the config "
                               f"has no write.{m.op_type}); the {m.op_type} was not sent")
            return self._message(msg, m)
        raise Rejected(f"{self.name}: cannot send a {m.op_type!r} to this tool")

    def _remote(self, field: str, value: Any) -> Any:
        if field in ("status", "severity", "urgency"):
            local: Any = Status(value) if field == "status" else \
                (Severity.parse(value) if field == "severity" else Urgency.parse(value))
            try:
                return self.ch.item_mapper.enums[field].remote(local)
            except KeyError:
                raise Rejected(f"{self.name}: {field} {value!r} has no value in this tool "
                               f"(nothing in values.{field} maps to it)") from None
        if field == "tags":
            return list(value or [])
        return value

    def _update(self, up: UpdateWrite, m: Mutation) -> PushResult:
        missing = [f for f in m.payload if f not in up.fields]
        if missing:
            raise Rejected(f"{self.name}: the config cannot write {', '.join(missing)} back "
                           "to this tool (see write.update.fields)")
        body = copy.deepcopy(up.body)
        for field, value in m.payload.items():
            self.ch.path(up.fields[field]).set(body, self._remote(field, value))
        record, read = self.ch.item_doc(m.external_id)
        current = self.ch.incoming(record)
        changed = [f for f in m.payload if wire_value(current.record, f) != m.base.get(f)]
        if changed:
            raise VersionConflict(f"{self.name}: {', '.join(changed)} changed on the server "
                                  "meanwhile", current)
        headers: dict[str, str] = {}
        if up.conditional == "etag":
            etag = read.headers.get("ETag")
            if not etag:
                raise Rejected(f"{self.name}: the item endpoint sends no ETag, so the write "
                               "cannot be conditional: set write.update.conditional to "
                               "\"version\" or \"none\"")
            headers["If-Match"] = etag
        elif up.conditional == "version":
            path = self.ch.item_mapper.version or self.ch.item_mapper.paths["updated_at"]
            raw = path.get(record) if path is not None else MISSING
            headers["If-Match"] = up.version_etag.replace("{version}", str(raw))
        resp = self.ch.send(up.method, url_for(up.path, m.external_id), write=True,
                            ok=(412,), json=body, headers=headers)
        if resp.status_code == 412:
            raise VersionConflict(f"{self.name}: changed on the server meanwhile",
                                  self.ch.fetch(m.external_id))
        incoming = self._returned(up, resp) or self.ch.fetch(m.external_id)
        return PushResult(incoming.record.remote_version, incoming)

    def _returned(self, up: UpdateWrite, resp: Any) -> Incoming | None:
        if not up.returns_item or not resp.content:
            return None
        try:
            doc = self.ch.json(resp, "write answer")
        except MalformedPage:
            return None
        result = self.ch.validate(self.ch.path(up.item).get(doc), self.ch.item_mapper,
                                  self.ch.item_follow)
        return result if isinstance(result, Incoming) else None

    def _message(self, msg: MessageWrite, m: Mutation) -> PushResult:
        values = {"text": str(m.payload.get("text", "")),
                  "author": str(m.payload.get("author", "")),
                  "op_id": m.op_id, "id": m.external_id}
        headers = {msg.idempotency_header: m.op_id} if msg.idempotency_header else {}
        self.ch.send(msg.method, url_for(msg.path, m.external_id), write=True,
                     json=render(msg.body, values), headers=headers)
        return PushResult(None)
