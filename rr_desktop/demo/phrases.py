"""How each kind of reporter opens and closes a report, reach sentences and evolving facts.

Placeholders as in ``templates.py`` plus time (the local time of the report), reporter,
hours, notice (with its article), ref, score, media and partner.
"""

from __future__ import annotations

import re

from rr_desktop.domain.enums import ReporterType as R

INTROS: dict[R, tuple[str, ...]] = {
    R.REGULATOR: (
        "{reporter} issued {notice} (reference {ref}) concerning {url}.",
        "Formal notice {ref} received from {reporter} in {country} at {time}.",
        "{reporter} sent {notice} at {time} about content posted by {handle}.",
    ),
    R.LAW_ENFORCEMENT: (
        "{reporter} contacted the Law Enforcement Response inbox at {time} about {handle}.",
        "Urgent request from {reporter} (case {ref}) regarding content id {cid}.",
        "An officer from {reporter} called the LER hotline at {time} about {url}.",
    ),
    R.TRUSTED_PARTNER: (
        "{reporter}, a trusted partner in {country}, flagged {url} at {time}.",
        "Escalation from {reporter} through the partner portal (ticket {ref}).",
        "{reporter} emailed the partner alias at {time} about {handle}.",
    ),
    R.TRUSTED_FLAGGER: (
        "{reporter} flagged {url} through the trusted flagger programme at {time}.",
        "Priority flag from {reporter} (reference {ref}) about {handle}.",
    ),
    R.NGO: (
        "{reporter} emailed the regional safety team at {time} about {handle}.",
        "{reporter} shared a case from their helpline in {city} (reference {ref}).",
    ),
    R.MEDIA: (
        "A journalist from {reporter} asked Comms APAC at {time} why {url} is still up.",
        "{reporter} is preparing a story about {handle} and requested comment (ref {ref}).",
    ),
    R.INTERNAL_TOOLING: (
        "{reporter} raised an alert at {time} for content id {cid} posted by {handle}.",
        "Automated detection by {reporter} matched {url} (run {ref}).",
        "{reporter} flagged a cluster around {handle} at {time} (run {ref}).",
    ),
    R.INTERNAL: (
        "{reporter} escalated {url} to Rapid Response at {time}.",
        "Internal escalation from {reporter} (ticket {ref}) about {handle}.",
    ),
    R.USER: (
        "{reporter}: {n} users reported {url} since {time}.",
        "{reporter} about {handle}, submitted in {lang} at {time}.",
    ),
}

CLOSINGS: dict[R, tuple[str, ...]] = {
    R.REGULATOR: (
        "The notice requires removal or geo-restriction within {hours} h and written "
        "confirmation to {reporter}; Legal is copied (confirm the statutory clock with Legal).",
        "{reporter} expects a compliance report within {hours} h; the country overlay of the "
        "playbook has the response template.",
    ),
    R.LAW_ENFORCEMENT: (
        "They ask for preservation of the account data for 90 days and whether an emergency "
        "disclosure can be expedited; route any data sharing through LER.",
        "The officer says there may be a risk to life; verify the request through the LER "
        "portal before sharing anything.",
    ),
    R.TRUSTED_PARTNER: (
        "The partner can put us in touch with {a_lang} speaker for context and asks for an "
        "outcome within their agreed SLA.",
        "They will publish their findings and ask whether a label can be applied meanwhile.",
    ),
    R.TRUSTED_FLAGGER: (
        "Hashes have been shared to the industry database; please confirm the action taken.",
        "The flagger reports {m} related URLs and will send more as they find them.",
    ),
    R.NGO: (
        "The organisation is supporting the affected people and asks to be told once the "
        "content is actioned.",
        "They ask for a call with the policy team this week about the trend in {country}.",
    ),
    R.MEDIA: (
        "The journalist's deadline is in {hours} hours; any statement must be approved by "
        "Comms APAC.",
        "The story is likely to run tonight in {lang}; Comms needs the facts before replying.",
    ),
    R.INTERNAL_TOOLING: (
        "Match confidence {score}; auto-enforcement was held because the match needs human "
        "review.",
        "Confidence {score}; {m} similar items are queued behind this one.",
    ),
    R.INTERNAL: (
        "They need a decision before the next sync with Public Policy and Legal.",
        "Please loop in the market team in {city} if we action it.",
    ),
    R.USER: (
        "Most reporters chose the same reason; several attached screen recordings.",
        "One reporter says they know the person in the video and are worried.",
    ),
}

REACH_SENTENCES: tuple[str, ...] = (
    "When reported it had {views} views and {shares} shares.",
    "Reach so far: {views} views and {shares} shares.",
    "Metrics at {time}: {views} views, {shares} shares, still climbing.",
)

FACTS: tuple[str, ...] = (
    "Re-uploads detected on {n} more accounts",
    "Hash added to the shared industry database",
    "Original uploader account deactivated by the user",
    "Media inquiry received from {media}",
    "Hashtag #{hashtag} now trending in {city}",
    "Uploader linked to {n} previously actioned accounts",
    "Reporter confirmed the content is authentic",
    "Fact-check published by {partner}",
    "Mirrors found on {n} external sites",
    "Copies now spreading in {lang}",
)


# Words spelt with a vowel that start with a consonant sound ("a one-time code", "a
# university"), and words spelt with a consonant that start with a vowel sound ("an hour").
_CONSONANT_SOUND = ("one", "once", "uni", "use", "usu", "uti", "ura", "uk", "eu", "ewe")
_VOWEL_SOUND = ("hour", "honest", "honour", "honor", "heir")
# Letters whose English name starts with a vowel sound: "an NTC order", "an SMS".
_VOWEL_LETTERS = frozenset("AEFHILMNORSX")
_FIRST_WORD = re.compile(r"[^\s/-]+")


def indefinite_article(word: str) -> str:
    """``"a"`` or ``"an"``, by how ``word`` is said: an Australian, a Filipino, an Urdu
    speaker, a university, an hour, an 8-year-old, an 11-year-old, an NTC order."""
    head = word.lstrip("\"'(")
    lower = head.lower()
    if not head:
        return "a"
    if head[0].isdigit():
        digits = ""
        for ch in head:
            if ch.isdigit():
                digits += ch
            elif ch not in ",":
                break
        # eight, eighty, eight hundred ...; eleven and eighteen (thousand, million ...)
        eleven = digits[:2] in ("11", "18") and len(digits) % 3 == 2
        return "an" if digits[0] == "8" or eleven else "a"
    first = _FIRST_WORD.match(head)
    stem = first.group(0) if first else head
    if len(stem) > 1 and stem.isupper() and stem.isalpha():
        return "an" if stem[0] in _VOWEL_LETTERS else "a"
    if lower.startswith(_VOWEL_SOUND):
        return "an"
    if lower.startswith(_CONSONANT_SOUND):
        return "a"
    return "an" if lower[0] in "aeiou" else "a"


def with_article(noun_phrase: str) -> str:
    """``"a removal notice"``, ``"an objectionable-content notice"``, ``"an Indian"``."""
    return f"{indefinite_article(noun_phrase)} {noun_phrase}"
