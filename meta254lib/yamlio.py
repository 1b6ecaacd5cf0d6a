"""Safe reading of YAML and JSON files, with errors that name the file, the place and the expectation.

Nothing read here is ever executed:

- YAML goes through a subclass of ``CSafeLoader`` (``SafeLoader`` when libyaml is missing), so tags
  such as ``!!python/object`` are refused, not constructed;
- alias bombs ("billion laughs") are refused once their expanded size passes :data:`MAX_EXPANDED_NODES`;
- duplicate mapping keys are reported as warnings (the last value wins, as YAML 1.1 loaders do);
- unquoted floats keep their source text (:class:`YamlFloat`), so a version written ``1.10`` can be
  read back as ``"1.10"`` and not silently become ``1.1``;
- bytes that are not UTF-8 are an :class:`~meta254lib.errors.InputError` with the byte offset.

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

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError

__all__ = [
    "MAX_EXPANDED_NODES",
    "WarnList",
    "YamlFloat",
    "as_text",
    "decode_utf8",
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
    """A float read from YAML that remembers how it was written (``source``)."""

    source: str

    def __new__(cls, value: float, source: str) -> YamlFloat:
        obj = super().__new__(cls, value)
        obj.source = source
        return obj


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


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that records duplicate keys and keeps float source text."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int]] = []

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
    meta254lib.errors.InputError: f: expected UTF-8 text, found byte 0xff at offset 1
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
        doc = loader.get_single_data()
    except yaml.constructor.ConstructorError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        tag = getattr(err, "problem", "") or ""
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
        problem = (err.problem or err.context or "a syntax error").strip()
        line_text = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        if "\t" in line_text[: (mark.column + 1) if mark else 0] or "'\\t'" in problem:
            problem = "a tab character (YAML indentation must use spaces)"
        raise InputError(file, where, "valid YAML", problem) from None
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


def loads_json(data: bytes, file: str) -> Any:
    """Parse JSON bytes or raise :class:`InputError` with the line and column.

    Examples
    --------
    >>> loads_json(b'{"a": 1}', "x.json")
    {'a': 1}
    >>> loads_json(b'{"a": ', "x.json")
    Traceback (most recent call last):
    ...
    meta254lib.errors.InputError: x.json: line 1, column 7: expected valid JSON, found Expecting value
    """
    text = decode_utf8(data, file)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(file, f"line {err.lineno}, column {err.colno}", "valid JSON", err.msg) from None
    except RecursionError:
        raise InputError(file, "", "JSON nested less than the recursion limit", "deeper nesting") from None


def read_bytes(path: Path, file: str, root: Path | None = None) -> bytes:
    """Read a file, refusing links that leave ``root``; errors become :class:`InputError`."""
    if root is not None:
        real = Path(os.path.realpath(path))
        root_real = Path(os.path.realpath(root))
        if real != root_real and root_real not in real.parents:
            raise InputError(file, "", "a file inside the workspace", f"a link to {real}")
    try:
        return path.read_bytes()
    except PermissionError:
        raise InputError(file, "", "a readable file", "permission denied") from None
    except IsADirectoryError:
        raise InputError(file, "", "a file", "a directory") from None
    except FileNotFoundError:
        raise InputError(file, "", "an existing file", "nothing (missing)") from None
    except OSError as err:
        raise InputError(file, "", "a readable file", err.strerror or str(err)) from None


Reader = Callable[[bytes, str, WarnList], Any]
