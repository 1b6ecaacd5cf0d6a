"""What a report run learns beside its kernels: the workspace's as-of date, inputs and warnings, a warm exporter.

Both run in background threads while the first notebooks execute (:func:`resolve_context`,
:func:`warm`); pages wait for ``RunState.ready`` before they render.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pandas as pd

from ..workspace.workspace import Workspace, open_workspace
from .asof import as_of_text
from .assets import write_assets
from .export import warm_up
from .run_model import RunState

__all__ = ["resolve_context", "warm"]


def resolve_context(
    ws_path: Path,
    as_of_ts: pd.Timestamp | None,
    ws: Workspace | None,
    shared: RunState,
    state: dict[str, Any],
    warm_thread: threading.Thread,
) -> None:
    """Background: open the workspace, resolve as_of, read ws.inputs/warnings, wait for nbconvert."""
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
        ws.graph  # noqa: B018 - stored in the warm-load cache the pages read, when there is one
        ws.history_heads()
        warm_thread.join()
        if state.get("warm_error") is not None:
            raise state["warm_error"]
    except BaseException as err:
        shared.error = err
    finally:
        shared.ready.set()


def warm(tmp: Path, state: dict[str, Any]) -> None:
    """Background: import nbconvert, compile the page template and write the assets into ``tmp``.

    Sets ``state["asset_sizes"]``, or ``state["warm_error"]`` when that fails.
    """
    try:
        warm_up()
        state["asset_sizes"] = write_assets(tmp)
    except BaseException as err:
        state["warm_error"] = err
