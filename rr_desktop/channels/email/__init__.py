"""The shared-mailbox channel (kind "email"): IMAP to read and file, SMTP to reply.

See client.py for pull and the cursor, writes.py for writes, records.py for how triage is
kept in IMAP keywords, threads.py for grouping by Message-ID, mime.py for bodies and
attachments. Importing this package registers the kind.
"""

from .client import EmailChannel
from .config import EmailConfig
from .cursor import decode_cursor, encode_cursor
from .spec import KIND, SPEC

__all__ = ["KIND", "SPEC", "EmailChannel", "EmailConfig", "decode_cursor", "encode_cursor"]
