"""`cee scheduler run` stops cleanly on a signal at any moment (issue #14, item 6).

The ticker's signal handler only records the signal; the main thread shuts the scheduler down
outside it. Each moment is reached by the ticker's `probe` hook, which sends the signal from
the scheduler's thread at that exact point (the handler runs on the main thread, as it does in
`cee scheduler run`): just before the sweep is handed to the pool, inside the hand-over with the
executor's lock held, and during a sweep — each once and twice (a second signal during the
shutdown). Then a real `cee scheduler run` subprocess gets SIGTERM twice, and SIGINT then
SIGTERM. Every run must return normally, log stop and stopped, and leave the audit trail whole.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

import pytest
from sweep_population import TICKER_INSTANT, population
from test_scheduler import log_events, start_ticker, stop_ticker, wait_until

from cee_workflow.workflow import scheduler as ticker

MOMENTS = ["before-submit", "submitting", "sweeping"]


def run_with_signals(engine, moment: str, signals: list[int]) -> list[str]:
    """`run_blocking` on this (the main) thread, signalled at `moment`; the log's events."""
    sent = threading.Event()
    events: list[str] = []

    def fire(at: str) -> None:
        if at == moment and not sent.is_set():
            sent.set()
            for signum in signals:
                os.kill(os.getpid(), signum)

    sweep = engine.sweep

    def probed_sweep(*args, **kwargs):
        fire("sweeping")
        return sweep(*args, **kwargs)

    engine.sweep = probed_sweep
    handler = _Collect(events)
    level = ticker.log.level
    ticker.log.addHandler(handler)
    ticker.log.setLevel(logging.INFO)
    try:
        ticker.run_blocking(engine, 3600, probe=fire)
    finally:
        ticker.log.removeHandler(handler)
        ticker.log.setLevel(level)
        del engine.sweep
    assert sent.is_set()
    return events


class _Collect(logging.Handler):
    def __init__(self, into: list[str]):
        super().__init__(logging.DEBUG)
        self.into = into

    def emit(self, record) -> None:
        self.into.append(record.getMessage())


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("signals", [[signal.SIGTERM], [signal.SIGTERM, signal.SIGTERM],
                                     [signal.SIGINT, signal.SIGTERM]],
                         ids=["once", "twice", "int-then-term"])
def test_a_signal_at_any_moment_stops_the_ticker_cleanly(cast, engine, clock, moment,
                                                         signals):
    population(cast, engine, 3)
    clock.set(TICKER_INSTANT)
    lines = run_with_signals(engine, moment, signals)
    documents = log_events("\n".join(lines))
    names = [d.get("event") for d in documents]
    assert names[0] == "start" and names[-1] == "stopped", lines
    assert {"event": "stop", "signal": signal.Signals(signals[0]).name} in documents
    assert not any("failed" in line or "Error" in line for line in lines), lines
    # The previous handlers are back: pytest's own SIGINT handler, the default SIGTERM.
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert engine.verify_audit().ok


@pytest.mark.parametrize("second", [signal.SIGTERM, signal.SIGINT])
def test_the_ticker_subprocess_stops_with_exit_0_on_two_signals(cast, engine, db_url, tmp_path,
                                                                second):
    population(cast, engine, 2)
    log = tmp_path / "ticker.log"
    process = start_ticker(db_url, log)
    wait_until(lambda: '"event": "sweep"' in log.read_text(), "the ticker sweeping",
               [process], [log])
    process.send_signal(second)
    text = stop_ticker(process, log)  # SIGTERM, then exit 0, no traceback
    assert "unexpected" not in text and "SchedulerNotRunningError" not in text, text
    events = [d.get("event") for d in log_events(text)]
    assert events[-1] == "stopped", events
    assert engine.verify_audit().ok
