"""Results display themselves: a headline, key numbers and the top rows, in JupyterLab and as text."""

from __future__ import annotations

import pytest
from conftest import SAMPLE

import meta254lib as m


@pytest.fixture(scope="module")
def state():
    return m.analysis_state(m.open_workspace(SAMPLE))


def test_drift_result_shows_its_backlog(state):
    html = state.drift._repr_html_()
    assert "<h4>Drift as of 2025-10-06 06:00 UTC: 75 open issue(s)</h4>" in html
    assert "<b>high</b>: 28" in html and "… 67 more row(s)" in html
    assert repr(state.drift).splitlines()[1:4] == ["  high: 28", "  medium: 34", "  low: 13"]


def test_impact_plan_and_trends_show_their_answers(state):
    impact = state.impact(["service:auth-service"])
    assert repr(impact).startswith("Impact of service:auth-service: blast radius 14, severity critical")
    plan = m.plan_workspace(state.ws)
    assert plan._repr_html_().startswith("<div><h4>55 remediation items for 35 services")
    trends = m.workspace_trends(state.ws, as_of=state.quality_as_of)
    assert "platform mean</b>: 89.3" in trends._repr_html_()


def test_hostile_text_is_escaped():
    from meta254lib.core.reprs import summary_html

    class R:
        def _summary(self):
            return "<script>x</script>", {"<b>": "<i>"}, None

    html = summary_html(R())
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;i&gt;" in html
