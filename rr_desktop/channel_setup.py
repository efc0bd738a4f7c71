"""Adding a channel: validate what the user typed, test the connection, save it.

The one implementation behind `rr-desktop channels add` and the channel setup dialog
(rr_desktop/gui/channel_setup.py). No Qt, no threads: the dialog runs `check_connection`
and `save` through its job helper. It uses both the channels (the registry, a client's
connection test) and the store (the channel row), so it lives outside both: neither
imports the other.

    draft = new_draft("rr_api", "platform", {"base_url": url}, {"token": token})
    problems = draft.problems()          # sentences; empty when it can be saved
    verdict = check_connection(draft)    # never raises; verdict.ok / verdict.message
    save(store, draft)                   # secrets -> keyring, config -> the cache

Secrets go to the OS keyring (rr_desktop/secrets.py) and nowhere else: with no keyring
`save` raises `secrets.NoKeyring` before anything is written.
"""

from __future__ import annotations

import logging
import re
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import requests

from . import secrets
from .channels import registry
from .channels.contract import (
    AuthError,
    ChannelError,
    Closable,
    ConnectionTest,
    NetworkError,
    RateLimited,
    Rejected,
    ServerError,
)
from .domain import Channel
from .http import redact
from .store import channel_state as cs

if TYPE_CHECKING:
    from .store.store import Store

log = logging.getLogger("rr_desktop.channels")

RESERVED_NAMES = frozenset({"demo"})  # the embedded demo channel (workspace.DEMO_CHANNEL)
MAX_NAME = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MESSAGE_CAP = 400


class SetupError(Exception):
    """The channel cannot be added as given; `problems` are sentences for the user."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def is_url_field(name: str) -> bool:
    """Fields whose value is a web address (checked for an http(s) scheme)."""
    return name in ("url", "base_url") or name.endswith("_url")


@dataclass(frozen=True, slots=True)
class ChannelDraft:
    """A channel as the user filled it in, before it is saved.

    `config` holds the kind's non-secret fields (defaults filled in, values stripped);
    `secret_values` the secret ones, which only ever go to the keyring.
    """

    spec: registry.ChannelSpec
    name: str
    config: dict[str, str]
    secret_values: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> str:
        return self.spec.kind

    def channel(self) -> Channel:
        """The channel row as the cache stores it (no secrets)."""
        return Channel(self.name, self.spec.kind, dict(self.config))

    def with_secrets(self, values: Mapping[str, str]) -> ChannelDraft:
        return ChannelDraft(self.spec, self.name, self.config, _secret_values(self.spec, values))

    def config_problems(self) -> list[str]:
        """Problems with the name and the non-secret fields (what the CLI checks before it
        reads secrets from stdin), including what the kind's client would refuse at every
        sync (a Jira channel with neither projects nor JQL, a mapping that does not parse):
        such a config is never saved."""
        problems = name_problems(self.name)
        problems += self.spec.validate(self.config)
        for f in self.spec.plain_fields():
            value = self.config.get(f.name, "")
            if value and is_url_field(f.name) and not value.startswith(("https://", "http://")):
                what = "the base URL" if f.name == "base_url" else f.label
                problems.append(f"{what} must start with https:// (or http:// for loopback)")
        if not problems:
            problems = self.build_problems()
        return problems

    def build_problems(self) -> list[str]:
        """What the kind's client refuses in this config: the channel is built once, off
        the network (ChannelSpec.build does no I/O), with the secrets given so far or a
        stand-in, so the check needs no keyring and runs before secrets are asked for."""
        def secret(field_name: str) -> str:
            return self.secret_values.get(field_name) or "stand-in-secret"

        client: object = None
        try:
            client = self.spec.build(self.name, self.config, secret)
        except ChannelError as exc:
            return [_unprefixed(str(exc), self.name)]
        except Exception:  # a channel bug: the connection test and the sync will say more
            log.warning("checking the config of %s failed unexpectedly", self.name,
                        exc_info=True)
            return []
        finally:
            _close(client, self.name)
        return []

    def secret_problems(self) -> list[str]:
        return [f"{f.label} is required" for f in self.spec.secret_fields()
                if f.required and not self.secret_values.get(f.name)]

    def problems(self) -> list[str]:
        """Everything that stops this draft from being tested or saved; empty when usable."""
        return self.config_problems() + self.secret_problems()


def _unprefixed(message: str, name: str) -> str:
    # Channel errors start with "<channel name>: "; the other problems don't. A sentence
    # that starts with a setting's key (custom_fields, list.items) keeps its spelling.
    text = message.removeprefix(f"{name}: ")
    first = text.split(" ", 1)[0]
    return text[:1].upper() + text[1:] if first.isalpha() and first.islower() else text


def _close(client: object, name: str) -> None:
    if isinstance(client, Closable):
        try:
            client.close()
        except Exception:
            log.debug("closing the test client of %s failed", name, exc_info=True)


def name_problems(name: str) -> list[str]:
    if not name:
        return ["Channel name is required"]
    problems = []
    if name != name.strip() or _CONTROL.search(name):
        problems.append("Channel name must not start or end with spaces or contain "
                        "control characters")
    if len(name) > MAX_NAME:
        problems.append(f"Channel name must be at most {MAX_NAME} characters")
    if name in RESERVED_NAMES:
        problems.append(f"Channel name {name!r} is reserved for the embedded demo channel")
    return problems


def _secret_values(spec: registry.ChannelSpec, values: Mapping[str, str]) -> dict[str, str]:
    # Only line breaks are trimmed: a pasted token often brings one, a password may
    # legitimately start or end with a space.
    out = {}
    for f in spec.secret_fields():
        value = values.get(f.name, "").strip("\r\n")
        if value:
            out[f.name] = value
    return out


def new_draft(kind: str, name: str, values: Mapping[str, str],
              secret_values: Mapping[str, str] | None = None) -> ChannelDraft:
    """A draft of channel `name` of `kind`. `values` may hold the plain fields (unknown
    names are refused, missing ones get their default); nothing is checked beyond that:
    ask `problems()`. Raises SetupError for an unknown kind or unknown field."""
    try:
        spec = registry.spec(kind)
    except KeyError as exc:
        raise SetupError([exc.args[0]]) from None
    plain = {f.name for f in spec.plain_fields()}
    unknown = sorted(k for k in values if k not in plain)
    if unknown:
        raise SetupError([f"{kind} has no setting {k!r}; settings: "
                          + ", ".join(f.name for f in spec.plain_fields()) for k in unknown])
    config = {k: v.strip() for k, v in values.items()}
    for f in spec.plain_fields():
        if f.default and not config.get(f.name):
            config[f.name] = f.default
    config = {k: v for k, v in config.items() if v}
    return ChannelDraft(spec, name, config, _secret_values(spec, secret_values or {}))


def parse_assignments(kind: str, items: Iterable[str]) -> dict[str, str]:
    """`NAME=VALUE` strings (the CLI's --set) as a dict; SetupError names the bad one."""
    try:
        spec = registry.spec(kind)
    except KeyError as exc:
        raise SetupError([exc.args[0]]) from None
    names = [f.name for f in spec.plain_fields()]
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key not in names:
            raise SetupError([f"--set {item!r}: expected NAME=VALUE with NAME one of "
                              + ", ".join(names)])
        out[key] = value
    return out


class VerdictKind(StrEnum):
    """What a connection test found."""

    OK = "ok"
    UNTESTED = "untested"  # the kind has no connection test
    INVALID = "invalid"  # the draft itself has problems; nothing was sent
    AUTH = "auth"
    TLS = "tls"
    UNREACHABLE = "unreachable"
    WRONG_URL = "wrong_url"
    RATE_LIMITED = "rate_limited"
    SERVER = "server"
    ERROR = "error"


_HEADLINES = {
    VerdictKind.OK: "Connection works",
    VerdictKind.UNTESTED: "Not tested",
    VerdictKind.INVALID: "Fix the settings first",
    VerdictKind.AUTH: "Authentication failed",
    VerdictKind.TLS: "TLS error",
    VerdictKind.UNREACHABLE: "Host unreachable",
    VerdictKind.WRONG_URL: "Wrong URL or refused request",
    VerdictKind.RATE_LIMITED: "Rate limited",
    VerdictKind.SERVER: "Server error",
    VerdictKind.ERROR: "Test failed",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of `check_connection`: `message` is one sentence for the user (the
    channel's ChannelError message when the test failed)."""

    kind: VerdictKind
    message: str

    @property
    def ok(self) -> bool:
        return self.kind in (VerdictKind.OK, VerdictKind.UNTESTED)

    @property
    def headline(self) -> str:
        return _HEADLINES[self.kind]

    def text(self) -> str:
        return f"{self.headline}: {self.message}"


def _is_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):  # the cause chain is short; never loop on a cycle
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError | requests.exceptions.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def classify(exc: ChannelError) -> VerdictKind:
    if isinstance(exc, AuthError):
        return VerdictKind.AUTH
    if isinstance(exc, NetworkError):
        return VerdictKind.TLS if _is_tls(exc) else VerdictKind.UNREACHABLE
    if isinstance(exc, RateLimited):
        return VerdictKind.RATE_LIMITED
    if isinstance(exc, ServerError):
        return VerdictKind.SERVER
    if isinstance(exc, Rejected):
        return VerdictKind.WRONG_URL
    return VerdictKind.ERROR


def check_connection(draft: ChannelDraft) -> Verdict:
    """Build the client and run its `check()` (network I/O: call it off the GUI thread).
    Never raises for what the user can fix; the verdict says what happened."""
    problems = draft.problems()
    if problems:
        return Verdict(VerdictKind.INVALID, "; ".join(problems))
    client: object = None
    try:
        client = draft.spec.build(draft.name, draft.config, draft.secret_values.get)
        if not isinstance(client, ConnectionTest):
            return Verdict(VerdictKind.UNTESTED,
                           f"{draft.name}: {draft.spec.label} channels have no connection "
                           "test; it will be tried at the first sync")
        client.check()
    except ChannelError as exc:
        return Verdict(classify(exc), _capped(str(exc)))
    except Exception as exc:  # a channel bug must not take the dialog or the CLI down
        log.warning("connection test of %s failed unexpectedly", draft.name, exc_info=True)
        return Verdict(VerdictKind.ERROR,
                       _capped(f"{draft.name}: {type(exc).__name__}: {redact(str(exc))}"))
    finally:
        _close(client, draft.name)
    return Verdict(VerdictKind.OK, f"{draft.name}: connection works")


def _capped(message: str) -> str:
    return message if len(message) <= _MESSAGE_CAP else message[:_MESSAGE_CAP] + "\u2026"


def channel_exists(store: Store, name: str) -> bool:
    with store.read() as db:
        return db.execute("SELECT 1 FROM channel WHERE name = ?", (name,)).fetchone() \
            is not None


def save(store: Store, draft: ChannelDraft, *, replace: bool = True) -> int:
    """Store the secrets in the keyring, then the channel row in the cache; its id.

    Raises SetupError (problems, or the name is taken and `replace` is False) and
    secrets.SecretStoreError (no keyring, locked) with nothing saved: secrets are written
    first, and a new channel's secrets are removed again if the cache write fails.
    """
    problems = draft.problems()
    if problems:
        raise SetupError(problems)
    existed = channel_exists(store, draft.name)
    if existed and not replace:
        raise SetupError([f"A channel named {draft.name!r} already exists"])
    written: list[str] = []
    try:
        for name, value in draft.secret_values.items():
            secrets.set_secret(draft.name, name, value)
            written.append(name)
        with store.write() as db:
            if not replace and db.execute("SELECT 1 FROM channel WHERE name = ?",
                                          (draft.name,)).fetchone() is not None:
                raise SetupError([f"A channel named {draft.name!r} already exists"])
            return cs.ensure_channel(db, draft.channel())
    except BaseException:
        if not existed:  # never remove the secrets of the channel we meant to replace
            for name in written:
                try:
                    secrets.delete_secret(draft.name, name)
                except secrets.SecretStoreError:
                    log.warning("could not remove %s's %s from the keyring", draft.name, name)
        raise
