import math

import pytest
import torch

from nnlab.superposition import (
    ToyModel,
    classify_encoding,
    dims_per_feature,
    feature_dimensionality,
    importance,
    sparse_features,
    sweep_grid,
    swish,
    train_toy_models,
    weighted_mse,
)
from nnlab.training import train


def polygon(k, m=2, radius=1.0):
    angles = 2 * math.pi * torch.arange(k) / k
    return radius * torch.stack([torch.cos(angles), torch.sin(angles)])  # [2, k]


# ------------------------------------------------------------------------------ data


def test_importance_is_geometric():
    assert torch.allclose(importance(5), torch.tensor([1, 0.9, 0.81, 0.729, 0.6561]))


def test_sparse_features_sparsity_and_range():
    g = torch.Generator().manual_seed(0)
    x = sparse_features(200_000, 5, 0.7, g)
    assert x.shape == (200_000, 5)
    assert x.min() >= 0 and x.max() <= 1
    zero = (x == 0).float().mean()
    assert abs(zero - 0.7) < 0.005
    nz = x[x > 0]
    assert abs(nz.mean() - 0.5) < 0.005 and abs(nz.var() - 1 / 12) < 0.002  # U[0, 1]


def test_sparse_features_per_instance_tensor():
    s = torch.tensor([0.0, 0.5, 0.9, 1.0])
    for shared in (True, False):
        x = sparse_features(50_000, 5, s, torch.Generator().manual_seed(1), shared=shared)
        assert x.shape == (4, 50_000, 5)  # member-major: [I, batch, n]
        zero = (x == 0).float().mean((1, 2))
        assert torch.allclose(zero, s, atol=0.01)
    x = sparse_features(1000, 5, s, torch.Generator().manual_seed(1), shared=True)
    # shared pattern: a feature kept at a higher sparsity is kept at every lower one
    kept = x > 0
    assert bool((kept[2] <= kept[1]).all()) and bool((kept[1] <= kept[0]).all())


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_sparsity_outside_unit_interval_raises(bad):
    with pytest.raises(ValueError, match="sparsity"):
        sparse_features(10, 5, bad)
    with pytest.raises(ValueError, match="sparsity"):
        sparse_features(10, 5, torch.tensor([0.2, bad]))
    with pytest.raises(ValueError, match="sparsities"):  # the argument's name
        train_toy_models([0.1, bad], steps=1)


# ----------------------------------------------------------------------------- model


def test_batched_model_matches_loop_over_single_models():
    big = ToyModel(5, 2, 6, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        big.b.normal_(0, 0.1, generator=torch.Generator().manual_seed(1))
    x = torch.rand(6, 32, 5)  # one batch per instance
    out = big(x)
    for k in range(6):
        single = big.member(k)
        ref = torch.relu(x[k] @ big.W[k].T @ big.W[k] + big.b[k])  # the formula, by hand
        assert torch.allclose(single(x[k]), ref, atol=1e-6)
        assert torch.allclose(out[k], ref, atol=1e-6)
        assert torch.equal(big.select([k]).W[0], big.W[k])


def test_batched_training_matches_loop():
    """Training I instances as one model follows each instance's own trajectory."""
    w = importance(5)
    x = sparse_features(64, 5, 0.5, torch.Generator().manual_seed(2))
    big = ToyModel(5, 2, 3, generator=torch.Generator().manual_seed(3))
    singles = [big.select([k]) for k in range(3)]

    def loss(m, x):
        return weighted_mse(m(x), x, w)

    train(big, loss, (x,), steps=30, lr=1e-2, optimizer="adamw", progress=False)
    for k, s in enumerate(singles):
        train(s, loss, (x,), steps=30, lr=1e-2, optimizer="adamw", progress=False)
        assert torch.allclose(s.W[0], big.W[k], atol=1e-5)


def test_swish_tends_to_relu():
    x = torch.linspace(-3, 3, 10001)
    for gamma in (10.0, 30.0, 100.0):
        gap = (swish(x, gamma) - torch.relu(x)).abs().max()
        assert 0.27 / gamma < gap < 0.28 / gamma  # max of |x| sigmoid(-gamma |x|) is 0.2785 / gamma
    m = ToyModel(5, 2, 2, activation="swish", gamma=1000.0, generator=torch.Generator().manual_seed(0))
    r = ToyModel(5, 2, 2, generator=torch.Generator().manual_seed(0))
    x = torch.rand(16, 5)
    assert torch.allclose(m(x), r(x), atol=1e-3)


def test_model_argument_errors():
    with pytest.raises(ValueError, match="width"):
        ToyModel(2, 5)
    with pytest.raises(ValueError, match="activation"):
        ToyModel(5, 2, activation="tanh")
    with pytest.raises(ValueError, match="gamma"):
        ToyModel(5, 2, activation="swish", gamma=0.0)
    with pytest.raises(ValueError, match="width"):
        train_toy_models([0.5], d_in=2, width=3, steps=1)


def test_train_toy_models_learns_orthogonal_features_at_zero_sparsity():
    model, hist = train_toy_models([0.0, 0.0], steps=1500, batch_size=128, lr=2e-2,
                                   generator=torch.Generator().manual_seed(0),
                                   data_generator=torch.Generator().manual_seed(1))
    assert model.W.shape == (2, 2, 5) and len(hist.final_loss) == 2
    assert hist.final_loss.max() < hist.loss[0].min()
    assert torch.allclose(dims_per_feature(model.W), torch.ones(2), atol=0.05)
    grid = sweep_grid([0.1, 0.2], 3)
    assert torch.equal(torch.tensor(grid.column("sparsity")), torch.tensor([0.1] * 3 + [0.2] * 3))


# -------------------------------------------------------------------------- geometry


def test_dims_per_feature_known_values():
    two = torch.zeros(2, 5)
    two[0, 0], two[1, 1] = 1.0, 1.0  # two orthogonal unit features, three unrepresented
    assert torch.isclose(dims_per_feature(two), torch.tensor(1.0))
    assert torch.isclose(dims_per_feature(polygon(5)), torch.tensor(0.4))
    # the pentagon's D* depends on the norm (1.1 -> 0.33), its D_i does not
    assert torch.isclose(dims_per_feature(polygon(5, radius=1.1)), torch.tensor(0.4 / 1.21))
    assert torch.allclose(feature_dimensionality(polygon(5, radius=1.1)), torch.full((5,), 0.4), atol=1e-6)
    assert torch.allclose(feature_dimensionality(two), torch.tensor([1.0, 1, 0, 0, 0]))
    pair = torch.tensor([[1.0, -1.0, 0.0], [0.0, 0.0, 2.0]])  # antipodal pair + an orthogonal feature
    assert torch.allclose(feature_dimensionality(pair), torch.tensor([0.5, 0.5, 1.0]))


def test_feature_dimensionality_brute_force_and_batch():
    W = torch.randn(4, 3, 6, generator=torch.Generator().manual_seed(0))
    d = feature_dimensionality(W)
    for k in range(4):
        for i in range(6):
            wi = W[k, :, i]
            ref = wi.norm() ** 2 / sum(float((wi / wi.norm()) @ W[k, :, j]) ** 2 for j in range(6))
            assert math.isclose(float(d[k, i]), float(ref), rel_tol=1e-5)
    assert torch.allclose(dims_per_feature(W), 3 / (W**2).sum((1, 2)))
    # scale-free, and invariant under rotations of the hidden space
    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=torch.Generator().manual_seed(1)))
    assert torch.allclose(feature_dimensionality(2.5 * q @ W), d, atol=1e-5)


def test_classify_encoding():
    orth = torch.zeros(2, 5)
    orth[0, 0], orth[1, 1] = 1.0, 1.0
    pair1 = torch.zeros(2, 5)
    pair1[0, 0], pair1[0, 1], pair1[1, 2] = 1.0, -1.0, 1.0
    pairs2 = torch.zeros(2, 5)
    pairs2[0, 0], pairs2[0, 1], pairs2[1, 2], pairs2[1, 3] = 1.0, -1.0, 1.0, -1.0
    pent = polygon(5, radius=1.1)[:, torch.tensor([3, 0, 4, 1, 2])]  # order does not matter
    bent = polygon(5)
    bent[:, 0] = torch.tensor([math.cos(3.0), math.sin(3.0)])  # not regular, no antipodal pair
    enc = classify_encoding(torch.stack([orth, pair1, pairs2, pent, bent]))
    assert enc.labels == ["orthogonal", "antipodal pair + 1", "two antipodal pairs", "pentagon", "other"]
    assert enc.represented.tolist() == [2, 3, 4, 5, 5]
    assert enc.antipodal_pairs.tolist() == [0, 1, 2, 0, 0]
    rot = torch.tensor([[math.cos(1.0), -math.sin(1.0)], [math.sin(1.0), math.cos(1.0)]])
    assert classify_encoding(rot @ pent).labels == ["pentagon"]


def test_geometry_argument_errors():
    with pytest.raises(ValueError, match="W"):
        dims_per_feature(torch.zeros(5))
    with pytest.raises(ValueError, match="norm_threshold"):
        classify_encoding(torch.zeros(2, 5), norm_threshold=-1.0)


# ------------------------------------------------------------------------- posterior

def test_product_model_hessian_is_the_autograd_hessian_of_the_negative_log_posterior():
    from nnlab.superposition import product_model_hessian, product_model_posterior

    g = torch.Generator().manual_seed(0)
    x = torch.randn(50, generator=g, dtype=torch.float64)
    y = 0.8 * x + torch.randn(50, generator=g, dtype=torch.float64)
    sxx, sxy = float((x**2).sum()), float((x * y).sum())

    def neg_log_post(w):
        return 0.5 * ((y - x * w[0] * w[1]) ** 2).sum() + 0.5 * (w**2).sum()

    for w in ([0.3, -1.2], [1.0, 0.8], [0.0, 0.0]):
        w = torch.tensor(w, dtype=torch.float64)
        H = torch.autograd.functional.hessian(neg_log_post, w)
        torch.testing.assert_close(product_model_hessian(float(w[0]), float(w[1]), sxx, sxy), H)
    grid = torch.linspace(-2.5, 2.5, 201, dtype=torch.float64)
    fit = product_model_posterior(x, y, grid)
    assert float(fit.posterior.sum()) == pytest.approx(1.0) and float(fit.laplace.sum()) == pytest.approx(1.0)
    torch.testing.assert_close(fit.posterior, fit.posterior.flip(0, 1))  # symmetric under w -> -w
    # the MAP is a grid point where the gradient of the negative log posterior is small
    w_map = torch.tensor(fit.w_map, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(neg_log_post(w_map), w_map)
    assert float(grad.abs().max()) < float(fit.hessian.abs().max()) * float(grid[1] - grid[0])
    with pytest.raises(ValueError, match="grid"):
        product_model_posterior(x, y, grid.flip(0))
    with pytest.raises(ValueError, match="y must have shape"):
        product_model_posterior(x, y[:10], grid)
