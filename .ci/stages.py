"""Run `make <stage>` for each stage in order, timing each; print a summary even on failure."""

from __future__ import annotations

import subprocess
import sys
import time


def main(stages: list[str]) -> int:
    results: list[tuple[str, float, int]] = []
    for stage in stages:
        print(f"\n==> make {stage}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(["make", "--no-print-directory", stage])
        results.append((stage, time.perf_counter() - start, code))
        if code:
            break
    print("\nstage          time     result")
    for stage, seconds, code in results:
        print(f"{stage:12s} {seconds:7.1f} s  {'ok' if code == 0 else f'FAILED ({code})'}")
    skipped = stages[len(results):]
    if skipped:
        print("not run: " + ", ".join(skipped))
    print(f"total        {sum(r[1] for r in results):7.1f} s")
    return max((r[2] for r in results), default=0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
