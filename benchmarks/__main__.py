"""`python -m benchmarks run --db URL --size N [--scenario …] [--out DIR]` and `… readme`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks import report, runner

DEFAULT_OUT = Path(__file__).resolve().parent / "results"


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
    run.add_argument("--scenario", action="append", choices=runner.SCENARIOS,
                     help="run only these (repeatable; default: all)")
    run.add_argument("--processes", type=int, action="append",
                     help="process counts for single advances (default 1, 2, 4 on PostgreSQL)")
    run.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the JSON goes")
    run.add_argument("--no-write", action="store_true", help="print the JSON, write nothing")
    run.add_argument("--merge", action="store_true",
                     help="replace only the scenarios run in the day's file of this database "
                          "(same --size); the others keep their measurement")
    readme = commands.add_parser("readme", help="regenerate the README's Performance table")
    readme.add_argument("--results", type=Path, default=DEFAULT_OUT)
    readme.add_argument("--readme", type=Path, default=runner.ROOT / "README.md")
    args = parser.parse_args(argv)
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
                         merge=args.merge, log=log)
    for record in results["scenarios"]:
        print(report.line(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
