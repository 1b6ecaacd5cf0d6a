"""Column-name constants: the only spelling of a shared column name outside the schema definitions."""

from __future__ import annotations

__all__ = [
    "DIRECTION",
    "DOMAIN",
    "EVENT",
    "FIELD",
    "FILE",
    "GRADE",
    "KIND",
    "MAJOR",
    "MATURITY",
    "MESSAGE",
    "MINOR",
    "PATCH",
    "RUNTIME",
    "SCORE",
    "SERVICE",
    "SEVERITY",
    "SPEC",
    "STATUS",
    "TARGET",
    "TEAM",
    "UTC_TS",
    "VERSION",
]

SERVICE = "service"
TEAM = "team"
DOMAIN = "domain"
MATURITY = "maturity"
RUNTIME = "runtime"
VERSION = "version"
SPEC = "spec"
EVENT = "event"
DIRECTION = "direction"
TARGET = "target"
KIND = "kind"
FILE = "file"
FIELD = "field"
MESSAGE = "message"
SEVERITY = "severity"
SCORE = "score"
GRADE = "grade"
STATUS = "status"
MAJOR = "major"
MINOR = "minor"
PATCH = "patch"

UTC_TS = "datetime64[us, UTC]"
