import math

import pytest
import torch
from scipy.integrate import quad
from torch import nn

from nnlab.superposition import PowerModel, power_model_llc, power_model_tempered_llc, sgld_llc


def regular_problem(d=3, n=500, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    model = nn.Linear(d, 1, bias=False)
    with torch.no_grad():
        model.weight.zero_()
    return model, x, torch.zeros(n, 1)


def half_mse(f, x, y):
    return 0.5 * ((f(x) - y) ** 2).mean()


def test_regular_model_gives_half_the_dimension():
    """For a regular model lambda = d/2; with full batches the discretized chain is Gaussian and
    E[n beta (L - L*)] has a closed form, which the estimate must match within its noise."""
    d, nbeta, lr, gamma = 3, 1000.0, 3e-4, 1.0
    model, x, y = regular_problem(d)
    est = sgld_llc(model, half_mse, (x, y), steps=1000, burnin=200, chains=8, lr=lr, localization=gamma,
                   nbeta=nbeta, generator=torch.Generator().manual_seed(1))
    h = torch.linalg.eigvalsh(x.T @ x / x.shape[0]).double()
    a = nbeta * h + gamma
    # stationary variance of w <- w - (lr/2) a w + sqrt(lr) xi along each eigendirection
    var = 1.0 / (a * (1 - lr * a / 4))
    exact = float((0.5 * nbeta * h * var).sum())
    assert abs(exact - d / 2) < 0.15  # d/2 plus the step-size bias
    assert abs(est.llc - exact) < 0.1
    assert est.trace.shape == (1000, 8) and est.llc_per_chain.shape == (8,)
    assert abs(est.init_loss) < 1e-12
    assert model.weight.abs().max() == 0  # w* untouched


def test_minibatch_default_nbeta_and_members():
    """Per-member losses give per-member estimates; nbeta defaults to B / ln B."""
    model = PowerModel([1, 1], [1, 2])
    x = torch.randn(256, generator=torch.Generator().manual_seed(0))

    def loss(f, x):
        return 0.5 * (f(x) ** 2).mean(0)

    est = sgld_llc(model, loss, (x,), steps=50, burnin=10, chains=3, batch_size=64, lr=1e-3,
                   generator=torch.Generator().manual_seed(0))
    assert est.nbeta == pytest.approx(64 / torch.log(torch.tensor(64.0)).item())
    assert est.llc.shape == (2,) and est.trace.shape == (50, 3, 2)


def test_minibatch_estimate_matches_the_gaussian_closed_form():
    """Minibatches sample the same tempered posterior (for a small step): on a regular model the
    estimate must match the exact Gaussian value of the full-data target, sum_i nbeta h_i var_i / 2."""
    d, gamma, lr = 3, 1.0, 1e-3
    model, x, y = regular_problem(d, n=2000)
    est = sgld_llc(model, half_mse, (x, y), steps=1500, burnin=300, chains=16, batch_size=100, lr=lr,
                   localization=gamma, generator=torch.Generator().manual_seed(2))
    nbeta = 100 / math.log(100)
    h = torch.linalg.eigvalsh(x.T @ x / x.shape[0]).double()
    a = nbeta * h + gamma
    exact = float((0.5 * nbeta * h / (a * (1 - lr * a / 4))).sum())
    se = float(est.llc_per_chain.std() / 16**0.5)
    assert abs(est.llc - exact) < 0.05 * exact + 3 * se, (est.llc, exact, se)


def test_power_model_learning_coefficient():
    assert power_model_llc(1, 1) == 0.5 and power_model_llc(1, 3) == pytest.approx(1 / 6)
    assert power_model_llc(4, 2) == 0.125
    m = PowerModel([1, 2], [3, 1])
    with torch.no_grad():
        m.w.copy_(torch.tensor([[2.0, 3.0], [2.0, 3.0]]))
    x = torch.tensor([1.0, -1.0])
    assert torch.allclose(m(x), torch.tensor([[54.0, 12.0], [-54.0, -12.0]]))


def tempered_11(t, gamma, c):
    """The target for a = b = 1 as a 1-D integral: given w2, w1 is Gaussian with precision
    P = t c w2^2 + gamma, so E[t L | w2] = t c w2^2 / (2 P), and w2 has density ~ P^(-1/2) exp(-gamma w2^2 / 2)."""
    prec = lambda v: t * c * v * v + gamma  # noqa: E731
    marg = lambda v: prec(v) ** -0.5 * math.exp(-gamma * v * v / 2)  # noqa: E731
    pts = [0, 1e-3, 1e-2, 0.1, 1, 3, 20 / math.sqrt(gamma)]
    num = sum(quad(lambda v: t * c * v * v / (2 * prec(v)) * marg(v), lo, hi, epsrel=1e-11)[0]
              for lo, hi in zip(pts, pts[1:]))
    den = sum(quad(marg, lo, hi, epsrel=1e-11)[0] for lo, hi in zip(pts, pts[1:]))
    return num / den


@pytest.mark.parametrize("t, gamma, c", [(1000.0, 1.0, 1.0), (1e5, 1.0, 0.9), (145.0, 100.0, 1.2)])
def test_tempered_target_matches_one_dimensional_integral(t, gamma, c):
    assert power_model_tempered_llc(1, 1, t, gamma, c) == pytest.approx(tempered_11(t, gamma, c), rel=1e-5)


def test_tempered_target_tends_to_lambda_from_below():
    for a, b in [(1, 1), (1, 3), (2, 3)]:
        vals = [power_model_tempered_llc(a, b, t) for t in (1e2, 1e4, 1e8)]
        assert vals[0] < vals[1] < vals[2] < power_model_llc(a, b)
    # multiplicity 2 (a = b): the gap closes like 1 / log t
    t = 1e6
    assert power_model_tempered_llc(1, 1, t) == pytest.approx(0.5 - 1 / math.log(t), abs=0.01)
    # symmetric in (a, b)
    assert power_model_tempered_llc(1, 3, 1e3) == pytest.approx(power_model_tempered_llc(3, 1, 1e3), rel=1e-9)


def test_sgld_matches_exact_tempered_target_on_singular_model():
    """On x w1^a w2^b the sampler must reproduce the exact finite-temperature target."""
    x = torch.randn(100, generator=torch.Generator().manual_seed(0))
    c = float((x**2).mean())

    def loss(f, x):
        return 0.5 * (f(x) ** 2).mean(0)

    est = sgld_llc(PowerModel([1, 1], [1, 2]), loss, (x,), steps=600, burnin=150, chains=256, lr=2e-3,
                   localization=4.0, nbeta=100.0, generator=torch.Generator().manual_seed(0))
    se = est.llc_per_chain.std(0) / 256**0.5
    for k, b in enumerate((1, 2)):
        target = power_model_tempered_llc(1, b, 100.0, 4.0, c)
        assert abs(float(est.llc[k]) - target) < 0.1 * target + 3 * float(se[k])
    # and the two are told apart: lambda(1, 1) = 1/2 > lambda(1, 2) = 1/4
    assert float(est.llc[0]) > float(est.llc[1]) + 3 * float(se.max())


def test_sgld_argument_errors():
    model, x, y = regular_problem()
    with pytest.raises(ValueError, match="burnin"):
        sgld_llc(model, half_mse, (x, y), steps=10, burnin=10)
    with pytest.raises(ValueError, match="lr"):
        sgld_llc(model, half_mse, (x, y), lr=0.0)
    with pytest.raises(ValueError, match="localization"):
        sgld_llc(model, half_mse, (x, y), localization=-1.0)
    with pytest.raises(ValueError, match="batch_size"):
        sgld_llc(model, half_mse, (x, y), batch_size=10_000)
    with pytest.raises(ValueError, match="data"):
        sgld_llc(model, half_mse, (x, y[:5]))
    with pytest.raises(ValueError, match="a"):
        PowerModel([0], [1])
    with pytest.raises(ValueError, match="localization"):
        power_model_tempered_llc(1, 1, 100.0, localization=0.0)
    with pytest.raises(ValueError, match="nbeta"):
        power_model_tempered_llc(1, 1, -1.0)
    with pytest.raises(ValueError, match="b"):
        power_model_tempered_llc(1, 0, 100.0)
