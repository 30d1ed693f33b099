"""Prepared statements: SQLAlchemy's compiler and types, the driver's cursor.

The single advance runs five statements per case; `Connection.execute` spends more time on
each (its execution context, events, result wrapping) than SQLite spends running it. A
`Prepared` statement keeps what matters of SQLAlchemy — the SQL its compiler writes for the
dialect, the conversions its types make both ways, its exception classes — and skips the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


class Prepared:
    """A Core statement compiled once per dialect (and set of given columns) and executed on
    the DBAPI cursor of the caller's transaction.

    SQLAlchemy still writes the SQL, and its types still convert every value both ways (the
    same bind and result processors `Connection.execute` applies; DBAPI errors are wrapped in
    the same `sqlalchemy.exc` classes). What is skipped is the per-execution context — on
    SQLite about a sixth of a single advance (benchmarks/, scenario b). A statement whose
    columns need Python-side defaults is refused at compile time: give every column. Being past
    SQLAlchemy's execution, these statements do not reach its cursor events or `echo` logging.
    """

    def __init__(self, statement: Any):
        self.statement = statement
        self._compiled: dict[tuple, _Compiled] = {}

    def _compile(self, dialect: sa.Dialect, keys: tuple[str, ...] | None, many: bool
                 ) -> _Compiled:
        # The SQL may differ by server version (RETURNING needs SQLite 3.35, say).
        key = (dialect.name, dialect.server_version_info, keys, many)
        found = self._compiled.get(key)
        if found is None:
            # for_executemany: no implicit RETURNING of the primary key (PostgreSQL)
            compiled = self.statement.compile(dialect=dialect, column_keys=keys,
                                              for_executemany=many)
            if (compiled.insert_prefetch or compiled.update_prefetch
                    or compiled.literal_execute_params or compiled.post_compile_params):
                raise ValueError("a Prepared statement takes every column and no expanding "
                                 f"parameter: {compiled}")
            binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                     for name, bind in compiled.binds.items()}
            columns = (self.statement.selected_columns if self.statement.is_select
                       else compiled.effective_returning or ())
            results = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                       for column in columns]
            names = compiled.positiontup or list(compiled.binds)
            found = self._compiled[key] = _Compiled(
                bool(self.statement.is_select or compiled.effective_returning),
                compiled.string, compiled.positiontup is not None, names,
                # the values the statement carries itself (`status == 'pending'`)
                {name: compiled.binds[name].effective_value for name in names
                 if not compiled.binds[name].required},
                {name: f for name, f in binds.items() if f is not None},
                [(i, f) for i, f in enumerate(results) if f is not None])
        return found

    def _parameters(self, plan: _Compiled, values: Mapping[str, Any]) -> Any:
        try:
            params = {name: values[name] if name in values else plan.fixed[name]
                      for name in plan.names}
        except KeyError as missing:
            raise ValueError(f"no value for {missing} in {plan.sql}") from None
        try:
            for name, process in plan.binds.items():
                params[name] = process(params[name])
        except (TypeError, ValueError) as error:  # as Core reports a value its type refuses
            raise sa.exc.StatementError(str(error), plan.sql, values, error) from error
        return tuple(params.values()) if plan.positional else params

    def run(self, conn: sa.Connection, values: Mapping[str, Any] | Sequence[Mapping[str, Any]]
            ) -> tuple[list[tuple], int]:
        """Execute with `values` (a list: executemany); (rows, rowcount)."""
        if not conn.in_transaction():  # the cursor would write outside SQLAlchemy's knowledge
            raise RuntimeError("a Prepared statement runs inside the caller's transaction")
        many = not isinstance(values, Mapping)
        first = values[0] if many else values
        keys = tuple(sorted(first)) if self.statement.is_dml and not self.statement.is_delete \
            else None
        plan = self._compile(conn.dialect, keys, many)
        params = ([self._parameters(plan, row) for row in values] if many
                  else self._parameters(plan, values))
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            if many:
                cursor.executemany(plan.sql, params)
            else:
                cursor.execute(plan.sql, params)
            rows = cursor.fetchall() if plan.returns_rows else []
            count = cursor.rowcount
        except conn.dialect.loaded_dbapi.Error as error:
            raise sa.exc.DBAPIError.instance(plan.sql, params, error,
                                             conn.dialect.loaded_dbapi.Error,
                                             dialect=conn.dialect) from error
        finally:
            cursor.close()
        if plan.results:
            rows = [_processed(row, plan.results) for row in rows]
        return rows, count


@dataclass(slots=True)
class _Compiled:
    returns_rows: bool
    sql: str
    positional: bool  # qmark (SQLite): a tuple in `names` order; else a dict by name
    names: list[str]
    fixed: dict[str, Any]
    binds: dict[str, Any]
    results: list[tuple[int, Any]]


def _processed(row: tuple, processors: list[tuple[int, Any]]) -> tuple:
    values = list(row)
    for index, process in processors:
        values[index] = process(values[index])
    return tuple(values)
