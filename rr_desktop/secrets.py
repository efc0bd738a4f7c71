"""The only module that touches credentials: the OS keyring, or on a server a secrets
file. Secrets never go anywhere else.

With no usable keyring backend the user gets a clear message (NoKeyring); there is no
plaintext fallback on a desktop. A server without a Secret Service (the team hub's intake,
docs/hub.md) may instead name a secrets file at startup (`use_file`, or the environment
variable RR_SECRETS_FILE for `rr-desktop channels ...` on that server): TOML or JSON,
`channel -> secret name -> value`, accepted only when it is a regular file owned by this
user with mode 0600 or 0400. It is read, never written: storing a secret there is refused
with a sentence saying to write it into the file, unless the file holds that value already.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import keyring
import keyring.errors

SERVICE = "rr-desktop"
ENV_FILE = "RR_SECRETS_FILE"


class SecretStoreError(Exception):
    """Base class; str() is a sentence for the user."""


class NoKeyring(SecretStoreError):
    def __init__(self) -> None:
        super().__init__(
            "No system keyring is available to store channel credentials (RR Desktop never "
            "stores them in plain text). Install and unlock a Secret Service keyring such as "
            "gnome-keyring or KWallet, or set PYTHON_KEYRING_BACKEND.")


class KeyringLocked(SecretStoreError):
    def __init__(self) -> None:
        super().__init__("The system keyring is locked. Unlock it and try again.")


class SecretsFile:
    """A read-only secrets file (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.values = _read_file(path)

    def get(self, channel: str, name: str) -> str | None:
        return self.values.get(channel, {}).get(name)


_file: SecretsFile | None = None


def use_file(path: str | Path | None) -> None:
    """Read credentials from this secrets file from now on (None: the keyring again).
    SecretStoreError (one sentence) when the file cannot be used."""
    global _file
    _file = None if path is None else SecretsFile(Path(path))


def where() -> str:
    """Where credentials are kept, for a message: the keyring, or the secrets file."""
    source = _from_env()
    return "the keyring" if source is None else f"the secrets file {source.path}"


def _from_env() -> SecretsFile | None:
    global _file
    if _file is None and os.environ.get(ENV_FILE):
        _file = SecretsFile(Path(os.environ[ENV_FILE]))
    return _file


def _read_file(path: Path) -> dict[str, dict[str, str]]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise SecretStoreError(f"The secrets file {path} cannot be opened: "
                               f"{exc.strerror or exc}.") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise SecretStoreError(f"The secrets file {path} is not a regular file.")
        if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) not in (0o600, 0o400):
            raise SecretStoreError(
                f"The secrets file {path} must be owned by this user and readable only by "
                f"them (chmod 600), not mode {stat.S_IMODE(info.st_mode):o} of uid "
                f"{info.st_uid}; it was not read.")
        raw = handle.read(1024 * 1024 + 1)
    if len(raw) > 1024 * 1024:
        raise SecretStoreError(f"The secrets file {path} is over 1 MB; it was not read.")
    try:
        text = raw.decode("utf-8")
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:  # TOMLDecodeError is a ValueError
        raise SecretStoreError(f"The secrets file {path} is neither valid TOML nor JSON "
                               f"({type(exc).__name__}).") from None
    if not isinstance(data, dict) or not all(
            isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
            for v in data.values()):
        raise SecretStoreError(f"The secrets file {path} must map each channel to its "
                               "secrets as text, e.g. [platform] token = \"...\".")
    return {str(c): {str(k): v for k, v in names.items()} for c, names in data.items()}


def _key(channel: str, name: str) -> str:
    return f"channel:{channel}:{name}"


def _guard() -> None:
    backend = keyring.get_keyring()
    # keyring's fail backend (and the null one) mean "nowhere safe to put it".
    if type(backend).__module__.startswith(("keyring.backends.fail",
                                              "keyring.backends.null")):
        raise NoKeyring()


def set_secret(channel: str, name: str, value: str) -> None:
    source = _from_env()
    if source is not None:
        if source.get(channel, name) != value:
            raise SecretStoreError(
                f"Credentials come from the secrets file {source.path}, which RR Desktop "
                f"never writes: add {name} under [{channel}] there first.")
        return
    _guard()
    try:
        keyring.set_password(SERVICE, _key(channel, name), value)
    except keyring.errors.KeyringLocked as exc:
        raise KeyringLocked() from exc
    except keyring.errors.NoKeyringError as exc:
        raise NoKeyring() from exc
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError(f"The system keyring refused to store the secret: {exc}") from exc


def get_secret(channel: str, name: str) -> str | None:
    source = _from_env()
    if source is not None:
        return source.get(channel, name)
    _guard()
    try:
        return keyring.get_password(SERVICE, _key(channel, name))
    except keyring.errors.KeyringLocked as exc:
        raise KeyringLocked() from exc
    except keyring.errors.NoKeyringError as exc:
        raise NoKeyring() from exc
    except keyring.errors.KeyringError as exc:
        raise SecretStoreError(f"The system keyring could not be read: {exc}") from exc


def delete_secret(channel: str, name: str) -> None:
    if _from_env() is not None:
        return  # never written; the admin removes it from the file
    _guard()
    try:
        keyring.delete_password(SERVICE, _key(channel, name))
    except keyring.errors.PasswordDeleteError:
        pass
    except keyring.errors.KeyringLocked as exc:
        raise KeyringLocked() from exc
    except keyring.errors.NoKeyringError as exc:
        raise NoKeyring() from exc
