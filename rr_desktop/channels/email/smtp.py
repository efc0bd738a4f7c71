"""Replies and notes as RFC 5322 messages, and sending with smtplib.

- Threading (RFC 5322 §3.6.4): `In-Reply-To` = the parent's Message-ID; `References` =
  the parent's References followed by its Message-ID; Subject "Re: " once (§3.6.5).
- `Message-ID` = `<op_id@from-domain>` (§3.6.4: id-left@id-right, unique): the outbox op
  id is the idempotency key, so a replay produces the *same* message, which the channel
  finds in the Sent folder before sending again.
- SMTP (RFC 5321) with STARTTLS (RFC 3207) required unless the config allows plain to a
  loopback host, AUTH (RFC 4954) when the server offers it; smtplib raises
  SMTPAuthenticationError for 535, SMTPRecipientsRefused / SMTPSenderRefused /
  SMTPDataError with the reply code (4xx transient, 5xx permanent).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from ..contract import AuthError, NetworkError, Rejected, ServerError
from .config import EmailConfig
from .records import subject_title


def _ids(ids: Sequence[str]) -> str:
    return " ".join(f"<{i}>" for i in ids)


def compose(cfg: EmailConfig, *, to: str, subject: str, text: str, message_id: str,
            parent_id: str | None, parent_refs: Sequence[str], when: datetime,
            sender: str | None = None, headers: dict[str, str] | None = None,
            ) -> EmailMessage:
    """A plain-text message threaded under `parent_id`."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender or cfg.from_address
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{message_id}>"
    if parent_id:
        refs = [*parent_refs, parent_id]
        if len(refs) > 20:  # keep the root and the newest (RFC 5322 allows trimming)
            refs = [refs[0], *refs[-19:]]
        msg["In-Reply-To"] = f"<{parent_id}>"
        msg["References"] = _ids(refs)
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(text)
    return msg


def reply_subject(subject: str) -> str:
    return f"Re: {subject_title(subject)}"


@contextmanager
def _session(name: str, cfg: EmailConfig, password: str) -> Iterator[smtplib.SMTP]:
    """Connect, STARTTLS when configured (required then), AUTH when offered."""
    where = f"{cfg.smtp_host}:{cfg.smtp_port}"
    context = ssl.create_default_context()
    if cfg.smtp_security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(cfg.smtp_host, cfg.smtp_port,
                                              timeout=cfg.timeout_s, context=context)
    else:
        smtp = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout_s)
    with smtp:
        smtp.ehlo()
        if cfg.smtp_security == "starttls":
            if not smtp.has_extn("starttls"):
                raise Rejected(f"{name}: {where} does not offer STARTTLS; refusing to send "
                               "the password and the mail in clear")
            smtp.starttls(context=context)
            smtp.ehlo()
        if password and smtp.has_extn("auth"):
            smtp.login(cfg.smtp_username, password)
        yield smtp


class _Progress:
    data_sent = False


@contextmanager
def _errors(name: str, cfg: EmailConfig, progress: _Progress) -> Iterator[None]:
    where = f"{cfg.smtp_host}:{cfg.smtp_port}"
    try:
        yield
    except smtplib.SMTPAuthenticationError as exc:
        raise AuthError(f"{name}: {where} refused the SMTP login of "
                        f"{cfg.smtp_username!r}: wrong user name or password") from exc
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise Rejected(f"{name}: {where} refused the message ({_reason(exc)})") from exc
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise ServerError(f"{name}: {where} deferred the message ({_reason(exc)})") \
                from exc
        raise Rejected(f"{name}: {where} refused the message ({_reason(exc)})") from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise Rejected(f"{name}: {where} does not support what sending needs ({exc})") \
            from exc
    except ssl.SSLError as exc:
        raise NetworkError(f"{name}: TLS error talking to {where} "
                           f"({exc.reason or exc})") from exc
    except socket.gaierror as exc:
        raise NetworkError(f"{name}: cannot resolve {cfg.smtp_host}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise NetworkError(f"{name}: cannot reach the SMTP server {where} "
                           f"({type(exc).__name__})", ambiguous=progress.data_sent) from exc


def send(name: str, cfg: EmailConfig, password: str, msg: EmailMessage,
         recipients: Sequence[str]) -> None:
    """Deliver one message; failures become ChannelErrors with one clear sentence."""
    progress = _Progress()
    with _errors(name, cfg, progress), _session(name, cfg, password) as smtp:
        progress.data_sent = True
        refused = smtp.send_message(msg, from_addr=_addr(cfg.from_address),
                                    to_addrs=list(recipients))
    if refused:
        raise Rejected(f"{name}: {cfg.smtp_host} refused the recipients "
                       f"{', '.join(sorted(refused))}")


def check(name: str, cfg: EmailConfig, password: str) -> None:
    """Connect, STARTTLS and log in without sending anything."""
    with _errors(name, cfg, _Progress()), _session(name, cfg, password):
        pass


def _addr(value: str) -> str:
    from email.utils import parseaddr

    return parseaddr(value)[1] or value


def _reason(exc: smtplib.SMTPException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{r}: {code} {msg.decode('utf-8', 'replace')[:100]}"
                         for r, (code, msg) in exc.recipients.items())
    code = getattr(exc, "smtp_code", "")
    err = getattr(exc, "smtp_error", b"")
    text = err.decode("utf-8", "replace") if isinstance(err, bytes) else str(err)
    return f"{code} {text[:200]}".strip()
