"""Universal approximation with ReLU elbows: shallow elbow networks, exact piece counting,
and the deep constructions (tent map, sawtooth, Yarotsky's square).

See the chapter ``universal-approximation.ipynb``.
"""

from .constructions import relu_mlp, sawtooth, tent_map, yarotsky_partial_sum, yarotsky_square
from .elbows import ElbowNet, distance_to_nearest, elbow_status, fit_elbow_nets, interpolant
from .pieces import Piece, activation_regions, count_linear_pieces, linear_pieces
from .plots import plot_elbows, plot_pieces
from .rank import effective_parameters

__all__ = [
    "ElbowNet", "interpolant", "fit_elbow_nets", "elbow_status", "distance_to_nearest",
    "Piece", "activation_regions", "linear_pieces", "count_linear_pieces",
    "tent_map", "sawtooth", "relu_mlp", "yarotsky_square", "yarotsky_partial_sum",
    "effective_parameters", "plot_elbows", "plot_pieces",
]
