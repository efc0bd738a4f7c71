"""Mail charset labels as clients really send them: every label of the table decodes
what its senders write, characters outside the narrow charset included, in bodies and
in encoded words (subjects, display names)."""

from __future__ import annotations

import base64
import codecs
import unicodedata
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rr_desktop.channels.email import charsets
from rr_desktop.channels.email.charsets import ISO2022JP, SUPERSETS, decode
from rr_desktop.channels.email.mime import decode_part, parse_headers
from tests.peers.mail_clients import Encoder, codec, cp50221, first_that_fits

THAI = "ราคา €100 “ด่วนที่สุด” … – ลบภายใน 24 ชม."  # noqa: RUF001 (as Thai users type it)
# label as written, how its senders encode, text with characters outside the narrow set
CASES = [  # label, how its senders encode, text; True: Python reads the label wrongly
    ("windows-874", codec("cp874"), THAI, True),
    ("tis-620", codec("cp874"), THAI, True),
    ("iso-8859-11", codec("cp874"), THAI, True),
    ("gb2312", codec("gbk"), "朱鎔基 办公室: 请删除视频", True),
    ("GBK", codec("gbk"), "朱鎔基 瑄 镕", False),
    ("gb18030", codec("gb18030"), "朱鎔基 𠀀 ḿ €", False),
    ("ks_c_5601-1987", codec("cp949"), "똠방각하 긴급 삭제 요청", True),
    ("euc-kr", codec("cp949"), "똠방각하 펲 쌰", True),
    ("cp949", codec("cp949"), "똠방각하", False),
    ("big5", first_that_fits("cp950", "big5hkscs"), "香港 €500 𨋢 碁", True),
    ("big5-hkscs", first_that_fits("big5hkscs", "cp950"), "香港 𨋢 €500", True),
    ("cp950", codec("cp950"), "€500 碁 銹", False),
    ("shift_jis", codec("cp932"), "①削除依頼 ㈱髙﨑 ｱﾝｹｰﾄ", True),
    ("Shift_JIS", codec("cp932"), "Ⅳ 髙橋 №", True),
    ("cp932", codec("cp932"), "① ㈱ 髙﨑", False),
    ("iso-2022-jp", cp50221, "①削除依頼 ㈱髙﨑 ｱﾝｹｰﾄ 〜", True),
    ("ISO-2022-JP-1", codec("iso2022_jp_1"), "漢字 丂 丄", False),
    ("iso-2022-jp-2", codec("iso2022_jp_2"), "漢字 한국어 简体 丂 ą", False),
    ("iso-2022-jp-3", codec("iso2022_jp_3"), "漢字 𠀋 ① 㐂", False),
    ("iso-2022-jp-2004", codec("iso2022_jp_2004"), "漢字 𠀋 俱 ①", False),
]


def narrow(label: str, data: bytes) -> str:
    """What taking the label at its word gives (Python's codec of that name)."""
    try:
        return data.decode(label, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


@pytest.mark.parametrize(("label", "encode", "text", "misread"), CASES,
                         ids=[c[0] for c in CASES])
def test_each_label_decodes_what_its_senders_write(label: str, encode: Encoder, text: str,
                                                   misread: bool) -> None:
    data = encode(text)
    assert (narrow(label, data) != text) == misread  # what the narrow reading gives
    assert decode(data, label) == text
    assert decode_part(base64.encodebytes(data), "base64", label) == text
    # ... and in headers: the subject and a display name as encoded words.
    word = f"=?{label}?B?{base64.b64encode(data).decode()}?="
    raw = f"From: {word} <desk@example.com>\r\nSubject: Re: {word}\r\n\r\n".encode()
    headers = parse_headers(raw)
    assert headers.subject == f"Re: {text}"
    assert headers.sender_name == text and headers.sender_addr == "desk@example.com"


def test_a_character_split_across_two_encoded_words_is_whole() -> None:
    data = "똠방각하".encode("cp949")
    words = [f"=?ks_c_5601-1987?B?{base64.b64encode(data[i:i + 3]).decode()}?="
             for i in range(0, len(data), 3)]  # 3 bytes: every word ends mid-character
    raw = ("Subject: " + "\r\n ".join(words) + "\r\nFrom: a@b.example\r\n\r\n").encode()
    assert parse_headers(raw).subject == "똠방각하"
    qp = "=?windows-874?Q?=CA=C7=D1=CA=B4=D5_=80?="  # Q encoding, underscore is a space
    raw = f"Subject: {qp}\r\nFrom: a@b.example\r\n\r\n".encode()
    assert parse_headers(raw).subject == "สวัสดี €"


def test_the_start_of_a_long_part_ends_on_a_whole_character() -> None:
    for label, encode, text, _ in CASES:
        data = encode(text * 3)
        for end in range(len(data) - 12, len(data)):
            got = decode(data[:end], label, complete=False)
            assert "\ufffd" not in got and (text * 3).startswith(got), (label, end, got)


def test_labels_that_name_no_charset_read_as_utf8() -> None:
    data = "ok ✓".encode()
    for label in ("zlib", "rot13", "base64", "hex", "x-unknown", "", None, "utf-8"):
        assert decode(data, label) == "ok ✓"
    assert decode(b"\xff", "zlib") == "\ufffd"
    assert charsets.codec_for('"UTF-8"') == "utf-8"


# -- the property: every alias of the table, any text its senders can write -----------

_JP_SENDERS = {"iso-2022-jp-1": "iso2022_jp_1", "iso-2022-jp-2": "iso2022_jp_2",
               "csiso2022jp2": "iso2022_jp_2", "iso-2022-jp-3": "iso2022_jp_3",
               "iso-2022-jp-2004": "iso2022_jp_2004"}


def sender(label: str) -> tuple[tuple[str, ...], str]:
    """(the codecs a sender of `label` writes with, first that fits; the narrow codec)."""
    family = SUPERSETS[label]
    if family == "gb18030":
        return (("gb18030",), "gbk") if label == "gb18030" else (("gbk",), "gb2312")
    if family == ISO2022JP:
        return ((_JP_SENDERS.get(label, "cp50221"),), "iso2022_jp")
    return {"cp874": (("cp874",), "tis_620"), "cp949": (("cp949",), "euc_kr"),
            "cp950": (("cp950", "big5hkscs"), "big5"),
            "big5hkscs": (("big5hkscs", "cp950"), "big5"),
            "cp932": (("cp932",), "shift_jis"),
            "cp1252": (("cp1252",), "ascii" if "ascii" in label or "x3.4" in label
                       else "latin-1")}[family]


_RANGES = [(0x20, 0x7F), (0xA0, 0x3400), (0x4E00, 0xA000), (0xAC00, 0xD7A4),
           (0xF900, 0xFFF0), (0x20000, 0x2A6E0)]


def _own_round_trip(ch: str, name: str) -> bool:
    if name == "cp50221":
        # CP932's repertoire, but for its user-defined area (no JIS form) and the few
        # characters CP932 and JIS X 0208 map differently at one code (CP932's ￠ is
        # JIS X 0208's ¢): such text comes back in the JIS form, as the label says.
        if not _own_round_trip(ch, "cp932") or 0xE000 <= ord(ch) <= 0xF8FF:
            return False
        try:
            return cp50221(ch).decode("iso2022_jp") == ch
        except UnicodeError:
            return True  # NEC and IBM extensions: no JIS X 0208 reading at all
    try:
        return ch.encode(name).decode(name) == ch
    except UnicodeError:
        return False


def _in_narrow(ch: str, narrow_codec: str) -> bool:
    try:
        data = ch.encode(narrow_codec)
    except UnicodeError:
        return False
    # Python's EUC-KR spells syllables KS X 1001 lacks as 8-byte jamo sequences (KS X
    # 1001 annex 3); no mail client sends those, they send CP949.
    return narrow_codec != "euc_kr" or len(data) <= 2


@cache
def alphabet(writers: tuple[str, ...], narrow_codec: str) -> tuple[list[str], list[str]]:
    """(every character the sender writes and reads back with its own codec, the ones
    of them outside the narrow charset). A second codec only counts where the first has
    no such bytes: that is the sender's choice the table follows."""
    every, outside = [], []
    for lo, hi in _RANGES:
        for code in range(lo, hi):
            ch = chr(code)
            if unicodedata.category(ch) in ("Cn", "Cs", "Co", "Cc"):
                continue
            first = next((w for w in writers if _own_round_trip(ch, w)), None)
            if first is None:
                continue
            if first != writers[0]:
                try:
                    ch.encode(first).decode(writers[0])
                    continue  # the first codec reads those bytes as something else
                except UnicodeError:
                    pass
            every.append(ch)
            if not _in_narrow(ch, narrow_codec):
                outside.append(ch)
    return every, outside


def write(writers: tuple[str, ...], text: str) -> bytes:
    if writers == ("cp50221",):
        return cp50221(text)
    return first_that_fits(*writers)(text)


@cache
def texts(label: str) -> st.SearchStrategy[str]:
    """Text a sender of `label` writes, with at least one character outside the narrow
    charset."""
    writers, narrow_codec = sender(label)
    every, outside = alphabet(writers, narrow_codec)
    assert outside, f"{label}: no character outside {narrow_codec} to test with"
    some = st.lists(st.sampled_from(every), max_size=20).map("".join)
    beyond = st.lists(st.sampled_from(outside), min_size=1, max_size=5).map("".join)
    return st.tuples(some, beyond, some).map("".join)


@pytest.mark.parametrize("label", sorted(SUPERSETS))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_alias_round_trips_text_beyond_the_narrow_charset(label: str,
                                                                data: st.DataObject) -> None:
    writers, _ = sender(label)
    text = data.draw(texts(label))
    sent = write(writers, text)
    assert decode(sent, label) == text
    word = f"=?{label}?B?{base64.b64encode(sent).decode()}?="
    assert parse_headers(f"Subject: {word}\r\nFrom: a@b.example\r\n\r\n".encode()
                         ).subject == text.strip()


def test_every_alias_is_a_label_clients_use_for_a_known_codec() -> None:
    for label, name in SUPERSETS.items():
        assert label == charsets.normalize_label(label)
        assert name == ISO2022JP or codecs.lookup(name)
