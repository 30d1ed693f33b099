"""Authority over the registry (issue #14 item 2) on simulation databases, both kinds: only an
administrator changes the registry, every change is an event of the registry's hash chain, and
`audit verify` (and a signed checkpoint) names each forgery of it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from cli_harness import cee, cee_json, isolated_environment  # noqa: E402

from cee_workflow import Reader
from cee_workflow.workflow.errors import IdentityRefused, NotPermitted


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


def _registry_events(engine) -> list[dict]:
    with engine.db.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(
            sa.text("SELECT seq, actor, action, subject FROM cee_registry_event ORDER BY seq"))]


def _broken(engine) -> str:
    report = engine.verify_audit()
    assert not report.ok
    return "\n".join(report.broken)


def test_every_registry_change_is_a_chained_event_by_its_administrator(cast, engine):
    events = _registry_events(engine)
    assert events[0] == {"seq": 1, "actor": "bootstrap", "action": "administrator.add",
                         "subject": "admin"}
    assert [(e["actor"], e["action"], e["subject"]) for e in events[1:3]] == [
        ("admin", "officer.add", "c007"), ("admin", "officer.add", "c007-sup")]
    assert engine.verify_audit().ok
    with pytest.raises(NotPermitted, match="needs a registry administrator; officer c007"):
        engine.add_officer("mallory", name="M", office="007", unit="validation",
                           role="director", actor=cast.actor("c007"))
    with pytest.raises(NotPermitted, match="needs a registry administrator; filer"):
        engine.add_office("2799", "port", "X", actor=cast.actor(f"filer:{cast.ACME}"))
    assert len(_registry_events(engine)) == len(events)


def test_an_edited_registry_event_is_named(cast, engine):
    with engine.db.begin() as connection:
        connection.execute(sa.text(
            "UPDATE cee_registry_event SET data = :d WHERE subject = 'c007' "
            "AND action = 'officer.add'"),
            {"d": '{"name": "Center 007 officer", "office": "007", "unit": "validation", '
                  '"role": "director", "login": null, "active": true}'})
        connection.execute(sa.text("UPDATE cee_officer SET role = 'director' WHERE id = 'c007'"))
    broken = _broken(engine)
    assert "registry event #2 (officer.add c007 by admin): its hash does not match" in broken


def test_a_deleted_registry_event_is_named(cast, engine):
    with engine.db.begin() as connection:
        connection.execute(sa.text("DELETE FROM cee_registry_event WHERE seq = 3"))
    broken = _broken(engine)
    assert "registry events #3 to #3 are missing" in broken
    assert "registry: officer c007-sup has no registry event" in broken


def test_registry_rows_written_without_an_event_are_named(cast, engine):
    with engine.db.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO cee_officer (id, name, office, unit, role, active) "
            "VALUES ('mallory', 'M', '007', 'validation', 'director', true)"))
        connection.execute(sa.text("UPDATE cee_officer SET role = 'director' WHERE id = 'c005'"))
        connection.execute(sa.text("UPDATE cee_office SET name = 'Renamed' WHERE code = '2704'"))
    broken = _broken(engine)
    assert "registry: officer mallory has no registry event" in broken
    assert ("registry: officer c005: role is 'director' but its registry events say "
            "'officer'") in broken
    assert "registry: office 2704 has no registry event" in broken


def test_a_recomputed_registry_chain_is_caught_by_a_signed_checkpoint(cast, engine, tmp_path):
    from cee_workflow.storage.models import RegistryEvent
    from cee_workflow.workflow.checkpoint import keygen
    from cee_workflow.workflow.registry_chain import GENESIS, event_hash

    key, public = keygen(tmp_path / "audit.key")
    checkpoint = engine.checkpoint(str(key), str(tmp_path))
    with engine.db.begin() as connection:  # c007 made a director, the chain recomputed
        connection.execute(sa.text("UPDATE cee_officer SET role = 'director' WHERE id = 'c007'"))
        table = RegistryEvent.__table__
        prev = GENESIS
        for row in connection.execute(sa.select(table).order_by(table.c.seq)).all():
            data = dict(row.data)
            if (row.subject, row.action) == ("c007", "officer.add"):
                data["role"] = "director"
            digest = event_hash(prev, row.seq, row.at, row.actor, row.action, row.subject, data)
            connection.execute(table.update().where(table.c.seq == row.seq)
                               .values(data=data, prev_hash=prev, hash=digest))
            prev = digest
    assert engine.verify_audit().ok, "the recomputed chain folds: only a checkpoint sees it"
    report = engine.verify_audit(checkpoint=checkpoint, public_key=str(public))
    assert not report.ok
    assert any("registry" in line for line in report.broken), report.broken


def test_deactivated_officers_are_refused_everywhere(cast, engine):
    case = cast.entry()
    c007 = cast.actor("c007")
    engine.deactivate_officer("c007")
    with pytest.raises(IdentityRefused, match="officer c007 is deactivated"):
        engine.advance(case.id, "schedule", actor=c007, inputs={"date": "2025-02-07"})
    with pytest.raises(IdentityRefused, match="officer c007 is deactivated"):
        engine.actor("c007")
    with pytest.raises(IdentityRefused, match="officer c007 is deactivated"):
        engine.list_cases(actor=c007)
    with pytest.raises(IdentityRefused, match="deactivated"):
        engine.available(case.id, actor=c007)
    with pytest.raises(NotPermitted, match="needs a registry administrator"):
        engine.deactivate_officer("c005", actor=cast.actor("c007-sup"))
    assert engine.verify_audit().ok


def test_a_filer_reads_only_its_own_importers_cases(cast, engine, db_url):
    mine = cast.entry(importer=cast.ACME)
    theirs = cast.entry(importer=cast.BETA)
    acme = cast.actor(f"filer:{cast.ACME}")
    assert [c.id for c in engine.list_cases(actor=acme)] == [mine.id]
    assert {d.case_id for d in engine.pending_deadlines(actor=acme)} == {mine.id}
    assert {c.id for c in engine.list_cases()} == {mine.id, theirs.id}  # an officer's view
    reader = Reader(db_url)
    try:
        assert reader.show(mine.id, actor=acme)[0].id == mine.id
        for read in (reader.get, reader.history, reader.deadlines, reader.show,
                     engine.history):
            with pytest.raises(NotPermitted, match="may read only its own importer's cases"):
                read(theirs.id, actor=acme)
    finally:
        reader.close()


def test_a_stranger_is_refused_before_the_case_state(cast, engine):
    case = cast.entry()  # port 2704, center 007, state open: `liquidate` is not possible yet
    # The rulebook's own refusal (authority, jurisdiction), never the state's (exit 5) or the
    # version's (exit 6); a trigger the lifecycle does not have: the case is not theirs.
    for stranger in ("p3901", "c005", f"filer:{cast.BETA}"):
        for trigger, version in (("liquidate", None), ("liquidate", 99), ("accept", None)):
            with pytest.raises(NotPermitted) as refused:
                engine.advance(case.id, trigger, actor=cast.actor(stranger),
                               expected_version=version)
            assert case.state not in refused.value.message, refused.value.message
            if trigger == "accept":
                assert "has no standing on" in refused.value.message


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cli_registry_on_a_simulation_database(cli_env, cast, db_url):
    db = db_url
    _, err = cee("officer", "add", "mallory", "--name", "M", "--center", "007", "--division",
                 "validation", "--role", "director", db=db, actor="c007", expect=4)
    assert "needs a registry administrator; officer c007" in err
    # Without --as a simulation's registry is kept by its administrator, `admin`.
    cee("officer", "add", "eve", "--name", "Eve", "--center", "007", "--division",
        "validation", db=db)
    cee("officer", "deactivate", "eve", db=db, actor="c007", expect=4)
    cee("officer", "deactivate", "eve", db=db)
    listed = {o["id"]: o["active"] for o in cee_json("officer", "list", db=db)}
    assert listed["eve"] is False and listed["c007"] is True
    _, err = cee("case", "list", db=db, actor="eve", expect=4)
    assert "officer eve is deactivated" in err
    case = cast.entry()
    _, err = cee("case", "advance", case.id, "accept", db=db, actor="p3901", expect=4)
    assert "has no standing on" in err
    assert [c["id"] for c in cee_json("case", "list", db=db, actor=f"filer:{cast.BETA}")] == []
    cee("case", "show", case.id, db=db, actor=f"filer:{cast.BETA}", expect=4)
    # An administrator names another; an officer cannot.
    cee("admin", "add", "boss", "--name", "Boss", "--login", "boss", db=db, actor="c007",
        expect=4)
    cee("admin", "add", "boss", "--name", "Boss", "--login", "boss", db=db)
    cee("officer", "add", "fay", "--name", "Fay", "--port", "2704", "--unit", "fpf", db=db,
        actor="boss")
    out, _ = cee("audit", "verify", db=db)
    assert "every check verifies" in out


def test_a_database_migrated_from_before_the_registry_chain_verifies(empty_db_url):
    from cee_workflow import Engine
    from cee_workflow.storage import migrate
    from cee_workflow.storage.database import create_db_engine

    db = create_db_engine(empty_db_url)
    migrate.migrate_to(db, "0003", version_table=migrate.LEGACY_VERSION_TABLE)
    with db.begin() as connection:
        connection.execute(sa.text("INSERT INTO office (code, kind, name) "
                                   "VALUES ('007', 'center', 'Electronics')"))
        connection.execute(sa.text(
            "INSERT INTO officer (id, name, office, unit, role) "
            "VALUES ('c007', 'Ana', '007', 'validation', 'officer')"))
        connection.execute(sa.text(
            "INSERT INTO importer (number, name, center, trusted) "
            "VALUES ('12-3456789AB', 'Acme', '007', '[\"ctpat\"]')"))
    migrate.upgrade(db)
    db.dispose()
    engine = Engine(empty_db_url)
    try:
        assert engine.verify_audit().ok, engine.verify_audit().broken
        events = _registry_events(engine)
        assert [(e["actor"], e["action"], e["subject"]) for e in events] == [
            ("migration 0006", "officer.add", "c007"),
            ("migration 0006", "importer.add", "12-3456789AB")]
    finally:
        engine.close()
