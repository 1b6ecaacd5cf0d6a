"""Every change of a what-if is checked against the workspace before it is analysed.

A typo (``--spec gateway-cor@2.0.0``, ``--event nope.event.v1``, ``--external postgres@``) is an error
with "did you mean" from the closest names, never an empty blast radius that reads as "nothing breaks".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..core.columns import EVENT, SERVICE, SPEC
from ..core.errors import ParameterError
from ..core.names import check_name
from ..core.versions import parse_version
from .changes import Change

if TYPE_CHECKING:
    from ..workspace.workspace import Workspace

__all__ = ["check_changes", "known_names"]


def known_names(ws: Workspace) -> dict[str, set[str]]:
    """The names a change may use, by kind: catalog services, pinned or registered specs, events, externals."""
    deps = ws.dependencies
    externals = {str(n) for n in deps.loc[deps["kind"] == "external", "name"].dropna()}
    aliases = ws.aliases
    externals |= {str(aliases[n]) for n in externals if n in aliases}
    externals |= {str(k) for k, v in aliases.items() if v in externals}
    specs = {str(s) for s in ws.contracts[SPEC].dropna()}
    if ws.has_input("spec_registry"):
        specs |= {str(s) for s in ws.spec_versions[SPEC].dropna()}
    events = {str(e) for e in ws.events[EVENT].dropna()} | {str(e) for e in (ws.events_registry or ())}
    return {
        "service": {str(s) for s in ws.services[SERVICE].dropna()},
        "spec": specs,
        "event": events,
        "external": externals,
    }


def check_changes(ws: Workspace, changes: Iterable[Change]) -> None:
    """Raise :class:`~meta254lib.core.names.UnknownNameError` (or ``ParameterError``) for a change the
    workspace does not know: an unknown name, or a spec version that is not a version.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> import meta254lib as m
    >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "catalog").mkdir()
    >>> _ = (root / "catalog" / "service-index.json").write_text(json.dumps({
    ...     "metadata": {"generated_at": "2025-10-10T00:00:00Z"},
    ...     "services": [{"name": "gateway", "api_contracts": ["gateway-core@1.0.0"]}]}))
    >>> ws = m.open_workspace(root)
    >>> check_changes(ws, [Change("spec", "gateway-core", "2.0.0")])
    >>> check_changes(ws, [Change("spec", "gateway-cor", "2.0.0")])
    Traceback (most recent call last):
    ...
    meta254lib.core.names.UnknownNameError: unknown spec 'gateway-cor' (did you mean gateway-core?)
    """
    known = known_names(ws)
    for change in changes:
        check_name(change.kind, change.name, known[change.kind])
        if change.kind == "spec" and change.version and parse_version(change.version) is None:
            raise ParameterError(f"--spec {change.name}@{change.version}: expected a version such as 2.0.0 after the @")
