"""Superposition in the toy autoencoder and its phase transitions, read with singular learning theory.

``data`` (sparse features, importances), ``model`` (the batched :class:`ToyModel`), ``training``
(sparsity sweeps as one batched model), ``geometry`` (dimensions per feature, per-feature
dimensionality, encoding types), ``phases`` (the best run of each encoding, free-energy
crossings), ``minimum`` (Newton refinement of ``w*``, Hessian spectra, the Gaussian
value of the LLC estimator), ``posterior`` (the exact posterior of ``y = x w1 w2`` against its Laplace
approximation) and ``slt`` (the local learning coefficient by SGLD).
See the chapter ``superposition.ipynb``.
"""

from .data import importance, sparse_features
from .geometry import ENCODINGS, Encoding, classify_encoding, dims_per_feature, feature_dimensionality
from .minimum import ToyMinimum, gaussian_llc, newton_gap, refine_toy_minimum, toy_loss_derivatives
from .model import ToyModel, reconstruct, swish, weighted_mse
from .phases import BestRuns, best_runs, free_energy_crossing
from .plots import plot_features
from .posterior import GridPosterior, product_model_hessian, product_model_posterior
from .slt import LLCEstimate, LLCGrid, PowerModel, power_model_llc, power_model_tempered_llc, sgld_llc, sgld_llc_grid
from .training import evaluate_toy_models, paired_loss_gap, sweep_grid, train_toy_models

__all__ = [
    "importance", "sparse_features", "ToyModel", "reconstruct", "swish", "weighted_mse",
    "train_toy_models", "sweep_grid", "evaluate_toy_models", "plot_features",
    "dims_per_feature", "feature_dimensionality", "Encoding", "classify_encoding", "ENCODINGS",
    "BestRuns", "best_runs", "free_energy_crossing",
    "GridPosterior", "product_model_posterior", "product_model_hessian",
    "LLCEstimate", "sgld_llc", "PowerModel", "power_model_llc", "power_model_tempered_llc",
    "LLCGrid", "sgld_llc_grid", "paired_loss_gap",
    "ToyMinimum", "toy_loss_derivatives", "newton_gap", "refine_toy_minimum", "gaussian_llc",
]
