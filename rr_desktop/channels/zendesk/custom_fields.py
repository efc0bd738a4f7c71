"""Zendesk custom ticket fields and ticket forms as sources of market, category and severity.

Zendesk's documented shapes (api-reference/ticketing/tickets/tickets, .../ticket_fields,
.../ticket_forms): a ticket carries `custom_fields` [{"id": <field id>, "value": ...}]
(also under the legacy name `fields`) and `ticket_form_id`. A drop-down ("tagger") field's
value is the chosen option's `value`, which Zendesk also adds to the ticket's tags; a
multi-select's value is a list of option values; text fields hold free text; an unset
field is null. An update sets fields with `{"ticket": {"custom_fields": [{"id", "value"}]}}`.

The channel's settings (all optional; see `CustomFieldMap.from_config`):

    custom_fields   market=360001234, category=360001235, severity=360001236
    custom_values   sev_critical=S0, sev_high=S1, team_thailand=TH, csam=child_safety
    ticket_forms    360000111=child_safety, 360000222=misinformation_civic+ID

Where a value comes from, first found wins: the ticket's custom field, then its tags (the
`market_xx` / category / severity tags of records.py), then its ticket form, then the
channel's defaults. A custom field value that maps to nothing is a problem with the
mapping, so the ticket is quarantined with a sentence naming the field and the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...domain import PolicyCategory, Severity, normalize_market

TARGETS = ("market", "category", "severity")
_CATEGORIES = {c.value for c in PolicyCategory}


def _pairs(text: str, what: str) -> list[tuple[str, str]]:
    out = []
    for part in text.split(","):
        if not part.strip():
            continue
        key, eq, value = part.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise ValueError(f"{what}: {part.strip()[:60]!r} is not NAME=VALUE")
        out.append((key.strip(), value.strip()))
    return out


def _field_id(text: str, what: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 2**63:
        raise ValueError(f"{what}: {text[:30]!r} is not a Zendesk field or form id (a "
                         "number, as shown in Admin Center)")
    return int(text)


def typed_value(text: str) -> tuple[str, Any]:
    """("severity" | "category" | "market", value) of one of our values, told apart by
    shape: S0..S3, a policy category, or an ISO 3166 country code. ValueError otherwise."""
    t = text.strip()
    if len(t) == 2 and t[0] in "sS" and t[1].isdigit():
        return "severity", Severity.parse(t)
    if t.lower() in _CATEGORIES:
        return "category", PolicyCategory(t.lower())
    return "market", normalize_market(t)


@dataclass(frozen=True, slots=True)
class CustomFieldMap:
    """Which custom field holds which of our fields, how option values translate, and
    what each ticket form implies. Empty = tags and defaults only (the old behaviour)."""

    field_ids: dict[str, int] = field(default_factory=dict)  # target -> field id
    values: dict[str, str] = field(default_factory=dict)  # option value -> our value
    forms: dict[int, dict[str, Any]] = field(default_factory=dict)  # form id -> values
    severity_prefix: str = "severity_"

    @classmethod
    def from_config(cls, config: Mapping[str, str],
                    severity_prefix: str = "severity_") -> CustomFieldMap:
        """ValueError naming the setting and the bad entry."""
        ids: dict[str, int] = {}
        for target, ident in _pairs(config.get("custom_fields", ""), "custom_fields"):
            if target not in TARGETS:
                raise ValueError(f"custom_fields: {target!r} is not one of "
                                 f"{', '.join(TARGETS)}")
            if target in ids:
                raise ValueError(f"custom_fields: {target} is given twice")
            ids[target] = _field_id(ident, "custom_fields")
        values: dict[str, str] = {}
        for remote, ours in _pairs(config.get("custom_values", ""), "custom_values"):
            try:
                typed_value(ours)
            except ValueError:
                raise ValueError(f"custom_values: {remote}={ours}: {ours!r} is not a "
                                 "severity (S0..S3), a policy category or a country "
                                 "code") from None
            values[remote.lower()] = ours
        forms: dict[int, dict[str, Any]] = {}
        for form, implied in _pairs(config.get("ticket_forms", ""), "ticket_forms"):
            fid = _field_id(form, "ticket_forms")
            found: dict[str, Any] = {}
            for one in implied.split("+"):
                try:
                    target, value = typed_value(one)
                except ValueError:
                    raise ValueError(f"ticket_forms: {form}={implied}: {one.strip()!r} is "
                                     "not a severity (S0..S3), a policy category or a "
                                     "country code") from None
                found[target] = value
            forms[fid] = found
        return cls(ids, values, forms, severity_prefix)

    def __bool__(self) -> bool:
        return bool(self.field_ids or self.forms)

    def from_fields(self, custom: list[tuple[int, Any]]) -> dict[str, Any]:
        """Our values found in a ticket's custom fields; ValueError for a set value that
        maps to nothing (the mapping needs fixing; the ticket is quarantined)."""
        by_id = dict(custom)
        found: dict[str, Any] = {}
        for target, fid in self.field_ids.items():
            raw = by_id.get(fid)
            options = raw if isinstance(raw, list) else [raw]
            options = [o for o in options if isinstance(o, str | int) and
                       not isinstance(o, bool) and str(o).strip()]
            if not options:
                continue
            for option in options:
                value = self._translate(target, str(option))
                if value is not None:
                    found[target] = value
                    break
            else:
                raise ValueError(
                    f"custom field {fid} ({target}) holds {str(options[0])[:40]!r}, which "
                    f"is not a {target}: map it in the channel's custom_values "
                    f"(e.g. {str(options[0])[:20]}={_EXAMPLE[target]})")
        return found

    def from_form(self, form_id: int | None) -> dict[str, Any]:
        return dict(self.forms.get(form_id, {})) if form_id is not None else {}

    def _translate(self, target: str, option: str) -> Any:
        mapped = self.values.get(option.strip().lower())
        text = (mapped if mapped is not None else option).strip()
        prefixes = {"market": ("market_",), "category": ("category_",),
                    "severity": (self.severity_prefix, "severity_", "sev_", "sev")}[target]
        candidates = [text] + [text[len(p):] for p in prefixes
                               if p and text.lower().startswith(p)]
        for candidate in candidates:
            try:
                if target == "market":
                    return normalize_market(candidate)
                if target == "category":
                    return PolicyCategory(candidate.lower())
                return Severity.parse(candidate)
            except ValueError:
                continue
        return None

    def remote_severity(self, severity: Severity) -> str:
        """The option value to write into the severity field for `severity`: the first
        custom_values entry mapped to it, else its lower-case name ("s1")."""
        for remote, ours in self.values.items():
            if ours.upper() == severity.name:
                return remote
        return severity.name.lower()


_EXAMPLE = {"market": "TH", "category": "hate_speech", "severity": "S1"}
