"""Renamed methods keep their old name for one release, warning (DeprecationWarning) on use.

The aliases are invisible to type checkers (defined under `if not TYPE_CHECKING`), so that an
old name in typed code is an error, and a method named after a built-in (`list`, `open`, `set`)
cannot shadow the built-in in the class's annotations.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any


def renamed(old: str, new: Callable[..., Any]) -> Callable[..., Any]:
    """A method `old` that warns and calls `new` (the method it was renamed to)."""

    @functools.wraps(new)
    def alias(self: Any, *args: Any, **kwargs: Any) -> Any:
        cls = type(self).__name__
        warnings.warn(f"{cls}.{old} is deprecated and goes in the next release; use "
                      f"{cls}.{new.__name__}", DeprecationWarning, stacklevel=2)
        return new(self, *args, **kwargs)

    alias.__name__ = alias.__qualname__ = old
    alias.__deprecated__ = f"use {new.__name__}"  # type: ignore[attr-defined]  # PEP 702
    return alias
