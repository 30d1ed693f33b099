"""`deadlines forecast` agrees with the scheduler whatever its horizon (both databases).

The forecast is read once; then the sweep runs day by day (noon Eastern, the injected clock) to
the furthest horizon. For every horizon, what the forecast foresaw by then — each warning,
escalation, fire and blocked fire, on its day — is exactly what the sweeps did by then; and
every blocked verdict gives its reason. (One case's transition changing another's timers — an
protest's closing re-arming its entry's finalization — is not followed by the
forecast: workflow/forecast.py says so; the scenario here has no such pair.)
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from test_deadlines import _accepted, _extended, _liquidated, _scheduled, midnight

from cee_workflow.states.calendar import legal_date

HORIZONS = ("2025-03-20", "2025-06-10", "2025-09-01", "2026-01-08")


def _foreseen(forecast: list[dict], by: date) -> Counter:
    acts = Counter()
    for f in forecast:
        day = legal_date(datetime.fromisoformat(f["at"]))
        if day <= by:
            what = f["would"] if f["would"].split()[0] in ("blocked", *_STAGES) else "fire"
            acts[f["case"], f["timer"] if what in _STAGES else f["would"].split()[-1],
                 what, day] += 1
    return acts


_STAGES = ("warning", "overdue", "director")


def _swept(engine, first: date, last: date) -> Counter:
    acts = Counter()
    day = first
    while day <= last:
        noon = midnight(day.isoformat()) + timedelta(hours=12)
        result = engine.sweep(noon)
        for line in result.escalated:
            case, timer, stage = line.split()
            acts[case, timer, stage, day] += 1
        for line in result.fired:
            case, action = line.split()
            acts[case, action, "fire", day] += 1
        for line in result.blocked:
            case, action = line.split(":")[0].split()
            acts[case, action, f"blocked {action}", day] += 1
        day += timedelta(days=1)
    return acts


def test_the_forecast_over_any_horizon_is_what_the_sweeps_then_do(cast, engine):
    cases = [cast.entry().id, _extended(cast, engine), _scheduled(cast, engine),
             _liquidated(cast, engine), _accepted(cast, engine)]
    start = legal_date(cast.clock.now())
    last = date.fromisoformat(HORIZONS[-1])
    def state():
        return [(engine.get(c).version, [(d.timer, d.status, d.level)
                                          for d in engine.deadlines(c)]) for c in cases]

    before = state()
    forecasts = {h: engine.forecast(midnight(h) + timedelta(days=1, microseconds=-1))
                 for h in HORIZONS}
    assert all(f.get("why") for fc in forecasts.values() for f in fc
               if f["would"].startswith("blocked"))
    assert state() == before  # the forecast wrote nothing
    swept = _swept(engine, start, last)
    for horizon, forecast in forecasts.items():
        by = date.fromisoformat(horizon)
        done = Counter({act: n for act, n in swept.items() if act[3] <= by})
        assert _foreseen(forecast, by) == done, horizon
    assert len({c for c, *_ in swept}) >= 3  # the scenario exercises the sweep
    assert any(what.startswith("blocked") for _, _, what, _ in swept)
    assert any(what == "fire" for _, _, what, _ in swept)


def test_a_fire_that_changes_other_cases_says_so(cast, engine):
    from test_deadlines import _accelerated

    protest = _accelerated(cast, engine)  # deemed denied, then closed: the entry's finality
    fires = {f["would"]: f for f in engine.forecast(midnight("2026-01-08"))  # re-arms
             if f["case"] == protest and f["would"] not in _STAGES}
    assert set(fires) == {"deem_denied", "close"}
    assert "liquidation" in fires["close"]["affects"] and "affects" not in fires["deem_denied"]
