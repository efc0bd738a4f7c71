"""Channel `feed`: a news or crisis-monitoring RSS / Atom feed as a source of escalations.

Documented behaviour this encodes:

- Conditional GET (feedparser docs, "ETag and Last-Modified Headers"; RFC 9110 13.1.2 /
  13.1.3): the ETag and Last-Modified of the last full response live in the JSON cursor and
  go back as If-None-Match / If-Modified-Since; a 304 means "not changed since", so the page
  is empty and done and the cursor stays as it was. Fetching goes through `Transport`, never
  through feedparser (its docs warn that a string argument may trigger network or file
  access; it gets a BytesIO of bytes vetted by safexml.py, with Content-Location as the base
  for relative links, resolved as text only).
- HTTP: 401/403 -> AuthError (feeds behind a login are not supported), 410 Gone -> Rejected
  (feedparser docs: a feed marked gone should not be polled again), 404 -> wrong URL,
  429/5xx/unreachable via Transport.
- Hostile or unusable documents (DTD, entities, external references, XInclude, not
  well-formed, over MAX_BYTES) raise FeedRefused: the run fails with that sentence and the
  raw text is quarantined. Identity, versions and plain text: records.py. Rules: rules.py.
- A document with more than `page_size` escalations is served in several pages from memory
  (re-fetched unconditionally if the process restarted in between).
- Push: a feed has no write API. Triage edits ("update") and internal notes stay local and
  are acknowledged without network (PushResult(None)), so they never sit in the outbox as
  errors; a public "reply" is Rejected: there is nobody to send it to.

Sources: feedparser docs https://pythonhosted.org/feedparser/http-etag.html (ETag /
Last-Modified, 304 carries no feed data) and http-redirect.html (410 gone); feedparser 6
`parse()` docstring (wrap untrusted data in BytesIO; Content-Location as base URI);
RFC 9110 section 13.1.2 (If-None-Match -> 304 for GET) and 13.1.3 (If-Modified-Since is
ignored when If-None-Match is present); RSS 2.0 spec, <guid> (a string the publisher
chooses, isPermaLink); RFC 4287 4.2.6 (atom:id) and 4.2.15 (atom:updated); RFC 7303
section 3.2 (XML charset precedence); defusedxml README (https://github.com/tiran/defusedxml:
billion laughs, quadratic blowup, external entity, DTD retrieval; forbid_dtd /
forbid_entities / forbid_external).
"""

from .client import FeedChannel
from .records import parse_document, process_document
from .rules import FeedRules
from .safexml import FeedRefused
from .spec import KIND, SPEC

__all__ = ["KIND", "SPEC", "FeedChannel", "FeedRefused", "FeedRules", "parse_document",
           "process_document"]
