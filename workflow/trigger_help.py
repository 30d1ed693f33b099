"""Every trigger's inputs as the rulebook declares them (issue #13 item 3): name, type,
choices, default, required, meaning and citation, with the trigger's states and who takes it.
`cee lifecycle show KIND` lists them all; `cee case advance CASE --help-trigger T` one."""

from __future__ import annotations

from typing import Any

from cee_workflow.states.base import LegalDate
from cee_workflow.workflow.advance import lifecycle_of
from cee_workflow.workflow.errors import UnknownTrigger
from cee_workflow.workflow.suggest import did_you_mean


def trigger_inputs(kind: str, trigger: str | None = None) -> list[dict[str, Any]]:
    """One document per (trigger, transition): `from`, `to`, `who`, `citation`, `summary`,
    and its `inputs` (name, type, choices, default, required, help, citation)."""
    lifecycle = lifecycle_of(kind)
    if trigger is not None and not lifecycle.specs_for(trigger):
        raise UnknownTrigger(f"{kind} has no trigger {trigger!r}"
                           + did_you_mean(trigger, lifecycle.triggers, what="triggers"),
                           trigger=trigger)
    result = []
    for name in lifecycle.triggers if trigger is None else (trigger,):
        for spec in lifecycle.specs_for(name):
            result.append({
                "trigger": spec.trigger, "from": list(spec.sources), "to": spec.dest,
                "who": spec.who, "citation": spec.citation, "summary": spec.summary,
                "inputs": [{"name": i.name, "type": i.kind, "choices": list(i.choices),
                            "default": i.default, "required": i.required, "help": i.help,
                            "citation": (i.citation if isinstance(i, LegalDate) and i.citation
                                         else spec.citation)}
                           for i in spec.inputs]})
    return result


def input_rows(documents: list[dict[str, Any]]) -> list[list[str]]:
    """Table rows: trigger, who, input, type, required, default, meaning, rule (one per input;
    a trigger taking none gets one row saying so)."""
    rows, seen = [], set()
    for doc in documents:
        for item in doc["inputs"] or [None]:
            key = (doc["trigger"], item["name"] if item else None)
            if key in seen:
                continue
            seen.add(key)
            if item is None:
                rows.append([doc["trigger"], doc["who"], "(none)", "", "", "", "",
                             doc["citation"]])
                continue
            kind = item["type"] + (f" {'|'.join(item['choices'])}" if item["choices"] else "")
            rows.append([doc["trigger"], doc["who"], item["name"], kind,
                         "yes" if item["required"] else "no",
                         "" if item["default"] is None else str(item["default"]),
                         item["help"], item["citation"]])
    return rows


INPUT_HEADERS = ["trigger", "who", "input", "type", "required", "default", "meaning", "rule"]
