"""nnlab: the shared library of the book "What do neural networks learn?".

Core modules used by every chapter: :mod:`nnlab.runtime` (seeds, threads, device, profile),
:mod:`nnlab.training` (one training loop, batched ensembles), :mod:`nnlab.plotting` (style,
``explore``), :mod:`nnlab.datasets` (data that ships with a dependency). One subject module per
chapter: :mod:`nnlab.approximation`.
"""

from . import approximation, datasets, plotting, report, runtime, scaling, training

__all__ = ["approximation", "datasets", "plotting", "report", "runtime", "scaling", "training"]
__version__ = "0.1.0"
