"""Links a report page shows: a service's manifest in its repository, an advisory's page, safe hrefs.

:func:`manifest_url` fills a URL pattern (default :data:`~meta254lib.core.settings.DEFAULT_MANIFEST_URL`,
GitHub's ``{repo}/blob/HEAD/{path}/service-manifest.yaml``) from the catalog's ``repo`` and ``path``;
:func:`advisory_url` gives an advisory's first ``references`` URL, else its OSV page. :func:`safe_href`
is the one gate every link of a table passes: only ``http``/``https`` URLs become links.

Only the standard library is imported at module level.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from ..core.settings import DEFAULT_MANIFEST_URL, OSV_URL
from .escape import is_missing

__all__ = [
    "advisory_links",
    "advisory_references",
    "advisory_url",
    "issue_links",
    "manifest_url",
    "manifest_urls",
    "plan_item_links",
    "safe_href",
]


def safe_href(url: Any) -> str | None:
    """``url`` when it is an absolute ``http``/``https`` URL with a host or an in-page ``#anchor``; else None.

    The result is not escaped: put it in a quoted attribute through ``html_escape``.

    Examples
    --------
    >>> safe_href("https://osv.dev/vulnerability/X"), safe_href("javascript:alert(1)"), safe_href("#plan-card-a")
    ('https://osv.dev/vulnerability/X', None, '#plan-card-a')
    >>> safe_href(" JavaScript:alert(1)"), safe_href("//evil.example/x"), safe_href(None)
    (None, None, None)
    """
    if is_missing(url) or not isinstance(url, str):
        return None
    text = url.strip()
    if text.startswith("#") and len(text) > 1 and all(c.isalnum() or c in "-_." for c in text[1:]):
        return text
    if any(ord(c) < 33 or c in "\"'<>`\\" for c in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def manifest_url(repo: Any, path: Any, service: Any = None, pattern: str | None = None) -> str | None:
    """The URL of a service's ``service-manifest.yaml`` in its repository, or None without a repository.

    Parameters
    ----------
    repo : str
        The catalog's ``repo`` (a trailing ``/`` or ``.git`` is dropped).
    path : str
        The catalog's ``path`` of the service inside the repository (may be empty).
    service : str, optional
        Available to a pattern as ``{service}``.
    pattern : str, optional
        A URL pattern with ``{repo}``, ``{path}`` and ``{service}``; None means
        :data:`~meta254lib.core.settings.DEFAULT_MANIFEST_URL` (GitHub and Gitea; GitLab:
        ``"{repo}/-/blob/HEAD/{path}/service-manifest.yaml"``).

    Returns
    -------
    str or None
        The URL when it is http(s), else None.

    Examples
    --------
    >>> manifest_url("https://github.com/o/r.git/", "services/api")
    'https://github.com/o/r/blob/HEAD/services/api/service-manifest.yaml'
    >>> manifest_url("https://gitlab.example/o/r", "", "a", "{repo}/-/blob/main/{path}/service-manifest.yaml")
    'https://gitlab.example/o/r/-/blob/main/service-manifest.yaml'
    >>> manifest_url("", "x") is None, manifest_url("javascript:alert(1)", "x") is None
    (True, True)
    """
    if is_missing(repo) or not str(repo).strip():
        return None
    base = str(repo).strip().rstrip("/")
    base = base[: -len(".git")] if base.endswith(".git") else base
    base = base.rstrip("/")
    sub = "" if is_missing(path) else quote(str(path).strip().strip("/"), safe="/-_.~")
    name = "" if is_missing(service) else quote(str(service), safe="-_.~")
    url = (pattern or DEFAULT_MANIFEST_URL).format(repo=base, path=sub, service=name)
    return safe_href(re.sub(r"(?<!:)//+", "/", url))  # an empty path leaves no double slash


def manifest_urls(services: Any, pattern: str | None = None) -> dict[str, str]:
    """``{service: manifest URL}`` for every catalog service with a repository (see :func:`manifest_url`).

    Examples
    --------
    >>> import pandas as pd
    >>> manifest_urls(pd.DataFrame({"service": ["a", "b"], "repo": ["https://h/o/r", ""], "path": ["a", "b"]}))
    {'a': 'https://h/o/r/blob/HEAD/a/service-manifest.yaml'}
    """
    out: dict[str, str] = {}
    for rec in services[["service", "repo", "path"]].to_dict("records"):
        url = manifest_url(rec["repo"], rec["path"], rec["service"], pattern)
        if url:
            out[str(rec["service"])] = url
    return out


def advisory_url(advisory_id: Any, references: Iterable[Any] = ()) -> str | None:
    """The first http(s) ``url`` of an OSV record's ``references``, else its OSV page.

    Examples
    --------
    >>> advisory_url("GHSA-1", [{"type": "ADVISORY", "url": "https://example.org/a"}])
    'https://example.org/a'
    >>> advisory_url("GHSA-1", [{"url": "javascript:x"}]), advisory_url("")
    ('https://osv.dev/vulnerability/GHSA-1', None)
    """
    if is_missing(advisory_id) or not str(advisory_id).strip():
        return None
    for ref in references or ():
        url = ref.get("url") if isinstance(ref, Mapping) else ref
        found = safe_href(url)
        if found and not found.startswith("#"):
            return found
    return safe_href(OSV_URL.format(id=quote(str(advisory_id).strip(), safe="-_.~:")))


def advisory_references(ws: Any) -> dict[str, list[Any]]:
    """``{advisory id: references}`` from the advisory files a workspace loaded (``advisories/*.json``).

    Only the files named in ``ws.advisories`` are read, inside ``ws.root``; a file that cannot be read
    or has no ``references`` list gives an empty list (the link falls back to the OSV page).
    """
    table = getattr(ws, "advisories", None)
    if table is None or not len(table) or "file" not in table:
        return {}
    root = Path(ws.root).resolve()
    out: dict[str, list[Any]] = {}
    for file in sorted(set(table["file"].astype(str))):
        path = (root / file).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("id"), str):
            refs = doc.get("references")
            out[doc["id"]] = list(refs) if isinstance(refs, list) else []
    return out


def advisory_links(ids: Any, references: Mapping[str, Sequence[Any]]) -> list[tuple[str, str | None]]:
    """``[(id, url)]`` for a comma-separated advisory id cell, for a table cell of several links.

    Examples
    --------
    >>> advisory_links("A-1,B-2", {"A-1": [{"url": "https://x.org/a"}]})
    [('A-1', 'https://x.org/a'), ('B-2', 'https://osv.dev/vulnerability/B-2')]
    """
    if is_missing(ids):
        return []
    names = [p.strip() for p in str(ids).split(",") if p.strip()]
    return [(a, advisory_url(a, references.get(a, ()))) for a in names]


def issue_links(
    issues: Any, manifests: Mapping[str, str], references: Mapping[str, Sequence[Any]] | None = None
) -> dict[str, list[Any]]:
    """The ``links`` of an issue table: service and id to the service's manifest, advisory ids to advisories.

    Parameters
    ----------
    issues : pandas.DataFrame
        Rows with a ``service`` column (``id`` and ``advisory_ids`` are linked when present).
    manifests : mapping
        :func:`manifest_urls` of the catalog.
    references : mapping, optional
        :func:`advisory_references` of the workspace (without it, advisories link to their OSV page).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"service": ["a"], "id": ["i1"], "advisory_ids": ["OSV-1"]})
    >>> issue_links(t, {"a": "https://h/a.yaml"})["advisory_ids"]
    [[('OSV-1', 'https://osv.dev/vulnerability/OSV-1')]]
    """
    svc = [manifests.get(str(s)) for s in issues["service"]]
    out: dict[str, list[Any]] = {"service": svc}
    if "id" in issues:
        out["id"] = svc
    if "advisory_ids" in issues:
        out["advisory_ids"] = [advisory_links(a, references or {}) for a in issues["advisory_ids"]]
    return out


def plan_item_links(items: Any, cards: Iterable[str] | None = None) -> dict[str, list[Any]]:
    """The ``links`` of a plan table: each item id to its step card (``#plan-card-<id>``) on the plan page.

    An item whose service has no step cards in the page (``cards`` names those that do; None: all)
    links to its row in the service's items table (``#plan-item-<id>``).

    Examples
    --------
    >>> import pandas as pd
    >>> plan_item_links(pd.DataFrame({"id": ["P-1", "P-2"], "service": ["a", "b"]}), ["a"])
    {'id': ['#plan-card-p-1', '#plan-item-p-2']}
    """
    from .escape import table_slug

    with_cards = None if cards is None else set(cards)
    return {
        "id": [
            f"#plan-{'card' if with_cards is None or str(s) in with_cards else 'item'}-{table_slug(str(i))}"
            for i, s in zip(items["id"], items["service"], strict=True)
        ]
    }
