"""Execute notebooks top to bottom in fresh kernels and store their outputs (`make outputs`).

Each notebook runs in its own kernel from its own folder; cell timing metadata is not stored
(it would change on every run). Prints the wall time of each notebook.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


def main(paths: list[str]) -> None:
    total = 0.0
    for name in paths:
        seconds = execute(Path(name))
        total += seconds
        print(f"{name:45s} {seconds:6.1f} s", flush=True)
    print(f"{'all notebooks':45s} {total:6.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
