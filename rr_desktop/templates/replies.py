"""Partner reply templates as data (docs/templates.md).

A template is a Markdown file `replies/<language>/<partner type>/<name>.md` under the
shipped `resources/templates/` or the analyst's `<data dir>/templates/` (the same path
there replaces the shipped file; a new path adds one). It opens with a small front matter:

    ---
    title: Acknowledge receipt
    channels: rr_api, zendesk, email
    review: promises a time frame; check with Legal before using for regulators
    ---
    Dear {reporter_name}, ...

`title` is required; `channels` (the channel kinds it suits; default every kind that
takes replies) and `review` (why it needs a second look before sending) are optional.
A file that breaks a rule is left out with one sentence naming it; the others load.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from ..domain.enums import ReporterType
from ..domain.languages import language_name, primary
from .front_matter import TemplateFileError, split_front_matter
from .placeholders import placeholders, stray_braces

MAX_TEMPLATE_BYTES = 64 * 1024
REPLY_CHANNEL_KINDS = frozenset({"rr_api", "zendesk", "jira", "email", "rest", "matrix"})
_FRONT_KEYS = frozenset({"title", "channels", "review"})
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,60}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")

# The placeholders a reply template may use, with what each is (docs/templates.md).
REPLY_PLACEHOLDERS: dict[str, str] = {
    "reporter_name": "who reported it, as the source names them",
    "reporter_type": "the kind of reporter (trusted flagger, regulator, ...)",
    "external_id": "the escalation's id at its source (the partner's reference)",
    "title": "the escalation's title",
    "category": "its policy area (hate speech, child safety, ...)",
    "market": "its market (ISO country code)",
    "language": "its language, by name",
    "received_at": "when it was reported, on the market's clock",
    "content_url": "the reported content's address",
    "status": "its status now (new, triaged, resolved, ...)",
    "analyst_name": "your name as the roster has it",
    "incident_title": "the incident it belongs to, if any",
}


class PartnerType(StrEnum):
    """Who a reply is addressed to; reporter types map onto these (`partner_type_of`).
    `any` holds templates that suit every partner."""

    TRUSTED_FLAGGER = "trusted_flagger"  # trusted flaggers and NGOs
    LAW_ENFORCEMENT = "law_enforcement"
    REGULATOR = "regulator"  # government bodies and regulators
    MEDIA = "media"
    PLATFORM_PARTNER = "platform_partner"
    USER = "user"  # a user who reported
    ANY = "any"

    @property
    def label(self) -> str:
        return {"trusted_flagger": "trusted flagger / NGO",
                "regulator": "government / regulator", "any": "any partner"}.get(self.value,
                                                           self.value.replace("_", " "))


_OF_REPORTER: dict[ReporterType, PartnerType] = {
    ReporterType.TRUSTED_FLAGGER: PartnerType.TRUSTED_FLAGGER,
    ReporterType.NGO: PartnerType.TRUSTED_FLAGGER,
    ReporterType.LAW_ENFORCEMENT: PartnerType.LAW_ENFORCEMENT,
    ReporterType.REGULATOR: PartnerType.REGULATOR,
    ReporterType.MEDIA: PartnerType.MEDIA,
    ReporterType.TRUSTED_PARTNER: PartnerType.PLATFORM_PARTNER,
    ReporterType.USER: PartnerType.USER,
}


def partner_type_of(reporter_type: str) -> PartnerType | None:
    """The partner type a reporter type replies as; None for internal reporters (and
    unknown types): every template is offered then."""
    try:
        return _OF_REPORTER.get(ReporterType(reporter_type))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ReplyTemplate:
    """One reply template. `key` is its path under `replies/` without `.md`
    ("en/regulator/acknowledge"), the same for a shipped file and the user's copy."""

    key: str
    title: str
    language: str
    partner_type: PartnerType
    body: str
    channels: frozenset[str] = REPLY_CHANNEL_KINDS
    review: str = ""
    user: bool = False  # from the analyst's data dir

    def describe(self) -> str:
        """What a picker shows beside the title."""
        parts = [language_name(self.language), self.partner_type.label]
        if self.review:
            parts.append(f"review: {self.review}")
        if self.user:
            parts.append("yours")
        return " \u00b7 ".join(parts)


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """A template file left out, and why (one sentence naming the file)."""

    path: Path
    sentence: str


@dataclass(frozen=True, slots=True)
class ReplyTemplates:
    """Every reply template that loaded, by key, and the files that did not."""

    templates: dict[str, ReplyTemplate] = field(default_factory=dict)
    problems: tuple[TemplateProblem, ...] = ()

    def offered(self, language: str, partner: PartnerType | None,
                channel_kind: str | None) -> list[ReplyTemplate]:
        """The templates for a reply: in the escalation's language or English, for its
        partner type (or `any`; every type when `partner` is None), suiting its channel
        kind; best first (its language before English, its partner type before `any`)."""
        lang = primary(language) if language.strip() else "en"
        wanted = {lang, "en"}
        out = [t for t in self.templates.values()
               if t.language in wanted
               and (partner is None or t.partner_type in (partner, PartnerType.ANY))
               and (channel_kind is None or channel_kind in t.channels)]
        return sorted(out, key=lambda t: (t.language != lang, t.partner_type != partner,
                                          t.partner_type == PartnerType.ANY, t.title))


def parse_reply_template(text: str, key: str, shown: str, user: bool = False,
                         ) -> ReplyTemplate:
    """One template from its text; `key` is "<language>/<partner type>/<name>", `shown`
    how messages name the file. Raises TemplateFileError."""
    language, partner, _name = key.split("/")
    front, body = split_front_matter(text, shown, _FRONT_KEYS)
    title = front.get("title", "")
    if not title:
        raise TemplateFileError(f"{shown} has no title in its front matter.")
    channels = REPLY_CHANNEL_KINDS
    if "channels" in front:
        named = {c.strip() for c in front["channels"].split(",") if c.strip()}
        unknown = sorted(named - REPLY_CHANNEL_KINDS)
        if unknown or not named:
            raise TemplateFileError(
                f"{shown}: channels must name channel kinds that take replies "
                f"({', '.join(sorted(REPLY_CHANNEL_KINDS))}), not "
                f"{', '.join(unknown) or 'nothing'}.")
        channels = frozenset(named)
    if not body.strip():
        raise TemplateFileError(f"{shown} has no text after its front matter.")
    unknown_names = [n for n in placeholders(body) if n not in REPLY_PLACEHOLDERS]
    if unknown_names:
        raise TemplateFileError(
            f"{shown} uses {{{unknown_names[0]}}}, which is not a reply placeholder "
            f"(known: {', '.join(REPLY_PLACEHOLDERS)}).")
    stray = stray_braces(body)
    if stray:
        raise TemplateFileError(f"{shown} has {stray[0]!r}, which is not a placeholder "
                                "(write {{ and }} for literal braces).")
    return ReplyTemplate(key, title, language, PartnerType(partner), body, channels,
                         front.get("review", ""), user)


def _key_of(path: Path, root: Path, shown: str) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    if len(parts) != 3:
        raise TemplateFileError(f"{shown} is not at replies/<language>/<partner type>/"
                                "<name>.md.")
    language, partner, name = parts
    if not _LANGUAGE.match(language):
        raise TemplateFileError(f"{shown}: {language!r} is not a language code (en, ja, "
                                "fil, ...).")
    if partner not in {p.value for p in PartnerType}:
        raise TemplateFileError(
            f"{shown}: {partner!r} is not a partner type (one of "
            f"{', '.join(p.value for p in PartnerType)}).")
    if not _NAME.match(name):
        raise TemplateFileError(f"{shown}: a template's file name is lower-case letters, "
                                "digits, '-' and '_'.")
    return "/".join(parts)


def _read(path: Path, shown: str) -> str:
    try:
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise TemplateFileError(f"{shown} is larger than "
                                    f"{MAX_TEMPLATE_BYTES // 1024} KB.")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TemplateFileError(f"{shown} is not UTF-8 text.") from None
    except OSError as exc:
        raise TemplateFileError(f"{shown} could not be read ({exc.strerror or exc}).") \
            from None


def _files(root: Path) -> Iterable[Path]:
    if not root.is_dir():
        return ()
    return sorted(p for p in root.rglob("*.md") if p.is_file())


def load_reply_templates(roots: Sequence[tuple[Path, bool]]) -> ReplyTemplates:
    """The templates under each `(templates dir, is the user's)` of `roots`, in order:
    a later root's file replaces an earlier one with the same key. A user's broken file
    leaves the shipped one of the same key in place (and is reported)."""
    found: dict[str, ReplyTemplate] = {}
    problems: list[TemplateProblem] = []
    for templates_dir, user in roots:
        root = templates_dir / "replies"
        for path in _files(root):
            shown = str(path)
            try:
                key = _key_of(path, root, shown)
                found[key] = parse_reply_template(_read(path, shown), key, shown, user)
            except TemplateFileError as exc:
                problems.append(TemplateProblem(path, str(exc)))
    return ReplyTemplates(found, tuple(problems))
