"""Universal approximation with ReLU elbows: shallow elbow networks, exact piece counting,
the deep constructions (tent map, sawtooth, Yarotsky's square), best p-piece fits and
Telgarsky's bound, grid against ridge-unit approximation in d dimensions, and saturation.

See the chapter ``universal-approximation.ipynb``.
"""

from .constructions import relu_mlp, sawtooth, tent_map, yarotsky_partial_sum, yarotsky_square
from .dimension import fit_random_relu, grid_interpolate
from .elbows import ElbowNet, distance_to_nearest, elbow_status, fit_elbow_nets, interpolant, train_elbow_nets
from .pieces import Piece, activation_regions, count_linear_pieces, linear_pieces
from .plots import plot_elbows, plot_pieces
from .rank import effective_parameters
from .saturation import shallow_ensemble, unit_gates
from .segments import best_piece_fits, sawtooth_l1_bound

__all__ = [
    "ElbowNet", "interpolant", "fit_elbow_nets", "train_elbow_nets", "elbow_status", "distance_to_nearest",
    "Piece", "activation_regions", "linear_pieces", "count_linear_pieces",
    "tent_map", "sawtooth", "relu_mlp", "yarotsky_square", "yarotsky_partial_sum",
    "effective_parameters", "plot_elbows", "plot_pieces",
    "best_piece_fits", "sawtooth_l1_bound", "grid_interpolate", "fit_random_relu",
    "shallow_ensemble", "unit_gates",
]
