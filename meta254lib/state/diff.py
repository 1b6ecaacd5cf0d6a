"""What changed between two analysis states: two workspaces, or one workspace at two as-of dates.

Services, edges, pins, exemptions, quality scores and open drift issues, each row saying what was
``added``, ``removed`` or ``changed`` with the value before and after.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from ..core.columns import DOMAIN, MATURITY, SERVICE, SPEC, TEAM, VERSION
from .analysis import AnalysisState

__all__ = ["DIFF_COLUMNS", "diff_states", "diff_summary"]

#: Columns of :func:`diff_states`.
DIFF_COLUMNS = ("kind", "key", "change", "before", "after")
_KINDS = ("service", "edge", "pin", "exemption", "score", "drift")


def _services(state: AnalysisState) -> dict[str, str]:
    s = state.ws.services
    cols = [TEAM, DOMAIN, MATURITY, VERSION]
    return {str(r[SERVICE]): ", ".join(f"{c} {r[c]}" for c in cols if pd.notna(r[c])) for r in s.to_dict("records")}


def _edges(state: AnalysisState) -> dict[str, str]:
    return {f"{u} -> {v}": str(d.get("relation", "")) for u, v, d in state.ws.graph.edges(data=True)}


def _pins(state: AnalysisState) -> dict[str, str]:
    c = state.ws.contracts
    return {f"{r[SERVICE]} {r[SPEC]}": str(r[VERSION]) for r in c.to_dict("records")}


def _exemptions(state: AnalysisState) -> dict[str, str]:
    e = state.ws.exemptions
    out = {}
    for r in e.to_dict("records"):
        key = f"{r.get(SERVICE)} {r.get('subject') or '(all)'} {r.get('type') or ''}".strip()
        out[key] = f"expires {r.get('expires')}" if pd.notna(r.get("expires")) else "no expiry"
    return out


def _scores(state: AnalysisState) -> dict[str, str]:
    return {str(k): f"{float(v):g}" for k, v in state.quality.scores.items() if pd.notna(v)}


def _drift(state: AnalysisState) -> dict[str, str]:
    counted = state.drift.counted
    return {str(r["id"]): f"{r['severity']}: {r['service']} {r['subject']}" for r in counted.to_dict("records")}


_FACTS: Mapping[str, Callable[[AnalysisState], dict[str, str]]] = {
    "service": _services,
    "edge": _edges,
    "pin": _pins,
    "exemption": _exemptions,
    "score": _scores,
    "drift": _drift,
}


def _compare(kind: str, before: dict[str, str], after: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        change = "added" if a is None else "removed" if b is None else "changed"
        rows.append({"kind": kind, "key": key, "change": change, "before": a or "", "after": b or ""})
    return rows


def diff_states(before: AnalysisState, after: AnalysisState) -> pd.DataFrame:
    """Every fact that differs between two analysis states (:data:`DIFF_COLUMNS`), by kind then key.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> import meta254lib as m
    >>> def ws(services):
    ...     root = pathlib.Path(tempfile.mkdtemp()); (root / "catalog").mkdir()
    ...     _ = (root / "catalog" / "service-index.json").write_text(json.dumps({
    ...         "metadata": {"generated_at": "2025-10-10T00:00:00Z"}, "services": services}))
    ...     return m.analysis_state(m.open_workspace(root))
    >>> a = ws([{"name": "auth", "api_contracts": ["auth-core@1.0.0"]}])
    >>> b = ws([{"name": "auth", "api_contracts": ["auth-core@1.1.0"]}, {"name": "gw"}])
    >>> diff_states(a, b)[["kind", "key", "change"]].values.tolist()
    [['service', 'gw', 'added'], ['pin', 'auth auth-core', 'changed']]
    """
    rows = []
    for kind in _KINDS:
        rows += _compare(kind, _FACTS[kind](before), _FACTS[kind](after))
    return pd.DataFrame(rows, columns=list(DIFF_COLUMNS))


def diff_summary(diff: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Counts of added, removed and changed facts per kind.

    Examples
    --------
    >>> d = pd.DataFrame({"kind": ["pin", "pin", "service"], "change": ["changed", "added", "added"]})
    >>> diff_summary(d)
    {'pin': {'added': 1, 'changed': 1}, 'service': {'added': 1}}
    """
    out: dict[str, dict[str, int]] = {}
    for (kind, change), n in diff.groupby(["kind", "change"]).size().items():
        out.setdefault(str(kind), {})[str(change)] = int(n)
    return out
