"""The process environment of a report run: Jupyter folders away from ``$HOME``, one shared workspace cache."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["jupyter_environment", "run_share", "shared_workspace_cache"]

_JUPYTER_VARS = {
    "JUPYTER_CONFIG_DIR": "config",
    "JUPYTER_DATA_DIR": "data",
    "JUPYTER_RUNTIME_DIR": "runtime",
    "IPYTHONDIR": "ipython",
    "MPLCONFIGDIR": "mpl",
}


def jupyter_environment(base: Path | None = None) -> dict[str, str]:
    """Point unset ``JUPYTER_*``, ``IPYTHONDIR`` and ``MPLCONFIGDIR`` away from ``$HOME``.

    Variables already set are kept. The default base is the repository's ``.jupyter`` folder when
    the package runs from a checkout, else a per-user folder in the temp directory. The folders are
    created, and ``os.environ`` is updated (kernels inherit it).

    Returns
    -------
    dict
        The variables that were set.
    """
    if base is None:
        repo = Path(__file__).resolve().parents[2]
        if (repo / "pyproject.toml").is_file() and os.access(repo, os.W_OK):
            base = repo / ".jupyter"
        else:
            base = Path(tempfile.gettempdir()) / f"meta254-jupyter-{os.getuid() if hasattr(os, 'getuid') else 0}"
    changed = {}
    for var, sub in _JUPYTER_VARS.items():
        if not os.environ.get(var):
            changed[var] = str(base / sub)
    for value in (*changed.values(), *(os.environ[v] for v in _JUPYTER_VARS if v in os.environ)):
        Path(value).mkdir(parents=True, exist_ok=True)
    os.environ.update(changed)
    # debugpy warns on every kernel start that frozen modules may break breakpoints; not our concern.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return changed


@contextlib.contextmanager
def shared_workspace_cache(ws_path: Path, base: Path | None = None) -> Iterator[None]:
    """Let the report's kernels share one warm-load cache of the workspace.

    Every page opens the workspace and parses every input again. A workspace large enough for the
    warm-load cache (:mod:`meta254lib.workspace.cache`, auto mode) already shares its cache with the kernels.
    For a smaller one, while the report runs, ``META254_CACHE=on`` and ``META254_CACHE_DIR`` point at
    a folder of this run (in ``base``, the run's locked temp folder; removed afterwards, and a killed
    run's goes with its run folder on the next run): the kernels inherit them, the report's own load
    of the workspace fills the cache and the pages read it. ``META254_CACHE=off`` is respected.
    """
    from ..workspace import cache as C
    from ..workspace.cached_units import cache_wanted

    if C.resolve_mode(None) == "off" or not ws_path.is_dir() or cache_wanted(ws_path):
        yield
        return
    folder = tempfile.mkdtemp(prefix="m254-report-cache-", dir=base)
    saved = {k: os.environ.get(k) for k in (C.ENV_MODE, C.ENV_DIR)}
    os.environ[C.ENV_MODE] = "on"
    os.environ[C.ENV_DIR] = folder
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def run_share(base: Path) -> Iterator[None]:
    """Give the report's processes one folder for what the run computes once (``$META254_RUN_SHARE``).

    The fleet plan's items are built by the first process that needs them and read by the others
    (:mod:`meta254lib.remediation.shared_items`). The folder is made in ``base`` (the run's locked temp
    folder) and removed with it; the variable is restored afterwards.
    """
    from ..remediation.shared_items import ENV_SHARE

    folder = tempfile.mkdtemp(prefix="m254-share-", dir=base)
    saved = os.environ.get(ENV_SHARE)
    os.environ[ENV_SHARE] = folder
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(ENV_SHARE, None)
        else:
            os.environ[ENV_SHARE] = saved
        shutil.rmtree(folder, ignore_errors=True)
