"""The rainbow model of trained weights (Guth, Ménard, Rochette & Mallat, arXiv 2305.18512).

Networks trained from different random initializations have different weights, but their
activations agree up to an orthogonal change of basis, and in that common basis the weights of
each layer look like independent samples from one distribution, often well described by its
covariance. The package is split by subject:

- :mod:`nnlab.rainbow.models`: bias-free ReLU MLPs trained as one batched ensemble of seeds;
- :mod:`nnlab.rainbow.alignment`: cross-covariances, Procrustes alignment, explained fraction;
- :mod:`nnlab.rainbow.covariance`: pooled weight covariances, Marchenko–Pastur reference;
- :mod:`nnlab.rainbow.resampling`: Gaussian rainbow networks resampled layer by layer;
- :mod:`nnlab.rainbow.lowrank`: clipping a layer to its top principal weight directions;
- :mod:`nnlab.rainbow.dynamics`: testing ``W_t ≈ W_0 T`` on held-out neurons.
"""

from .alignment import (
    Alignment,
    align,
    align_network,
    cross_covariance,
    explained_fraction,
    held_out_explained,
    mean_alignment,
)
from .covariance import (
    cosine_ceiling,
    half_cosines,
    isotropic,
    marchenko_pastur,
    marchenko_pastur_edges,
    matrix_cosine,
    weight_covariance,
)
from .dynamics import linear_map_explained
from .lowrank import clip
from .models import accuracy, cross_entropy, fit_classifier, mlp_ensemble, train_mlps
from .resampling import resample

__all__ = [
    "mlp_ensemble", "train_mlps", "accuracy", "cross_entropy", "fit_classifier",
    "cross_covariance", "align", "explained_fraction", "Alignment", "align_network", "held_out_explained",
    "mean_alignment", "weight_covariance", "isotropic", "matrix_cosine", "cosine_ceiling", "half_cosines",
    "marchenko_pastur", "marchenko_pastur_edges", "resample", "clip", "linear_map_explained",
]
