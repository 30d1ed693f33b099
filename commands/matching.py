"""Forgiving, exact matching of what an officer types (issue #13 item 2).

Case ids in any case, with or without dashes (`lq11272966778` is `LQ-11272966778`); kinds,
triggers, states and every choice in any case with `-` for `_` (`prior-disclosure`, `CTPAT`,
`auto-schedule`); an unknown command or choice gets "did you mean …" and the valid values,
exit 2. Matching only spells a name the way the rulebooks do: whether it is allowed is the
engine's decision.
"""

from __future__ import annotations

import re

import click

from cee_workflow.workflow.suggest import did_you_mean, folded, match, nearest

_CASE_ID = re.compile(r"([A-Za-z]{2})[-\s]*([0-9][0-9\s-]*)")


def case_id(text: str) -> str:
    """`lq-1127…`, `LQ1127…`, ` Lq-1127-2966778 ` → `LQ-11272966778`; anything else as typed
    (the engine then says it is not found)."""
    found = _CASE_ID.fullmatch(text.strip())
    if not found:
        return text.strip()
    digits = re.sub(r"[-\s]", "", found[2])
    return f"{found[1].upper()}-{digits}"


def name(text: str) -> str:
    """A trigger or state as the rulebooks spell them: lower case, `_` between words."""
    return folded(text)


class CaseId(click.ParamType):
    name = "CASE"

    def convert(self, value, param, ctx):
        return case_id(value) if isinstance(value, str) else value


class RulebookName(click.ParamType):
    """A trigger or state name, spelled forgivingly; the engine checks it exists."""

    name = "NAME"

    def convert(self, value, param, ctx):
        return name(value) if isinstance(value, str) else value


class ForgivingChoice(click.Choice):
    """A choice in any case, `-` for `_`; a miss names the nearest choice and every one."""

    def convert(self, value, param, ctx):
        if isinstance(value, str):
            found = match(value, [str(c) for c in self.choices])
            if found is not None:
                return found
            choices = [str(c) for c in self.choices]
            close = nearest(value, choices)
            self.fail(f"{value!r} is not one of {', '.join(map(repr, choices))}"
                      + (f"; did you mean {' or '.join(close)}?" if close else ""), param, ctx)
        return super().convert(value, param, ctx)


class ForgivingGroup(click.Group):
    """Subcommands in any case; an unknown one gets "did you mean" and the list, exit 2."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            found = match(args[0], self.commands)
            if found is not None:
                args = [found, *args[1:]]
            else:
                path = ctx.command_path
                raise click.UsageError(f"{path} has no command {args[0]!r}" + did_you_mean(
                    args[0], sorted(self.commands), what="commands"), ctx)
        return super().resolve_command(ctx, args)


RULEBOOK_NAMES = ("trigger", "state", "help_trigger", "kind")


def make_forgiving(command: click.Command) -> None:
    """Swap, in place, a command's choices for forgiving ones, its CASE argument for the
    case-id spelling, its TRIGGER/--state for the rulebook spelling, and a group's class."""
    if isinstance(command, click.Group) and not isinstance(command, ForgivingGroup):
        command.__class__ = type(f"Forgiving{type(command).__name__}",
                                 (ForgivingGroup, type(command)), {})
    for param in command.params:
        if isinstance(param.type, click.Choice) and not isinstance(param.type,
                                                                   ForgivingChoice):
            choice = ForgivingChoice(param.type.choices, case_sensitive=False)
            param.type = choice
        elif param.name in ("case_id",) and param.type is click.STRING:
            param.type = CaseId()
        elif param.name in RULEBOOK_NAMES and param.type is click.STRING:
            param.type = RulebookName()
