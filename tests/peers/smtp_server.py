"""A real SMTP server: aiosmtpd in-process on loopback, with AUTH (docs/testing.md, "Real servers").

Delivered mail is kept in memory by the handler, parsed with the stdlib `email` package.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.peers.dovecot import free_port


@dataclass
class Delivery:
    """One message as the server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class _Handler:
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.original_content or envelope.content,
                                 policy=policy.default)
        assert isinstance(msg, EmailMessage)
        with self.lock:
            self.deliveries.append(Delivery(envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """Where the server listens and what it received."""

    host: str
    port: int
    handler: _Handler
    logins: list[str]

    @property
    def deliveries(self) -> list[Delivery]:
        with self.handler.lock:
            return list(self.handler.deliveries)


@contextmanager
def smtp_server(users: dict[str, str] | None = None) -> Iterator[SmtpServer]:
    """aiosmtpd offering AUTH without TLS (loopback only). AUTH is offered, not required:
    aiosmtpd warns (UserWarning, from its server thread) when it must require AUTH
    without TLS; tests check `logins` instead to see that the client logged in."""
    users = users or {"analyst": "secret"}
    logins: list[str] = []

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode()
            if users.get(login) == auth_data.password.decode():
                logins.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    handler = _Handler()
    port = free_port()
    # aiosmtpd 1.4 logs a deprecation warning of its own on every successful AUTH.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    controller = Controller(handler, hostname="127.0.0.1", port=port,
                            authenticator=authenticate, auth_require_tls=False,
                            auth_required=False)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler, logins)
    finally:
        controller.stop()
