"""meta254 bench: the smoke run at 1,000 services, the table helpers, and the fast paths it measures."""

from __future__ import annotations

import json
import random
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from meta254lib.cli import main
from meta254lib.cli.bench import parse_sizes
from meta254lib.core.errors import ParameterError
from meta254lib.core.schema import UTC_TS
from meta254lib.devtools.bench_format import format_scaling, format_table, growth_exponent, scaling_rows
from meta254lib.devtools.bench_stages import CHILD_STAGES, STAGES
from meta254lib.drift.engine import _detected_at
from meta254lib.drift.history import issue_spells


@pytest.mark.slow
def test_bench_smoke_at_a_thousand_services(tmp_path):
    """``meta254 bench --sizes 1000 --skip-report`` finishes and reports every stage (no timing assertions)."""
    out = tmp_path / "bench.json"
    args = ["bench", "--sizes", "1000", "--weeks", "6", "--skip-report", "--sample", "50"]
    result = CliRunner().invoke(main, [*args, "--stage-timeout", "120", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["machine"]["nproc"] >= 1 and doc["parameters"]["sizes"] == [1000]
    (run,) = doc["runs"]
    assert (run["services"], run["edges"], run["weeks"]) == (1000, 3000, 6)
    rows = {r["key"]: r for r in run["stages"]}
    assert list(rows) == [s["key"] for s in STAGES if s["key"] != "report"]
    for key, row in rows.items():
        assert (row["ours_s"] or 0) > 0 or row.get("error"), (key, row)
    assert rows["cold_load"]["baseline_s"] > 0 and rows["warm_load"]["baseline_s"] == rows["cold_load"]["ours_s"]
    assert rows["blast_radius"]["agree"] is True and rows["blast_radius"]["extrapolated"] is True
    assert rows["drift"]["agree"] is True and rows["trends"]["agree"] is True
    assert "hit" in rows["history_warm"]["note"] and "miss" in rows["history_cold"]["note"]
    for key in ("history_cold", "history_warm"):  # the kernel's share, to tell page faults from code
        row = rows[key]
        assert 0 <= row["ours_sys_s"] <= row["ours_cpu_s"] + 0.02, row
        said = re.search(r"; (\d+\.\d\d) s in the kernel", row["note"])
        assert said and abs(float(said.group(1)) - row["ours_sys_s"]) <= 0.006, row["note"]
    assert doc["report"] is None
    assert "blast radius, all services" in result.output and "per-node nx.ancestors" in result.output


def test_parse_sizes():
    assert parse_sizes("1_000,3000, 10000") == (1000, 3000, 10000)
    for bad in ("", "ten", "8", "1000,-3"):
        with pytest.raises(ParameterError):
            parse_sizes(bad)


def test_scaling_rows_and_tables():
    runs = []
    for n, t in ((1000, 0.2), (10_000, 2.0)):
        runs.append(
            {
                "services": n,
                "edges": 3 * n,
                "stages": [
                    {
                        "key": "drift",
                        "stage": "drift detection, all services",
                        "ours_s": t,
                        "baseline": "per-row loop over catalog dicts",
                        "baseline_s": 3 * t,
                        "speedup": 3.0,
                        "peak_rss_mb": 300.0,
                        "targets": [{"target": "<= 2 s", "value": t, "met": t <= 2}],
                    }
                ],
            }
        )
    scaling = scaling_rows(runs)
    assert scaling == [
        {
            "key": "drift",
            "stage": "drift detection, all services",
            "sizes": [1000, 10_000],
            "ours_s": [0.2, 2.0],
            "growth": [1.0],
        }
    ]
    text = format_scaling(scaling)
    assert text.splitlines()[0].split() == ["stage", "1,000", "10,000", "k", "1,000->10,000"]
    assert "1.00" in text.splitlines()[2]
    table = format_table(runs[1]["stages"])
    assert "3.00x" in table and "<= 2 s: met" in table and "300" in table
    assert growth_exponent(1.0, 1.0, 10, 10) is None
    assert set(CHILD_STAGES) | {"blast_radius", "report"} == {s["key"] for s in STAGES}


def _detected_reference(ids: pd.Series, history: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """What drift._detected_at computed before it was made linear: via the full issue_spells table."""
    as_of_s = pd.Series(as_of, index=ids.index, dtype=UTC_TS)
    h = history[history["report_time"] < as_of]
    if h.empty:
        return as_of_s
    sp = issue_spells(h, as_of=as_of, include_exempt=True)
    open_start = sp[sp["open"]].drop_duplicates("issue_id", keep="last").set_index("issue_id")["first_seen"]
    if open_start.empty:
        return as_of_s
    return ids.map(open_start).astype(UTC_TS).fillna(as_of_s)


@pytest.mark.parametrize("seed", range(60))
def test_detected_at_equals_the_spell_definition(seed):
    rng = random.Random(seed)
    times = pd.date_range("2025-01-06", periods=rng.randint(1, 7), freq="7D", tz="UTC")
    rows = []
    for t in times:
        for _ in range(rng.randint(0, 6)):
            rows.append({"report_time": t, "issue_id": rng.choice(["A", "B", "C", "D", None]), "exempt": None})
        if rng.random() < 0.3:  # a report marker: the report exists even with no issue
            rows.append({"report_time": t, "issue_id": None, "exempt": None})
    h = pd.DataFrame(rows, columns=["report_time", "issue_id", "exempt"]).astype({"report_time": UTC_TS})
    h = h.assign(service="s", type="spec_minor_lag", severity="medium", subject="")
    ids = pd.Series(rng.sample(["A", "B", "C", "D", "E"], rng.randint(0, 5)), dtype="str")
    as_of = times[-1] + pd.Timedelta(days=rng.choice([-7, 0, 1, 3]))
    got = _detected_at(ids, h, as_of)
    pd.testing.assert_series_equal(got, _detected_reference(ids, h, as_of), check_names=False)
