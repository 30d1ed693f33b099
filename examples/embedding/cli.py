"""The host application's own `cli` module: it does not replace the `cee` command."""

from __future__ import annotations


def main() -> None:
    print("hostapp cli")
