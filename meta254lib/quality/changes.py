"""Week-over-week changes of each service's weekly score: attribution, grade transitions, threshold crossings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.schema import GRADE_TRANSITIONS, QUALITY_ATTRIBUTION, SCORE, SERVICE, THRESHOLD_CROSSINGS
from .attribution import attribute_changes
from .cells import ScoredWindow, WeeklyCells, WeekPairs
from .labels import GRADES, str_take
from .params import ScoringParams
from .window import grade_num, typed_frame

__all__ = ["attribution_table", "crossings_table", "transitions_table"]


def _pairs_frame(
    cells: WeeklyCells, pairs: WeekPairs, ends: pd.DatetimeIndex, model: str, sel: np.ndarray
) -> pd.DataFrame:
    """The common columns of the selected pairs: service, model, weeks and the two scores."""
    return pd.DataFrame(
        {
            SERVICE: cells.labels.take(pairs.service[sel]),
            "model": model,
            "week": pairs.week[sel] + 1,
            "from_week_end": ends[pairs.prev[sel]],
            "week_end": ends[pairs.week[sel]],
            "from_score": pairs.score_from[sel],
            "to_score": pairs.score_to[sel],
        }
    )


def attribution_table(
    sc: ScoredWindow, cells: WeeklyCells, pairs: WeekPairs, ends: pd.DatetimeIndex, model: str
) -> pd.DataFrame:
    """Every week-over-week score change, attributed to the components.

    Per :data:`~meta254lib.core.schema.QUALITY_ATTRIBUTION`, ordered by week, then service.
    """
    changed = np.nonzero(pairs.score_to != pairs.score_from)[0]
    attr = attribute_changes(sc.cols, pairs.before[changed], pairs.after[changed])
    return typed_frame(pd.concat([_pairs_frame(cells, pairs, ends, model, changed), attr], axis=1), QUALITY_ATTRIBUTION)


def transitions_table(
    sc: ScoredWindow, cells: WeeklyCells, pairs: WeekPairs, ends: pd.DatetimeIndex, model: str, p: ScoringParams
) -> pd.DataFrame:
    """Every week-over-week change of letter grade (:data:`~meta254lib.core.schema.GRADE_TRANSITIONS`)."""
    grades = grade_num(sc.cols[SCORE], p)
    g_from, g_to = grades[pairs.before], grades[pairs.after]
    moved = np.nonzero(g_from != g_to)[0]
    trans = _pairs_frame(cells, pairs, ends, model, moved).assign(
        from_grade=str_take(GRADES, g_from[moved]),
        to_grade=str_take(GRADES, g_to[moved]),
        direction=str_take(("up", "down"), (g_to[moved] > g_from[moved]).astype("int64")),
    )
    return typed_frame(trans, GRADE_TRANSITIONS)


def crossings_table(
    cells: WeeklyCells, pairs: WeekPairs, ends: pd.DatetimeIndex, model: str, p: ScoringParams
) -> pd.DataFrame:
    """Every week-over-week crossing of fail_under or min_score, by week, service, threshold."""
    s_from, s_to = pairs.score_from, pairs.score_to
    keys, frames = [], []
    for k, (name, value) in enumerate((("fail_under", p.fail_under), ("min_score", p.min_score))):
        below = (s_from >= value) & (s_to < value)
        hit = np.nonzero(below | ((s_from < value) & (s_to >= value)))[0]
        keys.append(np.column_stack([pairs.week[hit], pairs.service[hit], np.full(len(hit), k)]))
        crossing = str_take(("rose above", "fell below"), below[hit].astype(int))
        frames.append(
            _pairs_frame(cells, pairs, ends, model, hit).assign(threshold=name, value=float(value), crossing=crossing)
        )
    key = np.concatenate(keys)
    order = np.lexsort((key[:, 2], key[:, 1], key[:, 0]))
    return typed_frame(pd.concat(frames, ignore_index=True).iloc[order], THRESHOLD_CROSSINGS)
