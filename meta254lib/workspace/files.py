"""The file side of an open workspace: find its input files, read them safely, and keep what was read.

A :class:`WorkspaceFiles` finds the files of each input under :data:`meta254lib.core.settings.LAYOUT`,
reads and decodes them (links that leave the workspace are never followed; files that are not
regular files are named and skipped) and keeps, for :attr:`Workspace.warnings
<meta254lib.workspace.workspace.Workspace.warnings>` and :attr:`~meta254lib.workspace.workspace.Workspace.inputs`,
every warning, a record of each file read and its row count. The table builders
(:mod:`meta254lib.workspace.tables`, :mod:`meta254lib.workspace.history`) read through it.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from ..core import schema as S
from ..core.errors import InputError
from ..core.settings import LAYOUT
from .cache import WorkspaceCache
from .cachefs import escaped_name
from .codec import Deferred, file_digest
from .coerce import parse_timestamp
from .read_ahead import Fetched, ReadAhead
from .yamlio import WarnList, file_kind, loads_json, loads_yaml, read_bytes

__all__ = ["WorkspaceFiles"]


def _utc_mtime(st: os.stat_result | None) -> pd.Timestamp | None:
    """The modification time of a stat result as a UTC timestamp (``None`` without one)."""
    return pd.Timestamp(dt.datetime.fromtimestamp(st.st_mtime, tz=dt.UTC)) if st else None


def _utf8_name(rel: str) -> bool:
    """Whether the workspace-relative name ``rel`` is valid UTF-8 (undecodable bytes are lone surrogates)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class WorkspaceFiles:
    """The input files of the workspace at ``root``, what reading them found, and the cache they feed.

    Parameters
    ----------
    root : Path
        The workspace folder (resolved).
    cache : WorkspaceCache or None
        The warm-load cache, when caching is on.

    Attributes
    ----------
    warnings : list of (file, field, message)
        Every problem found while reading, in order.
    rows : dict
        Rows read from each file (``rel`` -> count).
    effects : dict
        What each unit served through the cache added (see :mod:`meta254lib.workspace.cached_units`).
    """

    def __init__(self, root: Path, cache: WorkspaceCache | None) -> None:
        self.root = root
        self.cache = cache
        self.warnings: WarnList = []
        self.rows: dict[str, int | None] = {}
        self.effects: dict[str, dict[str, Any]] = {}
        self._files_dict: dict[str, dict[str, Any]] = {}
        self._pending_files: list[tuple[int, dict[str, os.stat_result], Deferred]] = []
        self._written: dict[str, int] = {}  # rel -> sequence number of its last direct record
        self._seq = 0

    # --- file records ---------------------------------------------------------------------------

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        """File records (``rel`` -> input, file, present, required, modified, timestamp, bytes, note).

        Records replayed from the cache are completed (modification time, size) on first use.
        """
        if self._pending_files:
            pending, self._pending_files = self._pending_files, []
            for seq, stat_of, deferred in pending:
                for info in deferred.get():
                    self._complete(seq, stat_of, info)
        return self._files_dict

    def _complete(self, seq: int, stat_of: dict[str, os.stat_result], stored: dict[str, Any]) -> None:
        """Add one replayed record, with its file's current modification time and size."""
        info = dict(stored)  # the deferred list stays as stored (a unit may adopt it, see cached_units)
        rel = info.pop("rel")
        if self._written.get(rel, 0) > seq:
            return  # recorded directly since: that record is newer
        st = stat_of.get(rel)
        if st is None:
            try:
                st = os.stat(self.root / rel)
            except OSError:
                st = None
        info["modified"] = _utc_mtime(st)
        info["bytes"] = st.st_size if st else None
        self._files_dict[rel] = info

    def replay(self, stat_of: dict[str, os.stat_result], records: Deferred) -> None:
        """Queue file records stored by the cache; they are completed when :attr:`files` is read."""
        self._seq += 1
        self._pending_files.append((self._seq, stat_of, records))

    def record(
        self,
        rel: str,
        input_name: str,
        *,
        required: bool = False,
        timestamp: Any = None,
        stat: tuple[os.stat_result | None] | None = None,
    ) -> os.stat_result | None:
        """Record that the file ``rel`` of input ``input_name`` was read; its stat result (``None`` if gone).

        ``stat`` is ``(st,)``, the stat taken when the file was read ahead (``st`` is ``None`` when the file
        was gone; see :data:`~meta254lib.workspace.read_ahead.Fetched`); by default the file is stat-ed now.
        """
        st: os.stat_result | None
        if stat is not None:
            (st,) = stat
        else:
            try:
                st = os.stat(self.root / rel)
            except OSError:
                st = None
        self._seq += 1
        self._written[rel] = self._seq
        self._files_dict[rel] = {
            "input": input_name,
            S.FILE: rel,
            "present": True,
            "required": required,
            "modified": _utc_mtime(st),
            "timestamp": parse_timestamp(timestamp),
            "bytes": st.st_size if st else None,
            "note": "",
        }
        return st

    def note(self, rel: str, text: str) -> None:
        """Set the note of the record of ``rel``."""
        self.files[rel]["note"] = text

    def stamp(self, rel: str, timestamp: pd.Timestamp | None) -> None:
        """Set the artifact time of the record of ``rel``."""
        self.files[rel]["timestamp"] = timestamp

    def warn(self, rel: str, field: str, message: str) -> None:
        """Add a warning about ``field`` of the file ``rel``."""
        self.warnings.append((rel, field, message))

    # --- finding files --------------------------------------------------------------------------

    def rel(self, path: Path) -> str:
        """``path`` relative to the workspace, with ``/`` separators."""
        text, root = str(path), str(self.root)
        if text.startswith(root + "/") and os.sep == "/":  # the common case, without pathlib's parsing
            return text[len(root) + 1 :]
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    @cached_property
    def root_real(self) -> str:
        """The real path of the workspace folder."""
        return os.path.realpath(self.root)

    def inside(self, path: Path | str) -> bool:
        """Whether ``path`` (links resolved) lies inside the workspace."""
        real = os.path.realpath(path)
        root_real = self.root_real
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
        base_inside = self.inside(base)
        out = []
        for entry in sorted(entries, key=lambda e: e.name):
            sure = base_inside and not entry.is_symlink() and entry.is_file(follow_symlinks=False)
            out.append((base / entry.name, True if sure else None))
        return out

    def find(self, key: str) -> list[Path]:
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
                rel = self.rel(path)
                if not _utf8_name(rel):
                    self.warn(escaped_name(rel), "", "the file name is not valid UTF-8; not read")
                    continue
                if sure:
                    found.append(path)
                elif self._usable(path):
                    found.append(path)
        return found

    def _usable(self, path: Path) -> bool:
        """Whether a match that may be a link or a special file can be read (warned when not)."""
        if not self.inside(path):
            self.warn(self.rel(path), "", "a link pointing outside the workspace; not read")
            return False
        kind = file_kind(path)
        if kind is not None:
            self.warn(self.rel(path), "", f"not a regular file ({kind}); not read")
            return False
        return True

    # --- reading files --------------------------------------------------------------------------

    def read_raw(self, path: Path) -> bytes:
        """The bytes of a workspace file (:class:`~meta254lib.core.errors.InputError` when unusable)."""
        return read_bytes(path, self.rel(path), self.root_real, root_is_real=True)

    def read_ahead(self, paths: list[Path]) -> ReadAhead:
        """A :class:`~meta254lib.workspace.read_ahead.ReadAhead` of ``paths`` for :meth:`load` (``ahead=``)."""
        return ReadAhead(paths, self._fetch)

    def _fetch(self, path: Path) -> Fetched:
        """Stat, read and hash one file (in the read-ahead thread: nothing shared is touched)."""
        try:
            st: os.stat_result | None = os.stat(path)
        except OSError:
            st = None
        try:
            data = read_bytes(path, self.rel(path), self.root_real, root_is_real=True)
        except InputError as err:
            return st, err, None
        return st, data, file_digest(data) if self.cache is not None else None

    def load(self, path: Path, input_name: str, ahead: ReadAhead | None = None) -> Any:
        """Read and parse one optional file; an unusable file becomes a warning and ``None``.

        With ``ahead``, the file's bytes (and digest) come from it when it read them.
        """
        rel = self.rel(path)
        got = ahead.take(path) if ahead is not None else None
        st = self.record(rel, input_name, stat=(got[0],) if got is not None else None)
        try:
            digest = None
            if got is None:
                data = read_bytes(path, rel, self.root_real, root_is_real=True)
            elif isinstance(got[1], InputError):
                raise got[1]
            else:
                data, digest = got[1], got[2]
            if self.cache is not None:
                self.cache.note_read(rel, st, data, digest=digest)  # the digest of what is parsed, for the cache key
            if path.suffix in (".yaml", ".yml"):
                doc = loads_yaml(data, rel, self.warnings)
            else:
                doc = loads_json(data, rel)
        except InputError as err:
            self.warn(
                rel, err.field, f"unusable: expected {err.expected}" + (f", found {err.found}" if err.found else "")
            )
            self.note(rel, "unusable; see warnings")
            return None
        if doc is None:
            # an empty file is more likely a broken checkout than a deliberate "nothing": treat it as absent
            self.warn(rel, "", "empty file; read as absent")
            self.note(rel, "empty; read as absent")
        return doc

    def read_catalog(self, warnings: WarnList) -> tuple[str, Any]:
        """The catalog's file name and decoded document (YAML warnings go to ``warnings``).

        Raises
        ------
        InputError
            The workspace folder or its catalog is missing or unusable.
        """
        if not self.root.is_dir():
            raise InputError(str(self.root), "", "a workspace folder", "no such folder")
        for rel in LAYOUT["catalog"]:
            path = self.root / rel
            if path.exists() or path.is_symlink():
                st = os.stat(path) if self.cache is not None else None
                data = read_bytes(path, rel, self.root_real, root_is_real=True)
                if self.cache is not None:
                    self.cache.note_read(rel, st, data)
                if rel.endswith(".json"):
                    return rel, loads_json(data, rel)
                return rel, loads_yaml(data, rel, warnings)
        raise InputError(
            str(self.root),
            "catalog/service-index.yaml",
            "a service catalog (catalog/service-index.yaml or catalog/service-index.json)",
            "none",
        )

    def config(self, key: str) -> dict[str, Any]:
        """A config file as a mapping (``{}`` when absent, unusable or not a mapping)."""
        paths = self.find(key)
        if not paths:
            return {}
        doc = self.load(paths[0], key)
        if doc is None:
            return {}
        if not isinstance(doc, dict):
            self.warn(
                self.rel(paths[0]), "", f"expected a mapping at the top level, found a {type(doc).__name__}; ignored"
            )
            return {}
        return doc
