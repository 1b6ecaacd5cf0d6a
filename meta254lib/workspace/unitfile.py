"""The unit file layout of the warm-load cache: magic, a digested JSON header, then digested buffers.

A file is written to a temporary name and renamed (:func:`write_atomic`), so a reader sees the old
or the new file, never half of one; :func:`unpack_unit` checks every digest and length and raises
:class:`~meta254lib.workspace.codec.CacheCorrupt` on any mismatch.

Examples
--------
>>> header, blobs = unpack_unit(bytearray(b"".join(pack_unit({"format": 1}, [b"abc"]))))
>>> header["format"], [bytes(b) for b in blobs]
(1, [b'abc'])
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from .codec import CacheCorrupt, file_digest
from .column_jobs import run_jobs

__all__ = ["MAGIC", "pack_unit", "unpack_unit", "write_atomic"]

#: The first bytes of every unit file.
MAGIC = b"META254-CACHE\n"
#: Buffers of a unit file are digested on several threads when they hold at least this many bytes.
_SIDE_BY_SIDE_BYTES = 4 << 20


def pack_unit(header: dict[str, Any], blobs: list[bytes | memoryview]) -> list[bytes | memoryview]:
    """The parts of a unit file: magic, header length, header digest, header (with the buffer index), buffers."""
    big = sum(map(len, blobs)) >= _SIDE_BY_SIDE_BYTES  # hashing releases the GIL: big buffers side by side
    digests = run_jobs({str(k): partial(file_digest, b) for k, b in enumerate(blobs)}, workers=None if big else 1)
    offset = 0
    index = []
    for k, b in enumerate(blobs):
        index.append([offset, len(b), digests[str(k)]])
        offset += len(b)
    header = {**header, "blobs": index}
    try:
        text = json.dumps(header, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    except UnicodeEncodeError:  # a file name with bytes that are not UTF-8 (a lone surrogate): escape it
        text = json.dumps(header, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode()
    return [MAGIC, struct.pack("<Q", len(text)), file_digest(text).encode(), text, *blobs]


def unpack_unit(data: bytearray) -> tuple[dict[str, Any], list[bytearray]]:
    """The header and buffers of a unit file, every digest checked (:class:`CacheCorrupt` otherwise)."""
    m = len(MAGIC)
    if len(data) < m + 8 + 64 or bytes(data[:m]) != MAGIC:
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


def write_atomic(path: Path, parts: Iterable[bytes | memoryview]) -> None:
    """Write ``parts`` to ``path`` through a temporary file and a rename."""
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
