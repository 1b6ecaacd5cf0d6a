"""What a report run learns beside its kernels: the workspace's as-of date, inputs and warnings, a warm exporter,
and the facts its indexes show.

All run in background threads while the notebooks execute (:func:`resolve_context`, :func:`warm`); pages
wait for ``RunState.ready`` before they render. Once ready, the context thread goes on to compute the
indexes' first screen (:func:`prepare_indexes`), overlapped with the pages instead of after them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.clock import to_utc
from ..workspace.workspace import Workspace, open_workspace
from .asof import as_of_text
from .assets import write_assets
from .export import warm_up
from .index_first import first_screen, weekly_facts
from .page_model import STALE_LABEL
from .run_model import RunState

__all__ = ["data_as_of", "prepare_indexes", "resolve_context", "stale_notice", "warm"]


def data_as_of(as_of: pd.Timestamp, inputs: pd.DataFrame | None) -> pd.Timestamp:
    """The time of the newest input the report reads: the newest input timestamp up to ``as_of``, else ``as_of``.

    Examples
    --------
    >>> inputs = pd.DataFrame({"timestamp": pd.to_datetime(["2025-10-06T05:21Z", "2025-10-20T00:00Z", None])})
    >>> data_as_of(pd.Timestamp("2025-10-10", tz="UTC"), inputs)
    Timestamp('2025-10-06 05:21:00+0000', tz='UTC')
    >>> data_as_of(pd.Timestamp("2025-10-10", tz="UTC"), None)
    Timestamp('2025-10-10 00:00:00+0000', tz='UTC')
    """
    as_of = to_utc(as_of)
    if inputs is None or "timestamp" not in inputs or not len(inputs):
        return as_of
    stamps = [to_utc(v) for v in inputs["timestamp"].dropna().tolist()]
    stamps = [t for t in stamps if t is not pd.NaT and t <= as_of]
    return max(stamps) if stamps else as_of


def stale_notice(data_time: pd.Timestamp, rendered: pd.Timestamp, stale_after_days: int) -> str | None:
    """The staleness notice when the data is older than ``stale_after_days`` at render time, else None.

    ``stale_after_days`` 0 (or less) turns the notice off.

    Examples
    --------
    >>> data, now = pd.Timestamp("2025-10-06T05:21Z"), pd.Timestamp("2026-12-05T05:40:31Z")
    >>> stale_notice(data, now, 14)
    'Data as of 2025-10-06 — 425 days old at render (2026-12-05 05:40 UTC)'
    >>> stale_notice(data, now, 500) is None, stale_notice(data, now, 0) is None
    (True, True)
    """
    data_time, rendered = to_utc(data_time), to_utc(rendered)
    age = rendered - data_time
    if stale_after_days <= 0 or age <= pd.Timedelta(days=stale_after_days):
        return None
    days = age.days
    return (
        f"Data as of {data_time:%Y-%m-%d} — {days:,} day{'s' if days != 1 else ''} old at render "
        f"({rendered:%Y-%m-%d %H:%M} UTC)"
    )


def resolve_context(
    ws_path: Path,
    as_of_ts: pd.Timestamp | None,
    ws: Workspace | None,
    shared: RunState,
    state: dict[str, Any],
    warm_thread: threading.Thread,
    targets: Sequence[tuple[str | None, str]] = (),
) -> None:
    """Background: open the workspace, resolve as_of, read ws.inputs/warnings, wait for nbconvert.

    Then (pages may render from here on) compute the indexes' facts for ``targets``
    (:func:`prepare_indexes`), unless something failed.
    """
    try:
        if ws is None:
            ws = open_workspace(ws_path)
        ts = ws.resolve_as_of(as_of_ts)
        state["as_of_ts"] = ts
        state["as_of_defaulted"] = as_of_ts is None
        shared.as_of_text = as_of_text(ts)
        state["inputs"] = ws.inputs
        state["warnings"] = ws.warnings
        state["workspace"] = ws  # the index reads the week's change and the plan from it
        notice = stale_notice(
            data_as_of(ts, ws.inputs), state.get("rendered", pd.Timestamp.now(tz="UTC")), state.get("stale_after", 0)
        )
        state["stale_notice"] = notice
        if notice:  # every page shows it under its title (page_html.header_html)
            shared.meta = (*shared.meta, (STALE_LABEL, notice))
        ws.graph  # noqa: B018 - stored in the warm-load cache the pages read, when there is one
        ws.history_heads()
        warm_thread.join()
        if state.get("warm_error") is not None:
            raise state["warm_error"]
    except BaseException as err:
        shared.error = err
    finally:
        shared.ready.set()
    if shared.error is None and not shared.cancel.is_set():
        prepare_indexes(ws_path, state, targets)


def prepare_indexes(ws_path: Path, state: dict[str, Any], targets: Sequence[tuple[str | None, str]]) -> None:
    """Background, while the pages run: the week's facts (``state["weekly_facts"]``) and each target's first screen.

    :func:`~meta254lib.report.index_first.weekly_facts` (the week's change, the remediation plan, the
    analysis state) is stored for :func:`~meta254lib.report.index.write_indexes`; building each target's
    first screen once fills the analysis state's caches it reads (SLO rows, trends, impacts), so the
    indexes are written from them after the last page. A failure here is left for the index to report:
    it computes again what is missing.
    """
    try:
        facts = weekly_facts(ws_path, state)
        state["weekly_facts"] = facts
        if not isinstance(facts, str):
            for team, _rel in targets:
                first_screen(facts, team, ())
    except Exception:  # the index computes it again and shows the error
        return


def warm(tmp: Path, state: dict[str, Any]) -> None:
    """Background: import nbconvert, compile the page template and write the assets into ``tmp``.

    Sets ``state["asset_sizes"]``, or ``state["warm_error"]`` when that fails.
    """
    try:
        warm_up()
        state["asset_sizes"] = write_assets(tmp)
    except BaseException as err:
        state["warm_error"] = err
