"""Tests of the learnability, Telgarsky-bound, d-dimensional and saturation helpers of nnlab.approximation."""

import math

import numpy as np
import pytest
import torch

from nnlab import approximation as ua

D = torch.float64


def gen(seed):
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------ joining and training starts

def test_cat_keeps_every_members_function_and_width():
    a = ua.ElbowNet([2, 5], generator=gen(0), dtype=D)
    b = ua.interpolant(torch.sin, [3, 7])
    joint = ua.ElbowNet.cat([a, b])
    x = torch.linspace(-1, 1, 101, dtype=D)
    with torch.no_grad():
        expect = torch.cat([a(x), b(x)])
        assert torch.allclose(joint(x), expect, atol=1e-14)
    assert joint.widths == [2, 5, 3, 7]
    with pytest.raises(ValueError, match="dtype"):
        ua.ElbowNet.cat([a, ua.ElbowNet([2], dtype=torch.float32)])


def test_train_elbow_nets_lowers_the_mse_of_a_constructed_start():
    x = torch.linspace(-1, 1, 64, dtype=D)
    y = torch.sin(3 * x)
    net = ua.interpolant(lambda t: torch.sin(3 * t), [4, 8])
    with torch.no_grad():
        before = ((net(x) - y) ** 2).mean(-1)
    hist = ua.train_elbow_nets(net, x, y, steps=300, lr=1e-3)
    with torch.no_grad():
        after = ((net(x) - y) ** 2).mean(-1)
    assert (after < before).all()
    assert np.allclose(hist.final_loss, after.numpy())


# ------------------------------------------------------------------ Telgarsky's bound

@pytest.mark.parametrize("k", [3, 5])
def test_best_piece_fits_respect_the_counting_bound_and_the_closed_forms(k):
    fits = ua.best_piece_fits(lambda x: ua.tent_map(x, k), 2**k + 4, knots=2 ** (k + 2), mesh=8)
    # one piece: the least-squares line of the symmetric sawtooth is the constant 1/2, L1 error 1/4
    assert fits["l1"][0] == pytest.approx(0.25, abs=1e-4)
    # 2^k pieces with knots on the dyadic grid reproduce Delta^k exactly
    assert fits["l1"][2**k - 1] < 1e-10
    bounds = np.array([ua.sawtooth_l1_bound(k, int(p), continuous=False) for p in fits["pieces"]])
    assert (fits["l1"] >= bounds - 1e-9).all()
    assert (np.diff(fits["l2"]) <= 1e-12).all()  # more pieces never fit worse (nested families)


def test_best_piece_fits_recovers_a_three_piece_function():
    def f(x):
        return torch.where(x < 0.25, 2 * x, torch.where(x < 0.75, 1 - 2 * (x - 0.25), 3 * (x - 0.75)))

    fits = ua.best_piece_fits(f, 3, knots=16, mesh=8)
    assert fits["l2"][2] < 1e-10 < fits["l2"][1]


def test_sawtooth_bound_by_direct_integration():
    # a continuous p-piece f: the constant 1/2 (p = 1) has L1 error exactly 1/4 >= the bound
    k = 4
    assert ua.sawtooth_l1_bound(k, 1) <= 0.25
    assert ua.sawtooth_l1_bound(k, 1) == (2 ** (k - 1) - 2) * 2.0 ** (-k - 2)
    assert ua.sawtooth_l1_bound(k, 2**k) == 0.0


# ------------------------------------------------------------------ d dimensions

def test_grid_interpolate_is_exact_on_affine_functions_and_at_knots():
    x = 2 * torch.rand(200, 3, generator=gen(1), dtype=D) - 1
    w = torch.tensor([0.3, -1.2, 2.0], dtype=D)
    assert torch.allclose(ua.grid_interpolate(lambda z: z @ w + 0.5, x, 3), x @ w + 0.5, atol=1e-12)
    knots = torch.tensor([[-1.0, 1 / 3, 1.0], [1 / 3, -1 / 3, -1.0]], dtype=D)
    f = lambda z: torch.exp(z.sum(1))  # noqa: E731
    assert torch.allclose(ua.grid_interpolate(f, knots, 3), f(knots), atol=1e-12)


def test_grid_interpolate_in_one_dimension_is_the_elbow_interpolant():
    x = torch.linspace(-1, 1, 301, dtype=D)
    ref = ua.interpolant(lambda t: torch.sin(3 * t), 6)
    with torch.no_grad():
        assert torch.allclose(ua.grid_interpolate(lambda z: torch.sin(3 * z[:, 0]), x[:, None], 6), ref(x)[0],
                              atol=1e-12)


def test_grid_interpolate_error_of_a_quadratic_falls_like_h_squared():
    x = 2 * torch.rand(4000, 2, generator=gen(2), dtype=D) - 1
    f = lambda z: (z**2).sum(1)  # noqa: E731
    e = [float((ua.grid_interpolate(f, x, n) - f(x)).abs().max()) for n in (4, 8)]
    assert e[1] / e[0] == pytest.approx(0.25, rel=0.1)
    assert e[0] <= 2 * (2 / 4) ** 2 / 4 + 1e-12  # d times the 1-D bound h^2/4


def test_fit_random_relu_error_falls_with_width():
    x = 2 * torch.rand(2000, 2, generator=gen(3), dtype=D) - 1
    y = torch.exp(-(x**2).sum(1))
    err = []
    for units in (8, 128):
        net = ua.fit_random_relu(x, y, units, generator=gen(4))
        with torch.no_grad():
            err.append(float(((net(x)[:, 0] - y) ** 2).mean().sqrt()))
    assert err[1] < err[0] / 5
    w = net[0].weight
    assert torch.allclose(w.norm(dim=1), torch.ones(128, dtype=D))


# ------------------------------------------------------------------ saturation

def test_unit_gates_closed_forms():
    x = torch.linspace(-1, 1, 20001, dtype=D)
    ens = ua.shallow_ensemble("tanh", 3, [1.0], 1, generator=gen(5))
    (w1, b1), _ = ens.linear_layers()
    with torch.no_grad():
        w1[0, :, 0] = torch.tensor([0.0, 4.0, 1.0], dtype=D)
        b1[0] = torch.tensor([0.0, 0.0, 30.0], dtype=D)
    g = ua.unit_gates(ens, x)[0]
    assert g[0] == pytest.approx(1.0)
    assert g[1] == pytest.approx(math.tanh(4.0) / 4.0, rel=1e-4)  # (1/2) int_-1^1 sech^2(4x) dx
    assert g[2] < 1e-20
    relu = ua.shallow_ensemble("relu", 2, [1.0], 1, generator=gen(5))
    (w1, b1), _ = relu.linear_layers()
    with torch.no_grad():
        w1[0, :, 0] = torch.tensor([1.0, 1.0], dtype=D)
        b1[0] = torch.tensor([-2.0, 0.0], dtype=D)  # dead; active on half the inputs
    assert ua.unit_gates(relu, x)[0].tolist() == pytest.approx([0.0, 0.5], abs=1e-4)


def test_relu_gates_do_not_depend_on_the_scale_and_tanh_gates_fall():
    x = torch.linspace(-1, 1, 257, dtype=D)
    relu = ua.unit_gates(ua.shallow_ensemble("relu", 16, [1.0, 10.0], 3, generator=gen(6)), x)
    assert torch.equal(relu[:3], relu[3:])
    tanh = ua.unit_gates(ua.shallow_ensemble("tanh", 16, [1.0, 10.0], 3, generator=gen(6)), x)
    assert tanh[3:].mean() < tanh[:3].mean() / 3
