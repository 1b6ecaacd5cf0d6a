"""Safe reading of YAML and JSON files, with errors that name the file, the place and the expectation.

Nothing read here is ever executed:

- YAML goes through a subclass of ``CSafeLoader`` (``SafeLoader`` when libyaml is missing), so tags
  such as ``!!python/object`` are refused, not constructed;
- alias bombs ("billion laughs") are refused once their expanded size passes :data:`MAX_EXPANDED_NODES`;
- duplicate mapping keys are reported as warnings (the last value wins, as YAML 1.1 loaders do);
- unquoted floats keep their source text (:class:`YamlFloat`), so a version written ``1.10`` can be
  read back as ``"1.10"`` and not silently become ``1.1``;
- bytes that are not UTF-8 are an :class:`~meta254lib.core.errors.InputError` with the byte offset.

Examples
--------
>>> doc = loads_yaml(b"version: 1.10\\nname: a\\nname: b\\n", "x.yaml", warnings := [])
>>> doc["version"].source, doc["name"], warnings[0][1:]
('1.10', 'b', ('name', "duplicate key 'name' (line 3); the last value is used"))
>>> try:
...     loads_yaml(b"!!python/object:os.system {}", "evil.yaml", [])
... except InputError as err:
...     print(err.field, "|", err.found)
line 1, column 1 | tag 'tag:yaml.org,2002:python/object:os.system'
"""

from __future__ import annotations

import errno
import gc
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..core.errors import InputError

try:  # optional: parses large JSON files (a year of fleet history) ~1.6x faster than ``json``
    import orjson as _orjson
except ImportError:  # pragma: no cover - the standard parser alone gives the same documents
    _orjson = None

__all__ = [
    "MAX_EXPANDED_NODES",
    "WarnList",
    "YamlFloat",
    "as_text",
    "decode_utf8",
    "file_kind",
    "loads_json",
    "loads_yaml",
    "read_bytes",
]

#: Largest number of nodes a YAML document may expand to through aliases.
MAX_EXPANDED_NODES = 2_000_000

#: Warnings are collected as ``(file, field, message)`` tuples.
WarnList = list[tuple[str, str, str]]

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlFloat(float):
    """A float read from YAML that remembers how it was written (``source``).

    Examples
    --------
    >>> import copy
    >>> v = copy.deepcopy(YamlFloat(1.1, "1.10"))
    >>> v, v.source
    (1.1, '1.10')
    """

    source: str

    def __new__(cls, value: float, source: str) -> YamlFloat:
        obj = super().__new__(cls, value)
        obj.source = source
        return obj

    def __getnewargs__(self) -> tuple[float, str]:  # copy.copy / copy.deepcopy keep the source text
        return (float(self), self.source)


def as_text(value: Any) -> str | None:
    """Text of a scalar as the author wrote it (``1.10`` stays ``"1.10"``); ``None`` for None.

    Examples
    --------
    >>> as_text(YamlFloat(1.1, "1.10")), as_text(3), as_text(True), as_text(None)
    ('1.10', '3', 'true', None)
    """
    if value is None:
        return None
    if isinstance(value, YamlFloat):
        return value.source
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


#: Tags of plain (unquoted) scalars already resolved: text -> tag. Bounded; cleared when full.
_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_TAGS_MAX = 200_000


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that records duplicate keys and keeps float source text."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int]] = []

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        """PyYAML's tag resolution, remembering the tag of each plain scalar text (a pure function of it)."""
        if kind is yaml.ScalarNode and implicit[0] and not self.yaml_path_resolvers:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_PLAIN_TAGS) >= _PLAIN_TAGS_MAX:
                    _PLAIN_TAGS.clear()
                _PLAIN_TAGS[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    if key_node.value in seen:
                        self.duplicates.append((key_node.value, key_node.start_mark.line + 1))
                    seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    value = yaml.SafeLoader.construct_yaml_float(loader, node)
    return YamlFloat(value, node.value)


_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)

_STR, _NULL, _BOOL, _INT, _FLOAT, _TIME, _MAP, _SEQ, _MERGE = (
    f"tag:yaml.org,2002:{t}" for t in ("str", "null", "bool", "int", "float", "timestamp", "map", "seq", "merge")
)


class _Fallback(Exception):
    """The document uses something the fast constructor leaves to PyYAML (merge keys, other tags)."""


def _construct_fast(loader: _Loader, root: yaml.Node) -> tuple[Any, list[tuple[str, int]]]:
    """Build the document from the composed node tree without PyYAML's per-node constructor machinery.

    It yields exactly what ``loader.construct_document`` yields for plain data (maps, sequences,
    text, null, booleans, integers, floats as :class:`YamlFloat`, timestamps), with the same
    duplicate-key records in the same order: containers are filled level by level, first in first
    out, as PyYAML's non-deep construction does, and aliased nodes give the same object. Anything
    else raises :class:`_Fallback` and the caller hands the tree to PyYAML.
    """
    scalar_node, mapping_node, sequence_node = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
    bools = yaml.SafeLoader.bool_values
    memo: dict[int, Any] = {}
    pending: list[tuple[Any, Any]] = []
    duplicates: list[tuple[str, int]] = []

    def build(node: Any) -> Any:
        cls = node.__class__
        if cls is scalar_node:
            tag = node.tag
            if tag == _STR:
                return node.value
            if tag == _NULL:
                return None
            if tag == _BOOL:
                return bools[node.value.lower()]
            if tag == _INT:
                return yaml.SafeLoader.construct_yaml_int(loader, node)
            if tag == _FLOAT:
                return YamlFloat(yaml.SafeLoader.construct_yaml_float(loader, node), node.value)
            if tag == _TIME:
                return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
            raise _Fallback(tag)
        key = id(node)
        if key in memo:
            return memo[key]
        if cls is mapping_node and node.tag == _MAP:
            obj: Any = {}
        elif cls is sequence_node and node.tag == _SEQ:
            obj = []
        else:
            raise _Fallback(node.tag)
        memo[key] = obj
        pending.append((node, obj))
        return obj

    doc = build(root)
    i = 0
    while i < len(pending):
        node, obj = pending[i]
        i += 1
        if node.__class__ is sequence_node:
            obj.extend([build(v) for v in node.value])
            continue
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.__class__ is scalar_node:
                if key_node.tag == _MERGE:
                    raise _Fallback("merge")
                if key_node.value in seen:
                    duplicates.append((key_node.value, key_node.start_mark.line + 1))
                seen.add(key_node.value)
        for key_node, value_node in node.value:
            k = build(key_node)
            if isinstance(k, (dict, list)):
                raise _Fallback("unhashable key")
            obj[k] = build(value_node)
    return doc, duplicates


def _load_document(loader: _Loader) -> Any:
    """``loader.get_single_data()``, faster: the fast constructor, PyYAML's when that declines.

    The cyclic garbage collector is paused meanwhile: a document is hundreds of thousands of new
    containers, none of them garbage, and collecting while they are made costs more than parsing.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        try:
            doc, duplicates = _construct_fast(loader, root)
        except Exception:  # anything unusual: PyYAML decides, with its own errors
            return loader.construct_document(root)
        loader.duplicates.extend(duplicates)
        return doc
    finally:
        if paused:
            gc.enable()


def _expanded_size(root: Any, limit: int) -> int:
    """Count nodes with aliases expanded (memoised per object), stopping past ``limit``."""
    memo: dict[int, int] = {}

    def size(obj: Any) -> int:
        if isinstance(obj, dict):
            key = id(obj)
            if key in memo:
                return memo[key]
            memo[key] = 1  # cycles (recursive aliases) count once
            total = 1 + sum(size(k) + size(v) for k, v in obj.items())
        elif isinstance(obj, list):
            key = id(obj)
            if key in memo:
                return memo[key]
            memo[key] = 1
            total = 1 + sum(size(v) for v in obj)
        else:
            return 1
        if total > limit:
            raise OverflowError(total)
        memo[key] = total
        return total

    return size(root)


def decode_utf8(data: bytes, file: str) -> str:
    """Decode UTF-8 (a BOM is allowed) or raise :class:`InputError` with the offending offset.

    Examples
    --------
    >>> decode_utf8(b"ok", "f")
    'ok'
    >>> decode_utf8(b"a\\xff", "f")
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.InputError: f: expected UTF-8 text, found byte 0xff at offset 1
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        bad = data[err.start : err.start + 1].hex()
        raise InputError(file, "", "UTF-8 text", f"byte 0x{bad} at offset {err.start}") from None


def loads_yaml(data: bytes, file: str, warnings: WarnList) -> Any:
    """Parse YAML bytes safely. See the module docstring for what is refused or reported.

    Parameters
    ----------
    data : bytes
        The file content.
    file : str
        The file's name for messages (relative to the workspace).
    warnings : list
        Receives ``(file, field, message)`` for duplicate keys.

    Returns
    -------
    object
        The document; ``None`` for an empty file.

    Raises
    ------
    InputError
        Not UTF-8, not valid YAML, a tag that would build a Python object, or an alias bomb.
    """
    text = decode_utf8(data, file)
    loader = _Loader(text)
    try:
        doc = _load_document(loader)
    except yaml.constructor.ConstructorError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        tag = getattr(err, "problem", "") or ""
        if "unhashable" in tag:
            raise InputError(
                file, where, "mapping keys that are plain values (text or numbers)", "a list or mapping used as a key"
            ) from None
        found = tag.split("tag ")[-1].strip() if "tag" in tag else tag
        raise InputError(
            file,
            where,
            "plain YAML data (tags that build Python objects are never constructed)",
            f"tag {found}" if not found.startswith("tag") else found,
        ) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = (err.problem or err.context or "a syntax error").strip().removeprefix("found ")
        if err.problem and err.context:
            problem = f"{problem} ({err.context.strip()})"
        line_text = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        if "\t" in line_text[: (mark.column + 1) if mark else 0] or "'\\t'" in problem:
            problem = "a tab character (YAML indentation must use spaces)"
        raise InputError(file, where, "valid YAML", problem) from None
    except yaml.reader.ReaderError as err:
        pos = err.position
        where = f"line {text.count(chr(10), 0, pos) + 1}, column {pos - text.rfind(chr(10), 0, pos)}"
        char = err.character if isinstance(err.character, int) else ord(str(err.character)[:1] or "\0")
        raise InputError(file, where, "valid YAML", f"character #x{char:04x} ({err.reason})") from None
    except yaml.YAMLError as err:
        raise InputError(file, "", "valid YAML", str(err).splitlines()[0][:200]) from None
    except RecursionError:
        raise InputError(file, "", "YAML nested less than the recursion limit", "deeper nesting") from None
    finally:
        loader.dispose()
    for key, line in loader.duplicates:
        warnings.append((file, key, f"duplicate key {key!r} (line {line}); the last value is used"))
    if "*" in text and "&" in text:
        try:
            _expanded_size(doc, MAX_EXPANDED_NODES)
        except OverflowError:
            raise InputError(
                file,
                "",
                f"at most {MAX_EXPANDED_NODES:,} values once aliases are expanded",
                "an alias bomb (anchors referencing anchors)",
            ) from None
        except RecursionError:
            raise InputError(file, "", "aliases that do not refer to themselves", "a recursive alias") from None
    return doc


_DIGITS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))  # every digit "0", every other byte " "


def _orjson_safe(data: bytes) -> bool:
    """Whether orjson reads ``data`` exactly as ``json`` does: it has no run of 19 digits or more.

    orjson reads an integer beyond 64 bits as a float, ``json`` as the exact integer; any other
    difference (NaN, a BOM, lone surrogates, depth) makes orjson refuse the document.

    Examples
    --------
    >>> _orjson_safe(b'{"n": 123456789012345678}'), _orjson_safe(b'{"n": 18446744073709551616}')
    (True, False)
    >>> _orjson_safe(b'["2025-10-10T17:39:11Z", 1234567890123456789]')
    False
    """
    # A run of 19 digits covers 4 consecutive multiples of 4: every 4th byte is looked at first
    # (a quarter of the work), and only a file where 4 of them in a row are digits is looked at in full.
    return b"0000" not in data[::4].translate(_DIGITS) or b"0" * 19 not in data.translate(_DIGITS)


def loads_json(data: bytes, file: str) -> Any:
    """Parse JSON bytes or raise :class:`InputError` with the line and column.

    Examples
    --------
    >>> loads_json(b'{"a": 1}', "x.json")
    {'a': 1}
    >>> loads_json(b'{"a": ', "x.json")
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.InputError: x.json: line 1, column 7: expected valid JSON, found Expecting value
    """
    if _orjson is not None and _orjson_safe(data):
        try:
            return _orjson.loads(data)
        except _orjson.JSONDecodeError:
            pass  # what it refuses (a BOM, NaN, lone surrogates, deep nesting, ...), json reads or explains
    text = decode_utf8(data, file)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(file, f"line {err.lineno}, column {err.colno}", "valid JSON", err.msg) from None
    except RecursionError:
        raise InputError(file, "", "JSON nested less than the recursion limit", "deeper nesting") from None


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def file_kind(path: Path) -> str | None:
    """``None`` for a regular file (links followed), else what the path is instead.

    Examples
    --------
    >>> import tempfile
    >>> file_kind(Path(tempfile.gettempdir())), file_kind(Path(tempfile.gettempdir()) / "no-such-file-254")
    ('a folder', 'nothing (missing)')
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "a broken link" if os.path.islink(path) else "nothing (missing)"
    except OSError as err:
        return "a link that loops" if err.errno == errno.ELOOP else (err.strerror or str(err))
    return None if stat.S_ISREG(mode) else _kind(mode)


def read_bytes(path: Path, file: str, root: Path | str | None = None, *, root_is_real: bool = False) -> bytes:
    """Read a regular file, refusing links that leave ``root``; errors become :class:`InputError`.

    ``root_is_real`` says ``root`` is already a resolved path (``os.path.realpath``), which saves
    resolving it again for every file of a large workspace.

    The file is opened without blocking and checked to be a regular file before anything is read,
    so a named pipe, a device or a folder is refused at once (reading a pipe would wait forever).

    Examples
    --------
    >>> import tempfile
    >>> read_bytes(Path(tempfile.gettempdir()), "config/rules.yaml")
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.InputError: config/rules.yaml: expected a regular file, found a folder
    """
    if root is not None:
        real = os.path.realpath(path)
        root_real = str(root) if root_is_real else os.path.realpath(root)
        if real != root_real and not real.startswith(root_real.rstrip(os.sep) + os.sep):
            raise InputError(file, "", "a file inside the workspace", f"a link to {real}")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except PermissionError:
        raise InputError(file, "", "a readable file", "permission denied") from None
    except FileNotFoundError:
        found = "a broken link" if os.path.islink(path) else "nothing (missing)"
        raise InputError(file, "", "an existing file", found) from None
    except OSError as err:
        found = "a link that loops" if err.errno == errno.ELOOP else (err.strerror or str(err))
        raise InputError(file, "", "a readable file", found) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(file, "", "a regular file", _kind(mode))
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    except OSError as err:
        raise InputError(file, "", "a readable file", err.strerror or str(err)) from None
    finally:
        os.close(fd)


Reader = Callable[[bytes, str, WarnList], Any]
