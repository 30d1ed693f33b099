"""Reproducible performance runs of cee-workflow (not tests): engine next to the raw-SQL floor.

    python -m benchmarks run --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres --size N
    python -m benchmarks run --db sqlite:// --size N
    python -m benchmarks readme            # the README's Performance table from results/*.json
"""
