"""Batched read-model writes: load a batch's rows once, change them in memory, write them back in one statement.

A projection applying N events this way costs a handful of statements per batch instead of several per event.
On PostgreSQL the rows travel through psycopg2 directly (COPY, `= ANY(%s)`), on the transaction's own
connection: SQLAlchemy's per-row parameter handling cost more than the database's work on a rebuild. The
tables' own column types still convert each value (UTCDateTime refuses naive datetimes and stores UTC).
"""
from __future__ import annotations

import io
from operator import itemgetter
from typing import Any, Iterable

from sqlalchemy import Table, bindparam, func, insert, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

CHUNK = 5000  # values per IN (...) list: well inside SQLite's and PostgreSQL's parameter limits
VALUES_ROWS = 200  # PostgreSQL: up to this many rows go in one INSERT … VALUES, more by COPY


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def probe_by_index(conn: Connection, keys: int) -> None:
    """Before reading rows by `keys` keys: for the rest of this transaction, plan as if pages were cached
    (PostgreSQL, when the keys are many; nothing otherwise).

    A rebuild's batch reads a few thousand rows by key out of hundreds of thousands; with the default
    random_page_cost (4, spinning disks) PostgreSQL scans whole tables for that, and a rebuild ran 3x slower at a
    million events. A live batch's few keys are probed by index anyway: the statement would be a round trip for
    nothing.
    """
    if conn.dialect.name == "postgresql" and keys > VALUES_ROWS:
        conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")


def among(conn: Connection, source: Any, column: Any, values: list[Any]) -> tuple[Any, Any]:
    """(from clause, condition) keeping the rows of `source` whose `column` is one of `values`.

    On PostgreSQL a join with unnest(:array): one parameter for any count, planned as index probes (a long
    `IN (…)`/`= ANY` list is planned as a scan of the whole table); elsewhere `IN (…)`.
    """
    if conn.dialect.name != "postgresql":
        return source, column.in_(values)
    from sqlalchemy.dialects.postgresql import ARRAY

    wanted = (func.unnest(bindparam(None, list(values), type_=ARRAY(column.type)))
              .table_valued("value").render_derived(name="wanted"))
    return wanted.join(source, column == wanted.c.value), true()


def upsert(conn: Connection, table: Table, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT (primary key) DO UPDATE every other column: batched statements on both stores."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _pg_insert(conn, table, rows, upsert=True)
        return
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    keys = [c.name for c in table.primary_key.columns]
    statement = sqlite_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys})
    # RETURNING makes SQLAlchemy batch the rows into multi-row VALUES ("insertmanyvalues")
    conn.execute(statement.returning(*table.primary_key.columns), rows).close()


def insert_rows(conn: Connection, table: Table, rows: list[dict]) -> None:
    """One batched INSERT for many rows; nothing for none."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _pg_insert(conn, table, rows, upsert=False)
    else:
        conn.execute(insert(table), rows)


def select_rows(conn: Connection, table: Table, column: str, values: list[Any]) -> list[dict]:
    """Every row whose `column` is one of `values`, as dicts of Python values."""
    if conn.dialect.name != "postgresql":
        return [dict(r) for r in conn.execute(select(table).where(table.c[column].in_(values))).mappings()]
    q = conn.dialect.identifier_preparer.quote
    names = [c.name for c in table.columns]
    converters = [(i, c.type.process_result_value) for i, c in enumerate(table.columns)
                  if isinstance(c.type, TypeDecorator)]
    with _cursor(conn) as cursor:
        cursor.execute(f"SELECT {', '.join(q(n) for n in names)} FROM {q(table.name)} WHERE {q(column)} = ANY(%s)",
                       (list(values),))
        fetched = cursor.fetchall()
    rows = []
    for values_ in fetched:
        row = list(values_)
        for i, convert in converters:
            row[i] = convert(row[i], conn.dialect)
        rows.append(dict(zip(names, row)))
    return rows


def _pg_insert(conn: Connection, table: Table, rows: list[dict], *, upsert: bool) -> None:
    """Up to VALUES_ROWS rows (a live batch): one multi-row INSERT (… ON CONFLICT DO UPDATE for an upsert).
    More (a rebuild): COPY them in; an upsert copies into a temporary twin table and merges from there.

    For the few rows of a live batch, COPY through a twin table cost five statements and, at every commit, the
    truncation of the twin's file (seen waiting on DataFileTruncate in pg_stat_activity under the command bench)."""
    q = conn.dialect.identifier_preparer.quote
    names = [c.name for c in table.columns]
    columns = ", ".join(q(n) for n in names)
    keys = [c.name for c in table.primary_key.columns]
    on_conflict = (f" ON CONFLICT ({', '.join(q(k) for k in keys)}) DO UPDATE SET "
                   + ", ".join(f"{q(n)} = EXCLUDED.{q(n)}" for n in names if n not in keys))
    with _cursor(conn) as cursor:
        if len(rows) <= VALUES_ROWS:  # one format string for psycopg2 to fill in C (execute_values fills row by row)
            placeholders = "(" + ", ".join(["%s"] * len(names)) + ")"
            cursor.execute(f"INSERT INTO {q(table.name)} ({columns}) VALUES {', '.join([placeholders] * len(rows))}"
                           + (on_conflict if upsert else ""),
                           [value for row in _bound_values(conn, table, rows) for value in row])
            return
        if not upsert:
            _copy(cursor, q(table.name), columns, _copy_text(conn, table, rows))
            return
        twin = q(f"upsert_{table.name}")
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {twin} (LIKE {q(table.name)}) ON COMMIT DELETE ROWS")
        _copy(cursor, twin, columns, _copy_text(conn, table, rows))
        cursor.execute(f"INSERT INTO {q(table.name)} ({columns}) SELECT {columns} FROM {twin}{on_conflict}")
        cursor.execute(f"DELETE FROM {twin}")  # another upsert of the table may follow in this transaction


def _bound_values(conn: Connection, table: Table, rows: list[dict]) -> list[list[Any]]:
    """Each row's values in column order, as the columns' own types bind them (UTCDateTime stores UTC)."""
    names = [c.name for c in table.columns]
    converters = [(i, c.type.process_bind_param) for i, c in enumerate(table.columns)
                  if isinstance(c.type, TypeDecorator)]
    values = []
    for row in rows:
        value = [row[n] for n in names]
        for i, convert in converters:
            value[i] = convert(value[i], conn.dialect)
        values.append(value)
    return values


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(conn: Connection, table: Table, rows: list[dict]) -> io.StringIO:
    """The rows in COPY's text format: tab-separated, NULL as \\N, backslash escapes."""
    lines = []
    for value in _bound_values(conn, table, rows):
        lines.append("\t".join([  # inline, not a call per field: this loop is most of a rebuild's Python time
            "\\N" if v is None
            else (v if "\\" not in v and v.isprintable() else v.translate(_ESCAPES)) if v.__class__ is str
            else ("t" if v else "f") if v.__class__ is bool else str(v) for v in value]))
    return io.StringIO("\n".join(lines) + "\n")


def _copy(cursor: Any, target: str, columns: str, data: io.StringIO) -> None:
    cursor.copy_expert(f"COPY {target} ({columns}) FROM STDIN", data)


class _cursor:
    """A DB-API cursor on the connection's own transaction, closed afterwards."""

    def __init__(self, conn: Connection) -> None:
        self.cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def __enter__(self) -> Any:
        return self.cursor

    def __exit__(self, *exc: Any) -> None:
        self.cursor.close()


class RowSet:
    """Rows of one table keyed by primary key, grouped by its first key column (a task's departments, say)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.key_names = tuple(c.name for c in table.primary_key.columns)
        get = itemgetter(*self.key_names)  # a tuple for several names, the value itself for one
        self._key = get if len(self.key_names) > 1 else lambda row: (get(row),)  # type: ignore[method-assign]
        self.rows: dict[tuple, dict] = {}
        self.groups: dict[Any, dict[tuple, dict]] = {}
        self.dirty: set[tuple] = set()
        self.loaded: set[tuple] = set()  # keys the database holds

    def load(self, conn: Connection, values: Iterable[Any]) -> None:
        """Read the rows whose first key column is one of `values` (those not loaded yet)."""
        wanted = [v for v in set(values) if v not in self.groups]
        for value in wanted:
            self.groups[value] = {}
        for chunk in chunks(sorted(wanted)):
            for row in select_rows(conn, self.table, self.key_names[0], chunk):
                self.loaded.add(self._keep(row))

    def get(self, *key: Any) -> dict | None:
        return self.rows.get(key)

    def group(self, first: Any) -> list[dict]:
        """Every row whose first key column is `first`."""
        return list(self.groups.get(first, {}).values())

    def put(self, row: dict) -> dict:
        """Add (or replace) a whole row; it is written back."""
        key = self._keep(row)
        self.dirty.add(key)
        return row

    def change(self, row: dict, **values: Any) -> None:
        row.update(values)
        self.dirty.add(self._key(row))

    def flush(self, conn: Connection) -> None:
        """Write back what changed: new rows with one insert, loaded rows with one upsert (in key order, the same
        lock order every time). A new row's group was loaded and lacked it, so the insert cannot collide.
        On PostgreSQL a live batch's few rows go in one upsert: one statement where two would be."""
        changed = sorted(self.dirty)
        if conn.dialect.name == "postgresql" and len(changed) <= VALUES_ROWS:
            upsert(conn, self.table, [self.rows[key] for key in changed])
        else:
            insert_rows(conn, self.table, [self.rows[key] for key in changed if key not in self.loaded])
            upsert(conn, self.table, [self.rows[key] for key in changed if key in self.loaded])
        self.loaded.update(self.dirty)
        self.dirty.clear()

    def _keep(self, row: dict) -> tuple:
        key = self._key(row)
        self.rows[key] = row
        self.groups.setdefault(key[0], {})[key] = row
        return key
