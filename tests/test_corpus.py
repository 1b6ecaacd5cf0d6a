"""Run every case of the bad-input corpus (tests/corpus/cases.py) and check its stated outcome.

An ``error`` case must fail to open with an InputError naming the file, the field, the expectation and
what was found, and ``meta254 validate`` must exit 2 with that message and no traceback. A ``warning``
case must open, carry its warning row, and load the rest (exact row counts). A ``loaded`` case must
open with no warning for its file. No case may ever create the marker file its hostile payload aims at.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import time

import pytest
from click.testing import CliRunner
from corpus.cases import CASES, ERROR, LOADED, WARNING, Case, materialise

from meta254lib import open_workspace
from meta254lib.cli import main
from meta254lib.core.errors import InputError

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
#: A case that takes longer than this is a hang (a named pipe read, an alias bomb walked), not a slow case.
#: The 100k-service case loads in about 8 s on an idle machine; the margin is for shared CI cores.
CASE_TIMEOUT_S = 90


@contextlib.contextmanager
def time_limit(seconds: int):
    """Fail instead of hanging (SIGALRM interrupts blocking reads such as opening a named pipe)."""

    def on_alarm(signum, frame):
        raise TimeoutError(f"case still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _warning_rows(ws, case: Case):
    w = ws.warnings
    return w[w["file"] == case.file]


def check_error(case: Case, ctx) -> None:
    with pytest.raises(InputError) as info:
        open_workspace(ctx.root)
    err = info.value
    want_file = case.file or str(ctx.root)
    assert (err.file, err.field) == (want_file, case.field), str(err)
    assert case.expected in err.expected, str(err)
    assert case.found in (err.found or ""), str(err)
    assert err.exit_code == 2
    result = CliRunner().invoke(main, ["validate", "--workspace", str(ctx.root)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    where = f"{want_file}: {case.field}: " if case.field else f"{want_file}: "
    assert f"meta254: error: {where}expected {err.expected}" in result.output, result.output


def check_loaded(case: Case, ctx) -> None:
    ws = open_workspace(ctx.root).load_all()
    mine = _warning_rows(ws, case)
    if case.outcome == WARNING:
        hit = mine[(mine["field"] == case.field) & mine["message"].str.contains(case.found, regex=False)]
        assert len(hit) >= 1, f"no warning ({case.file!r}, {case.field!r}, ~{case.found!r}); got:\n" + "\n".join(
            f"  {f!r} {fld!r} {m[:200]!r}" for f, fld, m in ws.warnings.itertuples(index=False)
        )
    else:
        assert mine.empty, mine.to_string()
    for table, n in case.rows.items():
        assert len(getattr(ws, table)) == n, (table, len(getattr(ws, table)), n)
    if case.check is not None:
        case.check(ws, ctx)


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.name, marks=[pytest.mark.slow] if c.heavy else []) for c in CASES]
)
def test_case(case: Case, tmp_path, record_property) -> None:
    if case.skip_as_root and AS_ROOT:
        pytest.skip(case.skip_as_root)
    ctx = materialise(case, tmp_path)
    start = time.perf_counter()
    try:
        with time_limit(CASE_TIMEOUT_S):
            if case.outcome == ERROR:
                check_error(case, ctx)
            else:
                check_loaded(case, ctx)
    finally:
        if case.setup is not None:
            for path in ctx.root.rglob("*"):  # give pytest back what chmod took away, for its cleanup
                with contextlib.suppress(OSError):
                    if not path.is_symlink():
                        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    assert not ctx.marker.exists(), "input was executed: the marker file exists"
    if case.heavy:
        record_property("summary", f"corpus case {case.name}: loaded in {time.perf_counter() - start:.1f} s")


def test_corpus_size_and_coverage(record_property) -> None:
    """At least 50 cases, names unique, every outcome stated with what it checks."""
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 50
    for c in CASES:
        assert c.outcome in (ERROR, WARNING, LOADED), c.name
        assert c.why, c.name
        if c.outcome == ERROR:
            assert c.expected and c.found, c.name
        if c.outcome == WARNING:
            assert c.file and c.found and c.rows, c.name
        if c.outcome == LOADED:
            assert c.file and (c.rows or c.check), c.name
    counts = collections.Counter(c.outcome for c in CASES)
    skipped = sum(1 for c in CASES if c.skip_as_root and AS_ROOT)
    record_property(
        "summary",
        f"bad-input corpus: {len(CASES)} cases ({counts[ERROR]} error, {counts[WARNING]} warning, "
        f"{counts[LOADED]} loaded), {skipped} skipped when running as root",
    )
