"""The trend report's sentences and headline: no trend from one snapshot, detector churn and backlog source stated."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from meta254lib import cli
from meta254lib.quality.summary import summary_sentences
from meta254lib.quality.trends import quality_trends
from meta254lib.views.quality import trends_headline

END = pd.Timestamp("2025-10-09T12:00:00Z")


def snapshots(*weeks_back: int) -> pd.DataFrame:
    """One service's quality snapshots, ``weeks_back`` weeks before END (coverage drops over time)."""
    times = [END - pd.Timedelta(weeks=w) for w in weeks_back]
    return pd.DataFrame(
        {
            "snapshot_time": times,
            "service": "a",
            "maturity": "stable",
            "coverage": [0.45 + 0.1 * w for w in weeks_back],
            "deployment_freshness_days": 1.0,
        }
    )


def test_headline_claims_no_trend_from_a_single_snapshot():
    one = quality_trends(snapshots(0), as_of=END, weeks=12)
    assert trends_headline(one) == (
        "Quality (implemented model): platform mean 90.0 (one snapshot: no trend yet); 0 regression(s); "
        "0 declining service(s)"
    )
    assert "no trend yet" in summary_sentences(one)[0]


def test_headline_states_the_change_over_the_weeks_between_snapshots():
    two = quality_trends(snapshots(3, 0), as_of=END, weeks=12)
    assert "platform mean 90.0 (-10.0 over 3 weeks)" in trends_headline(two)


def test_upstream_report_headline_has_no_trend_from_its_one_snapshot(upstream):
    from meta254lib import open_workspace
    from meta254lib.quality.trends import workspace_trends

    report = workspace_trends(open_workspace(upstream))
    assert "platform mean 91.6 (one snapshot: no trend yet)" in trends_headline(report)
    assert "over 12 weeks" not in trends_headline(report)


def test_summary_states_detector_churn_apart_and_the_backlog_source():
    t = [END - pd.Timedelta(days=8), END - pd.Timedelta(days=1)]
    drift = pd.DataFrame(
        {
            "report": ["p.json", "p.json", "m.json", "m.json"],
            "report_time": [t[0], t[0], t[1], t[1]],
            "source": ["platform", "platform", "meta254", "meta254"],
            "source_issue": ["p.json#0", "p.json#1", "m.json#0", "m.json#1"],
            "issue_id": ["SD", "L", "L", "M"],
            "service": ["a", "a", "a", "a"],
            "type": ["shared_dependency", "spec_minor_lag", "spec_minor_lag", "version_staleness"],
            "severity": "low",
        }
    )
    report = quality_trends(snapshots(0), as_of=END, weeks=4, drift_history=drift)
    sentences = summary_sentences(report)
    assert (
        "Drift backlog 2 open issue(s) at the end of the window (from 2); 0 new and 0 resolved over the window; "
        "besides, 1 appeared and 1 went away only because the reports' detector changed (detector churn, not "
        "counted as new or resolved)."
    ) in sentences
    assert "Drift backlog source: counted per service, type and subject from the meta254 report of 2025-10-08 " in (
        " ".join(sentences)
    )
    last = report.drift_weekly[report.drift_weekly["severity"] == "all"].iloc[-1]
    assert (last["new"], last["resolved"], last["detector_in"], last["detector_out"]) == (0, 0, 1, 1)


def test_sample_trends_have_no_detector_churn_and_count_the_platform_report(sample):
    out = CliRunner().invoke(cli.main, ["trends", "-w", str(sample)])
    assert out.exit_code == 0, out.output
    assert "Drift backlog source: counted per service, type and subject from the platform report of 2025-10-06" in (
        out.output
    )
    assert "detector churn" not in out.output
