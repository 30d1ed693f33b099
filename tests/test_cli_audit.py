"""`cee audit keygen | checkpoint | verify --checkpoint` in a real subprocess, on both databases."""

from __future__ import annotations

import json
import os
import stat

import pytest
import sqlalchemy as sa

pytest.register_assert_rewrite("cli_harness")
from cli_harness import cee, isolated_environment  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory):
    yield from isolated_environment(tmp_path_factory)


def test_a_signed_checkpoint_names_a_renumbered_outbox(db_url, cast, engine, tmp_path):
    entry = cast.liquidated()  # seq 1-3
    later = cast.entry()  # seq 4
    key = tmp_path / "audit.key"
    out, _ = cee("audit", "keygen", "--out", str(key), db=None)
    assert "mode 0600" in out and stat.S_IMODE(os.stat(key).st_mode) == 0o600
    cee("audit", "keygen", "--out", str(key), db=None, expect=2)  # never overwritten
    out, _ = cee("audit", "checkpoint", "--key", str(key), "--out", str(tmp_path / "cp"),
                 db=db_url, json_out=True)
    head = json.loads(out)
    assert head["sources"][0] | {"root": ""} == {"name": "case_events", "size": 4,
                                                 "last_seq": 4, "root": ""}
    checkpoint = head["checkpoint"]
    verify = ("audit", "verify", "--checkpoint", checkpoint, "--public-key", f"{key}.pub")
    out, _ = cee(*verify, db=db_url)
    assert "every check verifies" in out

    with engine.db.begin() as connection:  # the outbox reordered: each case still in order
        for old, new in ((3, 1000), (4, 3), (1000, 4)):
            connection.execute(sa.text("UPDATE cee_event SET seq = :n WHERE seq = :o"),
                               {"o": old, "n": new})
    cee("audit", "verify", db=db_url)  # the fold alone cannot see it
    _, err = cee(*verify, db=db_url, expect=1)
    assert f"case {entry.id} event #3 (seq 3): signed at seq 3" in err
    assert "renumbered" in err and later.id in err
    cee("audit", "verify", "--checkpoint", checkpoint, db=db_url, expect=2)  # needs its key
