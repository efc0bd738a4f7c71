"""Showing untrusted text safely (docs/security.md, "Untrusted content in Qt").

Pure functions, no Qt: they could move to the core unchanged. Every string that came from
a channel goes through `reveal_invisibles` before a widget shows it, and widgets show it as
plain text (`Qt.TextFormat.PlainText`, QPlainTextEdit, item views).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..domain.markets import market_zone

# Bidi embeddings/overrides/isolates, zero-width and direction marks, the Arabic letter
# mark, BOM, C0/C1 controls (tab and newline stay), DEL, and a few more characters that are
# invisible or move text around: line/paragraph separators, word joiner and invisible
# operators, deprecated format characters, Mongolian vowel separator, interlinear
# annotation controls.
_HIDDEN = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f"
    "\u061c\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb]"
)

DISPLAY_CAP_CHARS = 300_000
"""Bodies longer than this are cut for display (the stored text is untouched)."""
LONG_LINE_CHARS = 1_000
"""Lines longer than this are broken for display: Qt lays out one paragraph in time
quadratic in its length (a 1M-character line takes over a minute)."""


def _marker(match: re.Match[str]) -> str:
    return f"[U+{ord(match.group()):04X}]"


def reveal_invisibles(text: str) -> str:
    """Replace characters that hide or reorder text with visible markers like `[U+202E]`.

    CRLF and lone CR become LF first (mail bodies carry CRLF; a marker on every line would
    be noise), then every remaining hidden character is shown as its code point.
    """
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _HIDDEN.sub(_marker, text)


def one_line(text: str | None) -> str:
    """Untrusted text for a single-line cell or label: invisibles revealed, line breaks and
    tabs shown as spaces so a title cannot push fake rows into a table."""
    if not text:
        return ""
    shown = reveal_invisibles(text)
    return shown.replace("\n", " \u23ce ").replace("\t", " ")


def cap_for_display(text: str, cap: int = DISPLAY_CAP_CHARS) -> tuple[str, str | None]:
    """(text to show, note or None): very long text is truncated with a note saying so."""
    if len(text) <= cap:
        return text, None
    note = (f"[Shown truncated for display: first {cap:,} of {len(text):,} characters. "
            "The full text is kept in the cache.]")
    return text[:cap], note


def break_long_lines(text: str, width: int = LONG_LINE_CHARS) -> str:
    """Break lines longer than `width` into chunks (display only; stored text untouched)."""
    if len(text) <= width:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
        else:
            out.extend(line[i:i + width] for i in range(0, len(line), width))
    return "\n".join(out)


def plural(n: int, noun: str) -> str:
    """"1 local change", "2 local changes" (nouns that take an s)."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def plain_tooltip(text: str) -> str:
    """A tooltip string that shows `text` literally.

    Tooltips auto-detect rich text, so untrusted text is escaped and wrapped in `<qt>` (which
    forces rich-text mode, where the escapes render as the original characters).
    """
    escaped = html.escape(one_line(text), quote=False)
    return f"<qt>{escaped}</qt>"


def format_age(seconds: float) -> str:
    """Compact age for a dense column: "now", "12 min", "5 h", "3 d"."""
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def format_duration(seconds: int) -> str:
    """A duration for the detail pane: "45 min", "3 h 20 min", "2 d 4 h"."""
    seconds = max(int(seconds), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


_display_zone: tzinfo | None = None  # the analyst's zone; None: the system's


def set_display_zone(zone: tzinfo | None) -> None:
    """Times show in this zone from now on (settings `timezone`; None: the system's)."""
    global _display_zone
    _display_zone = zone


def zone_name() -> str:
    """The analyst's zone as they would name it: "Asia/Singapore, UTC+08"."""
    zone = _display_zone or datetime.now().astimezone().tzinfo
    key = getattr(zone, "key", None)
    offset = datetime.now(zone).strftime("%z")
    label = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    return f"{key}, {label}" if key else label


def _zone_label(when: datetime) -> str:
    name = when.tzname() or ""
    return name if name and name[0] not in "+-" else f"UTC{name}" if name else ""


def format_time(epoch_s: int) -> str:
    """An absolute time in the analyst's zone, e.g. "2026-12-06 10:18 +08" (tooltips
    and the detail pane; `time_details` adds UTC and the market's time)."""
    when = datetime.fromtimestamp(epoch_s, UTC).astimezone(_display_zone)
    return f"{when:%Y-%m-%d %H:%M} {_zone_label(when)}".rstrip()


def format_market_time(epoch_s: int, market: str) -> str | None:
    """The same moment on the market's clock ("09:18 WIB in ID"), or None."""
    zone = _market_zone(market)
    if zone is None:
        return None
    when = datetime.fromtimestamp(epoch_s, UTC).astimezone(zone)
    same_day = when.date() == datetime.fromtimestamp(epoch_s, UTC).astimezone(
        _display_zone).date()
    return f"{when:%H:%M}{'' if same_day else f' on {when:%a %d %b}'} " \
        f"{_zone_label(when)} in {one_line(market)}"


def time_details(epoch_s: int, market: str | None = None) -> str:
    """A time three ways, for hover: yours, UTC, the market's."""
    parts = [format_time(epoch_s),
             datetime.fromtimestamp(epoch_s, UTC).strftime("%H:%M UTC")]
    local = format_market_time(epoch_s, market) if market else None
    if local:
        parts.append(local)
    return " \u00b7 ".join(parts)


def _market_zone(market: str) -> tzinfo | None:
    name = market_zone(market)
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
