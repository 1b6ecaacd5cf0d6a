"""The analysis state: one state per workspace and as-of, each fact computed once."""

from __future__ import annotations

import pandas as pd

import meta254lib as m
from meta254lib.quality.scores import latest_scores
from meta254lib.state.analysis import analysis_state


def test_quality_scores_are_computed_once_and_each_caller_gets_its_own_copy(sample, monkeypatch):
    """The index reads the scores three times per run (this week, fix-first rows); 0.4 s each at 10,000 services."""
    import meta254lib.state.analysis as A

    calls = []

    def counting(*args, **kwargs):
        calls.append(args[1] if len(args) > 1 else kwargs.get("model"))
        return latest_scores(*args, **kwargs)

    monkeypatch.setattr(A, "latest_scores", counting)
    state = analysis_state(m.open_workspace(sample))
    first = state.quality_scores()
    first.loc[0, "score"] = -1.0  # a caller changing its frame changes no other caller's
    second = state.quality_scores()
    assert calls == ["implemented"]
    assert second.loc[0, "score"] != -1.0 and len(second) == len(state.ws.services)
    state.quality_scores("documented")
    assert calls == ["implemented", "documented"]


def test_same_workspace_and_as_of_give_the_same_state(sample):
    ws = m.open_workspace(sample)
    state = analysis_state(ws)
    assert analysis_state(ws, state.as_of) is state
    assert analysis_state(ws, state.as_of - pd.Timedelta(days=7)) is not state
