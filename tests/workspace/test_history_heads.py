"""``Workspace.history_heads`` and ``workspace_impact`` served from it: the same answers as the full histories.

``workspace_impact`` reads the newest quality snapshot and drift report from the heads when the as-of
date is on or after them (or before any of them), and the full histories otherwise. A proxy without
``history_heads`` forces the full-history path, so both paths are compared on every as-of date.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import svc

from meta254lib.core.clock import history_cutoff
from meta254lib.impact.from_workspace import workspace_impact
from meta254lib.impact.inputs import drift_counts, latest_quality
from meta254lib.workspace import cache as C
from meta254lib.workspace.workspace import open_workspace


def _snapshot(when: str, scores: dict[str, float | None]) -> dict:
    return {
        "metadata": {"generated_at": when},
        "services": {s: ({"score": v} if v is not None else {"grade": "A"}) for s, v in scores.items()},
    }


def _report(when: str, issues: list[tuple[str, bool | None]]) -> dict:
    rows = []
    for i, (service, exempt) in enumerate(issues):
        row = {"type": "version_drift", "severity": "low", "service": service, "description": f"issue {i}"}
        if exempt is not None:
            row["exempt"] = exempt
        rows.append(row)
    return {"metadata": {"generated_at": when}, "issues": rows}


QH = "analysis/historical/quality"
DR = "analysis/reports/drift"
HISTORY = {
    f"{QH}/quality_20250901_000000.json": _snapshot("2025-09-01T00:00:00Z", {"a": 60.0, "b": 70.0, "c": 80.0}),
    f"{QH}/quality_20250915_000000.json": _snapshot("2025-09-15T00:00:00Z", {"a": 65.0, "c": None}),
    # written later on the catalog's day: counts "as of" that day
    f"{QH}/quality_20251010_180000.json": _snapshot("2025-10-10T18:00:00Z", {"a": 90.0, "b": 50.0, "d": 40.0}),
    f"{QH}/quality_broken.json": "{not json",
    f"{DR}/20250902_000000_drift_report.json": _report("2025-09-02T00:00:00Z", [("a", None), ("b", None)]),
    f"{DR}/20251001_000000_drift_report.json": _report(
        "2025-10-01T00:00:00Z", [("a, b", None), ("b", True), ("c", False), ("c", None), ("d", True)]
    ),
    # a report later on the as-of day: the drift counts stop at as_of itself, not at the end of its day
    f"{DR}/20251010_120000_drift_report.json": _report("2025-10-10T12:00:00Z", [("a", None), ("d", None)]),
    f"{DR}/20251005_000000_drift_report.json": {"metadata": {"generated_at": "2025-10-05T00:00:00Z"}, "issues": 3},
}
AS_OF = [
    None,  # the catalog's generated_at, 2025-10-10T00:00:00Z
    "2025-08-01",  # before everything
    "2025-09-01",  # the first snapshot's day
    "2025-09-20",  # between snapshots and between reports
    "2025-10-01T00:00:00Z",  # exactly a report time
    "2025-10-10T11:00:00Z",  # the newest snapshot's day, before the newest report
    "2025-10-10T12:00:00Z",  # exactly the newest report
    "2026-01-01",  # after everything
]


class _FullHistories:
    """The workspace without ``history_heads``: ``workspace_impact`` reads the full histories."""

    def __init__(self, ws):
        self._ws = ws

    def __getattr__(self, name):
        if name == "history_heads":
            raise AttributeError(name)
        return getattr(self._ws, name)


def _assert_same_result(a, b) -> None:
    for name in ("changes", "impacted", "same_domain", "hits"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)
    assert a.summary == b.summary


@pytest.fixture
def history_ws(make_ws) -> Path:
    services = [
        svc("a", maturity="beta"),
        svc("b", dependencies={"internal": ["a"], "external": []}),
        svc("c", dependencies={"internal": ["b"], "external": []}),
        svc("d", dependencies={"internal": ["a"], "external": []}, maturity="experimental"),
    ]
    return make_ws(services, files=HISTORY)


def test_heads_are_the_newest_snapshot_and_report(history_ws):
    ws = open_workspace(history_ws, cache=False)
    heads = ws.history_heads()
    assert [str(t) for t in heads.snapshot_times] == [
        "2025-09-01 00:00:00+00:00",
        "2025-09-15 00:00:00+00:00",
        "2025-10-10 18:00:00+00:00",
    ]
    assert [str(t) for t in heads.report_times] == [
        "2025-09-02 00:00:00+00:00",
        "2025-10-01 00:00:00+00:00",
        "2025-10-10 12:00:00+00:00",
    ]
    assert heads.quality[["service", "score"]].values.tolist() == [["a", 90.0], ["b", 50.0], ["d", 40.0]]
    assert heads.drift_counts.values.tolist() == [["a", 1], ["d", 1]]
    newest = latest_quality(ws.quality_history, "2030-01-01")
    pd.testing.assert_series_equal(latest_quality(heads.quality), newest)


def test_newest_report_counts_exclude_exempt_issues(make_ws):
    chain = {"b": "a", "c": "b"}
    root = make_ws(
        [svc(s, dependencies={"internal": [chain[s]] if s in chain else [], "external": []}) for s in "abc"],
        files={f"{DR}/20251001_000000_drift_report.json": HISTORY[f"{DR}/20251001_000000_drift_report.json"]},
    )
    ws = open_workspace(root, cache=False)
    assert ws.history_heads().drift_counts.values.tolist() == [["a", 1], ["b", 1], ["c", 2]]  # d: only exempt
    r = workspace_impact(ws, ["service:a"])
    assert r.impacted.set_index("service")["drift_issues"].to_dict() == {"b": 1, "c": 2}
    pd.testing.assert_series_equal(
        drift_counts(ws.drift_history, ws.generated_at), drift_counts(ws.drift_history.iloc[::-1])
    )


@pytest.mark.parametrize("as_of", AS_OF)
def test_heads_and_full_histories_agree_for_every_as_of(history_ws, as_of):
    ws = open_workspace(history_ws, cache=False)
    for changes in (["service:a"], ["service:b", "service:d"]):
        fast = workspace_impact(ws, changes, as_of=as_of)
        full = workspace_impact(_FullHistories(ws), changes, as_of=as_of)
        _assert_same_result(fast, full)


def test_the_paths_taken_and_their_values(history_ws):
    ws = open_workspace(history_ws, cache=False)
    by_as_of = {a: workspace_impact(ws, ["service:a"], as_of=a) for a in AS_OF}
    newest = by_as_of[None]
    assert newest.summary["quality_snapshot"] == "2025-10-10T18:00:00+00:00"  # end of the as-of day
    assert newest.summary["drift_source"] == "drift report history"
    # the report of 2025-10-10T12:00 is after as_of (midnight): the 2025-10-01 report counts
    assert newest.impacted.set_index("service")["drift_issues"].to_dict() == {"b": 1, "c": 2, "d": 0}
    scores = newest.impacted.set_index("service")["quality_score"]
    assert scores.dropna().to_dict() == {"b": 50.0, "d": 40.0} and scores.isna().tolist() == [False, False, True]
    early = by_as_of["2025-08-01"]
    assert early.summary["quality_snapshot"] is None and early.summary["drift_source"] == "none"
    assert early.summary["notes"] == [
        "no quality snapshot by the end of the as_of day; the earliest is 2025-09-01T00:00:00+00:00: "
        "quality scores are NA",
        "no drift counts: the drift term of the weight is left out",
    ]
    assert by_as_of["2025-09-20"].summary["quality_snapshot"] == "2025-09-15T00:00:00+00:00"
    assert by_as_of["2025-10-10T12:00:00Z"].impacted.set_index("service")["drift_issues"].to_dict() == {
        "b": 0,
        "c": 0,
        "d": 1,
    }


def test_without_any_history(make_ws):
    root = make_ws([svc("a"), svc("b", dependencies={"internal": ["a"], "external": []})])
    ws = open_workspace(root, cache=False)
    heads = ws.history_heads()
    assert heads.snapshot_times == () and heads.report_times == ()
    assert len(heads.quality) == 0 and len(heads.drift_counts) == 0
    assert list(heads.quality.columns) == ["snapshot_time", "service", "score"]
    fast = workspace_impact(ws, ["service:a"])
    _assert_same_result(fast, workspace_impact(_FullHistories(ws), ["service:a"]))
    assert fast.summary["notes"] == [
        "no quality snapshot in the workspace: quality scores are NA",
        "no drift counts: the drift term of the weight is left out",
    ]


def _session(root: Path, cache: bool):
    """What a notebook does: open, ask for an impact as of the newest data, then look at the warnings and inputs."""
    ws = open_workspace(root, cache=cache)
    result = workspace_impact(ws, ["service:a"], as_of="2025-10-11")
    loaded = {name for name in ("quality_history", "drift_history") if name in ws.__dict__}
    return ws, result, loaded, ws.warnings, ws.inputs


def test_cache_hit_and_miss_give_a_cold_load(history_ws, tmp_path, monkeypatch):
    monkeypatch.delenv(C.ENV_DIR, raising=False)
    monkeypatch.setattr(C, "RACY_SECONDS", 0.0)
    _, cold, _, cold_warnings, cold_inputs = _session(history_ws, cache=False)
    assert {f"{QH}/quality_broken.json", f"{DR}/20251005_000000_drift_report.json"} <= set(cold_warnings["file"])
    first, miss, _, miss_warnings, miss_inputs = _session(history_ws, cache=True)
    assert first.cache_stats["units"]["history_heads"] == "miss"
    second, hit, loaded, hit_warnings, hit_inputs = _session(history_ws, cache=True)
    assert second.cache_stats["units"]["history_heads"] == "hit"
    assert loaded == set()  # the full histories were not needed for the impact
    for result, warnings, inputs in ((miss, miss_warnings, miss_inputs), (hit, hit_warnings, hit_inputs)):
        _assert_same_result(result, cold)
        pd.testing.assert_frame_equal(warnings, cold_warnings, check_exact=True)
        pd.testing.assert_frame_equal(inputs, cold_inputs, check_exact=True)

    # the replayed warnings come where a cold load puts them, before anything read later
    ws = open_workspace(history_ws, cache=True)
    ws.history_heads()
    assert ws.cache_stats["units"]["history_heads"] == "hit"
    assert "quality_history" not in ws.__dict__
    cold_ws = open_workspace(history_ws, cache=False)
    cold_ws.history_heads()
    assert ws._warnings == cold_ws._warnings and ws._rows == cold_ws._rows
    assert ws._files == cold_ws._files


def test_a_new_report_is_seen(history_ws, monkeypatch):
    monkeypatch.delenv(C.ENV_DIR, raising=False)
    _session(history_ws, cache=True)
    src = history_ws / DR / "20251010_120000_drift_report.json"
    shutil.copy(src, src.with_name("20251011_000000_drift_report.json"))
    text = src.with_name("20251011_000000_drift_report.json").read_text(encoding="utf-8")
    src.with_name("20251011_000000_drift_report.json").write_text(
        text.replace("2025-10-10T12:00:00Z", "2025-10-11T00:00:00Z"), encoding="utf-8"
    )
    ws = open_workspace(history_ws, cache=True)
    heads = ws.history_heads()
    assert ws.cache_stats["units"]["history_heads"] == "miss"
    assert str(heads.report_times[-1]) == "2025-10-11 00:00:00+00:00"
    assert history_cutoff("2025-10-11") >= heads.report_times[-1]
    full = workspace_impact(_FullHistories(ws), ["service:a"], as_of="2025-10-11")
    _assert_same_result(workspace_impact(ws, ["service:a"], as_of="2025-10-11"), full)


def test_heads_stored_after_the_histories_were_read_still_replay_their_effects(history_ws, monkeypatch):
    monkeypatch.delenv(C.ENV_DIR, raising=False)
    first = open_workspace(history_ws, cache=True)
    first.quality_history, first.drift_history  # noqa: B018 - read before the heads are computed and stored
    first.history_heads()
    assert first.cache_stats["units"]["history_heads"] == "miss"
    ws = open_workspace(history_ws, cache=True)
    ws.history_heads()
    assert ws.cache_stats["units"]["history_heads"] == "hit"
    cold = open_workspace(history_ws, cache=False)
    cold.history_heads()
    assert len(cold._warnings) == 11  # 9 snapshot rows without metrics, the unreadable snapshot and report
    assert ws._warnings == cold._warnings and ws._rows == cold._rows and ws._files == cold._files
