"""Time the library's batched/vectorized paths against the naive loops they replace (`make bench`).

Every case in ``benchmarks/cases.py`` does the same work twice in this one run, the library's
way and as a Python loop over models or samples: same models, same number of steps, same
samples. Each path is warmed up first (not timed), then timed ``--repeats`` times (at least 3; a repeat
of a call shorter than 0.2 s runs it several times and counts the time per call); the table
shows the medians and their ratio, and whether the two results agree. For the fast
path it also measures, with ``torch.profiler``, the share of its time spent in matrix products
(``matmul share``): a high share means the batched path is compute-bound and a loop cannot be
much slower than it.

The results go to ``benchmarks/results/<device>.json`` (``cpu.json``, or ``gpu-<name>.json`` on
a GPU, which is selected automatically) and, with every other results file found there and the
recorded chapter times, to ``benchmarks/results/benchmarks.md``, which the book's performance
page includes.

    python benchmarks/run.py [--only KEY[,KEY...]] [--repeats N] [--render]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import torch  # noqa: E402
from cases import CASES, Case  # noqa: E402
from report import RESULTS, render  # noqa: E402

import nnlab  # noqa: E402

MATMUL_OPS = {"aten::mm", "aten::bmm", "aten::addmm", "aten::baddbmm", "aten::addmv", "aten::mv", "aten::dot",
              "aten::vdot", "aten::linalg_lu_factor_ex", "aten::linalg_lu_solve", "aten::_linalg_solve_ex",
              "aten::_linalg_eigh"}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


MIN_REPEAT_S = 0.2  # a timed repeat of a faster call runs it several times (as timeit does)


def calls_per_repeat(fn: Callable[[], object], device: torch.device) -> int:
    """How many calls make one timed repeat last at least ``MIN_REPEAT_S`` (from one more, untimed, call)."""
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return max(1, math.ceil(MIN_REPEAT_S / max(time.perf_counter() - start, 1e-6)))


def timed(fn: Callable[[], object], device: torch.device, repeats: int,
          number: int = 1) -> tuple[float, list[float], object]:
    """Median seconds per call over ``repeats`` repeats of ``number`` calls, the per-call times, the first result."""
    times, first = [], None
    for i in range(repeats):
        _sync(device)
        start = time.perf_counter()
        for _ in range(number):
            out = fn()
        _sync(device)
        times.append((time.perf_counter() - start) / number)
        if i == 0:
            first = out
    return statistics.median(times), times, first


def op_shares(fn: Callable[[], object], device: torch.device,
              number: int = 1) -> tuple[float, list[tuple[str, float]]]:
    """Profile ``number`` calls: the share of their wall time in matrix products and solves, and the top 3 ops."""
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    _sync(device)
    with profile(activities=activities) as prof:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        _sync(device)
        wall = time.perf_counter() - start
    events = prof.key_averages()

    def own(e: object) -> float:
        return (e.self_device_time_total if device.type == "cuda" else e.self_cpu_time_total) / 1e6 / wall

    top = sorted(((e.key, own(e)) for e in events), key=lambda kv: -kv[1])[:3]
    return min(1.0, sum(own(e) for e in events if e.key in MATMUL_OPS)), [(k, round(v, 3)) for k, v in top]


def machine(device: torch.device) -> dict:
    """Where the benchmark ran: device label, CPU model, threads, torch version, date."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if device.type == "cuda" else None
    return {
        "device": f"GPU: {gpu}" if gpu else f"CPU: {cpu}, {torch.get_num_threads()} torch thread(s)",
        "device_type": device.type, "gpu": gpu, "cpu": cpu, "cores": os.cpu_count(),
        "threads": torch.get_num_threads(), "torch": torch.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_1min_start": round(os.getloadavg()[0], 2),
    }


def run_case(case: Case, device: torch.device, repeats: int) -> dict:
    """Warm up, time both paths, check that they agree, measure the fast path's matmul share."""
    row = {"key": case.key, "chapter": case.chapter, "title": case.title, "fast": case.fast, "slow": case.slow,
           "size": case.size, "cap": case.cap}
    if not case.available():
        return {**row, "available": False}
    torch.manual_seed(0)
    pair = case.build(device, "chapter")
    pair.fast()
    if pair.slow_warmup is None:  # a short loop is timed like a short fast path
        number_slow = calls_per_repeat(pair.slow, device)
    else:
        pair.slow_warmup()
        number_slow = 1
    number = calls_per_repeat(pair.fast, device)
    fast, fast_all, fast_out = timed(pair.fast, device, repeats, number)
    slow, slow_all, slow_out = timed(pair.slow, device, repeats, number_slow)
    share, top = op_shares(pair.fast, device, number)
    return {**row, "available": True, "fast_s": fast, "slow_s": slow, "ratio": slow / fast,
            "fast_all_s": fast_all, "slow_all_s": slow_all, "agree": bool(pair.check(fast_out, slow_out)),
            "matmul_share": share, "top_ops": top, "repeats": repeats,
            "calls_per_repeat": [number, number_slow]}


def print_row(r: dict) -> None:
    if not r["available"]:
        print(f"{r['key']:19s} {r['title'][:50]:50s}   not available (nnlab.localization.data.ising missing)",
              flush=True)
        return
    flag = "" if r["agree"] else "  RESULTS DIFFER"
    print(f"{r['key']:19s} {r['title'][:50]:50s} {r['fast_s']:8.3f}s {r['slow_s']:8.3f}s {r['ratio']:7.1f}x "
          f"{100 * r['matmul_share']:5.0f}%  " + ", ".join(f"{k} {100 * v:.0f}%" for k, v in r["top_ops"]) + flag,
          flush=True)


def results_name(info: dict) -> str:
    if info["device_type"] == "cuda":
        return "gpu-" + re.sub(r"[^a-z0-9]+", "-", info["gpu"].lower()).strip("-") + ".json"
    return "cpu.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated case keys (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per path (>= 3)")
    parser.add_argument("--render", action="store_true", help="only re-render benchmarks.md from the results files")
    parser.add_argument("--no-save", action="store_true", help="print only; write no results file")
    args = parser.parse_args(argv)
    if args.render:
        print(f"wrote {render()}")
        return 0
    if args.repeats < 3:
        parser.error("--repeats must be at least 3 (the table shows medians)")
    keys = [c.key for c in CASES]
    only = keys if not args.only else args.only.split(",")
    unknown = sorted(set(only) - set(keys))
    if unknown:
        parser.error(f"unknown case(s) {unknown}; known: {keys}")
    device = nnlab.runtime.setup(seed=0)
    info = machine(device)
    print(f"{info['device']}, torch {info['torch']}, {info['date']}\n")
    print(f"{'case':19s} {'benchmark':50s} {'library':>9s} {'naive':>9s} {'ratio':>8s} {'matmul':>6s}")
    start = time.perf_counter()
    rows = []
    for case in CASES:
        if case.key in only:
            rows.append(run_case(case, device, args.repeats))
            print_row(rows[-1])
    info["total_s"] = round(time.perf_counter() - start, 1)
    info["load_average_1min_end"] = round(os.getloadavg()[0], 2)
    print(f"\n{len(rows)} benchmarks in {info['total_s']:.0f} s (matmul: share of the library path's time spent "
          "in matrix products and solves)")
    chapters = RESULTS / "chapters-quick.json"
    if chapters.exists():  # recorded by `make outputs` (running every chapter takes minutes)
        data = json.loads(chapters.read_text())
        print(f"\nchapter times in the quick profile (recorded by `make outputs`, {data['date']}):")
        for n in data["notebooks"]:
            print(f"  {Path(n['notebook']).stem:32s} {n['wall_s']:6.1f} s wall {n['cpu_s']:6.1f} s CPU")
        print(f"  {'all chapters':32s} {data['total_wall_s']:6.1f} s wall {data['total_cpu_s']:6.1f} s CPU")
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / results_name(info)
        if args.only and path.exists():  # keep the other cases of an earlier full run
            old = json.loads(path.read_text())
            done = {r["key"] for r in rows}
            rows = [r for r in old["results"] if r["key"] not in done] + rows
            rows.sort(key=lambda r: keys.index(r["key"]) if r["key"] in keys else len(keys))
            info["partial_rerun"] = sorted(done)
        path.write_text(json.dumps({"machine": info, "results": rows}, indent=1) + "\n")
        print(f"wrote {path} and {render()}")
    return 0 if all(r.get("agree", True) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
