"""Mail charset labels as clients really send them, and the codec that decodes each.

Mail clients label text with the narrow, registered charset and encode it with the
vendor superset they actually use: Outlook sends Thai as `windows-874` or `tis-620`,
Chinese as `gb2312` carrying GBK characters (朱鎔基), Korean as `ks_c_5601-1987` carrying
CP949 (Unified Hangul) syllables (똠방각하), Japanese as `iso-2022-jp` carrying NEC and
IBM extension characters (①, ㈱, 髙, 﨑) the way Windows code page 50220 writes them.
Python's codecs take the labels at their word (`ks_c_5601-1987` is EUC-KR there), so
those characters come out as mojibake. The WHATWG Encoding Standard (encoding.spec.whatwg.org,
"Encodings" table) makes the same choice for the same reason: a label names a family,
decoded by the family's superset.

`SUPERSETS` is the table: normalized label -> the codec used. Where one superset does not
cover what senders of a family use, an unknown sequence is tried with a second codec
(`_SECONDARY`) before it becomes U+FFFD: Big5 from Windows (CP950) and from Hong Kong
(HKSCS) share most code points but each has characters the other lacks.

ISO-2022-JP has no superset codec in Python, so it is decoded segment by segment here
(RFC 1468 and its extensions RFC 2237 (-1), RFC 1554 (-2), JIS X 0213 (-3, -2004)):
each escape sequence designates the character set of the bytes up to the next one, and
each segment is decoded by the codec of its set. JIS X 0208 segments fall back to CP932
for pairs JIS X 0208 leaves unassigned (rows 13 and 89-92: what CP50220 writes there).

Anything not in the table decodes with the Python codec of that name, and an unknown or
non-text label (`zlib`, `rot13`: Python codecs, not charsets) as UTF-8. Nothing raises:
undecodable bytes become U+FFFD.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Mapping
from types import MappingProxyType

ERRORS = "rr-mail-superset"
ISO2022JP = "iso-2022-jp-superset"  # the segment decoder below, not a Python codec


def _family(codec: str, labels: str) -> dict[str, str]:
    return {label: codec for label in labels.split()}


SUPERSETS: Mapping[str, str] = MappingProxyType({
    # Thai: TIS-620 and ISO-8859-11 are subsets of Windows-874 (which adds €, …, quotes).
    **_family("cp874", "windows-874 x-windows-874 cp874 ms874 dos-874 ibm874 tis-620 tis620 "
                       "iso-8859-11 iso8859-11 iso-ir-166 cstis620"),
    # Simplified Chinese: GB2312 (EUC-CN) < GBK (CP936) < GB18030.
    **_family("gb18030", "gb2312 csgb2312 gb-2312-80 gb-2312 euc-cn x-euc-cn iso-ir-58 "
                         "chinese csiso58gb231280 gbk x-gbk cp936 ms936 windows-936 gb18030"),
    # Korean: KS X 1001 (EUC-KR, "ks_c_5601-1987") < Unified Hangul Code (CP949).
    **_family("cp949", "ks-c-5601-1987 ks-c-5601-1989 ks-c-5601 ksc5601 ksc-5601 ks-x-1001 "
                       "korean csksc56011987 iso-ir-149 euc-kr cseuckr x-euc-kr cp949 uhc "
                       "ms949 windows-949 x-windows-949"),
    # Traditional Chinese: Windows (CP950) for the plain labels, HKSCS for Hong Kong's.
    **_family("cp950", "big5 csbig5 big-5 cn-big5 x-x-big5 cp950 ms950 windows-950 "
                       "x-windows-950"),
    **_family("big5hkscs", "big5-hkscs big5hkscs x-big5-hkscs"),
    # Japanese: Shift_JIS < Windows-31J (CP932: NEC and IBM extensions).
    **_family("cp932", "shift-jis sjis x-sjis ms-kanji csshiftjis cp932 ms932 "
                       "windows-31j cswindows31j x-ms-cp932"),
    **_family(ISO2022JP, "iso-2022-jp csiso2022jp iso-2022-jp-1 iso-2022-jp-2 csiso2022jp2 "
                         "iso-2022-jp-3 iso-2022-jp-2004 iso2022-jp"),
    # Western: what is labelled Latin-1 or ASCII is written as Windows-1252 (WHATWG too).
    **_family("cp1252", "iso-8859-1 iso8859-1 latin1 latin-1 l1 cp819 ibm819 csisolatin1 "
                        "iso-ir-100 us-ascii ascii ansi-x3.4-1968 windows-1252 cp1252"),
})
_SECONDARY = {"cp950": "big5hkscs", "big5hkscs": "cp950"}
_CP936_EURO = 0x80  # GBK as Windows writes it: byte 0x80 is the euro sign


def normalize_label(label: str | None) -> str:
    """A charset parameter as written ("KS_C_5601-1987", '"gb2312"') in table form."""
    return (label or "").strip().strip("\"'").strip().lower().replace("_", "-")


def codec_for(label: str | None) -> str:
    """The codec that decodes text sent under `label` (UTF-8 when none is usable)."""
    name = normalize_label(label)
    if name in SUPERSETS:
        return SUPERSETS[name]
    if not name:
        return "utf-8"
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return "utf-8"
    # Python also has codecs that are not charsets (zlib, rot13, base64): never those.
    return info.name if getattr(info, "_is_text_encoding", True) else "utf-8"


def decode(data: bytes, label: str | None, *, complete: bool = True) -> str:
    """Text of `data` sent under charset `label`. `complete=False`: `data` is the start
    of a longer text (a partial fetch), so an incomplete character at its end is left
    out instead of becoming U+FFFD."""
    codec = codec_for(label)
    if codec == ISO2022JP:
        return decode_iso2022jp(data if complete else _whole_iso2022(data))
    if complete:
        return data.decode(codec, ERRORS)
    return codecs.getincrementaldecoder(codec)(ERRORS).decode(data, final=False)


# -- ISO-2022-JP and its extensions -----------------------------------------------------

_DESIGNATION = re.compile(rb"\x1b(\(B|\(J|\(I|\$@|\$B|\$\(B|\$A|\$\(A|\$\(C|\$\(D|\$\(O|"
                          rb"\$\(Q|\$\(P)|\x0e|\x0f")
_TWO_BYTE = {b"$@", b"$B", b"$(B", b"$A", b"$(A", b"$(C", b"$(D", b"$(O", b"$(Q", b"$(P"}
_WRAPPED = {  # designation -> (Python codec, escape it decodes) for segments it handles
    b"(J": ("iso2022_jp", b"\x1b(J"), b"$@": ("iso2022_jp", b"\x1b$B"),
    b"$B": ("iso2022_jp", b"\x1b$B"), b"$(B": ("iso2022_jp", b"\x1b$B"),
    b"$(D": ("iso2022_jp_2", b"\x1b$(D"), b"$(O": ("iso2022_jp_2004", b"\x1b$(Q"),
    b"$(Q": ("iso2022_jp_2004", b"\x1b$(Q"), b"$(P": ("iso2022_jp_2004", b"\x1b$(P"),
}
_HIGH = bytes.maketrans(bytes(range(0x21, 0x7F)), bytes(range(0xA1, 0xFF)))


def decode_iso2022jp(data: bytes) -> str:
    """ISO-2022-JP (-1, -2, -3, -2004, and the CP5022x extensions) to text."""
    if b"\x1b." in data or b"\x1bN" in data:  # -2's G2 sets (Latin-1, Greek): rare
        return data.decode("iso2022_jp_2", ERRORS)
    out: list[str] = []
    mode, start = b"(B", 0
    for m in _DESIGNATION.finditer(data):
        out.append(_segment(mode, data[start:m.start()]))
        token = m.group(0)
        mode = b"(I" if token == b"\x0e" else b"(B" if token == b"\x0f" else m.group(1)
        start = m.end()
    out.append(_segment(mode, data[start:]))
    return "".join(out)


def _segment(mode: bytes, seg: bytes) -> str:
    if not seg:
        return ""
    if mode == b"(B":  # ASCII; 8-bit bytes here are a sender's raw Shift_JIS
        return seg.decode("ascii") if seg.isascii() else seg.decode("cp932", ERRORS)
    if mode == b"(I":  # JIS X 0201 katakana: the half-width forms of CP932
        return seg.translate(_HIGH).decode("cp932", ERRORS)
    if mode in (b"$A", b"$(A"):  # GB 2312 (RFC 1554)
        return seg.translate(_HIGH).decode("gb18030", ERRORS)
    if mode == b"$(C":  # KS X 1001 (RFC 1554)
        return seg.translate(_HIGH).decode("cp949", ERRORS)
    codec, escape = _WRAPPED[mode]
    return (escape + seg + b"\x1b(B").decode(codec, ERRORS)


def _whole_iso2022(data: bytes) -> bytes:
    """`data` without an escape sequence or a two-byte character cut off at its end."""
    esc = data.rfind(b"\x1b", max(len(data) - 4, 0))
    if esc >= 0 and not _DESIGNATION.match(data, esc):
        data = data[:esc]
    last = None
    for found in _DESIGNATION.finditer(data):
        last = found
    if last is not None and last.group(1) in _TWO_BYTE and (len(data) - last.end()) % 2:
        data = data[:-1]
    return data


def _jis_pair_as_cp932(j1: int, j2: int) -> str:
    """A JIS X 0208-form pair through CP932 (Shift_JIS arithmetic, JIS X 0208 annex 1)."""
    if not (0x21 <= j1 <= 0x7E and 0x21 <= j2 <= 0x7E):
        raise ValueError("not a JIS pair")
    s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
    s2 = j2 + (0x7E if not j1 & 1 else 0x1F if j2 <= 0x5F else 0x20)
    return bytes((s1, s2)).decode("cp932")


def _fallback(exc: UnicodeError) -> tuple[str, int]:
    """The error handler: what the superset's vendors put where the codec has nothing."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    data, start = exc.object, exc.start
    try:
        if exc.encoding == "iso2022_jp" and start + 1 < len(data):
            return _jis_pair_as_cp932(data[start], data[start + 1]), start + 2
        secondary = _SECONDARY.get(exc.encoding)
        if secondary is not None:
            return data[start:start + 2].decode(secondary), start + 2
        if exc.encoding == "gb18030" and data[start] == _CP936_EURO:
            return "\u20ac", start + 1
    except (UnicodeDecodeError, ValueError):
        pass
    return "\ufffd", exc.end


codecs.register_error(ERRORS, _fallback)


# -- RFC 2047 encoded words in headers ----------------------------------------------------

_WORD = re.compile(rb"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_UTF8 = frozenset({"utf-8", "utf8"})


def _payload(m: re.Match[bytes]) -> bytes:
    text = m.group(3)
    if m.group(2) in b"bB":
        return base64.b64decode(text + b"=" * (-len(text) % 4))
    return binascii.a2b_qp(text, header=True)


def utf8_encoded_words(header_block: bytes) -> bytes:
    """The header block with every RFC 2047 encoded word (`=?gb2312?B?...?=`) in a
    charset other than UTF-8 re-encoded as UTF-8, decoded with the superset codec of its
    label, so the email package's parser (which takes labels at their word) reads the
    text the sender wrote. Adjacent words of one charset (only folding white space
    between them, RFC 2047 §6.2) are decoded together: some clients split a multi-byte
    character across two words. A word that is not valid base64 is left as it is."""
    matches = list(_WORD.finditer(header_block))
    if not matches:
        return header_block
    out = bytearray()
    pos = i = 0
    while i < len(matches):
        first = matches[i]
        label = first.group(1).decode("ascii", "replace")
        j = i + 1
        while j < len(matches) and matches[j].group(1).lower() == first.group(1).lower() \
                and not header_block[matches[j - 1].end():matches[j].start()].strip():
            j += 1
        if normalize_label(label) in _UTF8:
            i = j
            continue
        try:
            raw = b"".join(_payload(m) for m in matches[i:j])
        except (binascii.Error, ValueError):
            i = j
            continue
        text = decode(raw, label)
        out += header_block[pos:first.start()]
        out += b"=?utf-8?b?" + base64.b64encode(text.encode("utf-8", "replace")) + b"?="
        pos = matches[j - 1].end()
        i = j
    out += header_block[pos:]
    return bytes(out)
