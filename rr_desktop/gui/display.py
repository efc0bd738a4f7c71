"""Can the window open? Asked before Qt is started, so that a machine without a display,
or without the libraries Qt's display plugins need, gets one sentence and a pointer to
`rr-desktop sync` instead of Qt's abort (docs/packaging.md, "No display").

Qt picks its platform plugin from QT_QPA_PLATFORM, else Wayland (when WAYLAND_DISPLAY or
XDG_SESSION_TYPE=wayland says a session runs) then X11 (xcb), and aborts the process
when none starts, with a message that blames libxcb-cursor0 whatever the cause. This
module asks the same questions Qt's plugins would: is the plugin's shared library
loadable (every library it needs is installed), and does the display it would open
answer. It imports no Qt, so asking costs a few milliseconds and the answer comes before
anything else starts.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("rr_desktop.gui")

# Plugins that need no display server: Qt starts them anywhere.
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl", "vnc", "eglfs",
                                "linuxfb", "vkkhrdisplay"})
# Platforms this module knows how to check; any other name is left to Qt.
CHECKED_PLATFORMS = ("wayland", "xcb")
HEADLESS_HINT = "for headless use, run `rr-desktop sync`"
_PLUGIN_LABEL = {"xcb": "Qt's X11 plugin", "wayland": "Qt's Wayland plugin"}
# Debian package names that do not follow the soname rule (libfoo.so.1 -> libfoo1).
_PACKAGE_EXCEPTIONS = {"libglib-2.0": "libglib2.0-0", "libgthread-2.0": "libglib2.0-0",
                       "libgobject-2.0": "libglib2.0-0"}
_NOT_LOADABLE = re.compile(r"([\w.+-]+\.so[.\d]*): cannot open shared object file")


def display_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """None when Qt can open a window (or this cannot tell), else one sentence saying why
    not, for `rr-desktop: error: ...`. `environ` (default: the process's) gives the
    platform and display variables; libxcb reads XAUTHORITY from the process itself."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None  # Windows and macOS always have their display plugin and a screen
    platforms = requested_platforms(env)
    if any(p in HEADLESS_PLATFORMS or p not in CHECKED_PLATFORMS for p in platforms):
        return None
    try:
        reasons = []
        for platform in platforms:
            reason = _wayland_problem(env) if platform == "wayland" else _xcb_problem(env)
            if reason is None:
                return None
            reasons.append(reason)
    except Exception:  # a check that fails must never keep the window shut
        log.debug("display check failed; leaving it to Qt", exc_info=True)
        return None
    return f"the window cannot open: {', and '.join(reasons)}; {HEADLESS_HINT}"


def requested_platforms(env: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt will try, in order (QT_QPA_PLATFORM is a ';' list whose
    entries may carry ':options')."""
    requested = env.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        return [p.split(":", 1)[0].strip() for p in requested.split(";") if p.strip()]
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        return ["wayland", "xcb"]
    return ["xcb"]


def _xcb_problem(env: Mapping[str, str]) -> str | None:
    display = env.get("DISPLAY", "")
    missing = plugin_missing_libraries("xcb", env)
    reasons = []
    if not display:
        unset = "DISPLAY is" if env.get("WAYLAND_DISPLAY") else "DISPLAY and WAYLAND_DISPLAY are"
        reasons.append(f"there is no display ({unset} not set)")
    if missing:
        reasons.append(_lacks("xcb", missing))
    if reasons:
        return ", and ".join(reasons)
    if not x_server_answers(display):
        return (f"no X server accepts connections on DISPLAY={display} (none runs there, "
                "or this user may not connect to it)")
    return None


def _wayland_problem(env: Mapping[str, str]) -> str | None:
    name = env.get("WAYLAND_DISPLAY") or "wayland-0"
    missing = plugin_missing_libraries("wayland", env)
    if missing:
        return _lacks("wayland", missing)
    runtime = env.get("XDG_RUNTIME_DIR", "")
    path = Path(name) if os.path.isabs(name) else Path(runtime) / name
    if not (runtime or os.path.isabs(name)) or not _unix_socket_answers(path):
        return f"no Wayland compositor listens at WAYLAND_DISPLAY={name}"
    return None


def _lacks(platform: str, missing: list[str]) -> str:
    packages = " ".join(dict.fromkeys(debian_package(m) for m in missing))
    return (f"{_PLUGIN_LABEL[platform]} needs {', '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed "
            f"(Debian/Ubuntu: apt install {packages})")


def plugin_files(platform: str, env: Mapping[str, str]) -> list[Path]:
    """The files of a platform plugin Qt may load, in its order: from
    QT_QPA_PLATFORM_PLUGIN_PATH, each QT_PLUGIN_PATH's platforms/, then PySide6's own (in
    a wheel or the bundle). Qt tries the next when one does not load."""
    folders = [Path(p) for p in env.get("QT_QPA_PLATFORM_PLUGIN_PATH", "").split(os.pathsep) if p]
    folders += [Path(p) / "platforms" for p in env.get("QT_PLUGIN_PATH", "").split(os.pathsep)
                if p]
    spec = importlib.util.find_spec("PySide6")
    for location in (spec.submodule_search_locations or []) if spec else []:
        folders.append(Path(location) / "Qt" / "plugins" / "platforms")
    files = (folder / f"libq{platform}.so" for folder in folders)
    return list(dict.fromkeys(f for f in files if f.is_file()))


def plugin_missing_libraries(platform: str, env: Mapping[str, str]) -> list[str]:
    """The shared libraries missing for the platform plugin: empty when one of its files
    loads (or there is none to ask about: Qt then says so itself)."""
    missing: list[str] = []
    for plugin in plugin_files(platform, env):
        try:
            # What Qt does next anyway (the libraries stay loaded for it), with lazy
            # binding as Qt's plugin loader: a missing library fails either way.
            ctypes.CDLL(str(plugin), mode=os.RTLD_LAZY | os.RTLD_LOCAL)
        except OSError as exc:
            lacking = _ldd_not_found(plugin) or _NOT_LOADABLE.findall(str(exc)) or [str(exc)]
            log.info("display check: %s does not load, it needs %s", plugin, lacking)
            missing += lacking
        else:
            log.info("display check: %s loads", plugin)
            return []
    return list(dict.fromkeys(missing))


def _ldd_not_found(library: Path) -> list[str]:
    """Every library `ldd` cannot find for `library` (ctypes names only the first)."""
    import shutil  # only when a library is missing: start-up pays for none of these
    import subprocess

    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        out = subprocess.run([ldd, str(library)], capture_output=True, text=True,
                             timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = (line.split("=>")[0].strip() for line in out.splitlines() if "not found" in line)
    return list(dict.fromkeys(found))


def debian_package(soname: str) -> str:
    """The Debian package that ships a library: libxcb-cursor.so.0 -> libxcb-cursor0,
    libxkbcommon-x11.so.0 -> libxkbcommon-x11-0 (Debian's naming rule)."""
    name, _, version = soname.partition(".so")
    version = version.lstrip(".").split(".")[0]
    if name in _PACKAGE_EXCEPTIONS:
        return _PACKAGE_EXCEPTIONS[name]
    base = name.lower()
    return f"{base}{'-' if base[-1:].isdigit() and version else ''}{version}"


def x_server_answers(display: str) -> bool:
    """Whether an X server accepts a connection on `display`, asked through libxcb as
    Qt's plugin asks (a refused authorization counts as no answer)."""
    xcb = ctypes.CDLL("libxcb.so.1")
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    with _stderr_silenced():  # a refusal is printed by the X libraries; we say it once
        connection = xcb.xcb_connect(display.encode(), None)
    try:
        return bool(connection) and xcb.xcb_connection_has_error(connection) == 0
    finally:
        if connection:
            xcb.xcb_disconnect(connection)


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _unix_socket_answers(path: Path) -> bool:
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2.0)
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True
