"""Validate collected manifests and catalog entries against the service-manifest JSON Schema.

The schema is the project's own copy (``meta254lib/schemas/service-manifest.schema.json``), written
from the documented fields. Catalog entries are checked against the same schema with the catalog-only
``status`` field allowed. Cross-file checks follow: a catalog service without a manifest, a manifest
that disagrees with its catalog entry, a manifest for a service the catalog lacks, and a
``dependency-graph.yaml`` that disagrees with the catalog. Problems the loaders reported (see
:attr:`Workspace.warnings`) are included as warnings.

Examples
--------
>>> findings = check_entry({"name": "A", "repo": "x", "version": 1.1}, "catalog/service-index.yaml", "services[0]")
>>> [(f["field"], f["expected"]) for f in findings if f["field"].endswith((".name", ".version"))][1:]
[('services[0].name', 'text matching ^[a-z][a-z0-9-]*[a-z0-9]$'), ('services[0].version', 'a string')]
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import pandas as pd

from ..core import schema as S
from ..core.errors import InputError, UnknownServiceError
from ..core.names import natural_key
from .workspace import Workspace
from .yamlio import YamlFloat, loads_yaml, read_bytes

__all__ = ["FINDINGS", "check_entry", "manifest_schema", "validate_workspace"]

FINDINGS = S.TableSchema(
    "validation_findings",
    (
        (S.FILE, "str", "file, relative to the workspace"),
        (S.FIELD, "str", "field path inside the file (services[3].version)"),
        ("rule", "str", "schema | consistency | load"),
        (S.SEVERITY, "str", "error | warning"),
        ("expected", "str", "what was expected"),
        ("found", "str", "what was found (truncated)"),
    ),
    "One row per validation finding, sorted by file and field.",
)


@cache
def manifest_schema(catalog: bool = False) -> dict[str, Any]:
    """The service-manifest JSON Schema; ``catalog=True`` also allows the catalog's ``status``."""
    text = resources.files("meta254lib").joinpath("schemas/service-manifest.schema.json").read_text("utf-8")
    doc = json.loads(text)
    if catalog:
        doc = copy.deepcopy(doc)
        doc["properties"]["status"] = {"enum": ["active", "unknown", "error"]}
    return doc


@cache
def _validator(catalog: bool) -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(manifest_schema(catalog))


def _plain(value: Any) -> Any:
    """YAML values as JSON Schema sees them (floats stay floats: ``1.10`` is not a string)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, YamlFloat):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _path(prefix: str, parts: Any) -> str:
    out = prefix
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _at(doc: Any, parts: Any, default: Any) -> Any:
    """The original (unconverted) value at a JSON path, so messages can quote what was written."""
    for p in parts:
        try:
            doc = doc[p]
        except (KeyError, IndexError, TypeError):
            return default
    return doc


def _describe(value: Any) -> str:
    if isinstance(value, YamlFloat):
        return f"unquoted number {value.source}"
    text = json.dumps(_plain(value), ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _expected(err: jsonschema.ValidationError) -> str:
    v = err.validator
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return f"required field {missing!r}"
    if v == "additionalProperties":
        allowed = sorted((err.schema.get("properties") or {}).keys())
        return "only the fields " + ", ".join(allowed)
    if v == "enum":
        return "one of " + ", ".join(map(str, err.validator_value))
    if v == "pattern":
        return f"text matching {err.validator_value}"
    if v == "type":
        return f"a {err.validator_value}"
    if v in ("minimum", "maximum", "minLength", "maxLength"):
        return f"{v} {err.validator_value}"
    if v == "uniqueItems":
        return "unique items"
    return err.message


def check_entry(entry: Any, file: str, prefix: str = "", *, catalog: bool = True) -> list[dict[str, str]]:
    """Schema findings for one catalog entry or manifest (file and field path on each)."""
    findings = []
    plain = _plain(entry)
    for err in sorted(
        _validator(catalog).iter_errors(plain), key=lambda e: (list(map(str, e.absolute_path)), e.validator)
    ):
        field = _path(prefix, err.absolute_path)
        if err.validator == "required":
            name = err.message.split("'")[1] if "'" in err.message else ""
            field = _path(field, [name]) if name else field
            found = "nothing"
        elif err.validator == "additionalProperties":
            extra = sorted(set(err.instance) - set((err.schema.get("properties") or {}).keys()))
            field = _path(field, [extra[0]]) if len(extra) == 1 else field
            found = "extra field(s) " + ", ".join(extra)
        else:
            found = _describe(_at(entry, err.absolute_path, err.instance))
        findings.append(
            {
                S.FILE: file,
                S.FIELD: field,
                "rule": "schema",
                S.SEVERITY: "error",
                "expected": _expected(err),
                "found": found,
            }
        )
    return findings


def validate_workspace(ws: Workspace, service: str | None = None) -> pd.DataFrame:
    """Every validation finding of a workspace (schema :data:`FINDINGS`), errors before warnings.

    Parameters
    ----------
    ws : Workspace
        An opened workspace.
    service : str, optional
        Keep only the findings about this service: its catalog entry and its manifest.

    Raises
    ------
    UnknownServiceError
        ``service`` is not in the catalog.

    Returns
    -------
    DataFrame
        Empty when the workspace is clean.
    """
    entries = ws.catalog_entries
    manifests = ws.manifests
    rows = _schema_findings(ws, entries, manifests)
    rows += _manifest_findings(ws, entries, manifests)
    diff = ws.dependency_graph_diff
    rows += _graph_findings(diff)
    rows += _load_findings(ws, diff)
    if service is not None:
        rows = _about_service(rows, service, entries, manifests, ws.catalog_file)
    df = S.frame_from_records(FINDINGS, rows)
    if len(df):
        order = df[S.SEVERITY].map({"error": 0, "warning": 1})
        df = df.assign(_o=order).sort_values(
            ["_o", S.FILE, S.FIELD], kind="stable", key=lambda col: col if col.name == "_o" else col.map(natural_key)
        )
        df = df.drop(columns="_o")
        df = df.drop_duplicates(ignore_index=True)
    return df


def _consistency(file: str, field: str, expected: str, found: str) -> dict[str, str]:
    """A consistency warning."""
    return {
        S.FILE: file,
        S.FIELD: field,
        "rule": "consistency",
        S.SEVERITY: "warning",
        "expected": expected,
        "found": found,
    }


def _schema_findings(ws: Workspace, entries: tuple[dict, ...], manifests: pd.DataFrame) -> list[dict[str, str]]:
    """Schema findings of every catalog entry, then of every collected manifest."""
    rows: list[dict[str, str]] = []
    for i, entry in enumerate(entries):
        rows.extend(check_entry(entry, ws.catalog_file, f"services[{i}]", catalog=True))
    for rel in manifests[S.FILE]:
        try:
            doc = loads_yaml(read_bytes(ws.root / rel, rel, ws.root), rel, [])
        except InputError:
            continue  # reported as a load warning
        rows.extend(check_entry(doc, rel, "", catalog=False))
    return rows


def _manifest_findings(ws: Workspace, entries: tuple[dict, ...], manifests: pd.DataFrame) -> list[dict[str, str]]:
    """Manifests that differ from the catalog, and (when manifests were collected) services without one."""
    rows = []
    for rel, svc, differs in manifests[[S.FILE, S.SERVICE, "differs_from_catalog"]].itertuples(index=False):
        if isinstance(differs, str) and differs:
            for key in differs.split(","):
                rows.append(_consistency(rel, key, f"the catalog's value for {svc}", "a different value"))
    if ws.has_input("manifests"):
        with_manifest = set(manifests[S.SERVICE])
        for i, entry in enumerate(entries):
            svc = entry["name"]
            if svc not in with_manifest:
                rows.append(
                    _consistency(
                        ws.catalog_file,
                        f"services[{i}].name",
                        "a collected manifest for this service",
                        f"no manifests/collected/*.yaml names {svc!r}",
                    )
                )
    return rows


def _graph_findings(diff: dict[str, Any] | None) -> list[dict[str, str]]:
    """The dependency graph file's disagreement with the catalog, as one finding."""
    if diff is None or diff["agrees"]:
        return []
    expected = f"the catalog's {diff['catalog_services']} services and {diff['catalog_edges']} internal edges"
    found = (
        f"{diff['graph_nodes']} nodes ({len(diff['nodes_not_in_catalog'])} not in the catalog) "
        f"and {diff['graph_edges']} edges"
    )
    return [_consistency(diff["file"], "nodes", expected, found)]


def _load_findings(ws: Workspace, diff: dict[str, Any] | None) -> list[dict[str, str]]:
    """Every load warning (but the graph disagreement, already a consistency finding)."""
    rows = []
    for f, fld, msg in ws.warnings.itertuples(index=False):
        if diff is not None and f == diff["file"] and msg.startswith("disagrees with the catalog"):
            continue
        rows.append(
            {S.FILE: f, S.FIELD: fld or "", "rule": "load", S.SEVERITY: "warning", "expected": "", "found": msg}
        )
    return rows


def _about_service(
    rows: list[dict[str, str]], service: str, entries: tuple[dict, ...], manifests: pd.DataFrame, catalog_file: str
) -> list[dict[str, str]]:
    """The findings about ``service``: its catalog entry and its manifests (:class:`UnknownServiceError` if none)."""
    names = [e["name"] for e in entries]
    if service not in names:
        raise UnknownServiceError(service, names)
    own_files = set(manifests.loc[manifests[S.SERVICE] == service, S.FILE])
    prefix = f"services[{names.index(service)}]"
    return [
        r
        for r in rows
        if r[S.FILE] in own_files
        or (r[S.FILE] == catalog_file and (r[S.FIELD] == prefix or r[S.FIELD].startswith((prefix + ".", prefix + "["))))
    ]
