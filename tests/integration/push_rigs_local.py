"""Push-matrix rigs of the channels that are not HTTP write APIs: a shared mailbox on a
real Dovecot and aiosmtpd, a news feed served by a real nginx, a spreadsheet written by
the csv module, the local manual channel, and Matrix rooms on a real Synapse. Each reads
its source directly (see push_rig.SourceView)."""

from __future__ import annotations

import csv
import hashlib
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, ClassVar

from rr_desktop.domain import PolicyCategory, Severity, Urgency
from rr_desktop.store.manual import ManualDraft, create_escalation
from rr_desktop.store.timecodec import utcnow
from rr_desktop.sync.engine import SyncEngine, SyncReport
from rr_desktop.workspace import record_pushes
from tests.integration.push_rig import Quick, Rig, SourceView, canonical
from tests.peers.dovecot import dovecot, message
from tests.peers.nginx import NginxServer
from tests.peers.smtp_server import smtp_server
from tests.peers.synapse import synapse

N = 20
KW = "$RR-"


class EmailRig(Rig):
    """A shared mailbox: Dovecot (IMAP keywords, the Resolved and notes folders) and
    aiosmtpd (replies), with the default internal-notes folder."""

    kind = "email"
    variant = "email"
    notes_folder: ClassVar[str] = "RR Notes"

    @classmethod
    def offline(cls) -> tuple[dict[str, str], dict[str, str]]:
        return cls._config("127.0.0.1", 1, "analyst", 1), {"password": "secret"}

    @classmethod
    def _config(cls, host: str, port: int, user: str, smtp_port: int) -> dict[str, str]:
        return {"imap_host": host, "imap_port": str(port), "imap_security": "plain",
                "username": user, "smtp_username": "analyst",
                "from_address": "Rapid Response <rr@platform.example>",
                "smtp_host": host, "smtp_port": str(smtp_port), "smtp_security": "plain",
                "resolved_folder": "Resolved", "notes_folder": cls.notes_folder,
                "law_enforcement_domains": "police.example.au", "default_market": "AU"}

    def serve(self) -> tuple[dict[str, str], dict[str, str]]:
        self.dv = self.stack.enter_context(dovecot(spare=1)).fresh_account()
        self.sm = self.stack.enter_context(smtp_server())
        self.items = [f"r{i}@police.example.au" for i in range(N)]
        self.dv.append(*(message(mid, f"Request {i}: takedown of a doxxing post",
                                 f"Please remove post {i}.",
                                 sender="Officer Lee <lee@police.example.au>")
                         for i, mid in enumerate(self.items)))
        return (self._config("127.0.0.1", self.dv.port, self.dv.user, self.sm.port),
                {"password": "secret"})

    def _mailbox(self) -> dict[str, list[tuple[EmailMessage, set[str]]]]:
        out: dict[str, list[tuple[EmailMessage, set[str]]]] = {}
        with self.dv.client() as c:
            for folder in ("INBOX", "Resolved", "RR Notes", "Sent"):
                if not c.folder_exists(folder):
                    continue
                c.select_folder(folder, readonly=True)
                data = c.fetch(c.search("ALL"), ["FLAGS", "BODY.PEEK[]"])
                out[folder] = [
                    (message_from_bytes(d[b"BODY[]"], policy=policy.default),  # type: ignore[misc]
                     {f.decode() for f in d[b"FLAGS"]} - {"\\Recent"})
                    for d in data.values()]
        return out

    def view(self, external_id: str) -> SourceView:
        root = f"<{external_id}>"

        def ours(m: EmailMessage) -> bool:
            return root in " ".join(str(m.get(h, "")) for h in
                                    ("Message-ID", "References", "In-Reply-To"))

        def text(m: EmailMessage) -> str:
            body = m.get_body(("plain",))
            return body.get_content().strip() if body is not None else ""  # type: ignore[attr-defined]

        held = {folder: sorted((str(m["Message-ID"]), sorted(flags), text(m))
                               for m, flags in msgs if ours(m))
                for folder, msgs in self._mailbox().items()}
        held = {folder: msgs for folder, msgs in held.items() if msgs}
        flags = next((f for msgs in held.values() for mid, f, _ in msgs if mid == root), [])
        sent = [d.message for d in self.sm.deliveries if ours(d.message)]

        def word(field: str) -> str | None:
            return next((f[len(KW) + len(field) + 1:] for f in flags
                         if f.startswith(f"{KW}{field}-")), None)

        return SourceView(
            canonical({"folders": held, "delivered": [text(m) for m in sent]}),
            {"status": word("status"), "severity": word("severity"),
             "urgency": word("urgency"), "assignee": word("assignee"),
             "tags": [f[len(KW) + 4:] for f in flags if f.startswith(f"{KW}tag-")],
             "folder": next((folder for folder, msgs in held.items()
                             if any(mid == root for mid, _, _ in msgs)), None)},
            {"note": [t for _, _, t in held.get("RR Notes", [])],
             "reply": [text(m) for m in sent]})

    def expect(self, field: str, value: Any) -> Any:
        return value  # keywords carry the app's own words ($RR-status-declined)


class EmailNoNotesRig(EmailRig):
    """The same mailbox with no internal-notes folder configured: notes stay local."""

    variant = "email (no notes folder)"
    notes_folder = ""


def _feed(n: int) -> str:
    items = "".join(
        f"<item><title>Investment scam wave {i} targets Sydney retirees</title>"
        f"<link>https://news.example/au/scam-{i}</link><guid isPermaLink=\"false\">"
        f"scam-{i}</guid><pubDate>Mon, 06 Jan 2025 {i % 24:02d}:00:00 GMT</pubDate>"
        f"<description>Fake ads for scam {i} seen in AU.</description></item>"
        for i in range(n))
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
            f"<title>AU wire</title><link>https://news.example/</link>{items}"
            "</channel></rss>")


class FeedRig(Rig):
    """An RSS feed served by a real nginx (no write API)."""

    kind = "feed"
    variant = "feed"

    @classmethod
    def offline(cls) -> tuple[dict[str, str], dict[str, str]]:
        return {"base_url": "http://127.0.0.1:9/wire.xml", "default_market": "AU"}, {}

    def serve(self) -> tuple[dict[str, str], dict[str, str]]:
        self.nginx = self.stack.enter_context(NginxServer())
        url = self.nginx.put("wire.xml", _feed(N))
        return {"base_url": url, "default_market": "AU", "markets": "AU",
                "keywords": "scam"}, {}

    def view(self, external_id: str) -> SourceView:
        data = (self.nginx.www / "wire.xml").read_bytes()
        writes = [(r.method, r.uri) for r in self.nginx.requests() if r.method != "GET"]
        return SourceView(canonical({"feed": hashlib.sha256(data).hexdigest(),
                                     "files": sorted(p.name for p in self.nginx.www.iterdir()),
                                     "writes": writes}))

    def expect(self, field: str, value: Any) -> Any:
        raise AssertionError("a feed receives nothing")


class SpreadsheetRig(Rig):
    """A regulator's list as a CSV file (written by the csv module)."""

    kind = "spreadsheet"
    variant = "spreadsheet"

    @classmethod
    def offline(cls) -> tuple[dict[str, str], dict[str, str]]:
        return {"path": "/nonexistent/notices.csv"}, {}

    def serve(self) -> tuple[dict[str, str], dict[str, str]]:
        self.dir = self.tmp / "files"
        self.dir.mkdir()
        self.path = self.dir / "notices.csv"
        self.items = [f"EN-2025-{i:03d}" for i in range(1, N + 1)]
        with self.path.open("w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(["Notice ID", "Title", "URL", "Country", "Severity", "Date issued"])
            out.writerows([ext, f"Removal notice {ext}", f"https://video.example/{ext}",
                           "Australia", "S2", "03/03/2025 18:00"] for ext in self.items)
        return {"path": str(self.path), "reporter": "eSafety Commissioner",
                "reporter_type": "regulator", "timezone": "Australia/Sydney"}, {}

    def view(self, external_id: str) -> SourceView:
        return SourceView(canonical({
            "sha256": hashlib.sha256(self.path.read_bytes()).hexdigest(),
            "mtime_ns": self.path.stat().st_mtime_ns,
            "files": sorted(p.name for p in self.dir.iterdir())}))

    def expect(self, field: str, value: Any) -> Any:
        raise AssertionError("a spreadsheet receives nothing")


class ManualRig(Rig):
    """Escalations typed in while the app runs (`c`, `e`): the manual channel is made by
    the first one, before any sync has built its client; a later start builds it."""

    kind = "manual"
    variant = "manual"

    @classmethod
    def offline(cls) -> tuple[dict[str, str], dict[str, str]]:
        return {}, {}

    def start(self) -> Rig:
        from rr_desktop.store.store import Store

        self.store = Store.open(self.tmp / "cache.sqlite3")
        self.stack.callback(self.store.close)
        self.engine = SyncEngine(self.store, {}, rng=Quick())  # no manual channel yet
        with self.store.write() as db:
            for i in range(N):
                draft = ManualDraft(f"Regulator call {i}: livestream of looting", "Call at "
                                    "09:10 asking for removal.", "ID", Severity.S2,
                                    Urgency.U2, PolicyCategory.MISINFO_CRISIS)
                self.items.append(self._created(db, draft))
        return self

    def _created(self, db: Any, draft: ManualDraft) -> str:
        esc_id = create_escalation(db, draft, "aditi", utcnow()).escalation_id
        return str(db.execute("SELECT external_id FROM escalation WHERE id = ?",
                              (esc_id,)).fetchone()[0])

    def sync(self) -> SyncReport:
        """The next start of the app: the channel's client is built, its pushes recorded
        (Workspace.open), and it syncs."""
        if self.name not in self.engine.clients:
            self.client = self.build({}, {})
            self.engine.clients[self.name] = self.client
            record_pushes(self.store, {self.name: self.client})
        return super().sync()

    def view(self, external_id: str) -> SourceView:
        return SourceView(canonical(None))  # no source: nothing can change there

    def expect(self, field: str, value: Any) -> Any:
        raise AssertionError("a typed-in escalation has no source")


class MatrixRig(Rig):
    """Watched rooms on a real Synapse: a market team posts, the RR account watches."""

    kind = "matrix"
    variant = "matrix"
    slow = True

    @classmethod
    def offline(cls) -> tuple[dict[str, str], dict[str, str]]:
        return ({"base_url": "http://127.0.0.1:9", "rooms": "#th:rr.test=TH",
                 "auth": "token"}, {"credential": "t"})

    def serve(self) -> tuple[dict[str, str], dict[str, str]]:
        hs = self.stack.enter_context(synapse())
        tag = uuid.uuid4().hex[:8]
        self.kanya = hs.client(hs.register(f"kanya{tag}"))
        self.rr = hs.register(f"rr{tag}")
        self.room = self.kanya.create_room("TH escalations", invite=(self.rr.user_id,),
                                           alias=f"th-esc-{tag}")
        roots = [self.kanya.say(self.room, f"Doxxing of a journalist, post {i}")
                 for i in range(N)]
        self.items = [f"{self.room}/{e}" for e in roots]
        return ({"base_url": hs.url, "rooms": f"#th-esc-{tag}:rr.test=TH", "auth": "token"},
                {"credential": self.rr.token})

    def view(self, external_id: str) -> SourceView:
        root = external_id.split("/", 1)[1]
        thread = [(e["sender"], e["type"], e["content"])
                  for e in self.kanya.thread(self.room, root)]
        elsewhere = [(e["sender"], e["type"], e["content"])
                     for e in self.kanya.messages(self.room, limit=500)
                     if e["sender"] == self.rr.user_id and root in canonical(e["content"])]
        return SourceView(
            canonical({"thread": thread, "rr": sorted(map(canonical, elsewhere))}),
            {}, {"reply": [c.get("body", "") for s, _, c in thread
                           if s == self.rr.user_id]},
            len(elsewhere))

    def expect(self, field: str, value: Any) -> Any:
        raise AssertionError("Matrix receives replies only")
