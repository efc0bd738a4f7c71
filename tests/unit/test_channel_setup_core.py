"""rr_desktop/channel_setup.py: the one add/validate/test/save path behind the CLI and
the dialog."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import pytest

from rr_desktop import channel_setup as core
from rr_desktop import secrets
from rr_desktop.channels import registry
from rr_desktop.channels.contract import ChannelError, NetworkError
from rr_desktop.channels.registry import ChannelSpec, FieldSpec
from rr_desktop.demo import DemoServer
from rr_desktop.domain import PolicyCategory
from rr_desktop.store import channel_state as cs
from rr_desktop.store.store import Store

TOKEN = "core-canary-8d2f"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend in this process's memory (the secrets module only refuses the
    fail and null backends)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    old = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(old)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "cache.sqlite3")
    yield s
    s.close()


@pytest.fixture
def server() -> Iterator[DemoServer]:
    with DemoServer(token=TOKEN, seed=3, count=5) as s:
        yield s


class Probe:
    """A client whose check() raises what the test asks for."""

    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.closed = False

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def probe_kind(monkeypatch: pytest.MonkeyPatch) -> dict[str, Probe]:
    """A kind `probe` with a choice, an optional field, a URL and two secrets."""
    made: dict[str, Probe] = {}

    def build(name: str, config: object, secret: registry.SecretLookup) -> Probe:
        if secret("password") == "build-fails":
            raise ChannelError(f"{name}: cannot build")
        made[name] = Probe(RuntimeError("boom") if secret("password") == "crash" else None)
        return made[name]

    spec = ChannelSpec(
        kind="probe", label="Probe", build=build,  # type: ignore[arg-type]
        fields=(FieldSpec("feed_url", "Feed URL"),
                FieldSpec("mode", "Mode", choices=("poll", "push"), default="poll"),
                FieldSpec("market", "Default market", required=False),
                FieldSpec("password", "Password", secret=True),
                FieldSpec("otp", "One-time code", secret=True, required=False)))
    monkeypatch.setitem(registry._SPECS, "probe", spec)
    return made


def test_draft_fills_defaults_and_reports_problems(probe_kind: dict[str, Probe]) -> None:
    draft = core.new_draft("probe", "", {"feed_url": " ftp://x ", "market": ""})
    assert draft.config == {"feed_url": "ftp://x", "mode": "poll"}
    assert draft.problems() == ["Channel name is required",
                                "Feed URL must start with https:// (or http:// for loopback)",
                                "Password is required"]
    ok = core.new_draft("probe", "feeds", {"feed_url": "https://f.example/rss", "mode": "push"},
                        {"password": "pw\n", "otp": ""})
    assert ok.problems() == [] and ok.secret_values == {"password": "pw"}
    assert "pw" not in repr(ok)
    bad_choice = core.new_draft("probe", "f", {"feed_url": "https://f", "mode": "pull"},
                                {"password": "x"})
    assert bad_choice.problems() == ["Mode must be one of poll, push"]


@pytest.mark.parametrize(("name", "problem"), [
    ("demo", "reserved for the embedded demo channel"),
    (" padded", "must not start or end with spaces"),
    ("new\nline", "control characters"),
    ("x" * 65, "at most 64 characters"),
])
def test_name_rules(name: str, problem: str) -> None:
    assert problem in " ".join(core.name_problems(name))


def test_unknown_kind_and_setting_are_setup_errors() -> None:
    with pytest.raises(core.SetupError, match="unknown channel kind 'nope'"):
        core.new_draft("nope", "x", {})
    with pytest.raises(core.SetupError, match="rr_api has no setting 'colour'"):
        core.new_draft("rr_api", "x", {"colour": "red"})
    with pytest.raises(core.SetupError, match="expected NAME=VALUE with NAME one of base_url"):
        core.parse_assignments("rr_api", ["base_url"])
    assert core.parse_assignments("rr_api", ["base_url=https://a=b"]) == {
        "base_url": "https://a=b"}


def test_check_connection_verdicts_against_the_demo_server(server: DemoServer) -> None:
    def verdict(url: str, token: str) -> core.Verdict:
        return core.check_connection(core.new_draft("rr_api", "p", {"base_url": url},
                                                    {"token": token}))

    good = verdict(server.url, TOKEN)
    assert good.ok and good.kind is core.VerdictKind.OK
    assert good.text() == "Connection works: p: connection works"
    auth = verdict(server.url, "wrong")
    assert not auth.ok and auth.kind is core.VerdictKind.AUTH
    assert "refused the credentials (401)" in auth.message
    wrong_url = verdict(server.url + "/api", TOKEN)
    assert wrong_url.kind is core.VerdictKind.WRONG_URL
    assert "is not an escalation service" in wrong_url.message
    url = server.url
    server.stop()
    down = verdict(url, TOKEN)
    assert down.kind is core.VerdictKind.UNREACHABLE and "cannot reach" in down.message
    invalid = verdict("", TOKEN)
    assert invalid.kind is core.VerdictKind.INVALID and "Base URL is required" in invalid.message


def test_tls_failures_are_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    import ssl

    error = NetworkError("p: TLS error talking to https://x")
    error.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    assert core.classify(error) is core.VerdictKind.TLS
    assert core.classify(NetworkError("p: cannot reach")) is core.VerdictKind.UNREACHABLE


def test_check_connection_survives_build_errors_and_bugs(probe_kind: dict[str, Probe]
                                                         ) -> None:
    def draft(password: str) -> core.ChannelDraft:
        return core.new_draft("probe", "f", {"feed_url": "https://f"}, {"password": password})

    refused = core.check_connection(draft("build-fails"))  # refused before any request
    assert (refused.kind, refused.message) == (core.VerdictKind.INVALID, "Cannot build")
    crashed = core.check_connection(draft("crash"))
    assert crashed.kind is core.VerdictKind.ERROR and "RuntimeError: boom" in crashed.message
    assert probe_kind["f"].closed  # the test client is closed whatever happened
    assert core.check_connection(draft("fine")).ok


def test_save_puts_secrets_in_the_keyring_and_config_in_the_cache(
        store: Store, memory_keyring: MemoryKeyring) -> None:
    draft = core.new_draft("rr_api", "platform", {"base_url": "https://esc.example"},
                           {"token": TOKEN})
    channel_id = core.save(store, draft)
    with store.read() as db:
        [channel] = cs.list_channels(db)
    assert (channel.id, channel.name, channel.kind) == (channel_id, "platform", "rr_api")
    assert channel.config == {"base_url": "https://esc.example"}
    assert secrets.get_secret("platform", "token") == TOKEN
    for path in store.path.parent.glob("cache.sqlite3*"):
        assert TOKEN.encode() not in path.read_bytes()


def test_save_refuses_an_existing_name_without_touching_its_secret(
        store: Store, memory_keyring: MemoryKeyring) -> None:
    first = core.new_draft("rr_api", "p", {"base_url": "https://a.example"}, {"token": "one"})
    core.save(store, first)
    second = core.new_draft("rr_api", "p", {"base_url": "https://b.example"}, {"token": "two"})
    with pytest.raises(core.SetupError, match="A channel named 'p' already exists"):
        core.save(store, second, replace=False)
    assert secrets.get_secret("p", "token") == "one"
    core.save(store, second)  # the CLI replaces, as it always did
    assert secrets.get_secret("p", "token") == "two"


def test_no_keyring_saves_nothing(store: Store) -> None:
    old = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        draft = core.new_draft("rr_api", "p", {"base_url": "https://a.example"},
                               {"token": TOKEN})
        with pytest.raises(secrets.NoKeyring, match="No system keyring is available"):
            core.save(store, draft)
    finally:
        keyring.set_keyring(old)
    with store.read() as db:
        assert cs.list_channels(db) == []


def test_a_failed_cache_write_takes_the_new_secrets_back(
        store: Store, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_db: sqlite3.Connection, _channel: object) -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(cs, "ensure_channel", broken)
    draft = core.new_draft("rr_api", "p", {"base_url": "https://a.example"}, {"token": TOKEN})
    with pytest.raises(sqlite3.OperationalError):
        core.save(store, draft)
    assert memory_keyring.items == {}


def test_save_refuses_an_invalid_draft(store: Store, memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(core.SetupError, match="API token is required"):
        core.save(store, core.new_draft("rr_api", "p", {"base_url": "https://a.example"}))
    assert memory_keyring.items == {}


@pytest.mark.parametrize(("kind", "values", "problems"), [
    ("jira", {"site_url": "https://t.atlassian.net", "email": "a@t.example"},
     ["Set at least one project key or a JQL filter (Jira's search refuses an unbounded "
      "query)"]),
    ("jira", {"site_url": "https://t.atlassian.net", "email": "a@t.example",
              "projects": "LEGAL, 9x", "status_map": "Done=finished",
              "default_market": "Atlantis", "note_visibility": "team"},
     ["Status mapping: 'finished' is not a known value; Default market: 'Atlantis' is not "
      "an ISO 3166 country code; Project keys: '9X' is not a Jira project key (capital "
      "letters, digits, _); note visibility must be role:NAME or group:NAME"]),
    ("jira", {"site_url": "https://t.atlassian.net", "email": "a@t.example",
              "jql": "labels = x ORDER BY created"},
     ["The JQL filter may not have an ORDER BY clause"]),
    ("zendesk", {"base_url": "https://x.zendesk.com", "default_market": "Atlantis"},
     ["API token sign-in needs the agent's email address"]),
    ("zendesk", {"base_url": "https://x.zendesk.com", "email": "a@x.example",
                 "history_days": "a month"},
     ["history_days must be a whole number, not 'a month'"]),
    ("zendesk", {"base_url": "https://x.zendesk.com", "email": "a@x.example",
                 "custom_fields": "market=360001, mood=360002"},
     ["custom_fields: 'mood' is not one of market, category, severity"]),
    ("zendesk", {"base_url": "https://x.zendesk.com", "email": "a@x.example",
                 "custom_fields": "severity=sev"},
     ["custom_fields: 'sev' is not a Zendesk field or form id (a number, as shown in Admin "
      "Center)"]),
    ("zendesk", {"base_url": "https://x.zendesk.com", "email": "a@x.example",
                 "custom_values": "sev_critical=S9"},
     ["custom_values: sev_critical=S9: 'S9' is not a severity (S0..S3), a policy category "
      "or a country code"]),
    ("zendesk", {"base_url": "https://x.zendesk.com", "email": "a@x.example",
                 "ticket_forms": "360000111=child_safety+Atlantis"},
     ["ticket_forms: 360000111=child_safety+Atlantis: 'Atlantis' is not a severity "
      "(S0..S3), a policy category or a country code"]),
    ("rest", {"config_file": "/nonexistent/desk.json"},
     ["Config file '/nonexistent/desk.json': not found"]),
    ("feed", {"base_url": "https://news.example/rss", "default_market": "AU",
              "markets": "AU, Oz"},
     ["Markets: not an ISO 3166-1 alpha-2 country code: 'Oz'"]),
    ("spreadsheet", {"path": "/tmp/list.csv", "mapping": "{title: Subject}"},
     ["The column mapping is not valid JSON (Expecting property name enclosed in double "
      "quotes)"]),
])
def test_configs_that_can_never_sync_are_refused_before_saving(
        kind: str, values: dict[str, str], problems: list[str], store: Store,
        memory_keyring: MemoryKeyring) -> None:
    draft = core.new_draft(kind, "c", values)
    assert draft.config_problems() == problems  # what the CLI says before asking secrets
    with pytest.raises(core.SetupError) as info:
        core.save(store, draft.with_secrets({f.name: "s" for f in draft.spec.secret_fields()}))
    assert info.value.problems == problems
    assert not core.channel_exists(store, "c") and memory_keyring.items == {}


def test_a_usable_jira_config_passes_and_is_saved(store: Store,
                                                  memory_keyring: MemoryKeyring) -> None:
    draft = core.new_draft("jira", "legal", {"site_url": "https://t.atlassian.net",
                                             "email": "a@t.example", "projects": "legal"},
                           {"api_token": "tok"})
    assert draft.problems() == []
    core.save(store, draft)
    assert core.channel_exists(store, "legal")


def test_zendesk_custom_field_settings_come_through_the_cli_set_syntax() -> None:
    values = core.parse_assignments("zendesk", [
        "base_url=https://x.zendesk.com", "email=a@x.example",
        "custom_fields=market=360001, severity=360002",
        "ticket_forms=777=child_safety+JP"])
    assert values["custom_fields"] == "market=360001, severity=360002"
    draft = core.new_draft("zendesk", "zd", values, {"token": "t"})
    assert draft.problems() == []
    client = draft.spec.build("zd", draft.config, draft.secret_values.get)
    try:
        custom = client.defaults.custom  # type: ignore[attr-defined]
        assert custom.field_ids == {"market": 360001, "severity": 360002}
        assert custom.forms == {777: {"category": PolicyCategory.CHILD_SAFETY, "market": "JP"}}
    finally:
        client.close()  # type: ignore[attr-defined]
