"""The library as an application uses it: structured errors, public names, no method shadowing a
built-in (the old names warn for one release), the README's Embedding example being the committed
example, the license and the shipped domain reference. On SQLite and PostgreSQL where a database
is involved."""

from __future__ import annotations

import builtins
import re
import tomllib
import warnings
from datetime import timedelta
from pathlib import Path

import pytest

import cee_workflow
from cee_workflow import (
    Conflict,
    InvalidTransition,
    NotFound,
    NotPermitted,
    RuleViolation,
    WorkflowError,
)

pytest.register_assert_rewrite("cli_harness")
from cli_harness import cee  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def protest_filed(cast):
    liquidated = cast.liquidated()  # on the bulletin of 2025-02-07
    cast.at("2025-03-03")
    return liquidated, cast.engine.open_case("protest", actor=cast.actor(f"filer:{cast.ACME}"),
                                             entries=[liquidated.entries[0]])


# --- structured errors ------------------------------------------------------------------------


def test_refusals_carry_kind_case_trigger_rule_and_exit_code(cast, engine):
    liquidated, protest = protest_filed(cast)

    with pytest.raises(NotPermitted) as refused:
        engine.advance(protest.id, "accept", actor=cast.actor(f"filer:{cast.ACME}"))
    error = refused.value
    assert (error.kind, error.case, error.trigger, error.exit_code) == (
        "not_permitted", protest.id, "accept", 4)
    assert error.rule is not None and error.rule.startswith("19 CFR 174.12")
    assert error.to_dict() == {"kind": "not_permitted", "message": error.message,
                               "exit_code": 4, "case": protest.id, "trigger": "accept",
                               "rule": error.rule}
    assert str(error) == error.message and "\n" not in error.message

    with pytest.raises(InvalidTransition) as refused:
        engine.advance(liquidated.id, "schedule", actor=cast.actor("c007"),
                       inputs={"date": "2025-03-07"})
    assert (refused.value.kind, refused.value.case, refused.value.trigger,
            refused.value.rule, refused.value.exit_code) == (
        "invalid_transition", liquidated.id, "schedule", None, 5)

    with pytest.raises(Conflict) as refused:
        engine.advance(protest.id, "accept", actor=cast.actor("p2704"),
                       expected_version=protest.version - 1)
    assert (refused.value.kind, refused.value.case, refused.value.trigger,
            refused.value.exit_code) == ("conflict", protest.id, "accept", 6)

    with pytest.raises(NotFound) as refused:
        engine.get("PR-270425999999")
    assert refused.value.to_dict() == {
        "kind": "not_found", "message": refused.value.message, "exit_code": 3, "case": None,
        "trigger": None, "rule": None, "what": "case", "key": "PR-270425999999"}


def test_a_refused_opening_names_the_rule_but_no_case_since_none_exists(cast, engine):
    late = cast.liquidated()
    cast.at("2025-08-07")  # day 181 after the liquidation of 2025-02-07
    with pytest.raises(RuleViolation) as refused:
        engine.open_case("protest", actor=cast.actor(f"filer:{cast.ACME}"),
                         entries=[late.entries[0]])
    error = refused.value
    assert (error.kind, error.case, error.trigger, error.exit_code) == (
        "rule_violation", None, "file", 5)
    assert error.rule is not None and "1514(c)(3)" in error.rule
    assert error.message.endswith(f"({error.rule})")
    assert engine.list_cases(kind="protest") == []


def test_every_error_class_has_its_own_stable_kind():
    from cee_workflow.workflow.errors import (
        KINDS,
        BackdatingRefused,
        BrokerUnavailable,
        ConnectionLost,
        DatabaseLocked,
        IdentityRefused,
        RequestReused,
        UnknownTrigger,
    )

    assert {"error": WorkflowError, "invalid_input": cee_workflow.InvalidInput,
                     "not_found": NotFound, "not_permitted": NotPermitted,
                     "invalid_transition": InvalidTransition, "unknown_trigger": UnknownTrigger,
                     "rule_violation": RuleViolation,
                     "conflict": Conflict, "connection_lost": ConnectionLost,
                     "database_locked": DatabaseLocked,
                     "backdating_refused": BackdatingRefused,
                     "broker_unavailable": BrokerUnavailable,
                     "request_id_reused": RequestReused,
                     "identity_refused": IdentityRefused} == KINDS


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cli_json_errors_are_one_document_with_the_fields(db_url, cast):
    _, protest = protest_filed(cast)
    stdout, stderr = cee("case", "advance", protest.id, "accept", db=db_url,
                         actor=f"filer:{cast.ACME}", now="2025-03-04", json_out=True, expect=4)
    import json

    error = json.loads(stdout)["error"]
    assert stderr == f"error: {error['message']}\n"
    assert (error["kind"], error["case"], error["trigger"], error["exit_code"]) == (
        "not_permitted", protest.id, "accept", 4)
    assert error["rule"].startswith("19 CFR 174.12")
    # Without --json the error is the one line on stderr and nothing on stdout.
    stdout, _ = cee("case", "advance", protest.id, "accept", db=db_url,
                    actor=f"filer:{cast.ACME}", now="2025-03-04", expect=4)
    assert stdout == ""


# --- names ------------------------------------------------------------------------------------


def test_the_public_names_resolve_from_the_package_root():
    for name in cee_workflow.__all__:
        assert getattr(cee_workflow, name) is not None, name
    from cee_workflow.workflow.jurisdiction import Administrator, Filer, Officer, System
    from cee_workflow.workflow.parties import Party

    assert cee_workflow.Actor == Officer | Filer | Party | Administrator | System
    assert cee_workflow.Party is Party
    assert cee_workflow.Reader.__module__ == "cee_workflow.workflow.reader"
    assert issubclass(cee_workflow.Engine, cee_workflow.Reader)
    assert (ROOT / "py.typed").exists()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]
    assert "py.typed" in package_data["cee_workflow"]


def test_no_public_method_shadows_a_built_in_except_the_deprecated_aliases():
    shadowing = []
    for name in cee_workflow.__all__:
        value = getattr(cee_workflow, name)
        if not isinstance(value, type):
            continue
        for attribute, member in vars(value).items():
            if attribute in dir(builtins) and not attribute.startswith("__") and not (
                    hasattr(member, "__deprecated__")):
                shadowing.append(f"{name}.{attribute}")
    assert shadowing == []


def test_the_old_names_work_for_one_release_and_warn(cast, engine, clock):
    _, protest = protest_filed(cast)
    with pytest.warns(DeprecationWarning, match=r"Engine.list is deprecated.*list_cases"):
        assert engine.list(kind="protest") == engine.list_cases(kind="protest") == [protest]
    liquidated = cast.liquidated()
    with pytest.warns(DeprecationWarning, match=r"Engine.open is deprecated.*open_case"):
        second = engine.open("protest", actor=cast.actor(f"filer:{cast.ACME}"),
                             entries=[liquidated.entries[0]])
    assert second.state == "filed"
    later = clock.now() + timedelta(days=1)
    with pytest.warns(DeprecationWarning, match=r"SettableClock.set is deprecated.*move_to"):
        clock.set(later)
    assert clock.now() == later
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        engine.list_cases()
        clock.move_to(later)


# --- documents --------------------------------------------------------------------------------


def test_the_readme_embedding_example_is_the_committed_example():
    section = (ROOT / "README.md").read_text().split("## Embedding", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.+?)```", section, flags=re.S)
    assert blocks, "the Embedding section has no python block"
    assert blocks[0] == (ROOT / "examples" / "embedding" / "app.py").read_text()


def test_the_domain_reference_the_code_cites_ships_in_step_with_the_shared_one():
    shipped = ROOT / "docs" / "REFERENCE.md"
    assert shipped.read_text().startswith("#")
    shared = ROOT.parent / "shared" / "domain" / "REFERENCE.md"
    if shared.exists():  # beside the project's working copy; a clean checkout has only ours
        assert shipped.read_text() == shared.read_text(), (
            "docs/REFERENCE.md is behind ../shared/domain/REFERENCE.md: copy it")


def test_the_license_is_apache_2_and_declared():
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
