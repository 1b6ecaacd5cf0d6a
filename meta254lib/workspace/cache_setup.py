"""Where the warm-load cache lives, whether it is on, and what every key covers.

The cache folder is ``.meta254-cache/`` inside the workspace, or ``$META254_CACHE_DIR/<hash of the
workspace path>``; ``$META254_CACHE`` turns it ``on``, ``off`` or ``auto``; every key includes
:func:`code_fingerprint`. See :mod:`meta254lib.workspace.cache` for what is stored.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "AUTO_MIN_BYTES",
    "CACHE_DIRNAME",
    "ENV_DIR",
    "ENV_MODE",
    "FORMAT_VERSION",
    "RACY_SECONDS",
    "cache_folder",
    "code_fingerprint",
    "resolve_mode",
]

#: Version of the unit file layout; part of every key (2: Arrow-backed text columns as `arrowtext`).
FORMAT_VERSION = 2
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
#: The subpackages whose source shapes cached tables (every module in them is fingerprinted).
_CODE_PACKAGES = ("core", "graph", "workspace")


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

    ``$META254_CACHE_DIR/<digest>`` when the variable is set; else ``root/.meta254-cache`` when that
    already exists (a cache made by an earlier version); else the user cache folder,
    ``$XDG_CACHE_HOME/meta254/<digest>`` (``~/.cache`` without the variable), so a read-only workspace
    works and the user's checkout stays clean. ``<digest>`` is the first 16 hex digits of the SHA-256 of
    the workspace path.

    Examples
    --------
    >>> env = {k: os.environ.pop(k, None) for k in (ENV_DIR, "XDG_CACHE_HOME")}
    >>> os.environ["XDG_CACHE_HOME"] = "/tmp/xdg"
    >>> cache_folder(Path("/no/such/ws")).parent.as_posix()
    '/tmp/xdg/meta254'
    >>> _ = [os.environ.pop(k, None) or (v is not None and os.environ.__setitem__(k, v)) for k, v in env.items()]
    """
    digest = hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    base = os.environ.get(ENV_DIR, "").strip()
    if base:
        return Path(base).expanduser() / digest
    legacy = root / CACHE_DIRNAME
    if os.path.lexists(legacy):
        return legacy
    user = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(user).expanduser() / "meta254" / digest
