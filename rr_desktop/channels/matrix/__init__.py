"""Channel `matrix`: escalations posted in Matrix chat rooms by market teams and partners.

What it relies on, from the Matrix client-server API specification (spec.matrix.org,
v1.x; checked against Synapse, the reference homeserver, in the integration tests):

- Sign-in: `Authorization: Bearer <access token>`; `GET /_matrix/client/v3/account/whoami`
  names the account. Or `POST /_matrix/client/v3/login` with `m.login.password` and a
  `device_id` (an existing device's old token is replaced), `POST .../logout`. 401
  `M_UNKNOWN_TOKEN` = the token is not (or no longer) valid; 403 on /login = wrong user or
  password. Errors are `{"errcode", "error"}`; 429 `M_LIMIT_EXCEEDED` carries
  `retry_after_ms` (newer servers also send Retry-After).
- Rooms: `GET /directory/room/{alias}` resolves an alias; `GET /joined_rooms`;
  `POST /join/{roomIdOrAlias}` (invited or public rooms); `GET /rooms/{id}/state/
  m.room.encryption/` answers 200 for an end-to-end encrypted room, 404 otherwise.
- Incremental: `GET /sync?since=<next_batch>&timeout=0&filter=<inline JSON>`; per joined
  room a `timeline` with `events`, `limited` and `prev_batch`. `limited: true` is a gap:
  the events between `prev_batch` and the previous `since` were left out and are read
  with `GET /rooms/{id}/messages?dir=b&from=<prev_batch>&to=<since>` (sync tokens are
  valid /messages tokens) page by page until `end` is absent. Tokens survive a homeserver
  restart. A 400 for a `since` the server no longer takes = full resync.
- Threads and relations (spec "Threading", "Event annotations", "Event replacements"):
  a thread reply has `m.relates_to: {rel_type: "m.thread", event_id: <root>}`;
  `GET /_matrix/client/v1/rooms/{id}/relations/{event}/m.thread` lists a root's replies,
  `.../m.annotation/m.reaction` its reactions; `GET /rooms/{id}/event/{event}` returns an
  event with the latest edit and a thread summary bundled in `unsigned.m.relations`.
- Sending: `PUT /rooms/{id}/send/m.room.message/{txnId}`; a repeat of the same transaction
  ID from the same device returns the first event instead of sending a second one.

The escalation queue (events.py, records.py): every message of its own in a watched room
(a thread root, or a plain message; a rich reply outside a thread is a message of its own
too) is an escalation; its thread replies are its facts; its latest edit is its text.
Severity: a message or thread reply starting with the severity command (`!sev S1 ...`) or
a reaction with a severity key (🔴 S0, 🟠 S1, 🟡 S2, 🟢 S3 by default, or the text S0..S3)
marks it; the latest mark wins. Triage is local (Matrix has no status or severity), so a
mark sets the severity the escalation arrives with; a mark made after it arrived is shown
as a fact and the analyst's severity stands.

How a pull works (stream.py, cursor.py): the cursor holds the `since` token, the thread
roots still to build and the history gaps still to read. A pull makes one /sync (or reads
one gap page), then builds up to PAGE_ROOTS touched roots, each read whole from the server
(root, replies, reactions): a replay, an overlap between a gap and a sync or a restart of
the homeserver in the middle never doubles or loses an escalation. The first sync reads
back `history_days` (server time). Messages deleted in Matrix after they arrived stay in
the cache as they were (a redaction carries no thread root to re-read).

Push matrix (what leaves the machine):
- reply: a thread reply (`m.thread`, with the rich-reply fallback for older clients) on
  the escalation's root, carrying the outbox op id; a replay after a lost answer finds it
  among the newest thread replies and does not send it twice. Refused for encrypted rooms
  (plain text is never sent into one) and for replies over ~60 KB. The reply comes back
  as a fact through /sync, with the pull that follows the push in the same run (no record
  is returned from the push: the engine would store it over the analyst's triage).
- note, fact: stay in the cache (a room is read by everyone in it, and there is nowhere
  private to put them); status, assignee, severity, urgency, tags: stay in the cache.
  `pushes` says so ({reply}): with no field pushed, the engine keeps the triage over
  every re-read (sync/engine.py keeps_local_triage).

Encrypted rooms are refused: RR Desktop holds no encryption keys. Test connection fails
naming them; a sync reports each one and each encrypted message in quarantine.

Why `requests` through the channel Transport and not a Matrix client library: the channel
needs a dozen plain client-server endpoints; matrix-nio (the maintained Python client) is
asyncio-only and would bring its own HTTP stack, outside the Transport that maps errors,
timeouts and redaction for every channel, and its main value, end-to-end encryption, is
what this channel refuses.
"""

from .client import MatrixChannel
from .config import MatrixConfig
from .spec import KIND, SPEC

__all__ = ["KIND", "SPEC", "MatrixChannel", "MatrixConfig"]
