"""nnlab: the shared library of the book "What do neural networks learn?".

Core modules used by every chapter: :mod:`nnlab.runtime` (seeds, threads, device, profile),
:mod:`nnlab.training` (one training loop, batched ensembles), :mod:`nnlab.plotting` (style,
``explore``), :mod:`nnlab.datasets` (data that ships with a dependency). One subject module per
chapter: :mod:`nnlab.approximation`, :mod:`nnlab.ntk`, :mod:`nnlab.localization`,
:mod:`nnlab.feature_ansatz`, :mod:`nnlab.rainbow`, :mod:`nnlab.superposition`.
"""

import importlib
from typing import Any

__all__ = [
    "approximation",
    "datasets",
    "feature_ansatz",
    "linalg",
    "localization",
    "ntk",
    "plotting",
    "rainbow",
    "report",
    "runtime",
    "scaling",
    "superposition",
    "training",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import a subpackage on first use (``nnlab.ntk``): a chapter loads only what it needs
    (``import nnlab`` alone took 3 s, mostly scipy and torch.export for chapters it did not run)."""
    if name in __all__:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'nnlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
