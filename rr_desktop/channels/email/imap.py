"""One IMAP connection (IMAPClient) with the channel's error mapping.

Protocol facts relied on (RFC 3501 unless noted):
- SELECT/EXAMINE report UIDVALIDITY and UIDNEXT (§6.3.1, §7.1); a UID is only meaningful
  with its folder's UIDVALIDITY, and a new UIDVALIDITY MUST be greater than the old one
  (§2.3.1.1). EXAMINE is read-only: reading never sets \\Seen, and BODY.PEEK never does
  either (§6.4.5).
- `UID SEARCH UID n:*` always includes the highest UID, even below n (§6.4.8 / §9 seq-set),
  so results are filtered.
- CONDSTORE (RFC 7162 §3.1): ENABLE CONDSTORE (RFC 5161) makes SELECT report
  HIGHESTMODSEQ; `SEARCH MODSEQ n` finds messages changed at or after n; FETCH MODSEQ gives
  a message's mod-sequence; `STORE (UNCHANGEDSINCE n)` is refused per message changed since
  n and reported as `[MODIFIED uids]` in the tagged reply (§3.1.3).
- QRESYNC (RFC 7162 §3.2) is not needed: escalations are keyed by Message-ID, and an
  expunge only has to drop UIDs from the thread index, which EXISTS (fewer messages than
  indexed) plus one `UID SEARCH ALL` tells on any server; IMAPClient does not parse
  VANISHED responses either.
- MOVE (RFC 6851), else COPY + \\Deleted + UID EXPUNGE (UIDPLUS, RFC 4315).
- IDLE (RFC 2177): untagged EXISTS/EXPUNGE/FETCH while idling; re-issue within 29 min.
- Wrong credentials: `NO [AUTHENTICATIONFAILED]` (RFC 5530), IMAPClient's LoginError.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from ..contract import AuthError, CursorExpired, NetworkError, Rejected, ServerError
from .config import EmailConfig


@dataclass(frozen=True, slots=True)
class FolderState:
    """A folder as SELECT/EXAMINE reported it."""

    name: str
    uidvalidity: int
    uidnext: int
    highestmodseq: int
    exists: int
    keywords_ok: bool  # "\*" in PERMANENTFLAGS: new keywords can be created
    readonly: bool = True  # EXAMINEd (else SELECTed)


def reply_text(value: Any) -> str:
    """An IMAP reply item (bytes, or str() of bytes in an exception) as text."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    if text.startswith(("b'", 'b"')) and text[-1:] == text[1]:  # str() of a bytes reply
        text = text[2:-1]
    return text


class ImapSession:
    """A logged-in IMAP connection; every failure surfaces as a ChannelError."""

    def __init__(self, name: str, cfg: EmailConfig, password: str) -> None:
        self.name = name
        self.cfg = cfg
        self.where = f"{cfg.imap_host}:{cfg.imap_port}"
        self._password = password
        self.selected: FolderState | None = None
        self._connect()

    def _connect(self) -> None:
        cfg, name, where = self.cfg, self.name, self.where
        with self.errors("connect to"):
            if cfg.imap_security == "tls":
                self.c = IMAPClient(cfg.imap_host, cfg.imap_port, ssl=True,
                                    ssl_context=ssl.create_default_context(),
                                    timeout=cfg.timeout_s)
            else:
                self.c = IMAPClient(cfg.imap_host, cfg.imap_port, ssl=False,
                                    timeout=cfg.timeout_s)
        try:
            with self.errors("log in to"):
                if cfg.imap_security == "starttls":
                    if not self.c.has_capability("STARTTLS"):
                        raise Rejected(f"{name}: {where} does not offer STARTTLS; refusing "
                                       "to send the password in clear")
                    self.c.starttls(ssl.create_default_context())
                self.c.login(cfg.username, self._password)
                self.c.normalise_times = False
                self.condstore = self.c.has_capability("CONDSTORE")
                if self.condstore and self.c.has_capability("ENABLE"):
                    self.c.enable("CONDSTORE")
        except Exception:
            self.close()
            raise

    def reconnect(self) -> None:
        """A new connection after the server dropped this one, with the folder that was
        selected selected again. Its UIDVALIDITY must not have changed, or the UIDs in
        hand name other messages (CursorExpired: the engine resyncs)."""
        was = self.selected
        self.close(force=True)
        self._connect()
        if was is None:
            return
        now = self.open(was.name, readonly=was.readonly)
        if now is None or now.uidvalidity != was.uidvalidity:
            raise CursorExpired(f"{self.name}: {was.name!r} was recreated on the server "
                                "(UIDVALIDITY changed); resyncing")

    @contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """Map socket, TLS and IMAP failures to the engine's exceptions."""
        where, name = self.where, self.name
        try:
            yield
        except LoginError as exc:
            raise AuthError(f"{name}: {where} refused the login of {self.cfg.username!r}: "
                            f"wrong user name or password ({reply_text(exc)[:120]})") from exc
        except ssl.SSLError as exc:
            raise NetworkError(f"{name}: TLS error talking to {where} "
                               f"({exc.reason or exc})") from exc
        except TimeoutError as exc:
            raise NetworkError(f"{name}: {where} did not answer in time",
                               ambiguous=True) from exc
        except socket.gaierror as exc:
            raise NetworkError(f"{name}: cannot resolve {self.cfg.imap_host}") from exc
        except ConnectionRefusedError as exc:
            raise NetworkError(f"{name}: cannot reach {where} (connection refused)") from exc
        except IMAPClientAbortError as exc:
            raise NetworkError(f"{name}: {where} dropped the connection",
                               ambiguous=True) from exc
        except IMAPClientError as exc:
            raise ServerError(f"{name}: {where} could not {doing} "
                              f"({reply_text(exc)[:200]})") from exc
        except OSError as exc:
            raise NetworkError(f"{name}: cannot {doing} {where} ({exc})",
                               ambiguous=True) from exc

    def close(self, force: bool = False) -> None:
        """LOGOUT; `force` just shuts the socket (unblocks an IDLE in another thread)."""
        c = getattr(self, "c", None)
        if c is None:
            return
        try:
            if force:
                raise OSError("forced")
            c.logout()
        except Exception:
            try:
                c.shutdown()
            except Exception:
                pass

    # --- folders -------------------------------------------------------------------
    def open(self, folder: str, readonly: bool = True) -> FolderState | None:
        """EXAMINE (or SELECT) a folder; None when it does not exist."""
        with self.errors(f"open {folder!r} on"):
            try:
                r = self.c.select_folder(folder, readonly=readonly)
            except IMAPClientAbortError:
                raise
            except IMAPClientError:
                if not self.c.folder_exists(folder):
                    return None
                raise
        flags = r.get(b"PERMANENTFLAGS", ())
        self.selected = FolderState(
            folder, int(r.get(b"UIDVALIDITY", 0)), int(r.get(b"UIDNEXT", 0)),
            int(r.get(b"HIGHESTMODSEQ", 0)), int(r.get(b"EXISTS", 0)), b"\\*" in flags,
            readonly)
        return self.selected

    def ensure(self, folder: str) -> None:
        with self.errors(f"create {folder!r} on"):
            if not self.c.folder_exists(folder):
                self.c.create_folder(folder)

    # --- reading (the selected folder) ---------------------------------------------
    def uids_from(self, first: int) -> list[int]:
        with self.errors("search"):
            found = self.c.search(["UID", f"{max(first, 1)}:*"])
        return sorted(u for u in found if u >= first)

    def all_uids(self) -> set[int]:
        with self.errors("search"):
            return set(self.c.search("ALL"))

    def find(self, header: str, value: str) -> list[int]:
        with self.errors("search"):
            return sorted(self.c.search(["HEADER", header, value]))

    # --- writing (the selected folder) ---------------------------------------------
    def store(self, uids: Sequence[int], add: set[str], remove: set[str],
              unchangedsince: int | None) -> set[int]:
        """-FLAGS then +FLAGS; the first one conditional when `unchangedsince` is given.
        Returns the UIDs the server reported as MODIFIED (nothing was stored then)."""
        condition = unchangedsince
        for op, flags in ((b"-FLAGS.SILENT", remove), (b"+FLAGS.SILENT", add)):
            if not flags:
                continue
            args = [",".join(map(str, uids)).encode()]
            if condition is not None:
                args.append(f"(UNCHANGEDSINCE {condition})".encode())
                condition = None
            args += [op, b"(" + b" ".join(f.encode() for f in sorted(flags)) + b")"]
            with self.errors("store flags on"):
                # IMAPClient's add_flags/remove_flags take no STORE modifiers, so the
                # UNCHANGEDSINCE form goes through its raw command sender.
                typ, data = self.c._raw_command(b"STORE", args, uid=True)
                for stale in ("FETCH", "MODIFIED"):
                    self.c._imap.untagged_responses.pop(stale, None)
            text = reply_text(data[0] if data else b"")
            if typ != "OK":
                raise Rejected(f"{self.name}: {self.where} refused to store "
                               f"{', '.join(sorted(flags))} ({text[:200]})")
            if text.upper().startswith("[MODIFIED "):
                return _uid_set(text[10:text.index("]")])
        return set()

    def move(self, uids: Sequence[int], dest: str) -> None:
        with self.errors(f"move messages to {dest!r} on"):
            if self.c.has_capability("MOVE"):
                self.c.move(list(uids), dest)
                return
            if not self.c.has_capability("UIDPLUS"):
                raise Rejected(f"{self.name}: {self.where} offers neither MOVE nor UIDPLUS, "
                               "so mail cannot be filed safely; leave the resolved folder "
                               "empty")
            self.c.copy(list(uids), dest)
            self.c.add_flags(list(uids), [b"\\Deleted"], silent=True)
            self.c.uid_expunge(list(uids))

    def append(self, folder: str, raw: bytes, flags: Sequence[str]) -> None:
        with self.errors(f"file a message in {folder!r} on"):
            self.c.append(folder, raw, flags=[f.encode() for f in flags])

    # --- IDLE ----------------------------------------------------------------------
    def wait(self, timeout_s: float) -> bool:
        """IDLE on the selected folder (RFC 2177); True when the server reported a change."""
        with self.errors("wait for mail on"):
            if not self.c.has_capability("IDLE"):  # poll instead
                time.sleep(min(timeout_s, 60))
                responses: list[Any] = list(self.c.noop()[1])
            else:
                self.c.idle()
                try:
                    responses = self.c.idle_check(timeout=min(timeout_s, 29 * 60))
                finally:
                    self.c.idle_done()
        return any(isinstance(r, tuple) and len(r) > 1 and r[1] in (b"EXISTS", b"EXPUNGE",
                                                                     b"FETCH")
                   for r in responses)


def _uid_set(text: str) -> set[int]:
    out: set[int] = set()
    for piece in text.split(","):
        lo, _, hi = piece.partition(":")
        if lo.isdigit() and (not hi or hi.isdigit()):
            out.update(range(int(lo), int(hi or lo) + 1))
    return out
