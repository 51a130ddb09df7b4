"""Tests of the single-neuron gradient flow of Lufkin, Saxe & Grant (nnlab.localization.theory)."""

import math

import pytest
import torch

from nnlab import localization as loc
from nnlab.localization import theory as th

SQ = math.sqrt(2 / math.pi)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def ring_covs(d_in=12):
    return loc.translation_invariant_cov(d_in, 1.0), loc.translation_invariant_cov(d_in, 1.7)


def test_amplifier_of_gaussian_marginals_is_linear():
    z, w = th.gauss_hermite(120)
    a = torch.linspace(-0.95, 0.95, 19, dtype=torch.float64)
    torch.testing.assert_close(th.phi_samples(a, z, w), SQ * a, atol=1e-10, rtol=0)
    torch.testing.assert_close(th.phi_cubic(a, 3.0), th.phi_gaussian(a))


def test_amplifier_of_a_sign_marginal_has_its_closed_form_and_the_cubic_term():
    x = torch.tensor([-1.0, 1.0], dtype=torch.float64)          # X = +-1: kurtosis 1
    a = torch.linspace(-0.9, 0.9, 13, dtype=torch.float64)
    exact = torch.erf(a / torch.sqrt(2 * (1 - a**2)))
    torch.testing.assert_close(th.phi_samples(a, x), exact)
    small = torch.tensor([0.02, 0.05, 0.1], dtype=torch.float64)
    err = (th.phi_samples(small, x) - th.phi_cubic(small, 1.0)).abs()
    assert (err < 2 * small**5).all()                           # cubic approximation is O(a^5)
    assert (th.phi_samples(small, x) > SQ * small).all()        # super-linear for kappa < 3


def test_phi_table_interpolates_the_amplifier_per_member():
    z, w = th.gauss_hermite(150)
    xs = torch.stack([z, loc.nlgp_transform(z, 3.0, "lufkin")])
    table = th.PhiTable(xs, w, points=801)
    a = torch.rand(2, 30, generator=gen(1), dtype=torch.float64) * 1.9 - 0.95
    expected = torch.stack([th.phi_samples(a[m], xs[m], w) for m in range(2)])
    torch.testing.assert_close(table(a), expected, atol=1e-4, rtol=0)


def test_flow_equals_the_monte_carlo_gradient_on_gaussian_data():
    # for Gaussian inputs the conditional-Gaussian step of the derivation is exact
    d_in, n = 12, 400_000
    C0, C1 = ring_covs(d_in)
    x0 = loc.sample_gaussian(n, loc.gaussian_factor(C0), gen(2), torch.float64)
    x1 = loc.sample_gaussian(n, loc.gaussian_factor(C1), gen(3), torch.float64)
    w = torch.randn(d_in, generator=gen(4), dtype=torch.float64)
    model = loc.ReluTwoLayer(1, d_in, 1, dtype=torch.float64)
    with torch.no_grad():
        model.W.copy_(w[None, None])
    x = torch.cat([x1, x0])[None]
    y = torch.cat([torch.ones(n), -torch.ones(n)])[None].double()
    loss = loc.task_mse(model, x, y).sum()
    (grad,) = torch.autograd.grad(loss, model.W)
    f = th.flow(w, C0, C1, th.phi_gaussian)
    assert float((f + grad[0, 0]).norm() / f.norm()) < 0.02


def test_gaussian_flow_is_linear_and_keeps_a_fourier_mode_with_the_exact_amplitude():
    d_in, tau, p = 16, 0.05, 0.3
    C0, C1 = ring_covs(d_in)
    k = 2
    mode = torch.cos(2 * math.pi * k * torch.arange(d_in, dtype=torch.float64) / d_in)
    lam0 = float(mode @ C0 @ mode / (mode @ mode))
    lam1 = float(mode @ C1 @ mode / (mode @ mode))
    t, W = th.integrate(0.01 * mode, C0, C1, th.phi_gaussian, tau=tau, steps=400, p=p)
    # w stays proportional to the mode; its amplitude obeys alpha' = A - B alpha (per unit norm)
    norm = float(mode.norm())
    A, B = p * SQ * math.sqrt(lam1) / norm, p * lam1 + (1 - p) * lam0
    alpha = 0.01 * (1 - tau * B) ** t.double() + A / B * (1 - (1 - tau * B) ** t.double())
    torch.testing.assert_close(W, alpha[:, None] * mode, atol=1e-10, rtol=0)
    torch.testing.assert_close(loc.ipr(W), torch.full((len(t),), float(loc.ipr(mode))).double())


def test_gaussian_flow_does_not_localize_and_a_sign_marginal_does():
    d_in = 40
    C0 = loc.translation_invariant_cov(d_in, 1.0)
    C1 = loc.translation_invariant_cov(d_in, 3.0)
    w0 = 0.01 * torch.randn(d_in, generator=gen(5), dtype=torch.float64)
    _, Wg = th.integrate(w0, C0, C1, th.phi_gaussian, tau=0.05, steps=1500, record_every=1500)
    sign = th.PhiTable(torch.tensor([-1.0, 1.0], dtype=torch.float64))
    cov = lambda C: loc.nlgp_cov(C, 100.0, "lufkin")  # noqa: E731
    _, Ws = th.integrate(w0, cov(C0), cov(C1), sign, tau=0.05, steps=1500, record_every=1500)
    assert float(loc.ipr(Wg[-1])) < 2 / d_in
    assert float(loc.ipr(Ws[-1])) > 5 / d_in


def test_fit_data_gradient_matches_autograd_and_euler_matches_the_flow():
    d_in, n, K = 12, 5000, 3
    C0, C1 = ring_covs(d_in)
    x = torch.cat([loc.sample_gaussian(n, loc.gaussian_factor(C1), gen(6)),
                   loc.sample_gaussian(n, loc.gaussian_factor(C0), gen(7))])[None].repeat(2, 1, 1)
    y = torch.cat([torch.ones(n), -torch.ones(n)])[None].repeat(2, 1)
    model = loc.ReluTwoLayer(2, d_in, K, generator=gen(8))
    W0 = model.W.detach().clone()
    loss = loc.task_mse(model, x, y).sum()
    (grad,) = torch.autograd.grad(loss, model.W)
    hist = loc.fit_data(model, x, y, steps=1, lr=0.1)
    W, L = torch.as_tensor(hist.array("W")), torch.as_tensor(hist.array())
    assert hist.steps == [0, 1]
    torch.testing.assert_close(W[1], W0 - 0.1 * grad, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(L[0], loc.task_mse(loc.ReluTwoLayer(2, d_in, K, generator=gen(8)), x, y).detach())
    # scale_input divides the pre-activation by sqrt(d_in), as in TwoLayer
    scaled = loc.ReluTwoLayer(1, d_in, 1, scale_input=True, generator=gen(9))
    plain = loc.ReluTwoLayer(1, d_in, 1, generator=gen(9))
    torch.testing.assert_close(scaled(x[:1]) * math.sqrt(d_in), plain(x[:1]))


@pytest.mark.parametrize("call, match", [
    (lambda: th.phi_gaussian(torch.tensor([1.5])), "a must lie"),
    (lambda: th.phi_cubic(torch.tensor([0.1]), 0.5), "kappa must"),
    (lambda: th.phi_samples(torch.tensor([0.1]), torch.ones(3), torch.ones(2)), "weights must"),
    (lambda: th.gauss_hermite(1), "points must"),
    (lambda: th.PhiTable(torch.ones(2, 2, 2)), "x must"),
    (lambda: th.PhiTable(torch.ones(2, 5))(torch.zeros(3, 4)), "a must be"),
    (lambda: th.flow(torch.ones(4), torch.eye(3), torch.eye(4), th.phi_gaussian), "cov0 must"),
    (lambda: th.flow(torch.ones(4), torch.eye(4), torch.eye(4), th.phi_gaussian, p=1.0), "p must"),
    (lambda: th.flow(torch.ones(4), torch.eye(4), torch.eye(4), th.phi_gaussian, weight=2.0), "weight must"),
    (lambda: th.integrate(torch.ones(4), torch.eye(4), torch.eye(4), th.phi_gaussian, tau=0.0, steps=3), "tau must"),
    (lambda: th.integrate(torch.ones(4), torch.eye(4), torch.eye(4), th.phi_gaussian, tau=0.1, steps=0), "steps must"),
    (lambda: th.covariance(torch.ones(1, 3)), "at least 2"),
    (lambda: loc.fit_data(loc.TwoLayer(1, 4, 2), torch.ones(1, 5, 4), torch.ones(1, 5), steps=1, lr=0.1),
     "ReluTwoLayer"),
    (lambda: loc.fit_data(loc.ReluTwoLayer(1, 4), torch.ones(1, 5, 3), torch.ones(1, 5), steps=1, lr=0.1), "x must"),
    (lambda: loc.fit_data(loc.ReluTwoLayer(1, 4), torch.ones(1, 5, 4), torch.ones(1, 4), steps=1, lr=0.1), "y must"),
    (lambda: loc.ReluTwoLayer(1, 4, 1, scale_input=1), "scale_input"),
    (lambda: loc.xavier_std(4, 1, 0.0), "scale must"),
])
def test_theory_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------- the exact amplifier, elliptical linearity, fresh SGD

def test_sign_moment_of_gaussian_data_is_the_linear_amplifier():
    # Gaussian x: E[x sign(w.x)] = sqrt(2/pi) Sigma w / sqrt(w' Sigma w) exactly
    cov = loc.translation_invariant_cov(10, 1.5)
    x = loc.sample_gaussian(200_000, loc.gaussian_factor(cov), gen(1), torch.float64)
    w = torch.randn(10, generator=gen(2), dtype=torch.float64)
    got = th.sign_moment(w, x)
    torch.testing.assert_close(got, SQ * th.overlap(w, cov), atol=0.01, rtol=0)


def test_elliptical_data_have_a_linear_amplifier_and_the_nlgp_at_high_gain_does_not():
    d_in, xi = 20, 2.0
    w = torch.zeros(d_in, dtype=torch.float64)
    w[8:12] = torch.tensor([0.5, 1.0, 1.0, 0.5])                      # a localized field
    ell = loc.elliptical(100_000, d_in, xi, gen(3), radius="constant").double()
    r_ell = th.linearity_residual(w, ell, th.covariance(ell))
    nl = loc.nlgp(100_000, d_in, xi, 100.0, "lufkin", gen(4)).double()
    r_nl = th.linearity_residual(w, nl, loc.nlgp_cov(loc.translation_invariant_cov(d_in, xi), 100.0, "lufkin"))
    assert float(r_ell) < 0.02 and float(r_nl) > 0.05 and float(r_nl) > 5 * float(r_ell)


def test_sampled_flow_with_gaussian_samples_follows_the_linear_flow():
    c0, c1 = ring_covs(12)
    f1 = loc.gaussian_factor(c1)
    w0 = 0.1 * torch.randn(2, 12, generator=gen(5), dtype=torch.float64)
    g = gen(6)
    _, W = th.integrate_sampled(w0, c0, c1, lambda t: loc.sample_gaussian(50_000, f1, g, torch.float64)
                                .expand(2, -1, -1), tau=0.1, steps=40, record_every=40)
    _, V = th.integrate(w0, c0, c1, th.phi_gaussian, tau=0.1, steps=40, record_every=40)
    torch.testing.assert_close(W[-1], V[-1], atol=0.02, rtol=0)


def test_fit_online_on_a_constant_batch_is_full_batch_descent():
    x = torch.randn(2, 60, 6, generator=gen(7))
    y = torch.tensor([1.0, -1.0] * 30).expand(2, 60).clone()
    m1 = loc.ReluTwoLayer(2, 6, 3, generator=gen(8))
    m2 = loc.ReluTwoLayer(2, 6, 3, generator=gen(8))
    h1 = loc.fit_data(m1, x, y, steps=5, lr=0.1, record_every=5)
    h2 = loc.fit_online(m2, lambda t: (x, y), steps=5, lr=0.1, record_every=5)
    torch.testing.assert_close(h1.tensor("W"), h2.tensor("W"))
