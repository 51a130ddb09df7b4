"""The neural tangent kernel and the linearized network.

``models`` (bias-free ReLU MLP in NTK, standard and mean-field parameterizations), ``kernels``
(empirical NTK with ``torch.func``, analytic infinite-width NTK/NNGP of ReLU MLPs),
``linearization`` (``f(x; theta0) + J(x) (theta - theta0)`` by ``jvp``), ``spectral`` (closed-form
gradient descent of kernel regression in the NTK eigenbasis), ``experiments`` (network and
linearization trained side by side) and ``twolayer`` (a fast batched path for wide two-layer
networks: closed-form gradients and the block decomposition of the kernel change) and ``residual``
(the infinite-width kernel of a residual ReLU network, and a random one as its Monte Carlo check).
See the chapter
``ntk-linearization.ipynb``.
"""

from .experiments import SideBySide, circle, half_mse, lazy_sweep, train_side_by_side
from .kernels import NTK_METHODS, empirical_ntk, relu_nngp, relu_ntk
from .linearization import Linearized, linearize, parameter_distance
from .models import MLP, PARAMETERIZATIONS
from .residual import residual_relu_features, residual_relu_nngp
from .spectral import (
    Eigenbasis,
    eigenbasis,
    fitted_fraction,
    kernel_regression_path,
    prediction_error,
    residual_decay,
)
from .twolayer import ACTIVATIONS, local_slopes, two_layer_kernel_change

__all__ = [
    "MLP", "PARAMETERIZATIONS",
    "empirical_ntk", "NTK_METHODS", "relu_ntk", "relu_nngp", "residual_relu_nngp", "residual_relu_features",
    "Linearized", "linearize", "parameter_distance",
    "Eigenbasis", "eigenbasis", "residual_decay", "fitted_fraction", "kernel_regression_path",
    "prediction_error",
    "circle", "half_mse", "SideBySide", "train_side_by_side", "lazy_sweep",
    "ACTIVATIONS", "two_layer_kernel_change", "local_slopes",
]
