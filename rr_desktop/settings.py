"""User preferences, declared once with type, default and description (STYLE habit 9).

Stored as `settings.json` in the data dir (0600). Window state (geometry, splitter
sizes, current view) is not a preference and lives in Qt's QSettings instead. A missing
file means defaults; a broken file or a bad value is reported in one sentence per problem
and the default is used for that value: the app always starts. Nothing the user wrote is
lost: saving a preference over a file that cannot be read first keeps that file as
`settings.json.unreadable` (a bad value in a readable file is simply kept as it is).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SETTINGS_NAME = "settings.json"
UNREADABLE_SUFFIX = ".unreadable"


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """One preference: its key, what it is for and its default."""

    key: str
    description: str
    default: Any


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("me", "Your analyst id (chosen from the roster at first start): 'assign to "
                "me', the Mine view, the author of your notes and replies", ""),
    SettingSpec("keymap", "Key overrides: {command name: [keys]}; [] unbinds", {}),
    SettingSpec("timezone", "The zone times are shown in (IANA name such as "
                "\"Asia/Singapore\"); empty: the computer's zone. UTC and the market's "
                "time show on hover and in the detail pane", ""),
    SettingSpec("sla", "SLA targets per severity: {\"S0\": {\"acknowledge\": \"15m\", "
                "\"contain\": \"1h\", \"resolve\": \"4h\"}, ..., \"at_risk_percent\": 25}", {}),
    SettingSpec("queues", "Queues escalations can be moved to", [
        "apac-tier1", "apac-tier2", "legal-review", "policy-review", "law-enforcement"]),
    SettingSpec("decline_reasons", "Preset decline reasons", [
        "No policy violation", "Insufficient information", "Out of scope for Rapid Response",
        "Already actioned", "Spam or test report"]),
)
_BY_KEY = {s.key: s for s in SPECS}


def _shape_problem(key: str, value: Any) -> str | None:
    """What is wrong inside a value of the right top-level type, or None."""
    if key in ("queues", "decline_reasons") and not all(
            isinstance(v, str) and v.strip() for v in value):
        return f"setting {key!r} should be a list of names"
    if key == "keymap" and not all(
            isinstance(keys, list) and all(isinstance(k, str) for k in keys)
            for keys in value.values()):
        return ("setting 'keymap' should map each command to a list of keys, "
                'e.g. {"resolve": ["Shift+E"]}')
    if key == "timezone" and value.strip():
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            return (f"setting 'timezone' {value[:40]!r} is not a time zone such as "
                    '"Asia/Singapore"')
    return None


@dataclass(frozen=True, slots=True)
class Settings:
    """The effective preferences plus the problems found while reading them."""

    values: Mapping[str, Any]
    problems: tuple[str, ...] = field(default=())

    def get(self, key: str) -> Any:
        return self.values[key]

    @property
    def zone(self) -> ZoneInfo | None:
        """The zone times are shown in; None: the computer's own."""
        name = str(self.values["timezone"]).strip()
        return ZoneInfo(name) if name else None

    @property
    def me(self) -> str:
        """The analyst's id, or "" until they chose it (never the OS login: it would be
        pushed to sources as an assignee and an author)."""
        return str(self.values["me"]).strip()


def load_settings(data_dir: Path) -> Settings:
    values = {s.key: s.default for s in SPECS}
    path = data_dir / SETTINGS_NAME
    raw = _read(path)
    if isinstance(raw, str):
        return Settings(values, (raw,) if raw else ())
    problems = []
    for key, value in raw.items():
        spec = _BY_KEY.get(key)
        if spec is None:
            problems.append(f"unknown setting {key!r} in {path.name} (ignored)")
        elif not isinstance(value, type(spec.default)):
            problems.append(f"setting {key!r} should be a {type(spec.default).__name__}; "
                            "using the default")
        elif (problem := _shape_problem(key, value)) is not None:
            problems.append(f"{problem}; using the default")
        else:
            values[key] = value
    return Settings(values, tuple(problems))


def _read(path: Path) -> dict[str, Any] | str:
    """The file's object, or the sentence saying why not ("" when there is no file)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return (f"{path} could not be read ({reason[:200]}); using the defaults, and the "
                "file stays as it is")
    if not isinstance(raw, dict):
        return f"{path} is not a JSON object; using the defaults"
    return raw


def save_setting(data_dir: Path, key: str, value: Any) -> None:
    """Write one preference (atomically, 0600), keeping the others as they are."""
    if key not in _BY_KEY:
        raise KeyError(f"unknown setting {key!r}")
    path = data_dir / SETTINGS_NAME
    current = _read(path)
    if isinstance(current, str):
        if current:  # unreadable: keep what the user wrote before starting afresh
            os.replace(path, path.with_name(SETTINGS_NAME + UNREADABLE_SUFFIX))
        current = {}
    current[key] = value
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(current, fh, indent=2, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
