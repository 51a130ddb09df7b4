"""Seeding, threads, device and the quick/full profile shared by every chapter.

A chapter starts with ``device = nnlab.runtime.setup(seed=0)``. Data and initial weights are
drawn on the CPU from seeded generators and then moved to ``device``, so one seed means one
experiment on every machine, up to the last bit of float32 normal draws: torch's vectorized
float32 ``randn`` differs in the last bit between CPU instruction paths (float64 draws and
uniform draws do not), which chaotic training can amplify. ``profile()`` tells whether to run
the small (``quick``) or the paper-scale (``full``) version of an experiment, and
``sizes(quick=..., full=...)`` picks the value for the active profile.
"""

from __future__ import annotations

import ctypes
import math
import os
import random
import sys
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import torch

from .validation import check_choice, check_int

__all__ = ["setup", "profile", "sizes", "generator", "default_threads", "elapsed", "tune_malloc",
           "best_time"]

PROFILES = ("quick", "full", "auto")
T = TypeVar("T")

_started: float | None = None


def default_threads() -> int:
    """Number of torch threads used when ``setup`` is not told: ``NNLAB_THREADS`` or half the cores.

    Half, not all: on a 2-core machine whose other core is busy, two torch threads ran about
    20x slower than one (measured), and nbval / the book build run beside other processes.
    """
    env = os.environ.get("NNLAB_THREADS")
    if env:
        try:
            value = int(env)
        except ValueError:
            raise ValueError(f"NNLAB_THREADS must be a positive integer, got {env!r}") from None
        if value < 1:
            raise ValueError(f"NNLAB_THREADS must be a positive integer, got {env!r}")
        return value
    return max(1, (os.cpu_count() or 1) // 2)


def setup(seed: int = 0, threads: int | None = None) -> torch.device:
    """Seed python, numpy and torch, fix the thread count and return the device to use.

    Args:
        seed: non-negative integer seed for ``random``, ``numpy`` and ``torch`` (all devices).
        threads: torch intra-op threads; ``None`` means :func:`default_threads`.

    Returns:
        ``cuda`` when a GPU is available, otherwise ``cpu``. Prints nothing.

    It also turns on flush-to-zero for denormal floats (they slowed one training loop ~100x)
    and starts the clock read by :func:`elapsed`.
    """
    global _started
    seed = check_int("seed", seed, minimum=0)
    threads = default_threads() if threads is None else check_int("threads", threads, minimum=1)
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002  (seed the legacy global RNG that user code may call)
    torch.manual_seed(seed)
    _started = time.perf_counter()
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def elapsed() -> float:
    """Seconds since the last :func:`setup` call (the chapter's running time)."""
    if _started is None:
        raise ValueError("elapsed() needs setup() to have been called first")
    return time.perf_counter() - _started


def best_time(fn: Callable[[], object], *, repeats: int = 3, clock: str = "wall") -> float:
    """The shortest of ``repeats`` timed calls of ``fn()``, in seconds (the least disturbed run).

    Args:
        fn: a callable without arguments (wrap arguments in a ``lambda``).
        repeats: number of timed calls (>= 1).
        clock: ``"wall"`` (``time.perf_counter``, right for GPU work) or ``"process"``
            (``time.process_time``: CPU seconds of this process, insensitive to other load).
    """
    if not callable(fn):
        raise ValueError(f"fn must be a callable without arguments, got {type(fn).__name__}")
    repeats = check_int("repeats", repeats, minimum=1)
    read = {"wall": time.perf_counter, "process": time.process_time}[check_choice("clock", clock, ("wall", "process"))]
    best = math.inf
    for _ in range(repeats):
        start = read()
        fn()
        best = min(best, read() - start)
    return best


def profile() -> str:
    """The active profile, ``"quick"`` or ``"full"``, from the ``NNLAB_PROFILE`` variable.

    ``NNLAB_PROFILE`` may be ``quick``, ``full`` or ``auto``; unset means ``auto``, which is
    ``full`` when CUDA is available and ``quick`` otherwise. ``make test`` and ``make outputs``
    set ``quick`` so that stored outputs and nbval agree on any machine.
    """
    value = os.environ.get("NNLAB_PROFILE", "auto").strip().lower() or "auto"
    if value not in PROFILES:
        raise ValueError(f"NNLAB_PROFILE must be one of {PROFILES}, got {value!r}")
    if value == "auto":
        return "full" if torch.cuda.is_available() else "quick"
    return value


def sizes(*, quick: T, full: T) -> T:
    """Return ``quick`` or ``full`` according to :func:`profile`.

    Example: ``steps = sizes(quick=2_000, full=20_000)``.
    """
    return quick if profile() == "quick" else full


def generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with ``seed`` (draw on the CPU, then move to the device)."""
    return torch.Generator().manual_seed(check_int("seed", seed, minimum=0))


def tune_malloc(threshold: int = 256 * 1024 * 1024) -> bool:
    """Raise glibc's mmap and trim thresholds so that large tensors reuse freed heap memory.

    Process-wide, so a chapter calls it explicitly (the superposition chapter does: with
    thousands of toy-model instances every step allocates and frees tensors of a few MB). glibc
    serves those by ``mmap``/``munmap`` by default, and the page faults dominated a step on the
    CPU (measured: about 2x slower). This is what ``MALLOC_MMAP_THRESHOLD_`` and
    ``MALLOC_TRIM_THRESHOLD_`` do from the environment, applied to the running process.

    Args:
        threshold: bytes (>= 1 MiB).

    Returns:
        ``True`` when glibc's ``mallopt`` was called successfully; ``False`` elsewhere (no effect).
    """
    threshold = check_int("threshold", threshold, minimum=1 << 20)
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_mmap_threshold, threshold)) and bool(libc.mallopt(m_trim_threshold, 2 * threshold))
