"""Channel kinds: what each needs to be configured and how to build its client.

A kind declares its fields once; the CLI (`channels add KIND`), the setup dialog and the
workspace all read this registry. Secret fields go to the keyring, never to the DB.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .contract import ChannelClient

SecretLookup = Callable[[str], "str | None"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One setting of a channel kind."""

    name: str
    label: str
    secret: bool = False
    required: bool = True
    default: str = ""
    help: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A channel kind: its fields and a factory for its client.

    `build(name, config, secret)` gets the non-secret config and a function that reads a
    secret field by name (from the keyring); it must not do network I/O.
    """

    kind: str
    label: str
    fields: tuple[FieldSpec, ...]
    build: Callable[[str, Mapping[str, str], SecretLookup], ChannelClient]
    description: str = ""

    def secret_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.secret)

    def plain_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if not f.secret)

    def validate(self, config: Mapping[str, str]) -> list[str]:
        """Problems with a (non-secret) config, as sentences; empty when it is usable."""
        problems = []
        for f in self.plain_fields():
            value = config.get(f.name, f.default)
            if f.required and not value:
                problems.append(f"{f.label} is required")
            elif f.choices and value and value not in f.choices:
                problems.append(f"{f.label} must be one of {', '.join(f.choices)}")
        return problems


_SPECS: dict[str, ChannelSpec] = {}


def register(spec: ChannelSpec) -> ChannelSpec:
    _SPECS[spec.kind] = spec
    return spec


def _load_builtin() -> None:
    # Importing a channel module registers its kind.
    from . import email, feeds, jira, manual, matrix, rest, rr_api, spreadsheet, zendesk  # noqa: F401


def spec(kind: str) -> ChannelSpec:
    _load_builtin()
    try:
        return _SPECS[kind]
    except KeyError:
        raise KeyError(f"unknown channel kind {kind!r}; one of {', '.join(kinds())}") from None


def kinds() -> list[str]:
    _load_builtin()
    return sorted(_SPECS)
