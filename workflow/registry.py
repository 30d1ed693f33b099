"""Registering offices, officers, importers and entries (the rows; who may, and the registry's
event chain: workflow/registry_ops.py; who is acting: workflow/identity.py)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from cee_workflow.states.authority import CENTER_DIVISIONS, PORT_UNITS, Role
from cee_workflow.states.calendar import out_of_range
from cee_workflow.storage.models import Entry, Importer, Office
from cee_workflow.storage.models import Officer as OfficerRow
from cee_workflow.workflow.errors import InvalidInput, NotFound
from cee_workflow.workflow.identifiers import parse_entry_number, parse_importer_number

TRUSTED_PROGRAMS = ("ctpat", "isa")
_PORT_CODE = re.compile(r"\d{4}", re.ASCII)
# fullmatch, not `$`: `$` also matches before a trailing newline ("c007\n" beside "c007").
_OFFICER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)
RESERVED_IDS = ("system", "sys")
_CENTER_CODE = re.compile(r"0(0[1-9]|10)")
_HQ_CODE = re.compile(r"HQ")  # Headquarters: the Commissioner's office (19 U.S.C. 1515(c))


def office(session: Session, code: str, kind: str | None = None) -> Office:
    """The registered office `code` (of `kind`), named by a command's option: an unknown code is
    bad input (exit 2), with the nearest codes and the known ones."""
    row = session.get(Office, code)
    if row is None:
        from cee_workflow.workflow.suggest import did_you_mean

        codes = session.exec((select(Office.code).where(Office.kind == kind) if kind else
                              select(Office.code)).order_by(Office.code)).all()
        what = kind or "office"
        raise InvalidInput(f"{what} {code} is not registered"
                           + did_you_mean(code, codes, what=f"known {what}s")
                           + "; an administrator registers one with `cee office add`")
    if kind and row.kind != kind:
        raise InvalidInput(f"office {code} is a {row.kind}, not a {kind}")
    return row


def _kind_of_code(code: str) -> str | None:
    """The kind of office a code's shape names (None: no kind has it)."""
    return next((kind for kind, pattern in (("port", _PORT_CODE), ("center", _CENTER_CODE),
                                            ("hq", _HQ_CODE)) if pattern.fullmatch(code)), None)


def add_office(session: Session, code: str, kind: str, name: str) -> Office:
    pattern = {"port": _PORT_CODE, "center": _CENTER_CODE, "hq": _HQ_CODE}.get(kind)
    if pattern is None or not pattern.fullmatch(code):
        raise InvalidInput(f"{kind} code {code!r} is invalid: a port is 4 digits (Schedule D), "
                           "a center 001–010, Headquarters HQ")
    if session.get(Office, code) is not None:
        raise InvalidInput(f"office {code} is already registered")
    row = Office(code=code, kind=kind, name=name)
    session.add(row)
    return row


def valid_officer_id(text: str) -> bool:
    return _OFFICER_ID.fullmatch(text) is not None


# A PostgreSQL role or an operating-system user name: printable, no whitespace, at most 63.
_LOGIN = re.compile(r"[^\s\x00-\x1f\x7f]{1,63}")


def valid_login(text: str) -> bool:
    return _LOGIN.fullmatch(text) is not None


def check_login(session: Session, login: str | None) -> str | None:
    """The login, unless it is malformed or already maps to an officer or a filer."""
    if login is None:
        return None
    if not _LOGIN.fullmatch(login):
        raise InvalidInput(f"login {login!r} must be 1–63 characters without spaces or control "
                           "characters (a PostgreSQL role or operating-system user name)")
    from cee_workflow.storage.models import Party

    officer = session.exec(select(OfficerRow.id).where(OfficerRow.login == login)).first()
    filer = session.exec(select(Importer.number).where(Importer.login == login)).first()
    party = session.exec(select(Party.id).where(Party.login == login)).first()
    if officer is not None or filer is not None or party is not None:
        held = (f"officer {officer}" if officer is not None else f"party {party}"
                if party is not None else f"the filer of importer {filer}")
        raise InvalidInput(f"login {login!r} is already {held}'s: a login is one person")
    return login


def add_officer(session: Session, officer_id: str, name: str, office_code: str,
                unit: str | None, role: str, login: str | None = None) -> OfficerRow:
    if not _OFFICER_ID.fullmatch(officer_id):
        raise InvalidInput(f"officer id {officer_id!r} must be 1–64 ASCII letters, digits, '.', "
                           "'_' or '-', starting with a letter or digit (no spaces or control "
                           "characters)")
    if officer_id.lower() in RESERVED_IDS:
        raise InvalidInput(f"officer id {officer_id!r} is reserved: the system acts only by law")
    from cee_workflow.storage.models import Administrator

    taken = session.exec(select(OfficerRow.id).where(
        func.lower(OfficerRow.id) == officer_id.lower())).first() or session.exec(
        select(Administrator.id).where(func.lower(Administrator.id) == officer_id.lower())
    ).first()
    if taken is not None:
        raise InvalidInput(f"officer {taken} is already registered (ids are unique regardless "
                           "of case)")
    where = office(session, office_code, _kind_of_code(office_code))
    if role not in Role.__members__.values():
        raise InvalidInput(f"role {role!r} must be one of {', '.join(r.value for r in Role)}")
    if where.kind == "center" and unit not in CENTER_DIVISIONS:
        raise InvalidInput(f"a center officer needs a division: {', '.join(CENTER_DIVISIONS)}")
    if where.kind == "hq" and unit is not None:
        raise InvalidInput("a Headquarters officer has no unit or division")
    if where.kind == "port" and unit not in (None, *PORT_UNITS):
        raise InvalidInput(f"a port officer's unit may only be {', '.join(PORT_UNITS)}")
    row = OfficerRow(id=officer_id, name=name, office=office_code, unit=unit, role=role,
                     login=check_login(session, login), active=True)
    session.add(row)
    return row


def add_importer(session: Session, number: str, name: str, center: str,
                 trusted: list[str], login: str | None = None) -> Importer:
    number = parse_importer_number(number)
    if session.get(Importer, number) is not None:
        raise InvalidInput(f"importer {number} is already registered")
    office(session, center, "center")
    unknown = sorted(set(trusted) - set(TRUSTED_PROGRAMS))
    if unknown:
        raise InvalidInput(f"trusted-trader program {unknown[0]!r} is not one of "
                           f"{', '.join(TRUSTED_PROGRAMS)}")
    row = Importer(number=number, name=name, center=center, trusted=sorted(set(trusted)),
                   login=check_login(session, login))
    session.add(row)
    return row


def importer(session: Session, number: str) -> Importer:
    row = session.get(Importer, parse_importer_number(number))
    if row is None:
        raise NotFound("importer", number, "register it with `cee importer add`")
    return row


def add_entry(session: Session, number: str, importer_number: str, port: str,
              entry_date: date, surety: str | None = None,
              consignee: str | None = None) -> tuple[Entry, Importer]:
    number = parse_entry_number(number)
    if (why := out_of_range(entry_date)) is not None:
        raise InvalidInput(f"the entry date {why}")
    if session.get(Entry, number) is not None:
        raise InvalidInput(f"entry {number} is already registered")
    owner = importer(session, importer_number)
    office(session, port, "port")
    from cee_workflow.workflow.registry_parties import entry_party

    row = Entry(number=number, importer=owner.number, port=port, entry_date=entry_date,
                surety=entry_party(session, surety, "surety"),
                consignee=entry_party(session, consignee, "consignee"))
    session.add(row)
    session.flush()
    return row, owner


def division_for(owner: Importer) -> str:
    """Trusted traders (C-TPAT, ISA) route to Partnership; others to Validation & Compliance."""
    return "partnership" if owner.trusted else "validation"
