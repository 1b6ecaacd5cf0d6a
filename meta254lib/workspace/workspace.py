"""Open a workspace: find its files, read them safely, expose tidy tables and the service graph.

Only the catalog is required; it is read when the workspace is opened, so a missing or unusable
catalog fails at once with an :class:`~meta254lib.core.errors.InputError`. Every other table is read on
first access and cached on the object. A problem in an optional file becomes a warning (see
:attr:`Workspace.warnings`) and the rest of the workspace still loads.

Files are found under the layout of :data:`meta254lib.core.settings.LAYOUT`. Links that point outside the
workspace are never followed, files that are not regular files (folders, named pipes, devices) are
named and skipped, and cache files (``*.cache``, which the platform may write as serialised Python
objects whose loading runs code) are never read.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "catalog").mkdir()
>>> _ = (root / "catalog" / "service-index.yaml").write_text(
...     "metadata: {generated_at: '2025-10-09T22:30:38+00:00'}\\n"
...     "services:\\n- {name: a, repo: https://github.com/254carbon/254carbon-access, dependencies: {internal: [b]}}\\n"
...     "- {name: b, repo: https://github.com/254carbon/254carbon-core}\\n")
>>> ws = open_workspace(root)
>>> ws.services["service"].tolist(), ws.services["team"].tolist(), str(ws.generated_at)
(['a', 'b'], ['access', 'core'], '2025-10-09 22:30:38+00:00')
>>> list(ws.graph.edges())
[('a', 'b')]
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from ..core import schema as S
from ..core.clock import resolve_as_of
from ..core.errors import ParameterError
from ..core.names import check_name
from ..core.settings import LAYOUT
from .arrow_memory import on_c_heap
from .cached_units import TABLE_INPUTS, cached_unit, open_cache
from .catalog import parse_catalog, parse_exemptions
from .catalog_tables import services_tables
from .coerce import parse_timestamp
from .files import WorkspaceFiles
from .graph_check import graph_diff, read_dependency_graph
from .heads import HistoryHeads, heads_of, history_heads_from
from .history import LATEST_DRIFT_REPORT, drift_history_table, quality_history_table, with_catalog_maturity
from .inventory import inputs_table, record_side_files
from .tables import (
    advisories_table,
    aliases_of,
    domain_layers_of,
    escalation_of,
    lockfile_table,
    manifests_table,
    read_events_registry,
    read_teams,
    spec_versions_table,
    teams_table,
)
from .yamlio import WarnList

__all__ = ["Workspace", "open_workspace"]

#: Every attribute :meth:`Workspace.load_all` reads.
_ALL_INPUTS = (
    "thresholds",
    "rules",
    "upgrade_policies",
    "events_registry",
    "escalation",
    "services",
    "manifests",
    "lockfiles",
    "spec_versions",
    "advisories",
    "drift_history",
    "quality_history",
    "exemptions",
    "dependency_graph_diff",
)


class Workspace:
    """A loaded workspace. Use :func:`open_workspace` to create one.

    The tables are built by :mod:`meta254lib.workspace.tables`, :mod:`meta254lib.workspace.catalog_tables`,
    :mod:`meta254lib.workspace.history` and :mod:`meta254lib.workspace.heads`, reading through a
    :class:`~meta254lib.workspace.files.WorkspaceFiles`; each is computed on first access, kept on the
    object and, when caching is on, served from the warm-load cache
    (:func:`~meta254lib.workspace.cached_units.cached_unit`).

    Attributes
    ----------
    root : Path
        The workspace folder.
    catalog_file : str
        The catalog file that was read, relative to ``root``.
    catalog_meta : dict
        The catalog's ``metadata`` block.
    """

    def __init__(self, root: Path, cache: bool | str | None = None) -> None:
        self.root = root
        found: list[tuple[str, str, str]] = []
        self._io = WorkspaceFiles(root, open_cache(root, cache, found))
        self._io.warnings.extend(found)
        self._entry_list: list[dict] | None = None
        self.catalog_file, self.catalog_meta, self._n_entries = self._catalog()

    # --- what was read ---------------------------------------------------------------------------

    @property
    def _warnings(self) -> WarnList:
        """Every problem found while loading so far, in order (see :attr:`warnings`)."""
        return self._io.warnings

    @property
    def _files(self) -> dict[str, dict[str, Any]]:
        """File records (see :attr:`WorkspaceFiles.files <meta254lib.workspace.files.WorkspaceFiles.files>`)."""
        return self._io.files

    @property
    def _rows(self) -> dict[str, int | None]:
        """Rows read from each file so far."""
        return self._io.rows

    @cached_unit("catalog")
    def _catalog(self) -> tuple[str, dict, int]:
        catalog_file, doc = self._io.read_catalog(self._io.warnings)
        meta, entries = parse_catalog(doc, catalog_file, self._io.warnings)
        self._io.record(catalog_file, "catalog", required=True, timestamp=meta.get("generated_at"))
        self._io.rows[catalog_file] = len(entries)
        self._entry_list = entries
        return catalog_file, meta, len(entries)

    @property
    def _entries(self) -> list[dict]:
        """The catalog entries. After a warm open the catalog is parsed again only if something needs them
        (a table whose inputs changed, or :attr:`catalog_entries`)."""
        if self._entry_list is None:
            _, doc = self._io.read_catalog([])  # its warnings were replayed already
            _, self._entry_list = parse_catalog(doc, self.catalog_file, [])
        return self._entry_list

    @property
    def catalog_entries(self) -> tuple[dict, ...]:
        """The catalog's service entries as read (after duplicates and malformed entries were dropped)."""
        return tuple(self._entries)

    @property
    def cache_stats(self) -> dict[str, Any] | None:
        """What the warm-load cache did for this workspace (``None`` when caching is off).

        ``folder``, counters ``hit``/``miss``/``corrupt``/``write``/``hashed`` and ``units`` (the
        outcome of each cached table). See :mod:`meta254lib.workspace.cache`.
        """
        store = self._io.cache
        if store is None:
            return None
        return {"folder": str(store.folder), **store.stats, "units": dict(store.stats["units"])}

    # --- config --------------------------------------------------------------------------------

    @cached_property
    def thresholds(self) -> dict[str, Any]:
        """``config/thresholds.yaml`` as a dict (``{}`` when absent)."""
        return self._io.config("thresholds")

    @cached_property
    def rules(self) -> dict[str, Any]:
        """``config/rules.yaml`` as a dict (``{}`` when absent)."""
        return self._io.config("rules")

    @cached_property
    def upgrade_policies(self) -> dict[str, Any]:
        """``config/upgrade-policies.yaml`` as a dict (``{}`` when absent)."""
        return self._io.config("upgrade_policies")

    @cached_property
    @cached_unit("events_registry")
    def events_registry(self) -> frozenset[str] | None:
        """Registered event ids, or ``None`` when there is no registry file."""
        return read_events_registry(self._io)

    @cached_property
    def aliases(self) -> dict[str, str]:
        """External dependency aliases: the defaults, extended by rules.yaml ``dependency.aliases``."""
        return aliases_of(self.rules, self._io)

    @cached_property
    def domain_layers(self) -> dict[str, int]:
        """rules.yaml ``dependency.domain_layers`` (``{}`` when absent)."""
        return domain_layers_of(self.rules)

    @cached_property
    @cached_unit("teams")
    def _teams_doc(self) -> tuple[list[dict], dict[str, dict[str, str]], bool]:
        return read_teams(self._io)

    @cached_property
    def escalation(self) -> dict[str, dict[str, str]]:
        """Escalation levels L1–L3 (name, contact, handles): runbook defaults, then teams.yaml."""
        return escalation_of(self._teams_doc[1])

    @cached_property
    def exemptions(self) -> pd.DataFrame:
        """``drift.exemptions`` of rules.yaml (schema :data:`~meta254lib.core.schema.EXEMPTIONS`)."""
        return parse_exemptions(self.rules, "config/rules.yaml", self._io.warnings)

    # --- catalog tables ----------------------------------------------------------------------

    @cached_property
    @cached_unit(*TABLE_INPUTS, deps=("teams", "manifests", "aliases", "domain_layers", "events_registry"))
    def _tables(self) -> dict[str, pd.DataFrame]:
        teams = self.teams
        manifests = self.manifests
        locks = self._io.find("lockfiles")  # only their names matter here, not their content
        lock_names = {p.name.removesuffix(".specs.lock.json") for p in locks} if locks else None
        return services_tables(
            self._entries,
            self.catalog_file,
            self._io.warnings,
            aliases=self.aliases,
            domains=self.domain_layers.keys(),
            registry=self.events_registry,
            teams=teams[teams["source"] == "teams.yaml"],
            manifest_names=manifests[S.SERVICE].tolist(),
            lock_names=lock_names,
        )

    @property
    def services(self) -> pd.DataFrame:
        """One row per catalog service (schema :data:`~meta254lib.core.schema.SERVICES`)."""
        return self._tables["services"]

    @property
    def contracts(self) -> pd.DataFrame:
        """One row per api_contracts pin (schema :data:`~meta254lib.core.schema.CONTRACTS`)."""
        return self._tables["contracts"]

    @property
    def dependencies(self) -> pd.DataFrame:
        """One row per dependency (schema :data:`~meta254lib.core.schema.DEPENDENCIES`)."""
        return self._tables["dependencies"]

    @property
    def events(self) -> pd.DataFrame:
        """One row per consumed or produced event (schema :data:`~meta254lib.core.schema.EVENTS`)."""
        return self._tables["events"]

    @cached_property
    @cached_unit("teams", "catalog", deps=("_teams_doc",))
    def teams(self) -> pd.DataFrame:
        """Ownership rows: teams.yaml first, then teams derived from repo names for the rest."""
        return teams_table(self._io, self._teams_doc[0], self._entries)

    # --- optional tables -----------------------------------------------------------------------

    @cached_property
    @cached_unit("manifests", "catalog", mtimes=True)
    def manifests(self) -> pd.DataFrame:
        """Collected manifests (schema :data:`~meta254lib.core.schema.MANIFESTS`)."""
        return manifests_table(self._io, self._entries)

    @cached_property
    @cached_unit("lockfiles")
    def _lock_frame(self) -> pd.DataFrame | None:
        """The lock-file entries, or ``None`` when no lock file exists at all."""
        return lockfile_table(self._io)

    @property
    def lockfiles(self) -> pd.DataFrame:
        """Collected lock-file entries (schema :data:`~meta254lib.core.schema.LOCKFILES`)."""
        frame = self._lock_frame
        return frame if frame is not None else S.empty_frame(S.LOCKFILES)

    @cached_property
    @cached_unit("spec_registry")
    def spec_versions(self) -> pd.DataFrame:
        """The spec registry (schema :data:`~meta254lib.core.schema.SPEC_VERSIONS`)."""
        return spec_versions_table(self._io)

    @cached_property
    @cached_unit("advisories", "rules", deps=("aliases",))
    def advisories(self) -> pd.DataFrame:
        """OSV advisories, one row per affected package (schema :data:`~meta254lib.core.schema.ADVISORIES`)."""
        return advisories_table(self._io, lambda: self.aliases)

    @cached_property
    @cached_unit("drift_reports", LATEST_DRIFT_REPORT, "rules", deps=("aliases",))
    @on_c_heap
    def drift_history(self) -> pd.DataFrame:
        """Every issue of every drift report (schema :data:`~meta254lib.core.schema.DRIFT_HISTORY`).

        ``latest_drift_report.json`` is read only when it is not a byte copy of an archived report.
        """
        return drift_history_table(self._io, lambda: self.aliases)

    @cached_property
    @cached_unit("quality_history", "latest_quality", *TABLE_INPUTS, deps=("_tables",))
    @on_c_heap
    def quality_history(self) -> pd.DataFrame:
        """Every service of every quality snapshot (schema :data:`~meta254lib.core.schema.QUALITY_HISTORY`).

        ``catalog/latest_quality_snapshot.json`` joins the history unless a historical snapshot has the
        same bytes or the same snapshot time. A snapshot without maturity gets the catalog's.
        """
        history = quality_history_table(self._io)
        return with_catalog_maturity(history, self.services)

    @cached_property
    @cached_unit(
        "quality_history",
        "latest_quality",
        *TABLE_INPUTS,
        "drift_reports",
        LATEST_DRIFT_REPORT,
        "rules",
        deps=("_tables", "aliases"),
        adopt=("quality_history", "drift_history"),
    )
    def _history_heads(self) -> dict[str, Any]:
        return heads_of(self.quality_history, self.drift_history)

    def history_heads(self) -> HistoryHeads:
        """The newest quality snapshot and drift report, without loading the full histories on a warm open.

        :attr:`quality_history` and :attr:`drift_history` of a fleet hold a year of weekly rows
        (millions at 10,000 services); an analysis as of the newest data needs only the newest
        snapshot's scores and the newest report's issue counts. Those are cached on their own (see
        :mod:`meta254lib.workspace.cache`), so a warm open serves them in milliseconds. The histories' warnings
        and file records are replayed as if they had been read: :attr:`warnings` and :attr:`inputs`
        are the same either way. Without a cache they are computed from the full tables.

        Returns
        -------
        HistoryHeads
            The same values as the corresponding selections of :attr:`quality_history` and
            :attr:`drift_history` (see :class:`HistoryHeads`).

        Examples
        --------
        >>> import json, tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> for rel, doc in {
        ...     "catalog/service-index.json": {"services": [{"name": "a"}, {"name": "b"}]},
        ...     "analysis/historical/quality/quality_20251001_000000.json": {"services": {"a": {"score": 70}}},
        ...     "analysis/historical/quality/quality_20251008_000000.json": {"services": {"a": {"score": 80},
        ...                                                                             "b": {"score": 90}}},
        ...     "analysis/reports/drift/20251008_000000_drift_report.json": {"issues": [
        ...         {"type": "version_drift", "severity": "low", "service": "a, b"},
        ...         {"type": "version_drift", "severity": "low", "service": "b", "exempt": True}]},
        ... }.items():
        ...     (root / rel).parent.mkdir(parents=True, exist_ok=True)
        ...     _ = (root / rel).write_text(json.dumps(doc))
        >>> heads = open_workspace(root).history_heads()
        >>> heads.quality[["service", "score"]].values.tolist(), [str(t) for t in heads.snapshot_times]
        ([['a', 80.0], ['b', 90.0]], ['2025-10-01 00:00:00+00:00', '2025-10-08 00:00:00+00:00'])
        >>> heads.drift_counts.values.tolist(), len(heads.report_times)
        ([['a', 1], ['b', 1]], 1)
        """
        return history_heads_from(self._history_heads)

    @cached_property
    @cached_unit("dependency_graph", *TABLE_INPUTS, deps=("_tables",))
    def dependency_graph_diff(self) -> dict[str, Any] | None:
        """How ``catalog/dependency-graph.yaml`` disagrees with the catalog (``None`` when absent)."""
        graph = read_dependency_graph(self._io)
        if graph is None:
            return None
        return graph_diff(self._io, graph, self.services, self.dependencies)

    @cached_property
    def release_trains(self) -> Any:
        """``catalog/release-trains.yaml`` as parsed (``None`` when absent or unusable; see remediation.trains)."""
        paths = self._io.find("release_trains")
        if not paths:
            return None
        doc = self._io.load(paths[0], "release_trains")
        self._io.rows[self._io.rel(paths[0])] = len(doc) if isinstance(doc, (list, dict)) else 0
        return doc

    # --- derived -------------------------------------------------------------------------------

    @cached_property
    @cached_unit(*TABLE_INPUTS, deps=("_tables",))
    def graph(self) -> nx.DiGraph:
        """The service graph (see :func:`meta254lib.graph.build.build_graph`).

        ``shares_contract`` edges are materialised up to :data:`meta254lib.graph.build.CONTRACT_PAIR_LIMIT`
        ordered pairs; a fleet whose shared pins exceed that gets a graph without the relation, and
        :func:`meta254lib.graph.attrs.omitted_relations` says why.
        """
        from ..graph.build import CONTRACT_PAIR_LIMIT, build_graph

        return build_graph(
            self.services, self.dependencies, self.events, self.contracts, max_contract_pairs=CONTRACT_PAIR_LIMIT
        )

    @cached_property
    def generated_at(self) -> pd.Timestamp | None:
        """The catalog's ``metadata.generated_at`` in UTC: the default ``as_of`` of every analysis."""
        return parse_timestamp(self.catalog_meta.get("generated_at"))

    def resolve_as_of(self, as_of: Any = None) -> pd.Timestamp:
        """The analysis date: ``as_of`` when given, else the catalog's ``generated_at``.

        Never the wall clock. Without either, the newest ``last_update`` in the catalog is used.

        Raises
        ------
        ParameterError
            ``as_of`` is not a date, or no date can be derived from the workspace.
        """
        if as_of is not None and not (isinstance(as_of, str) and not as_of.strip()):
            return resolve_as_of(as_of)  # the one as-of rule: strict ISO 8601 text, naive means UTC
        if self.generated_at is not None:
            try:
                return resolve_as_of(self.generated_at)  # the same range check as a given as-of
            except ParameterError as err:
                raise ParameterError(f"{self.catalog_file}: metadata.generated_at: {err}; pass --as-of") from None
        latest = self.services["last_update"].max()
        if pd.isna(latest):
            raise ParameterError(
                f"as_of: {self.catalog_file} has no metadata.generated_at and no last_update; pass as_of explicitly"
            )
        return latest

    def has_input(self, name: str) -> bool:
        """Whether an optional input is present (``lockfiles``, ``advisories``, ``spec_registry``, ...).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> root = pathlib.Path(tempfile.mkdtemp()); (root / "catalog").mkdir()
        >>> _ = (root / "catalog" / "service-index.yaml").write_text("services: []\\n")
        >>> open_workspace(root).has_input("lockfiles")
        False
        """
        key = {"drift_history": "drift_reports", "quality": "quality_history"}.get(name, name)
        if key not in LAYOUT:
            raise ParameterError(f"unknown input {name!r} (known: {', '.join(sorted(LAYOUT))})")
        if key == "quality_history":
            return bool(self._io.find("quality_history") or self._io.find("latest_quality"))
        return bool(self._io.find(key))

    def teams_of(self, services: Iterable[str]) -> list[str]:
        """The sorted teams owning ``services``."""
        wanted = set(services)
        s = self.services
        return sorted(set(s.loc[s[S.SERVICE].isin(wanted), S.TEAM].dropna()))

    def team_scope(self, team: str | None, relations: Iterable[str] = ("depends_on", "consumes_event")) -> set[str]:
        """The services a per-team report covers: the team's own services and everything depending on them.

        ``None`` or ``""`` means the whole platform.

        Raises
        ------
        ParameterError
            The team owns no catalog service.
        """
        names = set(self.services[S.SERVICE])
        if not team:
            return names
        team = check_name("team", team, self.services[S.TEAM].dropna(), case_insensitive=True)
        own = set(self.services.loc[self.services[S.TEAM] == team, S.SERVICE])
        from ..graph.build import relation_view

        view = relation_view(self.graph, tuple(relations))
        scope = set(own)
        for svc in own:
            scope |= nx.ancestors(view, svc)
        return scope

    def load_all(self) -> Workspace:
        """Read every optional input now (the tables are otherwise read on first access)."""
        for name in _ALL_INPUTS:
            getattr(self, name)
        configs = {"thresholds": self.thresholds, "rules": self.rules, "upgrade_policies": self.upgrade_policies}
        record_side_files(self._io, self.catalog_file, configs)
        return self

    @property
    def warnings(self) -> pd.DataFrame:
        """Every problem found while loading (schema :data:`~meta254lib.core.schema.WARNINGS`)."""
        self.load_all()
        rows = [{S.FILE: f, S.FIELD: fld, S.MESSAGE: m} for f, fld, m in self._io.warnings]
        return S.frame_from_records(S.WARNINGS, rows).drop_duplicates(ignore_index=True)

    @property
    def inputs(self) -> pd.DataFrame:
        """Each input file found (timestamps, rows, warnings) and each optional input that is absent."""
        return inputs_table(self._io, self.warnings[S.FILE].value_counts().to_dict())

    def __repr__(self) -> str:
        return f"<Workspace {self.root} services={self._n_entries}>"


def open_workspace(path: str | os.PathLike[str], *, cache: bool | str | None = None) -> Workspace:
    """Open the workspace at ``path``.

    Parameters
    ----------
    path : str or PathLike
        A folder laid out like the meta repository (see the README, "Workspace").
    cache : bool or {"on", "off", "auto"}, optional
        The warm-load cache (:mod:`meta254lib.workspace.cache`): tables parsed once are stored in
        ``.meta254-cache/`` (or ``$META254_CACHE_DIR``) and read back while every input file keeps
        its content hash. Default ``$META254_CACHE``, else ``auto``: on for catalogs of at least
        512 KiB, off for smaller workspaces.

    Returns
    -------
    Workspace

    Raises
    ------
    InputError
        The folder or its catalog is missing or unusable; the message names the file, the field and
        what was expected.
    """
    return Workspace(Path(path).expanduser().resolve(), cache=cache)
