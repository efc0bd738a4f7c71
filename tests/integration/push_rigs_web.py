"""Push-matrix rigs of the channels that write over HTTP: the platform's reference
service in its own process, the Zendesk and Jira fakes of their documented shapes, a
plain JSON tool (the shipped example-rest.json) and a real Roundup tracker (the shipped
example-roundup.json). Each reads its server's state directly (see push_rig.SourceView)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, ClassVar

from tests.integration.push_rig import Rig, SourceView, canonical
from tests.peers.jira_server import EMAIL, TOKEN, JiraFake, adf
from tests.peers.reference_service import ReferenceService
from tests.peers.rest_server import TOKEN as REST_TOKEN
from tests.peers.rest_server import rest_server
from tests.peers.roundup import ADMIN_PASSWORD, RoundupTracker
from tests.peers.zendesk_server import ADMIN_ID, AGENT_ID, ZendeskServer

RESOURCES = Path(__file__).resolve().parents[2] / "resources" / "channels"
N = 20


class RrApiRig(Rig):
    """The platform's escalation service (`rr-desktop demo-server`, its own process)."""

    kind = "rr_api"
    variant = "rr_api"
    analyst = "budi"

    @classmethod
    def offline(cls) -> tuple[dict[str, str], dict[str, str]]:
        return {"base_url": "http://127.0.0.1:9"}, {"token": "t"}

    def serve(self) -> tuple[dict[str, str], dict[str, str]]:
        self.svc = self.stack.enter_context(ReferenceService(count=300))
        fresh = [r["id"] for r in self.svc.get("/v1/escalations", limit=1000)["items"]
                 if r["status"] == "new" and not r.get("assignee")]
        self.items = fresh[-N:]
        return {"base_url": self.svc.url}, {"token": self.svc.token}

    def view(self, external_id: str) -> SourceView:
        record = self.svc.record(external_id)
        notes, replies = self.svc.notes(external_id), self.svc.replies(external_id)
        history = self.svc.get(f"/v1/escalations/{external_id}/history")["items"]
        return SourceView(
            canonical({"record": record, "notes": notes, "replies": replies,
                       "history": history}),
            {k: record.get(k) for k in ("status", "severity", "urgency", "assignee",
                                        "status_reason", "duplicate_of")}
            | {"tags": list(record.get("tags") or [])},
            {"note": [n["text"] for n in notes], "reply": [r["text"] for r in replies],
             "fact": [f["text"] for f in record.get("facts") or []]},
            len(history))

    def expect(self, field: str, value: Any) -> Any:
        return value  # the service speaks the app's vocabulary (openapi.yaml)


ZD_STATUS = {"new": "new", "triaged": "open", "investigating": "open", "contained": "open",
             "waiting_on_partner": "pending", "waiting_on_stakeholder": "hold",
             "resolved": "solved", "duplicate": "solved", "declined": "solved",
             "closed": "closed"}
ZD_PRIORITY = {"U0": "urgent", "U1": "high", "U2": "normal", "U3": "low"}


class ZendeskRig(Rig):
    """Zendesk Support (the fake of its documented API, tests/peers/zendesk_server.py)."""

    kind = "zendesk"
    variant = "zendesk"
    analyst = str(AGENT_ID)

    @classmethod
    def offline(cls) -> tuple[dict[str, str], dict[str, str]]:
        return {"base_url": "http://127.0.0.1:9", "email": "a@example.com"}, {"token": "t"}

    def serve(self) -> tuple[dict[str, str], dict[str, str]]:
        self.zd = self.stack.enter_context(ZendeskServer())
        self.items = [str(self.zd.state.add_ticket(f"Report {i}: harmful video",
                                                   f"Partner report {i}"))
                      for i in range(N)]
        return ({"base_url": self.zd.url, "email": self.zd.email},
                {"token": self.zd.token})

    def view(self, external_id: str) -> SourceView:
        tid = int(external_id)
        with self.zd.state.lock:
            ticket = json.loads(canonical(self.zd.state.tickets[tid]))
            comments = json.loads(canonical(self.zd.state.comments[tid]))
            writes = self.zd.state.puts[tid]
        tags = [t for t in ticket["tags"] if not t.startswith("severity_")]
        ours = [c for c in comments if c["author_id"] == ADMIN_ID]
        return SourceView(
            canonical({"ticket": ticket, "comments": comments}),
            {"status": ticket["status"], "urgency": ticket["priority"],
             "severity": next((t for t in ticket["tags"] if t.startswith("severity_")), None),
             "assignee": None if ticket["assignee_id"] is None else str(ticket["assignee_id"]),
             "tags": tags},
            {"note": [c["body"] for c in ours if not c["public"]],
             "reply": [c["body"] for c in ours if c["public"]]},
            writes)

    def expect(self, field: str, value: Any) -> Any:
        return {"status": lambda: ZD_STATUS[value], "urgency": lambda: ZD_PRIORITY[value],
                "severity": lambda: f"severity_{value.lower()}",
                "tags": lambda: [t.lower() for t in value]}.get(field, lambda: value)()


def adf_text(node: Any) -> str:
    if isinstance(node, dict):
        return str(node.get("text", "")) + "".join(adf_text(c) for c in
                                                   node.get("content") or [])
    return ""


class JiraRig(Rig):
    """Jira Cloud (the fake of REST v3, tests/peers/jira_server.py) with the default
    status mapping, on the fake's simplified workflow (To Do, In Progress, Done): the
    statuses it cannot reach are refused with Jira's offer in the sentence."""

    kind = "jira"
    variant = "jira"
    analyst = "acc-lee"
    status_map: ClassVar[str] = ""
    refuses: ClassVar[dict[str, str]] = {
        "accept": "Jira offers no transition from 'new' to a status mapped to 'triaged'",
        "decline": "Jira offers no transition from 'new' to a status mapped to 'declined'",
        "duplicate": "Jira offers no transition from 'new' to a status mapped to "
                     "'duplicate'"}
    statuses: ClassVar[dict[str, str]] = {"resolved": "Done"}

    @classmethod
    def offline(cls) -> tuple[dict[str, str], dict[str, str]]:
        config = {"site_url": "http://127.0.0.1:9", "email": EMAIL, "projects": "LEGAL",
                  "note_visibility": "role:Administrators"}
        return config | ({"status_map": cls.status_map} if cls.status_map else {}), \
            {"api_token": TOKEN}

    def serve(self) -> tuple[dict[str, str], dict[str, str]]:
        self.jira = self.stack.enter_context(JiraFake())
        self.items = [self.jira.add(f"Takedown request {i}",
                                    description=adf(f"Details of request {i}"))
                      for i in range(N)]
        config, secrets = self.offline()
        return config | {"site_url": self.jira.url, "default_market": "SG"}, secrets

    def view(self, external_id: str) -> SourceView:
        with self.jira.lock:
            issue = dataclasses.asdict(self.jira.issues[external_id])
            writes = sum(self.jira.count(external_id, w)
                         for w in ("edit", "assignee", "transition", "comment"))
        labels = issue["labels"]
        ours = [c for c in issue["comments"] if c["author"]["accountId"] == "acc-ana"]
        return SourceView(
            canonical(issue),
            {"status": issue["status"], "severity": issue["priority"],
             "assignee": issue["assignee"],
             "urgency": next((x[len("urgency-"):] for x in labels
                              if x.startswith("urgency-")), None),
             "tags": [x for x in labels if not x.startswith(("urgency-", "market-",
                                                              "category-"))]},
            {"note": [adf_text(c["body"]) for c in ours if c["visibility"]],
             "reply": [adf_text(c["body"]) for c in ours if not c["visibility"]]},
            writes)

    def expect(self, field: str, value: Any) -> Any:
        if field == "status":
            return self.statuses[value]
        if field == "severity":
            return {"S0": "Highest", "S1": "High", "S2": "Medium", "S3": "Low"}[value]
        return value


class JiraMappedRig(JiraRig):
    """Jira with its simplified workflow mapped by the team (what the refusal of the
    default mapping asks them to do): accept, decline and duplicate reach it."""

    variant = "jira (workflow mapped)"
    status_map = ("To Do=new,In Progress=triaged,In Progress=investigating,Done=resolved,"
                  "Done=declined,Done=duplicate,Done=closed")
    refuses: ClassVar[dict[str, str]] = {}
    statuses: ClassVar[dict[str, str]] = {"triaged": "In Progress", "resolved": "Done",
                                          "declined": "Done", "duplicate": "Done"}


def shipped_config(name: str, path: Path, **changes: Any) -> Path:
    doc = json.loads((RESOURCES / name).read_text())
    doc.update(changes)
    path.write_text(json.dumps(doc))
    return path


class RestRig(Rig):
    """A plain JSON tool (tests/peers/rest_server.py) through the shipped
    resources/channels/example-rest.json: its `values.status` has no word for
    "duplicate", so a duplicate is refused with a sentence saying so."""

    kind = "rest"
    variant = "rest (example-rest.json)"
    refuses: ClassVar[dict[str, str]] = {
        "duplicate": "status 'duplicate' has no value in this tool"}

    @classmethod
    def offline(cls) -> tuple[dict[str, str], dict[str, str]]:
        return {"config_file": str(RESOURCES / "example-rest.json")}, {"secret": "t"}

    def serve(self) -> tuple[dict[str, str], dict[str, str]]:
        url, self.tool = self.stack.enter_context(rest_server(N))
        self.items = sorted(self.tool.items, key=lambda i: int(i.split("-")[1]))
        path = shipped_config("example-rest.json", self.tmp / "desk.json", base_url=url)
        return {"config_file": str(path)}, {"secret": REST_TOKEN}

    def view(self, external_id: str) -> SourceView:
        with self.tool.lock:
            rec = json.loads(canonical(self.tool.items[external_id]))
            writes = self.tool.patches.get(external_id, 0)
        comments = rec.get("comments") or []
        return SourceView(
            canonical(rec),
            {"status": rec["state"], "severity": rec["priority"],
             "assignee": (rec.get("assignee") or {}).get("login"),
             "tags": [lb["name"] for lb in rec.get("labels") or []]},
            {"note": [c["body"] for c in comments if c["internal"]],
             "reply": [c["body"] for c in comments if not c["internal"]]},
            writes + len(comments))

    def expect(self, field: str, value: Any) -> Any:
        if field == "status":
            return {"new": "open", "triaged": "triage", "investigating": "in_progress",
                    "resolved": "done", "declined": "rejected", "closed": "closed"}[value]
        if field == "severity":
            return {"S0": "P1", "S1": "P2", "S2": "P3", "S3": "P4"}[value]
        return value


class RoundupRig(Rig):
    """A real Roundup tracker through the shipped resources/channels/example-roundup.json,
    which writes status and priority back: Roundup's classic workflow has no word for
    triaged, declined or duplicate, so those are refused with a sentence."""

    kind = "rest"
    variant = "rest (example-roundup.json, Roundup)"
    slow = True
    refuses: ClassVar[dict[str, str]] = {
        "accept": "status 'triaged' has no value in this tool",
        "decline": "status 'declined' has no value in this tool",
        "duplicate": "status 'duplicate' has no value in this tool"}

    @classmethod
    def offline(cls) -> tuple[dict[str, str], dict[str, str]]:
        return ({"config_file": str(RESOURCES / "example-roundup.json"),
                 "username": "admin"}, {"secret": "t"})

    def serve(self) -> tuple[dict[str, str], dict[str, str]]:
        self.rt = self.stack.enter_context(RoundupTracker())
        self.items = [self.rt.create("issue", title=f"Scam ads, wave {i}", priority="bug",
                                     status="unread") for i in range(N)]
        doc = json.loads((RESOURCES / "example-roundup.json").read_text())
        path = shipped_config(
            "example-roundup.json", self.tmp / "tracker.json",
            base_url=self.rt.web.rstrip("/"),
            headers={**doc.get("headers", {}), **self.rt.csrf_headers()})
        return {"config_file": str(path), "username": "admin"}, {"secret": ADMIN_PASSWORD}

    def view(self, external_id: str) -> SourceView:
        issue = self.rt.issue(external_id)
        return SourceView(
            canonical(issue),
            {"status": (issue.get("status") or {}).get("name"),
             "severity": (issue.get("priority") or {}).get("name"),
             "tags": [k.get("name") for k in issue.get("keyword") or []]},
            {"note": [], "reply": []})

    def expect(self, field: str, value: Any) -> Any:
        if field == "status":
            return {"resolved": "resolved", "investigating": "chatting"}[value]
        if field == "severity":
            return {"S0": "critical", "S1": "urgent", "S2": "bug", "S3": "feature"}[value]
        return value
