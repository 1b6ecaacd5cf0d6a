"""The fleet plan's items at an analysis state: built once per process, and once per weekly report run.

Three parts of a weekly report need the whole fleet's plan items at the run's as-of: the index's
fix-first table (the report process), the release-trains page (the items a planning train carries)
and the remediation-plan page. Building the plan takes 10-15 s at 10,000 services. :func:`plan_items_at`
builds it once per analysis state; during a report run (``$META254_RUN_SHARE`` names a folder of the
run) the first process to need it builds it under a lock and stores the items there, and the others read
them back. The folder lives as long as the run, whose inputs do not change, and the file is keyed by
workspace, as-of, drift policy and scoring parameters. It is written with the warm-load cache's codec
(:mod:`meta254lib.workspace.frame_codec`: typed buffers and tagged JSON, every buffer digest-checked; no
code is ever loaded from it). A file that cannot be read is rebuilt, never trusted.

The remediation-plan page builds its own plan (it shows the steps and rollback of every item); it is the
same computation (:func:`~meta254lib.remediation.plan.build_plan` on the same inputs), so the three agree.
"""

from __future__ import annotations

import hashlib
import os
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..workspace.cached_units import unit_lock
from ..workspace.codec import CacheCorrupt, Uncacheable
from ..workspace.frame_codec import Blobs, decode_frame, encode_frame
from ..workspace.unitfile import pack_unit, unpack_unit, write_atomic

if TYPE_CHECKING:
    from ..state.analysis import AnalysisState

__all__ = ["ENV_SHARE", "fleet_items", "plan_items_at"]

#: The environment variable naming the report run's shared folder (set by the weekly report).
ENV_SHARE = "META254_RUN_SHARE"

_FORMAT = "plan-items-1"
_MEMO: weakref.WeakKeyDictionary[AnalysisState, pd.DataFrame] = weakref.WeakKeyDictionary()


def plan_items_at(state: AnalysisState) -> pd.DataFrame:
    """The items of the whole fleet's plan at ``state``: ``build_plan(PlanInputs.from_state(state)).items``.

    Built once per state; within a report run, once for the run (see the module docstring).

    Examples
    --------
    >>> import meta254lib as m
    >>> st = m.analysis_state(m.open_workspace("data/sample"))  # doctest: +SKIP
    >>> plan_items_at(st).equals(m.build_plan(m.PlanInputs.from_state(st), as_of=st.as_of).items)  # doctest: +SKIP
    True
    """
    hit = _MEMO.get(state)
    if hit is None:
        hit = _shared(state)
        _MEMO[state] = hit
    return hit.copy()


def fleet_items(state: AnalysisState) -> pd.DataFrame:
    """:func:`plan_items_at` with the items release trains carry marked: ``plan_workspace(ws, as_of).items``.

    Examples
    --------
    >>> import meta254lib as m
    >>> ws = m.open_workspace("data/sample"); st = m.analysis_state(ws)  # doctest: +SKIP
    >>> fleet_items(st).equals(m.plan_workspace(ws, st.as_of).items)  # doctest: +SKIP
    True
    """
    from .trains import ride_train_items

    return ride_train_items(plan_items_at(state), state.ws)


def _build(state: AnalysisState) -> pd.DataFrame:
    from .inputs import PlanInputs
    from .plan import build_plan

    return build_plan(PlanInputs.from_state(state), as_of=state.as_of).items


def _key(state: AnalysisState) -> str:
    """The shared file's name: workspace, as-of, drift policy and scoring parameters."""
    what = "\n".join((_FORMAT, str(state.ws.root), state.as_of.isoformat(), repr(state.policy), repr(state.scoring)))
    return "plan-items-" + hashlib.sha256(what.encode("utf-8", "surrogateescape")).hexdigest()[:24]


def _shared(state: AnalysisState) -> pd.DataFrame:
    """Read the run's shared items, or build them under the run's lock and store them."""
    folder = os.environ.get(ENV_SHARE)
    if not folder or not Path(folder).is_dir():
        return _build(state)
    key = _key(state)
    path = Path(folder) / f"{key}.m254"
    with unit_lock(Path(folder), key):
        got = _read(path, key)
        if got is not None:
            return got
        items = _build(state)
        _write(path, key, items)
        return items


def _write(path: Path, key: str, items: pd.DataFrame) -> None:
    blobs = Blobs()
    try:
        spec = encode_frame(items, blobs)
        write_atomic(path, pack_unit({"format": _FORMAT, "key": key, "frame": spec}, blobs.items))
    except (OSError, ValueError, TypeError, UnicodeEncodeError, CacheCorrupt, Uncacheable):
        return  # not stored: the next reader builds the items itself


def _read(path: Path, key: str) -> pd.DataFrame | None:
    try:
        data = bytearray(path.read_bytes())
    except OSError:
        return None
    try:
        header, blobs = unpack_unit(data)
        if header.get("format") != _FORMAT or header.get("key") != key:
            return None
        return decode_frame(header["frame"], blobs)
    except (CacheCorrupt, KeyError, TypeError, ValueError, IndexError, OverflowError):
        return None
