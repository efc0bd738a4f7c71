"""How reasons name a language: "speaks Bahasa Indonesia" (BCP 47 primary subtag -> name).
Codes not listed are shown as they are."""

from __future__ import annotations

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "hi": "Hindi", "ta": "Tamil", "bn": "Bengali", "te": "Telugu",
    "mr": "Marathi", "pa": "Punjabi", "ur": "Urdu", "id": "Bahasa Indonesia",
    "jv": "Javanese", "ms": "Bahasa Melayu", "fil": "Filipino", "tl": "Tagalog",
    "ceb": "Cebuano", "vi": "Vietnamese", "th": "Thai", "ja": "Japanese", "ko": "Korean",
    "zh": "Chinese", "yue": "Cantonese", "my": "Burmese", "km": "Khmer", "lo": "Lao",
    "ne": "Nepali", "si": "Sinhala", "ar": "Arabic",
    "fr": "French", "de": "German", "es": "Spanish", "pt": "Portuguese", "ru": "Russian",
    "ga": "Irish", "tr": "Turkish",
}


def primary(code: str) -> str:
    """The primary language subtag, lower case: "zh-Hant" -> "zh"."""
    return code.strip().replace("_", "-").split("-")[0].lower()


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(primary(code), code.strip())
