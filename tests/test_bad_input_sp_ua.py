"""Bad input over nnlab.superposition and nnlab.approximation: every public callable, every mutation.

See ``bad_input_harness``: each ``reg.ok(...)`` is one valid call; the harness derives the bad ones.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from bad_input_harness import F, G, Registry, T

from nnlab import approximation as ua
from nnlab import superposition as sp

reg = Registry()


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def ax():
    return plt.subplots()[1]


def sparsities():
    return torch.tensor([0.1, 0.5])


def toy():
    return sp.ToyModel(5, 2, 2, generator=gen(3))


def power():
    return sp.PowerModel([1, 2], [1, 1])


def elbows():
    return ua.ElbowNet([2, 3], generator=gen(4))


def mlp():
    return ua.relu_mlp(2, 3, gen(5))


def half_mse_power(f, x):
    return 0.5 * (f(x) ** 2).mean(0)


# methods, as module-level functions on fresh models
def toy_forward(x):
    return toy()(x)


def power_forward(x):
    return power()(x)


def elbow_forward(x):
    return elbows()(x)


def elbow_elbows(x):
    return elbows().elbows(x)


def elbow_member(i):
    return elbows().member(i)


# ------------------------------------------------------------------ superposition
reg.ok(sp.importance, 5, 0.9)
reg.ok(sp.sparse_features, 4, 3, 0.5, G(0), shared=True)
reg.ok(sp.sparse_features, 4, 3, F(sparsities), G(0), shared=False, name="sparse_features-tensor")
reg.ok(sp.ToyModel, 5, 2, 2, "relu", 30.0, G(3))
# forward is the training hot path: NaN/inf propagate (documented), a check would sync the device every step
reg.ok(toy_forward, T(4, 5), skip={"x": ["nan", "inf"]})
reg.ok(toy_forward, T(2, 4, 5), skip={"x": ["nan", "inf"]}, name="toy_forward-per-member")  # as above
reg.ok(sp.reconstruct, T(2, 2, 5), T(2, 5, seed=1), T(2, 4, 5, seed=2), "swish", 30.0)
reg.ok(sp.swish, T(5), 30.0, skip={"x": ["0-d"]})  # elementwise: documented to take any shape, 0-d included
reg.ok(sp.weighted_mse, T(2, 4, 5), T(4, 5, seed=1), T(5, positive=True))
reg.ok(sp.weighted_mse, T(2, 4, 5), T(2, 4, 5, seed=1), T(5, positive=True), name="weighted_mse-per-member")
reg.ok(sp.train_toy_models, F(sparsities), 1, d_in=3, width=2, activation="relu", gamma=30.0, steps=1,
       batch_size=4, lr=1e-3, generator=G(0), data_generator=G(1), device="cpu", shared=True, weight_decay=0.01,
       record_every=1)
reg.ok(sp.sweep_grid, F(sparsities), 2)
reg.ok(sp.evaluate_toy_models, F(toy), F(sparsities), batch=4, seed=0, chunk=1)
reg.ok(sp.plot_features, F(ax), T(2, 5), "title", skip={"title": ["unknown"]})  # any string is a title
reg.ok(sp.dims_per_feature, T(2, 2, 5))
reg.ok(sp.dims_per_feature, T(2, 5), name="dims_per_feature-2d")
reg.ok(sp.feature_dimensionality, T(2, 2, 5), 1e-12)
reg.ok(sp.classify_encoding, T(2, 2, 5), 0.5, -0.95, 0.15)
reg.ok(sp.best_runs, T(3, 4, positive=True), F(lambda: np.array([["orthogonal", "pentagon"] * 2] * 3)),
       ("orthogonal", "pentagon"))
reg.ok(sp.free_energy_crossing, 0.1, -0.5)
reg.ok(sp.product_model_posterior, T(5, dtype=torch.float64), T(5, seed=1, dtype=torch.float64),
       F(lambda: torch.linspace(-2.0, 2.0, 9, dtype=torch.float64)))
reg.ok(sp.product_model_hessian, 0.1, -0.2, 3.0, 1.0)
reg.ok(sp.sgld_llc, F(power), half_mse_power, F(lambda: (torch.randn(8, generator=gen(6)),)), steps=2, burnin=1,
       chains=2, lr=1e-3, localization=1.0, nbeta=10.0, generator=G(7))
reg.ok(sp.sgld_llc, F(power), half_mse_power, F(lambda: (torch.randn(8, generator=gen(6)),)), steps=2, burnin=1,
       chains=1, lr=1e-3, localization=0.0, batch_size=4, generator=G(7), sample_dim=0, name="sgld_llc-minibatch")
reg.ok(sp.PowerModel, [1, 2], [1, 1])
reg.ok(power_forward, T(6), skip={"x": ["nan", "inf"]})  # forward inside the SGLD loop: as toy_forward
reg.ok(sp.power_model_llc, 1, 2)
reg.ok(sp.power_model_tempered_llc, 1, 2, 100.0, 1.0, 1.0, 100)
reg.ok(sp.sgld_llc_grid, F(power), half_mse_power, F(lambda: (torch.randn(8, generator=gen(6)),)), [1.0, 0.0],
       [1e-3], nbeta=10.0, steps=3, burnin=1, chains=2, batch_size=4, generator=G(7), sample_dim=0)
reg.ok(sp.toy_loss_derivatives, T(2, 2, 5), T(2, 5, seed=1), T(2, 4, 5, seed=2), "relu", 30.0)
reg.ok(sp.refine_toy_minimum, T(2, 2, 5), T(2, 5, seed=1), T(2, 4, 5, seed=2), "swish", 30.0, 1, 1e-12, 1e-8)
reg.ok(sp.newton_gap, T(2, 3), T(2, 3, 3, seed=1), 1e-8)
reg.ok(sp.gaussian_llc, T(2, 3), 100.0, 1.0)
reg.ok(sp.paired_loss_gap, F(toy), F(lambda: torch.tensor([0, 1])), F(lambda: torch.tensor([1, 1])),
       F(sparsities), batch=4, seed=0)

# ------------------------------------------------------------------ approximation
reg.ok(ua.ElbowNet, [2, 3], "uniform", -1.0, 1.0, G(4), torch.float32)
reg.ok(ua.ElbowNet.from_elbows, T(2, 3), T(2, 3, seed=1), T(2, 3, seed=2), T(2, seed=3), widths=[2, 3],
       name="ElbowNet.from_elbows")
reg.ok(elbow_forward, T(6), skip={"x": ["nan", "inf"]})  # forward is the training hot path: as toy_forward
reg.ok(elbow_forward, T(6, 1), skip={"x": ["nan", "inf"]}, name="elbow_forward-column")  # as above
reg.ok(elbow_elbows, T(6))
reg.ok(elbow_member, 1)
reg.ok(ua.interpolant, torch.sin, [2, 3], -1.0, 1.0, torch.float64)
reg.ok(ua.fit_elbow_nets, T(6), T(6, seed=1), [2], 1, steps=1, lr=1e-2, init="standard", generator=G(0))
reg.ok(ua.elbow_status, F(elbows), T(6))
reg.ok(ua.distance_to_nearest, F(elbows), T(4))
reg.ok(ua.activation_regions, F(mlp), -1.0, 1.0, 1e-12, 100)
reg.ok(ua.linear_pieces, F(mlp), -1.0, 1.0, 1e-12, 100)
reg.ok(ua.count_linear_pieces, F(lambda: ua.sawtooth(2)), 0.0, 1.0)
reg.ok(ua.tent_map, T(5), 2, skip={"x": ["0-d"]})  # elementwise: documented to take any shape, 0-d included
reg.ok(ua.sawtooth, 2, torch.float64)
reg.ok(ua.relu_mlp, 2, 3, G(0), torch.float32)
reg.ok(ua.yarotsky_square, 2, torch.float64)
reg.ok(ua.yarotsky_partial_sum, T(5), 2, skip={"x": ["0-d"]})  # elementwise, as tent_map
reg.ok(ua.effective_parameters, F(lambda: ua.relu_mlp(1, 3, gen(5))), -1.0, 1.0, 1e-9)
reg.ok(ua.plot_elbows, F(ax), F(elbows), 0, -1.0, 1.0, 11, "k")
reg.ok(ua.plot_pieces, F(ax), F(lambda: ua.sawtooth(2)), 0.0, 1.0)
reg.ok(ua.ElbowNet.cat, F(lambda: [elbows(), elbows()]), name="ElbowNet.cat")
reg.ok(ua.train_elbow_nets, F(elbows), T(6), T(6, seed=1), steps=1, lr=1e-2)
reg.ok(ua.best_piece_fits, torch.abs, 2, -1.0, 1.0, 4, 2)
reg.ok(ua.sawtooth_l1_bound, 3, 2, True)
reg.ok(ua.grid_interpolate, lambda z: z.sum(1), F(lambda: torch.rand(5, 2, generator=gen(8)) * 2 - 1),
       2)
reg.ok(ua.fit_random_relu, T(20, 2), T(20, seed=1), 4, G(0), 1e-10)
reg.ok(ua.shallow_ensemble, "tanh", 3, [1.0, 2.0], 2, G(0), torch.float64)
reg.ok(ua.unit_gates, F(lambda: ua.shallow_ensemble("relu", 3, [1.0], 2, gen(9))), T(6))

test_valid_call, test_bad_input, test_coverage = reg.tests(
    [sp, ua],
    exempt={
        "Encoding": "a result record built by classify_encoding",
        "BestRuns": "a result record built by best_runs",
        "GridPosterior": "a result record built by product_model_posterior",
        "LLCEstimate": "a result record built by sgld_llc",
        "LLCGrid": "a result record built by sgld_llc_grid",
        "ToyMinimum": "a result record built by refine_toy_minimum",
        "Piece": "a result record built by linear_pieces",
    },
)
