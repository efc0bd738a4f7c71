"""Preferences: defaults, bad files and values reported, atomic 0600 writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from rr_desktop.settings import SETTINGS_NAME, UNREADABLE_SUFFIX, load_settings, save_setting


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    s = load_settings(tmp_path)
    # Nobody is chosen until the analyst says who they are: never the OS login.
    assert s.problems == () and s.get("keymap") == {} and s.me == ""


def test_broken_file_is_reported_and_defaults_used(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_NAME).write_text("{not json", encoding="utf-8")
    s = load_settings(tmp_path)
    assert len(s.problems) == 1 and "could not be read" in s.problems[0]
    assert s.get("queues")


def test_bad_values_are_reported_one_by_one(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_NAME).write_text(json.dumps(
        {"me": "a.tan", "keymap": ["wrong"], "colour": "blue"}), encoding="utf-8")
    s = load_settings(tmp_path)
    assert s.me == "a.tan" and s.get("keymap") == {}
    assert any("keymap" in p for p in s.problems) and any("colour" in p for p in s.problems)


def test_save_is_private_and_keeps_other_values(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        save_setting(tmp_path, "me", "k.lee")
        save_setting(tmp_path, "keymap", {"resolve": ["Shift+E"]})
    finally:
        os.umask(old)
    path = tmp_path / SETTINGS_NAME
    assert path.stat().st_mode & 0o777 == 0o600
    s = load_settings(tmp_path)
    assert s.me == "k.lee" and s.get("keymap") == {"resolve": ["Shift+E"]}


def test_values_of_the_wrong_shape_are_refused_one_by_one(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_NAME).write_text(json.dumps({
        "keymap": {"resolve": None, "accept": 5}, "queues": ["apac-tier1", 7],
        "decline_reasons": "Spam", "me": "a.tan"}), encoding="utf-8")
    s = load_settings(tmp_path)
    assert s.me == "a.tan"
    assert s.get("keymap") == {} and "apac-tier2" in s.get("queues")
    assert isinstance(s.get("decline_reasons"), list)
    assert len(s.problems) == 3
    assert any("list of keys" in p for p in s.problems)
    assert any("'queues' should be a list of names" in p for p in s.problems)


def test_unreadable_file_is_kept_when_a_setting_is_saved(tmp_path: Path) -> None:
    path = tmp_path / SETTINGS_NAME
    path.write_bytes(b'\xef\xbb\xbf{"me": "k.lee", "queues": ["x", ')  # cut off mid-write
    s = load_settings(tmp_path)
    assert s.problems and "could not be read" in s.problems[0] and "stays" in s.problems[0]
    save_setting(tmp_path, "me", "a.tan")
    kept = tmp_path / (SETTINGS_NAME + UNREADABLE_SUFFIX)
    assert kept.read_bytes().startswith(b'\xef\xbb\xbf{"me": "k.lee"')  # nothing lost
    assert load_settings(tmp_path).me == "a.tan" and load_settings(tmp_path).problems == ()


def test_a_bom_and_deep_nesting_do_not_stop_the_app(tmp_path: Path) -> None:
    path = tmp_path / SETTINGS_NAME
    path.write_bytes(b'\xef\xbb\xbf{"me": "a.tan"}')
    assert load_settings(tmp_path).me == "a.tan"
    path.write_text('{"me": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    s = load_settings(tmp_path)
    assert s.problems and s.get("queues")


def test_a_time_zone_setting_is_checked(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_NAME).write_text('{"timezone": "Asia/Jakarta"}', encoding="utf-8")
    assert str(load_settings(tmp_path).zone) == "Asia/Jakarta"
    (tmp_path / SETTINGS_NAME).write_text('{"timezone": "Mars/Olympus"}', encoding="utf-8")
    settings = load_settings(tmp_path)
    assert settings.zone is None  # the computer's zone
    assert "is not a time zone" in settings.problems[0]
