"""This installation's desktop id: made once, kept in the cache (`store_meta`
`desktop.id`), sent to the team hub with every request so its audit says which desktop
made a change (docs/hub.md, "Push to desktops").

It reads `<host name>-<8 random hex digits>`: the host name tells an admin which machine
it is, the random part keeps two installations on one host (or a copied cache made
anew) apart. Only the characters the hub accepts in the header are kept.
"""

from __future__ import annotations

import re
import secrets
import socket
import sqlite3

from .store import Store

KEY = "desktop.id"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
HOST_CHARS = 40


def new_desktop_id(host: str | None = None) -> str:
    host = _UNSAFE.sub("-", (host if host is not None else socket.gethostname())).strip("-.")
    suffix = secrets.token_hex(4)
    return f"{host[:HOST_CHARS]}-{suffix}" if host else f"desktop-{suffix}"


def desktop_id(store: Store) -> str | None:
    """The id, made and saved on first use; None when the cache cannot say (opened
    read-only before one was made, or unreadable): requests then go without it."""
    try:
        with store.read() as db:
            row = db.execute("SELECT value FROM store_meta WHERE key = ?", (KEY,)).fetchone()
        if row is not None:
            return str(row[0])
        if store.read_only:
            return None
        with store.write() as db:
            db.execute("INSERT INTO store_meta (key, value) VALUES (?, ?) "
                       "ON CONFLICT (key) DO NOTHING", (KEY, new_desktop_id()))
            row = db.execute("SELECT value FROM store_meta WHERE key = ?", (KEY,)).fetchone()
        return str(row[0])
    except sqlite3.Error:
        return None
