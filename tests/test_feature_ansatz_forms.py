"""The exact forms of the ansatz, the rotation null, the top-r profile and the balanced linear network."""

import math

import pytest
import torch

import nnlab
from nnlab import feature_ansatz as fa


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_haar_orthogonal_is_orthogonal_and_unbiased():
    Q = fa.haar_orthogonal(5, 400, gen())
    eye = torch.eye(5, dtype=torch.float64)
    torch.testing.assert_close(Q @ Q.transpose(1, 2), eye.expand(400, 5, 5), atol=1e-12, rtol=0)
    # Haar: E[Q] = 0 and E[Q_ij^2] = 1/k (QR without the sign fix is biased to a positive diagonal)
    assert Q.mean(0).abs().max() < 0.15
    assert float((Q ** 2).mean()) == pytest.approx(1 / 5, rel=1e-9)
    assert float(torch.diagonal(Q, dim1=1, dim2=2).mean()) == pytest.approx(0, abs=0.05)


def test_rotated_correlations_identity_matches_the_ansatz_correlation():
    W = torch.randn(6, 4, generator=gen(), dtype=torch.float64)
    B = torch.randn(6, 6, generator=gen(1), dtype=torch.float64)
    G = B @ B.T
    out = fa.rotated_correlations(G, W, torch.eye(6, dtype=torch.float64)[None])
    agop_l = W.T @ G @ W
    assert float(out["a=1"][0]) == pytest.approx(fa.ansatz_correlation(W, agop_l, alpha=1.0), abs=1e-12)
    assert float(out["a=1/2"][0]) == pytest.approx(fa.ansatz_correlation(W, agop_l, alpha=0.5), abs=1e-9)
    assert float(out["G_p vs W W^T"][0]) == pytest.approx(fa.matrix_correlation(G, W @ W.T), abs=1e-12)
    # a batch of rotations equals the one-by-one computation with Q W in place of W
    Q = fa.haar_orthogonal(6, 3, gen(2))
    batch = fa.rotated_correlations(G, W, Q)
    for m in range(3):
        A = (Q[m] @ W).T @ G @ (Q[m] @ W)
        assert float(batch["a=1"][m]) == pytest.approx(fa.matrix_correlation(W.T @ W, A), abs=1e-12)


def test_isotropic_g_is_blind_to_the_rotation():
    # W "drops out" exactly when G_p ~ I: the null then changes nothing
    W = torch.randn(5, 5, generator=gen(), dtype=torch.float64)
    out = fa.rotated_correlations(2.0 * torch.eye(5, dtype=torch.float64), W, fa.haar_orthogonal(5, 4, gen(1)))
    torch.testing.assert_close(out["a=1"], torch.ones(4, dtype=torch.float64))
    # G_p = W W^T (the power-1/2 form): exact for the real W, broken by a rotation
    out = fa.rotated_correlations(W @ W.T, W, torch.cat([torch.eye(5, dtype=torch.float64)[None],
                                                          fa.haar_orthogonal(5, 4, gen(2))]))
    assert float(out["a=1/2"][0]) == pytest.approx(1.0, abs=1e-9)
    assert (out["a=1/2"][1:] < 0.999).all()


def test_exact_forms_zero_at_each_form_and_brute_force_minimum():
    W = torch.randn(6, 6, generator=gen(), dtype=torch.float64)
    assert fa.exact_forms(3.0 * torch.eye(6, dtype=torch.float64), W).iso == pytest.approx(0, abs=1e-7)
    f = fa.exact_forms(2.0 * W @ W.T, W)
    assert f.wwt == pytest.approx(0, abs=1e-7) and f.ansatz_half == pytest.approx(0, abs=1e-6)
    assert f.iso > 0.1 and f.ansatz_1 > 0.01
    # the distances are min_c ||X - c Y|| / ||X||: brute force over c
    B = torch.randn(6, 6, generator=gen(1), dtype=torch.float64)
    G = B @ B.T
    f = fa.exact_forms(G, W)
    U, s, _ = torch.linalg.svd(W)
    C, Y = U.T @ G @ U, torch.diag(s ** 2)
    scale = float((C * Y).sum() / (Y * Y).sum())
    cs = torch.linspace(0, 2 * scale, 40001, dtype=torch.float64)
    best = torch.linalg.norm(C - cs[:, None, None] * Y, dim=(1, 2)).min() / torch.linalg.norm(C)
    assert f.wwt == pytest.approx(float(best), abs=1e-6)
    assert f.cond2 == pytest.approx(float(s.max() / s.min()) ** 2)
    # the power-1 form equals the isotropy distance within the range of W
    assert f.iso == pytest.approx(fa.isotropy(G, W).distance_in_range, abs=1e-9)
    assert f.ansatz_1 == pytest.approx(fa.isotropy(G, W).ansatz_distance, abs=1e-9)


def test_ratio_of_the_residuals_is_bounded_by_cond_squared_and_goes_both_ways():
    ratios = []
    for seed in range(200):
        W = torch.randn(4, 4, generator=gen(seed), dtype=torch.float64)
        B = torch.randn(4, 4, generator=gen(1000 + seed), dtype=torch.float64) * torch.logspace(-2, 1, 4,
                                                                                                dtype=torch.float64)
        f = fa.exact_forms(B @ B.T, W)
        assert 1 / f.cond2 <= f.ratio_1 <= f.cond2
        ratios.append(f.ratio_1)
    assert min(ratios) < 1
    # G_p concentrated on the weakest singular direction of W: the isotropy residual is the smaller one
    f = fa.exact_forms(torch.diag(torch.tensor([1e-4, 1.0], dtype=torch.float64)),
                       torch.diag(torch.tensor([10.0, 1.0], dtype=torch.float64)))
    assert f.iso == pytest.approx(math.sqrt(0.5), abs=1e-3) and f.ratio_1 > 1.3


def test_isotropy_profile_matches_the_subspace_distance():
    W = torch.randn(7, 5, generator=gen(), dtype=torch.float64)
    B = torch.randn(7, 7, generator=gen(1), dtype=torch.float64)
    G = B @ B.T
    prof = fa.isotropy_profile(G, W)
    assert prof.shape == (5,) and prof[0] == pytest.approx(0, abs=1e-7)
    U = torch.linalg.svd(W, full_matrices=False)[0]
    for r in (2, 3, 5):
        assert float(prof[r - 1]) == pytest.approx(fa.isotropy(U[:, :r].T @ G @ U[:, :r]).distance, abs=1e-9)
    assert float(prof[-1]) == pytest.approx(fa.exact_forms(G, W).iso, abs=1e-9)


def test_balanced_linear_network_obeys_the_square_root_ansatz_exactly():
    nnlab.runtime.setup(seed=0)
    d, k, c = 8, 10, 3
    net = fa.balanced_linear(d, k, c, gen(), scale=0.3).double()
    W0, A0 = net[0].weight.detach().clone(), net[2].weight.detach().clone()
    torch.testing.assert_close(W0 @ W0.T, A0.T @ A0, atol=1e-7, rtol=0)  # balanced (float32 weights)
    X = torch.randn(200, d, generator=gen(1), dtype=torch.float64)
    B = torch.diag(torch.tensor([3.0, 2.0, 1.0], dtype=torch.float64))
    Y = X[:, :c] @ B

    def loss(m, x, t):
        return ((m(x) - t) ** 2).sum(-1).mean()

    nnlab.training.train(net, loss, (X, Y), steps=1500, lr=0.01, optimizer="sgd", progress=False)
    W, A = net[0].weight.detach(), net[2].weight.detach()
    Gp = fa.preactivation_agop(net, X, 0)
    torch.testing.assert_close(Gp, A.T @ A)  # the pre-activation gradients are the rows of A
    # balancedness is conserved by gradient flow (gradient descent: up to O(lr^2) per step)
    assert float((W @ W.T - A.T @ A).norm() / (A.T @ A).norm()) < 1e-2
    G = fa.layer_agops(net, X)[0]
    assert fa.ansatz_correlation(W, G, alpha=0.5) == pytest.approx(1.0, abs=1e-4)
    assert fa.ansatz_correlation(W, G, alpha=1.0) < 0.99  # distinct singular values: power 1 fails
    # rank c = 3 out of k = 10: far from isotropic over the whole space
    assert fa.isotropy(Gp).distance > 0.8
    # the trained weights carry the singular values of B: W^T W = (B^T B)^(1/2) on the relevant block
    torch.testing.assert_close(torch.linalg.eigvalsh(W.T @ W)[-3:], torch.tensor([1.0, 2.0, 3.0],
                                                                                 dtype=torch.float64), atol=2e-2,
                               rtol=0)


def test_rotation_null_real_column_matches_the_per_layer_functions():
    model = fa.make_mlp(5, 6, 2, gen()).double()
    X = torch.randn(30, 5, generator=gen(1), dtype=torch.float64)
    out = fa.rotation_null(model, X, draws=4, generator=gen(2), top=2)
    assert set(out) == set(fa.NULL_MEASURES) and all(v.shape == (2, 5) for v in out.values())
    initial = [m.weight.detach() for m in fa.linear_layers(model)]
    corr = fa.ansatz_correlations(model, X, initial)
    for layer in range(2):
        W = fa.linear_layers(model)[layer].weight.detach()
        Gp = fa.preactivation_agop(model, X, layer)
        assert float(out["a=1"][layer, 0]) == pytest.approx(corr["raw, uncentred, a=1"][layer], abs=1e-10)
        assert float(out["G_p vs W W^T"][layer, 0]) == pytest.approx(fa.matrix_correlation(Gp, W @ W.T), abs=1e-10)
        prof = fa.isotropy_profile(Gp, W)
        assert float(out["top-r isotropy"][layer, 0]) == pytest.approx(float(prof[1]), abs=1e-10)
        assert float(out["isotropy (range W)"][layer, 0]) == pytest.approx(float(prof[-1]), abs=1e-10)
        # the null column r equals the real computation for the rotated weight: W^T W is unchanged
        assert float(out["isotropy (range W)"][layer, 1:].min()) >= 0


def test_rfm_normalize_rescales_the_metric_to_unit_maximum():
    X = torch.randn(60, 4, generator=gen(), dtype=torch.float64)
    y = X[:, 0] * X[:, 1]
    plain = fa.RFM(iters=2)
    plain.fit(X, y)
    normed = fa.RFM(iters=2, normalize=True)
    normed.fit(X, y)
    assert float(normed.M.max()) == pytest.approx(1.0)
    # after one update the two metrics differ only by a positive factor
    M1p, M1n = plain.history.metrics["M"][1], normed.history.metrics["M"][1]
    assert fa.matrix_correlation(M1p, M1n) == pytest.approx(1.0, abs=1e-12)
