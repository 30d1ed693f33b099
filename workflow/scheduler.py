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
from datetime import UTC, datetime

log = logging.getLogger("cee.scheduler")
JOB_ID = "cee-sweep"


def _sweep_job(engine) -> None:
    started = time.perf_counter()
    try:
        result = engine.sweep()
    except Exception:  # a failed pass must not stop the ticker; the next one retries
        log.exception("sweep failed")
        return
    counts = {k: len(v) if isinstance(v, list) else v for k, v in result.to_dict().items()}
    log.info(json.dumps({"event": "sweep", **counts,
                         "seconds": round(time.perf_counter() - started, 3)}))


def _add_sweep_job(scheduler, engine, interval: float) -> None:
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler.add_job(_sweep_job, IntervalTrigger(seconds=interval), args=[engine], id=JOB_ID,
                      max_instances=1, coalesce=True, misfire_grace_time=None,
                      next_run_time=datetime.now(UTC))


def background(engine, interval: float):
    """A started BackgroundScheduler sweeping every `interval` seconds (for embedding apps)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=UTC)
    _add_sweep_job(scheduler, engine, interval)
    scheduler.start()
    return scheduler


def run_blocking(engine, interval: float) -> None:
    """Sweep every `interval` seconds until SIGTERM or SIGINT; finish the running sweep first."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=UTC)
    _add_sweep_job(scheduler, engine, interval)

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
