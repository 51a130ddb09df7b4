"""The book's build configuration: a failing cell and a Sphinx warning must fail the build.

These run `jupyter-book build` with the repository's own _config.yml on a two-page scratch
book, so they check the settings `make book` and `make test` rely on (about 15 s).
"""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"


def scratch_book(tmp_path: Path, code: str, markdown: str = "# Intro\n") -> Path:
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    (tmp_path / "book").mkdir()
    shutil.copy(ROOT / "book" / "references.bib", tmp_path / "book" / "references.bib")
    # The site's local Sphinx extension and static files (_config.yml names both); not the
    # fetched third-party JavaScript, which these builds do not need.
    shutil.copytree(ROOT / "book" / "_ext", tmp_path / "book" / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "book" / "_static", tmp_path / "book" / "_static", ignore=shutil.ignore_patterns("vendor"))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/page\n")
    (tmp_path / "book" / "intro.md").write_text(markdown)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Page"), nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "book" / "page.ipynb")
    return tmp_path


def build(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(JUPYTER_BOOK), "build", str(path), "--builder", "html", "-W", "--keep-going"],
                          capture_output=True, text=True, timeout=300)


pytestmark = pytest.mark.skipif(not JUPYTER_BOOK.exists(), reason="jupyter-book is not installed here")


def test_a_clean_book_builds(tmp_path):
    result = build(scratch_book(tmp_path, "print(1 + 1)"))
    assert result.returncode == 0, result.stdout[-2000:]
    assert (tmp_path / "_build" / "html" / "index.html").exists()


def test_a_failing_cell_fails_the_build(tmp_path):
    result = build(scratch_book(tmp_path, "raise ValueError('boom')"))
    assert result.returncode != 0
    assert "boom" in result.stdout + result.stderr


def test_a_sphinx_warning_fails_the_build(tmp_path):
    result = build(scratch_book(tmp_path, "print(1)", markdown="# Intro\n\nSee {doc}`no-such-page`.\n"))
    assert result.returncode != 0
    assert "no-such-page" in result.stdout + result.stderr
