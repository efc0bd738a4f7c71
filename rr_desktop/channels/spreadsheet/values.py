"""Reading one cell's text as a field value, the lenient way people fill spreadsheets
("High", "S1", "Australia", "03/04/2025 5:00 pm", "1.2M"). Each parser returns the value
or raises ValueError with a short reason that names what it got."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from enum import Enum
from typing import TypeVar
from urllib.parse import urlsplit

from ...domain import PolicyCategory, ReporterType, Severity, Status, Urgency, normalize_market

_E = TypeVar("_E", bound=Enum)
MAX_URL = 2048
MAX_TAGS = 64
MAX_TAG = 100
MAX_COUNT = 10**13


def shown(text: str, limit: int = 40) -> str:
    """A cell value quoted for a reason sentence, cut to a readable length."""
    one = " ".join(text.split())
    return repr(one if len(one) <= limit else one[: limit - 1] + "\u2026")


def word(text: str) -> str:
    """Comparable form: lower case, runs of anything but letters/digits as one space."""
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).replace("_", " ").split())


def _table(members: type[_E], extra: dict[str, _E]) -> dict[str, _E]:
    table = {word(str(m.value)): m for m in members}
    table.update({word(m.name): m for m in members})
    table.update({word(k): v for k, v in extra.items()})
    return table


_REPORTER = _table(ReporterType, {
    "partner": ReporterType.TRUSTED_PARTNER, "trusted partner": ReporterType.TRUSTED_PARTNER,
    "flagger": ReporterType.TRUSTED_FLAGGER, "government": ReporterType.REGULATOR,
    "regulatory": ReporterType.REGULATOR, "authority": ReporterType.REGULATOR,
    "police": ReporterType.LAW_ENFORCEMENT, "le": ReporterType.LAW_ENFORCEMENT,
    "lea": ReporterType.LAW_ENFORCEMENT, "press": ReporterType.MEDIA,
    "journalist": ReporterType.MEDIA, "civil society": ReporterType.NGO,
    "public": ReporterType.USER, "employee": ReporterType.INTERNAL,
})
_CATEGORY = _table(PolicyCategory, {
    "terrorism": PolicyCategory.VIOLENT_EXTREMISM, "extremism": PolicyCategory.VIOLENT_EXTREMISM,
    "tvec": PolicyCategory.VIOLENT_EXTREMISM, "csam": PolicyCategory.CHILD_SAFETY,
    "csea": PolicyCategory.CHILD_SAFETY, "child sexual abuse": PolicyCategory.CHILD_SAFETY,
    "self harm": PolicyCategory.SUICIDE_SELF_HARM, "suicide": PolicyCategory.SUICIDE_SELF_HARM,
    "dangerous challenge": PolicyCategory.DANGEROUS_CHALLENGES,
    "hate": PolicyCategory.HATE_SPEECH, "harassment": PolicyCategory.HARASSMENT_DOXXING,
    "bullying": PolicyCategory.HARASSMENT_DOXXING, "doxxing": PolicyCategory.HARASSMENT_DOXXING,
    "election misinformation": PolicyCategory.MISINFO_CIVIC,
    "civic misinformation": PolicyCategory.MISINFO_CIVIC,
    "health misinformation": PolicyCategory.MISINFO_HEALTH,
    "crisis misinformation": PolicyCategory.MISINFO_CRISIS,
    "scam": PolicyCategory.IMPERSONATION_SCAMS, "scams": PolicyCategory.IMPERSONATION_SCAMS,
    "fraud": PolicyCategory.IMPERSONATION_SCAMS,
    "impersonation": PolicyCategory.IMPERSONATION_SCAMS,
    "personal data": PolicyCategory.PRIVACY, "copyright": PolicyCategory.INTELLECTUAL_PROPERTY,
    "trademark": PolicyCategory.INTELLECTUAL_PROPERTY,
    "ip": PolicyCategory.INTELLECTUAL_PROPERTY, "legal": PolicyCategory.REGULATORY_LEGAL,
    "court order": PolicyCategory.REGULATORY_LEGAL,
    "regulatory": PolicyCategory.REGULATORY_LEGAL,
    "legal request": PolicyCategory.REGULATORY_LEGAL,
})
_STATUS = _table(Status, {
    "open": Status.NEW, "in progress": Status.INVESTIGATING, "done": Status.RESOLVED,
    "removed": Status.CONTAINED, "actioned": Status.CONTAINED, "rejected": Status.DECLINED,
})
_SEVERITY_WORDS = {"critical": Severity.S0, "high": Severity.S1, "medium": Severity.S2,
                   "moderate": Severity.S2, "med": Severity.S2, "low": Severity.S3}
_URGENCY_WORDS = {"immediate": Urgency.U0, "urgent": Urgency.U0, "critical": Urgency.U0,
                  "high": Urgency.U1, "medium": Urgency.U2, "normal": Urgency.U2,
                  "med": Urgency.U2, "moderate": Urgency.U2, "low": Urgency.U3}

# English names (and common short forms) of the markets partners most often write out.
_COUNTRIES = (
    "australia=AU|new zealand=NZ|aotearoa=NZ|singapore=SG|malaysia=MY|indonesia=ID|"
    "philippines=PH|the philippines=PH|thailand=TH|vietnam=VN|viet nam=VN|"
    "cambodia=KH|laos=LA|myanmar=MM|burma=MM|brunei=BN|timor leste=TL|"
    "east timor=TL|japan=JP|south korea=KR|korea=KR|republic of korea=KR|"
    "north korea=KP|china=CN|hong kong=HK|macau=MO|macao=MO|taiwan=TW|mongolia=MN|"
    "india=IN|pakistan=PK|bangladesh=BD|sri lanka=LK|nepal=NP|bhutan=BT|"
    "maldives=MV|afghanistan=AF|fiji=FJ|papua new guinea=PG|png=PG|samoa=WS|"
    "tonga=TO|vanuatu=VU|solomon islands=SB|kiribati=KI|"
    "united states=US|united states of america=US|usa=US|america=US|canada=CA|"
    "mexico=MX|brazil=BR|argentina=AR|chile=CL|colombia=CO|peru=PE|"
    "united kingdom=GB|uk=GB|great britain=GB|britain=GB|england=GB|ireland=IE|"
    "france=FR|germany=DE|spain=ES|italy=IT|portugal=PT|netherlands=NL|"
    "the netherlands=NL|belgium=BE|switzerland=CH|austria=AT|sweden=SE|norway=NO|"
    "denmark=DK|finland=FI|poland=PL|ukraine=UA|russia=RU|russian federation=RU|"
    "turkey=TR|turkiye=TR|israel=IL|united arab emirates=AE|uae=AE|"
    "saudi arabia=SA|qatar=QA|egypt=EG|nigeria=NG|kenya=KE|south africa=ZA|"
    "ethiopia=ET|ghana=GH|morocco=MA|iran=IR|iraq=IQ|jordan=JO|lebanon=LB")
_COUNTRY_NAMES = {word(k): v for k, v in (pair.split("=") for pair in _COUNTRIES.split("|"))}
_LANGUAGE_NAMES = {
    "english": "en", "chinese": "zh", "mandarin": "zh", "cantonese": "yue",
    "japanese": "ja", "korean": "ko", "hindi": "hi", "indonesian": "id",
    "bahasa indonesia": "id", "malay": "ms", "bahasa melayu": "ms", "thai": "th",
    "vietnamese": "vi", "tagalog": "tl", "filipino": "fil", "tamil": "ta", "bengali": "bn",
    "bangla": "bn", "urdu": "ur", "arabic": "ar", "french": "fr", "german": "de",
    "spanish": "es", "portuguese": "pt", "russian": "ru", "burmese": "my", "khmer": "km",
    "nepali": "ne", "sinhala": "si", "punjabi": "pa", "marathi": "mr", "telugu": "te",
    "maori": "mi", "te reo maori": "mi",
}
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")


def _lookup(table: dict[str, _E], text: str, what: str) -> _E:
    try:
        return table[word(text)]
    except KeyError:
        raise ValueError(f"{what} {shown(text)} is not one we know") from None


def parse_reporter_type(text: str) -> ReporterType:
    return _lookup(_REPORTER, text, "reporter type")


def parse_category(text: str) -> PolicyCategory:
    return _lookup(_CATEGORY, text, "category")


def parse_status(text: str) -> Status:
    return _lookup(_STATUS, text, "status")


def _leveled(text: str, prefix: str, words: dict[str, _E], levels: tuple[_E, ...],
             letters: str) -> _E:
    w = word(text)
    if w in words:
        return words[w]
    first = w.split(" ")[0] if w else ""  # "S1 high" as the app itself labels it
    m = re.fullmatch(rf"[{letters}]?([0-9])", first)
    if m:
        return levels[min(int(m.group(1)), 3)]
    top = levels[0]
    raise ValueError(f"{shown(text)} is not a {type(top).__name__.lower()} "
                     f"({prefix}0-{prefix}3 or critical/high/medium/low)")


def parse_severity(text: str) -> Severity:
    return _leveled(text, "S", _SEVERITY_WORDS, tuple(Severity), "s")


def parse_urgency(text: str) -> Urgency:
    return _leveled(text, "U", _URGENCY_WORDS, tuple(Urgency), "up")


def parse_market(text: str) -> str:
    """ISO 3166-1 alpha-2 code, or a country's English name."""
    code = _COUNTRY_NAMES.get(word(text))
    try:
        return normalize_market(code or text)
    except ValueError:
        raise ValueError(f"market {shown(text)} is not an ISO country code or a country "
                         "name we know") from None


def parse_language(text: str) -> str:
    t = text.strip()
    name = _LANGUAGE_NAMES.get(word(t))
    if name:
        return name
    if _LANG_TAG.match(t):
        primary, _, rest = t.partition("-")
        return primary.lower() + ("-" + rest if rest else "")
    raise ValueError(f"language {shown(text)} is not a language tag like 'en' or 'zh-TW'")


def parse_url(text: str) -> str:
    """An http(s) link; "www.example.com/x" gets https:// in front."""
    t = text.strip()
    if re.match(r"^www\.[^\s/]+\.[^\s/]+", t, re.IGNORECASE):
        t = "https://" + t
    if len(t) > MAX_URL or any(c.isspace() for c in t):
        raise ValueError(f"link {shown(text)} is not a single http(s) URL")
    try:
        parts = urlsplit(t)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"link {shown(text)} is not an http(s) URL")
    return t


def parse_tags(text: str) -> tuple[str, ...]:
    """Tags separated by commas, semicolons or line breaks; inner spaces become "-"."""
    tags: list[str] = []
    for part in re.split(r"[,;\n]", text):
        tag = "-".join(part.split())
        if tag and tag not in tags:
            if len(tag) > MAX_TAG:
                raise ValueError(f"tag {shown(tag)} is longer than {MAX_TAG} characters")
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValueError(f"{len(tags)} tags (at most {MAX_TAGS})")
    return tuple(tags)


def parse_count(text: str, what: str) -> int:
    """A non-negative count: "12,345", "1.2M", "15k", "3000.0"."""
    t = re.sub(r"[\s,_']", "", text).lower()
    scale = {"k": 10**3, "m": 10**6, "b": 10**9}.get(t[-1:], 1) if t else 1
    if scale != 1:
        t = t[:-1]
    try:
        value = float(t) * scale
    except ValueError:
        raise ValueError(f"{what} {shown(text)} is not a number") from None
    if not 0 <= value <= MAX_COUNT:
        raise ValueError(f"{what} {shown(text)} is out of range")
    return int(value)


_DMY = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?)?$", re.IGNORECASE)
_MONTHS = {m: i for i, names in enumerate((
    "jan january", "feb february", "mar march", "apr april", "may", "jun june",
    "jul july", "aug august", "sep sept september", "oct october", "nov november",
    "dec december"), 1) for m in names.split()}
# "4 March 2025", "March 4 2025", optionally followed by "17:00" (English month names
# matched here, not by strptime, whose %b follows the process locale that Qt sets).
_NAMED = re.compile(r"^(?:(\d{1,2}) ([a-z]+)|([a-z]+) (\d{1,2})) (\d{4})"
                    r"(?: (\d{1,2}):(\d{2}))?$")


# An Excel date serial: days since the epoch of the workbook's date system, the fraction
# being the time of day ([MS-XLSX] / ECMA-376 Part 1 §18.17.4.1). 1900 system: day 1 is
# 1900-01-01 and day 60 the 1900-02-29 Lotus kept, so from day 61 on (1900-03-01) a
# serial counts from 1899-12-30. 1904 system (old Mac Excel): day 0 is 1904-01-01.
_SERIAL = re.compile(r"^\d{4,6}(?:\.\d{1,17})?$")
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)


def _serial(t: str, date1904: bool) -> datetime | None:
    if not _SERIAL.match(t):
        return None
    ms = round(float(t) * 86_400_000)
    return (_EPOCH_1904 if date1904 else _EPOCH_1900) + timedelta(milliseconds=ms)


def parse_when(text: str, day_first: bool, tz: tzinfo, date1904: bool = False) -> datetime:
    """A date or date-time; without a zone it is read in `tz`. Returned in UTC. A bare
    number is an Excel date serial (46185.66875) in the 1900 or 1904 date system."""
    t = text.strip()
    when = _iso(t) or _numeric(t, day_first) or _named(t) or _serial(t, date1904)
    if when is None:
        raise ValueError(f"date {shown(text)} is not a date we can read "
                         "(e.g. 2025-03-04, 04/03/2025 17:00 or 46185.66875)")
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    when = when.astimezone(UTC)
    if not 1990 <= when.year <= 2200:
        raise ValueError(f"date {shown(text)} is out of range")
    return when


def _iso(t: str) -> datetime | None:
    try:
        return datetime.fromisoformat(t)
    except ValueError:
        return None


def _numeric(t: str, day_first: bool) -> datetime | None:
    m = _DMY.match(t)
    if not m:
        return None
    a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    day, month = (a, b) if day_first else (b, a)
    year += 2000 if year < 100 else 0
    hour, minute, second = (int(m.group(i) or 0) for i in (4, 5, 6))
    ampm = (m.group(7) or "").replace(".", "").lower()
    if ampm and not 1 <= hour <= 12:
        return None
    if ampm == "pm" and hour != 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _named(t: str) -> datetime | None:
    m = _NAMED.match(" ".join(t.replace(",", " ").replace(".", " ").casefold().split()))
    if not m:
        return None
    day = int(m.group(1) or m.group(4))
    month = _MONTHS.get(m.group(2) or m.group(3) or "")
    if month is None:
        return None
    try:
        return datetime(int(m.group(5)), month, day, int(m.group(6) or 0),
                        int(m.group(7) or 0))
    except ValueError:
        return None
