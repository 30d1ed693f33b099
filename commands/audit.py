"""`cee audit verify|keygen|checkpoint` and `cee demo`."""

from __future__ import annotations

import json
import sys

import click

from cee_workflow.cli import (
    EXIT_FAILED_CHECK,
    Settings,
    cee,
    emit,
    render_cases,
    render_demo_step,
)


@cee.group()
def audit():
    """The tamper-evident event trail."""


@audit.command("verify")
@click.argument("case_id", metavar="CASE", required=False)
@click.option("--checkpoint", metavar="FILE",
              help="A signed checkpoint (`cee audit checkpoint`): prove every event it covers "
                   "is unchanged and present.")
@click.option("--public-key", metavar="FILE", help="The checkpoint key's public half (.pub).")
@click.pass_obj
def audit_verify(settings: Settings, case_id, checkpoint, public_key):
    """Check every case (or one): its hash chain, its row and pending timers against its
    events, the event numbering and, with --checkpoint, a signed tree head."""
    if (checkpoint is None) != (public_key is None):
        raise click.UsageError("--checkpoint and --public-key go together")
    report = settings.engine().verify_audit(case_id, checkpoint=checkpoint,
                                            public_key=public_key)
    document = {**report.to_dict(), "ok": report.ok}
    emit(settings, document, lambda: click.echo(
        f"{report.cases} cases, {report.events} events: "
        + ("every check verifies" if report.ok else f"{len(report.broken)} broken")))
    if not report.ok:
        for link in report.broken:
            click.echo(f"broken: {link}", err=True)
        sys.exit(EXIT_FAILED_CHECK)


@audit.command("keygen")
@click.option("--out", metavar="FILE", required=True,
              help="The private key file to write (mode 0600); its public key goes to FILE.pub.")
@click.pass_obj
def audit_keygen(settings: Settings, out):
    """Make an Ed25519 key for signing checkpoints. Keep it off the database's machine."""
    from cee_workflow.workflow.checkpoint import keygen

    private, public = keygen(out)
    emit(settings, {"private_key": str(private), "public_key": str(public)},
         lambda: click.echo(f"private key {private} (mode 0600), public key {public}"))


@audit.command("checkpoint")
@click.option("--key", metavar="FILE", required=True, help="The private key (`audit keygen`).")
@click.option("--out", "out_dir", metavar="DIR", default=".", show_default=True,
              help="Where to write the checkpoint and its leaves file.")
@click.pass_obj
def audit_checkpoint(settings: Settings, key, out_dir):
    """Sign the Merkle tree head of every event so far (RFC 9162 hashing, Ed25519)."""
    from pathlib import Path

    path = settings.engine().checkpoint(key, out_dir)
    head = json.loads(Path(path).read_text())["checkpoint"]
    emit(settings, {"checkpoint": path, **head}, lambda: click.echo(
        f"{path}: " + ", ".join(f"{s['size']} {s['name'].replace('_', ' ')} to seq "
                                f"{s['last_seq']}, root {s['root'][:16]}…"
                                for s in head["sources"])))


@cee.command()
@click.option("--db", "demo_db", metavar="URL",
              help="Build the demo here: a new or simulation database (default: a new SQLite "
                   "file in a temporary directory).")
@click.pass_context
def demo(ctx, demo_db):
    """Walk a realistic story on a new simulation database."""
    import tempfile

    from click.core import ParameterSource

    from cee_workflow.workflow.demo import run_demo

    settings: Settings = ctx.obj
    # The global --db counts only when typed: never write a demo into CEE_DATABASE_URL.
    typed = ctx.parent.get_parameter_source("db") == ParameterSource.COMMANDLINE
    url = demo_db or (settings.db if typed else None)
    from cee_workflow.commands.demo_place import demo_url, this_command

    if url is None:
        url = demo_url(tempfile.gettempdir())
    say = (lambda *_: None) if settings.as_json else render_demo_step
    cases = run_demo(url, say)
    emit(settings, [c.to_dict() for c in cases], lambda: (
        click.echo("\nFinal state of every case:"), render_cases(cases),
        click.echo(f"\nThe demo database: {url}\nLook around:  {this_command()} --db {url} "
                   "case list")))
