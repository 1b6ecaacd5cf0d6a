"""Drift history: spells, flow, backlog, Kaplan–Meier, SLOs and KPIs, hand-computed and on data/sample."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from conftest import svc
from hypothesis import given, settings
from hypothesis import strategies as st

from meta254lib import open_workspace
from meta254lib.core.ids import drift_issue_id
from meta254lib.drift.engine import detect_drift
from meta254lib.drift.flow import backlog, backlog_age, drift_flow
from meta254lib.drift.history import filter_history, history_with_current, issue_spells
from meta254lib.drift.kpis import kaplan_meier, kpis, slo_status, time_to_remediation

AS_OF = "2025-10-10"


def run(make_ws, services, files=None, as_of=AS_OF, **kw):
    ws = open_workspace(make_ws(services=services, files=files))
    return detect_drift(ws, as_of=as_of, **kw)


# --- history: spells, flow, backlog, Kaplan–Meier, SLOs, KPIs (hand-computed) ---------------------


WEEKS = pd.to_datetime(["2025-09-01", "2025-09-08", "2025-09-15", "2025-09-22", "2025-09-29"], utc=True)
#: issue -> (service, type, severity, reports it is in, exempt)
HISTORY = {
    "A": ("s1", "spec_major_lag", "high", (0, 1), False),
    "B": ("s2", "missing_lock", "high", (1, 2, 3, 4), False),
    "C": ("s3", "unknown_event", "medium", (1,), False),
    "D": ("s4", "spec_patch_lag", "low", (2,), False),
    "D2": ("s4", "spec_patch_lag", "low", (4,), False),  # D again, after a week away
    "E": ("s5", "lock_mismatch", "medium", (1, 2, 3, 4), True),
    "F": ("s1", "invalid_version", "error", (3, 4), False),
}
HIST_AS_OF = "2025-10-06"


@pytest.fixture
def history():
    rows_ = []
    for key, (service, kind, sev, reports, exempt) in HISTORY.items():
        for r in reports:
            rows_.append(
                {
                    "report": f"r{r}.json",
                    "report_time": WEEKS[r],
                    "issue_id": key.rstrip("2"),
                    "service": service,
                    "type": kind,
                    "severity": sev,
                    "subject": "",
                    "exempt": exempt,
                }
            )
    return pd.DataFrame(rows_)


def test_spells(history):
    sp = issue_spells(history, HIST_AS_OF)
    got = sp[["issue_id", "spell", "severity", "open", "carried_in", "duration_days"]].values.tolist()
    assert got == [
        ["A", 1, "high", False, True, 14.0],
        ["B", 1, "high", True, False, 28.0],
        ["C", 1, "medium", False, False, 7.0],
        ["D", 1, "low", False, False, 7.0],
        ["F", 1, "medium", True, False, 14.0],  # `error` takes invalid_version's policy severity
        ["D", 2, "low", True, False, 7.0],
    ]
    assert str(sp.loc[0, "resolved_at"]) == "2025-09-15 00:00:00+00:00"


def test_kaplan_meier_by_hand(history):
    km = kaplan_meier([14, 28, 7, 14, 7, 14], [True, False, True, True, False, False])
    assert km[["time", "at_risk", "events", "censored"]].values.tolist() == [
        [0, 6, 0, 0],
        [7, 6, 1, 1],
        [14, 4, 2, 1],
        [28, 1, 0, 1],
    ]
    assert km["survival"].round(6).tolist() == [1.0, round(5 / 6, 6), round(5 / 12, 6), round(5 / 12, 6)]
    ttr = time_to_remediation(history, HIST_AS_OF).set_index("group")
    assert ttr.loc["all", ["issues", "resolved", "censored"]].tolist() == [6, 3, 3]
    # by hand: S(7) = 4/6, S(14) = 4/6 * 2/3 = 4/9, then only censored
    assert ttr.loc["all", ["median_days", "p25_days"]].tolist() == [14.0, 7.0]
    assert np.isnan(ttr.loc["all", "p75_days"])  # the curve never drops to 25 %
    assert ttr.loc["all", "naive_mean_resolved_days"] == pytest.approx(28 / 3)
    assert ttr["median_days"].to_dict() == {"all": 14.0, "high": 14.0, "medium": 7.0, "low": 7.0}


def test_flow_backlog_and_age(history):
    f = drift_flow(history, HIST_AS_OF)
    assert f["week"].dt.strftime("%m-%d").tolist() == ["09-01", "09-08", "09-15", "09-22", "09-29", "10-06"]
    assert f[["carried_in", "new", "resolved", "persisting", "open"]].values.tolist() == [
        [1, 0, 0, 0, 1],
        [0, 2, 0, 1, 3],
        [0, 1, 2, 1, 2],
        [0, 1, 1, 1, 2],
        [0, 1, 0, 2, 3],
        [0, 0, 0, 3, 3],
    ]
    by = drift_flow(history, HIST_AS_OF, by="severity")
    assert by.groupby("severity")["new"].sum().to_dict() == {"high": 1, "low": 2, "medium": 2}
    b = backlog(history, HIST_AS_OF)
    assert b[["high", "medium", "low", "total", "services"]].values.tolist() == [
        [1, 0, 0, 1, 1],
        [2, 1, 0, 3, 3],
        [1, 0, 1, 2, 2],
        [1, 1, 0, 2, 2],
        [1, 1, 1, 3, 3],
    ]
    assert backlog_age(history, HIST_AS_OF).set_index("age")["total"].to_dict() == {
        "0-7 d": 1,
        "8-30 d": 2,
        "31-90 d": 0,
        "91-180 d": 0,
        "> 180 d": 0,
    }


def test_slo_and_kpis(history):
    slo = slo_status(history, HIST_AS_OF)
    assert slo[["issue_id", "age_days", "slo_days", "within_slo", "overdue_days"]].values.tolist() == [
        ["B", 28.0, 7, False, 21.0],
        ["F", 14.0, 30, True, 0.0],
        ["D", 7.0, 14, True, 0.0],
    ]
    k = kpis(history, HIST_AS_OF, services=10).set_index("kpi")
    assert k["value"].round(4).to_dict() == {
        "drift_detection_rate": 0.3,
        "mttr_high_days": 14.0,
        "accumulation_rate": 0.75,
        "resolution_rate": 0.75,
        "net_change_per_month": 2.0,
        "slo_compliance": 0.6667,
    }
    assert k["met"].astype(object).where(k["met"].notna(), None).to_dict() == {
        "drift_detection_rate": False,
        "mttr_high_days": False,
        "accumulation_rate": None,
        "resolution_rate": True,
        "net_change_per_month": False,
        "slo_compliance": None,
    }


def test_kpi_notes_flag_a_change_of_detector(history):
    assert "mixed sources" not in " ".join(kpis(history, HIST_AS_OF)["note"])
    mixed = history.assign(source=np.where(history["report_time"] < WEEKS[3], "platform", "meta254"))
    notes = kpis(mixed, HIST_AS_OF).set_index("kpi")["note"]
    assert notes["accumulation_rate"].endswith(
        "; mixed sources: the window mixes meta254 and platform reports, whose detectors differ (issues that "
        "came or went with the detector are not counted as new or resolved); not judged"
    )


def test_history_with_current_replaces_reports_from_as_of(history, make_ws):
    r = run(make_ws, [svc("s9", api_contracts=["x@bad"])], as_of="2025-09-29")
    h = history_with_current(history, r)
    assert sorted(h["report"].unique()) == [
        "20250929_000000_drift_report.json",
        "r0.json",
        "r1.json",
        "r2.json",
        "r3.json",
    ]
    assert h.loc[h.report.str.startswith("2025"), ["service", "type", "source"]].fillna("-").values.tolist() == [
        ["s9", "invalid_version", "meta254"],
        ["-", "-", "meta254"],  # the report marker
    ]
    # an empty run still resolves what was open before it
    empty = run(make_ws, [svc("s9")], as_of="2025-10-06")
    assert issue_spells(history_with_current(history, empty), "2025-10-06")["open"].sum() == 0


def test_history_with_current_keeps_the_schema_dtypes(history, make_ws):
    # every column leaves with the schema's dtype, whichever parts (history, run, marker) supplied it;
    # an object column here is the slow path the per-part cast exists to avoid
    from meta254lib.core.schema import DRIFT_HISTORY

    r = run(make_ws, [svc("s9", api_contracts=["x@bad"])], as_of="2025-09-29")
    for h in (history_with_current(history, r), history_with_current(None, r)):
        assert list(h.columns) == list(DRIFT_HISTORY.columns)
        assert {c: str(d) for c, d in h.dtypes.items()} == {
            c: str(pd.Series(dtype=d).dtype) for c, d in DRIFT_HISTORY.dtypes.items()
        }
        assert h.index.tolist() == list(range(len(h)))
    assert history_with_current(history, r)["exempt"].tolist()[-2:] == [False, pd.NA]


# --- data/sample: KPI figures against a hand computation for three chosen issues -------------------

_KV = re.compile(r"(\w+)=('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def _raw_issue(item):
    """A platform issue as a dict: dict issues as they are, repr strings read with a regex (no eval)."""
    if isinstance(item, dict):
        return item
    return {k: v[1:-1] for k, v in _KV.findall(item)}


def _hand_reports(root):
    """Every archived report of the workspace: (UTC time, [(service, family, subject, severity)])."""
    out = []
    for path in sorted((root / "analysis" / "reports" / "drift").glob("2*_drift_report.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        when = pd.Timestamp(doc["metadata"]["generated_at"])
        when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
        keys = []
        for item in doc["issues"]:
            i = _raw_issue(item)
            kind = i.get("type", "")
            if kind == "missing_lock":
                keys.append((i["service"], "missing_lock", "", i["severity"]))
            elif kind == "spec_lag":
                keys.append(
                    (i["service"], "spec_lag", re.search(r"pins (\S+)@", i["description"]).group(1), i["severity"])
                )
            elif kind == "event_schema_unknown":
                keys.append((i["service"], "unknown_event", i["current_value"], i["severity"]))
        out.append((when, keys))
    return out


def _hand_km_median(days, closed):
    """Kaplan–Meier by hand: S(t) = product over event times t_i <= t of (1 - d_i / n_i); first t with S <= 1/2."""
    surv = 1.0
    for t in sorted({d for d, c in zip(days, closed, strict=True) if c}):
        at_risk = sum(d >= t for d in days)
        events = sum(d == t and c for d, c in zip(days, closed, strict=True))
        surv *= 1 - events / at_risk
        if surv <= 0.5:
            return t
    return math.nan


def _hand_spells(reports, key):
    """[(start, end or None)] for one (service, family, subject): consecutive runs over the reports."""
    present = [any(k[:3] == key for k in keys) for _, keys in reports]
    spells, start = [], None
    for (when, _), here in zip(reports, present, strict=True):
        if here and start is None:
            start = when
        elif not here and start is not None:
            spells.append((start, when))
            start = None
    if start is not None:
        spells.append((start, None))
    return spells


@pytest.mark.slow
def test_sample_kpis_match_a_hand_computation_for_three_issues(sample):
    reports = _hand_reports(sample)
    as_of = reports[-1][0]
    first = reports[0][0]
    candidates = {}
    for _, keys in reports:
        for k in keys:
            candidates.setdefault(k[1], set()).add(k[:3])
    window = as_of - pd.Timedelta(days=28)

    def spells_of(key):
        return _hand_spells(reports, key)

    # chosen: a lag fixed more than once (the last time within 28 days), a lag that appeared within 28 days
    # and is still open, and a missing lock that was fixed (high severity: the MTTR)
    fixed = next(
        k
        for k in sorted(candidates["spec_lag"])
        if len(spells_of(k)) > 1 and any(e is not None and window < e <= as_of for _, e in spells_of(k))
    )
    new_open = next(
        k for k in sorted(candidates["spec_lag"]) if spells_of(k)[-1][1] is None and spells_of(k)[-1][0] > window
    )
    lock = next(k for k in sorted(candidates["missing_lock"]) if spells_of(k)[-1][1] is not None)
    chosen = [fixed, new_open, lock]
    sev = {"high": "high", "moderate": "medium", "medium": "medium", "low": "low"}
    spells = []  # (key, start, end, severity of its last appearance)
    for key in chosen:
        for start, end in _hand_spells(reports, key):
            last = [
                k[3] for when, keys in reports for k in keys if k[:3] == key and when < (end or as_of + pd.Timedelta(1))
            ]
            spells.append((key, start, end, sev[last[-1]]))
    days = [((end or as_of) - start) / pd.Timedelta(days=1) for _, start, end, _ in spells]
    closed = [end is not None for _, _, end, _ in spells]

    ws = open_workspace(sample)
    ids = {drift_issue_id(s, f, j) for s, f, j in chosen}
    h = filter_history(ws.drift_history, issue_ids=ids)
    sp = issue_spells(h, as_of)
    assert sorted(sp["duration_days"].round(6)) == sorted(round(d, 6) for d in days)
    assert sorted(~sp["open"]) == sorted(closed)

    median = _hand_km_median(days, closed)
    ttr = time_to_remediation(h, as_of, by=None)
    assert ttr.loc[0, "resolved"] == sum(closed)
    assert ttr.loc[0, "median_days"] == pytest.approx(median, nan_ok=True)

    month = as_of - pd.Timedelta(days=30)
    is_open = [end is None for _, _, end, _ in spells]
    open_services = {key[0] for (key, *_), o in zip(spells, is_open, strict=True) if o}
    new = sum(window < start <= as_of and start > first for _, start, _, _ in spells)
    resolved = sum(end is not None and window < end <= as_of for _, _, end, _ in spells)
    open_then = sum(start <= month and (end is None or end > month) for _, start, end, _ in spells)
    slo = {"high": 7, "medium": 30, "low": 14}
    ages = [((as_of - start) / pd.Timedelta(days=1), slo[s]) for (_, start, end, s) in spells if end is None]
    high = [(d, c) for d, c, (_, _, _, s) in zip(days, closed, spells, strict=True) if s == "high"]
    k = kpis(h, as_of, services=60).set_index("kpi")["value"]
    assert k["drift_detection_rate"] == pytest.approx(round(len(open_services) / 60, 4))
    assert k["accumulation_rate"] == pytest.approx(new / 4)
    assert k["resolution_rate"] == pytest.approx(resolved / 4)
    net = round((sum(is_open) - open_then) / open_then, 4) if open_then else math.nan
    assert k["net_change_per_month"] == pytest.approx(net, nan_ok=True)
    assert k["slo_compliance"] == pytest.approx(round(sum(a < s for a, s in ages) / len(ages), 4))
    assert k["mttr_high_days"] == pytest.approx(
        _hand_km_median([d for d, _ in high], [c for _, c in high]), nan_ok=True
    )
    assert len(spells) >= 4 and sum(closed) >= 2 and new >= 1 and resolved >= 1 and high


@settings(max_examples=25, deadline=None, database=None)
@given(st.lists(st.lists(st.booleans(), min_size=6, max_size=6), min_size=1, max_size=8))
def test_flow_identity_and_spells_on_random_histories(presence):
    """open = previous open + carried in + new - resolved, and spells tile each issue's presence exactly."""
    times = pd.date_range("2025-01-06", periods=6, freq="7D", tz="UTC")
    rows_ = [
        {"report_time": times[r], "issue_id": f"I{i}", "service": f"s{i % 3}", "type": "x", "severity": "low"}
        for i, pres in enumerate(presence)
        for r, here in enumerate(pres)
        if here
    ]
    rows_ += [{"report_time": t, "issue_id": None} for t in times]  # report markers: every week is a report
    h = pd.DataFrame(rows_)
    as_of = times[-1]
    f = drift_flow(h, as_of)
    assert (f["open"].diff().fillna(f["open"]) == f["carried_in"] + f["new"] - f["resolved"]).all()
    sp = issue_spells(h, as_of)
    for i, pres in enumerate(presence):
        weeks = sp[sp["issue_id"] == f"I{i}"]
        covered = sorted(r for s in weeks.itertuples() for r in range(6) if s.first_seen <= times[r] <= s.last_seen)
        assert covered == [r for r, here in enumerate(pres) if here]
        assert int(weeks["open"].sum()) == int(pres[-1])
    assert f["open"].iloc[-1] == sum(p[-1] for p in presence)


def test_spells_of_one_history_are_computed_once_and_handed_out_as_copies(monkeypatch):
    from meta254lib.drift import history as H

    t = pd.to_datetime(["2025-01-06", "2025-01-13"], utc=True)
    h = pd.DataFrame({"report_time": [t[0], t[1]], "issue_id": ["A", "A"], "service": "s",
                      "type": "spec_minor_lag", "severity": "medium"})  # fmt: skip
    calls = []
    real = H._spell_runs
    monkeypatch.setattr(H, "_spell_runs", lambda *a: calls.append(1) or real(*a))
    first = issue_spells(h, "2025-01-20")
    first.loc[0, "issue_id"] = "edited by the caller"
    again = issue_spells(h, "2025-01-20")
    assert len(calls) == 1 and again.loc[0, "issue_id"] == "A"
    issue_spells(h, "2025-01-27")  # another as_of
    longer = pd.concat([h, h.assign(report_time=pd.Timestamp("2025-01-20", tz="UTC"))], ignore_index=True)
    assert issue_spells(longer, "2025-01-27").loc[0, "duration_days"] == 21.0
    assert len(calls) == 3


def test_filter_history_keeps_dtypes_and_never_fills_a_marker():
    # markers take the history's dtypes (a concat with all-NA object columns was seconds at 10,000
    # services); a numpy bool column cannot hold NA and stays as it was rather than turning NA into True
    from meta254lib.core.schema import DRIFT_HISTORY

    t = pd.to_datetime(["2025-01-06", "2025-01-13"], utc=True)
    typed = pd.DataFrame(
        {
            "report": ["r0", "r1"],
            "report_time": t,
            "issue_id": ["A", "B"],
            "service": ["a", "b"],
            "severity": ["low", "high"],
        }
    ).reindex(columns=list(DRIFT_HISTORY.columns))
    typed = typed.astype(dict(DRIFT_HISTORY.dtypes.items()))
    f = filter_history(typed, services=["a"], severity_floor="low")
    assert f.dtypes.to_dict() == typed.dtypes.to_dict()
    assert f["issue_id"].tolist()[:1] == ["A"] and f["issue_id"].isna().tolist() == [False, True, True]
    raw = pd.DataFrame({"report_time": t, "issue_id": ["A", "B"], "service": ["a", "b"], "exempt": [True, False]})
    g = filter_history(raw, services=["b"])
    assert g["issue_id"].tolist()[0] == "B" and g["exempt"].tolist()[0] is False and g["exempt"].isna().sum() == 2


def _spell_runs_by_groupby(h, reports):
    """The frame-wide sort and group-by _spell_runs replaced: the reference it must agree with."""
    g = h.assign(_r=reports.get_indexer(h["report_time"]))
    g = g.sort_values(["issue_id", "_r"], kind="mergesort").drop_duplicates(["issue_id", "_r"], keep="last")
    iid, r = g["issue_id"].to_numpy(), g["_r"].to_numpy()
    start = np.ones(len(g), dtype=bool)
    start[1:] = (iid[1:] != iid[:-1]) | (r[1:] != r[:-1] + 1)
    g = g.assign(_spell=np.cumsum(start))
    return g.groupby("_spell", sort=True).agg(
        issue_id=("issue_id", "first"),
        service=("service", "last"),
        type=("type", "last"),
        severity=("severity", "last"),
        subject=("subject", "last"),
        _s=("_r", "min"),
        _e=("_r", "max"),
    )


_cell = st.one_of(st.none(), st.sampled_from(["x", "y", "zz"]))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(["A", "B", "C10", "C9", "é"]), _cell, _cell, _cell, _cell),
        min_size=1,
        max_size=40,
    )
)
def test_spell_runs_agree_with_the_groupby_reference(rows_):
    from meta254lib.drift.history import _spell_runs

    h = pd.DataFrame(
        [
            {
                "report_time": WEEKS[0] + pd.Timedelta(weeks=w),
                "issue_id": i,
                "service": a,
                "type": b,
                "severity": c,
                "subject": d,
            }
            for w, i, a, b, c, d in rows_
        ]
    ).astype({c: "str" for c in ("issue_id", "service", "type", "severity", "subject")})
    reports = pd.DatetimeIndex(sorted(h["report_time"].unique()))
    got, want = _spell_runs(h, reports), _spell_runs_by_groupby(h, reports)
    assert got.index.tolist() == want.index.tolist()
    for col in want.columns:
        assert (
            got[col].tolist() == want[col].tolist()
            or got[col].astype(object).fillna("NA").tolist() == want[col].astype(object).fillna("NA").tolist()
        ), col
