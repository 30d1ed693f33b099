"""SQLModel tables. Storage knows nothing of authority or rules: it keeps rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# The migrations import UTCDateTime from here, too.
from cee_workflow.storage.types import JSONData, UTCDateTime


def _json_column() -> Any:
    return Field(default_factory=dict, sa_column=sa.Column(JSONData(), nullable=False))


def _utc(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


class Setting(SQLModel, table=True):
    __tablename__ = "cee_setting"

    key: str = Field(primary_key=True, max_length=64)
    value: str


class Office(SQLModel, table=True):
    __tablename__ = "cee_office"

    code: str = Field(primary_key=True, max_length=4)  # port: 4-digit Schedule D; center: 001–010
    kind: str = Field(max_length=8)  # port | center
    name: str


class Officer(SQLModel, table=True):
    __tablename__ = "cee_officer"
    __table_args__ = (sa.Index("uq_cee_officer_login", "login", unique=True),)

    id: str = Field(primary_key=True, max_length=64)
    name: str
    office: str = Field(foreign_key="cee_office.code", max_length=4)
    unit: str | None = Field(default=None, max_length=16)  # center division or port unit (fpf)
    role: str = Field(default="officer", max_length=16)
    # The database login (PostgreSQL session_user) or operating-system user (SQLite) that is
    # this officer: the established identity (workflow/identity.py). None: not yet mapped.
    login: str | None = Field(default=None, max_length=64)
    # False once `cee officer deactivate`: refused everywhere.
    active: bool = Field(default=True, sa_column=sa.Column(sa.Boolean(), nullable=False,
                                                           server_default=sa.true()))


class Administrator(SQLModel, table=True):
    """Who may register and change offices, officers and importers (workflow/registry_ops.py).
    Not an officer: an administrator takes no action on a case."""

    __tablename__ = "cee_administrator"
    __table_args__ = (sa.Index("uq_cee_administrator_login", "login", unique=True),)

    id: str = Field(primary_key=True, max_length=64)
    name: str
    login: str = Field(max_length=64)
    active: bool = True


class RegistryEvent(SQLModel, table=True):
    """Append-only, hash-chained record of every registry change (workflow/registry_chain.py)."""

    __tablename__ = "cee_registry_event"

    seq: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                          primary_key=True, autoincrement=True))
    at: datetime = _utc()
    actor: str = Field(max_length=80)
    action: str = Field(max_length=32)  # office.add, officer.add, officer.deactivate, …
    subject: str = Field(max_length=80)
    data: dict[str, Any] = _json_column()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class Importer(SQLModel, table=True):
    __tablename__ = "cee_importer"
    __table_args__ = (sa.Index("uq_cee_importer_login", "login", unique=True),)

    number: str = Field(primary_key=True, max_length=16)
    name: str
    center: str = Field(foreign_key="cee_office.code", max_length=4)
    trusted: list[str] = Field(default_factory=list,
                               sa_column=sa.Column(JSONData(), nullable=False))
    login: str | None = Field(default=None, max_length=64)  # its filer's login (identity.py)


class Party(SQLModel, table=True):
    """A trade party other than the importer that may protest (19 U.S.C. 1514(c)(2); 19 CFR
    174.12(a)): consignee, surety, payer, drawback claimant or agent (workflow/parties.py)."""

    __tablename__ = "cee_party"
    __table_args__ = (sa.Index("uq_cee_party_login", "login", unique=True),)

    id: str = Field(primary_key=True, max_length=64)
    name: str
    role: str = Field(max_length=24)
    login: str | None = Field(default=None, max_length=64)  # its login (identity.py)
    # A payer's or drawback claimant's importer: whose charges it pays, whose drawback it claims.
    importer: str | None = Field(default=None, max_length=16)
    # An agent's principals, as actor labels (filer:NUMBER, party:ID): who authorized it.
    principals: list[str] = Field(default_factory=list,
                                  sa_column=sa.Column(JSONData(), nullable=False))
    active: bool = Field(default=True, sa_column=sa.Column(sa.Boolean(), nullable=False,
                                                           server_default=sa.true()))


class Entry(SQLModel, table=True):
    __tablename__ = "cee_entry"

    number: str = Field(primary_key=True, max_length=11)  # 11 characters, no dashes
    importer: str = Field(foreign_key="cee_importer.number", max_length=16, index=True)
    port: str = Field(foreign_key="cee_office.code", max_length=4)
    entry_date: date
    summary_version: int = 1
    # The parties the entry papers name beside the importer (cee_party ids): the surety on its
    # bond and its consignee, who may protest its decisions (19 U.S.C. 1514(c)(2)).
    surety: str | None = Field(default=None, max_length=64)
    consignee: str | None = Field(default=None, max_length=64)


class Case(SQLModel, table=True):
    __tablename__ = "cee_case"

    __table_args__ = (
        # Keyset pages end with their key (id) after the equality columns (migration 0010).
        sa.Index("ix_cee_case_kind_state_center", "kind", "state", "center", "id"),
        # The Friday bulletin: every case of a kind and state, scheduled for a day, of a center,
        # paged by id (the bulk liquidation's selection) — by center, and national.
        sa.Index("ix_cee_case_bulletin", "kind", "state", "scheduled_for", "center", "id"),
        sa.Index("ix_cee_case_bulletin_national", "kind", "state", "scheduled_for", "id"),
    )

    id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=32)
    state: str = Field(max_length=32)
    version: int = 0
    importer: str = Field(foreign_key="cee_importer.number", max_length=16, index=True)
    port: str = Field(foreign_key="cee_office.code", max_length=4)
    center: str = Field(foreign_key="cee_office.code", max_length=4)
    division: str = Field(max_length=16)
    escalation: int = 0
    data: dict[str, Any] = _json_column()
    head_hash: str = Field(default="", max_length=64)  # hash of the case's latest event
    event_count: int = 0
    opened_at: datetime = _utc()
    updated_at: datetime = _utc()
    # data["scheduled_for"] as a real column, so that SQL can select a bulletin on both
    # databases; every write of the case's data sets it (workflow/advance.py: case_columns).
    scheduled_for: date | None = None


class CaseEntry(SQLModel, table=True):
    __tablename__ = "cee_case_entry"

    case_id: str = Field(foreign_key="cee_case.id", primary_key=True, max_length=32)
    entry: str = Field(foreign_key="cee_entry.number", primary_key=True, max_length=11, index=True)


class Event(SQLModel, table=True):
    """Append-only audit row; also the outbox embedding apps read by `seq`."""

    __tablename__ = "cee_event"

    __table_args__ = (sa.UniqueConstraint("case_id", "case_seq", name="uq_cee_event_case_seq"),
                      # The stream's order on PostgreSQL (storage/stream_ddl.py): a cursor
                      # pages by it. Partial, so SQLite (txid NULL, seq order) keeps it empty.
                      sa.Index("ix_cee_event_stream", "txid", "seq",
                               postgresql_where=sa.text("txid IS NOT NULL"),
                               sqlite_where=sa.text("txid IS NOT NULL")))

    seq: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                          primary_key=True, autoincrement=True))
    case_id: str = Field(foreign_key="cee_case.id", max_length=32)
    case_seq: int
    at: datetime = _utc()
    actor: str = Field(max_length=80)
    authority: str = Field(max_length=80)
    regime: str = Field(default="", max_length=32)
    trigger: str = Field(max_length=48)
    from_state: str = Field(max_length=32)
    to_state: str = Field(max_length=32)
    note: str = ""
    data: dict[str, Any] = _json_column()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # PostgreSQL: the stream position's first half, set by a trigger from the writing
    # transaction's id (storage/stream_ddl.py); never part of the hash chain. SQLite (writers
    # serialized, `seq` is commit order): NULL.
    txid: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger(), nullable=True))


class Deadline(SQLModel, table=True):
    """A timer armed when its case entered `state`; the truth the scheduler sweeps."""

    __tablename__ = "cee_deadline"

    __table_args__ = (
        # The sweep's claim and the forecast, paged by (next_at, id).
        sa.Index("ix_cee_deadline_pending_next", "next_at", "id",
                 postgresql_where=sa.text("status = 'pending'"),
                 sqlite_where=sa.text("status = 'pending'")),
        sa.Index("ix_cee_deadline_case", "case_id", "status"),
        # Listing pending deadlines by due time (paged by (due_at, id)), finding overdue cases.
        sa.Index("ix_cee_deadline_pending_due", "due_at", "id",
                 postgresql_where=sa.text("status = 'pending'"),
                 sqlite_where=sa.text("status = 'pending'")),
        # The few blocked deadlines every `deadlines list` heads its first page with.
        sa.Index("ix_cee_deadline_blocked", "due_at", "id",
                 postgresql_where=sa.text("status = 'blocked'"),
                 sqlite_where=sa.text("status = 'blocked'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="cee_case.id", max_length=32)
    timer: str = Field(max_length=48)
    kind: str = Field(max_length=16)
    state: str = Field(max_length=32)
    armed_version: int
    last_day: date
    due_at: datetime = _utc()
    warn_at: datetime = _utc()
    action: str | None = Field(default=None, max_length=48)
    citation: str
    # pending (overdue ones too, until the case leaves the state) | fired | blocked | cancelled
    status: str = Field(default="pending", max_length=16)
    level: int = 0  # escalation reached: 0 none, 1 warning, 2 overdue, 3 director
    next_at: datetime | None = _utc(nullable=True)  # when the sweep next acts on a pending row
    claimed_by: str | None = Field(default=None, max_length=64)  # the sweeper that settled it
    settled_at: datetime | None = _utc(nullable=True)


class Serial(SQLModel, table=True):
    """Counters for human-readable numbers (protest serials per port and year)."""

    __tablename__ = "cee_serial"

    key: str = Field(primary_key=True, max_length=32)
    value: int = 0


class RelayCursor(SQLModel, table=True):
    """How far a relay (`cee events relay`) has had the broker confirm: its stream position."""

    __tablename__ = "cee_relay_cursor"

    name: str = Field(primary_key=True, max_length=200)  # e.g. amqp:cee.events
    txid: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))
    seq: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))
    published: int = Field(default=0, sa_column=sa.Column(sa.BigInteger(), nullable=False))
    updated_at: datetime = _utc()


class Request(SQLModel, table=True):
    """An idempotency key (`--request-id`): the case one request opened, so that a retry of
    `case open` or `entry add` returns it instead of filing a second one. `fingerprint` is a
    hash of what was asked (and by whom): the same key with other content is refused."""

    __tablename__ = "cee_request"

    key: str = Field(primary_key=True, max_length=128)
    fingerprint: str = Field(max_length=64)
    actor: str = Field(max_length=80)
    # Claimed first (NULL), set to the case the same transaction opened: a concurrent retry
    # with the key waits on the key's row, not on the entry or serial it would also write.
    case_id: str | None = Field(default=None, foreign_key="cee_case.id", max_length=32)
    at: datetime = _utc()


metadata = SQLModel.metadata

# The stream's triggers on PostgreSQL, whenever cee_event is created from the models.
from cee_workflow.storage.stream_ddl import attach as _attach_stream_ddl  # noqa: E402

_attach_stream_ddl(Event.__table__)
