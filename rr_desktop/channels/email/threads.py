"""Threads: which message belongs to which escalation.

An escalation is one conversation, keyed by its root Message-ID. RFC 5322 §3.6.4 builds
`References` as the parent's References followed by the parent's Message-ID, so its first
id is the thread's root; a message with only `In-Reply-To` (one id) is treated as if its
References were that id, and is attached through its parent when the parent is known.
Because the key is the Message-ID and not an IMAP UID, the same thread keeps its identity
across a UIDVALIDITY change, a MOVE between folders and a full resync.

The index maps UIDs to Message-IDs per folder and UIDVALIDITY. It lives in memory for the
life of the channel client (it is a cache of the server, rebuilt on demand) and holds
only ids, never content.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_HOPS = 32


@dataclass(frozen=True, slots=True)
class Link:
    """One message as the thread index knows it."""

    folder: str
    uid: int
    message_id: str
    parents: tuple[str, ...]


@dataclass(slots=True)
class FolderIndex:
    """The links of one folder under one UIDVALIDITY."""

    uidvalidity: int
    links: dict[int, Link] = field(default_factory=dict)
    max_uid: int = 0
    unreadable: dict[int, str] = field(default_factory=dict)  # UID -> why the server
    # cannot deliver it (asked for again only after a UIDVALIDITY change)


class ThreadIndex:
    """UID -> Message-ID -> thread root, for the folders the channel reads."""

    def __init__(self) -> None:
        self.folders: dict[str, FolderIndex] = {}
        self._by_id: dict[str, list[Link]] = {}
        self._roots: dict[tuple[str, int], str] | None = None
        self._members: dict[str, list[Link]] = {}

    def folder(self, name: str) -> FolderIndex | None:
        return self.folders.get(name)

    def reset(self, name: str, uidvalidity: int) -> FolderIndex:
        """Forget a folder (new UIDVALIDITY: its UIDs mean nothing any more)."""
        old = self.folders.pop(name, None)
        if old is not None:
            for link in old.links.values():
                self._unlink(link)
        index = self.folders[name] = FolderIndex(uidvalidity)
        self._roots = None
        return index

    def add(self, link: Link) -> None:
        index = self.folders[link.folder]
        previous = index.links.get(link.uid)
        if previous is not None:
            self._unlink(previous)
        index.links[link.uid] = link
        index.max_uid = max(index.max_uid, link.uid)
        self._by_id.setdefault(link.message_id, []).append(link)
        self._roots = None

    def mark_unreadable(self, folder: str, found: dict[int, str]) -> None:
        """Messages the server cannot deliver: not part of any thread, and not asked for
        again under this UIDVALIDITY."""
        index = self.folders[folder]
        for uid, reason in found.items():
            link = index.links.pop(uid, None)
            if link is not None:
                self._unlink(link)
                self._roots = None
            index.unreadable[uid] = reason

    def discard(self, folder: str, uids: list[int]) -> None:
        """Drop UIDs the server no longer has (expunged or moved away)."""
        index = self.folders.get(folder)
        if index is None:
            return
        for uid in uids:
            index.unreadable.pop(uid, None)
            link = index.links.pop(uid, None)
            if link is not None:
                self._unlink(link)
                self._roots = None

    def _unlink(self, link: Link) -> None:
        same = self._by_id.get(link.message_id, [])
        if link in same:
            same.remove(link)
        if not same:
            self._by_id.pop(link.message_id, None)

    def get(self, folder: str, uid: int) -> Link | None:
        index = self.folders.get(folder)
        return index.links.get(uid) if index else None

    def root_of(self, link: Link) -> str:
        self._ensure_roots()
        assert self._roots is not None
        return self._roots.get((link.folder, link.uid)) or self._root(link)

    def members(self, root: str) -> list[Link]:
        """Every known message of the thread rooted at `root` (any folder)."""
        self._ensure_roots()
        return list(self._members.get(root, ()))

    def _ensure_roots(self) -> None:
        if self._roots is not None:
            return
        roots: dict[tuple[str, int], str] = {}
        members: dict[str, list[Link]] = {}
        for index in self.folders.values():
            for link in index.links.values():
                root = self._root(link)
                roots[(link.folder, link.uid)] = root
                members.setdefault(root, []).append(link)
        self._roots, self._members = roots, members

    def _root(self, link: Link) -> str:
        current, parents = link.message_id, link.parents
        path = [current]
        for _ in range(MAX_HOPS):
            if not parents:
                return current
            first = parents[0]
            if first in path:  # a reference loop: every member gets the same root
                return min(path[path.index(first):])
            known = self._by_id.get(first)
            if not known:
                return first
            path.append(first)
            current, parents = first, known[0].parents
        return current
