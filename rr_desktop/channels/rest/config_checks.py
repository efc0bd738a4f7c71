"""Validation of a `RestConfig` beyond its types: one clear sentence per bad field."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from ...domain import PolicyCategory, ReporterType, Severity, Status, Urgency, normalize_market
from .config import READABLE_VERSIONS, Fields, Follow, RestConfig
from .expressions import PathError, compile_path

MAX_PAGE_SIZE = 500
WRITABLE = ("status", "assignee", "severity", "urgency", "tags")
MESSAGE_PLACEHOLDERS = ("text", "author", "op_id", "id")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP header name (RFC 9110 5.1)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_SECRET_NAME = re.compile(
    r"(?i)^(authorization|proxy-authorization|cookie|x-api-key|api[-_]?key|apikey|"
    r"access[-_]?token|token|secret|client[-_]?secret|password|passwd|private[-_]?key|"
    r"sig|signature)$")
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}

ENUM_PARSERS: dict[str, Callable[[str], object]] = {
    "severity": Severity.parse,
    "urgency": Urgency.parse,
    "status": Status,
    "category": PolicyCategory,
    "reporter_type": ReporterType,
    "market": normalize_market,
}


def secret_keys(document: Any, where: str = "") -> list[str]:
    """Where a raw config document holds something named like a secret (a token, a
    password, an Authorization header...)."""
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            here = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and _SECRET_NAME.match(key) and \
                    not isinstance(value, (dict, list)) and not _is_path_section(where):
                found.append(here)
            found.extend(secret_keys(value, here))
    elif isinstance(document, list):
        for i, value in enumerate(document):
            found.extend(secret_keys(value, f"{where}[{i}]"))
    return found


def _is_path_section(where: str) -> bool:
    # `fields`, `values` and body templates name remote fields, not secrets.
    return where.split(".")[0] in ("fields", "values", "defaults", "item", "expand") or \
        where.startswith(("write.", "list.incremental", "pagination"))


def check_base_url(url: str, what: str = "base_url") -> list[str]:
    """https (http only on loopback), no credentials or query in it."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return [f"{what} {url!r} is not a URL"]
    if parts.scheme not in ("https", "http") or not host:
        return [f"{what} must be an https:// URL (got {url[:80]!r})"]
    if parts.scheme == "http" and host not in _LOOPBACK:
        return [f"{what} must use https:// (http:// only for localhost)"]
    if parts.username or parts.password:
        return [f"{what} must not contain a user name or password: use auth and the keyring"]
    if parts.query or parts.fragment:
        return [f"{what} must not have a query or fragment: put parameters in list.params"]
    return []


def problems(cfg: RestConfig) -> list[str]:
    """Everything wrong with a config, as sentences naming the field."""
    out: list[str] = []
    if cfg.schema_version not in READABLE_VERSIONS:
        out.append("schema_version must be " + " or ".join(map(str, READABLE_VERSIONS))
                   + f" (got {cfg.schema_version})")
        return out  # the paths cannot be read without knowing their syntax
    out += _version_two_keys(cfg)
    out += check_base_url(cfg.base_url)
    out += _auth(cfg)
    for name in cfg.headers:
        if not _TOKEN.match(name):
            out.append(f"headers: {name!r} is not a valid header name")
    out += _listing(cfg)
    out += _paging(cfg)
    out += _paths(cfg)
    out += _enums(cfg)
    out += _writes(cfg)
    out += _follows(cfg)
    out += _link(cfg)
    return out


def v2_keys(cfg: RestConfig) -> list[str]:
    """The keys new in schema_version 2 that this config uses."""
    used = []
    inc = cfg.listing.incremental
    if inc is not None:
        used += [f"list.incremental.{k}" for k in ("field", "token") if getattr(inc, k)]
    p = cfg.pagination
    if p.style == "next_link":
        used.append("pagination.style \"next_link\"")
    if p.next_link:
        used.append("pagination.next_link")
    if cfg.item is not None:
        used += [f"item.{k}" for k in ("params", "fields", "expand") if getattr(cfg.item, k)]
    if cfg.fields.link:
        used.append("fields.link")
    if cfg.expand:
        used.append("expand")
    return used


def _version_two_keys(cfg: RestConfig) -> list[str]:
    if cfg.schema_version >= 2:
        return []
    return [f"{k} needs schema_version 2 (whose paths are JMESPath expressions: see "
            "resources/channels/README.md)" for k in v2_keys(cfg)]


def _follows(cfg: RestConfig) -> list[str]:
    out: list[str] = []
    groups: list[tuple[str, tuple[Follow, ...]]] = [("expand", cfg.expand)]
    if cfg.item is not None:
        groups.append(("item.expand", cfg.item.expand))
    for where, follows in groups:
        names: set[str] = set()
        for i, f in enumerate(follows):
            at = f"{where}[{i}]"
            if not _NAME.match(f.name):
                out.append(f"{at}.as must be a name of letters, digits and _ "
                           f"(got {f.name[:40]!r})")
            elif f.name in names:
                out.append(f"{at}.as: {f.name!r} is used twice")
            names.add(f.name)
            if f.path:
                out += _template(f.path, f"{at}.path", ("value", "id"))
                if "{value}" not in f.path:
                    out.append(f"{at}.path must hold {{value}} (where the linked id goes)")
            if not 0 < f.per_second <= 100:
                out.append(f"{at}.per_second must be more than 0 and at most 100")
    return out


def _link(cfg: RestConfig) -> list[str]:
    link = cfg.fields.link
    if not link:
        return []
    out: list[str] = []
    if cfg.fields.content_url:
        out.append("fields.link and fields.content_url both give the record's link: keep "
                   "one")
    if not link.startswith(("{base}", "https://", "http://")):
        out.append("fields.link must start with {base} or https:// (got "
                   f"{link[:60]!r})")
    bad = [p for p in _PLACEHOLDER.findall(link) if p not in ("base", "id")]
    if bad:
        out.append(f"fields.link: unknown placeholder {{{bad[0]}}} ({{base}} or {{id}})")
    return out


def _auth(cfg: RestConfig) -> list[str]:
    a = cfg.auth
    if a.style == "header" and not _TOKEN.match(a.header):
        return ["auth.header must name the header that carries the key (e.g. X-Api-Key)"]
    if a.style != "header" and (a.header or a.prefix):
        return [f"auth.header and auth.prefix only apply to auth.style \"header\" "
                f"(style is {a.style!r})"]
    return []


def _template(path: str, what: str, allowed: tuple[str, ...] = ("id",)) -> list[str]:
    if not path.startswith("/") or path.startswith("//"):
        return [f"{what} must be a path under base_url starting with '/' (got {path[:80]!r})"]
    if any(c in path for c in " \t\r\n#"):
        return [f"{what} must not contain spaces or '#'"]
    bad = [p for p in _PLACEHOLDER.findall(path) if p not in allowed]
    if bad:
        allowed_text = " or ".join("{" + a + "}" for a in allowed) or "none here"
        return [f"{what}: unknown placeholder {{{bad[0]}}} ({allowed_text})"]
    return []


def _listing(cfg: RestConfig) -> list[str]:
    out = _template(cfg.listing.path, "list.path", ())
    if cfg.item is not None:
        out += _template(cfg.item.path, "item.path")
        if cfg.item.fields is not None:
            out += [f"item.{p}" for p in _required_fields(cfg.item.fields)]
    if cfg.analysts is not None:
        out += _template(cfg.analysts.path, "analysts.path", ())
    inc = cfg.listing.incremental
    if inc is not None:
        if not inc.param:
            out.append("list.incremental.param must name the 'updated since' parameter")
        fmt = inc.format
        if fmt not in ("iso", "epoch_s", "epoch_ms"):
            try:
                ok = "%" in fmt and datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC).strftime(fmt)
            except ValueError:
                ok = False
            if not ok:
                out.append("list.incremental.format must be iso, epoch_s, epoch_ms or a "
                           f"strftime pattern (got {fmt!r})")
        if not 0 <= inc.overlap_seconds <= 86_400:
            out.append("list.incremental.overlap_seconds must be between 0 and 86400")
        if inc.field and inc.token:
            out.append("list.incremental: field (a value in each record) and token (a "
                       "value in the answer) are two kinds of cursor: keep one")
    return out


def _paging(cfg: RestConfig) -> list[str]:
    p = cfg.pagination
    out: list[str] = []
    if not 1 <= p.page_size <= MAX_PAGE_SIZE:
        out.append(f"pagination.page_size must be between 1 and {MAX_PAGE_SIZE} "
                   f"(got {p.page_size})")
    if p.style == "page" and (not p.page_param or p.first_page < 0):
        out.append("pagination.page_param is required and first_page must be 0 or more "
                   "for style \"page\"")
    if p.style == "offset" and not p.offset_param:
        out.append("pagination.offset_param is required for style \"offset\"")
    if p.style == "cursor" and not (p.next_cursor and p.cursor_param):
        out.append("pagination.next_cursor (where the next cursor is in the answer) and "
                   "cursor_param are required for style \"cursor\"")
    if p.style == "next_link" and not p.next_link:
        out.append("pagination.next_link (where the next page's URL is in the answer) is "
                   "required for style \"next_link\"")
    if p.next_link and p.style != "next_link":
        out.append("pagination.next_link only applies to style \"next_link\"")
    if p.short_page_ends and not p.size_param:
        out.append("pagination.short_page_ends needs size_param (else the server chooses "
                   "the page size and a short page proves nothing)")
    if any(not 400 <= s <= 499 for s in p.expired_statuses):
        out.append("pagination.expired_statuses must be 4xx statuses")
    return out


def _fields_paths(fields: Fields, where: str) -> Iterator[tuple[str, str]]:
    for name in fields.__struct_fields__:
        value = getattr(fields, name)
        if isinstance(value, str) and name not in ("body_format", "link"):
            yield f"{where}.{name}", value
    if fields.facts is not None:
        f = fields.facts
        yield from ((f"{where}.facts.path", f.path), (f"{where}.facts.at", f.at),
                    (f"{where}.facts.text", f.text), (f"{where}.facts.author", f.author))


def _path_fields(cfg: RestConfig) -> Iterator[tuple[str, str]]:
    yield "list.items", cfg.listing.items
    inc = cfg.listing.incremental
    if inc is not None:
        yield from (("list.incremental.field", inc.field),
                    ("list.incremental.token", inc.token))
    p = cfg.pagination
    yield from (("pagination.next_cursor", p.next_cursor), ("pagination.total", p.total),
                ("pagination.has_more", p.has_more), ("pagination.next_link", p.next_link))
    yield from _fields_paths(cfg.fields, "fields")
    groups = [("expand", cfg.expand)]
    if cfg.item is not None:
        yield "item.item", cfg.item.item
        if cfg.item.fields is not None:
            yield from _fields_paths(cfg.item.fields, "item.fields")
        groups.append(("item.expand", cfg.item.expand))
    for where, follows in groups:
        for i, f in enumerate(follows):
            yield from ((f"{where}[{i}].from", f.source), (f"{where}[{i}].item", f.item))
    if cfg.analysts is not None:
        a = cfg.analysts
        yield from (("analysts.items", a.items), ("analysts.id", a.id),
                    ("analysts.name", a.name), ("analysts.email", a.email))
    if cfg.write.update is not None:
        yield "write.update.item", cfg.write.update.item


def _paths(cfg: RestConfig) -> list[str]:
    out: list[str] = []
    for what, text in _path_fields(cfg):
        try:
            compile_path(text, cfg.schema_version)
        except PathError as exc:
            out.append(f"{what}: {exc}")
    out += _required_fields(cfg.fields)
    for i, f in enumerate(cfg.expand):
        if not f.source:
            out.append(f"expand[{i}].from is required (the path of the link or id)")
    return out


def _required_fields(fields: Fields) -> list[str]:
    return [f"fields.{what} is required (the path of the record's {what})"
            for what in ("id", "title", "updated_at") if not getattr(fields, what)]


def _enums(cfg: RestConfig) -> list[str]:
    out: list[str] = []
    for field, parse_value in ENUM_PARSERS.items():
        default = getattr(cfg.defaults, field)
        if default or field != "market":
            try:
                parse_value(default)
            except ValueError:
                out.append(f"defaults.{field}: {default!r} is not a valid {field}")
        for remote, local in getattr(cfg.values, field).items():
            try:
                parse_value(local)
            except ValueError:
                out.append(f"values.{field}: {remote!r} maps to {local!r}, which is not a "
                           f"valid {field}")
    return out


def _writes(cfg: RestConfig) -> list[str]:
    out: list[str] = []
    up = cfg.write.update
    if up is not None:
        out += _template(up.path, "write.update.path")
        for field, path in up.fields.items():
            if field not in WRITABLE:
                out.append(f"write.update.fields: {field!r} cannot be written back "
                           f"(one of {', '.join(WRITABLE)})")
                continue
            try:
                simple = compile_path(path, cfg.schema_version).is_simple
            except PathError as exc:
                out.append(f"write.update.fields.{field}: {exc}")
                continue
            if not simple:
                out.append(f"write.update.fields.{field} must be a plain dotted path of keys")
        if cfg.item is None:
            out.append("write.update reads the record before writing (to detect "
                       "conflicts): configure the item endpoint (item.path)")
        if up.conditional == "version" and "{version}" not in up.version_etag:
            out.append("write.update.version_etag must contain {version}")
    for kind in ("note", "reply"):
        msg = getattr(cfg.write, kind)
        if msg is None:
            continue
        out += _template(msg.path, f"write.{kind}.path")
        for text in _strings(msg.body):
            bad = [p for p in _PLACEHOLDER.findall(text) if p not in MESSAGE_PLACEHOLDERS]
            if bad:
                out.append(f"write.{kind}.body: unknown placeholder {{{bad[0]}}} (one of "
                           + ", ".join("{" + p + "}" for p in MESSAGE_PLACEHOLDERS) + ")")
                break
        if msg.idempotency_header and not _TOKEN.match(msg.idempotency_header):
            out.append(f"write.{kind}.idempotency_header is not a valid header name")
    return out


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
