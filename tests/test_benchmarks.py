"""The benchmarks: committed results are complete and consistent, and every naive baseline does the same work.

The timings themselves come from `make bench` (minutes); these tests read its committed results
(``benchmarks/results``) and run each benchmark's two paths at a tiny size to check that the
baseline computes what the library computes (a few seconds).
"""

import importlib
import importlib.util
import json
import math
import re
import statistics
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))
cases = importlib.import_module("cases")
report = importlib.import_module("report")

KEYS = [c.key for c in cases.CASES]


def bench_files() -> list[Path]:
    return sorted(RESULTS.glob("cpu*.json")) + sorted(RESULTS.glob("gpu*.json"))


def test_case_keys_are_unique():
    assert len(KEYS) == len(set(KEYS)) >= 10


def test_cpu_results_are_committed_and_hold_every_benchmark():
    assert (RESULTS / "cpu.json").exists(), "run `make bench` and commit benchmarks/results"
    for path in bench_files():
        data = json.loads(path.read_text())
        machine = data["machine"]
        assert machine["device"] and machine["date"] and machine["threads"] >= 1
        rows = {r["key"]: r for r in data["results"]}
        assert sorted(rows) == sorted(KEYS), f"{path.name}: run `make bench` again (cases changed)"
        for key, r in rows.items():
            if not r["available"]:
                continue
            assert r["repeats"] >= 3 and len(r["fast_all_s"]) == len(r["slow_all_s"]) == r["repeats"], key
            assert r["fast_s"] == statistics.median(r["fast_all_s"]), key
            assert r["slow_s"] == statistics.median(r["slow_all_s"]), key
            assert math.isclose(r["ratio"], r["slow_s"] / r["fast_s"], rel_tol=1e-9), key
            assert r["agree"], f"{key}: the library and the baseline disagree"
            assert 0 <= r["matmul_share"] <= 1 and r["top_ops"], key
            if r["ratio"] < 10:
                assert r["cap"], f"{key}: a ratio below 10x needs an explanation (Case.cap)"


def test_chapter_times_are_recorded_for_every_chapter():
    data = json.loads((RESULTS / "chapters-quick.json").read_text())
    assert data["profile"] == "quick"
    names = {Path(n["notebook"]).name for n in data["notebooks"]}
    toc = re.findall(r"file:\s*(\S+)", (ROOT / "_toc.yml").read_text())
    chapters = {Path(f).name + ".ipynb" for f in toc if (ROOT / (f + ".ipynb")).exists()}
    assert chapters, "no notebook chapter found in _toc.yml"
    missing = chapters - names
    assert not missing, f"no recorded time for {sorted(missing)}: run `make outputs`"
    assert all(n["wall_s"] > 0 and n["cpu_s"] >= 0 for n in data["notebooks"])
    assert math.isclose(data["total_wall_s"], sum(n["wall_s"] for n in data["notebooks"]), abs_tol=0.5)


def test_rendered_tables_match_the_results(tmp_path):
    out = report.render(RESULTS, tmp_path / "benchmarks.md")
    assert (RESULTS / "benchmarks.md").read_text() == out.read_text(), "run `python benchmarks/run.py --render`"
    text = out.read_text()
    for path in bench_files():
        for r in json.loads(path.read_text())["results"]:
            assert r["title"] in text


def test_render_without_results(tmp_path):
    text = report.render(tmp_path, tmp_path / "t.md").read_text()
    assert "run `make bench`" in text and "run `make outputs`" in text


@pytest.mark.parametrize("case", cases.CASES, ids=KEYS)
def test_baseline_does_the_same_work(case):
    if not case.available():
        pytest.skip("the library function of this case is missing")
    pair = case.build(torch.device("cpu"), "tiny")
    assert pair.check(pair.fast(), pair.slow())


def test_nlgp_loop_matches_the_library_sample_by_sample():
    a = cases.loc.nlgp(30, 20, 2.0, 3.0, generator=torch.Generator().manual_seed(1))
    b = cases.nlgp_loop(30, 20, 2.0, 3.0, torch.Generator().manual_seed(1))
    assert torch.allclose(a, b, atol=1e-6)


def test_ising_loop_has_the_exact_chain_correlation():
    # periodic chain: E[s_i s_(i+r)] = (t^r + t^(D-r)) / (1 + t^D), t = tanh J
    D, J = 8, 0.5
    s = cases.ising_loop(400, D, J, 60, torch.Generator().manual_seed(2))
    t = math.tanh(J)
    for r in (1, 2):
        exact = (t**r + t ** (D - r)) / (1 + t**D)
        assert abs(float((s * torch.roll(s, r, 1)).mean()) - exact) < 0.05


def test_kernel_gradients_loop_matches_the_closed_form():
    g = torch.Generator().manual_seed(3)
    X = torch.randn(25, 4, generator=g, dtype=torch.float64)
    A = torch.randn(4, 4, generator=g, dtype=torch.float64)
    M, alpha = A @ A.T, torch.randn(25, generator=g, dtype=torch.float64)
    fast = cases.fa.kernel_gradients(X, X, alpha, M, 2.0)
    assert torch.allclose(cases.kernel_gradients_loop(X, alpha, M, 2.0), fast, atol=1e-10)


def test_execute_notebooks_records_times(tmp_path):
    spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / ".ci" / "execute_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "results" / "chapters-quick.json"
    module.record_times(path, {"book/a.ipynb": (12.34, 10.0), "book/b.ipynb": (5.0, 4.56)})
    data = json.loads(path.read_text())
    assert [n["notebook"] for n in data["notebooks"]] == ["book/a.ipynb", "book/b.ipynb"]
    assert data["total_wall_s"] == 17.3 and data["total_cpu_s"] == 14.6
    text = report.chapter_section(data)
    assert "| `a` | 12 | 10 |" in text
