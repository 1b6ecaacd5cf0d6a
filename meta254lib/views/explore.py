"""``m.explore(ws)``: a what-if panel for JupyterLab (ipywidgets, from the ``[lab]`` extra).

Pick services, specs, events and externals, the relations to follow, a depth and a team; the panel
re-renders the impact headline, the network figure and the impacted table. Every answer comes from the
workspace's analysis state (:meth:`~meta254lib.state.analysis.AnalysisState.impact`), so it equals
``meta254 impact`` for the same question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.errors import Meta254Error
from ..graph.build import RELATIONS
from ..impact.names import known_names
from ..state.analysis import analysis_state
from .impact import impact_figure, impact_headline, impacted_table

if TYPE_CHECKING:
    from ..workspace.workspace import Workspace

__all__ = ["Explorer", "explore"]


class Explorer:
    """The widgets of the panel and the function that answers them (:meth:`update`).

    Attributes
    ----------
    pickers : dict
        ``service``, ``spec``, ``event``, ``external``: multi-select widgets (specs and externals take
        ``NAME@VERSION`` in a text box beside them).
    relations, depth, team : widgets
    output : ipywidgets.Output
        Where the answer is drawn.
    result : ImpactResult or None
        The last answer (``None`` before the first change is picked, or after an error).
    """

    def __init__(self, ws: Workspace, as_of: Any = None) -> None:
        import ipywidgets as w

        self.state = analysis_state(ws, as_of)
        known = known_names(ws)
        self.pickers = {
            kind: w.SelectMultiple(options=sorted(known[kind]), description=kind, rows=6)
            for kind in ("service", "event")
        }
        self.versions = {
            kind: w.Text(placeholder=f"{kind} NAME@VERSION, comma-separated", description=kind)
            for kind in ("spec", "external")
        }
        self.relations = w.SelectMultiple(
            options=list(RELATIONS), value=("depends_on", "consumes_event"), description="relations"
        )
        self.depth = w.IntSlider(value=0, min=0, max=12, description="max depth (0: none)")
        teams = sorted({str(t) for t in ws.services["team"].dropna()})
        self.team = w.Dropdown(options=["(all)", *teams], value="(all)", description="team")
        self.output = w.Output()
        self.message = w.HTML()
        self.result = None
        for widget in (*self.pickers.values(), *self.versions.values(), self.relations, self.depth, self.team):
            widget.observe(lambda _change: self.update(), names="value")
        self.panel = w.VBox(
            [
                w.HBox(list(self.pickers.values())),
                w.HBox(list(self.versions.values())),
                w.HBox([self.relations, w.VBox([self.depth, self.team])]),
                self.message,
                self.output,
            ]
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.panel)

    def changes(self) -> list[str]:
        """The picked changes as ``kind:value`` texts."""
        picked = [f"{kind}:{v}" for kind, box in self.pickers.items() for v in box.value]
        for kind, box in self.versions.items():
            picked += [f"{kind}:{v.strip()}" for v in box.value.split(",") if v.strip()]
        return picked

    def update(self) -> None:
        """Answer the current question into :attr:`output` (an error is shown, never raised)."""
        from IPython.display import display

        self.output.clear_output()
        changes = self.changes()
        if not changes:
            self.result, self.message.value = None, "Pick a service, spec, event or external."
            return
        try:
            depth = self.depth.value or None
            self.result = self.state.impact(changes, relations=list(self.relations.value), max_depth=depth)
        except Meta254Error as err:
            self.result, self.message.value = None, f"<b>{type(err).__name__}</b>: {err}"
            return
        team = None if self.team.value == "(all)" else self.team.value
        self.message.value = impact_headline(self.result, team=team)
        with self.output:
            display(impact_figure(self.state.ws.graph, self.result, layers=self.state.ws.domain_layers))
            display(impacted_table(self.result, team=team))


def explore(ws: Workspace, as_of: Any = None) -> Explorer:
    """The what-if panel of ``ws`` (display it as the last line of a cell).

    Requires ipywidgets (``pip install 'meta254[lab]'``).
    """
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        raise Meta254Error("m.explore needs ipywidgets: pip install 'meta254[lab]'") from None
    return Explorer(ws, as_of)
