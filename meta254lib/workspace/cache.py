"""Warm-load cache of workspace tables, keyed by the content hash of every input file.

Parsing a 10,000-service workspace (catalog, manifests, lock files, a year of weekly reports) takes
tens of seconds; reading the tables it produced takes a fraction of a second. The workspace stores
each table it computes ("unit": the catalog, teams, manifests, the catalog tables, drift and quality
history, ...) in ``.meta254-cache/`` inside the workspace, or under ``$META254_CACHE_DIR`` when set,
and reads it back on the next open if, and only if, every input file of that unit still has the
same SHA-256 digest.

What is stored, and how it is checked:

- **no serialised Python objects, ever.** A unit file is a JSON header followed by raw little-endian
  column buffers: numbers, booleans and timestamps as plain arrays (read with ``numpy.frombuffer``),
  masks for the nullable dtypes, text as a JSON list of distinct values plus ``int32`` codes, tuples
  and other Python values as tagged JSON (:func:`~meta254lib.workspace.codec.encode_value`). Nothing in it
  can execute code.
- **keyed by content.** The header holds one SHA-256 over every input file's path and SHA-256. A unit
  is used only when the same files are present and every digest matches; the key also covers the meta254 source
  code that produced it, pandas and numpy versions, and the format version, so an upgrade never
  reads a stale layout.
- **cheap re-validation.** Hashing hundreds of megabytes on every open would cost more than the
  load, so digests are remembered with the file's size, mtime, ctime and inode (``files.m254``).
  A file whose four values are unchanged, and that had not been modified within
  :data:`RACY_SECONDS` of being hashed, keeps its digest (the rule git uses for its index: a file
  written in the same instant as it was hashed is always re-hashed). Any other file is hashed again.
- **never trusted blindly.** Every buffer carries its own SHA-256, checked on read; lengths,
  dtypes, code ranges and column names are checked while decoding. A truncated, garbled or foreign
  file is a miss (counted in :attr:`WorkspaceCache.stats` as ``corrupt``) and is rewritten.
- **atomic.** Files are written to a temporary name and renamed, so a reader sees the old or the
  new unit, never half of one.
- **hostile folders.** Only regular files of sane size are read (no named pipe, device or link; a
  unit larger than :data:`MAX_UNIT_BYTES` plus 16 times its inputs is never allocated), and no link
  is followed when the folder and its marker files are created; a cache folder that is a link is not
  used (a warning says so). See :mod:`meta254lib.workspace.cachefs`. Input file names that are not
  UTF-8 are keyed by their bytes.

Caching is on for workspaces whose catalog is at least :data:`AUTO_MIN_BYTES` (tiny workspaces
load in milliseconds and are not worth a folder). ``META254_CACHE=on|off|auto`` and
``open_workspace(path, cache=True|False)`` override that.

The value and frame codecs are :mod:`meta254lib.workspace.codec` and :mod:`meta254lib.workspace.frame_codec`,
the unit file layout is :mod:`meta254lib.workspace.unitfile`, and which files feed a unit is found by
:func:`meta254lib.workspace.input_scan.scan_inputs`.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .cache_setup import (
    AUTO_MIN_BYTES,
    CACHE_DIRNAME,
    ENV_DIR,
    ENV_MODE,
    FORMAT_VERSION,
    RACY_SECONDS,
    cache_folder,
    code_fingerprint,
    resolve_mode,
)
from .cachefs import create_new, folder_problem, read_regular
from .codec import CacheCorrupt, Deferred, DeferredText, Uncacheable, decode_value, encode_value, file_digest
from .frame_codec import Blobs, decode_frame, encode_frame, read_array
from .unitfile import pack_unit, unpack_unit, write_atomic

__all__ = [
    "AUTO_MIN_BYTES",
    "CACHE_DIRNAME",
    "ENV_DIR",
    "ENV_MODE",
    "FORMAT_VERSION",
    "MAX_FILES_BYTES",
    "MAX_UNIT_BYTES",
    "RACY_SECONDS",
    "WorkspaceCache",
    "cache_folder",
    "code_fingerprint",
    "resolve_mode",
]

#: A unit file larger than this plus 16 times the size of its inputs is not read (see :meth:`WorkspaceCache.load`).
MAX_UNIT_BYTES = 64 * 1024 * 1024
#: ``files.m254`` (remembered digests) larger than this is not read.
MAX_FILES_BYTES = 256 * 1024 * 1024

_UNSET = object()
_UNIT_SUFFIX = ".m254"


def _stat_key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


class WorkspaceCache:
    """The cache folder of one workspace: digests of input files and unit files.

    Parameters
    ----------
    root : Path
        The workspace folder (resolved).
    folder : Path
        The cache folder (:func:`cache_folder`).

    Attributes
    ----------
    stats : dict
        Counters ``hit``, ``miss``, ``corrupt``, ``write``, ``uncacheable``, ``hashed`` (files
        hashed in this process), and ``units`` (unit → ``"hit"``/``"miss"``/...).
    """

    def __init__(self, root: Path, folder: Path) -> None:
        self.root = root
        self.folder = folder
        self.stats: dict[str, Any] = {
            "hit": 0,
            "miss": 0,
            "corrupt": 0,
            "write": 0,
            "uncacheable": 0,
            "changed": 0,
            "hashed": 0,
            "units": {},
        }
        self._known: dict[str, list] | None = None  # rel -> [size, mtime_ns, ctime_ns, ino, digest, hashed_ns]
        self._dirty = False
        self._digests: dict[str, str | None] = {}
        self._keys: dict[tuple[str, ...], dict[str, Any]] = {}  # see _inputs_key
        self._writable: bool | None = None
        self._root = str(root)
        #: ``os.stat`` results taken while checking digests (rel -> stat_result), for reuse.
        self.stat_of: dict[str, os.stat_result] = {}
        #: Folder listings of :func:`scan_inputs`, reused while the folder is unchanged.
        self.listings: dict[str, tuple[tuple[int, int, int], Any]] = {}

    # digests of input files ---------------------------------------------------------------------
    def _files_path(self) -> Path:
        return self.folder / "files.m254"

    def _load_known(self) -> dict[str, list]:
        """The remembered digests: rel -> [size, mtime_ns, ctime_ns, inode, sha256, hashed_at_ns].

        Stored as a unit file (rel names in the header, the integers as one ``int64`` buffer, the
        digests as one ASCII buffer); anything unreadable is simply forgotten (files get re-hashed).
        """
        if self._known is None:
            known: dict[str, list] = {}
            try:
                raw = read_regular(self._files_path(), MAX_FILES_BYTES)
                if raw is None:
                    raise CacheCorrupt("not a regular file of sane size")
                header, blobs = unpack_unit(bytearray(raw))
                rels = header.get("rels")
                if header.get("format") == FORMAT_VERSION and isinstance(rels, list):
                    n = len(rels)
                    ints = read_array(blobs[0], "<i8", n * 5).reshape(n, 5).tolist()
                    hexes = bytes(blobs[1])
                    if len(hexes) == 64 * n and set(map(type, rels)) <= {str}:
                        text = hexes.decode("ascii")
                        known = {
                            rel: [a, b, c, d, text[64 * i : 64 * i + 64], e]
                            for i, (rel, (a, b, c, d, e)) in enumerate(zip(rels, ints, strict=True))
                        }
            except (OSError, CacheCorrupt, ValueError, UnicodeDecodeError, IndexError, struct.error):
                known = {}
            self._known = known
        return self._known

    def note_read(
        self, rel: str, st: os.stat_result | None, data: bytes, when_ns: int | None = None, digest: str | None = None
    ) -> str:
        """Record the digest of bytes the workspace has just read (``st``: stat taken before reading).

        ``digest`` is that of ``data`` when the caller already has it (read ahead and hashed in a thread).
        """
        digest = digest or file_digest(data)
        if self._digests.get(rel) != digest:
            self._keys.clear()
        self._digests[rel] = digest
        if st is not None:
            self._load_known()[rel] = [*_stat_key(st), digest, when_ns if when_ns is not None else time.time_ns()]
            self._dirty = True
        return digest

    def digest(self, rel: str) -> str | None:
        """SHA-256 of the file's current bytes (``None`` when it does not exist)."""
        got = self._digests.get(rel, _UNSET)
        if got is not _UNSET:
            return got
        if rel.startswith("?"):  # compared by name and kind only
            self._digests[rel] = "-"
            return "-"
        path = f"{self._root}/{rel}" if os.sep == "/" else os.path.join(self._root, rel)
        try:
            st = os.stat(path)
        except OSError:
            self._digests[rel] = None
            return None
        self.stat_of[rel] = st
        if not stat.S_ISREG(st.st_mode):  # a pipe or device: compared by kind, never opened (it may block)
            self._digests[rel] = f"-{stat.S_IFMT(st.st_mode)}"
            return self._digests[rel]
        known = self._known if self._known is not None else self._load_known()
        rec = known.get(rel)
        if type(rec) is list and len(rec) == 6 and type(rec[4]) is str and type(rec[5]) is int:
            limit = rec[5] - int(RACY_SECONDS * 1e9)
            if (
                rec[0] == st.st_size
                and rec[1] == st.st_mtime_ns
                and rec[2] == st.st_ctime_ns
                and rec[3] == st.st_ino
                and st.st_mtime_ns < limit
                and st.st_ctime_ns < limit
            ):
                self._digests[rel] = rec[4]
                return rec[4]
        when = time.time_ns()
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            self._digests[rel] = None
            return None
        self.stats["hashed"] += 1
        return self.note_read(rel, st, data, when)

    def forget(self, rel: str) -> None:
        """Drop the in-process digest of ``rel`` (it is recomputed on next use)."""
        self._digests.pop(rel, None)
        self._keys.clear()
        self.stat_of.pop(rel, None)

    def mtimes(self, rels: Iterable[str]) -> str:
        """A digest of the modification times of ``rels`` (for units whose tables show them)."""
        h = hashlib.sha256()
        for rel in rels:
            st = self.stat_of.get(rel)
            if st is None:
                try:
                    st = os.stat(os.path.join(self._root, rel))
                except OSError:
                    h.update(f"{rel}\0-\n".encode("utf-8", "surrogateescape"))
                    continue
            h.update(f"{rel}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
        return h.hexdigest()

    # units ----------------------------------------------------------------------------------------
    def _unit_path(self, unit: str) -> Path:
        return self.folder / f"{unit.strip('_')}{_UNIT_SUFFIX}"

    def _key(self, unit: str) -> str:
        return hashlib.sha256(f"{code_fingerprint()}|{unit}".encode()).hexdigest()

    def _inputs_key(self, rels: list[str]) -> dict[str, Any]:
        """How many inputs, and one SHA-256 over each one's path and content digest (absent = ``None``).

        Remembered per list of inputs until a digest is recorded or forgotten (units of the same
        inputs, such as the catalog tables and the graph, then hash them once).
        """
        seen = tuple(rels)
        got_key = self._keys.get(seen)
        if got_key is not None:
            return dict(got_key)
        memo, digest_of = self._digests, self.digest
        lines = []
        for rel in rels:
            got = memo.get(rel, _UNSET)
            lines.append(f"{rel}\0{got if got is not _UNSET else digest_of(rel)}\n")
        key = {"n": len(rels), "sha256": hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()}
        self._keys[seen] = key
        return dict(key)

    def states(self, rels: Iterable[str]) -> dict[str, list[int] | None]:
        """``stat`` fingerprints of ``rels`` now (taken before a unit is computed, see :meth:`save`)."""
        out: dict[str, list[int] | None] = {}
        join, root = os.path.join, self._root
        for rel in rels:
            if rel.startswith("?"):
                continue
            try:
                st = os.stat(join(root, rel))
                out[rel] = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
            except OSError:
                out[rel] = None
        return out

    def load(self, unit: str, rels: list[str], mtimes: bool = False) -> Any:
        """The stored payload of ``unit`` when its inputs are still ``rels`` with the same digests.

        With ``mtimes``, their modification times must be unchanged too (for tables that show them).
        Returns ``None`` on a miss (absent, stale, or a file that fails a check: ``corrupt``).
        """
        path = self._unit_path(unit)
        try:
            st = os.lstat(path)
        except OSError:
            self._count(unit, "miss")
            return None
        raw = read_regular(path, self._max_unit_bytes(rels)) if stat.S_ISREG(st.st_mode) else None
        if raw is None:  # a pipe, device, link or folder, or a file far larger than its inputs could give
            self._count(unit, "corrupt", "not a regular file of sane size")
            return None
        data = bytearray(raw)
        del raw
        try:
            header, blobs = unpack_unit(data)
            del data
            if header.get("key") != self._key(unit) or header.get("unit") != unit:
                self._count(unit, "miss")
                return None
            if header.get("inputs") != self._inputs_key(rels):
                self._count(unit, "miss")
                return None
            if header.get("mtimes") != (self.mtimes(rels) if mtimes else ""):
                self._count(unit, "miss")
                return None
            frames = [
                Deferred(data=bytes(blobs[spec["deferred"]])) if "deferred" in spec else decode_frame(spec, blobs)
                for spec in header["frames"]
            ]
            payload = decode_value(header["payload"], frames)
        except (
            CacheCorrupt,
            KeyError,
            TypeError,
            ValueError,
            IndexError,
            OverflowError,
            MemoryError,
            struct.error,
        ) as err:
            self._count(unit, "corrupt", str(err) or type(err).__name__)
            return None
        self._count(unit, "hit")
        self.flush()
        return payload

    def _max_unit_bytes(self, rels: list[str]) -> int:
        """The largest unit file worth reading for inputs ``rels``: :data:`MAX_UNIT_BYTES` + 16 × their size."""
        known = self._known if self._known is not None else self._load_known()
        total = 0
        for rel in rels:
            st = self.stat_of.get(rel)
            if st is not None:
                total += st.st_size
                continue
            rec = known.get(rel)
            if type(rec) is list and rec and type(rec[0]) is int:
                total += rec[0]
                continue
            try:
                total += os.stat(os.path.join(self._root, rel)).st_size
            except (OSError, ValueError):
                pass
        return MAX_UNIT_BYTES + 16 * total

    def save(
        self, unit: str, rels: list[str], payload: Any, mtimes: bool = False, states: Mapping[str, Any] | None = None
    ) -> bool:
        """Store ``payload`` (see :func:`encode_value`) for ``unit`` computed from ``rels``.

        ``states`` are the :meth:`states` of ``rels`` taken before the computation: when a file
        changed while the unit was computed, nothing is stored (its digest would not describe what
        was read).
        """
        frames: list[pd.DataFrame] = []
        try:
            tagged = encode_value(payload, frames)
            blobs = Blobs()
            specs = [
                {"deferred": blobs.add(df.data)} if isinstance(df, DeferredText) else encode_frame(df, blobs)
                for df in frames
            ]
        except (Uncacheable, UnicodeEncodeError) as err:
            self._count(unit, "uncacheable", str(err))
            return False
        inputs = self._inputs_key(rels)
        if states is not None and self.states(rels) != dict(states):
            self._count(unit, "changed")
            return False
        header = {
            "format": FORMAT_VERSION,
            "unit": unit,
            "key": self._key(unit),
            "mtimes": self.mtimes(rels) if mtimes else "",
            "inputs": inputs,
            "frames": specs,
            "payload": tagged,
        }
        if not self._ensure_folder():
            return False
        try:
            write_atomic(self._unit_path(unit), pack_unit(header, blobs.items))
        except (OSError, ValueError):
            return False
        self.stats["write"] += 1
        self.flush()
        return True

    def flush(self) -> None:
        """Write the remembered file digests if they changed."""
        if not self._dirty or self._known is None or not self._ensure_folder():
            return
        items = sorted(
            (rel, rec)
            for rel, rec in self._known.items()
            if type(rec) is list and len(rec) == 6 and type(rec[4]) is str and len(rec[4]) == 64
        )
        try:
            ints = np.array([[r[0], r[1], r[2], r[3], r[5]] for _, r in items], dtype="<i8").reshape(-1, 5)
            hexes = "".join(r[4] for _, r in items).encode("ascii")
            header = {"format": FORMAT_VERSION, "rels": [rel for rel, _ in items]}
            write_atomic(self._files_path(), pack_unit(header, [ints.tobytes(), hexes]))
            self._dirty = False
        except (OSError, ValueError, OverflowError, UnicodeEncodeError):
            pass

    def _ensure_folder(self) -> bool:
        """Create the cache folder and its marker files, following no link (``False``: do not write)."""
        if self._writable is None:
            self._writable = False
            if folder_problem(self.folder, self.root) is not None:
                return False
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError:
                return False
            if folder_problem(self.folder, self.root) is not None:  # replaced by a link meanwhile
                return False
            create_new(self.folder / ".gitignore", b"# created by meta254: a cache, safe to delete\n*\n")
            create_new(
                self.folder / "CACHEDIR.TAG",
                b"Signature: 8a477f597d28d172789f06886806bc55\n# meta254 warm-load cache; safe to delete\n",
            )
            self._writable = os.access(self.folder, os.W_OK)
        return self._writable

    def _count(self, unit: str, outcome: str, detail: str = "") -> None:
        self.stats[outcome] = self.stats.get(outcome, 0) + 1
        self.stats["units"][unit] = outcome if not detail else f"{outcome}: {detail}"
