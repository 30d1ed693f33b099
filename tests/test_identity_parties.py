"""Trade parties on real databases, from the CLI in a subprocess (19 U.S.C. 1514(c)(2)): the
login mapped to a party acts as it, `--as party:X` naming anyone else is refused (exit 4), the
filing records the party and role of that login, and the party reads only its cases."""

from __future__ import annotations

from cli_harness import cee, cee_json
from test_identity import ACME, E1, E2, ON_POSTGRES, TODAY, _register, cli_env, pg  # noqa: F401


@ON_POSTGRES
def test_postgres_the_partys_login_protests_and_as_cannot_borrow_another(pg):  # noqa: F811
    _register(pg)
    for who in ("bond", "smith"):
        pg.create(who)
    admin = pg.as_("admin")
    cee("party", "add", "bonding", "--name", "Great Bonding Co.", "--role", "surety",
        "--login", pg.names["bond"], db=admin)
    cee("party", "add", "smith", "--name", "Smith Customs Brokers", "--role", "agent",
        "--login", pg.names["smith"], db=admin)
    # Only an administrator registers parties and authorizes agents.
    _, err = cee("party", "authorize", "smith", "--for", "party:bonding", db=pg.as_("bond"),
                 expect=4)
    assert "needs a registry administrator" in err
    pete = pg.as_("pete")
    covered = cee_json("entry", "add", E1, "--importer", ACME, "--port", "2704", "--date",
                       TODAY, "--surety", "bonding", db=pete)
    bare = cee_json("entry", "add", E2, "--importer", ACME, "--port", "2704", "--date", TODAY,
                    db=pete)
    charge = ("--set", "protested=charge", "--set", f"decision_date={TODAY}")
    bond = pg.as_("bond")
    # The surety's login is the surety: --as another party is refused, one line, exit 4.
    _, err = cee("case", "open", "protest", "--entry", E1, *charge, db=bond,
                 actor="party:smith", expect=4)
    assert "--as party:smith is refused" in err and len(err.strip().splitlines()) == 1
    protest = cee_json("case", "open", "protest", "--entry", E1, *charge, db=bond)
    assert (protest["data"]["party"], protest["data"]["role"]) == ("bonding", "surety")
    assert [e["actor"] for e in cee_json("case", "history", protest["id"], db=bond)] == [
        "party:bonding"]
    _, err = cee("case", "open", "protest", "--entry", E2, *charge, db=bond, expect=4)
    assert "has no standing" in err
    # It reads only what it stands on.
    assert {c["id"] for c in cee_json("case", "list", db=bond)} == {covered["id"],
                                                                    protest["id"]}
    _, err = cee("case", "show", bare["id"], db=bond, expect=4)
    assert "only the cases it stands on" in err
    # The agent, unauthorized, stands nowhere; authorized by the surety, it acts for it.
    smith = pg.as_("smith")
    assert cee_json("case", "list", db=smith) == []
    _, err = cee("case", "advance", protest["id"], "withdraw", db=smith, expect=4)
    assert "has no standing" in err
    cee("party", "authorize", "smith", "--for", "party:bonding", db=admin)
    done = cee_json("case", "advance", protest["id"], "withdraw", db=smith)
    assert done["state"] == "withdrawn"
    assert cee_json("audit", "verify", db=admin)["ok"]


def test_party_commands_from_the_cli(db_url):
    cee("importer", "add", ACME, "--name", "Acme", "--center", "007", db=db_url)
    cee("officer", "add", "p2704", "--name", "Pete", "--port", "2704", db=db_url)
    _, err = cee("party", "add", "pay", "--name", "Payer", "--role", "payer", db=db_url,
                 expect=2)
    assert "give --importer NUMBER" in err and len(err.strip().splitlines()) == 1
    cee("party", "add", "pay", "--name", "Payer", "--role", "payer", "--importer", ACME,
        db=db_url)
    cee("party", "add", "agent1", "--name", "Agent", "--role", "agent", db=db_url)
    cee("party", "authorize", "agent1", "--for", f"filer:{ACME}", db=db_url)
    _, err = cee("party", "authorize", "agent1", "--for", "party:nobody", db=db_url, expect=3)
    assert "nobody" in err
    rows = {r["id"]: r for r in cee_json("party", "list", db=db_url)}
    assert rows["agent1"]["principals"] == [f"filer:{ACME}"]
    assert rows["pay"]["importer"] == ACME
    _, err = cee("entry", "add", E1, "--importer", ACME, "--port", "2704", "--date",
                 "2025-01-06", "--surety", "pay", db=db_url, actor="p2704", expect=2)
    assert "registered as a payer, not a surety" in err
    assert cee_json("audit", "verify", db=db_url)["ok"]
