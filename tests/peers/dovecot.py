"""A real IMAP server: Dovecot 2.3 on loopback, all state in a temp dir.

Config per docs/testing.md, "Real servers". As root, Dovecot runs as nobody:nogroup via
setpriv (it refuses some set-ups as root, and its login processes drop to that user); as
an ordinary user, everything runs as that user. One addition: the anvil auth-penalty
listener is disabled (Dovecot docs, "Authentication Penalty"), otherwise every failed
login from 127.0.0.1 waits 2, 4, 8... up to 15 s and wrong-password tests crawl; the
reply stays `NO [AUTHENTICATIONFAILED]`. Starting takes ~0.1 s, stopping ~1 s: share one
server per test module and give each test its own account (`fresh_account()`).
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

from imapclient import IMAPClient

from tests.peers.availability import require_binary

_CONF = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={d}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


_MID = "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    """A running Dovecot: where it listens and how to talk to it as a test."""

    host: str
    port: int
    root: Path
    users: dict[str, str]
    user: str = "analyst"

    spare: list[str] = field(default_factory=list)

    def fresh_account(self) -> Dovecot:
        """A view logged in as an unused account with empty mailboxes, so tests can share
        one server. The accounts exist from the start: Dovecot re-reads a changed
        passwd-file by its mtime in seconds, too coarse to add users on the fly."""
        return replace(self, user=self.spare.pop())

    def client(self, user: str | None = None) -> IMAPClient:
        user = user or self.user
        c = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        c.login(user, self.users[user])
        return c

    def append(self, *raw: bytes, folder: str = "INBOX", user: str | None = None,
               when: datetime | None = None) -> None:
        """Deliver messages the way the tests do: IMAP APPEND, in the order given
        (INTERNALDATE `when`, else now)."""
        with self.client(user) as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            for one in raw:
                c.append(folder, one, msg_time=when)

    def flags(self, folder: str = "INBOX") -> dict[str, set[str]]:
        """Message-ID -> flags in a folder, as a colleague's mail client sees them."""
        with self.client() as c:
            if not c.folder_exists(folder):
                return {}
            c.select_folder(folder, readonly=True)
            data = c.fetch(c.search("ALL"), ["FLAGS", _MID])
        out = {}
        for item in data.values():
            mid = item[_MID.replace(".PEEK", "").encode()].decode()
            out[mid.split("<", 1)[1].split(">", 1)[0]] = {
                f.decode() for f in item[b"FLAGS"]} - {"\\Recent"}
        return out

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


T0 = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


def message(mid: str, subject: str, body: str, sender: str, parents: str = "",
         reply_to_only: bool = False, html: str | None = None,
         attachment: tuple[str, bytes] | None = None, minutes: int = 0) -> bytes:
    """A test mail to deliver with `Dovecot.append`: `parents` is the References value
    (only its last id as In-Reply-To with `reply_to_only`), Date is T0 + `minutes`."""
    msg = EmailMessage(policy=policy.SMTP)
    if sender:
        msg["From"] = sender
    msg["To"] = "Rapid Response <rr@platform.example>"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{mid}>"
    msg["Date"] = T0 + timedelta(minutes=minutes)
    if parents:
        msg["In-Reply-To"] = parents.split()[-1]
        if not reply_to_only:
            msg["References"] = parents
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if attachment is not None:
        msg.add_attachment(attachment[1], maintype="application", subtype="pdf",
                           filename=attachment[0])
    return bytes(msg)


def _ids() -> tuple[str, str]:
    if os.geteuid() == 0:
        return "nobody", "nogroup"
    return pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name


@contextmanager
def dovecot(users: dict[str, str] | None = None, spare: int = 30) -> Iterator[Dovecot]:
    """Start Dovecot on a free loopback port; SIGTERM and wait at the end. `spare`
    extra accounts ("box1"...) with password "secret" back `fresh_account()`."""
    binary = require_binary("dovecot")
    users = {**(users or {"analyst": "secret"}),
             **{f"box{i}": "secret" for i in range(1, spare + 1)}}
    user, group = _ids()
    # Not pytest's tmp_path: it sits under a 0700 dir that nobody cannot traverse.
    root = Path(tempfile.mkdtemp(prefix="rr-dovecot-", dir="/tmp"))
    port = free_port()
    for sub in ("run", "state", "home"):
        (root / sub).mkdir()
    (root / "users").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in users.items()))
    conf = root / "dovecot.conf"
    conf.write_text(_CONF.format(d=root, port=port, user=user, group=group))
    args = [binary, "-F", "-c", str(conf)]
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", f"{user}:{group}", str(root)], check=True)
        os.chmod(root, 0o755)
        args = [require_binary("setpriv"), "--reuid", user, "--regid", group,
                "--clear-groups", *args]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = Dovecot("127.0.0.1", port, root, dict(users),
                     spare=[f"box{i}" for i in range(spare, 0, -1)])
    try:
        _wait_ready(proc, port, server)
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(proc: subprocess.Popen[bytes], port: int, server: Dovecot) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"dovecot exited ({proc.returncode}): {err}{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                if s.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("dovecot did not start in 10 s: " + server.log())
