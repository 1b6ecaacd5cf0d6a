"""CSV exports that spreadsheets read back as shown: rounded floats, integers as integers, ISO timestamps
without microseconds, version strings kept as recorded; and the KPI cards of the drift page."""

from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest
from report_support import sample_report

from meta254lib.report.tables import csv_number, csv_timestamp, table_to_csv
from meta254lib.views.html_table import table_payload

#: A number cell with a float artefact: 5+ decimals or exponent notation.
FLOAT_ARTEFACT = re.compile(r"-?\d+\.\d{5,}|-?\d+(\.\d+)?[eE][-+]?\d+")
#: An ISO timestamp cell that still carries microseconds (or any fraction of a second).
MICROSECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+.*")
#: A whole number written as a float.
DOT_ZERO = re.compile(r"-?\d+\.0")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-0.025000000000000355, "-0.025"),
        (13.999999999999998, "14"),
        (97.0, "97"),
        (-0.0, "0"),
        (-0.00001, "0"),
        (27.43370001, "27.4337"),
        (175.02712, "175.0271"),
        (1e-12, "0"),
        (123456789.0, "123456789"),
        (float("nan"), ""),
    ],
)
def test_csv_number_rounds_to_4_decimals_and_writes_whole_numbers_as_integers(value, text):
    assert csv_number(value) == text


def test_csv_timestamp_is_utc_to_the_second():
    assert csv_timestamp("2025-10-06T08:55:55.603919+00:00") == "2025-10-06T08:55:55Z"
    assert csv_timestamp("2025-10-06T10:00:00+02:00") == "2025-10-06T08:00:00Z"
    assert csv_timestamp("2025-10-06T10:00:00") == "2025-10-06T10:00:00Z"
    assert csv_timestamp("2025-10-06") == "2025-10-06"
    assert csv_timestamp("quality: snapshot of 2025-10-06T05:21:55+00:00") == (
        "quality: snapshot of 2025-10-06T05:21:55+00:00"
    )


def test_table_to_csv_from_a_real_frame():
    df = pd.DataFrame(
        {
            "service": ["a", "b"],
            "open": pd.array([97, None], dtype="Int64"),
            "count_f": [97.0, 3.0],
            "delta": [-0.025000000000000355, 13.999999999999998],
            "detected_at": pd.to_datetime(
                ["2025-10-06T08:55:55.603919Z", "2025-10-07T00:00:00Z"], utc=True, format="ISO8601"
            ),
            "current": ["7.0", "1.10"],
            "ids": [["x", "y"], []],
            "scores": [{"q": 0.30000000000000004}, {}],
        }
    )
    text = table_to_csv(table_payload(df, "t", None))
    assert text.splitlines() == [
        "service,open,count_f,delta,detected_at,current,ids,scores",
        'a,97,97,-0.025,2025-10-06T08:55:55Z,7.0,"[""x"", ""y""]","{""q"": 0.3}"',
        "b,,3,14,2025-10-07T00:00:00Z,1.10,[],{}",
    ]


def test_version_columns_keep_their_text_even_when_recorded_as_floats():
    table = {"columns": ["target", "score"], "dtypes": ["object", "float64"], "data": [[7.0, 7.0], ["7.10", 2.5]]}
    assert table_to_csv(table) == "target,score\n7.0,7\n7.10,2.5\n"


def _exports():
    result = sample_report()
    if result is None:
        pytest.skip("data/sample not present")
    files = sorted((result.folder / "tables").glob("*/*.csv"))
    assert len(files) >= 40
    return files


@pytest.mark.slow
def test_no_csv_export_of_the_sample_report_has_a_float_artefact():
    checked = 0
    for path in _exports():
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        doc = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert rows[0] == doc["columns"], path
        for row in rows[1:]:
            for column, dtype, cell in zip(rows[0], doc["dtypes"], row, strict=True):
                checked += 1
                where = f"{path.parent.name}/{path.name} {column}={cell!r}"
                assert not FLOAT_ARTEFACT.fullmatch(cell), where
                assert not MICROSECONDS.fullmatch(cell), where
                if dtype.lower().startswith(("int", "uint", "float")):
                    assert not DOT_ZERO.fullmatch(cell), where
    assert checked > 1000


@pytest.mark.slow
def test_sample_report_csv_keeps_versions_as_text_and_counts_as_integers():
    files = {f"{p.parent.name}/{p.stem}": p for p in _exports()}
    plan = list(csv.DictReader(io.StringIO(files["remediation_plan/plan"].read_text(encoding="utf-8"))))
    doc = json.loads(files["remediation_plan/plan"].with_suffix(".json").read_text(encoding="utf-8"))
    exact = [dict(zip(doc["columns"], r, strict=True)) for r in doc["rows"]]
    assert [r["current"] for r in plan] == [str(r["current"]) for r in exact]
    assert "7.0" in {r["current"] for r in plan}
    flow = list(csv.DictReader(io.StringIO(files["drift_overview/drift_flow_weekly"].read_text(encoding="utf-8"))))
    assert flow and all(re.fullmatch(r"\d+", r["open"]) for r in flow)


# --- KPI cards, backlog axis and deferred plotly.js -----------------------------------------------------------


def _kpis(**over):
    row = {
        "kpi": "mttr_high_days",
        "label": "MTTR, high severity",
        "value": float("nan"),
        "unit": "days",
        "target": 7.0,
        "met": pd.NA,
        "mixed_sources": False,
        "note": "median not reached",
    }
    rows = [
        row,
        {
            **row,
            "kpi": "resolution_rate",
            "label": "Resolution rate",
            "value": 5.25,
            "unit": "issues/week",
            "target": 4.5,
            "mixed_sources": True,
            "note": "<b>mixed</b>",
        },
        {
            **row,
            "kpi": "drift_detection_rate",
            "label": "Drift detection rate",
            "value": 0.5833,
            "unit": "share",
            "target": 0.1,
            "met": False,
            "note": "35 of 60",
        },
        {**row, **over},
    ]
    frame = pd.DataFrame(rows)
    frame["met"] = frame["met"].astype("boolean")
    return frame


def _card(html: str, label: str) -> str:
    return html.split(f">{label}</div>", 1)[1].split('<div class="m254-kpi">', 1)[0]


def test_kpi_cards_are_html_with_na_and_no_met_on_a_mixed_window():
    from meta254lib.views.kpi_cards import drift_kpi_tiles

    html = drift_kpi_tiles(
        _kpis(kpi="slo_compliance", label="Net", value=0.9, unit="share", target=0.8, met=True, mixed_sources=True)
    )
    assert html.count('<div class="m254-kpi">') == 4 and "plotly" not in html
    mttr = _card(html, "MTTR, high severity")
    assert ">n/a</div>" in mttr and "0 (n/a)" not in html and "target &lt; 7 d" in mttr
    resolution = _card(html, "Resolution rate")
    assert ">5.2 /week</div>" in resolution and "not judged: mixed sources" in resolution
    assert "&lt;b&gt;mixed&lt;/b&gt;" in resolution
    assert 'data-status="missed"' in _card(html, "Drift detection rate")
    # met on a window that mixes detectors is never shown as met
    net = _card(html, "Net")
    assert 'data-status="met"' not in net and "not judged" in net


def test_backlog_chart_has_a_week_axis_without_microseconds():
    from meta254lib.views.drift import drift_backlog_figure

    t = pd.to_datetime(
        ["2025-09-29T05:19:20.816648Z", "2025-10-06T05:21:06.599594Z", "2025-10-06T06:00:00Z"], format="ISO8601"
    )
    backlog = pd.DataFrame({"report_time": t, "high": [11, 11, 28], "medium": [1, 1, 34], "low": [90, 85, 13]})
    fig = drift_backlog_figure(backlog)
    assert fig.layout.xaxis.type == "category"
    assert list(fig.data[0].x) == ["2025-W40", "2025-W41 05:21", "2025-W41 06:00"]
    assert [tr.name for tr in fig.data] == ["low", "medium", "high"]  # stacked with high on top
    assert list(fig.layout.xaxis.categoryarray) == list(fig.data[0].x)
    assert fig.layout.legend.traceorder == "reversed"  # the legend reads high, medium, low


@pytest.mark.slow
def test_pages_load_plotly_js_deferred_and_draw_figures_on_dom_ready():
    result = sample_report()
    if result is None:
        pytest.skip("data/sample not present")
    html = (result.folder / "drift_overview.html").read_text(encoding="utf-8")
    tags = re.findall(r"<script[^>]*plotly\.min\.js[^>]*>", html)
    assert len(tags) == 1 and re.search(r"\bdefer\b", tags[0])
    figures = html.count('class="plotly-graph-div"')
    assert figures >= 5 and html.count('document.addEventListener("DOMContentLoaded",function(){') == figures
