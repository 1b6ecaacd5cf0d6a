"""JSON-ready values and rows, and the severity order."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from meta254lib.core.records import json_records, json_value
from meta254lib.core.severity import SEVERITIES, severity_rank
from meta254lib.core.versions import parse_version, update_type


def test_json_value_makes_every_missing_value_none_and_scalars_plain():
    values = [None, float("nan"), pd.NA, pd.NaT, np.float64("nan"), np.int64(3), np.bool_(False)]
    assert [json_value(v) for v in values] == [None, None, None, None, None, 3, False]


def test_json_records_round_trip_through_json():
    df = pd.DataFrame(
        {"s": ["a", None], "t": [("x", "y"), ()], "ts": pd.to_datetime(["2025-10-10T00:00Z", None], utc=True)}
    )
    rows = json_records(df)
    assert json.loads(json.dumps(rows)) == [
        {"s": "a", "t": ["x", "y"], "ts": "2025-10-10T00:00:00+00:00"},
        {"s": None, "t": [], "ts": None},
    ]


def test_severity_order_is_the_runbooks():
    assert SEVERITIES == ("high", "medium", "low")
    assert sorted(["low", "medium", "high", "critical"], key=severity_rank) == ["high", "medium", "low", "critical"]


def test_update_type_names_the_first_part_that_differs():
    v = parse_version
    assert [update_type(v("1.2.3"), v(t)) for t in ("2.0.0", "1.3.0", "1.2.9")] == ["major", "minor", "patch"]


def test_library_and_cli_csv_encode_lists_alike():
    import meta254lib as m
    from meta254lib.cli.common import render

    df = pd.DataFrame({"service": ["a"], "path": [("a", "b")], "meta": [{"k": 1}], "n": [2]})
    assert m.csv_text(df) == render(df, {}, "csv") == 'service,path,meta,n\na,a|b,"{""k"": 1}",2\n'
