"""The rainbow chapter's controls and new measures, each against an independent value."""

import math

import pytest
import torch

from nnlab import rainbow as rb
from nnlab.runtime import generator
from nnlab.training import Ensemble


def random_orthogonal(d: int, g: torch.Generator) -> torch.Tensor:
    q, r = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))


def test_cosine_ceiling_matches_monte_carlo_and_the_isotropic_floor():
    g = generator(0)
    d, N = 16, 24
    # isotropic: the closed form 1 / (1 + (d + 1) / N)
    assert float(rb.cosine_ceiling(torch.eye(d, dtype=torch.float64), N)) == pytest.approx(1 / (1 + (d + 1) / N))
    # an anisotropic C: Monte Carlo over pairs of Gaussian estimates from N rows each
    L = torch.randn(d, d, generator=g, dtype=torch.float64) * torch.linspace(0.1, 2.0, d, dtype=torch.float64)
    C = L @ L.T / d
    Z = torch.randn(2, 4000, N, d, generator=g, dtype=torch.float64) @ torch.linalg.cholesky(C).T
    Ch = Z.transpose(-1, -2) @ Z / N
    mc = rb.matrix_cosine(Ch[0], Ch[1]).mean()
    assert float(rb.cosine_ceiling(C, N)) == pytest.approx(float(mc), abs=0.02)
    # an estimated C (R pooled rows) is debiased back to the ceiling of the true C
    R = 100
    W = torch.randn(300, R, d, generator=g, dtype=torch.float64) @ torch.linalg.cholesky(C).T
    C_hat = W.transpose(-1, -2) @ W / R
    biased = torch.stack([rb.cosine_ceiling(c, N) for c in C_hat]).mean()
    debiased = torch.stack([rb.cosine_ceiling(c, N, pooled=R) for c in C_hat]).mean()
    true = rb.cosine_ceiling(C, N)
    assert float(biased) > float(true) + 0.005  # an estimated C looks more anisotropic than it is
    assert abs(float(debiased - true)) < 0.5 * abs(float(biased - true))


def test_half_cosines_equal_for_iid_rows_and_split_for_complementary_halves():
    g = generator(1)
    iid = torch.randn(40, 64, 8, generator=g, dtype=torch.float64)
    within, between = rb.half_cosines(iid)
    assert float(within.mean()) == pytest.approx(float(between.mean()), abs=0.03)
    # each network's rows: an orthonormal basis; its halves span complementary subspaces
    d = 8
    frames = torch.stack([random_orthogonal(d, g) for _ in range(30)]) * math.sqrt(d)  # rows = basis vectors
    within, between = rb.half_cosines(frames)
    torch.testing.assert_close(within, torch.zeros(30, dtype=torch.float64), atol=1e-12, rtol=0)
    assert float(between.mean()) == pytest.approx(0.5, abs=0.05)  # two random d/2-dimensional projectors


def test_residual_formula_needs_orthonormal_columns():
    g = generator(2)
    phi = torch.relu(torch.randn(300, 12, generator=g, dtype=torch.float64))  # wider than the reference
    phi_ref = torch.relu(torch.randn(300, 5, generator=g, dtype=torch.float64)) + phi[:, :5]
    A, _ = rb.align(phi_ref, phi)  # [5, 12], orthonormal rows
    s = torch.linalg.svdvals(rb.cross_covariance(phi_ref, phi)).sum()
    brute = ((phi_ref - phi @ A.T) ** 2).sum(1).mean()
    S11, S22 = rb.cross_covariance(phi_ref, phi_ref), rb.cross_covariance(phi, phi)
    general = torch.trace(S11) + torch.trace(A @ S22 @ A.T) - 2 * s
    naive = torch.trace(S11) + torch.trace(S22) - 2 * s
    torch.testing.assert_close(brute, general)
    assert float(naive) > float(brute) + 1e-3  # the square-A formula overstates the residual
    # with orthonormal columns (phi narrower than phi_ref) the naive form is exact
    A2, _ = rb.align(phi, phi_ref)  # [12, 5]
    brute2 = ((phi - phi_ref @ A2.T) ** 2).sum(1).mean()
    torch.testing.assert_close(brute2, torch.trace(S22) + torch.trace(S11) - 2 * s)


def test_explained_fraction_is_one_up_to_scale():
    g = generator(3)
    phi = torch.relu(torch.randn(100, 6, generator=g, dtype=torch.float64))
    Q = random_orthogonal(6, g)
    _, rho = rb.align(3.0 * phi @ Q.T, phi)
    assert float(rho) == pytest.approx(1.0)


def test_mean_alignment_zero_for_rotations_and_one_minus_one_over_m_for_unrelated():
    g = generator(4)
    base = torch.relu(torch.randn(200, 6, generator=g, dtype=torch.float64))
    Qs = torch.stack([random_orthogonal(6, g) for _ in range(4)])
    phi = base @ Qs.transpose(1, 2)  # four rotated copies
    _, unexplained = rb.mean_alignment(phi, iters=2)
    assert float(unexplained) == pytest.approx(0.0, abs=1e-10)
    # networks active on disjoint inputs: no cross-covariance at all
    M, n = 4, 200
    phi = torch.zeros(M, n, 6, dtype=torch.float64)
    for k in range(M):
        phi[k, k * 50:(k + 1) * 50] = torch.rand(50, 6, generator=g, dtype=torch.float64)
    _, unexplained = rb.mean_alignment(phi, iters=1)
    assert float(unexplained) == pytest.approx(1 - 1 / M, abs=1e-10)


def test_held_out_explained_is_one_for_a_permuted_copy_centred_or_not():
    g = generator(5)
    net = rb.mlp_ensemble([5, 7, 6, 3], 1, g)
    W1, W2, W3 = (W.detach()[0] for W in net.weights)
    p1, p2 = torch.randperm(7, generator=g), torch.randperm(6, generator=g)
    W1p, W2p, W3p = W1[p1], W2[p2][:, p1], W3[:, p2]
    model = Ensemble.from_layers([torch.stack([W1, W1p]), torch.stack([W2, W2p]), torch.stack([W3, W3p])])
    X, X2 = torch.randn(50, 5, generator=g), torch.randn(40, 5, generator=g)
    for centered in (False, True):
        for e in rb.held_out_explained(model, X, X2, centered=centered):
            assert float(e[0]) == pytest.approx(1.0, abs=1e-5)


def test_clip_is_the_best_rank_k_projection():
    g = generator(6)
    W = torch.randn(3, 20, 8, generator=g, dtype=torch.float64)
    torch.testing.assert_close(rb.clip(W, 8), W)
    for k in (1, 3, 5):
        Wk = rb.clip(W, k)
        assert all(int(torch.linalg.matrix_rank(w)) == k for w in Wk)
        # Eckart-Young: the top-k right singular subspace keeps sum of the top k squared singular values
        s = torch.linalg.svdvals(W)
        torch.testing.assert_close(Wk.pow(2).sum((-1, -2)), s[:, :k].pow(2).sum(-1))
        rand = rb.clip(W, k, generator(7))
        assert bool((rand.pow(2).sum((-1, -2)) <= Wk.pow(2).sum((-1, -2)) + 1e-12).all())


def test_linear_map_explained_recovers_an_exact_map_and_rejects_noise():
    g = generator(8)
    W0 = torch.randn(3, 60, 6, generator=g, dtype=torch.float64)
    T = torch.eye(6, dtype=torch.float64) + 0.5 * torch.randn(6, 6, generator=g, dtype=torch.float64)
    explained, null, of_trained = rb.linear_map_explained(W0, W0 @ T, generator=generator(9))
    torch.testing.assert_close(explained, torch.ones(3, dtype=torch.float64))
    torch.testing.assert_close(of_trained, torch.ones(3, dtype=torch.float64))
    assert bool((null < 0.5).all())
    noise = rb.linear_map_explained(W0, W0 + torch.randn(3, 60, 6, generator=g, dtype=torch.float64),
                                    generator=generator(9))[0]
    assert bool((noise < 0.05).all())  # a random change is not a linear function of the initialization


def test_sgd_is_rotation_equivariant_and_adam_is_not():
    g = generator(10)
    X = torch.randn(64, 6, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (64,), generator=g)
    Q = random_orthogonal(6, g)
    base = rb.mlp_ensemble([6, 8, 3], 2, generator(11)).double()
    gaps = {}
    for opt, kw in (("sgd", dict(lr=0.05, momentum=0.9)), ("adam", dict(lr=0.01))):
        a = base.select([0, 1])
        b = Ensemble.from_layers([base.weights[0].detach() @ Q.T, base.weights[1].detach()])  # W1 Q^T on inputs Q x
        rb.train_mlps(a, X, y, epochs=5, batch_size=16, optimizer=opt, generator=generator(12), **kw)
        rb.train_mlps(b, X @ Q.T, y, epochs=5, batch_size=16, optimizer=opt, generator=generator(12), **kw)
        gaps[opt] = float((b.weights[0].detach() - a.weights[0].detach() @ Q.T).abs().max())
    assert gaps["sgd"] < 1e-10
    assert gaps["adam"] > 1e-3
