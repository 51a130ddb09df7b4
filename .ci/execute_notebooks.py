"""Execute notebooks top to bottom in fresh kernels and store their outputs (`make outputs`).

Each notebook runs in its own kernel from its own folder; cell timing metadata is not stored
(it would change on every run). Prints the wall time of each notebook and the CPU time its
kernel used. With ``--times FILE`` it also writes those times, the profile, the thread count
and the machine to FILE (JSON; `make outputs` records benchmarks/results/chapters-quick.json,
shown on the book's performance page).

With ``--out DIR`` the notebooks are not changed: each run is stored as ``DIR/<name>.ipynb``
with its text outputs and claims only (images dropped, to keep the record small) and the run's
profile, machine and time in the notebook metadata (``nnlab_run``). `make full` stores the
``full`` profile's runs this way in benchmarks/results/full/, which the reproduction ledger shows
next to the quick values. Each cell's time is printed as it finishes (full runs take long).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg", "text/html", "application/vnd.jupyter.widget-view+json")


def execute(path: Path, out: Path | None = None) -> float:
    """Run ``path`` top to bottom; store it in place, or as a text-only record in ``out``."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    cell_start = [start]

    def started(cell: Any, cell_index: int, **_: Any) -> None:
        cell_start[0] = time.perf_counter()

    def finished(cell: Any, cell_index: int, **_: Any) -> None:
        if out is not None:
            now = time.perf_counter()
            print(f"  {path.stem} cell {cell_index}: {now - cell_start[0]:.1f} s (at {now - start:.0f} s)", flush=True)

    NotebookClient(nb, timeout=None if out is not None else 900, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}},
                   on_cell_start=started, on_cell_executed=finished).execute()
    seconds = time.perf_counter() - start
    if out is None:
        nbformat.write(nb, path)
    else:
        store_run(nb, out / path.name, seconds)
    return seconds


def store_run(nb: Any, target: Path, seconds: float) -> None:
    """Write ``nb`` to ``target`` without images, with the run's profile, machine and time."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for kind in IMAGE_TYPES:
                output.get("data", {}).pop(kind, None)
    nb.metadata["nnlab_run"] = {
        "profile": os.environ.get("NNLAB_PROFILE", "auto"),
        "device": _device(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "threads": os.environ.get("NNLAB_THREADS", "default"),
        "wall_s": round(seconds, 1),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)


def _device() -> str:
    import torch

    return f"cuda ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else "cpu"


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes: the kernels, once shut down."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def record_times(path: Path, times: dict[str, tuple[float, float]]) -> None:
    """Write the per-notebook wall and kernel CPU seconds, with the profile and the machine, as JSON."""
    record = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "profile": os.environ.get("NNLAB_PROFILE", "auto"),
        "threads": os.environ.get("NNLAB_THREADS", "default"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "notebooks": [{"notebook": name, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}
                      for name, (wall, cpu) in times.items()],
        "total_wall_s": round(sum(w for w, _ in times.values()), 1),
        "total_cpu_s": round(sum(c for _, c in times.values()), 1),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")


def _option(argv: list[str], flag: str, what: str) -> tuple[Path | None, list[str]]:
    """The path after ``flag`` in ``argv`` (None when absent) and ``argv`` without both."""
    if flag not in argv:
        return None, argv
    i = argv.index(flag)
    if i + 1 >= len(argv):
        raise SystemExit(f"{flag} needs {what}")
    return Path(argv[i + 1]), argv[:i] + argv[i + 2:]


def main(argv: list[str]) -> None:
    times_file, argv = _option(argv, "--times", "a file name")
    out, argv = _option(argv, "--out", "a folder")
    times: dict[str, tuple[float, float]] = {}
    for name in argv:
        cpu_before = _children_cpu()
        seconds = execute(Path(name), out)
        cpu = _children_cpu() - cpu_before
        times[name] = (seconds, cpu)
        print(f"{name:45s} {seconds:6.1f} s  (kernel CPU {cpu:6.1f} s)", flush=True)
    print(f"{'all notebooks':45s} {sum(w for w, _ in times.values()):6.1f} s  "
          f"(kernel CPU {sum(c for _, c in times.values()):6.1f} s)")
    if times_file is not None:
        record_times(times_file, times)
        print(f"times written to {times_file}")


if __name__ == "__main__":
    main(sys.argv[1:])
