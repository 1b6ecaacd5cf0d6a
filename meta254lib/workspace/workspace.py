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

import datetime as dt
import fnmatch
import functools
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ..core import schema as S
from ..core.errors import InputError, ParameterError
from ..core.settings import DEFAULT_ESCALATION, DEFAULT_EXTERNAL_ALIASES, LAYOUT
from . import cache as C
from . import loaders as L
from .yamlio import WarnList, file_kind, loads_json, loads_yaml, read_bytes

__all__ = ["HistoryHeads", "Workspace", "cache_wanted", "history_cutoff", "open_workspace"]

#: What an absent optional input means for the analyses.
_ABSENT_NOTES: dict[str, str] = {
    "dependency_graph": "no graph file to cross-check against the catalog",
    "latest_quality": "no latest quality snapshot",
    "release_trains": "no release trains",
    "manifests": "no collected manifests: manifest/catalog consistency not checked",
    "collection_summary": "no collection summary",
    "lockfiles": "no lock files collected: missing-lock and lock-mismatch checks not assessed",
    "thresholds": "thresholds.yaml absent: the platform's default weights and thresholds are used",
    "rules": "rules.yaml absent: no domain layers, allowed externals or exemptions",
    "upgrade_policies": "upgrade-policies.yaml absent: automation classes use the runbook defaults",
    "events_registry": "no events registry: unknown-event checks not assessed",
    "spec_registry": "no spec registry: spec lag, deprecation and spec advisories not assessed",
    "teams": "no teams.yaml: teams derived from repository names; runbook escalation names used",
    "advisories": "no OSV advisories: vulnerable-dependency checks not assessed",
    "drift_reports": "no drift report history: drift flow and MTTR not available",
    "quality_history": "no quality history: trends use the latest snapshot only",
}

_INPUT_OF_TABLE = {
    "manifests": "manifests",
    "lockfiles": "lockfiles",
    "spec_versions": "spec_registry",
    "advisories": "advisories",
    "drift_history": "drift_reports",
    "quality_history": "quality_history",
}


def _utc_mtime(path: Path) -> pd.Timestamp | None:
    try:
        return pd.Timestamp(dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC))
    except OSError:
        return None


#: Inputs of the catalog tables (services, contracts, dependencies, events); see :func:`_cached`.
_TABLE_INPUTS = ("catalog", "teams", "manifests", "names:lockfiles", "rules", "events_registry")


def _cached(*inputs: str, deps: tuple[str, ...] = (), mtimes: bool = False, adopt: tuple[str, ...] = ()) -> Any:
    """Serve a workspace computation from the warm-load cache (:mod:`meta254lib.workspace.cache`).

    ``inputs`` are the layout keys (or relative paths) of every file the computation may read,
    directly or through ``deps`` (``names:key`` when only which files exist matters, not what they
    hold); ``deps`` are the attributes it uses, computed first so that the
    warnings, file records and row counts it adds are exactly its own. On a hit those are replayed
    in the same order as a cold load would add them; on a miss the computation runs and its result
    and effects are stored. Without a cache (``cache=False``, or a small workspace) it just runs.

    ``adopt`` names cached units the computation reads (``inputs`` must cover theirs) whose effects
    it stores as its own, in that order, whether or not they had run before in this process: a
    small summary of a big table then replays the table's warnings, file records and row counts
    without loading the table, and ``ws.warnings``/``ws.inputs`` stay those of a cold load (a
    warning replayed twice is listed once). The effects of every unit served through the cache are
    remembered on the workspace for that purpose.
    """

    def wrap(fn: Any) -> Any:
        unit = fn.__name__.strip("_")

        @functools.wraps(fn)
        def inner(self: Workspace) -> Any:
            store = self._cache
            if store is None:
                return fn(self)
            for name in deps:
                getattr(self, name)
            rels = C.scan_inputs(self.root, inputs, LAYOUT, store.listings)
            if rels is None:
                return fn(self)
            got = store.load(unit, rels, mtimes)
            if (
                isinstance(got, dict)
                and {"value", "warnings", "files", "rows"} <= got.keys()
                and isinstance(got["files"], C.Deferred)
            ):
                self._warnings.extend(tuple(w) for w in got["warnings"])
                self._seq += 1  # file records are made when needed, see _files
                self._pending_files.append((self._seq, store.stat_of, got["files"]))
                self._rows.update(got["rows"])
                self._effects[unit] = got
                return got["value"]
            states = store.states(rels)
            n_warn = len(self._warnings)
            files = {k: dict(v) for k, v in self._files.items()}
            rows = dict(self._rows)
            value = fn(self)
            effects = {
                "value": value,
                "warnings": [list(w) for w in self._warnings[n_warn:]],
                "files": C.Deferred(
                    [
                        {"rel": k, **{f: x for f, x in v.items() if f not in ("modified", "bytes")}}
                        for k, v in self._files.items()
                        if files.get(k) != v
                    ]
                ),
                "rows": {k: v for k, v in self._rows.items() if k not in rows or rows[k] != v},
            }
            if adopt:
                parts = [self._effects.get(name) for name in adopt]
                if any(part is None for part in parts):  # an adopted unit was not served by the cache
                    return value
                effects = {
                    "value": value,
                    "warnings": [list(w) for part in parts for w in part["warnings"]],
                    "files": C.Deferred([dict(info) for part in parts for info in part["files"].get()]),
                    "rows": {k: v for part in parts for k, v in part["rows"].items()},
                }
            self._effects[unit] = effects
            store.save(unit, rels, effects, mtimes, states)
            return value

        return inner

    return wrap


def cache_wanted(root: Path | str, cache: bool | str | None = None) -> bool:
    """Whether :func:`open_workspace` (``root``, ``cache``) would use the warm-load cache.

    ``cache`` or ``$META254_CACHE`` ``on``: yes; ``off``: no; ``auto``: when the catalog is at least
    :data:`~meta254lib.workspace.cache.AUTO_MIN_BYTES`. Nothing is read but the catalog's size.

    Examples
    --------
    >>> import tempfile
    >>> cache_wanted(tempfile.mkdtemp(), cache="auto"), cache_wanted(tempfile.mkdtemp(), cache=True)
    (False, True)
    """
    root = Path(root)
    mode = C.resolve_mode(cache)
    if mode == "off" or not root.is_dir():
        return False
    if mode == "auto":
        sizes = []
        for rel in LAYOUT["catalog"]:
            try:
                sizes.append(os.stat(root / rel).st_size)
            except OSError:
                pass
        return max(sizes, default=0) >= C.AUTO_MIN_BYTES
    return True


def _open_cache(root: Path, cache: bool | str | None) -> C.WorkspaceCache | None:
    return C.WorkspaceCache(root, C.cache_folder(root)) if cache_wanted(root, cache) else None


def history_cutoff(as_of: Any) -> pd.Timestamp:
    """The newest artifact time that counts "as of" ``as_of``: the end of that UTC day.

    A snapshot or report written later on the as-of day belongs to that day (the platform writes its
    quality snapshot seconds after the catalog whose ``generated_at`` is the default ``as_of``).

    Examples
    --------
    >>> str(history_cutoff("2025-10-09T22:30:38+00:00"))
    '2025-10-09 23:59:59.999999+00:00'
    """
    ts = pd.Timestamp(as_of)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)


def _compact(df: pd.DataFrame) -> pd.DataFrame:
    """The same frame with each text column's repeated values sharing one string object.

    Parsed JSON gives every occurrence of ``"medium"`` its own string; a year of weekly reports at
    fleet scale is millions of them. Sharing them changes no value and divides the memory by ~5.
    """
    out = {}
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.StringDtype):
            codes, uniques = pd.factorize(s, use_na_sentinel=True)
            table = np.empty(len(uniques) + 1, dtype=object)
            table[: len(uniques)] = np.asarray(uniques, dtype=object)
            table[-1] = s.dtype.na_value
            s = pd.Series(pd.array(table.take(codes), dtype=s.dtype), name=col, index=df.index)
        out[col] = s
    return pd.DataFrame(out, index=df.index)


@dataclass(frozen=True)
class HistoryHeads:
    """The newest quality snapshot and drift report of a workspace, and when every other one was written.

    What an analysis "as of" the newest data needs from the quality and drift history, at a
    fraction of the cost of the full tables (see :meth:`Workspace.history_heads`).

    Attributes
    ----------
    quality : DataFrame
        ``snapshot_time, service, score``: the rows of the newest snapshot of
        :attr:`Workspace.quality_history`, in that table's order (empty when there is none).
    snapshot_times : tuple of Timestamp
        Every distinct snapshot time of :attr:`Workspace.quality_history`, oldest first.
    drift_counts : DataFrame
        ``service, issues``: the issues of the newest report of :attr:`Workspace.drift_history` not
        marked exempt, per service, sorted by service (a service with only exempt issues is absent).
    report_times : tuple of Timestamp
        Every distinct report time of :attr:`Workspace.drift_history`, oldest first (a report with
        no issue has no rows there, so it is not listed).
    """

    quality: pd.DataFrame
    snapshot_times: tuple[pd.Timestamp, ...]
    drift_counts: pd.DataFrame
    report_times: tuple[pd.Timestamp, ...]


class Workspace:
    """A loaded workspace. Use :func:`open_workspace` to create one.

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
        self._warnings: WarnList = []
        self._files_dict: dict[str, dict[str, Any]] = {}
        self._pending_files: list[tuple[int, dict[str, os.stat_result], C.Deferred]] = []
        self._written: dict[str, int] = {}  # rel -> sequence number of its last direct record
        self._seq = 0
        self._rows: dict[str, int] = {}
        self._effects: dict[str, dict[str, Any]] = {}  # unit -> what it added (see _cached)
        self._cache = _open_cache(root, cache)
        self._entry_list: list[dict] | None = None
        self.catalog_file, self.catalog_meta, self._n_entries = self._catalog()

    @_cached("catalog")
    def _catalog(self) -> tuple[str, dict, int]:
        catalog_file, doc = self._read_catalog()
        meta, entries = L.parse_catalog(doc, catalog_file, self._warnings)
        self._record(catalog_file, "catalog", required=True, timestamp=meta.get("generated_at"))
        self._rows[catalog_file] = len(entries)
        self._entry_list = entries
        return catalog_file, meta, len(entries)

    @property
    def _entries(self) -> list[dict]:
        """The catalog entries. After a warm open the catalog is parsed again only if something needs them
        (a table whose inputs changed, or :attr:`catalog_entries`)."""
        if self._entry_list is None:
            kept, self._warnings = self._warnings, []  # their warnings were replayed already
            try:
                _, doc = self._read_catalog()
                _, entries = L.parse_catalog(doc, self.catalog_file, [])
            finally:
                self._warnings = kept
            self._entry_list = entries
        return self._entry_list

    @property
    def _files(self) -> dict[str, dict[str, Any]]:
        """File records (``rel`` -> input, file, present, required, modified, timestamp, bytes, note).

        Records replayed from the cache are completed (modification time, size) on first use.
        """
        if self._pending_files:
            pending, self._pending_files = self._pending_files, []
            utc = dt.UTC
            for seq, stat_of, deferred in pending:
                for info in deferred.get():
                    info = dict(info)  # the deferred list stays as stored (a unit may adopt it, see _cached)
                    rel = info.pop("rel")
                    if self._written.get(rel, 0) > seq:
                        continue  # recorded directly since: that record is newer
                    st = stat_of.get(rel)
                    if st is None:
                        try:
                            st = os.stat(self.root / rel)
                        except OSError:
                            st = None
                    info["modified"] = pd.Timestamp(dt.datetime.fromtimestamp(st.st_mtime, tz=utc)) if st else None
                    info["bytes"] = st.st_size if st else None
                    self._files_dict[rel] = info
        return self._files_dict

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
        if self._cache is None:
            return None
        return {"folder": str(self._cache.folder), **self._cache.stats, "units": dict(self._cache.stats["units"])}

    # --- files -------------------------------------------------------------------------------

    def _rel(self, path: Path) -> str:
        text, root = str(path), str(self.root)
        if text.startswith(root + "/") and os.sep == "/":  # the common case, without pathlib's parsing
            return text[len(root) + 1 :]
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    @cached_property
    def _root_real(self) -> str:
        return os.path.realpath(self.root)

    def _inside(self, path: Path | str) -> bool:
        real = os.path.realpath(path)
        root_real = self._root_real
        return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)

    def _glob(self, pattern: str) -> list[tuple[Path, bool | None]]:
        """``sorted(root.glob(pattern))`` for ``folder/name-pattern`` globs, and what is known of each match.

        Each match comes with ``True`` when it is certainly a regular file inside the workspace (it
        is not a link and its folder lies inside), else ``None`` (check it). One directory listing
        replaces a ``realpath`` and a ``stat`` per file, which is most of the cost of opening a
        workspace with ten thousand manifests; the matches are the same as ``Path.glob``'s
        (``fnmatch`` rules, hidden names included, case-sensitive).
        """
        folder, _, name = pattern.rpartition("/")
        if "/" in name or any(c in folder for c in "*?[") or not any(c in name for c in "*?["):
            return [(p, None) for p in sorted(self.root.glob(pattern))]
        base = self.root / folder if folder else self.root
        try:
            with os.scandir(base) as it:
                entries = [e for e in it if fnmatch.fnmatchcase(e.name, name)]
        except OSError:
            return []
        base_inside = self._inside(base)
        out = []
        for entry in sorted(entries, key=lambda e: e.name):
            sure = base_inside and not entry.is_symlink() and entry.is_file(follow_symlinks=False)
            out.append((base / entry.name, True if sure else None))
        return out

    def _find(self, key: str) -> list[Path]:
        """Files of one input, sorted by name; links leaving the workspace are skipped (warned)."""
        found: list[Path] = []
        for pattern in LAYOUT[key]:
            matches = self._glob(pattern)
            if not matches and not any(c in pattern for c in "*?[") and os.path.islink(self.root / pattern):
                matches = [(self.root / pattern, None)]  # a broken or looping link: glob skips it, say so
            for path, sure in matches:
                if key == "manifests" and path.name.endswith(".specs.lock.json"):
                    continue
                if key == "drift_reports" and path.name == "latest_drift_report.json":
                    continue
                if sure:
                    found.append(path)
                    continue
                if not self._inside(path):
                    self._warnings.append((self._rel(path), "", "a link pointing outside the workspace; not read"))
                    continue
                kind = file_kind(path)
                if kind is None:
                    found.append(path)
                else:
                    self._warnings.append((self._rel(path), "", f"not a regular file ({kind}); not read"))
        return found

    def _record(
        self, rel: str, input_name: str, *, required: bool = False, timestamp: Any = None
    ) -> os.stat_result | None:
        st: os.stat_result | None
        try:
            st = os.stat(self.root / rel)
            size, modified = st.st_size, pd.Timestamp(dt.datetime.fromtimestamp(st.st_mtime, tz=dt.UTC))
        except OSError:
            st, size, modified = None, None, None
        self._seq += 1
        self._written[rel] = self._seq
        self._files_dict[rel] = {
            "input": input_name,
            S.FILE: rel,
            "present": True,
            "required": required,
            "modified": modified,
            "timestamp": L.parse_timestamp(timestamp),
            "bytes": size,
            "note": "",
        }
        return st

    def _load(self, path: Path, input_name: str) -> Any:
        """Read and parse one optional file; an unusable file becomes a warning and ``None``."""
        rel = self._rel(path)
        st = self._record(rel, input_name)
        try:
            data = read_bytes(path, rel, self._root_real, root_is_real=True)
            if self._cache is not None:
                self._cache.note_read(rel, st, data)  # the digest of what is parsed, for the cache key
            if path.suffix in (".yaml", ".yml"):
                doc = loads_yaml(data, rel, self._warnings)
            else:
                doc = loads_json(data, rel)
        except InputError as err:
            self._warnings.append(
                (rel, err.field, f"unusable: expected {err.expected}" + (f", found {err.found}" if err.found else ""))
            )
            self._files[rel]["note"] = "unusable; see warnings"
            return None
        if doc is None:
            # an empty file is more likely a broken checkout than a deliberate "nothing": treat it as absent
            self._warnings.append((rel, "", "empty file; read as absent"))
            self._files[rel]["note"] = "empty; read as absent"
        return doc

    def _read_catalog(self) -> tuple[str, Any]:
        if not self.root.is_dir():
            raise InputError(str(self.root), "", "a workspace folder", "no such folder")
        for rel in LAYOUT["catalog"]:
            path = self.root / rel
            if path.exists() or path.is_symlink():
                st = os.stat(path) if self._cache is not None else None
                data = read_bytes(path, rel, self._root_real, root_is_real=True)
                if self._cache is not None:
                    self._cache.note_read(rel, st, data)
                if rel.endswith(".json"):
                    return rel, loads_json(data, rel)
                return rel, loads_yaml(data, rel, self._warnings)
        raise InputError(
            str(self.root),
            "catalog/service-index.yaml",
            "a service catalog (catalog/service-index.yaml or catalog/service-index.json)",
            "none",
        )

    def _config(self, key: str) -> dict[str, Any]:
        paths = self._find(key)
        if not paths:
            return {}
        doc = self._load(paths[0], key)
        if doc is None:
            return {}
        if not isinstance(doc, dict):
            rel = self._rel(paths[0])
            self._warnings.append(
                (rel, "", f"expected a mapping at the top level, found a {type(doc).__name__}; ignored")
            )
            return {}
        return doc

    # --- config --------------------------------------------------------------------------------

    @cached_property
    def thresholds(self) -> dict[str, Any]:
        """``config/thresholds.yaml`` as a dict (``{}`` when absent)."""
        return self._config("thresholds")

    @cached_property
    def rules(self) -> dict[str, Any]:
        """``config/rules.yaml`` as a dict (``{}`` when absent)."""
        return self._config("rules")

    @cached_property
    def upgrade_policies(self) -> dict[str, Any]:
        """``config/upgrade-policies.yaml`` as a dict (``{}`` when absent)."""
        return self._config("upgrade_policies")

    @cached_property
    @_cached("events_registry")
    def events_registry(self) -> frozenset[str] | None:
        """Registered event ids, or ``None`` when there is no registry file."""
        paths = self._find("events_registry")
        if not paths:
            return None
        doc = self._load(paths[0], "events_registry")
        rel = self._rel(paths[0])
        if doc is None and self._files[rel]["note"]:
            return None
        try:
            reg = L.parse_events_registry(doc, rel, self._warnings)
        except InputError as err:
            self._warnings.append((rel, err.field, str(err)))
            return None
        self._rows[rel] = len(reg)
        return reg

    @cached_property
    def aliases(self) -> dict[str, str]:
        """External dependency aliases: the defaults, extended by rules.yaml ``dependency.aliases``."""
        out = dict(DEFAULT_EXTERNAL_ALIASES)
        dep = self.rules.get("dependency") if isinstance(self.rules.get("dependency"), dict) else {}
        extra = dep.get("aliases")
        if isinstance(extra, dict):
            out.update({str(k).lower(): str(v) for k, v in extra.items() if isinstance(v, str)})
        elif extra is not None:
            self._warnings.append(
                ("config/rules.yaml", "dependency.aliases", "expected a mapping alias: canonical; ignored")
            )
        return out

    @cached_property
    def domain_layers(self) -> dict[str, int]:
        """rules.yaml ``dependency.domain_layers`` (``{}`` when absent)."""
        dep = self.rules.get("dependency") if isinstance(self.rules.get("dependency"), dict) else {}
        layers = dep.get("domain_layers")
        if not isinstance(layers, dict):
            return {}
        return {str(k): int(v) for k, v in layers.items() if isinstance(v, int) and not isinstance(v, bool)}

    @cached_property
    @_cached("teams")
    def _teams_doc(self) -> tuple[list[dict], dict[str, dict[str, str]], bool]:
        paths = self._find("teams")
        if not paths:
            return [], {}, False
        doc = self._load(paths[0], "teams")
        rel = self._rel(paths[0])
        try:
            rows, esc = L.parse_teams(doc, rel, self._warnings)
        except InputError as err:
            self._warnings.append((rel, err.field, str(err)))
            return [], {}, False
        self._rows[rel] = len(rows)
        return rows, esc, True

    @cached_property
    def escalation(self) -> dict[str, dict[str, str]]:
        """Escalation levels L1–L3 (name, contact, handles): runbook defaults, then teams.yaml."""
        out = {k: dict(v) for k, v in DEFAULT_ESCALATION.items()}
        for level, body in self._teams_doc[1].items():
            out.setdefault(level, {"name": level, "contact": "", "handles": ""}).update(body)
        return out

    @cached_property
    def exemptions(self) -> pd.DataFrame:
        """``drift.exemptions`` of rules.yaml (schema :data:`~meta254lib.core.schema.EXEMPTIONS`)."""
        return L.parse_exemptions(self.rules, "config/rules.yaml", self._warnings)

    # --- catalog tables ----------------------------------------------------------------------

    @cached_property
    @_cached(*_TABLE_INPUTS, deps=("teams", "manifests", "aliases", "domain_layers", "events_registry"))
    def _tables(self) -> dict[str, pd.DataFrame]:
        teams = self.teams
        manifests = self.manifests
        locks = self._find("lockfiles")  # only their names matter here, not their content
        lock_names = {p.name.removesuffix(".specs.lock.json") for p in locks} if locks else None
        return L.services_tables(
            self._entries,
            self.catalog_file,
            self._warnings,
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
    @_cached("teams", "catalog", deps=("_teams_doc",))
    def teams(self) -> pd.DataFrame:
        """Ownership rows: teams.yaml first, then teams derived from repo names for the rest."""
        rows, _, _ = self._teams_doc
        owned = {r[S.SERVICE] for r in rows}
        catalog_names = {e["name"] for e in self._entries}
        for r in rows:
            if r[S.SERVICE] not in catalog_names:
                self._warnings.append(
                    ("config/teams.yaml", f"teams.{r[S.TEAM]}.services", f"{r[S.SERVICE]!r} is not a catalog service")
                )
        derived = []
        for e in self._entries:
            if e["name"] not in owned:
                repo = e.get("repo") if isinstance(e.get("repo"), str) else None
                derived.append(
                    {
                        S.TEAM: L._team_from_repo(repo),
                        S.SERVICE: e["name"],
                        "contact": "",
                        "slack": "",
                        "source": "repo",
                    }
                )
        return S.frame_from_records(S.TEAMS, rows + derived)

    # --- optional tables -----------------------------------------------------------------------

    @cached_property
    @_cached("manifests", "catalog", mtimes=True)
    def manifests(self) -> pd.DataFrame:
        """Collected manifests (schema :data:`~meta254lib.core.schema.MANIFESTS`)."""
        by_name = {e["name"]: e for e in self._entries}
        rows = []
        for path in self._find("manifests"):
            rel = self._rel(path)
            doc = self._load(path, "manifests")
            if doc is None and self._files[rel]["note"]:
                continue
            man = L.parse_manifest(doc, rel, self._warnings)
            if man is None:
                continue
            name = man.get("name") if isinstance(man.get("name"), str) else path.stem
            entry = by_name.get(name)
            differs = []
            if entry is not None:
                for key in (
                    "repo",
                    "domain",
                    "version",
                    "maturity",
                    "runtime",
                    "api_contracts",
                    "dependencies",
                    "events_in",
                    "events_out",
                ):
                    if key in man and man.get(key) != entry.get(key):
                        differs.append(key)
            else:
                self._warnings.append((rel, "name", f"manifest for {name!r}, which is not in the catalog"))
            contracts = man.get("api_contracts") if isinstance(man.get("api_contracts"), list) else []
            rows.append(
                {
                    S.SERVICE: name,
                    S.FILE: rel,
                    S.DOMAIN: L._to_str(man.get("domain"), rel, "domain", self._warnings),
                    S.VERSION: L._to_str(man.get("version"), rel, "version", self._warnings),
                    S.MATURITY: L._to_str(man.get("maturity"), rel, "maturity", self._warnings),
                    S.RUNTIME: L._to_str(man.get("runtime"), rel, "runtime", self._warnings),
                    "api_contracts": tuple(str(c) for c in contracts),
                    "in_catalog": entry is not None,
                    "differs_from_catalog": ",".join(differs),
                    "modified": self._files[rel]["modified"],
                }
            )
            self._rows[rel] = 1
        return S.frame_from_records(S.MANIFESTS, rows)

    @cached_property
    @_cached("lockfiles")
    def _lock_frame(self) -> pd.DataFrame | None:
        """The lock-file entries, or ``None`` when no lock file exists at all."""
        paths = self._find("lockfiles")
        if not paths:
            return None
        rows: list[dict] = []
        for path in paths:
            rel = self._rel(path)
            doc = self._load(path, "lockfiles")
            if doc is None and self._files[rel]["note"]:
                continue
            got = L.parse_lockfile(doc, path.name.removesuffix(".specs.lock.json"), rel, self._warnings)
            self._rows[rel] = len(got)
            rows.extend(got)
        return S.frame_from_records(S.LOCKFILES, rows)

    @property
    def lockfiles(self) -> pd.DataFrame:
        """Collected lock-file entries (schema :data:`~meta254lib.core.schema.LOCKFILES`)."""
        frame = self._lock_frame
        return frame if frame is not None else S.empty_frame(S.LOCKFILES)

    @cached_property
    @_cached("spec_registry")
    def spec_versions(self) -> pd.DataFrame:
        """The spec registry (schema :data:`~meta254lib.core.schema.SPEC_VERSIONS`)."""
        paths = self._find("spec_registry")
        if not paths:
            return S.empty_frame(S.SPEC_VERSIONS)
        rel = self._rel(paths[0])
        doc = self._load(paths[0], "spec_registry")
        if doc is None:
            return S.empty_frame(S.SPEC_VERSIONS)
        try:
            df = L.parse_spec_registry(doc, rel, self._warnings)
        except InputError as err:
            self._warnings.append((rel, err.field, str(err)))
            return S.empty_frame(S.SPEC_VERSIONS)
        self._rows[rel] = len(df)
        return df

    @cached_property
    @_cached("advisories", "rules", deps=("aliases",))
    def advisories(self) -> pd.DataFrame:
        """OSV advisories, one row per affected package (schema :data:`~meta254lib.core.schema.ADVISORIES`)."""
        rows: list[dict] = []
        for path in self._find("advisories"):
            rel = self._rel(path)
            doc = self._load(path, "advisories")
            if doc is None:
                continue
            records = doc if isinstance(doc, list) else [doc]
            if isinstance(doc, list):
                self._warnings.append((rel, "", "a list of OSV records; each read separately"))
            got = []
            for rec in records:
                got.extend(L.parse_advisory(rec, rel, self._warnings, self.aliases))
            self._rows[rel] = len(got)
            rows.extend(got)
        rows.sort(key=lambda r: (r["advisory_id"], r["package"], r[S.FILE]))
        return S.frame_from_records(S.ADVISORIES, rows)

    @cached_property
    @_cached("drift_reports", "analysis/reports/drift/latest_drift_report.json", "rules", deps=("aliases",))
    def drift_history(self) -> pd.DataFrame:
        """Every issue of every drift report (schema :data:`~meta254lib.core.schema.DRIFT_HISTORY`).

        ``latest_drift_report.json`` is read only when it is not a byte copy of an archived report.
        """
        paths = self._find("drift_reports")
        latest = self.root / "analysis/reports/drift/latest_drift_report.json"
        digests = set()
        frames: list[pd.DataFrame] = []  # one per report, text deduplicated: a year of reports fits in memory
        for path in paths:
            rel = self._rel(path)
            try:
                digests.add(hashlib.sha256(read_bytes(path, rel, self._root_real, root_is_real=True)).hexdigest())
            except InputError:
                pass
        candidates = list(paths)
        if latest.is_file() and self._inside(latest):
            rel = self._rel(latest)
            try:
                same = (
                    hashlib.sha256(read_bytes(latest, rel, self._root_real, root_is_real=True)).hexdigest() in digests
                )
            except InputError:
                same = False
            if same:
                self._record(rel, "drift_reports")
                self._files[rel]["note"] = "a copy of an archived report; not counted twice"
            else:
                candidates.append(latest)
        for path in candidates:
            rel = self._rel(path)
            doc = self._load(path, "drift_reports")
            if doc is None:
                continue
            try:
                got = L.parse_drift_report(
                    doc, rel, self._warnings, report_time=L.timestamp_from_filename(path.name), aliases=self.aliases
                )
            except InputError as err:
                self._warnings.append((rel, err.field, str(err)))
                continue
            meta = doc.get("metadata") if isinstance(doc, dict) and isinstance(doc.get("metadata"), dict) else {}
            self._files[rel]["timestamp"] = L.parse_timestamp(meta.get("generated_at")) or L.timestamp_from_filename(
                path.name
            )
            self._rows[rel] = len(got)
            if got:
                frames.append(_compact(S.frame_from_records(S.DRIFT_HISTORY, got)))
        df = pd.concat(frames, ignore_index=True) if frames else S.empty_frame(S.DRIFT_HISTORY)
        if len(df):
            df = df.sort_values(["report_time", "report", "source_issue", S.SERVICE], kind="stable").reset_index(
                drop=True
            )
        return df

    @cached_property
    @_cached("quality_history", "latest_quality", *_TABLE_INPUTS, deps=("_tables",))
    def quality_history(self) -> pd.DataFrame:
        """Every service of every quality snapshot (schema :data:`~meta254lib.core.schema.QUALITY_HISTORY`).

        ``catalog/latest_quality_snapshot.json`` joins the history unless a historical snapshot has the
        same bytes or the same snapshot time.
        """
        frames: list[pd.DataFrame] = []  # one per snapshot, text deduplicated
        shapes: dict[str, tuple[pd.Timestamp, list[str]]] = {}
        seen_times: set[pd.Timestamp] = set()
        digests: set[str] = set()
        paths = self._find("quality_history")
        latest = self._find("latest_quality")
        for path in paths + latest:
            rel = self._rel(path)
            try:
                digest = hashlib.sha256(read_bytes(path, rel, self._root_real, root_is_real=True)).hexdigest()
            except InputError:
                digest = ""
            if path in latest and digest in digests:
                self._record(rel, "latest_quality")
                self._files[rel]["note"] = "a copy of a historical snapshot; not counted twice"
                continue
            digests.add(digest)
            doc = self._load(path, "quality_history" if path not in latest else "latest_quality")
            if doc is None:
                continue
            try:
                got = L.parse_quality_snapshot(
                    doc, rel, self._warnings, snapshot_time=L.timestamp_from_filename(path.name)
                )
            except InputError as err:
                self._warnings.append((rel, err.field, str(err)))
                continue
            when = got[0]["snapshot_time"] if got else None
            if when is not None:
                self._files[rel]["timestamp"] = when
            if path in latest and when in seen_times:
                self._files[rel]["note"] = "same snapshot time as a historical snapshot; not counted twice"
                continue
            if when is not None:
                seen_times.add(when)
            self._rows[rel] = len(got)
            if got:
                frames.append(_compact(S.frame_from_records(S.QUALITY_HISTORY, got)))
                shapes[rel] = (when, sorted({r["shape"] for r in got}))
        if len({tuple(v) for _, v in shapes.values()}) > 1:
            newest_rel = max(shapes, key=lambda r: (shapes[r][0], r))
            newest = "/".join(shapes[newest_rel][1])
            for rel, (_, shape) in sorted(shapes.items()):
                if "/".join(shape) != newest:
                    self._warnings.append(
                        (
                            rel,
                            "services",
                            f"shape {'/'.join(shape)!r} differs from the newest snapshot's shape {newest!r} "
                            f"({newest_rel}); metrics that shape lacks are unknown for that week",
                        )
                    )
        maturity = dict(zip(self.services[S.SERVICE], self.services[S.MATURITY], strict=True))
        df = pd.concat(frames, ignore_index=True) if frames else S.empty_frame(S.QUALITY_HISTORY)
        missing = df[S.MATURITY].isna()
        if missing.any():  # a snapshot without maturity: the catalog's
            df[S.MATURITY] = df[S.MATURITY].where(~missing, df[S.SERVICE].map(maturity)).astype("str")
        if len(df):
            df = df.sort_values(["snapshot_time", S.SERVICE], kind="stable").reset_index(drop=True)
        return df

    @cached_property
    @_cached(
        "quality_history",
        "latest_quality",
        *_TABLE_INPUTS,
        "drift_reports",
        "analysis/reports/drift/latest_drift_report.json",
        "rules",
        deps=("_tables", "aliases"),
        adopt=("quality_history", "drift_history"),
    )
    def _history_heads(self) -> dict[str, Any]:
        qh = self.quality_history
        times = qh["snapshot_time"].dropna().drop_duplicates().sort_values().tolist()
        cols = ["snapshot_time", S.SERVICE, S.SCORE]
        newest_q = qh.loc[qh["snapshot_time"] == times[-1], cols] if times else qh[cols].iloc[:0]
        dh = self.drift_history
        reports = dh["report_time"].dropna().drop_duplicates().sort_values().tolist()
        newest_d = dh[dh["report_time"] == reports[-1]] if reports else dh.iloc[:0]
        newest_d = newest_d[~newest_d["exempt"].astype("boolean").fillna(False).astype(bool)]
        counts = newest_d.groupby(newest_d[S.SERVICE].astype(object)).size().sort_index()
        return {
            "quality": newest_q.reset_index(drop=True),
            "snapshot_times": times,
            "drift_counts": pd.DataFrame(
                {
                    S.SERVICE: pd.Series(counts.index.tolist(), dtype="str"),
                    "issues": pd.Series(counts.to_numpy(), dtype="int64"),
                }
            ),
            "report_times": reports,
        }

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
        got = self._history_heads
        return HistoryHeads(
            quality=got["quality"],
            snapshot_times=tuple(got["snapshot_times"]),
            drift_counts=got["drift_counts"],
            report_times=tuple(got["report_times"]),
        )

    @cached_property
    @_cached("dependency_graph", *_TABLE_INPUTS, deps=("_tables",))
    def dependency_graph_diff(self) -> dict[str, Any] | None:
        """How ``catalog/dependency-graph.yaml`` disagrees with the catalog (``None`` when absent)."""
        paths = self._find("dependency_graph")
        if not paths:
            return None
        rel = self._rel(paths[0])
        doc = self._load(paths[0], "dependency_graph")
        if not isinstance(doc, dict):
            return None
        nodes_doc = doc.get("nodes")
        nodes: set[str] = set()
        if isinstance(nodes_doc, dict):
            for members in nodes_doc.values():
                if isinstance(members, list):
                    nodes.update(str(m) for m in members)
        elif isinstance(nodes_doc, list):
            nodes.update(str(n.get("name", n)) if isinstance(n, dict) else str(n) for n in nodes_doc)
        edges = set()
        for e in doc.get("edges") or []:
            if isinstance(e, dict) and "from" in e and "to" in e:
                edges.add((str(e["from"]), str(e["to"])))
        names = set(self.services[S.SERVICE])
        dep = self.dependencies
        cat_edges = set(
            zip(
                dep.loc[dep[S.KIND] == "internal", S.SERVICE], dep.loc[dep[S.KIND] == "internal", S.TARGET], strict=True
            )
        )
        cat_edges = {(a, b) for a, b in cat_edges if b in names}
        diff = {
            "file": rel,
            "graph_nodes": len(nodes),
            "catalog_services": len(names),
            "nodes_not_in_catalog": sorted(nodes - names),
            "services_not_in_graph": sorted(names - nodes),
            "graph_edges": len(edges),
            "catalog_edges": len(cat_edges),
            "edges_not_in_catalog": sorted(edges - cat_edges),
            "edges_not_in_graph": sorted(cat_edges - edges),
        }
        diff["agrees"] = not (
            diff["nodes_not_in_catalog"]
            or diff["services_not_in_graph"]
            or diff["edges_not_in_catalog"]
            or diff["edges_not_in_graph"]
        )
        self._rows[rel] = len(nodes)
        if not diff["agrees"]:
            self._warnings.append(
                (
                    rel,
                    "",
                    f"disagrees with the catalog: {len(nodes)} graph nodes vs {len(names)} services "
                    f"({len(diff['nodes_not_in_catalog'])} not in the catalog, {len(diff['services_not_in_graph'])} "
                    f"services missing), {len(edges)} edges vs {len(cat_edges)} catalog edges",
                )
            )
        return diff

    # --- derived -------------------------------------------------------------------------------

    @cached_property
    @_cached(*_TABLE_INPUTS, deps=("_tables",))
    def graph(self) -> nx.DiGraph:
        """The service graph (see :func:`meta254lib.graph.build.build_graph`).

        ``shares_contract`` edges are materialised up to :data:`meta254lib.graph.build.CONTRACT_PAIR_LIMIT`
        ordered pairs; a fleet whose shared pins exceed that gets a graph without the relation, and
        ``G.graph["omitted_relations"]`` says why.
        """
        from ..graph.build import CONTRACT_PAIR_LIMIT, build_graph

        return build_graph(
            self.services, self.dependencies, self.events, self.contracts, max_contract_pairs=CONTRACT_PAIR_LIMIT
        )

    @cached_property
    def generated_at(self) -> pd.Timestamp | None:
        """The catalog's ``metadata.generated_at`` in UTC: the default ``as_of`` of every analysis."""
        return L.parse_timestamp(self.catalog_meta.get("generated_at"))

    def resolve_as_of(self, as_of: Any = None) -> pd.Timestamp:
        """The analysis date: ``as_of`` when given, else the catalog's ``generated_at``.

        Never the wall clock. Without either, the newest ``last_update`` in the catalog is used.

        Raises
        ------
        ParameterError
            ``as_of`` is not a date, or no date can be derived from the workspace.
        """
        if as_of is not None and not (isinstance(as_of, str) and not as_of.strip()):
            ts = (
                L.parse_timestamp(as_of)
                if not isinstance(as_of, pd.Timestamp)
                else (as_of.tz_localize("UTC") if as_of.tzinfo is None else as_of.tz_convert("UTC"))
            )
            if ts is None:
                raise ParameterError(f"as_of: expected a date like 2025-10-10, found {as_of!r}")
            return ts
        if self.generated_at is not None:
            return self.generated_at
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
            return bool(self._find("quality_history") or self._find("latest_quality"))
        return bool(self._find(key))

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
        own = set(self.services.loc[self.services[S.TEAM] == team, S.SERVICE])
        if not own:
            known = sorted(set(self.services[S.TEAM].dropna()))
            raise ParameterError(f"team: {team!r} owns no catalog service (known teams: {', '.join(known)})")
        from ..graph.build import relation_view

        view = relation_view(self.graph, tuple(relations))
        scope = set(own)
        for svc in own:
            scope |= nx.ancestors(view, svc)
        return scope

    def load_all(self) -> Workspace:
        """Read every optional input now (the tables are otherwise read on first access)."""
        for name in (
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
        ):
            getattr(self, name)
        for rel, info in self._files.items():
            if info["input"] in ("thresholds", "rules", "upgrade_policies") and rel not in self._rows:
                doc = {"thresholds": self.thresholds, "rules": self.rules, "upgrade_policies": self.upgrade_policies}
                self._rows[rel] = len(doc[info["input"]])
        if self.catalog_file.endswith(".yaml") and (self.root / "catalog/service-index.json").is_file():
            rel = "catalog/service-index.json"
            if rel not in self._files:
                self._record(rel, "catalog_mirror")
                self._files[rel]["note"] = "JSON mirror of the YAML catalog; the YAML is read"
                self._rows[rel] = None
        for key in ("release_trains", "collection_summary"):
            for path in self._find(key):
                rel = self._rel(path)
                if rel not in self._files:
                    doc = self._load(path, key)
                    self._rows[rel] = len(doc) if isinstance(doc, (list, dict)) else 0
        return self

    @property
    def warnings(self) -> pd.DataFrame:
        """Every problem found while loading (schema :data:`~meta254lib.core.schema.WARNINGS`)."""
        self.load_all()
        rows = [{S.FILE: f, S.FIELD: fld, S.MESSAGE: m} for f, fld, m in self._warnings]
        return S.frame_from_records(S.WARNINGS, rows).drop_duplicates(ignore_index=True)

    @property
    def inputs(self) -> pd.DataFrame:
        """Each input file found (timestamps, rows, warnings) and each optional input that is absent."""
        warn_counts = self.warnings[S.FILE].value_counts().to_dict()
        rows = []
        for rel, info in sorted(self._files.items()):
            row = dict(info)
            row["rows"] = self._rows.get(rel, 0 if not info["note"] else None)
            row["warnings"] = int(warn_counts.get(rel, 0))
            rows.append(row)
        present = {info["input"] for info in self._files.values()}
        for key, patterns in LAYOUT.items():
            if key == "catalog" or key in present:
                continue
            rows.append(
                {
                    "input": key,
                    S.FILE: patterns[0],
                    "present": False,
                    "required": False,
                    "warnings": 0,
                    "note": _ABSENT_NOTES.get(key, ""),
                }
            )
        caches = []
        for folder, dirs, files in os.walk(self.root):  # links to folders are not followed
            dirs[:] = sorted(d for d in dirs if d not in (".git", ".venv", "node_modules"))
            caches.extend(Path(folder) / f for f in files if f.endswith(".cache"))
        if caches:
            rows.append(
                {
                    "input": "ignored_caches",
                    S.FILE: f"{len(caches)} *.cache file(s)",
                    "present": True,
                    "required": False,
                    "warnings": 0,
                    "note": "never read: the platform's caches may hold serialised Python objects, whose loading "
                    "would run code",
                }
            )
        return S.frame_from_records(S.INPUTS, rows)

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
