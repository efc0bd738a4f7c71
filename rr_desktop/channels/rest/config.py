"""`RestConfig`: how one internal tool's plain JSON API maps onto escalations.

The config is a JSON file the user can share with the team: it names the auth *style*
(and a header name), never a secret; the secret itself goes to the system keyring through
the channel's secret field. `schema_version` lets a newer RR Desktop read older files and
lets an older one refuse a newer file with a clear sentence.

Every path below is a dotted path of `jsonpath.py` in a schema_version 1 file
(`data.items`, `labels[*].name`) and a JMESPath expression in a schema_version 2 file
(see expressions.py). The keys marked "(v2)" are new in schema_version 2: a version 1 file
that uses one is refused with a sentence saying so. resources/channels/README.md documents
the format with one example per feature.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Literal

import msgspec

from ..contract import ChannelError

SCHEMA_VERSION = 2  # the newest version this RR Desktop reads (and writes)
READABLE_VERSIONS = (1, 2)
MAX_FILE_BYTES = 256 * 1024


class _Section(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, frozen=True):
    """Base of every config section: unknown keys are errors (typos must not pass)."""


class Auth(_Section, frozen=True):
    """How requests authenticate; the secret (token, password or key) is in the keyring.

    `bearer`: `Authorization: Bearer <secret>`; `basic`: HTTP Basic with `username` (the
    channel's own username setting wins) and the secret as password; `header`: the secret
    in the header named `header`, after an optional `prefix` (e.g. "Token "); `none`."""

    style: Literal["none", "bearer", "basic", "header"] = "bearer"
    header: str = ""
    prefix: str = ""
    username: str = ""


class Incremental(_Section, frozen=True):
    """Ask only for what changed since the last pass, as query parameter `param`.

    By default the mark is a time: the newest `updated_at` the server reported minus
    `overlap_seconds`, written as `format`: iso | epoch_s | epoch_ms | a strftime pattern
    such as "%Y-%m-%d %H:%M" (always in UTC). Cursors that are not times (v2):
    `field` names a value in each record that grows with every change (a change number,
    a sequence, a sortable version string) and the highest one seen is sent as is;
    `token` names a value in the list answer (a sync or delta token the server hands
    out), and the last one seen in a pass is sent on the next pass."""

    param: str
    format: str = "iso"
    overlap_seconds: int = 120
    field: str = ""
    token: str = ""


class ListEndpoint(_Section, frozen=True):
    """The list endpoint: `path` under base_url, static query `params`, and `items`, the
    path of the array of records in the answer ("" when the answer is the array)."""

    path: str
    items: str = ""
    params: dict[str, str] = {}
    incremental: Incremental | None = None


class Pagination(_Section, frozen=True):
    """How to get the next page.

    page: `page_param`=first_page, first_page+1, ... ; offset: `offset_param`=0, n, 2n ...;
    cursor: `cursor_param`=<the value at `next_cursor` in the previous answer>;
    link: the RFC 8288 `Link: <...>; rel="next"` header; none: one request.
    next_link (v2): the URL (absolute, or relative to the request) at `next_link` in the
    answer, e.g. HAL's `_links.next.href`; ends when it is missing, null or "".
    page and offset end on an empty page, when `has_more` is false, when `total` is
    reached, or (with `short_page_ends`) on a page shorter than `page_size`.
    cursor ends when the next cursor is missing, null or "" (or `has_more` is false);
    link ends when there is no rel="next". A cursor answered with one of
    `expired_statuses` (and whose body contains `expired_contains`, when set) is expired:
    the channel resyncs from the start."""

    style: Literal["none", "page", "offset", "cursor", "link", "next_link"] = "none"
    page_size: int = 100
    size_param: str = ""
    page_param: str = "page"
    first_page: int = 1
    offset_param: str = "offset"
    cursor_param: str = "cursor"
    next_cursor: str = ""
    total: str = ""
    has_more: str = ""
    short_page_ends: bool = False
    expired_statuses: tuple[int, ...] = (410,)
    expired_contains: str = ""
    next_link: str = ""


class FactsMap(_Section, frozen=True):
    """Where the source's comments or timeline entries are: a list at `path`, each with a
    time at `at` and text at `text` (and optionally an author at `author`)."""

    path: str
    at: str
    text: str
    author: str = ""


class Fields(_Section, frozen=True):
    """JSON paths of each escalation field in a record. `id`, `title` and `updated_at` are
    required; `version` (an int that grows with every change, or a timestamp) defaults to
    `updated_at`. Empty = not in this tool (then `defaults` applies). `link` (v2) is a URL
    template for the record's page in the tool, e.g. "{base}/issue{id}" ({base}: the
    channel's base URL, {id}: the record's id), stored as its link instead of
    `content_url`."""

    id: str
    title: str
    updated_at: str
    version: str = ""
    created_at: str = ""
    body: str = ""
    body_format: Literal["text", "html"] = "text"
    reporter: str = ""
    reporter_type: str = ""
    category: str = ""
    market: str = ""
    language: str = ""
    severity: str = ""
    urgency: str = ""
    status: str = ""
    assignee: str = ""
    tags: str = ""
    deadline_at: str = ""
    views: str = ""
    shares: str = ""
    content_url: str = ""
    facts: FactsMap | None = None
    link: str = ""


class Follow(_Section, frozen=True):
    """(v2) A linked sub-resource fetched once per record, e.g. the text of an issue's
    first message. `source` is the path of the link in the record: a URL (absolute or
    under base_url), or an id put into the URL template `path` as {value} (encoded as
    one path segment; {id} is the record's id). `item` is the path of the wanted value in
    the answer. The value is added to the record under the name `as`, so `fields` can
    use it (`first_message.content`). Requests are paced to `per_second` and answers
    cached: per record version (`cache` "record": fetched again when the record changes)
    or for good (`cache` "url": the resource never changes, e.g. a posted message)."""

    name: str = msgspec.field(name="as")
    source: str = msgspec.field(name="from")
    path: str = ""
    item: str = ""
    cache: Literal["record", "url"] = "record"
    per_second: float = 5.0


class ItemEndpoint(_Section, frozen=True):
    """One record: `path` is a template such as "/items/{id}" with static query `params`;
    `item` is the path of the record in the answer ("" when the answer is the record).
    When the single-item answer has another shape than the list's records (v2), `fields`
    and `expand` describe that shape; fetching one record and write-back use them."""

    path: str
    item: str = ""
    params: dict[str, str] = {}
    fields: Fields | None = None
    expand: tuple[Follow, ...] = ()


class Values(_Section, frozen=True):
    """Remote value -> RR Desktop value, per enum field (e.g. severity {"P1": "S1"}).
    "*" maps any other value; a remote value that is neither mapped nor already an RR
    Desktop value (nor covered by "*") puts the record in quarantine."""

    severity: dict[str, str] = {}
    urgency: dict[str, str] = {}
    status: dict[str, str] = {}
    category: dict[str, str] = {}
    reporter_type: dict[str, str] = {}
    market: dict[str, str] = {}


class Defaults(_Section, frozen=True):
    """Values for fields the tool does not have (or leaves empty in a record)."""

    reporter: str = "unknown"
    reporter_type: str = "internal"
    category: str = "other"
    market: str = ""
    language: str = "und"
    severity: str = "S2"
    urgency: str = "U2"
    status: str = "new"


class UpdateWrite(_Section, frozen=True):
    """Field write-back: `method` to the URL template `path` with a JSON body made of the
    constant `body` plus, for each changed field, its remote value at `fields[field]` (a
    plain dotted path). The record is first read from the item endpoint and compared with
    what the analyst saw (read-compare-write); `conditional` then guards the write itself:
    "etag" sends that read's ETag as If-Match, "version" sends `version_etag` filled with
    the record's value at fields.version, "none" sends no If-Match.
    `returns_item`: the answer holds the updated record at `item` (else it is re-read)."""

    path: str
    fields: dict[str, str]
    method: Literal["PATCH", "PUT", "POST"] = "PATCH"
    body: dict[str, Any] = {}
    conditional: Literal["etag", "version", "none"] = "etag"
    version_etag: str = '"{version}"'
    returns_item: bool = True
    item: str = ""


class MessageWrite(_Section, frozen=True):
    """A note or reply: `method` to `path` with `body`, a JSON template whose strings may
    hold {text}, {author}, {op_id} and {id}; `idempotency_header` carries the op id."""

    path: str
    body: dict[str, Any]
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    idempotency_header: str = ""


class Write(_Section, frozen=True):
    """Optional write-back; what is absent is refused with a clear sentence."""

    update: UpdateWrite | None = None
    note: MessageWrite | None = None
    reply: MessageWrite | None = None


class AnalystsEndpoint(_Section, frozen=True):
    """Optional list of people escalations can be assigned to."""

    path: str
    id: str
    name: str
    items: str = ""
    email: str = ""


class RestConfig(_Section, frozen=True):
    """One internal tool's JSON API as a channel (see the module docstring)."""

    schema_version: int
    base_url: str
    listing: ListEndpoint = msgspec.field(name="list")
    fields: Fields
    kind: Literal["rest"] = "rest"
    label: str = ""
    auth: Auth = Auth()
    headers: dict[str, str] = {}
    pagination: Pagination = Pagination()
    item: ItemEndpoint | None = None
    values: Values = Values()
    defaults: Defaults = Defaults()
    write: Write = Write()
    analysts: AnalystsEndpoint | None = None
    expand: tuple[Follow, ...] = ()


class ConfigError(ChannelError):
    """A config file that cannot be used; `problems` are sentences, one per bad field."""

    def __init__(self, where: str, problems: list[str]) -> None:
        super().__init__(f"{where}: " + "; ".join(problems))
        self.problems = problems


def decode_config(data: bytes | str, where: str = "config") -> RestConfig:
    """Decode and validate; ConfigError lists every problem found."""
    from .config_checks import problems

    raw = data.encode() if isinstance(data, str) else data
    try:
        generic = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise ConfigError(where, [f"not valid JSON ({exc})"]) from None
    if not isinstance(generic, dict):
        raise ConfigError(where, ["the file must hold a JSON object"])
    version = generic.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and \
            version > SCHEMA_VERSION:
        raise ConfigError(where, [
            f"schema_version {version} is from a newer RR Desktop; this one reads "
            f"schema_version {' and '.join(map(str, READABLE_VERSIONS))}: update "
            "RR Desktop"])
    from .config_checks import secret_keys

    leaked = secret_keys(generic)
    if leaked:
        raise ConfigError(where, [f"{k}: secrets do not belong in a shared config file; "
                                  "choose auth.style and store the secret in the system "
                                  "keyring (the channel's secret setting)" for k in leaked])
    try:
        config = msgspec.convert(generic, RestConfig)
    except msgspec.ValidationError as exc:
        raise ConfigError(where, [_readable(str(exc))]) from None
    found = problems(config)
    if found:
        raise ConfigError(where, found)
    return config


def _readable(message: str) -> str:
    # msgspec says "Expected `int`, got `str` - at `$.pagination.page_size`".
    text, sep, at = message.rpartition(" - at `$")
    if not sep:
        return message
    return f"{at.rstrip('`').lstrip('.') or 'the file'}: {text}"


def encode_config(config: RestConfig) -> bytes:
    """Pretty JSON, defaults left out, ready to share."""
    return msgspec.json.format(msgspec.json.encode(config), indent=2) + b"\n"


def load_config(path: str | os.PathLike[str]) -> RestConfig:
    """Read a config file; ConfigError (a ChannelError) with a clear sentence otherwise."""
    p = Path(path).expanduser()
    where = f"config file {str(p)!r}"
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError(where, [f"{size} bytes is too big for a config file"])
        data = p.read_bytes()
    except FileNotFoundError:
        hint = "" if p.is_absolute() else " (give an absolute path)"
        raise ConfigError(where, ["not found" + hint]) from None
    except OSError as exc:
        raise ConfigError(where, [f"cannot be read ({exc.strerror or exc})"]) from None
    return decode_config(data, where)


def save_config(config: RestConfig, path: str | os.PathLike[str]) -> None:
    """Validate and write atomically (temp file + fsync + rename: the old file survives a
    failure). The file holds no secret, so it is world-readable like any shared file."""
    from .config_checks import problems

    found = problems(config)
    if found:
        raise ConfigError("config", found)
    p = Path(path).expanduser()
    data = encode_config(config)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
