"""nnlab: the shared library of the book "What do neural networks learn?".

Core modules used by every chapter: :mod:`nnlab.runtime` (seeds, threads, device, profile),
:mod:`nnlab.training` (one training loop, batched ensembles), :mod:`nnlab.plotting` (style,
``explore``), :mod:`nnlab.datasets` (data that ships with a dependency). One subject module per
chapter: :mod:`nnlab.approximation`, :mod:`nnlab.ntk`, :mod:`nnlab.localization`,
:mod:`nnlab.feature_ansatz`, :mod:`nnlab.rainbow`, :mod:`nnlab.superposition`.
"""

from . import (
    approximation,
    datasets,
    feature_ansatz,
    linalg,
    localization,
    ntk,
    plotting,
    rainbow,
    report,
    runtime,
    scaling,
    superposition,
    training,
)

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
