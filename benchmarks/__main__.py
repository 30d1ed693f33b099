"""`python -m benchmarks postgresql` / `python -m benchmarks sqlite`: the whole suite on one
database with a progress bar, results written to benchmarks/results/ (the README table: `python
-m benchmarks readme`). `python -m benchmarks run --db URL --size N …` for every option."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from benchmarks import report, runner

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
DEFAULT_SIZE = 100_000
DEFAULT_POSTGRESQL = os.environ.get("CEE_BENCH_DATABASE_URL",
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the suite on a scratch database of --db's kind")
    run.add_argument("--db", required=True, metavar="URL",
                     help="a PostgreSQL server URL (a scratch database is created there and "
                          "dropped) or sqlite:// (a temporary file)")
    run.add_argument("--size", type=int, required=True, help="entries on the bulletin")
    run.add_argument("--background", type=int, help="other entries over two years "
                     "(default: size/4, at least 2000)")
    run.add_argument("--national", action="store_true",
                     help="write the population set-based (benchmarks/national.py): for "
                          "millions of cases, e.g. --size 10000 --background 990000")
    run.add_argument("--pending", type=int, default=0,
                     help="pad the pending deadlines to this many with far-future ones "
                          "(PostgreSQL), so the sweep claims its due rows among them, e.g. "
                          "10000000")
    run.add_argument("--sweep-due", type=int, default=runner.SWEEP_DUE,
                     help=f"due timers of the sweep scenario (default {runner.SWEEP_DUE:,})")
    run.add_argument("--scenario", action="append", choices=runner.SCENARIOS,
                     help="run only these (repeatable; default: all)")
    run.add_argument("--processes", type=int, action="append",
                     help="process counts for single advances (default 1, 2, 4 on PostgreSQL)")
    run.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the JSON goes")
    run.add_argument("--no-write", action="store_true", help="print the JSON, write nothing")
    run.add_argument("--merge", action="store_true",
                     help="replace only the scenarios run in the day's file of this database "
                          "(same --size); the others keep their measurement")
    run.add_argument("--rounds", type=int, default=1,
                     help="interleaved rounds of engine and floors (ratios: their median)")
    for kind, url in (("postgresql", DEFAULT_POSTGRESQL), ("sqlite", "sqlite://")):
        one = commands.add_parser(kind, help=f"the whole suite on {kind} (default --size "
                                  f"{DEFAULT_SIZE:,}), with a progress bar")
        one.add_argument("--db", default=url, metavar="URL",
                         help=f"default {url}" + (" (or $CEE_BENCH_DATABASE_URL)"
                                                  if kind == "postgresql" else ""))
        one.add_argument("--size", type=int, default=DEFAULT_SIZE)
        one.add_argument("--rounds", type=int, default=1)
        one.add_argument("--out", type=Path, default=DEFAULT_OUT)
    readme = commands.add_parser("readme", help="regenerate the README's Performance table")
    readme.add_argument("--results", type=Path, default=DEFAULT_OUT)
    readme.add_argument("--readme", type=Path, default=runner.ROOT / "README.md")
    args = parser.parse_args(argv)
    if args.command in ("postgresql", "sqlite"):
        return _one_database(args)
    if args.command == "run" and args.pending and args.db.startswith("sqlite"):
        parser.error("--pending pads the pending deadlines on PostgreSQL only")
    if args.command == "run" and args.merge and args.no_write:
        parser.error("--merge writes into the day's file; it cannot go with --no-write")
    if args.command == "readme":
        report.update_readme(args.readme, args.results)
        print(f"updated {args.readme}")
        return 0
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{runner.elapsed_since(started)}] {message}", file=sys.stderr, flush=True)

    results = runner.run(args.db, args.size, scenarios=tuple(args.scenario or runner.SCENARIOS),
                         out=None if args.no_write else args.out, background=args.background,
                         processes=tuple(args.processes) if args.processes else None,
                         merge=args.merge, rounds=args.rounds, log=log,
                         national=args.national, sweep_due=args.sweep_due,
                         pending=args.pending)
    for record in results["scenarios"]:
        print(report.line(record))
    return 0


def _one_database(args) -> int:
    """The suite on one database at its defaults, a progress bar on stderr."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    total = runner.steps(args.command, runner.SCENARIOS, None, args.rounds)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(f"{args.command} {args.size:,} entries", total=total)

        def tick(label: str) -> None:
            bar.update(task, advance=1, description=f"{args.command}: {label}")

        results = runner.run(args.db, args.size, out=args.out, rounds=args.rounds,
                             log=lambda message: bar.console.print(message, markup=False,
                                                                   highlight=False),
                             tick=tick)
    for record in results["scenarios"]:
        print(report.line(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
