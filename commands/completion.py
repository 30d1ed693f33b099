"""`cee completion bash|zsh|fish`: the shell script that completes cee's commands and options
(click's shell completion: the script calls `cee` back with _CEE_COMPLETE set)."""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")


def register(cee: click.Group) -> None:
    @cee.command("completion")
    @click.argument("shell", type=click.Choice(SHELLS))
    def completion(shell):
        """Print the completion script for SHELL; load it from your shell's start-up file.

        \b
        bash:  eval "$(cee completion bash)"     in ~/.bashrc
        zsh:   eval "$(cee completion zsh)"      in ~/.zshrc
        fish:  cee completion fish > ~/.config/fish/completions/cee.fish
        """
        from click.shell_completion import get_completion_class

        script = get_completion_class(shell)(cee, {}, "cee", "_CEE_COMPLETE").source()
        click.echo(script, nl=not script.endswith("\n"))
