"""Emergent convolutional structure and localized receptive fields (Ingrosso & Goldt 2022).

- :mod:`nnlab.localization.data`: translation-invariant Gaussian processes on a ring, the
  non-linear Gaussian process (NLGP) in the Ingrosso–Goldt and Lufkin conventions, its Gaussian
  clone, the two-class task; shared covariance/sampler helpers; the data of Lufkin, Saxe & Grant
  (Kur(k), the 1-D Ising chain, single pulses, elliptical distributions).
- :mod:`nnlab.localization.models`: the two-layer network with a fixed second layer, batched
  over members (gains, clones, seeds), its online-SGD ``fit``, and full-batch ``fit_data`` of the
  bias-free ReLU network of Lufkin et al. on any per-member data.
- :mod:`nnlab.localization.metrics`: IPR, kurtosis, peak position and width, dominant frequency,
  tiling.
- :mod:`nnlab.localization.cumulants`: the fourth-order cumulant contracted with directions and
  its principal component.
- :mod:`nnlab.localization.tiling`: tiling that counts a sign-opposite pair ``(w, -w)`` as one unit.
- :mod:`nnlab.localization.rates`: online SGD with one learning rate per member.
- :mod:`nnlab.localization.plots`: receptive-field figures.
- :mod:`nnlab.localization.theory`: the single-neuron gradient flow of Lufkin et al., its
  localization amplifier (from samples, tabulated, or the cubic kurtosis approximation) and
  Euler integration.

See the chapters ``emergent-convolutions.ipynb`` and ``localization-dynamics.ipynb``.
"""

from . import cumulants, data, metrics, models, plots, rates, theory, tiling
from .cumulants import cumulant4, cumulant4_component, cumulant4_gradient
from .data import (
    CONVENTIONS,
    OnlineTwoClass,
    TwoClassTask,
    circulant_spectrum,
    elliptical,
    elliptical_kurtosis,
    erf_slope,
    gaussian_clone,
    gaussian_factor,
    gp_transform_cov,
    ising,
    ising_exact,
    kur,
    kur_kurtosis,
    kur_moment,
    kur_transform,
    marginal_kurtosis,
    nlgp,
    nlgp_cov,
    nlgp_kurtosis,
    nlgp_scale,
    nlgp_transform,
    periodic_distance,
    population_cov,
    pulse_lengths,
    sample_gaussian,
    single_pulse,
    transformed_gp,
    translation_invariant_cov,
    two_class,
    two_class_samples,
)
from .metrics import (
    centred_field,
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
from .models import ReluTwoLayer, TwoLayer, accuracy_per_member, fit, fit_data, fit_online, task_mse, xavier_std
from .plots import plot_fields, plot_fields_image
from .rates import fit_rates
from .theory import (
    PhiTable,
    covariance,
    flow,
    gauss_hermite,
    integrate,
    integrate_sampled,
    linearity_residual,
    overlap,
    phi_cubic,
    phi_gaussian,
    phi_samples,
    sign_moment,
)
from .tiling import field_overlap, pair_fraction, sign_pairs, unit_tiling_percentile

__all__ = [
    "data", "models", "metrics", "cumulants", "plots", "theory",
    "CONVENTIONS", "periodic_distance", "translation_invariant_cov", "circulant_spectrum", "erf_slope", "nlgp_scale",
    "nlgp_transform",
    "nlgp_cov", "nlgp_kurtosis", "gaussian_factor", "sample_gaussian", "transformed_gp", "nlgp", "gaussian_clone",
    "two_class", "TwoClassTask",
    "kur_moment", "kur_kurtosis", "kur_transform", "kur", "ising", "single_pulse", "elliptical_kurtosis", "elliptical",
    "two_class_samples", "marginal_kurtosis", "pulse_lengths", "ising_exact", "gp_transform_cov", "population_cov",
    "OnlineTwoClass",
    "TwoLayer", "ReluTwoLayer", "task_mse", "accuracy_per_member", "fit", "fit_data", "fit_online", "xavier_std",
    "ipr", "kurtosis", "excess_kurtosis", "peak_position", "peak_width", "power_spectrum", "dominant_frequency",
    "spectral_concentration", "centred_field", "circular_gaps", "tiling_evenness", "tiling_percentile",
    "cumulant4", "cumulant4_gradient", "cumulant4_component",
    "plot_fields", "plot_fields_image",
    "phi_gaussian", "phi_cubic", "phi_samples", "PhiTable", "gauss_hermite", "overlap", "flow", "integrate",
    "covariance", "sign_moment", "integrate_sampled", "linearity_residual",
    "tiling", "rates", "field_overlap", "sign_pairs", "pair_fraction", "unit_tiling_percentile", "fit_rates",
]
