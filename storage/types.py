"""Column types shared by the ORM tables (storage.models) and the light read tables
(storage.reads). Plain SQLAlchemy Core: importing them loads no ORM and no database dialect."""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite (naive storage) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONData(sa.types.TypeDecorator):
    """JSON on SQLite, JSONB on PostgreSQL: the DDL and values of
    `sa.JSON().with_variant(postgresql.JSONB(), "postgresql")`, but the PostgreSQL dialect is
    imported only when a PostgreSQL database is used (a SQLite read need not load it)."""

    impl = sa.JSON()
    cache_ok = True
    # As sa.JSON(): a Python None is stored as JSON null, not omitted as SQL NULL.
    should_evaluate_none = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql

            return dialect.type_descriptor(postgresql.JSONB())
        return dialect.type_descriptor(self.impl)
