"""Write docs/tables.md: every table meta254lib produces, from meta254lib/core/schema.py (``make docs``)."""

from __future__ import annotations

import sys
from pathlib import Path

from meta254lib.core.schema import schema_markdown

HEADER = (
    "# Tables\n\n"
    "Every table meta254lib produces, with its columns, dtypes and meaning. Generated from\n"
    "`meta254lib/core/schema.py` by `make docs` (`scripts/docs_tables.py`); a test keeps it in sync.\n\n"
)


def render() -> str:
    """The whole text of docs/tables.md."""
    return HEADER + schema_markdown()


def main(argv: list[str]) -> int:
    """Write the page (or, with ``--check``, exit 1 when it is stale)."""
    path = Path(__file__).resolve().parents[1] / "docs" / "tables.md"
    text = render()
    if "--check" in argv:
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != text:
            print(f"{path} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
