"""Run `make <stage>` for each stage, timing each; print a summary even on failure.

Arguments are stages run one after another. An argument with ``|`` in it is a group of lanes
run side by side: ``"unit nbval | render browser"`` runs unit then nbval in one lane while
render then browser run in the other. A lane stops at its first failure; the other lanes finish.
The group is worth it when lanes leave cores idle: the browser test mostly waits on Chromium
(measured: 59 CPU-s over 117 s of wall time), and nbval's last notebook runs on one core.
Each lane's output is written to _build/stages/<stage>.log and printed when its stage ends.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

LOGS = Path("_build") / "stages"
Result = tuple[str, float, int]


def run_stage(stage: str, capture: bool) -> Result:
    print(f"\n==> make {stage}" + ("  (in parallel; output when it ends)" if capture else ""), flush=True)
    start = time.perf_counter()
    if not capture:
        code = subprocess.call(["make", "--no-print-directory", stage])
    else:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = LOGS / f"{stage}.log"
        with log.open("w") as out:
            code = subprocess.call(["make", "--no-print-directory", stage], stdout=out, stderr=subprocess.STDOUT)
        print(f"\n==> make {stage}: output ({log})\n" + log.read_text(errors="replace"), flush=True)
    return stage, time.perf_counter() - start, code


def run_lane(stages: list[str], capture: bool, results: list[Result]) -> None:
    for stage in stages:
        results.append(run_stage(stage, capture))
        if results[-1][2]:
            return


def run_group(lanes: list[list[str]]) -> list[Result]:
    """Run the lanes in threads (each stage is a `make` process); results in lane order."""
    per_lane: list[list[Result]] = [[] for _ in lanes]
    threads = [threading.Thread(target=run_lane, args=(lane, True, out)) for lane, out in zip(lanes, per_lane)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for out in per_lane for r in out]


def parse(argv: list[str]) -> list[list[list[str]]]:
    """Each step is a list of lanes; a plain stage is a step with one lane of one stage."""
    steps = []
    for arg in argv:
        lanes = [lane.split() for lane in arg.split("|")]
        if any(not lane for lane in lanes):
            raise SystemExit(f"empty lane in {arg!r}")
        steps.append(lanes)
    return steps


def main(argv: list[str]) -> int:
    begin = time.perf_counter()
    results: list[Result] = []
    groups: list[tuple[str, float]] = []
    steps = parse(argv)
    for lanes in steps:
        start = time.perf_counter()
        if len(lanes) == 1:
            run_lane(lanes[0], False, results)
        else:
            results += run_group(lanes)
            groups.append((" | ".join(" ".join(lane) for lane in lanes), time.perf_counter() - start))
        if any(code for _, _, code in results):
            break
    print("\nstage          time     result")
    for stage, seconds, code in results:
        print(f"{stage:12s} {seconds:7.1f} s  {'ok' if code == 0 else f'FAILED ({code})'}")
    for name, seconds in groups:
        print(f"side by side: {name}: {seconds:.1f} s")
    ran = {stage for stage, _, _ in results}
    skipped = [s for lanes in steps for lane in lanes for s in lane if s not in ran]
    if skipped:
        print("not run: " + ", ".join(skipped))
    print(f"total        {time.perf_counter() - begin:7.1f} s (wall)")
    return max((code for _, _, code in results), default=0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
