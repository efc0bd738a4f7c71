"""Turning untrusted feed bytes into one vetted UTF-8 XML document, or refusing them.

Order of work (nothing here touches the network or the file system):

1. Decode with the XML media type rules of RFC 7303 section 3.2: a byte order mark wins,
   then the HTTP `charset` parameter, then the XML declaration's `encoding`, then UTF-8.
2. Re-encode as UTF-8 with a matching XML declaration. Leniencies for what is common in the
   wild: leading blanks and XML-illegal C0 control characters are dropped; HTML named
   character references (`&nbsp;`, `&eacute;`, from Python's `html.entities.html5` table,
   outside CDATA sections) become numeric references, which need no DTD; the Netscape RSS
   0.91 public DOCTYPE without an internal subset is dropped (it would load nothing).
3. Vet that exact byte string with defusedxml's expat parser with `forbid_dtd`,
   `forbid_entities` and `forbid_external` (defusedxml README: DTDs, entity declarations
   and external references are what billion laughs, quadratic blowup and XXE need);
   XInclude elements are refused too. Not well-formed XML is refused.

Only the vetted bytes are handed to feedparser, so both parsers see the same characters.
"""

from __future__ import annotations

import codecs
import re
from html.entities import html5
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from ...domain import Quarantined
from ..contract import Rejected

MAX_DEPTH = 64  # feeds nest a handful of levels; XHTML content a few more
XINCLUDE_NS = "{http://www.w3.org/2001/XInclude}"
_UTF8_DECL = '<?xml version="1.0" encoding="utf-8"?>'
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SNIFF = (
    (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"),
)
_DECL_ENCODING = re.compile(
    rb"^[ \t\r\n]*<\?xml[^>]{0,200}?encoding[ \t\r\n]*=[ \t\r\n]*[\"']([A-Za-z][\w.:-]{0,40})[\"']")
_DECL = re.compile(r"^<\?xml[ \t\r\n][^>]{0,300}?\?>")
_NETSCAPE_DOCTYPE = re.compile(
    r'<!DOCTYPE\s+rss\s+PUBLIC\s+"-//Netscape Communications//DTD RSS 0\.91//EN"\s+'
    r'"http://my\.netscape\.com/publish/formats/rss-0\.91\.dtd"\s*>')
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CDATA = re.compile(r"(<!\[CDATA\[.*?\]\]>)", re.DOTALL)
_NAMED_REF = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_NAMES = frozenset(("lt", "gt", "amp", "apos", "quot"))


def _numeric_ref(m: re.Match[str]) -> str:
    name = m.group(1)
    value = None if name in _XML_NAMES else html5.get(name + ";")
    return m.group(0) if value is None else "".join(f"&#x{ord(c):x};" for c in value)


def _html_refs_to_numeric(text: str) -> str:
    if "&" not in text:
        return text
    return "".join(part if part.startswith("<![CDATA[") else _NAMED_REF.sub(_numeric_ref, part)
                   for part in _CDATA.split(text))


class FeedRefused(Rejected):
    """The document is hostile or unusable (DTD, entities, external references, XInclude,
    not well-formed, too big, unknown encoding). Not retryable; the raw text goes to the
    quarantine through the engine (`quarantined`)."""

    def __init__(self, message: str, why: str, quarantined: Quarantined) -> None:
        super().__init__(message)
        self.why = why
        self.quarantined = quarantined


def refuse(name: str, why: str, data: bytes) -> FeedRefused:
    """A FeedRefused whose message names the channel and the reason."""
    raw = data[:256 * 1024].decode("utf-8", errors="replace")
    return FeedRefused(f"{name}: feed refused: {why}", why,
                       Quarantined.of(None, f"feed refused: {why}", raw))


def _encoding(data: bytes, http_charset: str | None) -> tuple[str, int]:
    """(codec name, bytes of BOM to skip) per RFC 7303 section 3.2."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    for prefix, codec in _SNIFF:
        if data.startswith(prefix):
            return codec, 0
    if http_charset:
        return http_charset, 0
    m = _DECL_ENCODING.match(data)
    return (m.group(1).decode("ascii"), 0) if m else ("utf-8", 0)


def to_utf8(data: bytes, http_charset: str | None = None) -> bytes:
    """The document as UTF-8 with a UTF-8 declaration; LookupError for an unknown
    (or non-text) encoding."""
    codec, skip = _encoding(data, http_charset)
    info = codecs.lookup(codec)  # LookupError for names Python does not know
    if not getattr(info, "_is_text_encoding", True) or info.name == "utf-7":
        raise LookupError(codec)
    text = data[skip:].decode(info.name, errors="replace")
    text = text.lstrip("\ufeff \t\r\n")
    text = _XML_ILLEGAL.sub("", text)
    text = _DECL.sub("", text, count=1)  # what followed it keeps its line numbers
    text = _NETSCAPE_DOCTYPE.sub("", text, count=1)
    text = _html_refs_to_numeric(text)
    return (_UTF8_DECL + text).encode("utf-8", errors="replace")


class _Vetter:
    """ElementTree parser target that keeps nothing; checks names and depth only."""

    def __init__(self) -> None:
        self.depth = 0
        self.root: str | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if self.root is None:
            self.root = tag
        if tag.startswith(XINCLUDE_NS):
            raise ValueError("it uses XInclude")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ValueError(f"elements nest deeper than {MAX_DEPTH} levels")

    def end(self, tag: str) -> None:
        self.depth -= 1

    def data(self, data: str) -> None:
        pass

    def close(self) -> str | None:
        return self.root


def _reason(exc: Exception) -> str:
    text = type(exc).__name__
    if "DTD" in text:
        return "it contains a DTD (DOCTYPE), which may declare entities or load files"
    if "Entities" in text:
        return "it declares XML entities (billion laughs / external entity attack)"
    if "External" in text:
        return "it references an external entity or DTD"
    return f"it is not usable XML ({exc})"


def vet(name: str, data: bytes, http_charset: str | None = None) -> tuple[bytes, str | None]:
    """The vetted UTF-8 document and its root tag (see the module docstring), or
    FeedRefused."""
    try:
        utf8 = to_utf8(data, http_charset)
    except LookupError:
        raise refuse(name, "it declares a character encoding we do not know", data) from None
    target = _Vetter()
    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    try:
        parser.feed(utf8)
        parser.close()
    except DefusedXmlException as exc:
        raise refuse(name, _reason(exc), data) from None
    except ParseError as exc:
        raise refuse(name, f"it is not well-formed XML ({exc})", data) from None
    except ValueError as exc:  # from _Vetter
        raise refuse(name, str(exc), data) from None
    return utf8, target.root
