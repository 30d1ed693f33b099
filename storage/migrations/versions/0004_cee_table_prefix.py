"""every table and index named cee_…; our own alembic version table

The engine shares its database with the application that embeds it, so none of its names may be
generic: the tables `office`, `officer`, `importer`, `entry`, `case`, `case_entry`, `event`,
`deadline`, `serial` and `setting` become `cee_office` … `cee_setting`, and their indexes,
constraints and sequences follow (`ix_case_bulletin` → `ix_cee_case_bulletin`, `case_pkey` →
`cee_case_pkey`, `event_seq_seq` → `cee_event_seq_seq`): on PostgreSQL an index or sequence name
is unique in its schema, and `case_pkey` would stop a host application from creating its own
`case` table. The version table moves from alembic's default `alembic_version` (the host's) to
`cee_alembic_version`; `storage.migrate.upgrade` moves the row before this revision runs.

Only a database made before this revision runs it: a new database is created from the models at
head (storage/migrate.py), so it never holds a generic name, even for a moment.

Revision ID: 0004
Revises: 0003
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("office", "officer", "importer", "entry", "case", "case_entry", "event", "deadline",
          "serial", "setting")
PREFIX = "cee_"


def upgrade() -> None:
    for old in TABLES:
        _rename_table(old, PREFIX + old, _prefixed)


def downgrade() -> None:
    for old in TABLES:
        _rename_table(PREFIX + old, old, _unprefixed)


def _prefixed(name: str, table: str) -> str:
    """The name an index, constraint or sequence of `table` takes: case_pkey → cee_case_pkey,
    ix_case_bulletin → ix_cee_case_bulletin, uq_event_case_seq → uq_cee_event_case_seq."""
    for lead in ("ix_", "uq_", ""):
        if name.startswith(lead + table + "_"):
            return lead + PREFIX + name[len(lead):]
    return name


def _unprefixed(name: str, table: str) -> str:
    for lead in ("ix_", "uq_", ""):
        if name.startswith(lead + table + "_"):
            return lead + name[len(lead) + len(PREFIX):]
    return name


def _rename_table(old: str, new: str, rename) -> None:
    bind = op.get_bind()
    op.execute(f'ALTER TABLE "{old}" RENAME TO "{new}"')
    if bind.dialect.name == "postgresql":
        _rename_postgres_names(bind, old, new, rename)
    else:
        _rename_sqlite_names(bind, old, new, rename)


def _rename_postgres_names(bind, old: str, new: str, rename) -> None:
    # Constraints first (renaming a primary key or unique constraint renames its index), then
    # the plain indexes, then the sequences the table's serial columns own.
    constraints = bind.execute(sa.text(
        "SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)"),
        {"t": f'"{new}"'}).scalars().all()
    for name in constraints:
        if rename(name, old) != name:
            op.execute(f'ALTER TABLE "{new}" RENAME CONSTRAINT "{name}" TO "{rename(name, old)}"')
    indexes = bind.execute(sa.text(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = :t"), {"t": new}).scalars().all()
    for name in indexes:
        if rename(name, old) != name:
            op.execute(f'ALTER INDEX "{name}" RENAME TO "{rename(name, old)}"')
    sequences = bind.execute(sa.text(
        "SELECT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
        "WHERE s.relkind = 'S' AND d.refobjid = CAST(:t AS regclass)"),
        {"t": f'"{new}"'}).scalars().all()
    for name in sequences:
        if rename(name, old) != name:
            op.execute(f'ALTER SEQUENCE "{name}" RENAME TO "{rename(name, old)}"')


_INDEX_NAME = re.compile(r'^(CREATE (?:UNIQUE )?INDEX )"?(\w+)"?', re.IGNORECASE)


def _rename_sqlite_names(bind, old: str, new: str, rename) -> None:
    # SQLite rewrites the table's name inside its indexes' SQL on RENAME, but has no RENAME
    # INDEX: each index is dropped and created again under its new name.
    indexes = bind.execute(sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
        "AND sql IS NOT NULL"), {"t": new}).all()
    for name, sql in indexes:
        renamed = rename(name, old)
        if renamed != name:
            op.execute(f'DROP INDEX "{name}"')
            op.execute(_INDEX_NAME.sub(lambda m, to=renamed: f'{m.group(1)}"{to}"', sql, 1))
    # A named UNIQUE constraint lives in the table's own SQL: rebuild the table to rename it.
    uniques = [u for u in sa.inspect(bind).get_unique_constraints(new)
               if u["name"] and rename(u["name"], old) != u["name"]]
    if uniques:
        with op.batch_alter_table(new, recreate="always") as batch:
            for unique in uniques:
                batch.drop_constraint(unique["name"], type_="unique")
                batch.create_unique_constraint(rename(unique["name"], old),
                                               unique["column_names"])
