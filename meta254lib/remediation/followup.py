"""Plan claims made true: what the simulation leaves open gets a follow-up item, or leaves the claim.

An item says which drift issues it closes. :func:`with_follow_ups` applies every item's edit to a
copy of the workspace (:mod:`~meta254lib.remediation.verify`), runs drift detection again and, for
each claimed issue that is still there (a security fix to the lowest fixing version that leaves the
pin a major behind keeps the lag's id: the type family is the same), moves the claim to a follow-up
item planned from the issue as the simulation leaves it (from the version the first item reaches).
The first item then lists the issue under ``leaves_open`` and names the follow-up. Up to three rounds
are run; a claim still false after them is dropped, with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from ..core.columns import SERVICE
from ..drift.inputs import DriftInputs
from ..drift.policy import DriftPolicy
from .classify import group_key
from .fmt import text as _text
from .items import follow_up_item
from .lookups import PlanFacts
from .verify import simulate_plan, verify_plan

__all__ = ["with_follow_ups"]

_Item = dict[str, Any]
_ROUNDS = 3


def with_follow_ups(
    items: Sequence[_Item],
    facts: PlanFacts,
    drift: DriftInputs,
    as_of: pd.Timestamp,
    policy: DriftPolicy | None = None,
) -> tuple[list[_Item], list[str]]:
    """The items with every "closes" claim true after simulation, follow-ups added; and warnings.

    Parameters
    ----------
    items : sequence of dict
        Plan items before waves and scheduling (with ``issue_ids``, ``_closes``).
    facts : PlanFacts
    drift : DriftInputs
        The workspace tables the plan was made from.
    as_of : Timestamp
    policy : DriftPolicy, optional

    Returns
    -------
    (items, warnings)
    """
    out = [dict(it) for it in items]
    warnings: list[str] = []
    for _ in range(_ROUNDS):
        false = _false_claims(out, drift, as_of, policy)
        if not len(false):
            return out, warnings
        after = simulate_plan(out, drift, as_of, policy).issues.set_index("id", drop=False)
        out, dropped = _add_follow_ups(out, false, after, facts)
        warnings += dropped
    out, dropped = _drop_false_claims(out, _false_claims(out, drift, as_of, policy))
    return out, warnings + dropped


def _false_claims(items: Sequence[_Item], drift: DriftInputs, as_of: pd.Timestamp, policy: Any) -> pd.DataFrame:
    claims = verify_plan(items, drift, as_of, policy)
    return claims[claims["simulated"] & ~claims["closed"]]


def _moved(it: _Item, left: tuple[str, ...], follow_up: str) -> _Item:
    """The item without the claims in ``left``, which it now lists as left open (for ``follow_up``)."""
    return {
        **it,
        "issue_ids": tuple(i for i in it["issue_ids"] if i not in left),
        "_closes": tuple(i for i in it["_closes"] if i not in left),
        "leaves_open": tuple(sorted({*it.get("leaves_open", ()), *left})),
        "follow_up": follow_up,
    }


def _rec(row: pd.Series) -> dict[str, Any]:
    rec = row.to_dict()
    for c in ("subject", "current", "expected", "reason", "advisory_ids", "category"):
        rec[c] = _text(rec.get(c))
    return rec


def _add_follow_ups(
    items: list[_Item], false: pd.DataFrame, after: pd.DataFrame, facts: PlanFacts
) -> tuple[list[_Item], list[str]]:
    """Each item with false claims hands them to one follow-up item (when one can edit something)."""
    by_id = {it["id"]: k for k, it in enumerate(items)}
    known = set(by_id)
    out, dropped = list(items), []
    for item_id, grp in false.groupby("item", sort=True):
        it = out[by_id[item_id]]
        left = tuple(sorted(set(grp["issue_id"])))
        recs = [_rec(after.loc[i]) for i in left if i in after.index]
        fu = None
        if recs and it["target"]:
            kind, subject = group_key(recs[0])
            fu = follow_up_item((it[SERVICE], kind, subject or it["subject"]), recs, _facts_after(facts, it), it["id"])
        if fu is None or fu["id"] in known or not fu["_closes"]:  # nothing a follow-up could close
            out[by_id[item_id]] = _moved(it, left, "")
            dropped.append(_warning(it, left))
            continue
        out[by_id[item_id]] = _moved(it, left, fu["id"])
        out.append(fu)
        known.add(fu["id"])
    return out, dropped


def _warning(it: _Item, left: tuple[str, ...]) -> str:
    return (
        f"{it['id']} ({it[SERVICE]} {it['subject'] or it['action']}): its change leaves {', '.join(left)} open "
        "and no planned item closes it"
    )


def _facts_after(facts: PlanFacts, it: _Item) -> PlanFacts:
    """The plan's facts with the item's pin moved to its target (a follow-up starts from there)."""
    s, subject, target = it[SERVICE], it["subject"], it["target"]
    if not target or subject not in facts.pins.get(s, {}):
        return facts
    pins = {**facts.pins, s: {**facts.pins[s], subject: target}}
    return replace(facts, pins=pins)


def _drop_false_claims(items: list[_Item], false: pd.DataFrame) -> tuple[list[_Item], list[str]]:
    """Claims still false after every round leave the item's claims, with a warning."""
    warnings = []
    out = list(items)
    by_id = {it["id"]: k for k, it in enumerate(out)}
    for item_id, grp in false.groupby("item", sort=True):
        it = out[by_id[item_id]]
        left = tuple(sorted(set(grp["issue_id"])))
        out[by_id[item_id]] = _moved(it, left, it.get("follow_up", ""))
        warnings.append(_warning(it, left))
    return out, warnings
