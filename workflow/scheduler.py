"""The ticker: APScheduler 3.x calling `engine.sweep()` at an interval.

APScheduler is only a clock here. The deadlines table is the truth: a missed or coalesced tick
does no harm because the next sweep catches up, and several tickers on one database never fire a
timer twice (the sweep settles each row by compare-and-set). One job, at most one instance at a
time, coalesced, never discarded for lateness.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

log = logging.getLogger("cee.scheduler")
JOB_ID = "cee-sweep"


@dataclass
class Checkpoints:
    """Write a signed checkpoint (workflow/checkpoint.py) to `directory` with `key` once
    `every` seconds of the engine's clock have passed since the last one (the first at once),
    after a sweep."""

    directory: str
    key: str
    every: float
    last: datetime | None = None

    def check(self) -> None:
        """Refuse a key that cannot sign (unreadable, readable by others, not Ed25519) now,
        not at the first checkpoint."""
        from cee_workflow.workflow.checkpoint import load_private_key

        load_private_key(self.key)

    def maybe_write(self, engine) -> str | None:
        now = engine.clock.now()
        if self.last is not None and (now - self.last).total_seconds() < self.every:
            return None
        path = engine.checkpoint(self.key, self.directory)
        self.last = now
        log.info(json.dumps({"event": "checkpoint", "path": path}))
        return path


def _sweep_job(engine, checkpoints: Checkpoints | None = None) -> None:
    started = time.perf_counter()
    try:
        result = engine.sweep()
    except Exception:  # a failed pass must not stop the ticker; the next one retries
        log.exception("sweep failed")
        return
    counts = {k: len(v) if isinstance(v, list) else v for k, v in result.to_dict().items()}
    log.info(json.dumps({"event": "sweep", **counts,
                         "seconds": round(time.perf_counter() - started, 3)}))
    if checkpoints is not None:
        try:
            checkpoints.maybe_write(engine)
        except Exception:  # the next tick tries again
            log.exception("checkpoint failed")


def _add_sweep_job(scheduler, engine, interval: float,
                   checkpoints: Checkpoints | None = None) -> None:
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler.add_job(_sweep_job, IntervalTrigger(seconds=interval),
                      args=[engine, checkpoints], id=JOB_ID,
                      max_instances=1, coalesce=True, misfire_grace_time=None,
                      next_run_time=datetime.now(UTC))


def _executor(probe: Callable[[str], None] | None):
    """The thread pool the sweep runs in; `probe(moment)` (tests only) is called just before a
    job is handed to the pool ("before-submit") and inside the hand-over, with the executor's
    lock held ("submitting")."""
    from apscheduler.executors.pool import ThreadPoolExecutor

    class Executor(ThreadPoolExecutor):
        def submit_job(self, job, run_times):
            probe("before-submit")
            super().submit_job(job, run_times)

        def _do_submit_job(self, job, run_times):
            probe("submitting")
            super()._do_submit_job(job, run_times)

    return Executor(max_workers=1) if probe else ThreadPoolExecutor(max_workers=1)


def background(engine, interval: float, checkpoints: Checkpoints | None = None, *,
               probe: Callable[[str], None] | None = None):
    """A started BackgroundScheduler sweeping every `interval` seconds (for embedding apps)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=UTC, executors={"default": _executor(probe)})
    _add_sweep_job(scheduler, engine, interval, checkpoints)
    scheduler.start()
    return scheduler


def run_blocking(engine, interval: float, checkpoints: Checkpoints | None = None, *,
                 probe: Callable[[str], None] | None = None) -> None:
    """Sweep every `interval` seconds until SIGTERM or SIGINT; finish the running sweep first.

    The sweeps run in APScheduler's background thread; the main thread waits on a pipe. The
    signal handler only records the signal and writes one byte to the pipe (no lock, no
    logging: it may interrupt the main thread anywhere), and the main thread then shuts the
    scheduler down, outside the handler. A second signal during the shutdown is recorded and
    changes nothing. `probe` (tests only): see `_executor`; it is also called with "waiting"
    once the ticker is ready for signals.
    """
    if checkpoints is not None:
        checkpoints.check()
    received: list[int] = []
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)

    def on_signal(signum, _frame):
        received.append(signum)
        with contextlib.suppress(OSError):  # a full pipe: the main thread is woken already
            os.write(wake_write, b"s")

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    # A signal may be delivered to any thread: the C-level handler then writes to the wakeup
    # fd, which wakes the main thread's read (the Python handler alone would not).
    previous_wakeup = signal.set_wakeup_fd(wake_write)
    scheduler = None
    try:
        log.info(json.dumps({"event": "start", "interval_seconds": interval}))
        scheduler = background(engine, interval, checkpoints, probe=probe)
        if probe:
            probe("waiting")
        while not received:  # the wakeup byte may come before the handler has run; its own
            os.read(wake_read, 1)  # byte then wakes the next read
        log.info(json.dumps({"event": "stop", "signal": signal.Signals(received[0]).name}))
    finally:
        if scheduler is not None:
            # The sweep in flight runs in the worker thread: wait for its transaction to end.
            scheduler.shutdown(wait=True)
        signal.set_wakeup_fd(previous_wakeup)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(wake_read)
        os.close(wake_write)
        log.info(json.dumps({"event": "stopped"}))
