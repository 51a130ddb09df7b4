"""Emergent convolutional structure and localized receptive fields (Ingrosso & Goldt 2022).

- :mod:`nnlab.localization.data`: translation-invariant Gaussian processes on a ring, the
  non-linear Gaussian process (NLGP) in the Ingrosso–Goldt and Lufkin conventions, its Gaussian
  clone, the two-class task; shared covariance/sampler helpers for further generators.
- :mod:`nnlab.localization.models`: the two-layer network with a fixed second layer, batched
  over members (gains, clones, seeds), and its online-SGD ``fit``.
- :mod:`nnlab.localization.metrics`: IPR, kurtosis, peak position and width, dominant frequency,
  tiling.
- :mod:`nnlab.localization.cumulants`: the fourth-order cumulant contracted with directions and
  its principal component.
- :mod:`nnlab.localization.plots`: receptive-field figures.

See the chapter ``emergent-convolutions.ipynb``.
"""

from . import cumulants, data, metrics, models, plots
from .cumulants import cumulant4, cumulant4_component, cumulant4_gradient
from .data import (
    CONVENTIONS,
    TwoClassTask,
    circulant_spectrum,
    erf_slope,
    gaussian_clone,
    gaussian_factor,
    nlgp,
    nlgp_cov,
    nlgp_kurtosis,
    nlgp_scale,
    nlgp_transform,
    periodic_distance,
    sample_gaussian,
    transformed_gp,
    translation_invariant_cov,
    two_class,
)
from .metrics import (
    circular_gaps,
    dominant_frequency,
    excess_kurtosis,
    ipr,
    kurtosis,
    peak_position,
    peak_width,
    power_spectrum,
    spectral_concentration,
    tiling_evenness,
    tiling_percentile,
)
from .models import TwoLayer, accuracy_per_member, fit, mse_per_member
from .plots import plot_fields, plot_fields_image

__all__ = [
    "data", "models", "metrics", "cumulants", "plots",
    "CONVENTIONS", "periodic_distance", "translation_invariant_cov", "circulant_spectrum", "erf_slope", "nlgp_scale",
    "nlgp_transform",
    "nlgp_cov", "nlgp_kurtosis", "gaussian_factor", "sample_gaussian", "transformed_gp", "nlgp", "gaussian_clone",
    "two_class", "TwoClassTask",
    "TwoLayer", "mse_per_member", "accuracy_per_member", "fit",
    "ipr", "kurtosis", "excess_kurtosis", "peak_position", "peak_width", "power_spectrum", "dominant_frequency",
    "spectral_concentration", "circular_gaps", "tiling_evenness", "tiling_percentile",
    "cumulant4", "cumulant4_gradient", "cumulant4_component",
    "plot_fields", "plot_fields_image",
]
