"""The client of the platform's escalation service (see the package docstring for the
contract it relies on), or of the team hub serving the same API (docs/hub.md).

Every request names this desktop (`X-RR-Desktop`, the id kept in the cache): the hub
records it with each write. `idle_wait` long-polls the hub's changes feed on a session of
its own (head_watch.py) so the GUI syncs the channel within a second of a change."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import msgspec
import requests

from ...domain import Analyst, Incoming, Quarantined
from ...domain.push import EVERYTHING
from ...http import redact
from ..contract import (
    ChannelError,
    IncidentPage,
    MalformedPage,
    Mutation,
    Page,
    PostmortemPage,
    PushResult,
    Rejected,
    ServerError,
    TeamPlaybookSet,
    VersionConflict,
)
from ..transport import Transport, path_segment
from .head_watch import NO_PUSH_RECHECK_S, HeadWatch
from .incidents import pull_events, push_event
from .playbooks import delete_playbook, pull_playbooks, put_playbook
from .postmortems import pull_postmortems, put_postmortem
from .records import as_text, decode_page, object_decoder, validate

PAGE_SIZE = 500
DESKTOP_HEADER = "X-RR-Desktop"  # the hub's name for it (rr_desktop/hub/caller.py)
# Outbox message kinds and the collection each is posted to (openapi.yaml).
_MESSAGE_PATHS = {"note": "notes", "reply": "replies"}


class _Analyst(msgspec.Struct):
    id: str
    name: str
    email: str = ""
    languages: list[str] = []
    markets: list[str] = []


class _Analysts(msgspec.Struct):
    items: list[_Analyst]


class RrApiChannel:
    """Client of the platform escalation service; one instance per configured channel.
    Its source receives every kind of change (openapi.yaml)."""

    pushes = EVERYTHING

    def __init__(self, name: str, base_url: str, token: str, page_size: int = PAGE_SIZE,
                 session: requests.Session | None = None,
                 desktop_id: str | None = None) -> None:
        self.name = name
        self._base = base_url.rstrip("/")
        self._page_size = page_size
        self._http = Transport(name, base_url, session, hook=self._wrong_url)
        self._http.session.headers["Authorization"] = f"Bearer {token}"
        self._watch: HeadWatch | None = None
        self._watch_lock = threading.Lock()
        self._closed = False
        self._no_playbooks_until = 0.0  # a server without team playbooks, asked lately
        if desktop_id:
            self.name_desktop(desktop_id)

    def name_desktop(self, desktop_id: str) -> None:
        """Send `X-RR-Desktop: desktop_id` with every request (contract.NamesDesktop)."""
        self._http.session.headers[DESKTOP_HEADER] = desktop_id

    def close(self) -> None:
        with self._watch_lock:
            self._closed = True
            watch, self._watch = self._watch, None
        if watch is not None:
            watch.close()
        self._http.close()

    def idle_wait(self, timeout_s: float) -> bool:
        """Block up to `timeout_s` for the hub's changes feed to move; True when it did
        (contract.MailboxWatch). A service without the route sleeps the time out."""
        with self._watch_lock:
            if self._closed:
                return False
            if self._watch is None:
                headers = {k: v if isinstance(v, str) else v.decode("latin-1")
                           for k, v in self._http.session.headers.items()}
                self._watch = HeadWatch(self.name, self._base, headers)
            watch = self._watch
        return watch.wait(timeout_s)

    @property
    def watched_head(self) -> int | None:
        """The hub's feed head `idle_wait` last saw (None before it asked)."""
        watch = self._watch
        return None if watch is None else watch.head

    def _call(self, method: str, path: str, write: bool = False,
              **kwargs: Any) -> requests.Response:
        return self._http.call(method, path, write, ok=(412,), **kwargs)

    def _wrong_url(self, resp: requests.Response) -> None:
        if resp.status_code == 403 and b'"forbidden"' in resp.content[:200]:
            # A team hub refusing a write outside the analyst's role (docs/hub.md, "Roles"):
            # this change is refused, the token is fine.
            try:
                why = str(object_decoder.decode(resp.content).get("message", ""))[:300]
            except (msgspec.DecodeError, AttributeError):
                why = ""
            raise Rejected(f"{self.name}: the hub refused this change: "
                           f"{why or 'not allowed for your role'}")
        if resp.status_code == 404 and resp.request.method == "GET" and \
                "/v1/escalations?" in (resp.request.path_url or ""):
            raise Rejected(f"{self.name}: {redact(self._base)} is not an escalation service "
                           "(404 for /v1/escalations): check the URL")

    def pull(self, cursor: str | None) -> Page:
        params: dict[str, str | int] = {"limit": self._page_size}
        if cursor:
            params["cursor"] = cursor
        resp = self._call("GET", "/v1/escalations", params=params)
        try:
            page, raws = decode_page(resp.content)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise MalformedPage(
                f"{self.name}: the server sent a malformed page ({exc})",
                Quarantined.of(None, f"malformed page: {exc}", as_text(resp.content))) from exc
        items: list[Incoming] = []
        bad: list[Quarantined] = []
        for raw in raws:
            result = validate(raw)
            (items if isinstance(result, Incoming) else bad).append(result)  # type: ignore[arg-type]
        return Page(items, bad, page.next_cursor, not page.has_more, page.server_time)

    @staticmethod
    def cursor_position(cursor: str) -> int | None:
        """Where a cursor points in the server's change sequence: the service's cursors
        are "<instance>.<sequence number>" (opaque by contract; used only to notice a
        cursor that goes backwards)."""
        _, dot, seq = cursor.rpartition(".")
        return int(seq) if dot and seq.isdigit() and len(seq) <= 18 else None

    def check(self) -> None:
        """Test the connection and credentials (one 1-item page); raises a ChannelError
        whose message is the verdict (auth failed, unreachable, TLS error, wrong URL)."""
        resp = self._call("GET", "/v1/escalations", params={"limit": 1})
        try:
            decode_page(resp.content)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise Rejected(f"{self.name}: {redact(self._base)} answered, but not like an "
                           "escalation service: check the URL") from exc

    def fetch(self, external_id: str) -> Incoming:
        resp = self._call("GET", f"/v1/escalations/{path_segment(external_id)}")
        return self._incoming(resp.content)

    def _incoming(self, raw: bytes) -> Incoming:
        result = validate(raw)
        if isinstance(result, Quarantined):
            raise ServerError(f"{self.name}: the server sent an invalid record: {result.reason}")
        return result

    def push(self, mutation: Mutation) -> PushResult:
        path = f"/v1/escalations/{path_segment(mutation.external_id)}"
        if mutation.op_type == "update":
            body = {**mutation.payload, **{k: v for k, v in mutation.context.items()
                                           if k in ("status_reason", "duplicate_of")}}
            resp = self._call("PATCH", path, write=True, json=body,
                              headers={"If-Match": f'"{mutation.base_version}"'})
            if resp.status_code == 412:
                current = msgspec.json.encode(object_decoder.decode(resp.content).get("current"))
                raise VersionConflict(f"{self.name}: changed on the server meanwhile",
                                      self._incoming(current))
            incoming = self._incoming(resp.content)
            return PushResult(incoming.record.remote_version, incoming)
        if mutation.op_type == "fact":  # joins the record's facts: a new version
            resp = self._call("POST", f"{path}/facts", write=True, json=mutation.payload,
                              headers={"Idempotency-Key": mutation.op_id})
            incoming = self._incoming(resp.content)
            return PushResult(incoming.record.remote_version, incoming)
        if mutation.op_type in _MESSAGE_PATHS:
            self._call("POST", f"{path}/{_MESSAGE_PATHS[mutation.op_type]}", write=True,
                       json=mutation.payload, headers={"Idempotency-Key": mutation.op_id})
            return PushResult(None)
        raise ChannelError(f"{self.name}: cannot push a {mutation.op_type!r}")

    def analysts(self) -> list[Analyst]:
        resp = self._call("GET", "/v1/analysts")
        try:
            data = msgspec.json.decode(resp.content, type=_Analysts)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise ServerError(f"{self.name}: malformed analyst list ({exc})") from exc
        return [Analyst(a.id, a.name, a.email, tuple(a.languages), tuple(a.markets))
                for a in data.items]

    def push_incident_event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Append one event to the service's incident log (contract.IncidentLog)."""
        return push_event(self._http, event)

    def pull_incident_events(self, after: int, limit: int) -> IncidentPage:
        """The incident log's events after `after` (contract.IncidentLog)."""
        return pull_events(self._http, after, limit)

    def put_postmortem(self, uid: str, body: Mapping[str, Any],
                       if_match: int | None) -> dict[str, Any]:
        """Store one post-mortem on the service (contract.PostmortemStore)."""
        return put_postmortem(self._http, uid, body, if_match)

    def pull_postmortems(self, after: int, limit: int) -> PostmortemPage:
        """The post-mortems changed on the service after `after` (contract.PostmortemStore)."""
        return pull_postmortems(self._http, after, limit)

    def pull_playbooks(self, known_tag: str | None = None) -> TeamPlaybookSet | None:
        """The team hub's playbook files; None when the server keeps none
        (contract.TeamPlaybooks). A server without the route (the reference service) is
        remembered, like the missing wait route, and asked again after NO_PUSH_RECHECK_S:
        not one 404 more on every sync run."""
        if time.monotonic() < self._no_playbooks_until:
            return None
        found = pull_playbooks(self._http, known_tag)
        if found is None:
            self._no_playbooks_until = time.monotonic() + NO_PUSH_RECHECK_S
        return found

    def put_playbook(self, name: str, text: str, if_match: int | None) -> dict[str, Any]:
        """A lead's edit of a team playbook file (contract.TeamPlaybooks)."""
        return put_playbook(self._http, name, text, if_match)

    def delete_playbook(self, name: str, if_match: int | None = None) -> None:
        """A lead's removal of a team playbook file (contract.TeamPlaybooks)."""
        delete_playbook(self._http, name, if_match)
