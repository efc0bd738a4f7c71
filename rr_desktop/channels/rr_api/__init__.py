"""Channel `rr_api`: the platform's escalation service (rr_desktop/demo/openapi.yaml).

Pull: the changes feed `GET /v1/escalations?cursor=&limit=` (server-sequence cursor,
`has_more`). Push: `PATCH` with `If-Match` for field edits, with a decline's reason and a
duplicate's canonical (412 = conflict with the current record); `POST .../notes|replies|
facts` with `Idempotency-Key` = the op id (a fact returns the record, a new version).
Incidents: the shared event log `POST/GET /v1/incident-events` (incidents.py).
Post-mortems: `PUT /v1/postmortems/{uid}` with `If-Match`, `GET /v1/postmortems?after=`
(postmortems.py).
"""

from .client import RrApiChannel
from .records import decode_page, to_record, validate
from .spec import KIND, SPEC

__all__ = ["KIND", "SPEC", "RrApiChannel", "decode_page", "to_record", "validate"]
