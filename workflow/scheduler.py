"""The ticker: APScheduler 3.x calling `engine.sweep()` at an interval.

APScheduler is only a clock here. The deadlines table is the truth: a missed or coalesced tick
does no harm because the next sweep catches up, and several tickers on one database never fire a
timer twice (the sweep settles each row by compare-and-set). One job, at most one instance at a
time, coalesced, never discarded for lateness.
"""

from __future__ import annotations

import json
import logging
import signal
import time
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


def background(engine, interval: float, checkpoints: Checkpoints | None = None):
    """A started BackgroundScheduler sweeping every `interval` seconds (for embedding apps)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=UTC)
    _add_sweep_job(scheduler, engine, interval, checkpoints)
    scheduler.start()
    return scheduler


def run_blocking(engine, interval: float, checkpoints: Checkpoints | None = None) -> None:
    """Sweep every `interval` seconds until SIGTERM or SIGINT; finish the running sweep first."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    if checkpoints is not None:
        checkpoints.check()
    scheduler = BlockingScheduler(timezone=UTC)
    _add_sweep_job(scheduler, engine, interval, checkpoints)

    def stop(signum, _frame):
        log.info(json.dumps({"event": "stop", "signal": signal.Signals(signum).name}))
        # The sweep in flight runs in a worker thread: wait for its transaction to finish.
        scheduler.shutdown(wait=True)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info(json.dumps({"event": "start", "interval_seconds": interval}))
    try:
        scheduler.start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info(json.dumps({"event": "stopped"}))
