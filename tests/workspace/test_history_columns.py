"""The column-by-column history load: the same frames and warnings as the row-by-row reading it replaced.

The fingerprints below were taken from the row-by-row implementation (before issue 16) on
``data/sample`` and the real upstream artifacts; the fast paths (clean snapshots read column by
column, plain repr issues read without the syntax tree, issues worked out once per distinct value,
orjson) are each compared with the slower reading they stand in for.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from meta254lib.workspace import history as H
from meta254lib.workspace import history_drift as HD
from meta254lib.workspace import history_files as HF
from meta254lib.workspace import history_snapshots as HS
from meta254lib.workspace import yamlio
from meta254lib.workspace.workspace import open_workspace

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = ROOT.parent / "shared" / "upstream"

#: Fingerprints of (drift_history, quality_history, warnings) from the row-by-row implementation.
FROZEN = {
    "sample": ("f8202d6c6e24e1771372", "4afd4f365b8f02ad395e", "d9f9bd8b831402e1cd5b"),
    "upstream": ("3f6b712a3425408b9554", "e88a612a0685f048bd39", "8e413ee101ac75eff90d"),
}


def _fingerprint(df: pd.DataFrame) -> str:
    """Row count, columns, dtypes and a hash of every column's values, in order."""
    doc = {
        "len": len(df),
        "cols": list(df.columns),
        "dtypes": [str(t) for t in df.dtypes],
        "hash": {c: int(pd.util.hash_pandas_object(df[c], index=False).sum()) for c in df.columns},
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:20]


@pytest.mark.parametrize("name", ["sample", "upstream"])
def test_frames_equal_the_row_by_row_reading(name):
    root = ROOT / "data" / "sample" if name == "sample" else UPSTREAM
    if not root.is_dir():
        pytest.skip(f"{root} is not here")
    ws = open_workspace(root, cache=False)
    got = (
        _fingerprint(ws.drift_history),
        _fingerprint(ws.quality_history),
        hashlib.sha256(ws.warnings.to_csv().encode()).hexdigest()[:20],
    )
    assert got == FROZEN[name]
    assert isinstance(ws.drift_history.index, pd.RangeIndex) and isinstance(ws.quality_history.index, pd.RangeIndex)


@pytest.mark.parametrize("workers", [1, 3])
def test_frames_do_not_depend_on_the_threads(workers, monkeypatch):
    # the columns are built on worker threads; one thread (or three) gives the very same frames
    monkeypatch.setattr("meta254lib.workspace.column_jobs.worker_count", lambda: workers)
    ws = open_workspace(ROOT / "data" / "sample", cache=False)
    assert (_fingerprint(ws.drift_history), _fingerprint(ws.quality_history)) == FROZEN["sample"][:2]


# --- quality snapshots: column by column vs row by row ---------------------------------------------


def _both_ways(doc: dict, monkeypatch) -> tuple[tuple, tuple]:
    """(when, columns, warnings) read with and without the column-by-column fast path."""
    w_fast: list = []
    fast = HS.quality_snapshot_columns(doc, "q.json", w_fast)
    with monkeypatch.context() as m:
        m.setattr(HS, "_clean_columns", lambda services, snapshot: None)
        w_slow: list = []
        slow = HS.quality_snapshot_columns(doc, "q.json", w_slow)
    return (fast, w_fast), (slow, w_slow)


def _same(a, b) -> bool:
    """Equal, with int == float, NaN == NaN and types of non-numbers checked."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and type(a) is not bool and type(b) is not bool:
        return (math.isnan(a) and math.isnan(b)) or a == b
    return type(a) is type(b) and a == b


CLEAN_BODY = {
    "score": 91,
    "grade": "A",
    "status": "passing",
    "maturity": "stable",
    "metrics": {"coverage": 1, "lint_pass": True, "critical_vulns": 0, "build_success_rate": 0.5},
}
ODD_VALUES = [
    ("score", None),
    ("score", float("nan")),
    ("score", 101),
    ("score", True),
    ("score", "80"),
    ("grade", 3),
    ("coverage", 85),
    ("coverage", "85%"),
    ("coverage", float("nan")),
    ("lint_pass", 1),
    ("lint_pass", "yes"),
    ("critical_vulns", 2.0),
    ("critical_vulns", -1),
    ("critical_vulns", True),
    ("critical_vulns", 2**64),
    ("build_success_rate", float("nan")),
    ("build_success_rate", 10**400),
    ("build_success_rate", float("inf")),
]


@pytest.mark.parametrize("field,value", ODD_VALUES)
def test_odd_values_read_as_row_by_row(field, value, monkeypatch):
    body = json.loads(json.dumps(CLEAN_BODY))
    target = body if field in ("score", "grade") else body["metrics"]
    target[field] = value
    doc = {"generated_at": "2025-01-01", "services": {"a": CLEAN_BODY, "b": body}}
    (fast, w_fast), (slow, w_slow) = _both_ways(doc, monkeypatch)
    assert fast[0] == slow[0] and w_fast == w_slow
    for col in HS._SNAPSHOT_COLUMNS:
        assert all(_same(x, y) for x, y in zip(fast[1][col], slow[1][col], strict=True)), col


@pytest.mark.parametrize(
    "services",
    [
        {"a": CLEAN_BODY, "b": {"score": 70, "coverage": 0.5, "vuln_critical": 1}},  # mixed shapes
        {"a": {"score": 70, "open_critical_vulns": 3, "coverage": 0.25}, "b": {"open_critical_vulns": 1, "score": 1}},
        {"a": {"score": 70, "vuln_high": 2, "lint_pass": False}},
        {"a": {"score": 70, "grade": "C"}},  # no metrics: warned
        {"a": {"score": 70, "metrics": None, "coverage": 0.1}},
        [{"name": "a", "score": 50, "coverage": 0.1}, {"name": ["x"], "score": 1}],  # list-shaped services
        {},
    ],
)
def test_shapes_read_as_row_by_row(services, monkeypatch):
    doc = {"metadata": {"generated_at": "2025-01-01", "catalog_timestamp": "2024-12-31"}, "services": services}
    (fast, w_fast), (slow, w_slow) = _both_ways(doc, monkeypatch)
    assert w_fast == w_slow and fast[0] == slow[0]
    assert {
        c: [float(v) if isinstance(v, int) and type(v) is not bool else v for v in fast[1][c]] for c in fast[1]
    } == {c: [float(v) if isinstance(v, int) and type(v) is not bool else v for v in slow[1][c]] for c in slow[1]}
    rows = HS.parse_quality_snapshot(doc, "q.json", [])
    assert [r["service"] for r in rows] == fast[1].get("service", [])


def test_clean_snapshot_takes_the_fast_path():
    services = {f"s{i}": CLEAN_BODY for i in range(3)}
    cols = HS._clean_columns(services, "q.json")
    assert cols is not None and cols["shape"] == ["snapshot"] * 3 and cols["critical_vulns"] == [0, 0, 0]
    assert HS._clean_columns({"a": CLEAN_BODY, "b": {**CLEAN_BODY, "score": None}}, "q.json") is None


def test_quality_frame_sorted_like_sort_values(tmp_path):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "service-index.yaml").write_text("services: []\n", encoding="utf-8")
    qdir = tmp_path / "analysis" / "historical" / "quality"
    qdir.mkdir(parents=True)
    for stamp, names in (("20250108_000000", ["b", "a"]), ("20250101_000000", ["c", "a", "B"])):
        doc = {"services": {n: {"score": 50, "coverage": 0.5} for n in names}}
        (qdir / f"quality_{stamp}.json").write_text(json.dumps(doc), encoding="utf-8")
    df = open_workspace(tmp_path, cache=False).quality_history
    assert list(zip(df["snapshot"].str[8:16], df["service"], strict=True)) == [
        ("20250101", "B"),
        ("20250101", "a"),
        ("20250101", "c"),
        ("20250108", "a"),
        ("20250108", "b"),
    ]


# --- drift reports ---------------------------------------------------------------------------------

PLAIN = "DriftIssue(type='spec_lag', severity='low', service='a, b', description='pins x@1.0.0', current_value='1.0.0')"


@pytest.mark.parametrize(
    "text",
    [
        PLAIN,
        "DriftIssue(type='x', type='y')",
        "DriftIssue(if='x')",
        "None(a='1')",
        "DriftIssue(a='it\\'s')",
        "DriftIssue(a='x\ny')",
        "DriftIssue()",
        "  DriftIssue(a='b')  ",
        "DriftIssue(a='b',)",
        "DriftIssue(a = 'b')",
        'DriftIssue(a="b")',
        "DriftIssue(a='\u00e9\U0001f4cb')",
        "DriftIssue(a='\x7f')",
        "DriftIssue(a='b')(c='d')",
        "x.DriftIssue(a='b')",
        "DriftIssue(a='b' 'c')",
        "DriftIssue(a=u'b')",
        "DriftIssue(\u00e9='x')",
        "DriftIssue(a=1, b=None)",
    ],
)
def test_plain_repr_reads_as_the_syntax_tree(text, monkeypatch):
    def read():
        try:
            return "ok", HF.parse_repr_issue(text)
        except ValueError as err:
            return "refused", str(err)

    fast = read()
    with monkeypatch.context() as m:
        m.setattr(HF, "_simple_repr", lambda t: None)
        slow = read()
    assert fast == slow
    if fast[0] == "ok":
        assert [type(v) for v in fast[1].values()] == [type(v) for v in slow[1].values()]


def test_repeated_issues_are_worked_out_once_and_rows_stay_right():
    doc = {
        "metadata": {"generated_at": "2025-01-01"},
        "issues": [PLAIN, PLAIN, {"type": "t", "severity": "low", "service": "c"}],
    }
    cols, memo = HF.DriftColumns(), HF.HistoryMemo()
    assert HF.drift_report_columns(doc, "r1.json", [], into=cols, memo=memo) == 5
    assert HF.drift_report_columns(doc, "r2.json", [], into=cols, memo=memo) == 5
    assert len(cols.records) == 2 and len(memo.issues) == 1  # worked out once each, parsed once
    rows = cols.rows()
    assert [(r["report"], r["source_issue"], r["service"], r["type"]) for r in rows[5:]] == [
        ("r2.json", "r2.json#0", "a", "spec_lag"),
        ("r2.json", "r2.json#0", "b", "spec_lag"),
        ("r2.json", "r2.json#1", "a", "spec_lag"),
        ("r2.json", "r2.json#1", "b", "spec_lag"),
        ("r2.json", "r2.json#2", "c", "t"),
    ]


def test_one_and_true_are_not_the_same_issue():
    issues = [
        {"type": "t", "service": "a", "current_value": True},
        {"type": "t", "service": "a", "current_value": 1},
        {"type": "t", "service": "a", "exempt": True},
        {"type": "t", "service": "a", "exempt": 1},
    ]
    rows = HF.parse_drift_report({"metadata": {"generated_at": "2025-01-01"}, "issues": issues}, "r.json", [])
    assert [r["current"] for r in rows] == ["true", "1", "", ""]
    assert [r["exempt"] for r in rows] == [None, None, True, None]


def test_text_warnings_repeat_per_service_and_are_not_memoised():
    issue = {"type": "t", "severity": "low", "service": "a, b", "description": 5.5, "remediation": ["x"]}
    doc = {"metadata": {"generated_at": "2025-01-01"}, "issues": [issue, issue]}
    warnings: list = []
    rows = HF.parse_drift_report(doc, "r.json", warnings)
    assert len(rows) == 4 and [r["description"] for r in rows] == ["5.5"] * 4
    assert [w[1] for w in warnings] == ["issues[0].description", "issues[0].remediation"] * 2 + [
        "issues[1].description",
        "issues[1].remediation",
    ] * 2


def test_drift_frame_sorts_source_issues_as_text(tmp_path):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "service-index.yaml").write_text("services: []\n", encoding="utf-8")
    ddir = tmp_path / "analysis" / "reports" / "drift"
    ddir.mkdir(parents=True)
    issues = [{"type": "t", "severity": "low", "service": f"s{i % 3}, r{i}"} for i in range(12)]
    doc = {"metadata": {"generated_at": "2025-01-01"}, "issues": issues}
    (ddir / "20250101_000000_drift_report.json").write_text(json.dumps(doc), encoding="utf-8")
    (ddir / "20241201_000000_drift_report.json").write_text(json.dumps(doc), encoding="utf-8")
    df = open_workspace(tmp_path, cache=False).drift_history
    expected = df.sort_values(["report_time", "report", "source_issue", "service"], kind="stable")
    assert df.index.equals(pd.RangeIndex(len(df))) and expected.index.tolist() == list(range(len(df)))
    assert (
        df["source_issue"].iloc[:4].tolist()
        == ["20241201_000000_drift_report.json#0"] * 2 + ["20241201_000000_drift_report.json#1"] * 2
    )
    assert df["source_issue"].iloc[4] == "20241201_000000_drift_report.json#10"


def test_position_ranks_and_text_columns():
    positions = [0, 1, 2, 10, 11, 100]
    ranks = HD.position_ranks(positions).tolist()
    assert sorted(positions, key=lambda p: ranks[positions.index(p)]) == sorted(positions, key=str)
    assert HD.text_column(["a", None, 3]).equals(pd.Series(["a", None, 3], dtype="str"))
    got = H._masked([1, None, 2**60], "Int64")
    assert got.equals(pd.Series([1, None, 2**60], dtype=object).astype("Int64"))
    assert H._masked([True, None], "boolean").equals(pd.Series([True, None], dtype=object).astype("boolean"))


# --- JSON ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b'{"n": 18446744073709551616, "m": -9223372036854775809}',
        b'{"x": NaN, "y": Infinity}',
        b'\xef\xbb\xbf{"a": 1}',
        b'{"s": "\\ud800"}',
        b'{"a": 1, "a": 2, "f": 1e400, "g": -0.0, "h": 0.1}',
        b'[1, "\\u00e9", null, true]',
    ],
)
def test_loads_json_reads_as_the_standard_parser(data):
    got = yamlio.loads_json(data, "x.json")
    want = json.loads(data.decode("utf-8-sig"))
    assert json.dumps(got) == json.dumps(want) and repr(got) == repr(want)


def test_loads_json_errors_unchanged():
    with pytest.raises(yamlio.InputError, match="line 1, column 7"):
        yamlio.loads_json(b'{"a": ', "x.json")
    with pytest.raises(yamlio.InputError, match="byte 0xff"):
        yamlio.loads_json(b'{"a": "\xff"}', "x.json")


# --- issue 16: codes, key order, Arrow ranks ----------------------------------------------------------


@pytest.mark.parametrize(
    "services",
    [
        # the same keys in another order in one service: transposed by name, not by position
        {
            "a": CLEAN_BODY,
            "b": {"metrics": CLEAN_BODY["metrics"], "maturity": "beta", "grade": "B", "status": "x", "score": 60},
        },
        {"a": CLEAN_BODY, "b": {**CLEAN_BODY, "metrics": dict(reversed(list(CLEAN_BODY["metrics"].items())))}},
        # as many keys, not the same ones
        {"a": CLEAN_BODY, "b": {"score": 60, "grade": "B", "status": "x", "extra": "beta", "metrics": {}}},
    ],
)
def test_keys_in_any_order_read_as_row_by_row(services, monkeypatch):
    doc = {"generated_at": "2025-01-01", "services": services}
    (fast, w_fast), (slow, w_slow) = _both_ways(doc, monkeypatch)
    assert w_fast == w_slow and fast[0] == slow[0]
    for col in HS._SNAPSHOT_COLUMNS:
        assert all(_same(x, y) for x, y in zip(fast[1][col], slow[1][col], strict=True)), col


def test_text_ranks_sort_by_code_point_as_python_does():
    texts = ["b", "é", "z", "\uffff", "\U0001f600", "B", "", "a b", "é"]
    assert HD.text_ranks(HD.text_column(texts)).tolist() == HD.ranks(texts).tolist()


def test_issue_keys_keep_keys_and_values_apart():
    one = {"type": "t", "service": "a"}
    assert HF._issue_key(one) == ("type", "service", "t", "a")
    assert HF._issue_key({"service": "a", "type": "t"}) != HF._issue_key(one)  # another order: worked out again
    assert HF._issue_key({"type": "service", "t": "a"}) != HF._issue_key(one)
    assert HF._issue_key({"type": "t", "n": 1}) is None and HF._issue_key(["x"]) is None


def test_issues_seen_again_in_a_report_share_their_code():
    same = {"type": "t", "severity": "low", "service": "a, b"}
    doc = {"metadata": {"generated_at": "2025-01-01"}, "issues": [same, dict(same), PLAIN, {"type": "t"}, PLAIN]}
    cols, memo, warnings = HF.DriftColumns(), HF.HistoryMemo(), []
    assert HF.drift_report_columns(doc, "r.json", warnings, into=cols, memo=memo) == 8
    assert cols.occurrences == [0, 0, 1, 1] and cols.positions == [0, 1, 2, 4]
    assert [w[1] for w in warnings] == ["issues[3].severity", "issues[3].service"]
    assert [r["source_issue"] for r in cols.rows()] == ["r.json#0"] * 2 + ["r.json#1"] * 2 + ["r.json#2"] * 2 + [
        "r.json#4"
    ] * 2


def test_snapshot_column_is_built_from_runs(tmp_path):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "service-index.yaml").write_text("services: []\n", encoding="utf-8")
    qdir = tmp_path / "analysis" / "historical" / "quality"
    qdir.mkdir(parents=True)
    for stamp, names in (("20250101_000000", ["a", "b"]), ("20250108_000000", ["a"])):
        doc = {"services": {n: {"score": 50, "coverage": 0.5} for n in names}}
        (qdir / f"quality_{stamp}.json").write_text(json.dumps(doc), encoding="utf-8")
    df = open_workspace(tmp_path, cache=False).quality_history
    assert df["snapshot"].tolist() == ["quality_20250101_000000.json"] * 2 + ["quality_20250108_000000.json"]
    assert str(df["snapshot"].dtype) == "str" and df["score"].tolist() == [50.0] * 3


@pytest.mark.parametrize(
    "values,dtype",
    [
        ([1, 0.5, None, 2**53, -3], "Float64"),
        ([0.25, 1.0], "Float64"),
        ([None, None], "Float64"),
        ([0, 7, 2**63 - 1], "Int64"),
        ([3, None], "Int64"),
        ([True, False, True], "boolean"),
        ([True, None], "boolean"),
        ([], "Float64"),
        ([], "boolean"),
    ],
)
def test_clean_masked_columns_equal_the_arrow_conversion(values, dtype):
    # clean numbers and booleans go straight to numpy: the same values, mask and data under the mask
    got = H._column(values, dtype, True)  # an Arrow array when numpy refuses a None among integers
    got = pd.Series(got, dtype=dtype) if isinstance(got, pa.Array) else got
    want = pd.Series(pa.array(values, type=H._ARROW[dtype]), dtype=dtype)
    assert str(got.dtype) == dtype
    assert got.array._mask.tolist() == want.array._mask.tolist()
    assert np.array_equal(got.array._data, want.array._data, equal_nan=dtype == "Float64")
    both = H._concat([got, H._masked([None], dtype)], dtype)
    assert both.tolist() == [*want.tolist(), pd.NA]
