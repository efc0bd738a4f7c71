"""The SQL console's read-only walls (docs/sql-console.md, "Read-only").

Three walls, each enough on its own for what it covers:

1. the statement's leading keyword: a write verb (INSERT, UPDATE, DELETE, REPLACE, ATTACH,
   DETACH, CREATE, DROP, ALTER, VACUUM, REINDEX, ANALYZE, transactions) is refused before
   SQLite sees it;
2. the SQLite authorizer (`set_authorizer`): while a statement is prepared, every action
   that is not a read (SELECT, reading a column, calling a function, a recursive CTE, a
   read-only PRAGMA) is denied, whatever the SQL looks like (`WITH x AS (...) INSERT ...`);
3. the connection itself: opened `mode=ro` (store/connections.py read_only_connection)
   with `PRAGMA query_only` on, so SQLite refuses to change the file.

Every refusal becomes one sentence ("The console is read-only: INSERT is not allowed."),
never a traceback.
"""

from __future__ import annotations

import re
import sqlite3

# PRAGMAs that only read. The first group reads without an argument; the second takes an
# argument that names what to read (a table, an index), never a value to set.
READ_PRAGMAS = frozenset({
    "application_id", "collation_list", "compile_options", "data_version", "database_list",
    "encoding", "freelist_count", "function_list", "journal_mode", "module_list",
    "page_count", "page_size", "pragma_list", "query_only", "schema_version",
    "user_version", "foreign_keys", "busy_timeout",
})
ARGUMENT_PRAGMAS = frozenset({
    "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
    "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check",
})
_ALLOWED_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ,
                              sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE})
_VERBS = {
    sqlite3.SQLITE_INSERT: "INSERT", sqlite3.SQLITE_UPDATE: "UPDATE",
    sqlite3.SQLITE_DELETE: "DELETE", sqlite3.SQLITE_ATTACH: "ATTACH",
    sqlite3.SQLITE_DETACH: "DETACH", sqlite3.SQLITE_ALTER_TABLE: "ALTER TABLE",
    sqlite3.SQLITE_REINDEX: "REINDEX", sqlite3.SQLITE_ANALYZE: "ANALYZE",
    sqlite3.SQLITE_SAVEPOINT: "SAVEPOINT", sqlite3.SQLITE_CREATE_VTABLE: "CREATE",
    sqlite3.SQLITE_DROP_VTABLE: "DROP",
}
for _name in dir(sqlite3):
    if _name.startswith(("SQLITE_CREATE_", "SQLITE_DROP_")) and _name[7:] != "CREATE_VTABLE":
        _code = getattr(sqlite3, _name)
        _VERBS.setdefault(_code, _name[7:].replace("_TEMP_", " TEMP ").replace("_", " "))
WRITE_VERBS = frozenset({
    "INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "ATTACH", "DETACH", "CREATE", "DROP",
    "ALTER", "VACUUM", "REINDEX", "ANALYZE", "BEGIN", "COMMIT", "END", "ROLLBACK",
    "SAVEPOINT", "RELEASE",
})
_LEADING_NOISE = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?(?:\*/|$)|\()*", re.DOTALL)
_WORD = re.compile(r"[A-Za-z_]+")


class Refused(Exception):
    """A statement the console does not run; `str()` is the sentence to show."""


def leading_keyword(sql: str) -> str:
    """The statement's first keyword, upper-cased, after comments and brackets ("" if
    none)."""
    start = _LEADING_NOISE.match(sql)
    m = _WORD.match(sql, start.end() if start else 0)
    return m.group(0).upper() if m else ""


def read_only_sentence(what: str) -> str:
    return f"The console is read-only: {what} is not allowed."


def check_statement(sql: str) -> None:
    """Wall 1: refuse a write verb before SQLite sees it (Refused)."""
    verb = leading_keyword(sql)
    if verb in WRITE_VERBS:
        raise Refused(read_only_sentence(verb_phrase(sql, verb)))
    if verb == "PRAGMA":
        m = re.match(r"\s*PRAGMA\s+(?:\w+\s*\.\s*)?(\w+)\s*(=|\()?", sql[_skip(sql):],
                     re.IGNORECASE)
        if m is not None:
            name, sign = m.group(1).lower(), m.group(2)
            if sign == "=" or (sign == "(" and name not in ARGUMENT_PRAGMAS):
                raise Refused(read_only_sentence(f"setting PRAGMA {name}"))
            if sign is None and name not in READ_PRAGMAS | ARGUMENT_PRAGMAS:
                raise Refused(read_only_sentence(f"PRAGMA {name}"))


def _skip(sql: str) -> int:
    m = _LEADING_NOISE.match(sql)
    return m.end() if m else 0


def verb_phrase(sql: str, verb: str) -> str:
    """"CREATE TABLE", "DROP VIEW", "CREATE TEMP VIEW"; the verb alone otherwise."""
    if verb not in ("CREATE", "DROP"):
        return verb
    words = [w.upper() for w in _WORD.findall(sql[_skip(sql):], )[:4]]
    kinds = {"TABLE", "VIEW", "INDEX", "TRIGGER", "VIRTUAL"}
    phrase = [verb]
    for w in words[1:]:
        if w in ("TEMP", "TEMPORARY", "UNIQUE"):
            phrase.append("TEMP" if w.startswith("TEMP") else w)
            continue
        if w in kinds:
            phrase.append("VIRTUAL TABLE" if w == "VIRTUAL" else w)
        break
    return " ".join(phrase)


class Authorizer:
    """Wall 2: the callback for `Connection.set_authorizer`. It denies every action that
    is not a read and remembers the first denial, so the caller can say what it was."""

    def __init__(self) -> None:
        self._denied: str | None = None
        self._schema_write: str | None = None

    @property
    def denied(self) -> str | None:
        """What was refused ("INSERT", "setting PRAGMA user_version"), or None."""
        return self._denied or self._schema_write

    @property
    def schema_only(self) -> bool:
        """Only a write to the schema table was refused: SQLite asks about it before
        the statement's own action (CREATE TEMP TABLE), so `denied` says INSERT."""
        return self._denied is None and self._schema_write is not None

    def reset(self) -> None:
        self._denied = self._schema_write = None

    def __call__(self, action: int, arg1: str | None, arg2: str | None, _db: str | None,
                 _trigger: str | None) -> int:
        if action in _ALLOWED_ACTIONS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            if (arg2 is None and name in READ_PRAGMAS | ARGUMENT_PRAGMAS) or (
                    arg2 is not None and name in ARGUMENT_PRAGMAS):
                return sqlite3.SQLITE_OK
            return self._deny(f"setting PRAGMA {name}" if arg2 is not None
                              else f"PRAGMA {name}")
        if action == sqlite3.SQLITE_UPDATE and arg1 in ("sqlite_master", "sqlite_temp_master"):
            # SQLite asks this while it connects a virtual table for reading (the FTS
            # index, `SELECT * FROM pragma_table_info('t')`). Nothing can change the schema
            # table here anyway: writable_schema is off and cannot be turned on (PRAGMA
            # assignments are denied), and the connection is query_only.
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_TRANSACTION:
            return self._deny((arg1 or "BEGIN").upper())
        what = _VERBS.get(action, "changing the cache")
        if arg1 in ("sqlite_master", "sqlite_temp_master"):
            if self._schema_write is None:
                self._schema_write = what
            return sqlite3.SQLITE_DENY
        return self._deny(what)

    def _deny(self, what: str) -> int:
        if self._denied is None:
            self._denied = what
        return sqlite3.SQLITE_DENY
