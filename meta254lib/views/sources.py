"""The line each page prints under its headline: which input every number on it comes from."""

from __future__ import annotations

from ..state.analysis import AnalysisState
from .escape import md_escape
from .weekly import to_minute

__all__ = ["sources_markdown"]


def sources_markdown(state: AnalysisState, *, waves: str | None = None) -> str:
    """Markdown naming the as-of, the drift source and the quality snapshot of ``state`` (and the wave rule).

    Timestamps read to the minute in UTC (:func:`~meta254lib.views.weekly.to_minute`; applying it
    again changes nothing).

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> import meta254lib as m
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "catalog").mkdir()
    >>> _ = (root / "catalog" / "service-index.json").write_text(json.dumps({
    ...     "metadata": {"generated_at": "2025-10-10T00:00:00Z"}, "services": [{"name": "a"}]}))
    >>> text = sources_markdown(m.analysis_state(m.open_workspace(root)))
    >>> text.split("; ")[1:]
    ['drift: meta254 run at 2025-10-10 00:00 UTC', 'quality: no quality snapshot in the workspace.']
    >>> from meta254lib.views.weekly import to_minute
    >>> to_minute(text) == text  # the notebooks' own to_minute changes nothing
    True
    """
    parts = list(state.sources().values())
    if waves:
        parts.append(waves)
    return "Sources: " + md_escape(to_minute("; ".join(parts))) + "."
