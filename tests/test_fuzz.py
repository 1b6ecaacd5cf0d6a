"""Property tests: the loaders return frames of their schema or raise meta254's own errors, nothing else.

Hypothesis generates documents for each parser: valid ones (the shapes the platform writes), mutated
ones (a value replaced by junk, a key deleted or added, a container wrapped or emptied, at any depth)
and plain junk (nested lists, mappings, scalars, YAML floats that remember their text, dates,
timestamps). Each parser is fed the decoded document directly (no files), so thousands of examples
run in seconds. Every run records how many examples each parser saw, and how many ended in a table
and how many in a :class:`~meta254lib.core.errors.Meta254Error`; the counts are printed in the terminal
summary.
"""

from __future__ import annotations

import collections
import copy
import datetime as dt
import os
import random
import time

import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from meta254lib import workspace as L
from meta254lib.core import schema as S
from meta254lib.core.errors import Meta254Error
from meta254lib.core.settings import KNOWN_DOMAINS, KNOWN_MATURITIES, KNOWN_RUNTIMES
from meta254lib.workspace.validate import FINDINGS, check_entry
from meta254lib.workspace.yamlio import YamlFloat, loads_json, loads_yaml

#: Examples per parser; `make fuzz` raises it (META254_FUZZ_EXAMPLES) and explores at random.
EXAMPLES = int(os.environ.get("META254_FUZZ_EXAMPLES", "2000"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- building blocks ------------------------------------------------------------------------------

#: Leaves are drawn from pools of values that have broken parsers before (one draw each, which keeps
#: thousands of examples fast), with a share of freshly generated text and numbers.
POOL_TEXT = [
    "",
    " ",
    "a",
    "b",
    "1.10",
    "85%",
    "-3",
    "1e400",
    "NaN",
    "latest",
    "^1.2",
    "v1.2.3",
    "1.2",
    "1.2.3-rc.1",
    "1.2.3+build",
    "true",
    "yes",
    "passed",
    "2025-10-10",
    "2025-10-10T12:00:00Z",
    "next tuesday",
    "<script>alert(1)</script>",
    "../../etc",
    "a, b",
    "x" * 300,
    "DriftIssue(type='spec_lag')",
    "__import__('os').system('id')",
    "postgres",
    "redis@7.0",
    "g@1.0.0",
    "@",
    "moderate",
    "error",
    "\x00",
    "é",
    "\u202e",
    "\U0001f4cb",
    "line\nbreak",
    "tab\tbed",
    "  padded  ",
]
POOL_SCALAR = [
    *POOL_TEXT,
    None,
    True,
    False,
    0,
    1,
    -1,
    85,
    2**63,
    -(2**63) - 1,
    10**30,
    0.5,
    1.5,
    -0.0,
    float("nan"),
    float("inf"),
    float("-inf"),
    YamlFloat(1.1, "1.10"),
    YamlFloat(float("nan"), ".nan"),
    YamlFloat(1e400, "1e400"),
    dt.date(2025, 10, 10),
    dt.date(1, 1, 1),
    dt.datetime(2025, 10, 10, 12, 0, tzinfo=dt.UTC),
    dt.datetime(2025, 10, 10, 12, 0),
    dt.datetime.max,
]
KEY_NAMES = [
    "name",
    "services",
    "metadata",
    "generated_at",
    "issues",
    "type",
    "severity",
    "service",
    "score",
    "metrics",
    "coverage",
    "version",
    "versions",
    "dependencies",
    "internal",
    "id",
    "affected",
    "ranges",
    "events",
    "x",
    "",
]
KEYS = st.sampled_from(KEY_NAMES)
_JR = random.Random(2540)


def _junk(depth: int = 0):
    """A random scalar, or a small nested list or mapping of them."""
    roll = _JR.random()
    if depth > 3 or roll < 0.6:
        return _JR.choice(POOL_SCALAR)
    if roll < 0.8:
        return [_junk(depth + 1) for _ in range(_JR.randint(0, 3))]
    return {_JR.choice(KEY_NAMES): _junk(depth + 1) for _ in range(_JR.randint(0, 3))}


#: Junk: pooled nested values (one draw each), freshly generated text, integers and floats.
JUNK = st.one_of(
    st.sampled_from([_junk() for _ in range(500)]).map(copy.deepcopy),
    st.sampled_from(POOL_SCALAR),
    st.text(max_size=8),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
)

# --- valid documents: seeded pools of the shapes the platform writes ---------------------------------
# Each valid document is assembled from a few draws out of pools built once with a seeded RNG, so a
# draw is cheap and the variety comes from the mutations. Pools are deep-copied per example: a parser
# that mutated its input would otherwise leak into later examples.

_R = random.Random(254)
NAMES = ["a", "b", "gateway", "auth", "core-api", "a", "", "<script>x</script>", "../../etc", "A_b"]
VERSIONS: list = ["1.0.0", "1.2.3", "2.0.0", "0.9.1-beta.2", *POOL_TEXT[5:17], YamlFloat(1.1, "1.10"), 2, None]
TIMES: list = [
    "2025-10-09T22:30:38.509155+00:00",
    "2025-10-10T17:39:11Z",
    "2025-10-10T17:39:11",
    "2025-10-10",
    dt.date(2025, 10, 10),
    dt.datetime(2025, 10, 10, 12, 0, tzinfo=dt.UTC),
    dt.datetime(2025, 10, 10, 12, 0),
    "next tuesday",
    None,
]


def _pick(values: list, k: int = 1):
    return _R.choice(values) if k == 1 else [_R.choice(values) for _ in range(_R.randint(0, k))]


def _maybe(d: dict) -> dict:
    """Drop each key with probability 1/4 (optional fields are optional)."""
    return {k: v for k, v in d.items() if _R.random() > 0.25}


def _pin() -> str:
    return f"{_pick(NAMES)}@{_pick(['1.0.0', '2.1.0', 'latest', 'v1.2', '1.2.3+b', ''])}"


def _entry() -> dict:
    return {
        "name": _pick(NAMES),
        **_maybe(
            {
                "repo": _pick(["https://github.com/254carbon/254carbon-access", "", "x/y.git", None]),
                "domain": _pick([*KNOWN_DOMAINS, "astrology", 3]),
                "version": _pick(VERSIONS),
                "maturity": _pick([*KNOWN_MATURITIES, "legendary", ["stable"]]),
                "runtime": _pick([*KNOWN_RUNTIMES, "cobol"]),
                "api_contracts": [_pin() for _ in range(_R.randint(0, 3))],
                "events_in": _pick(["a.b.c.v1", "x", ""], 2),
                "events_out": _pick(["a.b.c.v1", "y.z.w.v2"], 2),
                "dependencies": _maybe(
                    {"internal": _pick([*NAMES, "b@1.0.0"], 3), "external": _pick(["redis@7.0", "postgres", "a"], 3)}
                ),
                "quality": _maybe(
                    {
                        "coverage": _pick([0.8, 0.0, 1.0, "85%", 85, -1, "high", YamlFloat(0.85, "0.85")]),
                        "lint_pass": _pick([True, False, "yes", "no", "maybe", 1]),
                        "open_critical_vulns": _pick([0, 2, -3, 10**30, "4", 1.5, True]),
                    }
                ),
                "security": _maybe({"signed_images": _pick([True, "no", None]), "policy_pass": _pick([False, 0])}),
                "last_update": _pick(TIMES),
                "status": _pick(["active", "unknown", "error"]),
            }
        ),
    }


def _issue() -> dict:
    return {
        "type": _pick(
            ["spec_lag", "version_staleness", "missing_lock", "shared_dependency", "event_schema_unknown", ""]
        ),
        "service": _pick([*NAMES, "a, b", None]),
        **_maybe(
            {
                "severity": _pick(["high", "medium", "moderate", "low", "error", "HIGH", "catastrophic", 5, None]),
                "description": _pick(
                    ["Service pins g@1.0.0 but latest is 1.2.0", "Shared external dependency: postgres", "", "x" * 300]
                ),
                "current_value": _pick(VERSIONS),
                "expected_value": _pick(VERSIONS),
                "remediation": _pick(POOL_TEXT),
                "id": _pick(["DRIFT-1", "", 3]),
                "exempt": _pick([True, False, "yes", None]),
            }
        ),
    }


def _as_repr(issue: dict) -> str:
    return "DriftIssue(" + ", ".join(f"{k}={v!r}" for k, v in issue.items() if str(k).isidentifier()) + ")"


_CODE = ["__import__('os').system('id')", "open('/etc/passwd').read()", "'a' * 10**9", "lambda: 1", "[*range(3)]"]


def _repr_text() -> str:
    text = _as_repr(_issue())
    roll = _R.random()
    if roll < 0.2:
        return text[: _R.randint(0, len(text))]
    if roll < 0.4:
        return text[:-1] + f", x={_pick(_CODE)})"
    return text


def _metrics() -> dict:
    return _maybe(
        {
            "coverage": _pick([0.8, "85%", -0.5, None, YamlFloat(0.7, "0.70")]),
            "critical_vulns": _pick([0, 3, -1, "2", 10**30]),
            "high_vulns": _pick([0, 1, 1.0]),
            "lint_pass": _pick([True, "passed", "failed", "maybe"]),
            "unit_pass": _pick([True, "passed", 0]),
            "deployment_freshness_days": _pick([2, "3", None, float("nan")]),
            "drift_issues": _pick([0, 4]),
        }
    )


def _snapshot_service() -> dict:
    score = _pick([80, 0, 100, 140, -5, "85", None, float("nan"), YamlFloat(90.0, "90.0")])
    shape = _R.randint(0, 2)
    if shape == 0:
        return {
            "score": score,
            "metrics": _metrics(),
            **_maybe({"grade": "B", "status": "passing", "maturity": "beta"}),
        }
    if shape == 1:
        return {"score": score, **_maybe({"coverage": 0.7, "lint_pass": True, "vuln_critical": 1})}
    return {"score": score, **_maybe({"coverage": 0.7, "open_critical_vulns": 0, "open_high_vulns": 2, "grade": "C"})}


def _snapshot() -> dict:
    services = {_pick(NAMES): _snapshot_service() for _ in range(_R.randint(0, 3))}
    if _R.random() < 0.2:
        services = [{"name": k, **v} for k, v in services.items()]
    head = _pick(
        [
            {"metadata": {"generated_at": _pick(TIMES)}},
            {"generated_at": _pick(TIMES)},
            {"metadata": {"computed_at": "x"}},
            {},
        ]
    )
    return {**head, "services": services}


def _osv() -> dict:
    def event() -> dict:
        key = _pick(["introduced", "fixed", "last_affected", "limit"])
        return {key: _pick(["0", *VERSIONS[:8]])}

    return {
        "id": _pick(["GHSA-1", "", None, 7]),
        "affected": [
            {
                "package": _maybe({"name": _pick(NAMES), "ecosystem": _pick(["PyPI", "npm", "", None])}),
                **_maybe(
                    {
                        "ranges": [
                            {
                                "type": _pick(["SEMVER", "ECOSYSTEM", "GIT", "semver"]),
                                "events": [event() for _ in range(_R.randint(0, 4))],
                            }
                            for _ in range(_R.randint(0, 2))
                        ],
                        "versions": _pick(VERSIONS, 3),
                    }
                ),
            }
            for _ in range(_R.randint(0, 2))
        ],
        **_maybe(
            {
                "severity": [{"type": "CVSS_V3", "score": _pick(["7.5", 9.8, "x", None])}],
                "database_specific": _maybe(
                    {"severity": _pick(["HIGH", "MODERATE", "bogus"]), "epss": _pick([0.2, 3, "x"])}
                ),
                "aliases": _pick(["CVE-1", 3, None], 2),
                "summary": _pick(POOL_TEXT),
                "published": _pick(TIMES),
            }
        ),
    }


def _lock() -> dict:
    deps = {
        _pick(NAMES): _pick(
            [
                _pick(VERSIONS),
                _maybe({"version": _pick(VERSIONS), "resolved_at": _pick(TIMES), "integrity": "sha256-x"}),
            ]
        )
        for _ in range(_R.randint(0, 3))
    }
    return {"version": "1.0", "dependencies": deps}


def _registry() -> dict:
    def version():
        v = _pick(VERSIONS)
        if _R.random() < 0.5:
            return v
        return {
            "version": v,
            **_maybe({"release_date": _pick(TIMES), "changes": ["feature", "breaking"], "breaking": True}),
        }

    return {
        _pick(NAMES): _maybe(
            {
                "latest_version": _pick(VERSIONS),
                "description": _pick(POOL_TEXT),
                "versions": [version() for _ in range(_R.randint(0, 3))],
                "deprecated": _pick(VERSIONS, 2),
            }
        )
        for _ in range(_R.randint(0, 3))
    }


def _pool(make, n: int = 300) -> st.SearchStrategy:
    values = [make() for _ in range(n)]
    return st.sampled_from(values).map(copy.deepcopy)


ENTRIES = _pool(_entry)
CATALOG = st.builds(
    lambda entries, meta, as_dict: {
        **meta,
        "services": {e.get("name", "?"): e for e in entries} if as_dict else entries,
    },
    st.lists(ENTRIES, max_size=4),
    st.sampled_from(
        [
            {},
            {"metadata": {"generated_at": "2025-10-10T00:00:00Z"}},
            {"metadata": {"generated_at": "soon"}},
            {"metadata": [1]},
        ]
    ),
    st.sampled_from([False, False, False, True]),
)
MANIFEST = ENTRIES
ISSUES = st.one_of(_pool(_issue), _pool(_repr_text), st.text(max_size=30))
DRIFT_REPORT = st.builds(
    lambda issues, meta: {**meta, "issues": issues},
    st.lists(ISSUES, max_size=4),
    st.sampled_from(
        [
            {},
            {"metadata": {"generated_at": "2025-10-09T00:00:00Z"}},
            {"metadata": {"generator": "meta254 0.1"}},
            {"metadata": {"generated_at": "x"}},
        ]
    ),
)
REPR = st.one_of(_pool(_repr_text), st.text(max_size=40))
SNAPSHOT = _pool(_snapshot)
OSV = _pool(_osv)
LOCK = _pool(_lock)
REGISTRY = _pool(_registry)


@st.composite
def mutated(draw, base):
    """A document from ``base`` with up to three random edits at random depths."""
    doc = draw(base)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        doc = _edit(draw, doc, depth=0)
    return doc


def _edit(draw, node, depth: int):
    op = draw(st.sampled_from(["replace", "descend", "descend", "delete", "add", "wrap", "empty"]))
    if op == "replace" or not isinstance(node, (dict, list)) or depth > 4:
        return draw(JUNK) if op != "wrap" else [node]
    if op == "wrap":
        return {"value": node} if draw(st.booleans()) else [node]
    if op == "empty":
        return type(node)()
    if isinstance(node, dict):
        keys = list(node)
        if op == "add" or not keys:
            return {**node, draw(KEYS): draw(JUNK)}
        key = draw(st.sampled_from(keys))
        if op == "delete":
            return {k: v for k, v in node.items() if k != key}
        return {**node, key: _edit(draw, node[key], depth + 1)}
    if op == "add" or not node:
        return [*node, draw(JUNK)]
    i = draw(st.integers(min_value=0, max_value=len(node) - 1))
    if op == "delete":
        return node[:i] + node[i + 1 :]
    return [*node[:i], _edit(draw, node[i], depth + 1), *node[i + 1 :]]


def documents(valid):
    """Valid documents, mutated ones (twice as likely), and junk."""
    return st.one_of(valid, mutated(valid), mutated(valid), JUNK)


# --- the checks -------------------------------------------------------------------------------------


def assert_frame(df: pd.DataFrame, schema: S.TableSchema) -> None:
    """``df`` has exactly the schema's columns, in order, with its dtypes."""
    assert tuple(df.columns) == schema.columns, (schema.name, list(df.columns))
    for col, dtype in schema.dtypes.items():
        got = str(df[col].dtype)
        if dtype == "str":
            assert got in ("str", "string"), (schema.name, col, got)
        else:
            assert got == dtype, (schema.name, col, got, dtype)


def assert_warnings(warnings: list) -> None:
    for w in warnings:
        assert isinstance(w, tuple) and len(w) == 3 and all(isinstance(x, str) for x in w), w
        assert len(w[2]) <= 600, w
    assert_frame(
        S.frame_from_records(S.WARNINGS, [dict(zip(S.WARNINGS.columns, w, strict=True)) for w in warnings]), S.WARNINGS
    )


class Tally:
    """Examples seen by one fuzz test, by outcome."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()

    def line(self, name: str, seconds: float) -> str:
        parts = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items()))
        return f"fuzz {name}: {sum(self.counts.values())} examples ({parts}) in {seconds:.1f} s"


def run_fuzz(name: str, strategy, check, record_property, pinned: tuple = ()) -> None:
    """Run ``check`` on ``EXAMPLES`` drawn documents (and every ``pinned`` one, found by `make fuzz`);
    count outcomes; fail on anything but a table or a Meta254Error."""
    tally = Tally()

    def pin(fn):
        for doc in pinned:
            fn = example(doc)(fn)
        return fn

    @FUZZ
    @given(strategy)
    @pin
    def fuzz(doc):
        warnings: list = []
        try:
            check(doc, warnings)
        except Meta254Error as err:
            assert str(err)
            tally.counts[f"{type(err).__name__}"] += 1
            return
        assert_warnings(warnings)
        tally.counts["table"] += 1

    start = time.perf_counter()
    fuzz()
    record_property("summary", tally.line(name, time.perf_counter() - start))
    assert sum(tally.counts.values()) >= EXAMPLES, tally.counts


def test_fuzz_catalog(record_property) -> None:
    def check(doc, warnings):
        _, entries = L.parse_catalog(doc, "catalog/service-index.yaml", warnings)
        tables = L.services_tables(
            entries, "catalog/service-index.yaml", warnings, domains=("access", "ml"), registry=frozenset({"a.b.c.v1"})
        )
        for name, df in tables.items():
            assert_frame(df, S.TABLES[name])

    run_fuzz("parse_catalog + services_tables", documents(CATALOG), check, record_property)


def test_fuzz_manifest(record_property) -> None:
    def check(doc, warnings):
        man = L.parse_manifest(doc, "manifests/collected/a.yaml", warnings)
        if man is not None:
            findings = check_entry(man, "manifests/collected/a.yaml", catalog=False)
            assert all(f["field"] is not None and f["expected"] for f in findings)
            assert_frame(S.frame_from_records(FINDINGS, findings), FINDINGS)

    run_fuzz("parse_manifest + check_entry", documents(MANIFEST), check, record_property)


def test_fuzz_drift_report(record_property) -> None:
    def check(doc, warnings):
        rows = L.parse_drift_report(
            doc, "analysis/reports/drift/r.json", warnings, report_time=pd.Timestamp("2025-10-01", tz="UTC")
        )
        assert_frame(S.frame_from_records(S.DRIFT_HISTORY, rows), S.DRIFT_HISTORY)

    run_fuzz("parse_drift_report (dict and repr issues)", documents(DRIFT_REPORT), check, record_property)


def test_fuzz_repr_issue(record_property) -> None:
    def check(text, warnings):
        try:
            out = L.parse_repr_issue(text)
        except ValueError:
            return
        assert isinstance(out, dict)

    strategy = st.one_of(REPR, st.text(max_size=60))
    run_fuzz("parse_repr_issue", strategy, check, record_property)


def test_fuzz_quality_snapshot(record_property) -> None:
    def check(doc, warnings):
        rows = L.parse_quality_snapshot(doc, "q.json", warnings, snapshot_time=pd.Timestamp("2025-10-01", tz="UTC"))
        df = S.frame_from_records(S.QUALITY_HISTORY, rows)
        assert_frame(df, S.QUALITY_HISTORY)
        assert df["score"].dropna().between(0, 100).all()

    run_fuzz("parse_quality_snapshot", documents(SNAPSHOT), check, record_property)


def test_fuzz_advisory_lock_registry(record_property) -> None:
    def check(doc, warnings):
        kind, body = doc
        if kind == "osv":
            assert_frame(
                S.frame_from_records(S.ADVISORIES, L.parse_advisory(body, "advisories/a.json", warnings)), S.ADVISORIES
            )
        elif kind == "lock":
            rows = L.parse_lockfile(body, "a", "manifests/collected/a.specs.lock.json", warnings)
            assert_frame(S.frame_from_records(S.LOCKFILES, rows), S.LOCKFILES)
        else:
            assert_frame(L.parse_spec_registry(body, "config/specs-index.json", warnings), S.SPEC_VERSIONS)

    strategy = st.one_of(
        st.tuples(st.just("osv"), documents(OSV)),
        st.tuples(st.just("lock"), documents(LOCK)),
        st.tuples(st.just("registry"), documents(REGISTRY)),
    )
    huge = 10**400  # an integer beyond any float: OverflowError in float() before the fix
    pinned = (
        (
            "osv",
            {"id": "X", "affected": [{"package": {"name": "p"}}], "severity": [{"type": "CVSS_V3", "score": huge}]},
        ),
        ("osv", {"id": "X", "affected": [{"package": {"name": "p"}}], "database_specific": {"epss": huge}}),
    )
    run_fuzz("parse_advisory / parse_lockfile / parse_spec_registry", strategy, check, record_property, pinned)


YAMLISH = st.text(alphabet=": -[]{}&*!|>'\"#\n\t,?%@`abc019.", max_size=60)


def test_fuzz_yaml_and_json_bytes(record_property) -> None:
    def check(data, warnings):
        try:
            loads_json(data, "x.json")  # JSON first: its errors are InputErrors too, and must not stop the YAML
        except Meta254Error as err:
            assert err.exit_code == 2 and str(err).startswith("x.json: ")
        loads_yaml(data, "config/x.yaml", warnings)

    strategy = st.one_of(st.binary(max_size=60), YAMLISH.map(lambda s: s.encode("utf-8")))
    run_fuzz("loads_yaml / loads_json (raw bytes)", strategy, check, record_property)
