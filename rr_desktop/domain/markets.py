"""Markets are ISO 3166-1 alpha-2 country codes; each belongs to one region."""

from __future__ import annotations

from .enums import Region

# Every officially assigned ISO 3166-1 alpha-2 code, grouped by the region that covers it.
_APAC = (
    "AF AS AU BD BN BT CC CK CN CX FJ FM GU HK HM ID IN IO JP KH KI KP KR LA LK MH MM MN MO "
    "MP MV MY NC NF NP NR NU NZ PF PG PH PK PN PW SB SG TH TK TL TO TV TW UM VN VU WF WS"
)
_NA = "BM CA GL PM US"
_LATAM = (
    "AG AI AR AW BB BL BO BQ BR BS BZ CL CO CR CU CW DM DO EC FK GD GF GP GS GT GY HN HT JM KN "
    "KY LC MF MQ MS MX NI PA PE PR PY SR SV SX TC TT UY VC VE VG VI"
)
_EMEA = (
    "AD AE AL AM AO AQ AT AX AZ BA BE BF BG BH BI BJ BV BW BY CD CF CG CH CI CM CV CY CZ DE DJ "
    "DK DZ EE EG EH ER ES ET FI FO FR GA GB GE GG GH GI GM GN GQ GR GW HR HU IE IL IM IQ IR IS "
    "IT JE JO KE KG KM KW KZ LB LI LR LS LT LU LV LY MA MC MD ME MG MK ML MR MT MU MW MZ NA NE "
    "NG NL NO OM PL PS PT QA RE RO RS RU RW SA SC SD SE SH SI SJ SK SL SM SN SO SS ST SY SZ TD "
    "TF TG TJ TM TN TR TZ UA UG UZ VA YE YT ZA ZM ZW"
)

REGION_OF_MARKET: dict[str, Region] = {
    code: region
    for codes, region in ((_APAC, Region.APAC), (_NA, Region.NA), (_LATAM, Region.LATAM),
                          (_EMEA, Region.EMEA))
    for code in codes.split()
}


def normalize_market(code: str) -> str:
    """Upper-case ISO alpha-2 code, or ValueError for anything that is not one."""
    c = code.strip().upper()
    if c not in REGION_OF_MARKET:
        raise ValueError(f"not an ISO 3166-1 alpha-2 country code: {code!r}")
    return c


def region_of(market: str) -> Region:
    return REGION_OF_MARKET[normalize_market(market)]


# The market's clock: one IANA zone per market (the capital's where a country spans
# several: ID is Jakarta's WIB, AU Sydney's, US New York's), for "the market's local time"
# beside the analyst's own. Markets not listed have no market time shown.
MARKET_ZONES: dict[str, str] = {
    "AU": "Australia/Sydney", "BD": "Asia/Dhaka", "BN": "Asia/Brunei", "BT": "Asia/Thimphu",
    "CN": "Asia/Shanghai", "FJ": "Pacific/Fiji", "HK": "Asia/Hong_Kong",
    "ID": "Asia/Jakarta", "IN": "Asia/Kolkata", "JP": "Asia/Tokyo", "KH": "Asia/Phnom_Penh",
    "KR": "Asia/Seoul", "LA": "Asia/Vientiane", "LK": "Asia/Colombo", "MM": "Asia/Yangon",
    "MN": "Asia/Ulaanbaatar", "MO": "Asia/Macau", "MV": "Indian/Maldives",
    "MY": "Asia/Kuala_Lumpur", "NP": "Asia/Kathmandu", "NZ": "Pacific/Auckland",
    "PG": "Pacific/Port_Moresby", "PH": "Asia/Manila", "PK": "Asia/Karachi",
    "SG": "Asia/Singapore", "TH": "Asia/Bangkok", "TL": "Asia/Dili", "TO": "Pacific/Tongatapu",
    "TW": "Asia/Taipei", "VN": "Asia/Ho_Chi_Minh", "WS": "Pacific/Apia",
    "AE": "Asia/Dubai", "DE": "Europe/Berlin", "FR": "Europe/Paris", "GB": "Europe/London",
    "IE": "Europe/Dublin", "SA": "Asia/Riyadh", "TR": "Europe/Istanbul",
    "ZA": "Africa/Johannesburg",
    "US": "America/New_York", "CA": "America/Toronto", "MX": "America/Mexico_City",
    "BR": "America/Sao_Paulo",
}


def market_zone(market: str) -> str | None:
    """The market's IANA time zone name, or None when it has none here."""
    return MARKET_ZONES.get(market.strip().upper())
