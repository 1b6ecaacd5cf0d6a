"""Report notebooks: find them, read their titles and the parameters their ``parameters`` cell declares."""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import InputError, ParameterError

__all__ = [
    "RUN_PARAMETERS",
    "NotebookSpec",
    "default_notebooks_dir",
    "discover_notebooks",
    "notebook_parameters",
    "notebook_title",
    "select_notebooks",
]

#: The parameters a run can pass; each notebook gets those its parameters cell declares.
RUN_PARAMETERS = ("workspace", "as_of", "team", "manifest_url")


@dataclass(frozen=True)
class NotebookSpec:
    """A report notebook: where it is, its title and the parameters it declares.

    Parameters
    ----------
    name : str
        File stem; names the page (``<name>.html``) and its exports.
    path : Path
        The notebook file.
    title : str
        The first ``# heading`` of its first markdown cell, else the name in words.
    parameters : tuple of str
        Names assigned in its ``parameters`` cell, in order.
    order : int
        ``metadata.meta254.order`` when set (pages sort by order, then name), else 100.
    """

    name: str
    path: Path
    title: str
    parameters: tuple[str, ...]
    order: int = 100


def notebook_parameters(nb: Mapping[str, Any]) -> tuple[str, ...]:
    """Names assigned in the notebook's cell tagged ``parameters`` (empty when there is none).

    Examples
    --------
    >>> cell = {"cell_type": "code", "metadata": {"tags": ["parameters"]},
    ...         "source": "workspace = '../data/sample'\\nas_of: str | None = None  # ISO date\\nteam = None"}
    >>> notebook_parameters({"cells": [cell]})
    ('workspace', 'as_of', 'team')
    >>> notebook_parameters({"cells": []})
    ()
    """
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code" or "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        try:
            tree = ast.parse(source)
        except SyntaxError as err:
            raise ParameterError(f"the parameters cell does not parse: {err.msg} (line {err.lineno})") from err
        names: list[str] = []
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            for t in targets:
                if isinstance(t, ast.Name) and t.id not in names:
                    names.append(t.id)
        return tuple(names)
    return ()


def notebook_title(nb: Mapping[str, Any], name: str) -> str:
    """The first ``# heading`` of the first markdown cell, else ``name`` in words.

    Examples
    --------
    >>> notebook_title({"cells": [{"cell_type": "markdown", "source": "# Drift overview\\ntext"}]}, "x")
    'Drift overview'
    >>> notebook_title({"cells": []}, "quality_trends")
    'Quality trends'
    """
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        first = source.lstrip().splitlines()[0] if source.strip() else ""
        if first.startswith("# "):
            return first[2:].strip()
        break
    words = name.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def default_notebooks_dir() -> Path:
    """The repository's ``notebooks/`` folder (the package is installed editable from the repo).

    Examples
    --------
    >>> default_notebooks_dir().name
    'notebooks'
    """
    return Path(__file__).resolve().parents[2] / "notebooks"


def discover_notebooks(folder: Path | str | None = None) -> list[NotebookSpec]:
    """Every report notebook in ``folder``, in page order.

    Files starting with ``_`` or ``.`` and Jupyter checkpoints are skipped.

    Raises
    ------
    ParameterError
        The folder does not exist.
    """
    folder = Path(folder) if folder is not None else default_notebooks_dir()
    if not folder.is_dir():
        raise ParameterError(f"notebooks folder not found: {folder}")
    specs = []
    for path in sorted(folder.glob("*.ipynb")):
        if path.name.startswith(("_", ".")) or path.stem.endswith("-checkpoint"):
            continue
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise InputError(str(path), "", "a notebook (nbformat 4 JSON)", type(err).__name__) from err
        order = nb.get("metadata", {}).get("meta254", {}).get("order", 100)
        specs.append(
            NotebookSpec(
                name=path.stem,
                path=path.resolve(),
                title=notebook_title(nb, path.stem),
                parameters=notebook_parameters(nb),
                order=int(order) if isinstance(order, int) else 100,
            )
        )
    return sorted(specs, key=lambda s: (s.order, s.name))


def select_notebooks(specs: Sequence[NotebookSpec], only: Sequence[str] | None) -> list[NotebookSpec]:
    """The notebooks named by ``only`` (file stems, ``.ipynb`` optional), in page order; all when empty.

    Raises
    ------
    ParameterError
        A name that is not one of ``specs``.

    Examples
    --------
    >>> specs = [NotebookSpec(n, Path(n), n, ()) for n in ("a", "b")]
    >>> [s.name for s in select_notebooks(specs, ["b.ipynb", " "])]
    ['b']
    >>> select_notebooks(specs, ["c"])
    Traceback (most recent call last):
    ...
    meta254lib.core.errors.ParameterError: --only: unknown notebook(s) c (available: a, b)
    """
    if not only:
        return list(specs)
    wanted = [n.strip().removesuffix(".ipynb") for n in only if n.strip()]
    known = {s.name for s in specs}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ParameterError(
            f"--only: unknown notebook(s) {', '.join(unknown)} (available: {', '.join(sorted(known)) or 'none'})"
        )
    return [s for s in specs if s.name in wanted]
