"""A `cee` subprocess whose output lines a test reads as they come (tail --follow, the relay)."""

from __future__ import annotations

import os
import queue
import subprocess
import threading

from cli_harness import COMMAND

LINE_TIMEOUT = 60  # a line that never comes fails the test instead of hanging it


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEE_")}
    return {**env, **extra}


class Process:
    """`cee ARGS…` with stdout and stderr read line by line in threads."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.argv = [*COMMAND, *args]
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env or environment())
        self.stdout: queue.Queue[str | None] = queue.Queue()
        self.stderr_lines: list[str] = []
        self.stderr: queue.Queue[str | None] = queue.Queue()
        for stream, into in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr)):
            threading.Thread(target=self._pump, args=(stream, into), daemon=True).start()

    @staticmethod
    def _pump(stream, into: queue.Queue) -> None:
        for line in stream:
            into.put(line.rstrip("\n"))
        into.put(None)

    def line(self) -> str:
        """The next stdout line (AssertionError at end of output or after LINE_TIMEOUT)."""
        try:
            line = self.stdout.get(timeout=LINE_TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"no output from {self.argv} in {LINE_TIMEOUT}s") from None
        assert line is not None, f"{self.argv} ended early: {self.finish_stderr()}"
        return line

    def err_line(self) -> str:
        try:
            line = self.stderr.get(timeout=LINE_TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"no stderr from {self.argv} in {LINE_TIMEOUT}s") from None
        assert line is not None, f"{self.argv} ended early"
        self.stderr_lines.append(line)
        return line

    def finish_stderr(self) -> str:
        while True:
            try:
                line = self.stderr.get(timeout=LINE_TIMEOUT)
            except queue.Empty:
                break
            if line is None:
                break
            self.stderr_lines.append(line)
        return "\n".join(self.stderr_lines)

    def wait(self) -> tuple[int, list[str], str]:
        """Exit code, the stdout lines not read yet, all of stderr."""
        code = self.proc.wait(timeout=LINE_TIMEOUT)
        rest = []
        while (line := self.stdout.get(timeout=LINE_TIMEOUT)) is not None:
            rest.append(line)
        return code, rest, self.finish_stderr()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=LINE_TIMEOUT)
