"""Printing results in chapters: aligned tables and ``glue`` for numbers quoted in the prose.

Printed numbers are rounded to what is stable across runs (DESIGN §4); callers choose the
format. ``glue`` stores a value for the ``{glue}`` role of myst-nb when it is installed (the
book build) and does nothing elsewhere (Colab, a plain kernel).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["table", "glue"]


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], formats: Sequence[str] | None = None) -> str:
    """Print and return a plain-text table.

    Args:
        headers: column titles.
        rows: one sequence of values per row, ``len(headers)`` values each.
        formats: one format spec per column (e.g. ``".3g"``, ``"d"``, ``""``); default ``""``.
    """
    headers = [str(h) for h in headers]
    formats = [""] * len(headers) if formats is None else list(formats)
    if len(formats) != len(headers):
        raise ValueError(f"formats must have {len(headers)} entries (one per column), got {len(formats)}")
    cells = []
    for r, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(f"rows[{r}] must have {len(headers)} values, got {len(row)}")
        cells.append([format(v, f) for v, f in zip(row, formats)])
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    text = "\n".join(lines)
    print(text)
    return text


def glue(name: str, value: Any) -> None:
    """Make ``value`` available to the prose as ``{glue}`name``` (a no-op without myst-nb)."""
    try:
        from myst_nb import glue as _glue
    except ImportError:  # Colab or a plain kernel: the prose is not rendered there
        return
    _glue(name, value, display=False)
