"""Printing results in chapters: aligned tables and ``glue`` for numbers quoted in the prose.

Printed numbers are rounded to what is stable across runs (DESIGN §4); callers choose the
format. ``glue`` stores a value for the ``{glue}`` role of myst-nb when it is installed (the
book build) and does nothing elsewhere (Colab, a plain kernel).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["table", "format_table", "glue"]


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], formats: Sequence[str] | None = None) -> None:
    """Print a plain-text table with right-aligned columns.

    Args:
        headers: column titles.
        rows: one sequence of values per row, ``len(headers)`` values each.
        formats: one format spec per column (e.g. ``".3g"``, ``"d"``, ``""``); default ``""``.
    """
    print(format_table(headers, rows, formats))


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
                 formats: Sequence[str] | None = None) -> str:
    """The text that :func:`table` prints."""
    headers = [str(h) for h in headers]
    formats = [""] * len(headers) if formats is None else list(formats)
    if len(formats) != len(headers):
        raise ValueError(f"formats must have {len(headers)} entries (one per column), got {len(formats)}")
    cells = []
    for r, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(f"rows[{r}] must have {len(headers)} values, got {len(row)}")
        cells.append([format(_scalar(v), f) for v, f in zip(row, formats)])
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


class _Text:
    """A value shown as its text, without quotes (what ``{glue}`` renders is the repr)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def glue(name: str, value: Any, fmt: str | None = None) -> None:
    """Make ``value`` available to the prose as ``{glue}`name```, formatted with ``fmt``.

    The stored text is ``format(value, fmt)`` (e.g. ``fmt=".2f"``), so the number in the prose
    is exactly the printed, rounded one. Without myst-nb (Colab, a plain kernel), nothing
    happens: the prose is not rendered there.
    """
    text = str(_scalar(value)) if fmt is None else format(_scalar(value), fmt)
    try:
        from myst_nb import glue as _glue
    except ImportError:
        return
    _glue(name, _Text(text), display=False)


def _scalar(value: Any) -> Any:
    """Python scalars for 0-d tensors and arrays, so that format specs apply."""
    return value.item() if hasattr(value, "item") and getattr(value, "ndim", 1) == 0 else value
