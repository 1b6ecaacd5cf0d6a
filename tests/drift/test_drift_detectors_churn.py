"""Detector churn is not remediation: spells, flow, time to remediation and KPIs across a change of detector."""

from __future__ import annotations

import math
import shutil

import pandas as pd
from click.testing import CliRunner

from meta254lib import cli, open_workspace
from meta254lib.drift.flow import drift_flow
from meta254lib.drift.history import issue_spells
from meta254lib.drift.kpis import kpis, time_to_remediation
from meta254lib.views.drift import drift_kpi_table
from meta254lib.views.kpi_cards import drift_kpi_tiles

T = pd.to_datetime(["2025-09-01", "2025-09-08", "2025-09-15", "2025-09-22"], utc=True)


def churn_history() -> pd.DataFrame:
    """Three weekly platform reports, then one meta254 report (another detector).

    ``SD`` is a platform ``shared_dependency`` row meta254 never detects; ``L`` a spec lag both see;
    ``F`` is fixed between two platform reports (a real remediation); ``M`` only meta254 sees.
    """
    rows = [
        (0, "platform", "SD", "s1", "shared_dependency", "low"),
        (1, "platform", "SD", "s1", "shared_dependency", "low"),
        (2, "platform", "SD", "s1", "shared_dependency", "low"),
        (0, "platform", "F", "s2", "spec_minor_lag", "high"),
        *[(k, "platform", "L", "s3", "spec_minor_lag", "high") for k in (0, 1, 2)],
        (3, "meta254", "L", "s3", "spec_minor_lag", "high"),
        (3, "meta254", "M", "s4", "version_staleness", "high"),
    ]
    return pd.DataFrame(
        {
            "report": [f"r{k}.json" for k, *_ in rows],
            "report_time": [T[k] for k, *_ in rows],
            "source": [s for _, s, *_ in rows],
            "issue_id": [i for *_, i, _, _, _ in rows],
            "service": [r[3] for r in rows],
            "type": [r[4] for r in rows],
            "severity": [r[5] for r in rows],
        }
    )


def test_spells_end_and_start_on_a_detector_change_are_not_resolved_or_new():
    sp = issue_spells(churn_history(), T[3]).set_index("issue_id")
    assert sp.loc["F", "end_reason"] == "resolved"  # gone from the same detector's next report
    assert sp.loc["SD", "end_reason"] == "detector_change"  # gone when meta254 took over: not a fix
    assert sp.loc["M", "start_reason"] == "detector_change"  # appeared when meta254 took over: not new
    assert sp.loc["L", ["start_reason", "end_reason"]].tolist() == ["carried_in", "open"]
    assert str(sp.loc["SD", "resolved_at"].date()) == "2025-09-22"  # the backlog still drops there


def test_flow_counts_detector_churn_apart_and_keeps_the_backlog_identity():
    f = drift_flow(churn_history(), T[3])
    assert f[["new", "resolved", "detector_in", "detector_out", "open"]].values.tolist() == [
        [0, 0, 0, 0, 3],
        [0, 1, 0, 0, 2],
        [0, 0, 0, 0, 2],
        [0, 0, 1, 1, 2],
    ]
    change = f["carried_in"] + f["new"] + f["detector_in"] - f["resolved"] - f["detector_out"]
    assert change.cumsum().tolist() == f["open"].tolist()


def test_time_to_remediation_censors_what_went_away_with_the_detector():
    low = time_to_remediation(churn_history(), T[3]).set_index("group").loc["low"]
    # before: SD counted as resolved after 21 days, a median of 21 days from churn alone
    assert (low["issues"], low["resolved"], low["censored"], low["detector_change"]) == (1, 0, 1, 1)
    assert math.isnan(low["median_days"])
    high = time_to_remediation(churn_history(), T[3]).set_index("group").loc["high"]
    assert (high["resolved"], high["median_days"]) == (1, 7.0)  # F: a real fix, one week


def test_kpis_on_a_window_that_mixes_detectors_are_not_judged():
    h = churn_history()
    k = kpis(h, T[3], services=4, window_days=14).set_index("kpi")
    assert k.loc["resolution_rate", "mixed_sources"] and pd.isna(k.loc["resolution_rate", "met"])
    assert k.loc["net_change_per_month", "mixed_sources"]
    assert not k.loc["drift_detection_rate", "mixed_sources"]
    assert k.loc["accumulation_rate", "note"].startswith(
        "0 new and 0 resolved in the last 14 days; 1 appeared and 1 went away on a detector change (not counted)"
    )
    table = drift_kpi_table(k.reset_index()).set_index("KPI")
    assert table.loc["Resolution rate", "status"] == "mixed sources"
    cards = drift_kpi_tiles(k.reset_index())  # HTML cards
    resolution = cards.split("Resolution rate</div>", 1)[1].split('<div class="m254-kpi">', 1)[0]
    assert 'data-status="mixed sources"' in resolution and "not judged: mixed sources" in resolution
    assert 'data-status="met"' not in resolution
    # one detector only: judged as before
    same = kpis(h.assign(source="platform"), T[3], services=4, window_days=14).set_index("kpi")
    assert not same["mixed_sources"].any() and not pd.isna(same.loc["resolution_rate", "met"])


def test_trends_after_one_meta254_write_on_upstream_show_no_remediation(upstream, tmp_path):
    ws = tmp_path / "ws"
    shutil.copytree(upstream, ws, symlinks=True)
    run = CliRunner()
    wrote = run.invoke(cli.main, ["drift", "-w", str(ws), "--as-of", "2025-10-17", "--write"])
    assert wrote.exit_code == 0, wrote.output
    out = run.invoke(cli.main, ["trends", "-w", str(ws), "--as-of", "2025-10-17"])
    assert out.exit_code == 0, out.output
    assert (
        "0 new and 0 resolved over the window; besides, 7 appeared and 34 went away only because the reports' "
        "detector changed (detector churn, not counted as new or resolved)."
    ) in out.output
    ttr = time_to_remediation(open_workspace(ws).drift_history, "2025-10-17").set_index("group").loc["all"]
    assert (ttr["resolved"], ttr["detector_change"]) == (0, 34) and math.isnan(ttr["median_days"])


def test_trends_backlog_states_what_it_counts_on_upstream(upstream):
    out = CliRunner().invoke(cli.main, ["trends", "-w", str(upstream), "--as-of", "2025-10-11"])
    assert out.exit_code == 0, out.output
    assert "Drift backlog 52 open issue(s)" in out.output
    assert (
        "Drift backlog source: counted per service, type and subject from the platform report of 2025-10-10 "
        "17:39 UTC: 52 issue ids (the report itself lists 23 issues, a shared dependency once for all its "
        "services); `meta254 drift` counts what meta254's own detectors find, which differs."
    ) in out.output
