"""The Deep Neural Feature Ansatz and Recursive Feature Machines.

``agop`` (average gradient outer products, neural feature matrices, the paper's matrix
correlation), ``networks`` (deep MLPs, per-layer AGOPs, the pre-activation isotropy test),
``forms`` (the two exact forms of the ansatz, the rotation null, the top-r
isotropy profile, the balanced two-layer linear network), ``nulls`` (the rotation null of a
trained MLP), ``rfm`` (the Recursive Feature Machine),
``tasks`` (targets with low-dimensional structure).
See the chapter ``neural-feature-ansatz.ipynb``.
"""

from .agop import agop, ansatz_correlation, jacobians, matrix_correlation, nfm, outer_mean, psd_power
from .forms import Forms, balanced_linear, exact_forms, haar_orthogonal, isotropy_profile, rotated_correlations
from .networks import (
    VARIANTS,
    Isotropy,
    LayerReport,
    ansatz_correlations,
    isotropy,
    isotropy_report,
    layer_agops,
    layer_gradients,
    linear_layers,
    make_mlp,
    preactivation_agop,
    preactivation_isotropy,
)
from .nulls import NULL_MEASURES, rotation_null
from .rfm import RFM, kernel_gradients, laplace_kernel, mahalanobis_distances, r2_score
from .tasks import TARGETS, low_dim_task

__all__ = [
    "agop", "jacobians", "outer_mean", "nfm", "matrix_correlation", "psd_power", "ansatz_correlation",
    "make_mlp", "linear_layers", "layer_gradients", "layer_agops", "preactivation_agop",
    "Isotropy", "isotropy", "preactivation_isotropy", "VARIANTS", "ansatz_correlations",
    "LayerReport", "isotropy_report",
    "haar_orthogonal", "rotated_correlations", "Forms", "exact_forms", "isotropy_profile", "balanced_linear",
    "NULL_MEASURES", "rotation_null",
    "RFM", "laplace_kernel", "mahalanobis_distances", "kernel_gradients", "r2_score",
    "TARGETS", "low_dim_task",
]
