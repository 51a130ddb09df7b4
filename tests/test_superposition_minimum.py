"""Newton refinement, Hessian spectra, the Gaussian LLC, the (gamma, step) grid and paired loss gaps."""

import math

import torch
from torch import nn

from nnlab import superposition as sp


def gen(seed):
    return torch.Generator().manual_seed(seed)


def test_gaussian_llc_matches_monte_carlo_of_the_gaussian():
    # E[n beta (1/2) w^T H w] under N(0, (n beta H + gamma)^-1), sampled directly
    h = torch.tensor([0.01, 0.1, 1.0, 0.0], dtype=torch.float64)
    nbeta, gamma = 200.0, 3.0
    prec = nbeta * h + gamma
    w = torch.randn(400_000, 4, generator=gen(0), dtype=torch.float64) / prec.sqrt()
    mc = (0.5 * nbeta * (h * w**2).sum(1)).mean()
    assert abs(float(sp.gaussian_llc(h, nbeta, gamma)) - float(mc)) < 0.01
    assert float(sp.gaussian_llc(h, nbeta, 0.0)) == 1.5  # three positive eigenvalues, no localization: d/2


def test_newton_gap_is_the_exact_decrease_of_a_quadratic():
    A = torch.tensor([[2.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 0.0]], dtype=torch.float64)  # one flat direction
    c = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64)
    theta = torch.tensor([0.3, 0.7, 5.0], dtype=torch.float64)
    f = lambda t: 0.5 * t @ A @ t - c @ t  # noqa: E731
    t_min = torch.cat([torch.linalg.solve(A[:2, :2], c[:2]), theta[2:]])
    g = A @ theta - c
    gap = sp.newton_gap(g[None], A[None])[0]
    assert abs(float(gap) - float(f(theta) - f(t_min))) < 1e-12


def _trained_instances():
    model, _ = sp.train_toy_models(torch.tensor([0.7, 0.9]), 1, steps=400, batch_size=256, lr=1e-2,
                                   generator=gen(1), data_generator=gen(2))
    x = sp.sparse_features(3000, 5, torch.tensor([0.7, 0.9]), gen(3))
    return model.W.detach(), model.b.detach(), x


def test_refine_reaches_a_stationary_point_checked_by_finite_differences():
    W, b, x = _trained_instances()
    m = sp.refine_toy_minimum(W, b, x)
    assert bool((m.loss <= m.start_loss + 1e-15).all())
    assert bool((m.gap.abs() < 1e-10).all()) and bool((m.start_gap > m.gap).all())
    # central differences of the loss (computed independently with weighted_mse) vanish at the refined point
    wts = sp.importance(5).double()

    def k_n(Wk, bk):
        return 0.5 * sp.weighted_mse(sp.reconstruct(Wk, bk, x.double()), x.double(), wts)

    eps = 1e-6
    for idx in [(0, 0, 0), (1, 1, 3)]:
        Wp, Wm = m.W.clone(), m.W.clone()
        Wp[idx] += eps
        Wm[idx] -= eps
        fd = (k_n(Wp, m.b) - k_n(Wm, m.b)) / (2 * eps)
        assert abs(float(fd[idx[0]])) < 1e-7


def test_rotation_is_a_zero_eigendirection_of_the_hessian():
    W, b, x = _trained_instances()
    m = sp.refine_toy_minimum(W, b, x)
    _, _, H = sp.toy_loss_derivatives(m.W, m.b, x)
    J = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=torch.float64)
    for i in range(2):
        v = torch.cat([(J @ m.W[i]).flatten(), torch.zeros(5, dtype=torch.float64)])
        v = v / v.norm()
        assert float((H[i] @ v).norm()) < 1e-6 * float(H[i].norm())  # W -> R W leaves W^T W unchanged
    # and the spectrum is invariant under a rotation of the hidden plane
    c, s = math.cos(0.7), math.sin(0.7)
    R = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    _, _, H_rot = sp.toy_loss_derivatives(R @ m.W, m.b, x)
    assert torch.allclose(torch.linalg.eigvalsh(H_rot), torch.linalg.eigvalsh(H), atol=1e-10)


class _Linear(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(d))

    def forward(self, x):
        return x @ self.w


def test_llc_grid_matches_the_gaussian_value_of_a_regular_model():
    # y = 0, f = x.w: L_n = (1/2) w^T S w with S the sample covariance; w* = 0 is the exact minimum
    x = torch.randn(400, 3, generator=gen(4)) * torch.tensor([0.3, 1.0, 2.0])
    S = (x.T @ x / len(x)).double()
    model = _Linear(3)

    def loss(f, xb):
        return 0.5 * (f(xb) ** 2).mean()

    nbeta = 50.0
    res = sp.sgld_llc_grid(model, loss, (x,), [10.0, 1.0], [2e-3], nbeta=nbeta, steps=3000, burnin=500, chains=32,
                           generator=gen(5))
    for i, g in enumerate([10.0, 1.0]):
        exact = float(sp.gaussian_llc(torch.linalg.eigvalsh(S), nbeta, g))
        assert abs(float(res.llc[i, 0]) - exact) < 0.08 * exact + 3 * float(res.se[i, 0])
    assert res.llc.shape == (2, 1) and res.llc_per_chain.shape == (2, 1, 32)


def test_paired_gap_agrees_with_independent_evaluations_and_vanishes_for_one_instance():
    W, b, _ = _trained_instances()
    model = sp.ToyModel(5, 2, 2)
    with torch.no_grad():
        model.W.copy_(W)
        model.b.copy_(b)
    s = torch.tensor([0.7, 0.7])
    gap, se = sp.paired_loss_gap(model, torch.tensor([0]), torch.tensor([1]), s[:1], batch=20_000, seed=1)
    separate = sp.evaluate_toy_models(model, s, batch=200_000, seed=2)
    assert abs(float(gap[0]) - float(separate[0] - separate[1])) < 4 * float(se[0]) + 2e-4
    zero, zero_se = sp.paired_loss_gap(model, torch.tensor([1]), torch.tensor([1]), s[:1], batch=100)
    assert float(zero[0]) == 0.0 and float(zero_se[0]) == 0.0


def test_weight_decay_shrinks_the_weights():
    kw = dict(steps=200, batch_size=64, lr=1e-2, generator=gen(1), data_generator=gen(2))
    plain, _ = sp.train_toy_models(torch.tensor([0.99]), 4, **kw)
    decayed, _ = sp.train_toy_models(torch.tensor([0.99]), 4, weight_decay=5.0, **kw)
    assert float(decayed.W.detach().norm()) < 0.8 * float(plain.W.detach().norm())
