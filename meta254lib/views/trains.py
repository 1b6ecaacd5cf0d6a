"""Release trains for display: headline, summary and per-train tables, and a Markdown document.

Every value from the trains file or the catalog goes through :func:`~meta254lib.views.escape.md_escape`
before it reaches Markdown.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..remediation.trains import TrainsResult
from .escape import is_missing, md_escape

__all__ = ["train_gates_table", "trains_headline", "trains_markdown", "trains_table"]

_SUMMARY = [
    "train",
    "status",
    "verdict",
    "blocked_by",
    "not_assessed",
    "participants",
    "unresolved",
    "waves",
    "estimated_duration",
    "declared_duration",
    "items",
]


def _cell(v: Any) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k}: {'n/a' if is_missing(x) else x}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v))
    return "" if is_missing(v) else str(v)


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    return df.apply(lambda col: col.map(_cell)) if len(df) else df


def trains_headline(result: TrainsResult) -> str:
    """One sentence: how many trains are ready, blocked or not assessed.

    Examples
    --------
    >>> r = TrainsResult(*(pd.DataFrame({"train": ["a", "b"], "verdict": ["ready", "blocked"]}),) * 7)
    >>> trains_headline(r)
    '2 release train(s): 1 ready, 1 blocked, 0 not assessed'
    """
    v = result.trains["verdict"].value_counts() if len(result.trains) else pd.Series(dtype="int64")
    return (
        f"{len(result.trains)} release train(s): {int(v.get('ready', 0))} ready, "
        f"{int(v.get('blocked', 0))} blocked, {int(v.get('not assessed', 0))} not assessed"
    )


def trains_table(result: TrainsResult) -> pd.DataFrame:
    """One display row per train (lists joined with commas)."""
    return _flat(result.trains[[c for c in _SUMMARY if c in result.trains.columns]])


def train_gates_table(result: TrainsResult, train: str | None = None) -> pd.DataFrame:
    """The gates (of one train, or all) with per-participant values shown as ``name: value``."""
    g = result.gates if train is None else result.gates[result.gates["train"] == train]
    cols = ["train", "gate", "type", "required", "status", "rule", "values", "failing", "decided_by"]
    return _flat(g[cols].reset_index(drop=True))


def _md_table(df: pd.DataFrame) -> list[str]:
    if not len(df):
        return ["(none)", ""]
    flat = _flat(df)
    lines = ["| " + " | ".join(md_escape(c) for c in flat.columns) + " |", "|" + "---|" * len(flat.columns)]
    lines += ["| " + " | ".join(md_escape(v) for v in row) + " |" for row in flat.itertuples(index=False)]
    return [*lines, ""]


def _of(df: pd.DataFrame, train: str, cols: list[str]) -> pd.DataFrame:
    return df.loc[df["train"] == train, cols].reset_index(drop=True)


def trains_markdown(result: TrainsResult, *, heading: str = "#") -> str:
    """The trains as GitHub Markdown: a summary table, then one section per train.

    Examples
    --------
    >>> empty = TrainsResult(*(pd.DataFrame(columns=["train", "verdict"]),) * 7)
    >>> print(trains_markdown(empty).splitlines()[0])
    # Release trains
    """
    e = md_escape
    lines = [f"{heading} Release trains", "", trains_headline(result) + ".", ""]
    lines += [f"- {e(v)}" for v in result.sources.values()] + ([""] if result.sources else [])
    if not len(result.trains):
        return "\n".join([*lines, "No release trains in the workspace.", ""])
    lines += _md_table(trains_table(result))
    for row in result.trains.to_dict("records"):
        t = row["train"]
        lines += [f"{heading}# {e(t)}: {e(row['verdict'])}", ""]
        lines += [f"- blocked by: {e(b)}" for b in row["blocked_by"]]
        lines += [f"- not assessed: {e(b)}" for b in row["not_assessed"]]
        lines += [f"- estimated {e(row['estimated_duration'])} (declared: {e(row['declared_duration'] or 'none')})", ""]
        lines += [
            "**Participants**",
            "",
            *_md_table(_of(result.participants, t, ["name", "service", "domain", "error"])),
        ]
        cols = ["requirement", "status", "pinned_by", "blockers", "registry_latest", "note"]
        lines += ["**Spec requirements**", "", *_md_table(_of(result.requirements, t, cols))]
        gates = train_gates_table(result, t).drop(columns="train")
        lines += ["**Gates**", "", *_md_table(gates)]
        seq = _of(result.sequence, t, ["wave", "services", "start_minute", "minutes", "warning"])
        lines += ["**Release sequence** (roll back in reverse)", "", *_md_table(seq)]
        items = _of(result.items, t, ["item", "service", "subject", "current", "target", "meets_requirement"])
        lines += ["**Plan items carried** (escalated to L2 coordination)", "", *_md_table(items)]
    if len(result.findings):
        lines += [f"{heading}# File findings", "", *_md_table(result.findings)]
    return "\n".join(lines).rstrip("\n") + "\n"
