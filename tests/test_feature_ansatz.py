"""Tests of nnlab.feature_ansatz: AGOP, NFM, correlation, per-layer gradients, isotropy, RFM."""

import math

import pytest
import torch

from nnlab import feature_ansatz as fa


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


# ----------------------------------------------------------------------------- agop, nfm, corr

def test_agop_of_linear_function_is_outer_product():
    a = torch.randn(7, generator=gen(), dtype=torch.float64)
    X = torch.randn(30, 7, generator=gen(1), dtype=torch.float64)
    G = fa.agop(lambda x: a @ x, X)
    torch.testing.assert_close(G, torch.outer(a, a))
    # centred: the gradient is constant, so the centred AGOP vanishes
    assert fa.agop(lambda x: a @ x, X, centered=True).abs().max() < 1e-12


def test_agop_vector_output_sums_outputs_and_matches_loop():
    A = torch.randn(3, 5, generator=gen(), dtype=torch.float64)
    X = torch.randn(20, 5, generator=gen(1), dtype=torch.float64)

    def fn(x):
        return torch.tanh(A @ x)

    G = fa.agop(fn, X)
    loop = sum(torch.autograd.functional.jacobian(fn, x).T @ torch.autograd.functional.jacobian(fn, x) for x in X)
    torch.testing.assert_close(G, loop / len(X))
    assert torch.allclose(G, G.T) and torch.linalg.eigvalsh(G).min() > -1e-12


def test_nfm_and_correlation_properties():
    W = torch.randn(6, 4, generator=gen())
    W0 = torch.randn(6, 4, generator=gen(1))
    torch.testing.assert_close(fa.nfm(W), W.T @ W)
    torch.testing.assert_close(fa.nfm(W, W0), (W - W0).T @ (W - W0))
    A = fa.nfm(W)
    assert fa.matrix_correlation(A, 3.5 * A) == pytest.approx(1.0)
    assert fa.matrix_correlation(A, 2 * A + 7) == pytest.approx(1.0)  # mean-subtracted entries
    assert fa.matrix_correlation(A, -A) == pytest.approx(-1.0)
    B = torch.randn(4, 4, generator=gen(2))
    assert fa.matrix_correlation(A, B) == pytest.approx(fa.matrix_correlation(B, A))
    # Pearson correlation of the entries
    ref = torch.corrcoef(torch.stack([A.flatten(), B.flatten()]).double())[0, 1]
    assert fa.matrix_correlation(A, B) == pytest.approx(float(ref))


def test_psd_power_square_root():
    B = torch.randn(5, 5, generator=gen(), dtype=torch.float64)
    G = B @ B.T
    R = fa.psd_power(G, 0.5)
    torch.testing.assert_close(R @ R, G)
    torch.testing.assert_close(fa.psd_power(G, 1.0), G)
    W = torch.randn(8, 5, generator=gen(1), dtype=torch.float64)
    assert fa.ansatz_correlation(W, fa.nfm(W) @ fa.nfm(W), alpha=0.5) == pytest.approx(1.0)


@pytest.mark.parametrize("call, match", [
    (lambda: fa.matrix_correlation(torch.ones(3, 3), torch.ones(3, 4)), "same shape"),
    (lambda: fa.matrix_correlation(torch.ones(3, 3), torch.eye(3)), "constant"),
    (lambda: fa.nfm(torch.ones(3, 2), torch.ones(2, 3)), "W0 must have the shape"),
    (lambda: fa.nfm(torch.ones(3)), "2-d"),
    (lambda: fa.agop(lambda x: x.sum(), torch.ones(3)), "2-d"),
    (lambda: fa.agop(lambda x: x.sum(), torch.ones(3, 2), centered=1), "centered"),
    (lambda: fa.psd_power(torch.ones(2, 3), 0.5), "square"),
    (lambda: fa.psd_power(torch.eye(2), -1.0), "alpha"),
    (lambda: fa.ansatz_correlation(torch.ones(3, 2), torch.eye(3)), "d = W.shape"),
])
def test_value_errors_agop(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -------------------------------------------------------------------------------- networks

def test_layer_agops_match_subnetwork_agop_and_chain_rule():
    torch.manual_seed(0)
    model = fa.make_mlp(5, 6, 2, gen(), activation="tanh").double()
    X = torch.randn(25, 5, generator=gen(1), dtype=torch.float64)
    G = fa.layer_agops(model, X)
    assert [g.shape[0] for g in G] == [5, 6, 6]
    torch.testing.assert_close(G[0], fa.agop(lambda x: model(x), X))
    # layer 1: the sub-network from h_1 = tanh(W_0 x)
    h1 = torch.tanh(X @ model[0].weight.T)
    torch.testing.assert_close(G[1], fa.agop(lambda h: model[4](model[3](model[2](h))), h1))
    # AGOP_l = W_l^T G_p W_l (chain rule), and the readout AGOP is a^T a
    for layer, W in enumerate(fa.linear_layers(model)):
        Gp = fa.preactivation_agop(model, X, layer)
        torch.testing.assert_close(G[layer], W.weight.T @ Gp @ W.weight)
    a = model[-1].weight
    torch.testing.assert_close(G[-1], a.T @ a)


def test_isotropy_measures():
    iso = fa.isotropy(3 * torch.eye(4))
    assert iso.distance == pytest.approx(0, abs=1e-7) and iso.spread == pytest.approx(1)
    assert iso.rank_fraction == pytest.approx(1)
    v = torch.tensor([1.0, 2.0, 0.0, 0.0])
    iso = fa.isotropy(torch.outer(v, v))
    assert iso.distance == pytest.approx(math.sqrt(1 - 1 / 4)) and math.isinf(iso.spread)
    # within the range of W: G = diag(1, 1, 5) is isotropic on span(e1, e2)
    W = torch.tensor([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    iso = fa.isotropy(torch.diag(torch.tensor([1.0, 1.0, 5.0])), W)
    assert iso.distance_in_range == pytest.approx(0, abs=1e-7) and iso.distance > 0.3


def test_isotropy_distance_is_brute_force_minimum_and_ansatz_distance():
    B = torch.randn(5, 5, generator=gen(), dtype=torch.float64)
    G = B @ B.T
    cs = torch.linspace(0, 3 * float(torch.trace(G)) / 5, 20001, dtype=torch.float64)
    best = torch.linalg.norm(G - cs[:, None, None] * torch.eye(5, dtype=torch.float64), dim=(1, 2)).min()
    assert fa.isotropy(G).distance == pytest.approx(float(best / torch.linalg.norm(G)), abs=1e-6)
    # the ansatz residual min_c ||W^T G W - c W^T W|| / ||W^T G W||, by brute force over c
    W = torch.randn(5, 3, generator=gen(1), dtype=torch.float64)
    A, N = W.T @ G @ W, W.T @ W
    scale = float((A * N).sum() / (N * N).sum())
    cs = torch.linspace(0, 2 * scale, 20001, dtype=torch.float64)
    best = torch.linalg.norm(A - cs[:, None, None] * N, dim=(1, 2)).min() / torch.linalg.norm(A)
    iso = fa.isotropy(G, W)
    assert iso.ansatz_distance == pytest.approx(float(best), abs=1e-6)
    # an isotropic G gives a zero ansatz residual for any W; without W it is nan
    assert fa.isotropy(2 * torch.eye(5, dtype=torch.float64), W).ansatz_distance == pytest.approx(0, abs=1e-7)
    assert math.isnan(fa.isotropy(G).ansatz_distance)


def test_make_mlp_initializations():
    torch_init = fa.make_mlp(400, 300, 1, gen())
    W = torch_init[0].weight
    assert W.abs().max() <= 1 / math.sqrt(400) and W.var().item() == pytest.approx(1 / 1200, rel=0.02)
    he = fa.make_mlp(400, 300, 1, gen(), init="he")
    assert he[0].weight.var().item() == pytest.approx(2 / 400, rel=0.02)  # He: 6x the torch variance
    assert he[2].weight.var().item() == pytest.approx(1 / 300, rel=0.3)
    # PyTorch's own nn.Linear default has the same bound
    ref = torch.nn.Linear(400, 300, bias=False).weight
    assert ref.abs().max() <= 1 / math.sqrt(400) and ref.var().item() == pytest.approx(1 / 1200, rel=0.05)


def test_isotropic_preactivations_imply_ansatz():
    # A deep linear network with orthogonal later layers: G_p for the first layer is c*I,
    # so W_0^T W_0 is exactly proportional to the AGOP w.r.t. the input (power 1).
    d = 4
    model = torch.nn.Sequential(torch.nn.Linear(d, d, bias=False), torch.nn.Identity(),
                                torch.nn.Linear(d, d, bias=False))
    with torch.no_grad():
        model[0].weight.copy_(torch.randn(d, d, generator=gen()))
        model[2].weight.copy_(torch.linalg.qr(torch.randn(d, d, generator=gen(1)))[0])
    X = torch.randn(10, d, generator=gen(2))
    iso = fa.preactivation_isotropy(model, X, 0)
    assert iso.distance < 1e-5
    G = fa.layer_agops(model, X)[0]
    assert fa.ansatz_correlation(model[0].weight, G, alpha=1.0) == pytest.approx(1.0, abs=1e-6)


def test_square_root_ansatz_reformulation():
    # alpha = 1/2: if G_p = c W W^T then AGOP = W^T G_p W = c (W^T W)^2, so AGOP^(1/2) ~ W^T W exactly
    W = torch.randn(6, 6, generator=gen(), dtype=torch.float64)
    agop_l = W.T @ (3.0 * W @ W.T) @ W
    assert fa.ansatz_correlation(W, agop_l, alpha=0.5) == pytest.approx(1.0, abs=1e-9)
    assert fa.ansatz_correlation(W, agop_l, alpha=1.0) < 0.99  # but not with power 1


def test_ansatz_correlations_at_initialization():
    model = fa.make_mlp(6, 8, 2, gen())
    X = torch.randn(40, 6, generator=gen(1))
    initial = [m.weight.detach().clone() for m in fa.linear_layers(model)]
    corr = fa.ansatz_correlations(model, X, initial)
    assert list(corr) == list(fa.VARIANTS) and all(len(v) == 2 for v in corr.values())
    assert all(math.isnan(v) for v in corr["W0 sub, uncentred, a=1/2"])  # W - W0 = 0
    # before training W = W0, so the raw variant and the control are the same number
    assert corr["raw, uncentred, a=1/2"] == pytest.approx(corr["control: W0^T W0 vs G^1/2"])
    G = fa.layer_agops(model, X)
    assert corr["raw, uncentred, a=1"][1] == pytest.approx(fa.ansatz_correlation(model[2].weight, G[1], alpha=1.0))


def test_low_dim_task_targets():
    X, y = fa.low_dim_task(50, 5, gen(), "x1*x2")
    assert X.shape == (50, 5) and torch.allclose(y, X[:, 0] * X[:, 1])
    X, y = fa.low_dim_task(50, 5, gen(), "tanh(x1+x2+x3)", noise=0.0)
    assert torch.allclose(y, torch.tanh(X[:, :3].sum(1)))


@pytest.mark.parametrize("call, match", [
    (lambda: fa.ansatz_correlations(fa.make_mlp(3, 4, 1, gen()), torch.ones(5, 3), []), "initial"),
    (lambda: fa.low_dim_task(5, 3, gen(), "x1*x2", noise=-1.0), "noise"),
    (lambda: fa.jacobians(lambda x: x, torch.ones(3, 2), chunk=0), "chunk"),
    (lambda: fa.make_mlp(3, 4, 0, gen()), "depth"),
    (lambda: fa.make_mlp(3, 4, 1, gen(), activation="sine"), "activation"),
    (lambda: fa.make_mlp(3, 4, 1, gen(), init="xavier"), "init"),
    (lambda: fa.layer_agops(fa.make_mlp(3, 4, 1, gen()), torch.ones(5, 2)), "3 columns"),
    (lambda: fa.preactivation_isotropy(fa.make_mlp(3, 4, 1, gen()), torch.ones(5, 3), 2), "layer"),
    (lambda: fa.isotropy(torch.eye(3), torch.ones(2, 2)), "W must have 3 rows"),
    (lambda: fa.linear_layers(torch.nn.ReLU()), "nn.Sequential"),
    (lambda: fa.low_dim_task(5, 1, gen(), "x1*x2"), "d_in must be"),
])
def test_value_errors_networks(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------------------------------- RFM

def naive_kernel_gradients(X, centers, alpha, M, L):
    """One sample and one center at a time (the definition)."""
    out = torch.zeros(len(X), X.shape[1], dtype=X.dtype)
    for j, x in enumerate(X):
        for i, c in enumerate(centers):
            u = x - c
            dist = torch.sqrt(u @ M @ u)
            if dist > 1e-10:
                out[j] += alpha[i] * torch.exp(-dist / L) * (-(M @ u) / (L * dist))
    return out


def test_kernel_gradients_closed_form_vs_autograd_and_loop():
    g = gen()
    X = torch.randn(6, 3, generator=g, dtype=torch.float64)
    C = torch.randn(9, 3, generator=g, dtype=torch.float64)
    B = torch.randn(3, 3, generator=g, dtype=torch.float64)
    M = B @ B.T + 0.1 * torch.eye(3, dtype=torch.float64)
    alpha = torch.randn(9, generator=g, dtype=torch.float64)
    L = 2.0
    closed = fa.kernel_gradients(X, C, alpha, M, L)[:, 0]
    Xg = X.clone().requires_grad_(True)
    (fa.laplace_kernel(Xg, C, M, L) @ alpha).sum().backward()
    torch.testing.assert_close(closed, Xg.grad)
    torch.testing.assert_close(closed, naive_kernel_gradients(X, C, alpha, M, L))
    # at the centers themselves the cusp term is dropped
    torch.testing.assert_close(fa.kernel_gradients(C, C, alpha, M, L)[:, 0], naive_kernel_gradients(C, C, alpha, M, L))


def test_laplace_kernel_values():
    X = torch.tensor([[0.0, 0.0], [3.0, 4.0]], dtype=torch.float64)
    K = fa.laplace_kernel(X, X, torch.eye(2, dtype=torch.float64), bandwidth=5.0)
    torch.testing.assert_close(K, torch.tensor([[1.0, math.exp(-1)], [math.exp(-1), 1.0]], dtype=torch.float64))
    M = torch.diag(torch.tensor([4.0, 0.0], dtype=torch.float64))  # distance only along x1, doubled
    assert fa.laplace_kernel(X, X, M, 6.0)[0, 1] == pytest.approx(math.exp(-1))


def test_rfm_recovers_relevant_coordinates():
    X, y = fa.low_dim_task(300, 8, gen(), "x1*x2")
    Xt, yt = fa.low_dim_task(300, 8, gen(1), "x1*x2")
    model = fa.RFM(bandwidth=10.0, reg=1e-3, iters=3)
    hist = model.fit(X.double(), y.double(), Xt.double(), yt.double())
    assert hist is model.history and hist.steps == [0, 1, 2, 3]
    assert hist.metrics["M"][0].equal(torch.eye(8, dtype=torch.float64))
    # R^2 = 1 - MSE / Var(y): the recorded loss and train R^2 are one quantity seen twice
    var = float(y.double().var(unbiased=False))
    assert hist.metrics["train_r2"] == pytest.approx([1 - mse / var for mse in hist.loss], abs=1e-9)
    M = model.M
    assert M[:2, :2].diagonal().min() > 5 * M[2:, 2:].diagonal().max()
    assert model.test_r2[-1] > model.test_r2[0] + 0.1
    top = torch.linalg.eigh(M).eigenvectors[:, -2:]
    assert (top[:2] ** 2).sum() > 1.9  # the top-2 eigenvectors live on coordinates 1, 2
    assert model.predict(Xt.double()).shape == (300,)


@pytest.mark.parametrize("call, match", [
    (lambda: fa.RFM(bandwidth=0.0), "bandwidth"),
    (lambda: fa.RFM(iters=-1), "iters"),
    (lambda: fa.RFM().fit(torch.ones(4, 2), torch.ones(3)), "y must be"),
    (lambda: fa.RFM().fit(torch.ones(4, 2), torch.ones(4), torch.ones(4, 3), torch.ones(4)), "X_test"),
    (lambda: fa.RFM().predict(torch.ones(4, 2)), "fitted"),
    (lambda: fa.laplace_kernel(torch.ones(4, 2), torch.ones(3, 3), torch.eye(2)), "same number of columns"),
    (lambda: fa.laplace_kernel(torch.ones(4, 2), torch.ones(3, 2), torch.eye(3)), "M must be"),
    (lambda: fa.kernel_gradients(torch.ones(4, 2), torch.ones(3, 2), torch.ones(4), torch.eye(2)), "alpha"),
    (lambda: fa.r2_score(torch.ones(3), torch.ones(3)), "constant"),
])
def test_value_errors_rfm(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_isotropy_report_matches_the_per_layer_functions():
    start = fa.make_mlp(6, 8, 2, gen(3)).double()
    model = fa.make_mlp(6, 8, 2, gen(4)).double()  # stands in for the trained network
    X = torch.randn(40, 6, generator=gen(5), dtype=torch.float64)
    reports = fa.isotropy_report(model, start, X)
    corr = fa.ansatz_correlations(model, X, [m.weight.detach() for m in fa.linear_layers(start)])
    assert [r.layer for r in reports] == [0, 1] and reports[0].shape == (8, 6)
    for r in reports:
        W = fa.linear_layers(model)[r.layer].weight.detach()
        assert r.corr == {v: corr[v][r.layer] for v in fa.VARIANTS}
        assert r.isotropy.distance_in_range == fa.preactivation_isotropy(model, X, r.layer).distance_in_range
        assert r.isotropy_init.distance == fa.preactivation_isotropy(start, X, r.layer).distance
        s = torch.linalg.svdvals(W)
        assert r.cond2 == pytest.approx(float(s[0] / s[-1]) ** 2)
        Gp = fa.preactivation_agop(model, X, r.layer)
        assert r.corr_gp_wwt == pytest.approx(fa.matrix_correlation(Gp, W @ W.T))
    with pytest.raises(ValueError, match="initial"):
        fa.isotropy_report(model, fa.make_mlp(6, 9, 2, gen(6)).double(), X)
