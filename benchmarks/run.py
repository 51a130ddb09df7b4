"""Time the library's batched paths against the naive Python loop they replace, in one run.

Each benchmark trains the same set of independent models for the same number of steps, once
as one batched model and once as a loop over single models, and prints the medians of a few
repeats and their ratio. Run with `make bench`.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import nnlab
from nnlab import approximation as ua
from nnlab.training import Ensemble, train


def median_seconds(fn: Callable[[], object], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)



def bench_ensemble(n_models: int = 64, steps: int = 200) -> tuple[float, float]:
    """n_models ReLU MLPs (depth 3, width 32) on the same data: Ensemble vs a loop."""
    x = torch.linspace(0, 1, 256)[:, None]
    y = ua.tent_map(x, 3)
    make = lambda s: ua.relu_mlp(3, 32, nnlab.runtime.generator(s))  # noqa: E731

    def batched():
        ens = Ensemble([make(s) for s in range(n_models)])
        train(ens, lambda m, x, y: ((m(x) - y) ** 2).mean(dim=(1, 2)), (x, y), steps=steps, lr=1e-3,
              optimizer="adam", progress=False)

    def loop():
        for s in range(n_models):
            train(make(s), lambda m, x, y: ((m(x) - y) ** 2).mean(), (x, y), steps=steps, lr=1e-3,
                  optimizer="adam", progress=False)

    return median_seconds(batched), median_seconds(loop)


def bench_elbow_sweep(seeds: int = 5, steps: int = 300) -> tuple[float, float]:
    """The chapter's sweep, widths 1..64 x 5 seeds: one ElbowNet vs a loop over single nets."""
    widths = [1, 2, 4, 8, 16, 32, 64]
    x = torch.linspace(-1, 1, 128)
    y = torch.sin(3 * x)

    def batched():
        ua.fit_elbow_nets(x, y, widths, seeds, steps=steps, generator=nnlab.runtime.generator(0), progress=False)

    def loop():
        for w in widths:
            for s in range(seeds):
                ua.fit_elbow_nets(x, y, [w], 1, steps=steps, generator=nnlab.runtime.generator(s), progress=False)

    return median_seconds(batched), median_seconds(loop)


def main() -> None:
    nnlab.runtime.setup(seed=0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), device cpu\n")
    print(f"{'benchmark':48s} {'batched':>9s} {'loop':>9s} {'ratio':>7s}")
    for name, fn in [
        ("Ensemble: 64 MLPs 1-32-32-32-1, 200 Adam steps", bench_ensemble),
        ("ElbowNet: widths 1..64 x 5 seeds, 300 Adam steps", bench_elbow_sweep),
    ]:
        fast, slow = fn()
        print(f"{name:48s} {fast:8.2f}s {slow:8.2f}s {slow / fast:6.1f}x", flush=True)


if __name__ == "__main__":
    main()
