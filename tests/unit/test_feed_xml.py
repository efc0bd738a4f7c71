"""Untrusted feed bytes: hostile XML is refused before any parser could load anything,
encodings are honoured, and nothing else ever escapes as an exception."""

from __future__ import annotations

import io
import os
import tempfile
import xml.sax
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rr_desktop.channels.feeds import FeedRefused, FeedRules, parse_document, process_document
from rr_desktop.channels.feeds.safexml import to_utf8, vet
from tests.peers.nginx import Canary, watch_io

DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"
HOSTILE = sorted((DATA / "hostile").glob("*.xml"))
RSS = ('<rss version="2.0"><channel><title>{title}</title><item><title>{item}</title>'
       "<link>https://n.example/1</link></item></channel></rss>")


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    c = Canary()
    yield c
    c.close()


@pytest.fixture(scope="module")
def secret() -> Iterator[str]:
    fd, path = tempfile.mkstemp(prefix="rr-secret-", dir="/tmp")
    os.write(fd, b"CANARY-SECRET-91c2")
    os.close(fd)
    yield path
    os.unlink(path)


def _hostile(path: Path, canary: Canary, secret: str) -> bytes:
    text = path.read_text().replace("@CANARY_URL@", canary.url)
    return text.replace("@SECRET_FILE@", secret).encode()


def _titles(data: bytes, charset: str | None = None) -> list[str]:
    parsed = feedparser.parse(io.BytesIO(vet("t", data, charset)[0]))
    return [parsed.feed.title, *(e.title for e in parsed.entries)]


@pytest.mark.parametrize("doc", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_hostile_corpus_is_refused_with_no_file_or_network_access(
        doc: Path, canary: Canary, secret: str) -> None:
    data = _hostile(doc, canary, secret)
    for variant in (data, data.decode().encode("utf-16"), b"\n\n  " + data):
        with watch_io({secret}, {canary.port}) as watch, pytest.raises(FeedRefused) as refused:
            parse_document("news", variant, "https://n.example/rss", None)
        assert watch.opened == [] and watch.connected == []
        assert refused.value.quarantined.reason.startswith("feed refused: it ")
        assert "CANARY-SECRET" not in str(refused.value)
    assert canary.settle() == 0


@pytest.mark.parametrize("doc", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_feedparser_alone_would_not_load_them_either(doc: Path, canary: Canary,
                                                     secret: str) -> None:
    """Defence in depth: even unvetted, feedparser (given bytes, not a URL) neither reads
    the file nor calls the canary."""
    with watch_io({secret}, {canary.port}) as watch:
        parsed = feedparser.parse(io.BytesIO(_hostile(doc, canary, secret)))
    assert watch.opened == [] and watch.connected == [] and canary.settle() == 0
    assert "CANARY-SECRET" not in repr(parsed)


def test_the_watch_really_sees_an_xxe_read(secret: str, canary: Canary) -> None:
    """Control: a parser with external entities on does read the file, and we notice."""
    class Grab(xml.sax.ContentHandler):
        text = ""

        def characters(self, content: str) -> None:
            self.text += content

    parser = xml.sax.make_parser()
    parser.setFeature(xml.sax.handler.feature_external_ges, True)
    handler = Grab()
    parser.setContentHandler(handler)
    with watch_io({secret}, {canary.port}) as watch:
        parser.parse(io.BytesIO(_hostile(DATA / "hostile" / "xxe_file.xml", canary, secret)))
    assert watch.opened == [secret] and "CANARY-SECRET" in handler.text


@pytest.mark.parametrize("data, charset, why", [
    ('<!DOCTYPE rss PUBLIC "-//W3C//DTD X//EN" "x.dtd"><rss/>', None, "DTD"),
    ('<?xml version="1.0" encoding="utf-16"?><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>', None,
     "not well-formed"),
    ('<?xml version="1.0" encoding="UTF-7"?>+ADw-rss/+AD4-', None, "encoding"),
    ('<?xml version="1.0" encoding="x-klingon"?><rss/>', None, "encoding"),
    ("<rss><channel><title>&bogus;</title></channel></rss>", None, "undefined entity"),
    ("<a>" * 80 + "</a>" * 80, None, "nest deeper"),
    ("", None, "no element found"),
    ("<rss/>", "rot13", "encoding"),
])
def test_other_refusals(data: str, charset: str | None, why: str) -> None:
    with pytest.raises(FeedRefused, match=why):
        vet("news", data.encode(), charset)


def test_encodings_follow_rfc_7303() -> None:
    sjis = '<?xml version="1.0" encoding="Shift_JIS"?>' + RSS.format(title="速報", item="地震")
    assert _titles(sjis.encode("shift_jis")) == ["速報", "地震"]
    utf16 = RSS.format(title="Tin tức", item="Việt Nam")
    assert _titles(utf16.encode("utf-16")) == ["Tin tức", "Việt Nam"]
    latin = RSS.format(title="Café", item="Crème").encode("cp1252")
    assert _titles(latin, "windows-1252") == ["Café", "Crème"]  # HTTP charset
    bom = codecs_bom_utf8() + RSS.format(title="Ünï", item="ok").encode()
    assert _titles(bom, "iso-8859-1") == ["Ünï", "ok"]  # the BOM beats the charset
    messy = "\n  <?xml version='1.0'?>\n" + RSS.format(title="a\x0bb\x1a", item="c")
    assert _titles(messy.encode()) == ["ab", "c"]  # stray blanks and C0 controls dropped
    netscape = ('<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
                '"http://my.netscape.com/publish/formats/rss-0.91.dtd">'
                + RSS.format(title="Old", item="feed"))
    assert _titles(netscape.encode()) == ["Old", "feed"]
    html_refs = RSS.format(title="Caf&eacute;&nbsp;1 &amp; &#233;", item="<![CDATA[&nbsp;]]>")
    assert _titles(html_refs.encode()) == ["Café\xa01 & é", "&nbsp;"]  # no DTD needed
    assert to_utf8(b"<rss/>").startswith(b'<?xml version="1.0" encoding="utf-8"?>')


def codecs_bom_utf8() -> bytes:
    return b"\xef\xbb\xbf"


VALID = (DATA / "apac_wire_v1.xml").read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mangled_feeds_never_raise_anything_but_a_refusal(data: st.DataObject) -> None:
    doc = bytearray(VALID)
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(doc)))
        op = data.draw(st.sampled_from(["insert", "delete", "flip"]))
        chunk = data.draw(st.binary(min_size=1, max_size=8) | st.sampled_from(
            [b"<", b"&", b"<!DOCTYPE x>", b"]]>", b"&#0;", b"\x00", b"</item>", b"<item>"]))
        if op == "insert":
            doc[at:at] = chunk
        elif op == "delete":
            del doc[at:at + len(chunk)]
        else:
            doc[at:at + len(chunk)] = chunk
    rules = FeedRules("AU", keywords="hoax, scam")
    try:
        parsed = parse_document("news", bytes(doc), "https://n.example/rss", None)
    except FeedRefused:
        return
    out: dict[str, tuple[int, str]] = {}
    results = process_document(parsed, rules, {}, out, datetime.now(UTC), "https://n/")
    assert all(hasattr(r, "record") or hasattr(r, "reason") for r in results)
