"""Version strings: lenient semantic-version parsing, ordering, semver distance and OSV ranges.

Pins are written ``spec@1.2.3``. Real files also hold ``v1.2.3``, ``1.2``, ``1.2.3-rc.1``,
``1.2.3+build``, ``latest`` and ``^1.2``. :func:`parse_version` accepts the first four (noting
what it normalised) and rejects the rest; callers turn a rejection into an ``invalid_version``
finding rather than an exception.

Ordering follows semver 2.0: a pre-release sorts before its release, build metadata is ignored.

Examples
--------
>>> parse_version("v1.2").text, parse_version("v1.2").note
('1.2.0', 'normalised v1.2 to 1.2.0')
>>> parse_version("1.2.3-rc.1") < parse_version("1.2.3")
True
>>> parse_version("^1.2") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, total_ordering

__all__ = [
    "INT64_MAX",
    "MAX_DISTANCE",
    "SemVer",
    "fits_int64",
    "in_osv_range",
    "lag_kind",
    "parse_version",
    "semver_distance",
    "split_pin",
    "table_parts",
    "update_type",
]

_SEMVER = re.compile(
    r"^[vV]?(?P<major>0|[1-9]\d*|\d+)(?:\.(?P<minor>\d+))?(?:\.(?P<patch>\d+))?"
    r"(?:-(?P<pre>[0-9A-Za-z][0-9A-Za-z.-]*))?(?:\+(?P<build>[0-9A-Za-z][0-9A-Za-z.-]*))?$"
)


#: Longest numeric part :func:`parse_version` reads (Python's int() refuses 4300 digits and more).
_MAX_DIGITS = 4000


def _pre_key(pre: str) -> tuple:
    # semver 2.0 §11: numeric identifiers compare numerically and sort before alphanumeric ones
    parts = []
    for ident in pre.split("."):
        numeric = ident.isdigit() and len(ident) <= _MAX_DIGITS
        parts.append((0, int(ident), "") if numeric else (1, 0, ident))
    return tuple(parts)


@total_ordering
@dataclass(frozen=True)
class SemVer:
    """A parsed version. ``text`` is the normalised ``major.minor.patch[-pre]`` form."""

    major: int
    minor: int
    patch: int
    prerelease: str = ""
    build: str = ""
    note: str = field(default="", compare=False)

    @property
    def text(self) -> str:
        """Normalised text, without build metadata."""
        base = f"{self.major}.{self.minor}.{self.patch}"
        return f"{base}-{self.prerelease}" if self.prerelease else base

    @cached_property
    def key(self) -> tuple:
        """Sort key following semver precedence (computed once per version)."""
        pre = (1,) if not self.prerelease else (0, _pre_key(self.prerelease))
        return (self.major, self.minor, self.patch, pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, SemVer):
            return NotImplemented
        return self.key < other.key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SemVer):
            return NotImplemented
        return self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return self.text


def parse_version(text: object) -> SemVer | None:
    """Parse a version leniently; ``None`` when it is not a version at all.

    Parameters
    ----------
    text : str
        The version as written. Floats and ints (unquoted YAML) should be converted to their
        source text by the loader before they get here.

    Returns
    -------
    SemVer or None
        ``note`` says what was normalised (a leading ``v``, a missing minor or patch, build
        metadata dropped from comparisons).

    Examples
    --------
    >>> parse_version("1.10.0").minor
    10
    >>> parse_version("1.2.3+build.5").note
    'build metadata +build.5 ignored for ordering'
    >>> [parse_version(s) for s in ("latest", "", "1.x", None)]
    [None, None, None, None]
    """
    if not isinstance(text, str):
        return None
    return _parse(text)


@lru_cache(maxsize=1 << 16)
def _parse(text: str) -> SemVer | None:
    """:func:`parse_version` of a string; versions repeat across a fleet, and a SemVer is immutable."""
    s = text.strip()
    m = _SEMVER.match(s)
    if not m:
        return None
    major, minor, patch = m.group("major"), m.group("minor"), m.group("patch")
    if max(len(major), len(minor or ""), len(patch or "")) > _MAX_DIGITS:
        return None  # beyond what int() converts (and beyond any real version)
    notes = []
    if s[:1] in "vV" or minor is None or patch is None:
        norm = f"{int(major)}.{int(minor or 0)}.{int(patch or 0)}"
        notes.append(f"normalised {s.split('+')[0]} to {norm}" + (f"-{m.group('pre')}" if m.group("pre") else ""))
    if m.group("build"):
        notes.append(f"build metadata +{m.group('build')} ignored for ordering")
    return SemVer(
        int(major),
        int(minor or 0),
        int(patch or 0),
        m.group("pre") or "",
        m.group("build") or "",
        note="; ".join(notes),
    )


#: The largest version part a table's ``Int64`` column holds; a larger part stays in the version text only.
INT64_MAX = 2**63 - 1


#: :func:`semver_distance` saturates here: the largest integer that every table, float and JSON reader holds exactly.
MAX_DISTANCE = 2**53 - 1


def fits_int64(version: SemVer) -> bool:
    """Whether every numeric part of ``version`` fits an ``Int64`` column (is at most :data:`INT64_MAX`).

    Versions compare as Python integers whatever their size; only the ``major``/``minor``/``patch``
    columns of a table are bounded. Loaders keep a version beyond that as text, with a warning.

    Examples
    --------
    >>> fits_int64(parse_version("1.2.3")), fits_int64(parse_version("9223372036854775807.0.0"))
    (True, True)
    >>> fits_int64(parse_version("9223372036854775808.0.0")), fits_int64(parse_version("1.0.123456789012345678901"))
    (False, False)
    """
    return max(version.major, version.minor, version.patch) <= INT64_MAX


def table_parts(version: SemVer | None) -> tuple[int | None, int | None, int | None]:
    """``(major, minor, patch)`` as a table's ``Int64`` columns hold them: all ``None`` when there is
    no version or a part is beyond :data:`INT64_MAX` (the version then lives in its text only).

    Examples
    --------
    >>> table_parts(parse_version("1.2.3")), table_parts(parse_version("9223372036854775808.0.0")), table_parts(None)
    ((1, 2, 3), (None, None, None), (None, None, None))
    """
    if version is None or not fits_int64(version):
        return (None, None, None)
    return (version.major, version.minor, version.patch)


def split_pin(pin: str) -> tuple[str, str]:
    """Split ``name@version`` into ``(name, version)``; version is ``""`` when absent.

    Examples
    --------
    >>> split_pin("gateway-core@1.2.0"), split_pin("redis"), split_pin("@scope/pkg@2.0.0")
    (('gateway-core', '1.2.0'), ('redis', ''), ('@scope/pkg', '2.0.0'))
    """
    pin = pin.strip()
    at = pin.rfind("@")
    if at <= 0:
        return pin, ""
    return pin[:at].strip(), pin[at + 1 :].strip()


def semver_distance(current: SemVer, target: SemVer) -> tuple[int, int, int]:
    """``(Δmajor, Δminor, Δpatch)`` in the lexicographic sense Renovate uses.

    Only the most significant differing component is a true distance; lower components are
    counted from zero once a higher one differs (``1.9.0 → 2.1.0`` is one major, one minor).
    Each component saturates at :data:`MAX_DISTANCE` (a version part may be any size).

    Examples
    --------
    >>> semver_distance(parse_version("1.0.0"), parse_version("1.2.0"))
    (0, 2, 0)
    >>> semver_distance(parse_version("1.9.3"), parse_version("2.1.0"))
    (1, 1, 0)
    >>> semver_distance(parse_version("1.2.3"), parse_version("1.2.3"))
    (0, 0, 0)
    >>> semver_distance(parse_version("1.0.0"), parse_version("123456789012345678901234567890.0.0"))
    (9007199254740991, 0, 0)
    """
    if target <= current:
        return (0, 0, 0)
    if target.major != current.major:
        dist = (target.major - current.major, target.minor, target.patch)
    elif target.minor != current.minor:
        dist = (0, target.minor - current.minor, target.patch)
    else:
        dist = (0, 0, max(target.patch - current.patch, 0))
    return (min(dist[0], MAX_DISTANCE), min(dist[1], MAX_DISTANCE), min(dist[2], MAX_DISTANCE))


def update_type(current: SemVer, target: SemVer) -> str:
    """The kind of an upgrade from ``current`` to ``target``: ``major``, ``minor`` or ``patch``.

    The one version-classification rule: the first of major, minor that differs names the update;
    otherwise it is a patch.

    Examples
    --------
    >>> update_type(parse_version("1.0.0"), parse_version("1.2.0"))
    'minor'
    >>> update_type(parse_version("1.9.3"), parse_version("2.0.0"))
    'major'
    """
    if target.major != current.major:
        return "major"
    if target.minor != current.minor:
        return "minor"
    return "patch"


def lag_kind(current: str, expected: str) -> str | None:
    """How far ``current`` lags behind ``expected``: ``major``, ``minor``, ``patch`` or ``None``.

    ``None`` when either is not a version or ``expected`` is not newer; otherwise the
    :func:`update_type` of the upgrade from ``current`` to ``expected``.

    Examples
    --------
    >>> lag_kind("1.2.0", "1.4.1"), lag_kind("1.2.0", "2.0.0"), lag_kind("1.2.0", "1.2.0"), lag_kind("x", "1.0.0")
    ('minor', 'major', None, None)
    """
    cur, exp = parse_version(current), parse_version(expected)
    if cur is None or exp is None or exp <= cur:
        return None
    return update_type(cur, exp)


def in_osv_range(
    version: SemVer,
    intervals: tuple[tuple[str, str, str], ...],
    versions: tuple[str, ...] = (),
) -> bool:
    """Whether ``version`` is affected by OSV ranges and/or an explicit version list.

    Parameters
    ----------
    version : SemVer
        The version to test.
    intervals : tuple of (introduced, fixed, last_affected)
        Empty strings are open ends; ``introduced`` of ``"0"`` or ``""`` means from the start.
        ``fixed`` is exclusive, ``last_affected`` inclusive. An interval whose bounds do not
        parse, or whose upper bound is below its lower bound (inverted), matches nothing.
    versions : tuple of str
        Explicitly affected versions.

    Examples
    --------
    >>> v = parse_version("1.0.5")
    >>> in_osv_range(v, (("1.0.0", "1.0.7", ""),)), in_osv_range(v, (("0", "1.0.5", ""),))
    (True, False)
    >>> in_osv_range(v, (("1.0.0", "", "1.0.5"),)), in_osv_range(v, (), ("1.0.5",))
    (True, True)
    """
    for listed in versions:
        p = parse_version(listed)
        if p is not None and p == version:
            return True
    for introduced, fixed, last in intervals:
        lo = parse_version(introduced) if introduced not in ("", "0") else SemVer(0, 0, 0, "0")
        if lo is None:
            continue
        if fixed:
            hi = parse_version(fixed)
            if hi is None or hi < lo:
                continue
            if lo <= version < hi:
                return True
        elif last:
            hi = parse_version(last)
            if hi is None or hi < lo:
                continue
            if lo <= version <= hi:
                return True
        elif lo <= version:
            return True
    return False
