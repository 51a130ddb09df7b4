"""Printing results in chapters: aligned tables, ``glue`` for numbers quoted in the prose, and
``claim`` for the headline results that the book's reproduction ledger lists.

Printed numbers are rounded to what is stable across runs (DESIGN §4); callers choose the
format. ``glue`` stores a value for the ``{glue}`` role of myst-nb when it is installed (the
book build) and does nothing elsewhere (Colab, a plain kernel).

A claim is one headline result: the number the chapter computed, what it must satisfy for the
chapter's sentence to hold (``expect``), the source's number when there is one, and whether the
book reproduces it. :func:`claim` glues the value and records the claim as an output of its cell
(MIME type :data:`CLAIM_MIME`); :func:`read_claims` reads them back from a stored notebook and
:func:`check_claims` lists what is wrong with them (the ledger test and page use both).
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["table", "format_table", "glue", "Expect", "between", "above", "below", "claim", "claim_record", "STATUSES",
           "CLAIM_MIME", "read_claims", "check_claims"]

CLAIM_MIME = "application/vnd.nnlab.claim+json"
STATUSES = ("reproduced", "reproduced qualitatively", "differs", "open")


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
        cells.append([_format(v, f, f"formats[{i}]") for i, (v, f) in enumerate(zip(row, formats))])
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
    happens: the prose is not rendered there. A number must be finite (a NaN or inf in the prose
    is a failed computation, not a result).
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    _check_finite("value", value)
    text = str(_scalar(value)) if fmt is None else _format(value, fmt, "fmt")
    try:
        from myst_nb import glue as _glue
    except ImportError:
        return
    _glue(name, _Text(text), display=False)


def _scalar(value: Any) -> Any:
    """Python scalars for 0-d tensors and arrays, so that format specs apply."""
    return value.item() if hasattr(value, "item") and getattr(value, "ndim", 1) == 0 else value


def _check_finite(name: str, value: Any) -> None:
    """Reject a NaN or infinite number (other values, e.g. text, pass unchanged)."""
    v = _scalar(value)
    if isinstance(v, numbers.Real) and not isinstance(v, bool) and not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {v}")


def _format(value: Any, fmt: Any, name: str) -> str:
    """``format(value, fmt)``; a spec that does not apply raises ``ValueError`` naming ``name``."""
    if not isinstance(fmt, str):
        raise ValueError(f"{name} must be a format spec string, got {fmt!r}")
    v = _scalar(value)
    try:
        return format(v, fmt)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} must be a format spec for {type(v).__name__} values, got {fmt!r} ({err})") from None


@dataclass(frozen=True)
class Expect:
    """What a claimed value must satisfy: ``lo <= value <= hi`` (either end may be open, ``None``).

    ``text`` says it in words, e.g. ``"above the clone's IPR by 3 s.e."``.
    """

    lo: float | None
    hi: float | None
    text: str

    def __post_init__(self) -> None:
        for name, bound in (("lo", self.lo), ("hi", self.hi)):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, numbers.Real)
                                      or not math.isfinite(bound)):
                raise ValueError(f"{name} must be None or a finite number, got {bound!r}")
        if not isinstance(self.text, str):
            raise ValueError(f"text must be a string, got {self.text!r}")

    def holds(self, value: float) -> bool:
        """Whether ``value`` lies in ``[lo, hi]``."""
        return (self.lo is None or value >= self.lo) and (self.hi is None or value <= self.hi)


def _bound(name: str, value: Any) -> float:
    value = float(_scalar(value))
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


def between(lo: float, hi: float, text: str | None = None) -> Expect:
    """``lo <= value <= hi``."""
    lo, hi = _bound("lo", lo), _bound("hi", hi)
    if lo > hi:
        raise ValueError(f"lo must not exceed hi, got lo={lo}, hi={hi}")
    return Expect(lo, hi, text or f"between {lo:g} and {hi:g}")


def above(lo: float, text: str | None = None) -> Expect:
    """``value >= lo``."""
    lo = _bound("lo", lo)
    return Expect(lo, None, text or f"at least {lo:g}")


def below(hi: float, text: str | None = None) -> Expect:
    """``value <= hi``."""
    hi = _bound("hi", hi)
    return Expect(None, hi, text or f"at most {hi:g}")


def claim(key: str, value: Any, *, source: str, statement: str, expect: Expect, status: str,
          fmt: str = ".2f", paper: tuple[Any, str] | None = None, reason: str | None = None,
          figure: str | None = None) -> None:
    """Register one headline result of a chapter: glue it and record it for the reproduction ledger.

    The record (see :func:`claim_record`, which takes the same arguments) is shown as the cell's
    output, one line of text with the verdict plus the record itself under :data:`CLAIM_MIME`,
    and ``value`` is glued under ``key``. Returns nothing, so a cell of claims shows only those
    lines.
    """
    record = claim_record(key, value, source=source, statement=statement, expect=expect, status=status, fmt=fmt,
                          paper=paper, reason=reason, figure=figure)
    glue(key, value, fmt)
    _display_claim(record)


def claim_record(key: str, value: Any, *, source: str, statement: str, expect: Expect, status: str,
                 fmt: str = ".2f", paper: tuple[Any, str] | None = None, reason: str | None = None,
                 figure: str | None = None) -> dict[str, Any]:
    """The ledger record of one claim, checked; :func:`claim` registers it.

    Args:
        key: a name unique in the chapter; also the ``{glue}`` key of the value.
        value: the number the chapter computed (never typed in).
        source: the bibliography key of the paper (or ``"book"`` for the book's own result).
        statement: the claim in one sentence, as the prose states it.
        expect: what ``value`` must satisfy for the statement to hold (:func:`between`,
            :func:`above`, :func:`below`); the value and the bounds are compared as printed
            (rounded with ``fmt``), so the verdict is as stable as the printed number.
        status: one of :data:`STATUSES`.
        fmt: format of the value in the prose and the ledger.
        paper: the source's number and where it is stated, e.g. ``(0.56, "Fig. 2")``.
        reason: why it differs, or what was tried (required for ``"differs"`` and ``"open"``).
        figure: the label of the figure that shows it (a link on the ledger page).

    Returns:
        ``{key, value, text, source, statement, expect, holds, status, reason, figure, paper}``
        with ``value`` and the bounds as printed (rounded with ``fmt``).
    """
    if not isinstance(key, str) or not key.isidentifier():
        raise ValueError(f"key must be an identifier-like string, got {key!r}")
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
    if status in ("differs", "open") and not (isinstance(reason, str) and reason.strip()):
        raise ValueError(f"reason must say why (status {status!r} needs one), got {reason!r}")
    if not isinstance(expect, Expect):
        raise ValueError(f"expect must be an Expect (between, above or below), got {expect!r}")
    for name, text in (("source", source), ("statement", statement)):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{name} must be a non-empty string, got {text!r}")
    _check_finite("value", value)
    text = _format(value, fmt, "fmt")
    try:
        shown = float(text)
    except ValueError:
        raise ValueError(f"fmt must format the value as a plain number, got {text!r} from fmt={fmt!r}") from None
    as_shown = (lambda b: float(b)) if fmt.endswith("d") else (lambda b: float(format(b, fmt)))
    rounded = Expect(*(None if b is None else as_shown(b) for b in (expect.lo, expect.hi)), expect.text)
    record = {"key": key, "value": shown, "text": text, "source": source, "statement": statement,
              "expect": asdict(rounded), "holds": rounded.holds(shown), "status": status, "reason": reason,
              "figure": figure,
              "paper": None if paper is None else {"value": format(_scalar(paper[0]), ""), "where": str(paper[1])}}
    return record


def _display_claim(record: dict[str, Any]) -> None:
    line = (f"claim {record['key']}: {record['text']} ({record['status']}); expected {record['expect']['text']}: "
            f"{'holds' if record['holds'] else 'DOES NOT HOLD'}")
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        print(line)
        return
    if get_ipython() is None:
        print(line)
        return
    display({"text/plain": line, CLAIM_MIME: record}, raw=True)


def read_claims(notebook: str | Path) -> list[dict[str, Any]]:
    """The claims stored in the outputs of a notebook file, in cell order."""
    if not isinstance(notebook, (str, Path)) or not Path(notebook).is_file():
        raise ValueError(f"notebook must be the path of an existing notebook file, got {notebook!r}")
    try:
        data = json.loads(Path(notebook).read_text())
    except ValueError as err:  # includes json.JSONDecodeError and UnicodeDecodeError
        raise ValueError(f"notebook must be a JSON notebook file, got {notebook!r} ({err})") from None
    claims = []
    for cell in data.get("cells", []):
        for out in cell.get("outputs", []):
            record = out.get("data", {}).get(CLAIM_MIME)
            if record is not None:
                claims.append(json.loads(record) if isinstance(record, str) else record)
    return claims


def check_claims(chapter: str, claims: Sequence[dict[str, Any]]) -> list[str]:
    """What is wrong with a chapter's claims: one message per problem (empty when all hold).

    Checks that the chapter registers at least one claim, that every value satisfies its
    ``expect`` (recomputed here from the stored numbers, not read from the stored verdict), that
    keys are unique and that every ``differs``/``open`` claim says why.
    """
    if not isinstance(chapter, str):
        raise ValueError(f"chapter must be a string, got {chapter!r}")
    if isinstance(claims, (str, bytes, dict)) or not isinstance(claims, Sequence):
        raise ValueError(f"claims must be a sequence of claim records (dicts), got {type(claims).__name__}")
    for i, c in enumerate(claims):
        if not isinstance(c, dict):
            raise ValueError(f"claims[{i}] must be a claim record (a dict), got {type(c).__name__}")
    if not claims:
        return [f"{chapter}: registers no claims (nnlab.report.claim)"]
    problems, seen = [], set()
    for c in claims:
        key = c.get("key")
        if key in seen:
            problems.append(f"{chapter}: claim {key!r} is registered twice")
        seen.add(key)
        e = c.get("expect", {})
        if not Expect(e.get("lo"), e.get("hi"), e.get("text", "")).holds(float(c["value"])):
            problems.append(f"{chapter}: claim {key!r} = {c['value']:g} does not satisfy its expectation "
                            f"{e.get('text')!r} (lo={e.get('lo')}, hi={e.get('hi')})")
        if c.get("status") not in STATUSES:
            problems.append(f"{chapter}: claim {key!r} has status {c.get('status')!r}, not one of {STATUSES}")
        if c.get("status") in ("differs", "open") and not (c.get("reason") or "").strip():
            problems.append(f"{chapter}: claim {key!r} is {c['status']!r} without a reason")
    return problems
