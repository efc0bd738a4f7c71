"""Place names that identify a market (ISO 3166-1 alpha-2) in news text.

A heuristic, not a gazetteer: country names, common short forms, capitals and a few
unambiguous demonyms, weighted towards APAC (the product's first region), plus local-script
names for the larger APAC markets. Ambiguous words ("Georgia", "Jordan", "Indian Ocean")
are left out on purpose; a channel adds its own names with the `market_keywords` setting.
"""

from __future__ import annotations

_NAMES = {
    # APAC
    "AU": "Australia, Australian, Canberra, Sydney, Melbourne, Brisbane, Perth",
    "NZ": "New Zealand, Aotearoa, Wellington, Auckland, Christchurch",
    "ID": "Indonesia, Indonesian, Jakarta, Surabaya, Bali",
    "IN": "India, New Delhi, Mumbai, Bengaluru, Bangalore, Kolkata, Chennai, Hyderabad, भारत",
    "JP": "Japan, Japanese, Tokyo, Osaka, 日本",
    "KR": "South Korea, Republic of Korea, Korea, Seoul, Busan, 대한민국, 한국",
    "KP": "North Korea, DPRK, Pyongyang",
    "CN": "China, Chinese, Beijing, Shanghai, 中国",
    "TW": "Taiwan, Taiwanese, Taipei, 台灣, 台湾",
    "HK": "Hong Kong, 香港",
    "MO": "Macau, Macao, 澳門",
    "SG": "Singapore, Singaporean",
    "MY": "Malaysia, Malaysian, Kuala Lumpur",
    "TH": "Thailand, Bangkok, ประเทศไทย",
    "VN": "Vietnam, Viet Nam, Vietnamese, Hanoi, Ho Chi Minh City, Việt Nam",
    "PH": "Philippines, Filipino, Manila, Pilipinas",
    "MM": "Myanmar, Burma, Burmese, Yangon, Naypyidaw",
    "KH": "Cambodia, Cambodian, Phnom Penh",
    "LA": "Laos, Lao PDR, Vientiane",
    "BD": "Bangladesh, Bangladeshi, Dhaka",
    "PK": "Pakistan, Pakistani, Islamabad, Karachi, Lahore",
    "LK": "Sri Lanka, Sri Lankan, Colombo",
    "NP": "Nepal, Nepali, Kathmandu",
    "BT": "Bhutan", "MV": "Maldives", "AF": "Afghanistan, Afghan, Kabul",
    "MN": "Mongolia, Ulaanbaatar", "BN": "Brunei", "TL": "Timor-Leste, East Timor",
    "PG": "Papua New Guinea, Port Moresby", "FJ": "Fiji, Suva", "WS": "Samoa",
    "TO": "Tonga", "VU": "Vanuatu", "SB": "Solomon Islands", "NC": "New Caledonia",
    "KI": "Kiribati", "TV": "Tuvalu", "NR": "Nauru", "PW": "Palau",
    # Elsewhere
    "US": "United States, USA, U.S.A., Washington D.C.",
    "CA": "Canada, Canadian, Ottawa, Toronto",
    "MX": "Mexico, Mexican", "BR": "Brazil, Brazilian", "AR": "Argentina",
    "CO": "Colombia", "CL": "Chile", "PE": "Peru", "VE": "Venezuela",
    "GB": "United Kingdom, Britain, British, England, Scotland, Wales, London",
    "IE": "Ireland, Irish, Dublin", "FR": "France, Paris", "DE": "Germany, Berlin",
    "ES": "Spain, Madrid", "IT": "Italy, Rome", "NL": "Netherlands, Amsterdam",
    "BE": "Belgium, Brussels", "PL": "Poland, Warsaw", "SE": "Sweden, Stockholm",
    "NO": "Norway, Oslo", "FI": "Finland, Helsinki", "DK": "Denmark, Copenhagen",
    "AT": "Austria, Vienna", "CH": "Switzerland", "PT": "Portugal, Lisbon",
    "GR": "Greece, Athens", "RU": "Russia, Russian, Moscow",
    "UA": "Ukraine, Ukrainian, Kyiv, Kiev", "TR": "Turkey, Türkiye, Ankara, Istanbul",
    "IL": "Israel, Israeli", "PS": "Palestine, Palestinian, Gaza, West Bank",
    "IR": "Iran, Iranian, Tehran", "IQ": "Iraq, Iraqi, Baghdad", "SY": "Syria, Syrian",
    "LB": "Lebanon, Beirut", "SA": "Saudi Arabia, Riyadh",
    "AE": "United Arab Emirates, UAE, Dubai, Abu Dhabi", "QA": "Qatar, Doha",
    "EG": "Egypt, Cairo", "NG": "Nigeria, Nigerian, Lagos, Abuja",
    "KE": "Kenya, Kenyan, Nairobi", "ET": "Ethiopia, Addis Ababa",
    "ZA": "South Africa, Johannesburg, Pretoria, Cape Town", "SD": "Sudan, Khartoum",
    "SS": "South Sudan",
}


def builtin_names() -> dict[str, str]:
    """Place name -> market code (names as written; matching is case-insensitive)."""
    return {name.strip(): code for code, names in _NAMES.items()
            for name in names.split(",") if name.strip()}
