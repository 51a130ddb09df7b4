"""Superposition in the toy autoencoder and its phase transitions, read with singular learning theory.

``data`` (sparse features, importances), ``model`` (the batched :class:`ToyModel`), ``training``
(sparsity sweeps as one batched model), ``geometry`` (dimensions per feature, per-feature
dimensionality, encoding types), ``phases`` (the best run of each encoding, free-energy
crossings) and ``slt`` (the local learning coefficient by SGLD).
See the chapter ``superposition.ipynb``.
"""

from .data import importance, sparse_features
from .geometry import ENCODINGS, Encoding, classify_encoding, dims_per_feature, feature_dimensionality
from .model import ToyModel, swish, weighted_mse
from .phases import BestRuns, best_runs, free_energy_crossing
from .plots import plot_features
from .slt import LLCEstimate, PowerModel, power_model_llc, power_model_tempered_llc, sgld_llc
from .training import evaluate_toy_models, instance_sparsities, train_toy_models, tune_malloc

__all__ = [
    "importance", "sparse_features", "ToyModel", "swish", "weighted_mse",
    "train_toy_models", "instance_sparsities", "evaluate_toy_models", "tune_malloc", "plot_features",
    "dims_per_feature", "feature_dimensionality", "Encoding", "classify_encoding", "ENCODINGS",
    "BestRuns", "best_runs", "free_energy_crossing",
    "LLCEstimate", "sgld_llc", "PowerModel", "power_model_llc", "power_model_tempered_llc",
]
