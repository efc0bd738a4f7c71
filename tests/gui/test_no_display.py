"""`rr-desktop` where no window can open: one sentence naming what is missing and pointing
at `rr-desktop sync`, exit 1, never Qt's abort ("xcb-cursor0 is needed ...", SIGABRT);
and where a display works, the check lets the window open."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rr_desktop.gui import display
from tests.peers.availability import require_binary

ROOT = Path(__file__).resolve().parents[2]
QT_ABORT = ("qt.qpa", "xcb-cursor0", "Could not load the Qt platform plugin",
            "no Qt platform plugin could be initialized", "Aborted", "Traceback")


def _gui(data: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rr_desktop", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=env,
                          check=False)


def _env(**overrides: str) -> dict[str, str]:
    """This environment without any display or platform choice, plus `overrides`."""
    drop = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE",
            "QT_QPA_PLATFORM_PLUGIN_PATH", "QT_PLUGIN_PATH", "RR_DESKTOP_DATA_DIR")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, **overrides}


def _one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    for text in QT_ABORT:
        assert text not in result.stderr, result.stderr
    line = result.stderr.strip()
    assert line.startswith("rr-desktop: error: the window cannot open: ")
    assert line.endswith("for headless use, run `rr-desktop sync`")
    return line


def _free_display() -> int:
    """An X display number no server holds (no socket file, no lock, no abstract socket)."""
    held = Path("/proc/net/unix").read_text(encoding="utf-8") if Path("/proc/net/unix").exists() \
        else ""
    while True:
        n = 5000 + secrets.randbelow(20000)
        if not (Path(f"/tmp/.X11-unix/X{n}").exists() or Path(f"/tmp/.X{n}-lock").exists()
                or f"@/tmp/.X11-unix/X{n}\n" in held):
            return n


def test_no_display_is_one_sentence_before_anything_starts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    line = _one_sentence(_gui(data, _env()))
    assert "there is no display (DISPLAY and WAYLAND_DISPLAY are not set)" in line
    assert not data.exists()  # asked before the cache or the demo service started


def test_a_display_nobody_serves_is_one_sentence(tmp_path: Path) -> None:
    n = _free_display()
    line = _one_sentence(_gui(tmp_path / "data", _env(DISPLAY=f":{n}")))
    assert f"no X server accepts connections on DISPLAY=:{n}" in line


def test_a_wayland_display_nobody_serves_is_one_sentence(tmp_path: Path) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = _env(WAYLAND_DISPLAY="wayland-9", XDG_RUNTIME_DIR=str(runtime))
    line = _one_sentence(_gui(tmp_path / "data", env))
    assert "no Wayland compositor listens at WAYLAND_DISPLAY=wayland-9" in line
    assert "there is no display (DISPLAY is not set)" in line


@pytest.fixture
def qt_without_libxcb_cursor(tmp_path: Path) -> Iterator[Path]:
    """A PySide6 whose X11 plugin needs a library this machine does not have: a copy of
    the real plugin whose libxcb-cursor.so.0 dependency is renamed to a missing one (the
    dynamic loader then fails exactly as on a machine without libxcb-cursor0), in a
    PySide6 folder that shadows the installed one for a child process. The child stops at
    the display check, before it would import Qt."""
    import PySide6

    real = Path(PySide6.__file__).parent / "Qt"
    shadow = tmp_path / "shadow" / "PySide6"
    platforms = shadow / "Qt" / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (shadow / "__init__.py").write_text("", encoding="utf-8")
    (shadow / "Qt" / "lib").symlink_to(real / "lib")  # the plugin's RUNPATH: $ORIGIN/../../lib
    plugin = (real / "plugins" / "platforms" / "libqxcb.so").read_bytes()
    assert plugin.count(b"libxcb-cursor.so.0\0") == 1
    (platforms / "libqxcb.so").write_bytes(
        plugin.replace(b"libxcb-cursor.so.0\0", b"libxcb-cursoq.so.0\0"))
    yield shadow.parent


def test_missing_x11_libraries_are_named_with_their_package(
        tmp_path: Path, qt_without_libxcb_cursor: Path) -> None:
    pythonpath = os.pathsep.join([str(qt_without_libxcb_cursor), str(ROOT)])
    line = _one_sentence(_gui(tmp_path / "data", _env(PYTHONPATH=pythonpath)))
    assert "there is no display (DISPLAY and WAYLAND_DISPLAY are not set), and " in line
    assert ("Qt's X11 plugin needs libxcb-cursoq.so.0, which is not installed "
            "(Debian/Ubuntu: apt install libxcb-cursoq0)") in line
    n = _free_display()
    line = _one_sentence(_gui(tmp_path / "data", _env(PYTHONPATH=pythonpath,
                                                      DISPLAY=f":{n}")))
    assert "Qt's X11 plugin needs libxcb-cursoq.so.0" in line
    assert "no X server" not in line  # the libraries first: without them nothing connects


@pytest.mark.parametrize("platform", ["offscreen", "minimal", "vnc", "xcb;offscreen"])
def test_headless_platforms_are_left_to_qt(platform: str) -> None:
    assert display.display_problem(_env(QT_QPA_PLATFORM=platform)) is None


def test_requested_platforms_follow_qt() -> None:
    assert display.requested_platforms({}) == ["xcb"]
    assert display.requested_platforms({"WAYLAND_DISPLAY": "wayland-0"}) == ["wayland", "xcb"]
    assert display.requested_platforms({"XDG_SESSION_TYPE": "wayland"}) == ["wayland", "xcb"]
    assert display.requested_platforms({"QT_QPA_PLATFORM": "xcb:nomitshm; wayland"}) == [
        "xcb", "wayland"]


@pytest.mark.parametrize(("soname", "package"), [
    ("libxcb-cursor.so.0", "libxcb-cursor0"), ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"), ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libGL.so.1", "libgl1"), ("libglib-2.0.so.0", "libglib2.0-0"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"), ("libwayland-client.so.0",
                                                         "libwayland-client0"),
])
def test_debian_package_names(soname: str, package: str) -> None:
    assert display.debian_package(soname) == package


@pytest.fixture
def xvfb(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real X server on a display it picks itself (-displayfd: ready when it writes the
    number), accepting only clients with its cookie; yields (DISPLAY, XAUTHORITY)."""
    binary = require_binary("Xvfb")
    xauth = require_binary("xauth")
    auth = tmp_path / "Xauthority"
    auth.touch(mode=0o600)
    cookie = secrets.token_hex(16)
    server_auth = tmp_path / "server-auth"
    server_auth.touch(mode=0o600)
    read, write = os.pipe()
    proc = subprocess.Popen([binary, "-displayfd", str(write), "-auth", str(server_auth),
                             "-nolisten", "tcp", "-screen", "0", "1280x800x24"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as ready:
            number = ready.readline().strip()
        assert number.isdigit(), "Xvfb did not start"
        for file in (server_auth, auth):
            subprocess.run([xauth, "-f", str(file), "add", f":{number}", ".", cookie],
                           check=True, capture_output=True, timeout=30)
        yield f":{number}", auth
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.slow
def test_a_live_x_server_lets_the_window_open(xvfb: tuple[str, Path], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """No false alarm: with a real X server the check passes and the real app shows rows
    on it (the smoke mode of the bundle, here from the checkout)."""
    number, auth = xvfb
    env = _env(DISPLAY=number, XAUTHORITY=str(auth))
    for name in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE",
                 "QT_QPA_PLATFORM_PLUGIN_PATH", "QT_PLUGIN_PATH"):
        monkeypatch.delenv(name, raising=False)
    for name in ("DISPLAY", "XAUTHORITY"):  # libxcb reads them from the process
        monkeypatch.setenv(name, env[name])
    assert display.display_problem() is None
    result = _gui(tmp_path / "data", {**env, "RR_DESKTOP_SMOKE": "1"})
    assert "SMOKE OK rows=" in result.stdout, result.stdout + result.stderr[-3000:]
    assert result.returncode == 0


@pytest.mark.slow
def test_an_x_server_that_refuses_this_user_is_one_sentence(xvfb: tuple[str, Path],
                                                           tmp_path: Path) -> None:
    number, _auth = xvfb
    wrong = tmp_path / "wrong-cookie"
    wrong.touch(mode=0o600)
    env = _env(DISPLAY=number, XAUTHORITY=str(wrong))
    line = _one_sentence(_gui(tmp_path / "data", env))
    assert f"no X server accepts connections on DISPLAY={number} (none runs there, or this " \
           "user may not connect to it)" in line
