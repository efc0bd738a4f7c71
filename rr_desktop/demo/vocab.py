"""Demo vocabulary: APAC markets, their languages, cities, reporters and the analyst roster.

Statutory clocks here are demo data modelled on public rules (eSafety 24 h, India's IT Rules
36 h / 24 h, Indonesia's MR5/2020 24 h / 4 h urgent ...); confirm with Legal before relying on
any of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Regulator:
    """A statutory body that sends removal notices with a deadline in hours."""

    name: str
    hours: int
    urgent_hours: int | None
    notice: str


@dataclass(frozen=True, slots=True)
class Market:
    """One country the APAC team covers, with everything the generator needs for it."""

    code: str
    name: str
    weight: int
    languages: tuple[tuple[str, int], ...]
    utc_offset_min: int
    cities: tuple[str, ...]
    handles: tuple[str, ...]
    regulator: Regulator
    police: tuple[str, ...]
    ngos: tuple[str, ...]
    media: tuple[str, ...]
    partners: tuple[str, ...]


def _m(code: str, name: str, weight: int, langs: str, offset_min: int, cities: str,
       handles: str, regulator: Regulator, police: str, ngos: str, media: str,
       partners: str) -> Market:
    languages = tuple((lang, int(w)) for lang, w in (p.split(":") for p in langs.split()))
    return Market(code, name, weight, languages, offset_min, tuple(cities.split("|")),
                  tuple(handles.split()), regulator, tuple(police.split("|")),
                  tuple(ngos.split("|")), tuple(media.split("|")), tuple(partners.split("|")))


MARKETS: tuple[Market, ...] = (
    _m("IN", "India", 16, "hi:5 en:4 ta:2 bn:1 te:1", 330,
       "Mumbai|Delhi|Bengaluru|Chennai|Hyderabad|Kolkata|Lucknow|Pune",
       "rahul priya arjun ananya vikram kavya rohan sneha desi mumbaikar",
       Regulator("MeitY Grievance Cell", 36, 24, "blocking order under the IT Rules 2021"),
       "Delhi Police IFSO|Mumbai Police Cyber Cell|Bengaluru CEN Police|CBI Cyber Crime Unit",
       "Childline India Foundation|Cyber Peace Foundation|Internet Freedom Foundation",
       "NDTV|The Hindu|Indian Express|Times of India",
       "BOOM Live|Factly|Alt News|Vishvas News"),
    _m("ID", "Indonesia", 14, "id:9 jv:1", 420,
       "Jakarta|Surabaya|Bandung|Medan|Makassar|Yogyakarta|Denpasar|Semarang",
       "budi sari rizky dewi agus putri bayu nanda jktviral arek",
       Regulator("Kominfo / Komdigi", 24, 4, "takedown request under MR5/2020"),
       "Bareskrim Polri Dittipidsiber|Densus 88 AT|Polda Metro Jaya Cyber Unit",
       "Yayasan Sejiwa|SAFEnet|ECPAT Indonesia",
       "Kompas|Tempo|Detik|CNN Indonesia",
       "Mafindo|Tempo Cek Fakta|Liputan6 Cek Fakta"),
    _m("PH", "the Philippines", 11, "fil:6 en:4 ceb:1", 480,
       "Manila|Quezon City|Cebu City|Davao City|Iloilo City|Cagayan de Oro",
       "juan maria kuya ate pinoy mnl bisaya migs jhun lyka",
       Regulator("NTC", 48, None, "takedown order"),
       "PNP Anti-Cybercrime Group|NBI Cybercrime Division",
       "Stairway Foundation|Child Rights Network PH|Bantay Bata 163",
       "Rappler|Inquirer|ABS-CBN News|GMA News",
       "VERA Files|Rappler Fact Check|Tsek.ph"),
    _m("VN", "Vietnam", 7, "vi:10", 420,
       "Hanoi|Ho Chi Minh City|Da Nang|Hai Phong|Can Tho",
       "minh linh huong tuan anh thao saigon hanoi bao quynh",
       Regulator("MIC Authority of Broadcasting and Electronic Information", 24, None,
                 "removal request under Decree 147"),
       "A05 Department of Cybersecurity|Hanoi Police PC02",
       "Blue Dragon Children's Foundation|CSAGA",
       "VnExpress|Tuoi Tre|Thanh Nien",
       "AFP Fact Check Vietnamese|Tin Nhanh Fact Desk"),
    _m("TH", "Thailand", 7, "th:10", 420,
       "Bangkok|Chiang Mai|Phuket|Khon Kaen|Hat Yai|Pattaya",
       "nong som ploy beam bkk mint tonkla fah krit nam",
       Regulator("Ministry of Digital Economy and Society", 24, None,
                 "court-ordered removal under the Computer Crime Act"),
       "Technology Crime Suppression Division|Thailand Internet Crimes Against Children",
       "Foundation for Child Development|iLaw",
       "Bangkok Post|Thai PBS|Khaosod|The Nation",
       "Cofact Thailand|AFP Fact Check Thai"),
    _m("JP", "Japan", 6, "ja:10", 540,
       "Tokyo|Osaka|Nagoya|Fukuoka|Sapporo|Yokohama",
       "yuki haruto sakura ren aoi tokyo kenta mio shun daiki",
       Regulator("MIC Japan (Information Distribution Platform Act)", 168, None,
                 "deletion request under the Information Distribution Platform Act"),
       "National Police Agency Cybercrime Bureau|Tokyo MPD Cybercrime Division",
       "Lighthouse Japan|Safer Internet Association",
       "NHK|Asahi Shimbun|Nikkei|Yomiuri Shimbun",
       "Japan Fact-check Center|InFact"),
    _m("KR", "South Korea", 5, "ko:10", 540,
       "Seoul|Busan|Incheon|Daegu|Gwangju|Daejeon",
       "jiwoo minjun seoyeon hajun seoul daon yuna jihoon kpop suah",
       Regulator("KCSC", 24, None, "correction request"),
       "KNPA Cyber Investigation Bureau|Seoul Metropolitan Police Cyber Unit",
       "Tacteen Naeil|ECPAT Korea",
       "Yonhap|KBS|Chosun Ilbo|Hankyoreh",
       "SNU FactCheck|Newstapa Fact Desk"),
    _m("AU", "Australia", 6, "en:10", 600,
       "Sydney|Melbourne|Brisbane|Perth|Adelaide|Canberra",
       "liam chloe mate aussie jack olivia syd noah mel ruby",
       Regulator("eSafety Commissioner", 24, None, "removal notice under the Online Safety Act"),
       "AFP Joint Counter Terrorism Team|Victoria Police Cybercrime Squad|ACCCE",
       "Beyond Blue|ReachOut|Daniel Morcombe Foundation",
       "ABC News|Sydney Morning Herald|The Guardian Australia|Nine News",
       "AAP FactCheck|RMIT FactLab"),
    _m("MY", "Malaysia", 5, "ms:6 en:3 zh:1", 480,
       "Kuala Lumpur|Penang|Johor Bahru|Kota Kinabalu|Kuching|Ipoh",
       "aiman nurul hafiz siti kl weiling farah amir lim aisyah",
       Regulator("MCMC", 24, None, "content removal request under the Online Safety Act 2025"),
       "PDRM Commercial Crime Investigation Department|PDRM D11 Sexual Crimes Unit",
       "Protect and Save the Children|Befrienders KL",
       "Malaysiakini|The Star|Berita Harian|Free Malaysia Today",
       "Sebenarnya.my|AFP Fact Check Malaysia"),
    _m("PK", "Pakistan", 5, "ur:7 en:2 pa:1", 300,
       "Karachi|Lahore|Islamabad|Peshawar|Faisalabad|Quetta",
       "ali ayesha hamza fatima lahori karachiwala bilal sana usman zara",
       Regulator("PTA", 48, 6, "blocking request under PECA"),
       "FIA Cyber Crime Wing|NCCIA",
       "Digital Rights Foundation|Sahil",
       "Dawn|Geo News|Express Tribune",
       "Soch Fact Check|AFP Fact Check Pakistan"),
    _m("BD", "Bangladesh", 4, "bn:10", 360,
       "Dhaka|Chattogram|Sylhet|Khulna|Rajshahi",
       "rafi nusrat tanvir mim dhaka sabbir raisa arif ritu shuvo",
       Regulator("BTRC", 72, 24, "removal request"),
       "CTTC Dhaka Metropolitan Police|CID Cyber Police Centre",
       "Aparajeyo Bangladesh|Dnet",
       "The Daily Star|Prothom Alo|bdnews24",
       "Rumor Scanner|Dismislab"),
    _m("SG", "Singapore", 3, "en:7 zh:2 ms:1", 480,
       "Singapore|Jurong West|Tampines|Woodlands|Punggol",
       "wei jia sg shawn rachel kai marcus xinyi lah ethan",
       Regulator("IMDA", 24, None, "direction under the Online Safety Act"),
       "SPF Technology Crime Investigation Branch|SPF Anti-Scam Command",
       "SG Her Empowerment|Samaritans of Singapore",
       "The Straits Times|CNA|Mothership|Lianhe Zaobao",
       "Black Dot Research|CNA Fact Check"),
    _m("TW", "Taiwan", 3, "zh-Hant:10", 480,
       "Taipei|Kaohsiung|Taichung|Tainan|Hsinchu",
       "yating chiahao tpe shuwen weiting boba hsuan yuchen pinyu",
       Regulator("Ministry of Digital Affairs", 24, None,
                 "removal request under the Fraud Crime Hazard Prevention Act"),
       "Criminal Investigation Bureau|Taipei City Police Cyber Unit",
       "ECPAT Taiwan|Taiwan Internet Safety Foundation",
       "Central News Agency|United Daily News|Liberty Times",
       "Taiwan FactCheck Center|MyGoPen|Cofacts"),
    _m("HK", "Hong Kong", 2, "zh-Hant:8 en:2", 480,
       "Hong Kong|Kowloon|Sha Tin|Tsuen Wan|Tuen Mun",
       "kelvin ka ming hk wingyan chun hoyin sze kwun",
       Regulator("PCPD", 24, None, "cessation notice under the PDPO"),
       "HKPF Cyber Security and Technology Crime Bureau",
       "Against Child Abuse|The Samaritan Befrienders HK",
       "South China Morning Post|RTHK|HK01",
       "Annie Lab|AFP Fact Check Hong Kong"),
    _m("NZ", "New Zealand", 2, "en:9 mi:1", 780,
       "Auckland|Wellington|Christchurch|Hamilton|Dunedin",
       "aroha kiwi tane mia akl manaia finn ngaio isla",
       Regulator("Department of Internal Affairs Digital Safety", 24, None,
                 "objectionable-content notice under the Films, Videos, and Publications Act"),
       "NZ Police OCEANZ|NZ Police National Security Investigations Team",
       "Netsafe|Mental Health Foundation NZ",
       "RNZ|Stuff|NZ Herald",
       "AAP FactCheck NZ|RNZ Fact Desk"),
    _m("LK", "Sri Lanka", 2, "si:7 ta:2 en:1", 330,
       "Colombo|Kandy|Galle|Jaffna|Negombo",
       "kasun nimali tharindu dilini lanka chamara ishara nuwan sachini",
       Regulator("Online Safety Commission", 24, None, "notice under the Online Safety Act"),
       "CID Cyber Crime Investigation Unit|Sri Lanka CERT",
       "Women In Need|Sumithrayo",
       "Daily Mirror|Ada Derana|Newswire",
       "Watchdog Sri Lanka|FactCrescendo Sri Lanka"),
    _m("KH", "Cambodia", 1, "km:10", 420,
       "Phnom Penh|Siem Reap|Battambang|Sihanoukville",
       "sokha dara srey vanna pp chenda rithy bopha",
       Regulator("Ministry of Post and Telecommunications", 24, None, "removal request"),
       "Cambodian National Police Anti-Cybercrime Department",
       "APLE Cambodia|LICADHO",
       "Khmer Times|CamboJA News",
       "AFP Fact Check Khmer"),
    _m("NP", "Nepal", 1, "ne:9 en:1", 345,
       "Kathmandu|Pokhara|Lalitpur|Biratnagar",
       "aashish sujata bikash nepali ktm prakriti suman anisha",
       Regulator("Nepal Telecommunications Authority", 24, None, "removal directive"),
       "Nepal Police Cyber Bureau",
       "Maiti Nepal|CWIN Nepal",
       "Kathmandu Post|Setopati|Onlinekhabar",
       "South Asia Check|Nepal Fact Check"),
    _m("MM", "Myanmar", 1, "my:10", 390,
       "Yangon|Mandalay|Naypyidaw|Mawlamyine",
       "aung hnin kyaw thandar ygn zaw myat phyu",
       Regulator("Ministry of Transport and Communications", 24, None, "removal request"),
       "Myanmar Police Force Cybercrime Division",
       "Myanmar ICT for Development Organization|Save the Children Myanmar",
       "Myanmar Now|Frontier Myanmar|The Irrawaddy",
       "Myanmar Fact Check"),
)

MARKET_BY_CODE: dict[str, Market] = {m.code: m for m in MARKETS}

# How text names a language: "submitted in Thai", "a Thai speaker", "Thai-speaking teens".
# zh-Hant is a script, so its speakers are "Chinese" speakers too.
LANGUAGE_NAMES: dict[str, str] = {
    "hi": "Hindi", "en": "English", "ta": "Tamil", "bn": "Bengali", "te": "Telugu",
    "id": "Indonesian", "jv": "Javanese", "fil": "Filipino", "ceb": "Cebuano",
    "vi": "Vietnamese", "th": "Thai", "ja": "Japanese", "ko": "Korean", "ms": "Malay",
    "zh": "Chinese", "ur": "Urdu", "pa": "Punjabi", "zh-Hant": "Chinese",
    "mi": "te reo Māori", "si": "Sinhala", "km": "Khmer", "ne": "Nepali", "my": "Burmese",
}

# The adjective of each market ("an Australian public figure", "a Filipino creator").
NATIONALITY: dict[str, str] = {
    "IN": "Indian", "ID": "Indonesian", "PH": "Filipino", "VN": "Vietnamese", "TH": "Thai",
    "JP": "Japanese", "KR": "South Korean", "AU": "Australian", "MY": "Malaysian",
    "PK": "Pakistani", "BD": "Bangladeshi", "SG": "Singaporean", "TW": "Taiwanese",
    "HK": "Hong Kong", "NZ": "New Zealand", "LK": "Sri Lankan", "KH": "Cambodian",
    "NP": "Nepali", "MM": "Myanmar",
}

TRUSTED_FLAGGERS: tuple[str, ...] = (
    "Tech Against Terrorism", "GIFCT Incident Response", "Internet Watch Foundation",
    "INHOPE hotline network", "ECPAT International", "Global Network on Extremism and "
    "Technology", "WeProtect Global Alliance", "Moonshot",
)

INTERNAL_TOOLING: tuple[str, ...] = (
    "Hash-match pipeline", "Trend radar", "Livestream classifier", "Viral velocity monitor",
    "Scam cluster detector", "Keyword watchlist", "Re-upload tracker", "Account network graph",
)

INTERNAL_TEAMS: tuple[str, ...] = (
    "Public Policy APAC", "Legal (Singapore)", "Comms APAC", "Law Enforcement Response",
    "Creator Partnerships APAC", "Election Integrity Taskforce", "Trust & Safety Jakarta hub",
    "Market Operations Mumbai",
)

USER_REPORTERS: tuple[str, ...] = (
    "In-app report cluster", "Verified creator report", "Appeals escalation",
    "Help Center web form", "Parent report (Family Pairing)",
)

HANDLE_SUFFIXES: tuple[str, ...] = (
    "", "_official", "tv", "99", "_live", ".vlog", "2026", "_daily", "x", "_real", "07", "news",
)


@dataclass(frozen=True, slots=True)
class DemoAnalyst:
    """An analyst of the demo roster as served by ``GET /v1/analysts``."""

    id: str
    name: str
    languages: tuple[str, ...]
    markets: tuple[str, ...]

    def wire(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "email": f"{self.id}@example.com",
                "languages": list(self.languages), "markets": list(self.markets)}


ANALYSTS: tuple[DemoAnalyst, ...] = (
    DemoAnalyst("a.tan", "Aileen Tan", ("en", "ms", "zh"), ("SG", "MY")),
    DemoAnalyst("r.santos", "Rafael Santos", ("fil", "en", "ceb"), ("PH",)),
    DemoAnalyst("d.pratama", "Dimas Pratama", ("id", "jv", "en"), ("ID",)),
    DemoAnalyst("s.wulandari", "Sri Wulandari", ("id", "ms", "en"), ("ID", "MY")),
    DemoAnalyst("n.nguyen", "Nguyen Ngoc Anh", ("vi", "en"), ("VN", "KH")),
    DemoAnalyst("p.srisuk", "Pimchanok Srisuk", ("th", "en"), ("TH", "MM")),
    DemoAnalyst("k.sato", "Kenji Sato", ("ja", "en"), ("JP",)),
    DemoAnalyst("j.kim", "Kim Ji-woo", ("ko", "en"), ("KR",)),
    DemoAnalyst("p.iyer", "Priya Iyer", ("hi", "ta", "en"), ("IN", "LK")),
    DemoAnalyst("s.rahman", "Sadia Rahman", ("bn", "hi", "en"), ("BD", "IN")),
    DemoAnalyst("a.khan", "Ayesha Khan", ("ur", "pa", "en"), ("PK",)),
    DemoAnalyst("m.chen", "Chen Mei-ling", ("zh-Hant", "zh", "en"), ("TW", "HK")),
    DemoAnalyst("l.walker", "Liam Walker", ("en", "mi"), ("AU", "NZ")),
    DemoAnalyst("b.thapa", "Bikash Thapa", ("ne", "hi", "en"), ("NP", "IN")),
)

ANALYSTS_BY_MARKET: dict[str, tuple[str, ...]] = {
    m.code: tuple(a.id for a in ANALYSTS if m.code in a.markets) or tuple(a.id for a in ANALYSTS)
    for m in MARKETS
}
ANALYST_BY_ID: dict[str, DemoAnalyst] = {a.id: a for a in ANALYSTS}


def analysts_for(market: str, language: str) -> tuple[str, ...]:
    """Who on the roster picks up an escalation: the analysts covering its market who read
    its language, else everyone covering the market (they all read English)."""
    covering = ANALYSTS_BY_MARKET.get(market) or tuple(a.id for a in ANALYSTS)
    readers = tuple(i for i in covering if language in ANALYST_BY_ID[i].languages)
    return readers or covering
