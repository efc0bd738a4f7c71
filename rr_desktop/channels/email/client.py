"""Channel `email`: a shared IMAP mailbox of partner and law-enforcement inquiries.

Pull, per folder (the mailbox, then the resolved and notes folders when they exist):
the cursor is JSON `{folder: {uidvalidity, last_uid, highestmodseq}}`.
1. EXAMINE; a UIDVALIDITY other than the cursor's raises CursorExpired (the engine then
   resyncs from `pull(None)`; escalations are keyed by Message-ID, so nothing doubles).
   The cursor also lists the folder's messages the server could not deliver
   (reading.py), so a new process does not ask for them again.
2. With CONDSTORE, messages up to last_uid changed since highestmodseq (flag changes by
   colleagues, our own STOREs) are re-read, oldest mod-sequence first.
3. Messages above last_uid (UIDNEXT tells whether there are any) are new.
Every changed message's whole thread is rebuilt into one Escalation (threads.py,
records.py). A message the server cannot deliver is quarantined with its UID and the
error, once, and the rest of the mailbox is read. Without CONDSTORE only new mail is
seen; keyword changes made elsewhere show when the thread next receives mail.

remote_version = (max UIDVALIDITY << 32) + sum of the folders' HIGHESTMODSEQ (UIDNEXT
without CONDSTORE). Each part only grows: a new UIDVALIDITY is greater than the old one
(RFC 3501 §2.3.1.1; servers derive it from the clock, so also than older folders'), and
every change gets a mod-sequence greater than all before it, so HIGHESTMODSEQ never
decreases under one UIDVALIDITY (RFC 7162 §3.1). A thread read later never carries a lower
version, across a UIDVALIDITY change too (while UIDVALIDITY stays below 2**31, true of
time-based values until 2038). A folder deleted for good lowers the sum: that escalations
then keep their last state is the one known gap.

`idle_wait(timeout_s)` is for the GUI while the app is open: on its own connection it
IDLEs on the mailbox (RFC 2177) and returns True as soon as the server reports new mail,
an expunge or a flag change (then run a sync), False after `timeout_s` (capped at 29 min).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from ...domain import Analyst, Incoming, Quarantined
from ...domain.push import FIELD_PUSHES, Push
from ..contract import (
    ChannelError,
    CursorExpired,
    Mutation,
    NetworkError,
    Page,
    PushResult,
    Rejected,
)
from . import reading, smtp, writes
from .config import EmailConfig
from .cursor import FolderCursor, decode_cursor, encode_cursor
from .imap import FolderState, ImapSession
from .records import Message, build
from .threads import Link, ThreadIndex

PAGE_MESSAGES = 100
MAX_MEMBERS = 200
_T = TypeVar("_T")


class EmailChannel:
    """Client of one shared mailbox (IMAP to read and file, SMTP to reply)."""

    @property
    def pushes(self) -> frozenset[Push]:
        """Fields as IMAP keywords, replies by SMTP, notes filed in the notes folder when
        one is set."""
        return FIELD_PUSHES | {Push.REPLY} | ({Push.NOTE} if self.cfg.notes_folder else set())

    def __init__(self, name: str, cfg: EmailConfig, password: str,
                 smtp_password: str | None = None) -> None:
        self.name = name
        self.cfg = cfg
        self._password = password
        self._smtp_password = smtp_password or password
        self._lock = threading.RLock()
        self._session: ImapSession | None = None
        self._idle: ImapSession | None = None
        self._idle_lock = threading.Lock()
        self.index = ThreadIndex()

    # --- plumbing ------------------------------------------------------------------
    def folders(self) -> list[tuple[str, str]]:
        """(folder, role) in reading order."""
        out = [(self.cfg.mailbox, "mailbox")]
        if self.cfg.resolved_folder:
            out.append((self.cfg.resolved_folder, "resolved"))
        if self.cfg.notes_folder:
            out.append((self.cfg.notes_folder, "notes"))
        return out

    def role(self, folder: str) -> str:
        return dict(self.folders()).get(folder, "mailbox")

    def call(self, fn: Callable[[ImapSession], _T]) -> _T:
        """Run `fn` on the (lazily opened) session; a broken session is dropped."""
        with self._lock:
            if self._session is None:
                self._session = ImapSession(self.name, self.cfg, self._password)
            try:
                return fn(self._session)
            except (NetworkError, OSError):
                self._drop()
                raise

    def _drop(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def close(self) -> None:
        with self._lock:
            self._drop()
        idle = self._idle
        if idle is not None:
            idle.close(force=True)
            self._idle = None

    def snapshot(self, s: ImapSession) -> dict[str, FolderState]:
        """EXAMINE every folder and bring the thread index up to date."""
        snaps: dict[str, FolderState] = {}
        for folder, _ in self.folders():
            st = s.open(folder)
            if st is None:
                if folder == self.cfg.mailbox:
                    raise Rejected(f"{self.name}: the mailbox {folder!r} does not exist on "
                                   f"{self.cfg.imap_host}: check the mailbox name")
                continue
            self._refresh(s, st)
            snaps[folder] = st
        return snaps

    def _refresh(self, s: ImapSession, st: FolderState) -> None:
        fi = self.index.folder(st.name)
        if fi is None or fi.uidvalidity != st.uidvalidity:
            fi = self.index.reset(st.name, st.uidvalidity)
        if st.uidnext - 1 > fi.max_uid:
            wanted = [u for u in s.uids_from(fi.max_uid + 1) if u not in fi.unreadable]
            found, unreadable = reading.links(s, st.name, wanted)
            for link in found:
                self.index.add(link)
            self.index.mark_unreadable(st.name, unreadable)
        if st.exists < len(fi.links) + len(fi.unreadable):  # expunged or moved away
            present = s.all_uids()
            self.index.discard(st.name, [u for u in [*fi.links, *fi.unreadable]
                                         if u not in present])

    def version(self, s: ImapSession, snaps: Mapping[str, FolderState]) -> int:
        epoch = min(max(st.uidvalidity for st in snaps.values()), 2**31 - 1)
        seq = sum(st.highestmodseq if s.condstore else st.uidnext - 1
                  for st in snaps.values())
        return (epoch << 32) + min(seq, 2**32 - 1)

    def read_threads(self, s: ImapSession, roots: Sequence[str],
                     report: set[tuple[str, int]]) -> tuple[dict[str, list[Message]],
                                                            list[Quarantined]]:
        """Fetch every member of the given threads, folder by folder."""
        wanted: dict[str, list[Link]] = {}
        for root in roots:
            members = sorted(self.index.members(root), key=lambda lk: (lk.folder, lk.uid))
            if len(members) > MAX_MEMBERS:
                members = [members[0], *members[-(MAX_MEMBERS - 1):]]
            for link in members:
                fi = self.index.folder(link.folder)
                if fi is None or link.uid not in fi.unreadable:
                    wanted.setdefault(link.folder, []).append(link)
        out: dict[str, list[Message]] = {r: [] for r in roots}
        bad: list[Quarantined] = []
        for folder, links in wanted.items():
            if s.open(folder) is None:
                continue
            got, broken, unreadable = reading.messages(
                s, folder, self.role(folder), [lk.uid for lk in links],
                {u for f, u in report if f == folder})
            self.index.mark_unreadable(folder, unreadable)
            for m in got:
                found = self.index.get(folder, m.uid)
                if found is not None:
                    out.setdefault(self.index.root_of(found), []).append(m)
            for uid, reason, raw in broken:
                found = self.index.get(folder, uid)
                bad.append(Quarantined.of(self.index.root_of(found) if found else None,
                                          f"{folder} UID {uid}: {reason}", raw))
        return out, bad

    # --- pull ----------------------------------------------------------------------
    def pull(self, cursor: str | None) -> Page:
        state = decode_cursor(cursor)
        return self.call(lambda s: self._pull(s, state))

    def _pull(self, s: ImapSession, state: dict[str, FolderCursor]) -> Page:
        for folder, fc in state.items():  # what a previous process found unreadable
            fi = self.index.folder(folder)
            if fc.unreadable and (fi is None or fi.uidvalidity != fc.uidvalidity):
                self.index.reset(folder, fc.uidvalidity)
            if fc.unreadable:
                self.index.mark_unreadable(folder, fc.unreadable)
        snaps = self.snapshot(s)
        for folder, fc in state.items():
            st = snaps.get(folder)
            if st is None or st.uidvalidity != fc.uidvalidity:
                raise CursorExpired(f"{self.name}: {folder!r} was recreated on the server "
                                    "(UIDVALIDITY changed); resyncing")
        budget = PAGE_MESSAGES
        changed: list[tuple[str, int]] = []
        new_state: dict[str, FolderCursor] = {}
        for folder, st in snaps.items():
            fc = state.get(folder) or FolderCursor(st.uidvalidity, 0, st.highestmodseq)
            new_state[folder] = fc
            if budget <= 0:
                continue
            if s.condstore and fc.last_uid and st.highestmodseq > fc.highestmodseq:
                s.open(folder)
                known = self.index.folder(folder)
                mods = reading.changed_since(s, fc.highestmodseq, fc.last_uid,
                                             known.unreadable if known else {})
                order = sorted(mods, key=lambda u: (mods[u], u))
                taken = order[:budget]
                while len(taken) < len(order) and mods[order[len(taken)]] == mods[taken[-1]]:
                    taken.append(order[len(taken)])  # a mod-sequence is taken whole
                changed += [(folder, u) for u in taken]
                budget -= len(taken)
                if len(taken) < len(order):
                    fc.highestmodseq = mods[taken[-1]]
                    continue
                fc.highestmodseq = max([st.highestmodseq, *mods.values()])
            fi = self.index.folder(folder)
            fresh = sorted(u for u in [*fi.links, *fi.unreadable] if u > fc.last_uid) \
                if fi else []
            taken = fresh[:max(budget, 0)]
            changed += [(folder, u) for u in taken]
            budget -= len(taken)
            if taken:
                fc.last_uid = taken[-1]
            if not s.condstore:
                fc.highestmodseq = 0
        roots: list[str] = []
        for folder, uid in changed:
            link = self.index.get(folder, uid)
            root = self.index.root_of(link) if link else None
            if root is not None and root not in roots:
                roots.append(root)
        threads, bad = self.read_threads(s, roots, set(changed))
        for folder, uid in changed:
            fi = self.index.folder(folder)
            if fi is not None and uid in fi.unreadable and self.index.get(folder, uid) is None \
                    and not any(q.reason.startswith(f"{folder} UID {uid}:") for q in bad):
                bad.append(Quarantined.of(None, f"{folder} UID {uid}: {fi.unreadable[uid]}",
                                          ""))
        for folder, fc in new_state.items():
            fi = self.index.folder(folder)
            fc.unreadable = dict(fi.unreadable) if fi is not None else {}
        version = self.version(s, snaps)
        items = [inc for root in roots
                 if (inc := build(root, threads.get(root, []), self.cfg, version)) is not None]
        return Page(items, bad, encode_cursor(new_state), done=budget > 0)

    # --- single records, push, check -------------------------------------------------
    def thread(self, s: ImapSession, root: str) -> tuple[Incoming | None, list[Message]]:
        snaps = self.snapshot(s)
        threads, _ = self.read_threads(s, [root], set())
        msgs = threads.get(root, [])
        return build(root, msgs, self.cfg, self.version(s, snaps)), msgs

    def fetch(self, external_id: str) -> Incoming:
        incoming, _ = self.call(lambda s: self.thread(s, external_id))
        if incoming is None:
            raise Rejected(f"{self.name}: no message of thread <{external_id}> is left in "
                           f"{self.cfg.mailbox!r}")
        return incoming

    def push(self, mutation: Mutation) -> PushResult:
        if mutation.op_type == "update":
            return self.call(lambda s: writes.update(self, s, mutation))
        if mutation.op_type == "reply":
            return self.call(lambda s: writes.reply(self, s, mutation,
                                                    self._smtp_password))
        if mutation.op_type == "note":
            return self.call(lambda s: writes.note(self, s, mutation))
        raise Rejected(f"{self.name}: an email channel cannot do a {mutation.op_type!r}")

    def check(self) -> None:
        """Test connection: IMAP login, the mailbox exists, SMTP login. Raises AuthError /
        NetworkError / Rejected whose message is the verdict."""
        def probe(s: ImapSession) -> None:
            if s.open(self.cfg.mailbox) is None:
                raise Rejected(f"{self.name}: the mailbox {self.cfg.mailbox!r} does not "
                               f"exist on {self.cfg.imap_host}: check the mailbox name")

        self.call(probe)
        smtp.check(self.name, self.cfg, self._smtp_password)

    def analysts(self) -> list[Analyst]:
        return []  # a mailbox has no directory of assignees

    def idle_wait(self, timeout_s: float) -> bool:
        """Block up to `timeout_s` on a separate connection; True when the server reported
        new mail or a change in the mailbox (sync then). For the GUI while the app is
        open; call it from a worker thread, never the GUI thread."""
        with self._idle_lock:
            try:
                if self._idle is None:
                    self._idle = ImapSession(self.name, self.cfg, self._password)
                    if self._idle.open(self.cfg.mailbox) is None:
                        raise Rejected(f"{self.name}: the mailbox {self.cfg.mailbox!r} "
                                       "does not exist")
                return self._idle.wait(timeout_s)
            except ChannelError:
                if self._idle is not None:
                    self._idle.close()
                    self._idle = None
                raise


