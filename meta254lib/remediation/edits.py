"""The changes an item proposes as text: the manifest diff, the proposed lock file and package-manager commands.

The manifest is edited as text, line by line (quotes and comments kept), never re-serialised.
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
from collections.abc import Mapping
from typing import Any

from ..core.versions import parse_version
from .fmt import text as _text

__all__ = ["manifest_diff", "propose_lock", "runtime_commands"]

_RUNTIME_UPGRADE: dict[str, tuple[str, str]] = {
    "python": ("pip install --upgrade {pkg}=={v}", "pip freeze > requirements.txt"),
    "nodejs": ("npm install {pkg}@{v}", "npm audit fix"),
    "go": ("go get {pkg}@v{v}", "go mod tidy"),
    "java": (
        "mvn versions:use-dep-version -Dincludes={pkg} -DdepVersion={v} -DforceVersion=true",
        "mvn dependency:tree -Dincludes={pkg}",
    ),
}
_ECOSYSTEM_RUNTIME = {"pypi": "python", "npm": "nodejs", "go": "go", "maven": "java"}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], key_idx: int) -> int:
    k = _indent(lines[key_idx])
    j = key_idx + 1
    while j < len(lines):
        s = lines[j].strip()
        if s and not s.startswith("#"):
            ind = _indent(lines[j])
            if ind < k or (ind == k and not s.startswith("-")):
                break
        j += 1
    return j


def _find_key(lines: list[str], start: int, end: int, key: str, indent: int | None) -> int | None:
    pat = re.compile(rf"^(\s*){re.escape(key)}\s*:(\s.*)?$")
    for i in range(start, end):
        m = pat.match(lines[i])
        if m and (indent is None or len(m.group(1)) == indent):
            return i
    return None


def _same_pin(value: str, old: str) -> bool:
    if value == old:
        return True
    vn, _, vv = value.rpartition("@")
    on, _, ov = old.rpartition("@")
    if not vn or vn != on:
        return False
    a, b = parse_version(vv), parse_version(ov)
    return a is not None and b is not None and a == b and (a.text == vv or b.text == ov)


def manifest_diff(text: str, section: str, old: str, new: str, file: str = "service-manifest.yaml") -> str:
    """Unified diff of the manifest edit that changes the one list entry ``old`` into ``new``.

    Parameters
    ----------
    text : str
        The manifest's YAML text.
    section : str
        ``api_contracts`` or ``dependencies.external`` (a dotted path of mapping keys to a list).
    old, new : str
        The entry as written now (``gateway-core@1.0.0``) and as it should be.
    file : str
        Path shown in the ``---``/``+++`` headers (``a/`` and ``b/`` are prefixed).

    Returns
    -------
    str
        The diff (ending with a newline), or ``""`` when the entry is not in that list. Quotes and
        trailing comments on the line are kept; nothing else changes.

    Examples
    --------
    >>> yml = "name: gateway\\napi_contracts:\\n- gateway-core@1.0.0\\n- 'auth-spec@3.0.0'  # auth\\nversion: 0.1.0\\n"
    >>> print(manifest_diff(yml, "api_contracts", "auth-spec@3.0.0", "auth-spec@3.1.0"), end="")
    --- a/service-manifest.yaml
    +++ b/service-manifest.yaml
    @@ -1,5 +1,5 @@
     name: gateway
     api_contracts:
     - gateway-core@1.0.0
    -- 'auth-spec@3.0.0'  # auth
    +- 'auth-spec@3.1.0'  # auth
     version: 0.1.0
    >>> manifest_diff(yml, "api_contracts", "nope@1.0.0", "nope@2.0.0")
    ''
    """
    lines = text.splitlines()
    start, end, indent = 0, len(lines), 0
    key_idx = None
    for key in section.split("."):
        key_idx = _find_key(lines, start, end, key, indent)
        if key_idx is None:
            return ""
        start, end, indent = key_idx + 1, _block_end(lines, key_idx), None
    assert key_idx is not None
    if lines[key_idx].split(":", 1)[1].strip().startswith("["):  # flow style on the key line
        new_lines = _replace_flow(lines, key_idx, old, new)
    else:
        new_lines = _replace_block(lines, key_idx, start, end, old, new)
    if new_lines is None:
        return ""
    diff = difflib.unified_diff(lines, new_lines, fromfile=f"a/{file}", tofile=f"b/{file}", lineterm="")
    return "\n".join(diff) + "\n"


def _replace_flow(lines: list[str], key_idx: int, old: str, new: str) -> list[str] | None:
    """The lines with ``old`` replaced in the flow list ``key: [a, b]`` of line ``key_idx``; ``None`` if absent."""
    line = lines[key_idx]
    m = re.search(r"\[(.*)\]", line.split(":", 1)[1])
    if not m:
        return None
    for tok in m.group(1).split(","):
        bare = tok.strip().strip("'\"")
        if _same_pin(bare, old):
            head, _, rest = line.partition(":")
            return [*lines[:key_idx], head + ":" + rest.replace(bare, new, 1), *lines[key_idx + 1 :]]
    return None


def _replace_block(lines: list[str], key_idx: int, start: int, end: int, old: str, new: str) -> list[str] | None:
    """The lines with the block-list item ``- old`` under line ``key_idx`` replaced; ``None`` if absent."""
    item = re.compile(r"^(\s*-\s*)(['\"]?)([^'\"#\s]+)\2(\s*(?:#.*)?)$")
    for i in range(start, end):
        m = item.match(lines[i])
        if m and _indent(lines[i]) >= _indent(lines[key_idx]) and _same_pin(m.group(3), old):
            return [*lines[:i], f"{m.group(1)}{m.group(2)}{new}{m.group(2)}{m.group(4)}", *lines[i + 1 :]]
    return None


def propose_lock(
    pins: Mapping[str, str],
    changes: Mapping[str, str] | None = None,
    existing: Mapping[str, Mapping[str, Any]] | None = None,
    resolved_at: str = "",
) -> str:
    """A proposed ``specs.lock.json``: every pin of the service, with the changed ones moved.

    Entries whose version is unchanged keep the existing lock's ``resolved_at`` and ``integrity``;
    new or moved entries get ``resolved_at`` and no ``integrity`` (the resolver computes it; check it
    before committing).

    Examples
    --------
    >>> print(propose_lock({"gateway-core": "1.0.0"}, {"gateway-core": "1.2.0"}, resolved_at="2025-10-10T00:00:00Z"))
    {
      "dependencies": {
        "gateway-core": {
          "resolved_at": "2025-10-10T00:00:00Z",
          "version": "1.2.0"
        }
      },
      "version": "1.0"
    }
    """
    changes = changes or {}
    existing = existing or {}
    deps: dict[str, dict[str, Any]] = {}
    for spec in sorted(set(pins) | set(changes)):
        version = changes.get(spec, pins.get(spec, ""))
        old = existing.get(spec) or {}
        entry: dict[str, Any] = {"version": version}
        pv, ov = parse_version(version), parse_version(_text(old.get("version")))
        if old and pv is not None and ov is not None and pv == ov and spec not in changes:
            for k in ("resolved_at", "integrity"):
                if _text(old.get(k)):
                    entry[k] = _text(old.get(k))
        else:
            entry["resolved_at"] = resolved_at
        deps[spec] = entry
    return json.dumps({"version": "1.0", "dependencies": deps}, indent=2, sort_keys=True, ensure_ascii=False)


def runtime_commands(runtime: str, ecosystem: str, package: str, version: str) -> tuple[tuple[str, ...], str]:
    """Package-manager commands for a security fix, and a note.

    The commands are those of the service's runtime (runbook 3.1): ``pip install --upgrade pkg==X``
    then ``pip freeze``, ``npm install pkg@X`` then ``npm audit fix``, ``go get mod@vX`` then
    ``go mod tidy``, or Maven's ``versions:use-dep-version``. They are given when the advisory names a
    language ecosystem (PyPI, npm, Go, Maven); when that ecosystem belongs to another runtime than the
    service's, the ecosystem's tool is used and the note says so. Other ecosystems (container images,
    the spec registry) get no command: the manifest pin is the change.

    Examples
    --------
    >>> runtime_commands("python", "PyPI", "requests", "2.32.4")
    (('pip install --upgrade requests==2.32.4', 'pip freeze > requirements.txt'), '')
    >>> runtime_commands("go", "Go", "golang.org/x/net", "0.38.0")[0]
    ('go get golang.org/x/net@v0.38.0', 'go mod tidy')
    >>> runtime_commands("python", "Bitnami", "redis", "7.0.16")
    ((), 'ecosystem Bitnami is not a python package ecosystem: upgrade redis to 7.0.16 where it is deployed')
    """
    if not ecosystem or not version:
        return (), ""
    eco_runtime = _ECOSYSTEM_RUNTIME.get(ecosystem.strip().lower())
    if eco_runtime is None:
        return (), (
            f"ecosystem {ecosystem} is not a {runtime or 'language'} package ecosystem: "
            f"upgrade {package} to {version} where it is deployed"
        )
    note = ""
    if eco_runtime != runtime:
        note = f"the advisory's ecosystem {ecosystem} belongs to {eco_runtime}, not the service's runtime {runtime}"
    v = version[1:] if eco_runtime == "go" and version.startswith("v") else version
    first, second = _RUNTIME_UPGRADE[eco_runtime]
    # package and version come from advisories: quoted for the shell (unchanged for ordinary names)
    pkg, v = shlex.quote(package), shlex.quote(v)
    return (first.format(pkg=pkg, v=v), second.format(pkg=pkg, v=v)), note
