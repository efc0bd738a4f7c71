"""The only module that touches the OS keyring. Secrets never go anywhere else.

With no usable keyring backend the user gets a clear message (NoKeyring); there is no
plaintext fallback.
"""

from __future__ import annotations

import keyring
import keyring.errors

SERVICE = "rr-desktop"


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


def _key(channel: str, name: str) -> str:
    return f"channel:{channel}:{name}"


def _guard() -> None:
    backend = keyring.get_keyring()
    # keyring's fail backend (and the null one) mean "nowhere safe to put it".
    if type(backend).__module__.startswith(("keyring.backends.fail",
                                              "keyring.backends.null")):
        raise NoKeyring()


def set_secret(channel: str, name: str, value: str) -> None:
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
    _guard()
    try:
        keyring.delete_password(SERVICE, _key(channel, name))
    except keyring.errors.PasswordDeleteError:
        pass
    except keyring.errors.KeyringLocked as exc:
        raise KeyringLocked() from exc
    except keyring.errors.NoKeyringError as exc:
        raise NoKeyring() from exc
