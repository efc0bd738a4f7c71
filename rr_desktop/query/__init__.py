"""The SQL console's core: a read-only connection to the cache with pleasant views, its
walls against writes, and the query history (docs/sql-console.md). No Qt here."""

from .guard import Refused
from .history import QueryHistory
from .session import PAGE_ROWS, QueryError, QueryResult, QuerySession, SchemaItem
from .views import VIEW_NAMES, VIEWS

__all__ = ["PAGE_ROWS", "VIEWS", "VIEW_NAMES", "QueryError", "QueryHistory", "QueryResult",
           "QuerySession", "Refused", "SchemaItem"]
