"""The exported table payload: column-wise conversion gives what value-by-value conversion gives."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from meta254lib.views.table_json import column_values, json_value, table_payload


def _row_by_row(df):
    return [[json_value(v) for v in row] for row in df.itertuples(index=False, name=None)]


def _mixed():
    ts = pd.Timestamp("2025-10-06 05:21:22.692176", tz="UTC")
    return pd.DataFrame(
        {
            "int": np.array([3, -1, 0], dtype="int64"),
            "flag": [True, False, True],
            "float": [1.5, np.nan, -0.0],
            "f32": np.array([0.1, 2.0, np.nan], dtype="float32"),
            "Int64": pd.array([1, None, 3], dtype="Int64"),
            "boolean": pd.array([True, None, False], dtype="boolean"),
            "string": pd.array(["a", None, "a"], dtype="string"),
            "str": pd.Series(["x", "y", None], dtype="str"),
            "when": [ts, pd.NaT, ts],
            "naive": pd.to_datetime(["2025-01-01", None, "2025-01-02"]),
            "cat": pd.Categorical(["high", "low", None]),
            "lists": [["a", "b"], (1, 2), None],
            "mixed": [1, True, 1.0],
            "sets": [{"b", "a"}, frozenset(), {"c"}],
        }
    )


def test_columns_convert_as_values_do():
    df = _mixed()
    got = table_payload(df, "Mixed", None)
    assert got["data"] == _row_by_row(df)
    assert got["data"][1] == [-1, False, None, 2.0, None, None, None, "y", None, None, "low", [1, 2], True, []]
    # -0.0 and the 1-vs-True-vs-1.0 of an object column survive as they are
    assert json.dumps(got["data"][2][2]) == "-0.0" and [type(v) for v in got["data"][2][12:13]] == [float]
    assert [type(v) for v in column_values(df["mixed"])] == [int, bool, float]


def test_json_types_are_plain_python():
    for row in table_payload(_mixed(), "Mixed", None)["data"]:
        json.dumps(row)  # no numpy scalar, Timestamp or NA left
    assert table_payload(pd.DataFrame(index=range(2)), "empty", None)["data"] == [[], []]
    assert table_payload(pd.DataFrame({"a": []}), "none", "c")["data"] == []


def test_a_long_table_converts_like_a_short_one():
    n = 20_000
    df = pd.DataFrame(
        {
            "when": pd.Series(pd.date_range("2025-01-01", periods=52, freq="W", tz="UTC"))
            .sample(n, replace=True, random_state=1)
            .array,
            "service": [f"svc-{i % 997}" for i in range(n)],
            "score": np.linspace(-1, 1, n),
        }
    )
    assert table_payload(df, "long", None)["data"] == _row_by_row(df)
