"""REST channel config files: shareable, versioned, secret-free, and clear when wrong."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import msgspec
import pytest

from rr_desktop.channels import registry
from rr_desktop.channels.contract import ChannelError
from rr_desktop.channels.rest import (
    SPEC,
    ConfigError,
    RestChannel,
    build,
    decode_config,
    encode_config,
    load_config,
    save_config,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "channels" / "example-rest.json"


def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text())
    return data


def problems_of(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        decode_config(json.dumps(doc))
    return info.value.problems


def test_example_file_is_valid_and_round_trips(tmp_path: Path) -> None:
    cfg = load_config(EXAMPLE)
    assert cfg.pagination.style == "page" and cfg.fields.tags == "labels[*].name"
    out = tmp_path / "shared.json"
    save_config(cfg, out)
    assert load_config(out) == cfg
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # a shareable file, nothing secret
    assert encode_config(load_config(out)) == out.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["shared.json"]  # no temp file left


def test_minimal_config_fills_documented_defaults() -> None:
    cfg = decode_config(json.dumps({
        "schema_version": 1, "base_url": "https://tool.example", "list": {"path": "/x"},
        "fields": {"id": "id", "title": "t", "updated_at": "u"}}))
    assert cfg.auth.style == "bearer" and cfg.pagination.style == "none"
    assert cfg.pagination.expired_statuses == (410,)
    assert cfg.defaults.severity == "S2" and cfg.write.update is None
    # defaults are left out of the saved file
    assert json.loads(encode_config(cfg)) == {
        "schema_version": 1, "base_url": "https://tool.example", "list": {"path": "/x"},
        "fields": {"id": "id", "title": "t", "updated_at": "u"}}


@pytest.mark.parametrize(("where", "value"), [
    (("auth", "token"), "abc"),
    (("auth", "password"), "hunter2"),
    (("headers", "Authorization"), "Bearer abc"),
    (("headers", "X-Api-Key"), "abc"),
    (("list", "params", "api_key"), "abc"),
    (("list", "params", "access_token"), "abc"),
])
def test_secrets_are_refused_with_the_reason(where: tuple[str, ...], value: str) -> None:
    doc = example()
    node = doc
    for key in where[:-1]:
        node = node.setdefault(key, {})
    node[where[-1]] = value
    [problem] = problems_of(doc)
    assert problem.startswith(".".join(where) + ": secrets do not belong")
    assert "keyring" in problem


def test_secret_like_names_in_mappings_are_fine() -> None:
    doc = example()
    doc["write"]["note"]["body"]["token"] = "{op_id}"  # a body template field
    doc["values"]["severity"]["password"] = "S1"  # a remote value named like a secret
    cfg = decode_config(json.dumps(doc))
    assert cfg.write.note is not None and cfg.write.note.body["token"] == "{op_id}"
    assert cfg.values.severity["password"] == "S1"


@pytest.mark.parametrize(("change", "message"), [
    ({"schema_version": 3}, "newer RR Desktop"),
    ({"schema_version": 0}, "schema_version must be 1 or 2"),
    ({"base_url": "http://tool.example"}, "base_url must use https://"),
    ({"base_url": "https://u:p@tool.example"}, "must not contain a user name"),
    ({"base_url": "ftp://tool.example"}, "base_url must be an https:// URL"),
    ({"base_url": "https://tool.example/?k=1"}, "must not have a query"),
    ({"auth": {"style": "header"}}, "auth.header must name the header"),
    ({"auth": {"style": "bearer", "header": "X"}}, "only apply to auth.style"),
    ({"auth": {"style": "oauth"}}, "auth.style: Invalid enum value 'oauth'"),
    ({"pagination": {"style": "page", "page_size": 0}}, "pagination.page_size must be"),
    ({"pagination": {"style": "page", "page_size": "ten"}},
     "pagination.page_size: Expected `int`, got `str`"),
    ({"pagination": {"style": "cursor"}}, "pagination.next_cursor"),
    ({"pagination": {"style": "page", "short_page_ends": True}}, "needs size_param"),
    ({"pagination": {"expired_statuses": [500]}}, "must be 4xx"),
    ({"pagniation": {}}, "unknown field `pagniation`"),
    ({"list": {"path": "items"}}, "list.path must be a path under base_url"),
    ({"list": {"path": "//evil.example/items"}}, "list.path must be a path"),
    ({"list": {"path": "/items", "items": "data..items"}}, "list.items: 'data..items'"),
    ({"list": {"path": "/x", "incremental": {"param": "s", "format": "yesterday"}}},
     "list.incremental.format must be"),
    ({"list": {"path": "/x", "incremental": {"param": "s", "overlap_seconds": -1}}},
     "overlap_seconds"),
    ({"item": {"path": "/items/{uuid}"}}, "unknown placeholder {uuid}"),
    ({"defaults": {"severity": "high"}}, "defaults.severity: 'high' is not a valid"),
    ({"defaults": {"market": "Singapore"}}, "defaults.market"),
    ({"values": {"status": {"open": "opened"}}}, "values.status: 'open' maps to 'opened'"),
    ({"headers": {"Bad Header": "x"}}, "is not a valid header name"),
])
def test_each_bad_field_has_its_own_sentence(change: dict[str, Any], message: str) -> None:
    doc = example()
    doc.update(change)
    problems = problems_of(doc)
    assert any(message in p for p in problems), problems


def test_write_back_mistakes() -> None:
    doc = example()
    doc["write"]["update"]["fields"] = {"title": "summary", "tags": "labels[*].name"}
    doc["write"]["note"]["body"] = {"body": "{text} {secret_sauce}"}
    del doc["item"]
    problems = problems_of(doc)
    assert any("'title' cannot be written back" in p for p in problems)
    assert any("write.update.fields.tags must be a plain dotted path" in p for p in problems)
    assert any("unknown placeholder {secret_sauce}" in p for p in problems)
    assert any("configure the item endpoint" in p for p in problems)


def test_unreadable_files_say_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.json")
    with pytest.raises(ConfigError, match=r"not found \(give an absolute path\)"):
        load_config("relative-nope.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(ConfigError, match="must hold a JSON object"):
        load_config(tmp_path / "list.json")
    (tmp_path / "big.json").write_bytes(b" " * 300_000)
    with pytest.raises(ConfigError, match="too big"):
        load_config(tmp_path / "big.json")


def test_save_refuses_an_invalid_config(tmp_path: Path) -> None:
    cfg = msgspec.structs.replace(load_config(EXAMPLE), base_url="http://tool.example")
    with pytest.raises(ConfigError, match="https"):
        save_config(cfg, tmp_path / "x.json")
    assert not list(tmp_path.iterdir())


def test_kind_is_registered_with_one_optional_secret() -> None:
    assert registry.spec("rest") is SPEC
    assert [f.name for f in SPEC.secret_fields()] == ["secret"]
    assert [f.name for f in SPEC.plain_fields()] == ["config_file", "base_url", "username"]
    assert SPEC.validate({}) == ["Config file is required"]
    assert SPEC.validate({"config_file": "/x.json"}) == []


def test_build_reads_the_file_and_the_secret(tmp_path: Path) -> None:
    asked: list[str] = []

    def secret(name: str) -> str | None:
        asked.append(name)
        return "tok"

    client = build("desk", {"config_file": str(EXAMPLE)}, secret)
    assert isinstance(client, RestChannel) and asked == ["secret"]
    assert client.base == "https://abuse-desk.internal.example/api"
    assert client._http.session.headers["Authorization"] == "Bearer tok"
    client.close()
    staging = build("desk", {"config_file": str(EXAMPLE),
                             "base_url": "https://staging.example/api"}, secret)
    assert staging.base == "https://staging.example/api"
    staging.close()
    with pytest.raises(ChannelError, match="base_url must use https"):
        build("desk", {"config_file": str(EXAMPLE), "base_url": "http://x.example"}, secret)
    with pytest.raises(ChannelError, match="no secret for auth style 'bearer'"):
        build("desk", {"config_file": str(EXAMPLE)}, lambda name: None)
    with pytest.raises(ChannelError, match="not found"):
        build("desk", {"config_file": str(tmp_path / "gone.json")}, secret)


def test_auth_styles_and_no_secret_lookup_without_auth(tmp_path: Path) -> None:
    doc = example()

    def refuse(name: str) -> str | None:
        raise AssertionError("auth style none must not touch the keyring")

    for auth, check in [
        ({"style": "none"}, lambda s: "Authorization" not in s.headers),
        ({"style": "header", "header": "X-Api-Key"}, lambda s: s.headers["X-Api-Key"] == "k"),
        ({"style": "header", "header": "Authorization", "prefix": "Token "},
         lambda s: s.headers["Authorization"] == "Token k"),
        ({"style": "basic", "username": "svc"}, lambda s: s.auth == ("svc", "k")),
    ]:
        doc["auth"] = auth
        path = tmp_path / "c.json"
        path.write_text(json.dumps(doc))
        lookup = refuse if auth["style"] == "none" else (lambda name: "k")
        client = build("desk", {"config_file": str(path)}, lookup)
        assert check(client._http.session), auth
        client.close()
    doc["auth"] = {"style": "basic"}
    path.write_text(json.dumps(doc))
    with pytest.raises(ChannelError, match="basic auth needs a user name"):
        build("desk", {"config_file": str(path)}, lambda name: "k")
    client = build("desk", {"config_file": str(path), "username": "me"}, lambda name: "k")
    assert client._http.session.auth == ("me", "k")
    client.close()


@pytest.mark.parametrize("path", sorted(EXAMPLE.parent.glob("example-rest*.json")),
                         ids=lambda p: p.name)
def test_every_shipped_example_is_valid(path: Path) -> None:
    cfg = load_config(path)
    assert cfg.kind == "rest" and cfg.label


def v2(**changes: Any) -> dict[str, Any]:
    doc = example()
    doc["schema_version"] = 2
    doc.update(changes)
    return doc


def test_version_1_files_read_as_before_and_refuse_version_2_keys() -> None:
    cfg = load_config(EXAMPLE)
    assert cfg.schema_version == 1
    doc = example()
    doc["fields"]["link"] = "{base}/items/{id}"
    doc["expand"] = [{"as": "text", "from": "text_id", "path": "/texts/{value}"}]
    doc["pagination"] = {"style": "next_link", "next_link": "next"}
    assert problems_of(doc) == [
        f"{key} needs schema_version 2 (whose paths are JMESPath expressions: see "
        "resources/channels/README.md)"
        for key in ('pagination.style "next_link"', "pagination.next_link", "fields.link",
                    "expand")]
    # A v1 dotted path that is not JMESPath reads in v1 and is refused in v2 by name.
    doc = example()
    doc["fields"]["reporter"] = "reporter.0.name"
    assert decode_config(json.dumps(doc)).fields.reporter == "reporter.0.name"
    [problem] = problems_of(v2(fields={**doc["fields"]}))
    assert problem.startswith("fields.reporter: 'reporter.0.name' is not a JMESPath "
                              "expression")


@pytest.mark.parametrize(("change", "message"), [
    ({"expand": [{"as": "full text", "from": "a"}]},
     "expand[0].as must be a name of letters, digits and _"),
    ({"expand": [{"as": "t", "from": "a"}, {"as": "t", "from": "b"}]},
     "expand[1].as: 't' is used twice"),
    ({"expand": [{"as": "t", "from": "a", "path": "/texts/{uuid}"}]},
     "expand[0].path: unknown placeholder {uuid}"),
    ({"expand": [{"as": "t", "from": "a", "path": "/texts"}]},
     "expand[0].path must hold {value}"),
    ({"expand": [{"as": "t", "from": "a", "per_second": 0}]},
     "expand[0].per_second must be more than 0"),
    ({"expand": [{"as": "t", "from": "a[?"}]}, "expand[0].from: 'a[?' is not a JMESPath"),
    ({"expand": [{"as": "t", "form": "a"}]}, "unknown field `form`"),
    ({"pagination": {"style": "next_link"}}, "pagination.next_link (where the next page's URL"),
    ({"pagination": {"style": "page", "next_link": "next"}},
     "pagination.next_link only applies to style \"next_link\""),
    ({"list": {"path": "/x", "incremental": {"param": "s", "field": "seq", "token": "t"}}},
     "two kinds of cursor: keep one"),
    ({"item": {"path": "/i/{id}", "fields": {"id": "id", "title": "", "updated_at": "u"}}},
     "item.fields.title is required"),
])
def test_version_2_mistakes_name_the_key(change: dict[str, Any], message: str) -> None:
    problems = problems_of(v2(**change))
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize(("link", "message"), [
    ("/items/{id}", "fields.link must start with {base} or https://"),
    ("{base}/items/{key}", "fields.link: unknown placeholder {key}"),
])
def test_link_template_mistakes(link: str, message: str) -> None:
    doc = v2()
    doc["fields"]["link"] = link
    assert any(message in p for p in problems_of(doc))
    doc["fields"]["link"] = "{base}/items/{id}"
    doc["fields"]["content_url"] = "sample_url"
    assert any("fields.link and fields.content_url both" in p for p in problems_of(doc))


@pytest.mark.parametrize("path", sorted(EXAMPLE.parent.glob("example-*.json")),
                         ids=lambda p: p.name)
def test_every_shipped_example_round_trips(path: Path, tmp_path: Path) -> None:
    cfg = load_config(path)
    save_config(cfg, tmp_path / "copy.json")
    assert load_config(tmp_path / "copy.json") == cfg
