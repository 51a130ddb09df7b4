"""The reproduction ledger: a directive that builds one table per chapter from the stored claims.

``{reproduction-ledger}`` reads the outputs stored in every chapter notebook of the table of
contents (the claims that ``nnlab.report.claim`` recorded), and renders, per chapter, a table of
the claim with its source, the paper's value, ours, the status and a link to the figure or
chapter that shows it, followed by the reasons of the claims that differ or are open. Nothing
in the tables is typed by hand: re-running a chapter with another seed changes the page. The page is rebuilt whenever a
notebook changes (each notebook is a dependency of the page).

A chapter that has a stored run of its ``full`` profile (``benchmarks/results/full/<chapter>.ipynb``,
written by ``make full``) also shows, per claim, the value of that run and whether it holds:
whether the result moves with the budget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from nnlab.report import check_claims, read_claims

COLUMNS = [("claim (source)", 46), ("paper", 16), ("ours (quick)", 9), ("full profile", 9), ("status", 12),
           ("shown in", 8)]
FULL_RUNS = Path("benchmarks") / "results" / "full"


def _text(value: str) -> nodes.paragraph:
    return nodes.paragraph(text=value)


def _row(cells: list[nodes.Node], header: bool = False) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += cell if isinstance(cell, nodes.Element) and not isinstance(cell, nodes.Text) else _text(str(cell))
        row += entry
    return row


class LedgerDirective(SphinxDirective):
    """Render the ledger of every chapter notebook listed in the table of contents."""

    has_content = False

    def _chapters(self) -> list[str]:
        env = self.env
        docs = sorted(d for d in env.found_docs if Path(env.doc2path(d)).suffix == ".ipynb")
        order = getattr(env, "nnlab_toc_order", None) or docs
        return [d for d in order if d in docs]

    def run(self) -> list[nodes.Node]:
        out: list[nodes.Node] = []
        totals: dict[str, int] = {}
        for doc in self._chapters():
            path = Path(self.env.doc2path(doc))
            self.env.note_dependency(str(path))
            claims = read_claims(path)
            full_path = Path(self.env.app.confdir) / FULL_RUNS / path.name
            full = {}
            if full_path.exists():
                self.env.note_dependency(str(full_path))
                explained = full_run_metadata(full_path).get("does_not_hold", {})
                full = {c["key"]: {**c, "explained": explained.get(c["key"], "")} for c in read_claims(full_path)}
            problems = check_claims(doc.split("/")[-1], claims)
            title = _title(path)
            section = nodes.section(ids=[nodes.make_id(f"ledger-{doc}")])
            section += nodes.title(text=title)
            section += self._table(doc, claims, full)
            if full:
                stored = f"{FULL_RUNS.as_posix()}/{path.name}"
                section += _text(f"Full profile: {_run_note(full_path)} (stored in {stored}).")
            reasons = [c for c in claims if c.get("reason")]
            if reasons:
                notes = nodes.bullet_list()
                for c in reasons:
                    item = nodes.list_item()
                    para = nodes.paragraph()
                    para += nodes.strong(text=f"{c['status'].capitalize()}: ")
                    para += nodes.Text(f"{c['statement'].rstrip('.')}: {c['reason'].rstrip('.')}.")
                    item += para
                    notes += item
                section += notes
            if problems:
                section += nodes.warning("", *[_text(p) for p in problems])
            out.append(section)
            for c in claims:
                totals[c["status"]] = totals.get(c["status"], 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in sorted(totals.items()))
        return [_text(f"{sum(totals.values())} claims in {len(out)} chapters: {summary}."), *out]

    def _table(self, doc: str, claims: list[dict[str, Any]], full: dict[str, dict[str, Any]]) -> nodes.table:
        table = nodes.table(classes=["ledger"])
        group = nodes.tgroup(cols=len(COLUMNS))
        table += group
        for _, width in COLUMNS:
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        head += _row([name for name, _ in COLUMNS])
        group += head
        body = nodes.tbody()
        page = doc.split("/")[-1]
        for c in claims:
            paper = "–" if not c.get("paper") else f"{c['paper']['value']} ({c['paper']['where']})"
            status = c["status"] + (" (see below)" if c.get("reason") else "")
            verdict = "" if c.get("holds", True) else " (does not hold)"
            link = nodes.paragraph()
            anchor = f"#{c['figure']}" if c.get("figure") else ""
            link += nodes.reference("", "figure" if c.get("figure") else "chapter", refuri=f"{page}.html{anchor}")
            f = full.get(c["key"])
            at_full = "not run" if f is None else f["text"] + ("" if f.get("holds", True) else " (does not hold)")
            if f is not None and f.get("explained"):
                at_full += f": {f['explained']}"
            if f is not None and f["statement"] != c["statement"]:
                at_full += f" (its statement says {_changes(c['statement'], f['statement'])})"
            body += _row([f"{c['statement']} ({c['source']})", paper, f"{c['text']}{verdict}", at_full, status, link])
        group += body
        return table


def _title(path: Path) -> str:
    import json

    cells = json.loads(path.read_text()).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", [])).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return path.stem


def _changes(quick: str, full: str) -> str:
    """The words of a claim's statement that differ in the full run, e.g. ``40000 for 4000``."""
    import difflib

    a, b = quick.split(), full.split()
    def words(w: list[str]) -> str:
        return " ".join(w).strip("().,;:") or "(nothing)"

    parts = [f"{words(b[j1:j2])} for {words(a[i1:i2])}"
             for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b).get_opcodes() if op != "equal"]
    return "; ".join(parts[:3]) + ("; ..." if len(parts) > 3 else "")


def full_run_metadata(path: Path) -> dict[str, Any]:
    """The ``nnlab_run`` metadata of a stored full-profile run (see .ci/execute_notebooks.py).

    Besides profile, machine and time it may hold ``note`` (how the run was made) and
    ``does_not_hold``: ``{claim key: what the full run shows instead}`` for each claim of the
    chapter that the full run does not confirm, written after reading the run (tests/test_ledger.py
    requires exactly the failing claims to be listed there).
    """
    import json

    return json.loads(path.read_text()).get("metadata", {}).get("nnlab_run", {})


def _run_note(path: Path) -> str:
    """Where and how long the stored full-profile run took (its metadata, see .ci/execute_notebooks.py)."""
    run = full_run_metadata(path)
    if not run:
        return "a stored run"
    minutes = run.get("wall_s", 0) / 60
    return f"run on {run.get('device', '?')} ({run.get('cpu', '?')}) in {minutes:.0f} min, {run.get('date', '?')}"


def _toc_order(app: Any, env: Any, docnames: list[str]) -> None:
    """Remember the chapters' order from _toc.yml (the table of contents of the book)."""
    toc = Path(app.confdir) / "_toc.yml"
    order = [line.split("file:")[1].strip() for line in toc.read_text().splitlines() if "file:" in line]
    env.nnlab_toc_order = order


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("reproduction-ledger", LedgerDirective)
    app.connect("env-before-read-docs", _toc_order)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
