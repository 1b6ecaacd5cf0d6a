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
  and other Python values as tagged JSON (:func:`encode_value`). Nothing in it can execute code.
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

Caching is on for workspaces whose catalog is at least :data:`AUTO_MIN_BYTES` (tiny workspaces
load in milliseconds and are not worth a folder). ``META254_CACHE=on|off|auto`` and
``open_workspace(path, cache=True|False)`` override that.

Examples
--------
>>> import pandas as pd
>>> frames = []
>>> tagged = encode_value({"pins": ("a@1.0", "b@2.0"), "when": pd.Timestamp("2025-10-06", tz="UTC")}, frames)
>>> decode_value(tagged, frames)["pins"]
('a@1.0', 'b@2.0')
>>> df = pd.DataFrame({"service": pd.Series(["a", None, "a"], dtype="str"), "n": pd.array([1, None, 3], "Int64")})
>>> blobs = _Blobs()
>>> spec = encode_frame(df, blobs)
>>> back = decode_frame(spec, [bytearray(b) for b in blobs.items])
>>> back.equals(df), back.dtypes.astype(str).tolist()
(True, ['str', 'Int64'])
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import functools
import hashlib
import itertools
import json
import os
import re
import struct
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from .yamlio import YamlFloat

__all__ = [
    "AUTO_MIN_BYTES",
    "CACHE_DIRNAME",
    "ENV_DIR",
    "ENV_MODE",
    "FORMAT_VERSION",
    "RACY_SECONDS",
    "CacheCorrupt",
    "Deferred",
    "Uncacheable",
    "WorkspaceCache",
    "cache_folder",
    "code_fingerprint",
    "decode_frame",
    "decode_value",
    "encode_frame",
    "encode_value",
    "file_digest",
    "resolve_mode",
    "scan_inputs",
]

#: Version of the unit file layout; part of every key.
FORMAT_VERSION = 1
#: Folder created inside the workspace (git-ignored).
CACHE_DIRNAME = ".meta254-cache"
#: Environment variable naming a cache folder outside the workspace.
ENV_DIR = "META254_CACHE_DIR"
#: Environment variable choosing ``on``, ``off`` or ``auto`` (the default).
ENV_MODE = "META254_CACHE"
#: In ``auto`` mode, workspaces whose catalog is smaller than this are not cached.
AUTO_MIN_BYTES = 512 * 1024
#: A file modified less than this many seconds before it was hashed is always re-hashed.
RACY_SECONDS = 2.0

_MAGIC = b"META254-CACHE\n"
_UNIT_SUFFIX = ".m254"
#: The subpackages whose source shapes cached tables (every module in them is fingerprinted).
_CODE_PACKAGES = ("core", "graph", "workspace")


class Deferred:
    """A value stored as its own JSON buffer and decoded only when :meth:`get` is called.

    For bulky parts of a unit that a warm open seldom needs (for example the per-file records of
    ten thousand manifests): reading the unit then costs a buffer check, not a decode.
    """

    __slots__ = ("_data", "_value")

    def __init__(self, value: Any = None, *, data: bytes | None = None) -> None:
        self._value = value
        self._data = data

    def get(self) -> Any:
        """The value (decoded on first use)."""
        if self._data is not None:
            try:
                tagged = json.loads(self._data)
            except (ValueError, UnicodeDecodeError) as err:
                raise CacheCorrupt(f"unreadable deferred value: {err}") from None
            self._value, self._data = decode_value(tagged, []), None
        return self._value


class _DeferredText:
    """The encoded bytes of a :class:`Deferred` on their way into a unit file."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


class Uncacheable(Exception):
    """A value that this format cannot represent exactly; the unit is simply not cached."""


class CacheCorrupt(Exception):
    """A unit file that fails a check; it is ignored and rewritten."""


# --- fingerprints --------------------------------------------------------------------------------

_FINGERPRINT: str | None = None


def code_fingerprint() -> str:
    """SHA-256 over the source of the modules that shape cached tables, plus library versions.

    Editing the loaders (or upgrading pandas) therefore invalidates every cache.

    Examples
    --------
    >>> len(code_fingerprint())
    64
    """
    global _FINGERPRINT
    if _FINGERPRINT is None:
        h = hashlib.sha256(f"{FORMAT_VERSION}|{pd.__version__}|{np.__version__}".encode())
        package = Path(__file__).resolve().parents[1]
        for path in sorted(p for sub in _CODE_PACKAGES for p in (package / sub).rglob("*.py")):
            name = path.relative_to(package).as_posix()
            try:
                h.update(name.encode() + b"\0" + path.read_bytes())
            except OSError:
                h.update(name.encode() + b"\0missing")
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT


def file_digest(data: bytes) -> str:
    """The digest used for inputs and buffers (SHA-256, hex).

    Examples
    --------
    >>> file_digest(b"")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(data).hexdigest()


# --- tagged JSON for Python values ---------------------------------------------------------------


def encode_value(obj: Any, frames: list[pd.DataFrame]) -> Any:
    """A JSON-able form of ``obj`` that :func:`decode_value` turns back into an equal object.

    Lists, str-keyed dicts, str, int, bool and None are themselves; everything else is a tagged
    object ``{"$": tag, ...}``: tuples, sets, frozensets, dicts with other keys, floats (so NaN and
    the source text of a YAML float survive), timestamps, dates, ``pd.NA``/``NaT``, numpy scalars,
    and DataFrames (appended to ``frames``; the tag holds the index).

    Raises
    ------
    Uncacheable
        Any other type.
    """
    t = type(obj)
    if obj is None or t is str or t is bool or t is int:
        return obj
    if t is list:
        if len(obj) >= _RECORDS_MIN:
            packed = _encode_records(obj, frames)
            if packed is not None:
                return packed
        return [encode_value(v, frames) for v in obj]
    if t is dict:
        if all(type(k) is str for k in obj) and "$" not in obj:
            return {k: encode_value(v, frames) for k, v in obj.items()}
        return {"$": "dict", "v": [[encode_value(k, frames), encode_value(v, frames)] for k, v in obj.items()]}
    if t is tuple:
        return {"$": "tuple", "v": [encode_value(v, frames) for v in obj]}
    if t is YamlFloat:
        return {"$": "yf", "v": repr(float(obj)), "s": obj.source}
    if t is float:
        return {"$": "f", "v": repr(obj)}
    if t is frozenset or t is set:
        items = [encode_value(v, frames) for v in obj]
        return {"$": "fset" if t is frozenset else "set", "v": items}
    if t is pd.Timestamp:
        return {"$": "ts", "v": _ts_int(obj), "u": obj.unit, "tz": str(obj.tz) if obj.tz is not None else None}
    if obj is pd.NaT:
        return {"$": "nat"}
    if obj is pd.NA:
        return {"$": "na"}
    if t is dt.datetime:
        return {"$": "dt", "v": obj.isoformat()}
    if t is dt.date:
        return {"$": "date", "v": obj.isoformat()}
    if t is bytes:
        return {"$": "bytes", "v": obj.hex()}
    if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
        return {"$": "np", "d": obj.dtype.str, "v": encode_value(obj.item(), frames)}
    if t is pd.DataFrame:
        frames.append(obj)
        return {"$": "df", "v": len(frames) - 1}
    if t is nx.DiGraph:
        return _encode_graph(obj, frames)
    if t is Deferred:
        inner: list[pd.DataFrame] = []
        text = json.dumps(encode_value(obj.get(), inner), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        if inner:
            raise Uncacheable("frames inside a deferred value")
        frames.append(_DeferredText(text.encode()))  # type: ignore[arg-type]
        return {"$": "deferred", "v": len(frames) - 1}
    raise Uncacheable(f"cannot cache a {t.__name__}")


def _ts_int(ts: pd.Timestamp) -> int:
    """A timestamp as an integer count of its own unit since the epoch (UTC for aware ones)."""
    return int(ts.asm8.view("i8"))


def _ts_list(values: list[Any], unit: str, tz: str | None) -> list[Any]:
    """Timestamps (``None`` kept) from :func:`_ts_int` integers, converted in one vectorised step."""
    if unit not in ("s", "ms", "us", "ns"):
        raise CacheCorrupt(f"bad timestamp unit {unit!r}")
    if not set(map(type, values)) <= {int, type(None)}:
        raise CacheCorrupt("timestamps are not integers")
    nat = np.iinfo("int64").min
    raw = np.array([nat if v is None else v for v in values], dtype="int64")
    idx = pd.DatetimeIndex(raw.view(f"M8[{unit}]"))
    if tz is not None:
        idx = idx.tz_localize("UTC").tz_convert(tz)
    out = idx.tolist()
    return [None if v is None else x for v, x in zip(values, out, strict=True)]


_UNSET = object()
_PLAIN = frozenset({str, bool, int, type(None)})

#: Lists of at least this many dicts with the same keys are stored column by column.
_RECORDS_MIN = 16
_JSON_NATIVE = (str, bool, int, type(None))


def _encode_records(rows: list, frames: list[pd.DataFrame]) -> dict[str, Any] | None:
    """Column-wise form of a list of same-keyed dicts (a table of rows), or None when it is not one.

    A column of text, booleans, integers and None is stored as a plain JSON list; a column of
    timestamps (and None) sharing one unit and time zone as integers; anything else value by value.
    """
    first = rows[0]
    if type(first) is not dict or "$" in first:
        return None
    keys = tuple(first)
    if not all(type(k) is str for k in keys):
        return None
    for r in rows:
        if type(r) is not dict or len(r) != len(keys) or tuple(r) != keys:
            return None
    cols = []
    for k in keys:
        values = [r[k] for r in rows]
        types = {type(v) for v in values}
        if all(t in _JSON_NATIVE for t in types):
            cols.append({"j": values})
            continue
        stamps = [v for v in values if v is not None]
        if types <= {pd.Timestamp, type(None)} and stamps:
            units = {v.unit for v in stamps}
            zones = {str(v.tz) if v.tz is not None else None for v in stamps}
            if len(units) == 1 and len(zones) == 1:
                cols.append(
                    {"ts": [None if v is None else _ts_int(v) for v in values], "u": units.pop(), "tz": zones.pop()}
                )
                continue
        cols.append({"t": [encode_value(v, frames) for v in values]})
    return {"$": "records", "k": list(keys), "n": len(rows), "c": cols}


def _decode_records(obj: dict, frames: list[pd.DataFrame]) -> list[dict[str, Any]]:
    keys, n, cols = obj["k"], obj["n"], obj["c"]
    if not isinstance(keys, list) or len(keys) != len(cols) or not all(type(k) is str for k in keys):
        raise CacheCorrupt("bad records")
    columns = []
    for col in cols:
        if "j" in col:
            values = col["j"]
            if not isinstance(values, list) or not set(map(type, values)) <= _PLAIN:
                raise CacheCorrupt("records column is not plain")
        elif "ts" in col:
            values = _ts_list(col["ts"], str(col["u"]), col["tz"])
        else:
            values = [decode_value(v, frames) for v in col["t"]]
        if len(values) != n:
            raise CacheCorrupt("records column length")
        columns.append(values)
    if not columns:
        return [{} for _ in range(n)]
    return [dict(zip(keys, vals, strict=True)) for vals in zip(*columns, strict=True)]


def _encode_graph(G: nx.DiGraph, frames: list[pd.DataFrame]) -> dict[str, Any]:
    """A directed graph as a node frame and an edge frame (text names, the same attributes everywhere).

    Edges are stored sorted by (u, v), which rebuilds the same adjacency order only when the graph
    was built that way (as :func:`meta254lib.graph.build.build_graph` does); other graphs are not cached.
    """
    nodes = list(G.nodes(data=True))
    node_keys = tuple(nodes[0][1]) if nodes else ()
    edges = sorted(G.edges(data=True), key=_edge_key)
    edge_keys = tuple(edges[0][2]) if edges else ()
    if not all(type(n) is str and tuple(d) == node_keys for n, d in nodes):
        raise Uncacheable("graph nodes with other names or differing attributes")
    if not all(tuple(d) == edge_keys for _, _, d in edges):
        raise Uncacheable("graph edges with differing attributes")
    if any(list(G.succ[n]) != sorted(G.succ[n]) or list(G.pred[n]) != sorted(G.pred[n]) for n, _ in nodes):
        raise Uncacheable("graph edges not added in sorted order")
    node_frame = pd.DataFrame(
        {
            "node": pd.Series([n for n, _ in nodes], dtype=object),
            **{k: _objects([d[k] for _, d in nodes]) for k in node_keys},
        }
    )
    edge_frame = pd.DataFrame(
        {
            "u": pd.Series([u for u, _, _ in edges], dtype=object),
            "v": pd.Series([v for _, v, _ in edges], dtype=object),
            **{k: _objects([d[k] for _, _, d in edges]) for k in edge_keys},
        }
    )
    return {
        "$": "digraph",
        "graph": encode_value(dict(G.graph), frames),
        "nodes": encode_value(node_frame, frames),
        "node_keys": list(node_keys),
        "edges": encode_value(edge_frame, frames),
        "edge_keys": list(edge_keys),
    }


def _edge_key(edge: tuple[Any, Any, Any]) -> tuple[Any, Any]:
    return edge[0], edge[1]


def _objects(values: list[Any]) -> pd.Series:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return pd.Series(out, dtype=object)


def _decode_graph(obj: dict, frames: list[pd.DataFrame]) -> nx.DiGraph:
    nodes, edges = decode_value(obj["nodes"], frames), decode_value(obj["edges"], frames)
    node_keys, edge_keys = obj["node_keys"], obj["edge_keys"]
    if not isinstance(nodes, pd.DataFrame) or not isinstance(edges, pd.DataFrame):
        raise CacheCorrupt("graph without frames")
    if list(nodes.columns) != ["node", *node_keys] or list(edges.columns) != ["u", "v", *edge_keys]:
        raise CacheCorrupt("graph frames with other columns")
    G = nx.DiGraph()
    G.graph.update(decode_value(obj["graph"], frames))
    # the adjacency is filled directly: what add_nodes_from and add_edges_from do, without their
    # per-item copies and checks (the names are checked text, see encode_frame's "texts")
    cols = [nodes[k].tolist() for k in node_keys]
    names = nodes["node"].tolist()
    if None in names or len(set(names)) != len(names):
        raise CacheCorrupt("graph nodes missing or stored twice")
    node_attrs, succ, pred = G._node, G._succ, G._pred
    for n, *vals in zip(names, *cols, strict=True):
        node_attrs[n] = dict(zip(node_keys, vals, strict=True))
        succ[n] = {}
        pred[n] = {}
    cols = [edges[k].tolist() for k in edge_keys]
    try:
        for u, v, *vals in zip(edges["u"].tolist(), edges["v"].tolist(), *cols, strict=True):
            if v in succ[u]:
                raise CacheCorrupt("graph edge stored twice")
            d = dict(zip(edge_keys, vals, strict=True))
            succ[u][v] = d
            pred[v][u] = d
    except KeyError:  # an edge to an unknown node would otherwise add that node silently
        raise CacheCorrupt("graph edge to an unknown node") from None
    return G


def _decode_tagged(obj: dict, frames: list[pd.DataFrame]) -> Any:
    tag = obj["$"]
    v = obj.get("v")
    if tag == "records":
        return _decode_records(obj, frames)
    if tag == "tuple":
        return tuple(v) if _all_plain(v) else tuple(decode_value(x, frames) for x in v)
    if tag == "dict":
        return {decode_value(k, frames): decode_value(x, frames) for k, x in v}
    if tag == "yf":
        return YamlFloat(float(v), str(obj["s"]))
    if tag == "f":
        return float(v)
    if tag in ("set", "fset"):
        items = v if _all_plain(v) else [decode_value(x, frames) for x in v]
        return frozenset(items) if tag == "fset" else set(items)
    if tag == "ts":
        return _ts_list([v], str(obj["u"]), obj["tz"])[0]
    if tag == "nat":
        return pd.NaT
    if tag == "na":
        return pd.NA
    if tag == "dt":
        return dt.datetime.fromisoformat(v)
    if tag == "date":
        return dt.date.fromisoformat(v)
    if tag == "bytes":
        return bytes.fromhex(v)
    if tag == "np":
        return np.dtype(obj["d"]).type(decode_value(v, frames))
    if tag == "df":
        got = frames[int(v)]
        if not isinstance(got, pd.DataFrame):
            raise CacheCorrupt("not a frame")
        return got
    if tag == "digraph":
        return _decode_graph(obj, frames)
    if tag == "deferred":
        got = frames[int(v)]
        if not isinstance(got, Deferred):
            raise CacheCorrupt("not a deferred value")
        return got
    raise CacheCorrupt(f"unknown tag {tag!r}")


def _all_plain(items: Any) -> bool:
    """Whether ``items`` is a list of text, booleans, integers and None (which decode as themselves)."""
    return type(items) is list and set(map(type, items)) <= _PLAIN


def decode_value(obj: Any, frames: list[pd.DataFrame]) -> Any:
    """Inverse of :func:`encode_value` (``frames`` are the decoded DataFrames)."""
    t = type(obj)
    if t is list:
        return list(obj) if _all_plain(obj) else [decode_value(v, frames) for v in obj]
    if t is dict:
        if "$" in obj:
            return _decode_tagged(obj, frames)
        return {k: decode_value(v, frames) for k, v in obj.items()}
    return obj


# --- columnar DataFrames --------------------------------------------------------------------------


class _Blobs:
    """Raw buffers of one unit file, in order."""

    def __init__(self) -> None:
        self.items: list[bytes] = []

    def add(self, data: bytes | np.ndarray) -> int:
        if isinstance(data, np.ndarray):
            data = np.ascontiguousarray(data).tobytes()
        self.items.append(data)
        return len(self.items) - 1

    def add_json(self, value: Any) -> int:
        return self.add(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode())


_MASKED = {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32", "Float64", "boolean"}


def _str_dtype(kind: str) -> pd.StringDtype:
    return pd.StringDtype("python", na_value=np.nan) if kind == "str" else pd.StringDtype("python")


def encode_frame(df: pd.DataFrame, blobs: _Blobs) -> dict[str, Any]:
    """Describe ``df`` column by column, adding its buffers to ``blobs``.

    Raises
    ------
    Uncacheable
        A non-default index, non-text or duplicate column names, or a dtype not listed in the
        module docstring.
    """
    idx = df.index
    if not isinstance(idx, pd.RangeIndex) or idx.start != 0 or idx.step != 1:
        raise Uncacheable("only frames with a default RangeIndex are cached")
    names = list(df.columns)
    if len(set(names)) != len(names) or not all(type(c) is str for c in names):
        raise Uncacheable("column names must be unique text")
    cols = []
    for j, name in enumerate(names):
        s = df.iloc[:, j]
        dtype = s.dtype
        spec: dict[str, Any] = {"name": name, "dtype": str(dtype)}
        if isinstance(dtype, pd.StringDtype):
            if dtype.storage != "python":
                raise Uncacheable(f"string storage {dtype.storage}")
            spec["enc"] = "text"
            spec["kind"] = "str" if dtype.na_value is np.nan else "string"
            codes, uniques = pd.factorize(s, use_na_sentinel=True)
            spec["codes"] = blobs.add(codes.astype("<i4"))
            spec["values"] = blobs.add_json([str(u) for u in uniques])
        elif isinstance(dtype, pd.DatetimeTZDtype):
            spec["enc"] = "datetimetz"
            spec["unit"] = dtype.unit
            spec["tz"] = str(dtype.tz)
            spec["data"] = blobs.add(np.asarray(s.array.asi8, dtype="<i8"))
        elif str(dtype) in _MASKED:
            arr = s.array
            spec["enc"] = "masked"
            mask = np.asarray(arr.isna(), dtype=bool)
            values = np.asarray(arr._data)  # the values under the mask (public API has no accessor)
            spec["vdtype"] = values.dtype.str
            spec["data"] = blobs.add(values)
            spec["mask"] = blobs.add(mask)
        elif isinstance(dtype, np.dtype) and dtype.kind in "biufmM":
            values = s.to_numpy()
            spec["enc"] = "raw"
            spec["vdtype"] = values.dtype.str
            spec["data"] = blobs.add(values)
        elif isinstance(dtype, np.dtype) and dtype.kind == "O" and set(map(type, s.tolist())) <= {str, type(None)}:
            spec["enc"] = "texts"
            spec["data"] = blobs.add_json(s.tolist())
        elif isinstance(dtype, np.dtype) and dtype.kind == "O" and _text_tuples(s):
            # each distinct tuple once (a graph's edges repeat a handful of relation tuples), then codes
            spec["enc"] = "strtuples"
            distinct: dict[tuple, int] = {}
            codes = [-1 if v is None else distinct.setdefault(v, len(distinct)) for v in s.tolist()]
            spec["codes"] = blobs.add(np.array(codes, dtype="<i4"))
            spec["lengths"] = blobs.add(np.array([len(v) for v in distinct], dtype="<i4"))
            spec["values"] = blobs.add_json([x for v in distinct for x in v])
        elif isinstance(dtype, np.dtype) and dtype.kind == "O":
            frames: list[pd.DataFrame] = []
            encoded = [encode_value(v, frames) for v in s.tolist()]
            if frames:
                raise Uncacheable("frames inside a column")
            spec["enc"] = "json"
            spec["data"] = blobs.add_json(encoded)
        else:
            raise Uncacheable(f"dtype {dtype}")
        cols.append(spec)
    return {"nrows": len(df), "columns": cols}


def _text_tuples(s: pd.Series) -> bool:
    """Whether every value is a tuple of text (or None): such columns are stored flat."""
    values = s.tolist()
    if not set(map(type, values)) <= {tuple, type(None)}:
        return False
    return set(map(type, itertools.chain.from_iterable(v for v in values if v is not None))) <= {str}


def _array(blob: bytearray, vdtype: str, n: int) -> np.ndarray:
    dtype = np.dtype(vdtype)
    if dtype.hasobject or len(blob) != n * dtype.itemsize:
        raise CacheCorrupt("buffer length does not match the row count")
    return np.frombuffer(blob, dtype=dtype)


def _json_blob(blob: bytearray) -> Any:
    try:
        return json.loads(bytes(blob))
    except (ValueError, UnicodeDecodeError) as err:
        raise CacheCorrupt(f"unreadable JSON buffer: {err}") from None


def decode_frame(spec: Mapping[str, Any], blobs: list[bytearray]) -> pd.DataFrame:
    """Rebuild a DataFrame from :func:`encode_frame`'s description and the checked buffers.

    Raises
    ------
    CacheCorrupt
        Any inconsistency (lengths, code ranges, dtypes, names).
    """
    n = int(spec["nrows"])
    out: dict[str, Any] = {}
    for col in spec["columns"]:
        enc, name = col["enc"], col["name"]
        if not isinstance(name, str) or name in out:
            raise CacheCorrupt("bad column name")
        if enc == "text":
            codes = _array(blobs[col["codes"]], "<i4", n)
            uniques = _json_blob(blobs[col["values"]])
            if not isinstance(uniques, list) or not set(map(type, uniques)) <= {str}:
                raise CacheCorrupt("text values are not strings")
            if n and (int(codes.min()) < -1 or int(codes.max()) >= len(uniques)):
                raise CacheCorrupt("text codes out of range")
            dtype = _str_dtype(col["kind"])
            table = np.empty(len(uniques) + 1, dtype=object)
            table[: len(uniques)] = uniques
            table[len(uniques)] = dtype.na_value
            values = pd.array(table.take(codes), dtype=dtype)
        elif enc == "datetimetz":
            raw = _array(blobs[col["data"]], "<i8", n)
            unit = str(col["unit"])
            if unit not in ("s", "ms", "us", "ns"):
                raise CacheCorrupt("bad datetime unit")
            values = pd.DatetimeIndex(raw.view(f"M8[{unit}]")).tz_localize("UTC").tz_convert(col["tz"]).array
        elif enc == "masked":
            data = _array(blobs[col["data"]], col["vdtype"], n)
            mask = _array(blobs[col["mask"]], "|b1", n)
            dtype_name = col["dtype"]
            if dtype_name not in _MASKED:
                raise CacheCorrupt("bad masked dtype")
            if dtype_name == "boolean":
                values = pd.arrays.BooleanArray(data.astype(bool), mask.copy())
            elif dtype_name.startswith("Float"):
                values = pd.arrays.FloatingArray(data.copy(), mask.copy())
            else:
                values = pd.arrays.IntegerArray(data.copy(), mask.copy())
        elif enc == "raw":
            values = _array(blobs[col["data"]], col["vdtype"], n)
        elif enc == "texts":
            items = _json_blob(blobs[col["data"]])
            if not isinstance(items, list) or len(items) != n or not set(map(type, items)) <= {str, type(None)}:
                raise CacheCorrupt("text column")
            values = np.empty(n, dtype=object)
            values[:] = items
        elif enc == "strtuples":
            codes = _array(blobs[col["codes"]], "<i4", n)
            blob = blobs[col["lengths"]]
            lengths = _array(blob, "<i4", len(blob) // 4)
            flat = _json_blob(blobs[col["values"]])
            if not isinstance(flat, list) or not set(map(type, flat)) <= {str}:
                raise CacheCorrupt("tuple items are not text")
            if (len(lengths) and int(lengths.min()) < 0) or int(lengths.sum()) != len(flat):
                raise CacheCorrupt("tuple lengths do not match their items")
            if n and (int(codes.min()) < -1 or int(codes.max()) >= len(lengths)):
                raise CacheCorrupt("tuple codes out of range")
            table = np.empty(len(lengths) + 1, dtype=object)  # the distinct tuples, then None for -1
            start = 0
            for j, end in enumerate(np.cumsum(lengths).tolist()):
                table[j] = tuple(flat[start:end])
                start = end
            values = table.take(codes)
        elif enc == "json":
            items = _json_blob(blobs[col["data"]])
            if not isinstance(items, list) or len(items) != n:
                raise CacheCorrupt("object column length")
            values = np.empty(n, dtype=object)
            if n and not set(map(type, items)) <= _PLAIN:  # plain values decode as themselves
                items = [decode_value(v, []) for v in items]
            values[:] = items if n else []
        else:
            raise CacheCorrupt(f"unknown encoding {enc!r}")
        s = pd.Series(values, name=name, copy=False, dtype=object if enc in ("json", "texts", "strtuples") else None)
        if str(s.dtype) != col["dtype"]:
            raise CacheCorrupt(f"column {name!r}: dtype {s.dtype} instead of {col['dtype']}")
        if len(s) != n:
            raise CacheCorrupt(f"column {name!r}: {len(s)} rows instead of {n}")
        out[name] = s
    if not out:
        return pd.DataFrame(index=pd.RangeIndex(n))
    return pd.DataFrame(out, copy=False)


# --- unit files -----------------------------------------------------------------------------------


def _pack(header: dict[str, Any], blobs: list[bytes]) -> list[bytes]:
    offset = 0
    index = []
    for b in blobs:
        index.append([offset, len(b), file_digest(b)])
        offset += len(b)
    header = {**header, "blobs": index}
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    return [_MAGIC, struct.pack("<Q", len(text)), file_digest(text).encode(), text, *blobs]


def _unpack(data: bytearray) -> tuple[dict[str, Any], list[bytearray]]:
    m = len(_MAGIC)
    if len(data) < m + 8 + 64 or bytes(data[:m]) != _MAGIC:
        raise CacheCorrupt("not a meta254 cache file")
    (length,) = struct.unpack("<Q", data[m : m + 8])
    start = m + 8 + 64
    if start + length > len(data):
        raise CacheCorrupt("truncated header")
    text = bytes(data[start : start + length])
    if file_digest(text).encode() != bytes(data[m + 8 : start]):
        raise CacheCorrupt("header digest mismatch")
    try:
        header = json.loads(text)
    except (ValueError, UnicodeDecodeError) as err:
        raise CacheCorrupt(f"unreadable header: {err}") from None
    if not isinstance(header, dict) or not isinstance(header.get("blobs"), list):
        raise CacheCorrupt("header without buffers")
    base = start + length
    view = memoryview(data)
    blobs = []
    for item in header["blobs"]:
        if not (isinstance(item, list) and len(item) == 3):
            raise CacheCorrupt("bad buffer entry")
        off, size, digest = item
        if not (isinstance(off, int) and isinstance(size, int) and off >= 0 and size >= 0):
            raise CacheCorrupt("bad buffer entry")
        lo, hi = base + off, base + off + size
        if hi > len(data):
            raise CacheCorrupt("truncated buffer")
        chunk = view[lo:hi]
        if hashlib.sha256(chunk).hexdigest() != digest:
            raise CacheCorrupt("buffer digest mismatch")
        blobs.append(data[lo:hi])
    return header, blobs


def _write_atomic(path: Path, parts: Iterable[bytes]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            for p in parts:
                f.write(p)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --- the cache of one workspace ---------------------------------------------------------------------


def resolve_mode(cache: bool | str | None) -> str:
    """``on``, ``off`` or ``auto`` from the argument, else ``$META254_CACHE``, else ``auto``.

    Examples
    --------
    >>> resolve_mode(True), resolve_mode(False), resolve_mode("auto")
    ('on', 'off', 'auto')
    """
    if cache is True:
        return "on"
    if cache is False:
        return "off"
    value = (cache if isinstance(cache, str) else os.environ.get(ENV_MODE, "auto")).strip().lower()
    if value in ("1", "on", "true", "yes"):
        return "on"
    if value in ("0", "off", "false", "no"):
        return "off"
    return "auto"


def cache_folder(root: Path) -> Path:
    """Where the cache of the workspace at ``root`` lives.

    ``$META254_CACHE_DIR/<first 16 hex of sha256(root path)>`` when the variable is set, else
    ``root/.meta254-cache``.

    Examples
    --------
    >>> cache_folder(Path("/ws")).as_posix() if "META254_CACHE_DIR" not in os.environ else "/ws/.meta254-cache"
    '/ws/.meta254-cache'
    """
    base = os.environ.get(ENV_DIR, "").strip()
    if base:
        return Path(base).expanduser() / hashlib.sha256(str(root).encode()).hexdigest()[:16]
    return root / CACHE_DIRNAME


def scan_inputs(
    root: Path,
    specs: Iterable[str],
    layout: Mapping[str, tuple[str, ...]],
    listings: dict[str, tuple[tuple[int, int, int], Any]] | None = None,
) -> list[str] | None:
    """Every file that may feed a unit: the files matching the layout patterns of ``specs``.

    ``specs`` are layout keys (``"manifests"``, or ``"names:lockfiles"`` when only which files exist
    matters, see :func:`_listing`) or literal paths relative to ``root``; literal paths
    and patterns without wildcards are listed whether they exist or not (an absent file has the
    digest ``None``, so creating it is a change). A wildcard matches hidden names too, so the list
    is a superset of what the workspace reads. Returns ``None`` when a link is involved: those
    inputs are never cached. ``listings`` remembers folder listings while the folder's inode,
    modification and change times stay the same (adding, removing or renaming an entry changes them).

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp()); (root / "advisories").mkdir()
    >>> _ = (root / "advisories" / "b.json").write_text("{}"); _ = (root / "advisories" / "a.json").write_text("{}")
    >>> scan_inputs(root, ["advisories", "config/rules.yaml"], {"advisories": ("advisories/*.json",)})
    ['advisories/a.json', 'advisories/b.json', 'config/rules.yaml']
    """
    out: list[str] = []
    seen: set[str] = set()
    for spec in specs:
        names_only = spec.startswith("names:")
        spec = spec.removeprefix("names:")
        for pattern in layout.get(spec, (spec,)):
            folder, _, name = pattern.rpartition("/")
            parts = folder.split("/") if folder else []
            for i in range(len(parts)):
                if os.path.islink(root.joinpath(*parts[: i + 1])):
                    return None
            if not any(c in name for c in "*?[") and not names_only:
                found = [pattern]
                if os.path.islink(root / pattern):
                    return None
            else:
                found = _listing(root, folder, name, listings, names_only)
                if found is None:
                    return None
            for rel in found:
                if rel not in seen:
                    seen.add(rel)
                    out.append(rel)
    return out


def _listing(
    root: Path,
    folder: str,
    name: str,
    memo: dict[str, tuple[tuple[int, int, int], Any]] | None,
    names_only: bool = False,
) -> list[str] | None:
    """Sorted relative paths in ``folder`` matching ``name`` (None when one is a link).

    With ``names_only`` each path is written ``?path|f`` (a regular file) or ``?path|o`` (anything
    else): such inputs are compared by name and kind only, never hashed.
    """
    base = os.path.join(str(root), folder) if folder else str(root)
    try:
        st = os.stat(base)
        key = (st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
    except OSError:
        return []
    memo_key = f"{folder}\0{name}\0{int(names_only)}"  # this pattern's answer for this listing
    if memo is not None:
        done = memo.get(memo_key)
        if done is not None and done[0] == key:
            return done[1]
    known = memo.get(folder) if memo is not None else None
    if known is not None and known[0] == key:
        names, links, others = known[1]
    else:
        try:
            with os.scandir(base) as it:
                entries = list(it)
        except OSError:
            entries = []
        names = [e.name for e in entries]
        links = {e.name for e in entries if e.is_symlink()}
        others = {e.name for e in entries if not e.is_file(follow_symlinks=False)}
        if memo is not None:
            memo[folder] = (key, (names, links, others))
    match = _pattern(name)
    hits = sorted(n for n in names if match(n))
    if links and any(n in links for n in hits):
        return None
    prefix = f"{folder}/" if folder else ""
    if names_only:
        out = [f"?{prefix}{n}|{'o' if n in others else 'f'}" for n in hits]
    else:
        out = [prefix + n for n in hits]
    if memo is not None:
        memo[memo_key] = (key, out)
    return out


@functools.lru_cache(maxsize=64)
def _pattern(name: str) -> Callable[[str], Any]:
    return re.compile(fnmatch.translate(name)).match


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
                with open(self._files_path(), "rb") as f:
                    header, blobs = _unpack(bytearray(f.read()))
                rels = header.get("rels")
                if header.get("format") == FORMAT_VERSION and isinstance(rels, list):
                    n = len(rels)
                    ints = _array(blobs[0], "<i8", n * 5).reshape(n, 5).tolist()
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

    def note_read(self, rel: str, st: os.stat_result | None, data: bytes, when_ns: int | None = None) -> str:
        """Record the digest of bytes the workspace has just read (``st``: stat taken before reading)."""
        digest = file_digest(data)
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
                    h.update(f"{rel}\0-\n".encode())
                    continue
            h.update(f"{rel}\0{st.st_mtime_ns}\n".encode())
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
        key = {"n": len(rels), "sha256": hashlib.sha256("".join(lines).encode()).hexdigest()}
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
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                data = bytearray(size)
                if f.readinto(data) != size:
                    raise CacheCorrupt("short read")
        except OSError:
            self._count(unit, "miss")
            return None
        except CacheCorrupt as err:
            self._count(unit, "corrupt", str(err))
            return None
        try:
            header, blobs = _unpack(data)
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
        except (CacheCorrupt, KeyError, TypeError, ValueError, IndexError, OverflowError, struct.error) as err:
            self._count(unit, "corrupt", str(err))
            return None
        self._count(unit, "hit")
        self.flush()
        return payload

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
            blobs = _Blobs()
            specs = [
                {"deferred": blobs.add(df.data)} if isinstance(df, _DeferredText) else encode_frame(df, blobs)
                for df in frames
            ]
        except Uncacheable as err:
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
            _write_atomic(self._unit_path(unit), _pack(header, blobs.items))
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
            _write_atomic(self._files_path(), _pack(header, [ints.tobytes(), hexes]))
            self._dirty = False
        except (OSError, ValueError, OverflowError, UnicodeEncodeError):
            pass

    def _ensure_folder(self) -> bool:
        if self._writable is None:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                ignore = self.folder / ".gitignore"
                if not ignore.exists():
                    ignore.write_text("# created by meta254: a cache, safe to delete\n*\n", encoding="utf-8")
                tag = self.folder / "CACHEDIR.TAG"
                if not tag.exists():
                    tag.write_text(
                        "Signature: 8a477f597d28d172789f06886806bc55\n# meta254 warm-load cache; safe to delete\n",
                        encoding="utf-8",
                    )
                self._writable = os.access(self.folder, os.W_OK)
            except OSError:
                self._writable = False
        return self._writable

    def _count(self, unit: str, outcome: str, detail: str = "") -> None:
        self.stats[outcome] = self.stats.get(outcome, 0) + 1
        self.stats["units"][unit] = outcome if not detail else f"{outcome}: {detail}"
