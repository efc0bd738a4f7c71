"""MIME for the email channel: headers, the body part to show, attachments, plain text.

Hostile input by nature, so everything here is bounded and never touches the network or
the disk:

- Headers are parsed with the stdlib `email` package and `policy.default` (RFC 5322
  header fields, RFC 2047 encoded words decoded); the header block is capped.
- The message structure comes from the server's BODYSTRUCTURE (RFC 3501 §7.4.2: type,
  subtype, parameters, id, description, encoding, size [, lines] and the extension data
  md5, disposition, language, location; multipart = parts then subtype, parameters,
  disposition...). Attachments are *listed* from it (name, type, size) and never
  downloaded, let alone decoded or opened. Names follow RFC 2183 `filename` / RFC 2231
  `filename*` and the older `name` parameter.
- Only the text part chosen for display is fetched (`BODY.PEEK[section]<0.N>`, whole up
  to MAX_PART bytes), preferring text/plain over text/html (the multipart/alternative
  rule of RFC 2046 §5.1.4: the parts are alternatives of the same content); its
  Content-Transfer-Encoding (base64 / quoted-printable, RFC 2045 §6) and charset are
  decoded here, the charset by the superset codec of its label (charsets.py). The body
  is cut where every channel's is (the domain's Escalation), saying so.
- Encoded words in headers (RFC 2047) are decoded with the same table before the
  header parser sees them.
- HTML becomes plain text with `html.parser` (no entity expansion beyond HTML's own, no
  fetches: images are dropped, link targets are kept as plain text for the analyst).
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import hashlib
import quopri
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from html import unescape
from typing import Any
from urllib.parse import unquote_to_bytes

from ..html_text import HtmlReading, html_to_text
from . import charsets

MAX_HEADER = 256 * 1024  # bytes of header block fetched; more is quarantined
MAX_PART = 8 * 1024 * 1024  # bytes of the shown text part fetched; a longer one is cut
MAX_ID = 200
_ID_RE = re.compile(rb"<([^<>\s]{1,998})>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_parser = BytesHeaderParser(policy=policy.default)


@dataclass(frozen=True, slots=True)
class Headers:
    """What the channel needs from one message's header block."""

    message_id: str
    parents: tuple[str, ...]  # References (root first), else In-Reply-To
    in_reply_to: str | None
    subject: str
    sender_name: str
    sender_addr: str
    reply_to: str
    date: datetime | None
    language: str | None
    urgent: bool  # Importance: high / X-Priority 1-2 / Priority: urgent


@dataclass(frozen=True, slots=True)
class Part:
    """A leaf of the BODYSTRUCTURE tree with its IMAP section number ("1", "2.1")."""

    section: str
    ctype: str
    params: dict[str, str]
    encoding: str
    size: int
    disposition: str
    filename: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment as listed (never opened): name, type and size in bytes."""

    name: str
    ctype: str
    size: int

    def describe(self) -> str:
        return f"{self.name} ({self.ctype}, {human_size(self.size)})"


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def normalize_id(raw: str) -> str:
    """A Message-ID as a stable key: no brackets or spaces, domain part lower-cased
    (RFC 5322 §3.6.4: "id-left@id-right"; the right side is a domain), long ones hashed."""
    value = raw.strip().strip("<>").strip()
    left, at, right = value.rpartition("@")
    value = f"{left}@{right.lower()}" if at else value
    if len(value) > MAX_ID:
        value = "h-" + hashlib.blake2b(value.encode(), digest_size=20).hexdigest()
    return value


def message_ids(raw: bytes | str) -> list[str]:
    """Every `<msg-id>` in a References / In-Reply-To value, in order, normalized."""
    data = raw.encode("utf-8", "replace") if isinstance(raw, str) else raw
    return [normalize_id(m.decode("ascii", "replace")) for m in _ID_RE.findall(data)]


def clean(text: str, cap: int | None = None) -> str:
    """Plain text safe to store: CRLF -> LF, control characters out; a header value or
    a fact capped at `cap` (bodies are cut by the domain, which says so)."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if cap is not None and len(text) > cap:
        text = text[:cap] + f"\n[... truncated, {len(text)} characters in all]"
    return text


def _header(msg: Any, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a header policy.default cannot parse: treat as absent
        return ""
    return clean(str(value), 2000) if value is not None else ""


def parse_headers(raw: bytes) -> Headers:
    """Parse a header block (RFC 5322). ValueError when it is unusable as a message."""
    if len(raw) >= MAX_HEADER:
        raise ValueError(f"header block is larger than {MAX_HEADER // 1024} KB")
    msg = _parser.parsebytes(charsets.utf8_encoded_words(raw))
    name, addr = _address(msg, "From")
    if not addr:
        raise ValueError("no From address (RFC 5322 §3.6 requires one)")
    own, parents = thread_ids(raw)
    irt = message_ids(_raw_value(raw, "In-Reply-To"))
    _, reply_to = _address(msg, "Reply-To")
    importance = (_header(msg, "Importance") + " " + _header(msg, "Priority")).lower()
    xprio = _header(msg, "X-Priority")[:1]
    language = _header(msg, "Content-Language").split(",")[0].strip()[:35] or None
    return Headers(
        message_id=own, parents=parents,
        in_reply_to=irt[0] if irt else None, subject=_header(msg, "Subject"),
        sender_name=name, sender_addr=addr, reply_to=reply_to or addr,
        date=_date(_header(msg, "Date")), language=language,
        urgent="high" in importance or "urgent" in importance or xprio in ("1", "2"),
    )


def thread_ids(raw: bytes) -> tuple[str, tuple[str, ...]]:
    """(own Message-ID, parents root first) from a header block: References, else the
    In-Reply-To id (RFC 5322 §3.6.4). Long chains keep the root and the newest 49."""
    ids = message_ids(_raw_value(raw, "Message-ID"))
    own = ids[0] if ids else _synthetic_id(raw)
    refs = [r for r in message_ids(_raw_value(raw, "References")) if r != own]
    irt = [r for r in message_ids(_raw_value(raw, "In-Reply-To"))[:1] if r != own]
    parents = refs or irt
    if len(parents) > 50:
        parents = [*parents[:1], *parents[-49:]]
    return own, tuple(parents)


def _raw_value(raw: bytes, name: str) -> bytes:
    """An unfolded header value straight from the bytes (message ids are ASCII)."""
    m = re.search(rb"(?im)^" + name.encode() + rb"[ \t]*:(.*(?:\r?\n[ \t].*)*)", raw)
    return m.group(1) if m else b""


def _synthetic_id(raw: bytes) -> str:
    """Messages without a Message-ID get one derived from Date/From/Subject, so the same
    message keeps the same identity across resyncs."""
    key = b"\n".join(_raw_value(raw, n).strip() for n in ("Date", "From", "Subject"))
    return f"no-id-{hashlib.blake2b(key, digest_size=12).hexdigest()}@rr.invalid"


def _address(msg: Any, name: str) -> tuple[str, str]:
    try:
        header = msg.get(name)
        addresses = getattr(header, "addresses", ()) if header is not None else ()
    except Exception:
        addresses = ()
    for a in addresses:
        if a.addr_spec and "@" in a.addr_spec:
            return clean(a.display_name, 200), clean(a.addr_spec, 320).lower()
    return "", ""


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt.tzinfo is None:  # "-0000": UTC with no information about the local zone
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value) if value is not None else ""


def _pairs(value: Any) -> dict[str, str]:
    if not isinstance(value, (tuple, list)):
        return {}
    items = [_text(v) for v in value]
    return {items[i].lower(): items[i + 1] for i in range(0, len(items) - 1, 2)}


def _decode_name(params: dict[str, str]) -> str:
    for key in ("filename*", "name*"):  # RFC 2231: charset'language'percent-encoded
        if key in params:
            charset, _, rest = params[key].partition("'")
            _, _, encoded = rest.partition("'")
            return charsets.decode(unquote_to_bytes(encoded), charset or "utf-8")
    for key in ("filename", "name"):
        if key in params:
            value = charsets.utf8_encoded_words(
                params[key].encode("utf-8", "surrogateescape")).decode("utf-8", "replace")
            try:
                return str(make_header(decode_header(value)))
            except (ValueError, LookupError, UnicodeError):
                return value
    return ""


def walk(structure: Sequence[Any], section: str = "") -> list[Part]:
    """The leaves of a BODYSTRUCTURE (as IMAPClient parses it), depth- and size-capped."""
    parts: list[Part] = []
    _walk(structure, section, parts, 0)
    return parts


def _walk(bs: Sequence[Any], section: str, out: list[Part], depth: int) -> None:
    if depth > 20 or len(out) >= 500 or len(bs) < 2:
        return
    if isinstance(bs[0], list):  # multipart: [children], subtype, params, disposition...
        for i, child in enumerate(bs[0], 1):
            _walk(child, f"{section}.{i}" if section else str(i), out, depth + 1)
        return
    ctype = f"{_text(bs[0]).lower()}/{_text(bs[1]).lower()}"
    params = _pairs(bs[2]) if len(bs) > 2 else {}
    encoding = _text(bs[5]).lower() if len(bs) > 5 else "7bit"
    size = bs[6] if len(bs) > 6 and isinstance(bs[6], int) else 0
    # Extension data starts after "lines" for text/*, after envelope+body+lines for
    # message/rfc822, right after size otherwise; disposition is its second item.
    ext = 8 if ctype.startswith("text/") else 10 if ctype == "message/rfc822" else 7
    disp = bs[ext + 1] if len(bs) > ext + 1 else None
    disposition, dparams = "", {}
    if isinstance(disp, (tuple, list)) and disp:
        disposition = _text(disp[0]).lower()
        dparams = _pairs(disp[1]) if len(disp) > 1 else {}
    name = _decode_name(dparams) or _decode_name(params)
    out.append(Part(section or "1", ctype, params, encoding, size, disposition,
                    clean(name, 255)))


def choose_text(parts: Sequence[Part]) -> Part | None:
    """The part to show: the first inline text/plain, else the first inline text/html."""
    inline = [p for p in parts if p.disposition != "attachment" and not p.filename]
    for wanted in ("text/plain", "text/html"):
        for p in inline:
            if p.ctype == wanted:
                return p
    return None


def attachments(parts: Sequence[Part], shown: Part | None) -> list[Attachment]:
    """Everything but the shown text part and inline alternatives of it."""
    out = []
    for p in parts:
        if p is shown:
            continue
        if p.ctype in ("text/plain", "text/html") and not p.filename and \
                p.disposition != "attachment":
            continue  # the other alternative of the body, not an attachment
        # BODYSTRUCTURE gives the encoded size; base64 lines are 76 chars + CRLF = 57 bytes
        size = p.size * 57 // 78 if p.encoding == "base64" else p.size
        out.append(Attachment(p.filename or "(unnamed)", p.ctype, size))
    return out


def decode_part(data: bytes, encoding: str, charset: str | None,
                complete: bool = True) -> str:
    """Decode a text part: transfer encoding, then charset. `complete=False`: `data` is
    only the start of the part, so a character cut off at its end is left out."""
    if encoding == "base64":
        compact = re.sub(rb"[^A-Za-z0-9+/=]", b"", data)
        compact = compact[: len(compact) - len(compact) % 4]
        try:
            data = base64.b64decode(compact)
        except (binascii.Error, ValueError):
            data = b""
    elif encoding == "quoted-printable":
        if not complete:  # an escape cut off at the end ("=E" of "=E3")
            data = re.sub(rb"=[0-9A-Fa-f]?\Z", b"", data)
        data = quopri.decodestring(data)
    return charsets.decode(data, charset, complete=complete)


def _tidy_mail(text: str) -> str:
    text = unescape(text)  # leftovers of malformed references
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return clean("\n".join(lines))


# An HTML mail body: link targets stay readable, tidied like a plain text body.
MAIL_HTML = HtmlReading(
    blocks=frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                      "blockquote", "pre", "table", "ul", "ol", "hr"}),
    skipped=frozenset({"script", "style", "head", "title", "template"}),
    bullet="", void_breaks_once=False, link_targets=True, tidy=_tidy_mail)


@dataclass(frozen=True, slots=True)
class BodyText:
    """The shown part as text: `text`, the HTML it came from (or None), and when only
    the start of a longer part was fetched, the estimated length of the whole text."""

    text: str
    html: str | None
    source_chars: int | None = None


def body_text(part: Part, data: bytes) -> BodyText:
    """The text of the part shown, from its fetched bytes (`data`: all of the part, or
    its first MAX_PART bytes when it is longer). The HTML is kept for the formatted
    view, which sanitizes it like any untrusted HTML."""
    complete = len(data) < MAX_PART or part.size <= len(data)
    text = decode_part(data, part.encoding, part.params.get("charset"), complete)
    html = text if part.ctype == "text/html" else None
    plain = html_to_text(text, MAIL_HTML) if html is not None else clean(text)
    if complete or not data:
        return BodyText(plain, html)
    # Characters per fetched byte, times the part's size: the length of the whole text.
    return BodyText(plain, html, round(len(plain) * part.size / len(data)))
