import math

import numpy as np
import pytest
import torch

from nnlab import rainbow as rb
from nnlab.datasets import digits
from nnlab.runtime import generator
from nnlab.training import Ensemble, train


def random_orthogonal(d: int, g: torch.Generator) -> torch.Tensor:
    q, r = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))


# ------------------------------------------------------------------ alignment

def test_cross_covariance_matches_loop():
    g = generator(0)
    a, b = torch.randn(50, 3, generator=g), torch.randn(50, 4, generator=g)
    brute = sum(torch.outer(a[i], b[i]) for i in range(50)) / 50
    torch.testing.assert_close(rb.cross_covariance(a, b), brute)


def test_align_recovers_random_rotation_exactly():
    g = generator(1)
    phi = torch.relu(torch.randn(3, 200, 8, generator=g, dtype=torch.float64))  # batch of 3 networks
    Q = torch.stack([random_orthogonal(8, g) for _ in range(3)])  # [3, 8, 8]
    phi_ref = phi @ Q.transpose(1, 2)  # phi_ref = Q phi
    A, explained = rb.align(phi_ref, phi)
    torch.testing.assert_close(A, Q)
    torch.testing.assert_close(explained, torch.ones(3, dtype=torch.float64))
    # A is orthogonal and the explained fraction on other data is also 1
    torch.testing.assert_close(A @ A.transpose(1, 2), torch.eye(8, dtype=torch.float64).expand(3, 8, 8))
    other = torch.randn(3, 30, 8, generator=g, dtype=torch.float64)
    torch.testing.assert_close(rb.explained_fraction(other @ Q.transpose(1, 2), other, A),
                               torch.ones(3, dtype=torch.float64))


def test_align_is_the_best_orthogonal_map_and_explained_is_below_one():
    g = generator(2)
    phi_ref = torch.randn(100, 5, generator=g, dtype=torch.float64)
    phi = torch.randn(100, 5, generator=g, dtype=torch.float64)
    A, explained = rb.align(phi_ref, phi)
    best = ((phi_ref - phi @ A.T) ** 2).sum(1).mean()
    for _ in range(20):  # no random orthogonal matrix does better (Procrustes optimality)
        Q = random_orthogonal(5, g)
        assert ((phi_ref - phi @ Q.T) ** 2).sum(1).mean() >= best - 1e-12
    assert 0 < float(explained) < 1
    # the explained fraction equals <A, Sigma_12> / sqrt(tr Sigma_11 tr Sigma_22) computed by hand
    s11, s22 = phi_ref.T @ phi_ref / 100, phi.T @ phi / 100
    by_hand = (A * (phi_ref.T @ phi / 100)).sum() / torch.sqrt(torch.trace(s11) * torch.trace(s22))
    torch.testing.assert_close(explained, by_hand)
    torch.testing.assert_close(rb.explained_fraction(phi_ref, phi, A), explained)


def test_align_handles_different_widths():
    g = generator(3)
    phi = torch.randn(60, 4, generator=g, dtype=torch.float64)
    Q = random_orthogonal(6, g)[:, :4]  # an isometric embedding R^4 -> R^6
    A, explained = rb.align(phi @ Q.T, phi)
    assert A.shape == (6, 4)
    torch.testing.assert_close(A, Q)
    assert float(explained) == pytest.approx(1.0)


def test_align_network_undoes_a_permutation_of_hidden_units():
    model = rb.mlp_ensemble([5, 7, 6, 3], 1, generator(4))
    p1, p2 = torch.randperm(7, generator=generator(5)), torch.randperm(6, generator=generator(6))
    w1, w2, w3 = (w.detach()[0] for w in model.weights)
    permuted = Ensemble.from_layers([w1[p1][None], w2[p2][:, p1][None], w3[:, p2][None]])
    both = Ensemble.from_layers([torch.cat([a.detach(), b.detach()]) for a, b in zip(model.weights, permuted.weights)])
    X = torch.randn(40, 5, generator=generator(7))
    al = rb.align_network(both, X, reference=0)
    for e in al.explained:
        torch.testing.assert_close(e, torch.ones(2), atol=1e-5, rtol=0)
    # in the reference's input basis the permuted weights equal the reference's, up to the
    # order of their own output units (which the next layer's alignment takes care of)
    for w, rows in zip(al.weights, [p1, p2, torch.arange(3)]):
        torch.testing.assert_close(w[1], w[0][rows], atol=1e-5, rtol=0)


# ------------------------------------------------------------------ covariance

def test_weight_covariance_converges_to_the_covariance_used():
    g = generator(8)
    L = torch.randn(4, 4, generator=g, dtype=torch.float64)
    C = L @ L.T / 4 + 0.1 * torch.eye(4, dtype=torch.float64)
    W = torch.randn(10, 5000, 4, generator=g, dtype=torch.float64) @ torch.linalg.cholesky(C).T  # 10 nets
    est = rb.weight_covariance(W)
    assert torch.linalg.matrix_norm(est - C) / torch.linalg.matrix_norm(C) < 0.02
    # pooled over networks = the average of per-network covariances
    torch.testing.assert_close(est, torch.stack([rb.weight_covariance(w) for w in W]).mean(0))


def test_marchenko_pastur_density_moments_and_empirical_spectrum():
    ratio, var = 0.25, 2.0
    lo, hi = rb.marchenko_pastur_edges(ratio, var)
    assert (lo, hi) == pytest.approx((var * 0.25, var * 2.25))
    x, p = rb.marchenko_pastur(ratio, var, points=200_001)
    assert np.trapezoid(p, x) == pytest.approx(1.0, abs=1e-3)
    assert np.trapezoid(x * p, x) == pytest.approx(var, rel=1e-3)  # mean eigenvalue = sigma^2
    assert np.trapezoid(x**2 * p, x) == pytest.approx(var**2 * (1 + ratio), rel=1e-3)  # second moment
    _, p_big = rb.marchenko_pastur(4.0, var, points=200_001)  # ratio > 1: bulk mass 1 / ratio
    x_big = np.linspace(*rb.marchenko_pastur_edges(4.0, var), 200_001)
    assert np.trapezoid(p_big, x_big) == pytest.approx(0.25, abs=1e-3)
    # the eigenvalues of W^T W / N for Gaussian W fill the predicted support
    W = torch.randn(2000, 500, generator=generator(9), dtype=torch.float64) * math.sqrt(var)
    ev = torch.linalg.eigvalsh(rb.weight_covariance(W)).numpy()
    assert ev.min() > 0.9 * lo and ev.max() < 1.1 * hi
    assert ev.mean() == pytest.approx(var, rel=0.02)


def test_isotropic_and_matrix_cosine():
    C = torch.diag(torch.tensor([1.0, 2.0, 3.0]))
    torch.testing.assert_close(rb.isotropic(C), 2.0 * torch.eye(3))
    assert float(rb.matrix_cosine(C, 5 * C)) == pytest.approx(1.0)
    assert float(rb.matrix_cosine(C, torch.tensor([[0.0, 1.0, 0], [1.0, 0, 0], [0, 0, 0]]))) == pytest.approx(0.0)


# ------------------------------------------------------------------ models and resampling

def test_batched_mlp_matches_a_loop_over_members():
    model = rb.mlp_ensemble([6, 5, 4, 3], 3, generator(10))
    x = torch.randn(7, 6, generator=generator(11))
    out = model(x)
    for m in range(3):
        w1, w2, w3 = (w.detach()[m] for w in model.weights)
        torch.testing.assert_close(out[m], torch.relu(torch.relu(x @ w1.T) @ w2.T) @ w3.T)
    assert model.sizes == [6, 5, 4, 3] and model.members == 3
    assert float(model.weights[0].detach().abs().max()) <= 1 / math.sqrt(6)  # U(-1/sqrt(fan_in), 1/sqrt(fan_in))


def test_batched_training_matches_separate_training_on_the_batches_each_member_saw():
    """Each member follows the trajectory of a network trained alone on the minibatches it was given.

    The batches are observed (not regenerated from the generator), so any correct per-member
    shuffler passes; each member must see every sample once per epoch, in its own order.
    """
    s = digits(seed=0)
    X, y = s.X_train[:128], s.y_train[:128]
    model = rb.mlp_ensemble([64, 8, 8, 10], 2, generator(12))
    single = model.select([1])
    seen = []

    def loss(m, xb, yb):
        if m is model and torch.is_grad_enabled():
            seen.append((xb.detach().clone(), yb.clone()))
        return rb.cross_entropy(m, xb, yb)

    history = train(model, loss, (X, y), steps=8, lr=1e-3, optimizer="adam", batch_size=32,
                    shuffle="per_member", generator=generator(13), record_every=4, progress=False)
    assert history.steps == [0, 4, 8] and history.array().shape == (3, 2)  # at the start and after each epoch
    rows = {tuple(r.tolist()): i for i, r in enumerate(X)}
    for epoch in (seen[:4], seen[4:]):
        for m in range(2):
            order = [rows[tuple(r.tolist())] for xb, _ in epoch for r in xb[m]]
            assert sorted(order) == list(range(128))  # every sample once per epoch
    assert not torch.equal(seen[0][0][0], seen[0][0][1])  # the members' orders differ
    train(single, rb.cross_entropy, lambda t: (seen[t][0][1], seen[t][1][1]), steps=8, lr=1e-3,
          optimizer="adam", progress=False)
    for a, b in zip(model.weights, single.weights):
        torch.testing.assert_close(a.detach()[1], b.detach()[0], atol=1e-5, rtol=1e-4)


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    s = digits(seed=0)
    model = rb.mlp_ensemble([64, 32, 32, 10], 3, generator(14))
    rb.train_mlps(model, s.X_train, s.y_train, epochs=8, batch_size=32, lr=2e-3, generator=generator(15))
    return s, model


def test_resample_shapes_and_above_chance_accuracy(trained):
    s, model = trained
    assert float(rb.accuracy(model, s.X_test, s.y_test).min()) > 0.9
    al = rb.align_network(model, s.X_train, reference=0)
    assert all(float(e[0]) == pytest.approx(1.0, abs=1e-4) for e in al.explained)  # reference vs itself
    covs = [rb.weight_covariance(w) for w in al.weights[:-1]]
    res = rb.resample(model, covs, 0, s.X_train, draws=4, generator=generator(16))
    assert res.members == 4 and res.sizes == [64, 32, 32, 10]
    acc = rb.accuracy(res, s.X_test, s.y_test)
    assert float(acc.mean()) > 0.5  # chance is 0.1
    wide = rb.resample(model, covs, 0, s.X_train, draws=2, widths=[48, 40], generator=generator(17))
    assert wide.sizes == [64, 48, 40, 10]
    # a retrained classifier on the resampled features does at least about as well
    head, hist = rb.fit_classifier(res.hidden(s.X_train)[-1], s.y_train)
    assert hist.steps[-1] == 100 and head.members == 4
    retrained = Ensemble.from_layers([*list(res.weights)[:-1], head.weights[0]])
    assert float(rb.accuracy(retrained, s.X_test, s.y_test).mean()) > float(acc.mean()) - 0.02


def test_resample_draws_rows_from_the_covariances_in_the_reference_basis(trained):
    s, model = trained
    X = s.X_train[:300]
    covs = [rb.weight_covariance(w) for w in rb.align_network(model, X).weights[:-1]]
    res = rb.resample(model, covs, 0, X, draws=100, generator=generator(19))
    w1, w2, w3 = (w.detach() for w in res.weights)
    with torch.no_grad():
        h1, h2 = res.hidden(X)
        ref1, ref2 = model.select([0]).hidden(X)
    A1, _ = rb.align(ref1[0], h1)  # recomputed here: the alignment of each draw to the reference
    A2, _ = rb.align(ref2[0], h2)
    rel = [float(torch.linalg.matrix_norm(rb.weight_covariance(w) - C) / torch.linalg.matrix_norm(C))
           for w, C in ((w1, covs[0]), (w2 @ A1.transpose(1, 2), covs[1]))]  # rows ~ N(0, C_l) in the ref basis
    assert max(rel) < 0.15, rel  # 3200 rows of dimension 64 or 32
    torch.testing.assert_close(w3, model.weights[-1].detach()[0] @ A2)  # the reference's classifier, realigned


def test_resample_with_the_trained_first_layer_keeps_it_and_is_reproducible(trained):
    s, model = trained
    covs = [rb.weight_covariance(w) for w in rb.align_network(model, s.X_train).weights[:-1]]
    a = rb.resample(model, covs, 1, s.X_train, generator=generator(18))
    b = rb.resample(model, covs, 1, s.X_train, generator=generator(18))
    for u, v in zip(a.weights, b.weights):
        torch.testing.assert_close(u, v)


# ------------------------------------------------------------------ errors

def test_value_errors():
    a = torch.zeros(10, 3)
    with pytest.raises(ValueError, match="same samples"):
        rb.cross_covariance(a, torch.zeros(9, 3))
    with pytest.raises(ValueError, match="phi1"):
        rb.cross_covariance(torch.zeros(3), a)
    with pytest.raises(ValueError, match="do not broadcast"):
        rb.align(torch.zeros(2, 10, 3), torch.zeros(3, 10, 3))
    with pytest.raises(ValueError, match="A must have shape"):
        rb.explained_fraction(a, a, torch.eye(4))
    with pytest.raises(ValueError, match="weights"):
        rb.weight_covariance(torch.zeros(3))
    with pytest.raises(ValueError, match="ratio"):
        rb.marchenko_pastur(0.0, 1.0)
    with pytest.raises(ValueError, match="variance"):
        rb.marchenko_pastur(0.5, -1.0)
    with pytest.raises(ValueError, match="square"):
        rb.isotropic(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="same shape"):
        rb.matrix_cosine(torch.zeros(2, 2), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape \[M, N2, N1\] with N1 = 5"):
        Ensemble.from_layers([torch.zeros(1, 5, 3), torch.zeros(1, 2, 4)])
    model = rb.mlp_ensemble([3, 4, 2], 2)
    with pytest.raises(ValueError, match=r"x must have shape \[n, 3\]"):
        model(torch.zeros(5, 4))
    with pytest.raises(ValueError, match="one slice per member"):
        model(torch.zeros(3, 5, 3))
    with pytest.raises(ValueError, match="reference"):
        rb.align_network(model, torch.zeros(5, 3), reference=2)
    with pytest.raises(ValueError, match="covariances must hold 1"):
        rb.resample(model, [], 0, torch.zeros(5, 3))
    with pytest.raises(ValueError, match=r"covariances\[0\] must have shape \[3, 3\]"):
        rb.resample(model, [torch.eye(4)], 0, torch.zeros(5, 3))
    with pytest.raises(ValueError, match="draws"):
        rb.resample(model, [torch.eye(3)], 0, torch.zeros(5, 3), draws=0)
    with pytest.raises(ValueError, match="widths"):
        rb.resample(model, [torch.eye(3)], 0, torch.zeros(5, 3), widths=[4, 4])
    with pytest.raises(ValueError, match="X must have shape"):
        rb.resample(model, [torch.eye(3)], 0, torch.zeros(5, 4))
    with pytest.raises(ValueError, match="y must have shape"):
        rb.train_mlps(model, torch.zeros(5, 3), torch.zeros(4, dtype=torch.long), epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        rb.train_mlps(model, torch.zeros(5, 3), torch.zeros(5, dtype=torch.long), epochs=0)
    with pytest.raises(ValueError, match="features"):
        rb.fit_classifier(torch.zeros(5, 3), torch.zeros(5, dtype=torch.long))
