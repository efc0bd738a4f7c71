"""User preferences, declared once with type, default and description (STYLE habit 9).

Stored as `settings.json` in the data dir (0600). Window state (geometry, splitter
sizes, current view) is not a preference and lives in Qt's QSettings instead. A missing
file means defaults; a broken file or a bad value is reported in one sentence per problem
and the default is used for that value: the app always starts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SETTINGS_NAME = "settings.json"


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
    SettingSpec("sla", "SLA targets per severity: {\"S0\": {\"acknowledge\": \"15m\", "
                "\"contain\": \"1h\", \"resolve\": \"4h\"}, ..., \"at_risk_percent\": 25}", {}),
    SettingSpec("queues", "Queues escalations can be moved to", [
        "apac-tier1", "apac-tier2", "legal-review", "policy-review", "law-enforcement"]),
    SettingSpec("decline_reasons", "Preset decline reasons", [
        "No policy violation", "Insufficient information", "Out of scope for Rapid Response",
        "Already actioned", "Spam or test report"]),
)
_BY_KEY = {s.key: s for s in SPECS}


@dataclass(frozen=True, slots=True)
class Settings:
    """The effective preferences plus the problems found while reading them."""

    values: Mapping[str, Any]
    problems: tuple[str, ...] = field(default=())

    def get(self, key: str) -> Any:
        return self.values[key]

    @property
    def me(self) -> str:
        """The analyst's id, or "" until they chose it (never the OS login: it would be
        pushed to sources as an assignee and an author)."""
        return str(self.values["me"]).strip()


def load_settings(data_dir: Path) -> Settings:
    values = {s.key: s.default for s in SPECS}
    path = data_dir / SETTINGS_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings(values)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Settings(values, (f"{path} could not be read ({exc}); using defaults",))
    if not isinstance(raw, dict):
        return Settings(values, (f"{path} is not a JSON object; using defaults",))
    problems = []
    for key, value in raw.items():
        spec = _BY_KEY.get(key)
        if spec is None:
            problems.append(f"unknown setting {key!r} in {path.name} (ignored)")
        elif not isinstance(value, type(spec.default)):
            problems.append(f"setting {key!r} should be a {type(spec.default).__name__}; "
                            "using the default")
        else:
            values[key] = value
    return Settings(values, tuple(problems))


def save_setting(data_dir: Path, key: str, value: Any) -> None:
    """Write one preference (atomically, 0600), keeping the others as they are."""
    if key not in _BY_KEY:
        raise KeyError(f"unknown setting {key!r}")
    path = data_dir / SETTINGS_NAME
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(current, dict):
            current = {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        current = {}
    current[key] = value
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(current, fh, indent=2, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
