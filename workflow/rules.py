"""The rules with their dated values and sources, as `cee rules` shows them (reads no database).

The legal numbers come from states/rules.py, the authority regimes of each center from
states/authority.py, the internal targets from the RuleParams fields no rule sets. A value
asked `on` a date is the one in force that day (the date the rule names: entry, filing, act).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any

from cee_workflow.states.authority import DO_14_004_WAVES, regimes_of
from cee_workflow.states.params import DEFAULT_PARAMS, RuleParams
from cee_workflow.states.rules import RULES, UNCONFIRMED
from cee_workflow.workflow.errors import NotFound

INTERNAL = "internal practice (no rule sets it; UNCONFIRMED)"


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _legal(params: RuleParams, on: date | None) -> list[dict[str, Any]]:
    out = []
    for rule in RULES:
        chosen = params.value(rule.name, on)
        out.append({
            "name": rule.name, "kind": "legal", "summary": rule.summary, "unit": rule.unit,
            "by": rule.by,
            "values": [{"since": v.since_text, "value": _text(v.value), "source": v.source,
                        "unconfirmed": v.source.startswith(UNCONFIRMED)} for v in rule.values],
            "in_force": {"on": on.isoformat() if on else None, "value": _text(chosen.value),
                         "since": chosen.since_text, "source": chosen.source},
        })
    return out


def _regimes(params: RuleParams, on: date | None) -> list[dict[str, Any]]:
    out = []
    for center in sorted(DO_14_004_WAVES):
        regimes = regimes_of(center, params.apparel_center_implemented_on)
        values = [{"since": "always" if r.start == date.min else r.start.isoformat(),
                   "value": r.name, "source": r.citation,
                   "unconfirmed": UNCONFIRMED in r.citation} for r in regimes]
        chosen = next((v for v, r in zip(values, regimes, strict=True)
                       if on is not None and r.in_force(on)), values[-1])
        out.append({
            "name": f"authority_regime_{center}", "kind": "regime",
            "summary": f"who holds the trade functions of center {center}'s cases: the port "
                       "alone, shared (center, and the port director), or the center alone",
            "unit": "regime", "by": "the action's date", "values": values,
            "in_force": {"on": on.isoformat() if on else None, **{
                k: chosen[k] for k in ("value", "since", "source")}},
        })
    return out


def _internal(params: RuleParams) -> list[dict[str, Any]]:
    legal = {rule.name for rule in RULES}
    out = []
    for field in fields(RuleParams):
        if field.name in legal:
            continue
        value = _text(getattr(params, field.name))
        out.append({"name": field.name, "kind": "internal", "summary": "internal target or "
                    "lead time", "unit": "", "by": "",
                    "values": [{"since": "always", "value": value, "source": INTERNAL,
                                "unconfirmed": True}],
                    "in_force": {"on": None, "value": value, "since": "always",
                                 "source": INTERNAL}})
    return out


def rules_document(name: str | None = None, on: date | None = None,
                   params: RuleParams = DEFAULT_PARAMS) -> list[dict[str, Any]]:
    """Every rule (or the one called `name`) with its dated values, sources, and the value in
    force `on` a date (None: the latest)."""
    every = _legal(params, on) + _regimes(params, on) + _internal(params)
    if name is None:
        return every
    chosen = [r for r in every if r["name"] == name]
    if not chosen:
        raise NotFound("rule", name, "see `cee rules` for their names")
    return chosen


def listing(document: list[dict[str, Any]]) -> str:
    """The human form: one block per rule, its values oldest first, the one in force marked."""
    blocks = []
    for rule in document:
        lines = [f"{rule['name']}  ({rule['kind']}{', by ' + rule['by'] if rule['by'] else ''})"
                 f"  {rule['summary']}"]
        current = rule["in_force"]
        for value in rule["values"]:
            mark = "*" if (value["since"], value["value"]) == (current["since"],
                                                                current["value"]) else " "
            lines.append(f"  {mark} from {value['since']:<10}  {value['value']!s:<10}  "
                         f"{value['source']}")
        if current["source"] == "RuleParams override":
            lines.append(f"  * overridden: {current['value']}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
