"""Mail made the way APAC mail clients make it: the narrow charset label, the vendor
superset's bytes, and MIME from the stdlib email package.

What the clients do (and what the channel must read):
- Outlook (Thai Windows): `windows-874`, quoted-printable; Windows-874 adds €, …, and
  curly quotes to TIS-620.
- Foxmail / Outlook (Simplified Chinese Windows): labels `gb2312`, writes code page 936
  (GBK), so 鎔 (not in GB 2312) arrives under the gb2312 label; base64.
- Outlook (Korean Windows): labels `ks_c_5601-1987`, writes code page 949 (Unified
  Hangul Code), so 똠 (not in KS X 1001) arrives under it; base64.
- Outlook (Japanese Windows): labels `iso-2022-jp`, writes code page 50221: JIS X 0208
  escapes carrying CP932's NEC and IBM extension characters (①, ㈱, 髙, 﨑), half-width
  katakana after ESC ( I; 7bit. Python has no CP5022x codec, so `cp50221()` below spells
  out that conversion (CP932 bytes re-expressed in JIS X 0208 form, Shift_JIS
  arithmetic of JIS X 0208 annex 1).
- Outlook (Traditional Chinese Windows with the HKSCS update): labels `big5`, writes CP950
  and HKSCS (Big5-HKSCS) for what CP950 lacks.
Encoded words in headers carry the same labels and bytes (email.base64mime /
email.quoprimime build them, as the clients' own libraries do).
"""

from __future__ import annotations

import email.base64mime
import email.quoprimime
from collections.abc import Callable
from dataclasses import dataclass
from email import encoders, policy
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart

Encoder = Callable[[str], bytes]


def _sjis_to_jis(s1: int, s2: int) -> bytes:
    if s1 >= 0xE0:
        s1 -= 0x40
    j1 = (s1 - 0x81) * 2 + 0x21
    if s2 >= 0x9F:
        return bytes((j1 + 1, s2 - 0x7E))
    return bytes((j1, s2 - (0x1F if s2 <= 0x7E else 0x20)))


def cp50221(text: str) -> bytes:
    """ISO-2022-JP as Windows writes it (code page 50221)."""
    out = bytearray()
    mode = "ascii"
    for ch in text:
        sjis = ch.encode("cp932")
        if len(sjis) == 2:
            want, data = "jis", _sjis_to_jis(*sjis)
        elif sjis[0] >= 0xA1:
            want, data = "kana", bytes((sjis[0] - 0x80,))
        else:
            want, data = "ascii", sjis
        if want != mode:
            out += {"ascii": b"\x1b(B", "jis": b"\x1b$B", "kana": b"\x1b(I"}[want]
            mode = want
        out += data
    if mode != "ascii":
        out += b"\x1b(B"
    return bytes(out)


def first_that_fits(*codecs: str) -> Encoder:
    """A client that writes each character with the first codec that has it."""
    def encode(text: str) -> bytes:
        out = bytearray()
        for ch in text:
            for codec in codecs:
                try:
                    out += ch.encode(codec)
                    break
                except UnicodeEncodeError:
                    continue
            else:
                raise UnicodeEncodeError(codecs[0], ch, 0, 1, "no codec has it")
        return bytes(out)
    return encode


def codec(name: str) -> Encoder:
    return lambda text: text.encode(name)


@dataclass(frozen=True)
class Client:
    """A mail client's way with one script: the label it writes, how it encodes text,
    and the transfer encoding of its bodies."""

    name: str
    label: str
    encode: Encoder
    transfer: str  # base64 | quoted-printable | 7bit

    def word(self, text: str) -> str:
        """An RFC 2047 encoded word as the client writes it in a header."""
        data = self.encode(text)
        if self.transfer == "quoted-printable":
            return email.quoprimime.header_encode(data, charset=self.label)
        return email.base64mime.header_encode(data, charset=self.label)

    def part(self, text: str, subtype: str = "plain") -> MIMENonMultipart:
        part = MIMENonMultipart("text", subtype, charset=self.label)
        if self.transfer == "base64":  # line breaks are CRLF inside (RFC 2045 §6.8)
            text = text.replace("\n", "\r\n")
        part.set_payload(self.encode(text))
        {"base64": encoders.encode_base64, "quoted-printable": encoders.encode_quopri,
         "7bit": encoders.encode_7or8bit}[self.transfer](part)
        return part

    def mail(self, mid: str, subject: str, sender: tuple[str, str], body: str,
             html: str | None = None) -> bytes:
        """A whole message: subject and display name as encoded words, the body as
        text/plain (or multipart/alternative with an HTML part, as Foxmail sends)."""
        if html is None:
            msg: MIMENonMultipart | MIMEMultipart = self.part(body)
        else:
            msg = MIMEMultipart("alternative")
            msg.attach(self.part(body))
            msg.attach(self.part(html, "html"))
        name, addr = sender
        msg["From"] = f"{self.word(name)} <{addr}>"
        msg["To"] = "Rapid Response <rr@platform.example>"
        msg["Subject"] = self.word(subject)
        msg["Message-ID"] = f"<{mid}>"
        msg["Date"] = "Tue, 03 Mar 2026 10:00:00 +0700"
        return msg.as_bytes(policy=policy.compat32.clone(linesep="\r\n"))


OUTLOOK_THAI = Client("Outlook (Thai)", "windows-874", codec("cp874"), "quoted-printable")
FOXMAIL = Client("Foxmail", "gb2312", codec("gbk"), "base64")
OUTLOOK_KOREAN = Client("Outlook (Korean)", "ks_c_5601-1987", codec("cp949"), "base64")
OUTLOOK_JAPANESE = Client("Outlook (Japanese)", "iso-2022-jp", cp50221, "7bit")
OUTLOOK_HONG_KONG = Client("Outlook (Hong Kong)", "big5", first_that_fits("cp950", "big5hkscs"),
                           "base64")
