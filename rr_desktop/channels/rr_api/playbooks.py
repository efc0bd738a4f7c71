"""Team playbooks on a team hub, as this channel speaks them (docs/playbooks.md, "Team
playbooks"; rr_desktop/hub/openapi.yaml, paths /v1/playbooks).

Pull: `GET /v1/playbooks` (with `If-None-Match: <the last listing's ETag>`) ->
`{"playbooks": [{name, version, updated_by, updated_at, text}]}`, or 304 when nothing
changed. 404 (the reference service, or a hub older than the route) means the server
keeps no team playbooks: None, quietly. A listing that is not that shape is a
`MalformedPage`; an entry without a name and a text is set aside with a sentence, the
others kept.

Push (a lead's edit): `PUT /v1/playbooks/<name>` with `{"text"}` and `If-Match:
"<version>"` (none to create); 200/201 the stored file; 412 `TeamPlaybookChanged` with the
hub's file now; 400/404/413/422 `Rejected` with the hub's sentence (403, an analyst's
write, is turned into `Rejected` by the client's hook). `DELETE` the same way.
"""

from __future__ import annotations

from typing import Any

import requests

from ...domain import Quarantined
from ...playbooks.team import name_problem
from ..contract import MalformedPage, Rejected, ServerError, TeamPlaybookChanged, TeamPlaybookSet
from ..transport import Transport, path_segment
from .incidents import service_message
from .records import as_text
from .seq_pages import DECODE_ERRORS, decode, is_seq

PLAYBOOKS_PATH = "/v1/playbooks"
_REFUSALS = (400, 404, 412, 413, 422)


def _path(name: str) -> str:
    """`overlays/JP.yaml` as /v1/playbooks/overlays/JP.yaml, each part one segment."""
    return PLAYBOOKS_PATH + "/" + "/".join(path_segment(p) for p in name.split("/"))


def entry_problem(raw: object) -> str | None:
    """None if `raw` is a team file as the hub lists one, else why not."""
    if not isinstance(raw, dict):
        return "it is not a JSON object"
    for key in ("name", "text", "updated_by", "updated_at"):
        if not isinstance(raw.get(key), str):
            return f"its {key} is missing or not text"
    if not is_seq(raw.get("version")) or raw["version"] < 1:
        return "its version is missing"
    return None


def pull_playbooks(http: Transport, known_tag: str | None = None) -> TeamPlaybookSet | None:
    """The hub's team files (see the module docstring); None without the route."""
    headers = {"If-None-Match": f'"{known_tag}"'} if known_tag else {}
    resp = http.call("GET", PLAYBOOKS_PATH, ok=(404, 304), headers=headers)
    if resp.status_code == 404:
        return None
    tag = resp.headers.get("ETag", "").strip().strip('"') or None
    if resp.status_code == 304:
        return TeamPlaybookSet((), tag or known_tag, unchanged=True)

    def malformed(why: str) -> MalformedPage:
        return MalformedPage(f"{http.name}: the hub sent a malformed list of team "
                             f"playbooks ({why})", Quarantined.of(
                                 None, f"malformed team playbook list: {why}",
                                 as_text(resp.content)))

    try:
        data = decode(resp.content)
    except DECODE_ERRORS as exc:
        raise malformed(f"not JSON: {exc}") from exc
    raws = data.get("playbooks") if isinstance(data, dict) else None
    if not isinstance(raws, list):
        raise malformed("playbooks is not a list")
    files: list[dict[str, Any]] = []
    set_aside: list[str] = []
    unread: list[str] = []
    for i, raw in enumerate(raws):
        why = entry_problem(raw)
        if why is None:
            files.append(dict(raw))
            continue
        name = raw.get("name") if isinstance(raw, dict) else None
        if isinstance(name, str):
            unread.append(name)
        shown = repr(name[:120]) if isinstance(name, str) else f"number {i + 1}"
        set_aside.append(f"the team playbook {shown} is left out: {why}")
    return TeamPlaybookSet(tuple(files), tag, malformed=tuple(set_aside),
                           unread=tuple(unread))


def put_playbook(http: Transport, name: str, text: str, if_match: int | None
                 ) -> dict[str, Any]:
    """Store the team file `name` on the hub; the stored file."""
    _check_name(http, name)
    headers = {} if if_match is None else {"If-Match": f'"{if_match}"'}
    resp = http.call("PUT", _path(name), write=True, ok=_REFUSALS, json={"text": text},
                     headers=headers)
    _refused(http, resp, name)
    try:
        stored = decode(resp.content)
    except DECODE_ERRORS as exc:
        raise ServerError(f"{http.name}: the hub's answer to a playbook edit is not JSON "
                          f"({exc}); it may have been stored") from exc
    why = entry_problem(stored)
    if why is None and stored["name"] != name:
        why = "it is another file"
    if why is not None:
        raise ServerError(f"{http.name}: the hub's answer to a playbook edit is not the "
                          f"stored file ({why}); it may have been stored")
    return dict(stored)


def delete_playbook(http: Transport, name: str, if_match: int | None = None) -> None:
    """Remove the team file `name` from the hub."""
    _check_name(http, name)
    headers = {} if if_match is None else {"If-Match": f'"{if_match}"'}
    resp = http.call("DELETE", _path(name), write=True, ok=_REFUSALS, headers=headers)
    _refused(http, resp, name)


def _check_name(http: Transport, name: str) -> None:
    why = name_problem(name)
    if why is not None:
        raise Rejected(f"{http.name}: {why}")


def _refused(http: Transport, resp: requests.Response, name: str) -> None:
    if resp.status_code == 412:
        try:
            data = decode(resp.content)
        except DECODE_ERRORS:
            data = None
        current = data.get("current") if isinstance(data, dict) else None
        if current is not None and entry_problem(current) is not None:
            current = None
        raise TeamPlaybookChanged(f"{http.name}: {service_message(resp)}",
                                  dict(current) if isinstance(current, dict) else None)
    if resp.status_code in _REFUSALS:
        if resp.status_code == 404 and b'"not_found"' not in resp.content[:200]:
            raise Rejected(f"{http.name}: the server keeps no team playbooks (404 for "
                           f"{PLAYBOOKS_PATH}): it is not a team hub, or an older one")
        raise Rejected(f"{http.name}: the hub refused the playbook {name[:120]}: "
                       f"{service_message(resp)}")
