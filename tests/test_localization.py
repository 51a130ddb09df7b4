import math

import pytest
import torch

from nnlab import localization as loc
from nnlab.localization import data as ld

G = torch.Generator


def gen(seed=0):
    return G().manual_seed(seed)


def sample_cov(x):
    x = x.double() - x.double().mean(0)
    return x.T @ x / x.shape[0]


# ----------------------------------------------------------------------------- covariance

def test_periodic_distance_wraps_around_the_ring():
    d = loc.periodic_distance(10)
    assert d[0, 9] == 1 and d[0, 5] == 5 and d[2, 8] == 4
    torch.testing.assert_close(d, d.T)


def test_translation_invariant_cov_is_circulant_with_the_paper_formula_and_positive_definite():
    D, xi = 40, 6.0
    C = loc.translation_invariant_cov(D, xi)
    assert C[0, 0] == pytest.approx(1 + 1e-3)
    assert C[3, 10] == pytest.approx(math.exp(-49 / 36))
    assert C[1, 39] == pytest.approx(math.exp(-4 / 36))  # distance 2 across the wrap
    torch.testing.assert_close(torch.roll(C, (5, 5), (0, 1)), C)  # translation invariance
    assert torch.linalg.eigvalsh(loc.translation_invariant_cov(100, 15.0))[0] > 0  # xi = 0.15 D


def test_factor_reproduces_the_covariance_and_rejects_indefinite_matrices():
    C = loc.translation_invariant_cov(30, 4.0)
    F = loc.gaussian_factor(C)
    torch.testing.assert_close(F @ F.T, C)
    with pytest.raises(ValueError, match="positive semi-definite"):
        loc.gaussian_factor(torch.tensor([[1.0, 2.0], [2.0, 1.0]], dtype=torch.float64))


# -------------------------------------------------------------------------------- the NLGP

@pytest.mark.parametrize("convention", ["goldt", "lufkin"])
@pytest.mark.parametrize("gain", [0.3, 3.0, 30.0])
def test_nlgp_has_unit_marginal_variance_and_the_arcsin_covariance(convention, gain):
    n, D, xi = 40_000, 24, 3.0
    x = loc.nlgp(n, D, xi, gain, convention, generator=gen(1), dtype=torch.float64)
    emp = sample_cov(x)
    exact = loc.nlgp_cov(loc.translation_invariant_cov(D, xi), gain, convention)
    torch.testing.assert_close(exact.diagonal(), torch.ones(D, dtype=torch.float64))
    # standard error of a sample covariance of unit-variance data is at most ~sqrt(E x^4 / n) <= sqrt(3/n)
    tol = 6 * math.sqrt(3 / n)
    assert (emp - exact).abs().max() < tol
    assert abs(emp.diagonal().mean() - 1) < tol / math.sqrt(D) * 2


@pytest.mark.parametrize("gain", [0.2, 1.0, 7.0])
def test_normalisation_z_in_both_conventions_against_quadrature(gain):
    from scipy import integrate, special

    def second_moment(a):  # E[erf(a z)^2], z ~ N(0, 1), by quadrature (independent of the arcsin formula)
        f = lambda z: special.erf(a * z) ** 2 * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
        return integrate.quad(f, -12, 12, points=[0.0], limit=200)[0]

    # Ingrosso-Goldt: x = erf(g z / sqrt 2) / sqrt(Z), Z = (2/pi) arcsin(g^2 / (1 + g^2))
    z_goldt = 2 / math.pi * math.asin(gain**2 / (1 + gain**2))
    assert loc.nlgp_scale(gain, "goldt") ** 2 == pytest.approx(z_goldt, rel=1e-12)
    assert z_goldt == pytest.approx(second_moment(gain / math.sqrt(2)), rel=1e-7)
    # Lufkin et al.: x = erf(g z) / Z, Z = sqrt((2/pi) arcsin(2 g^2 / (1 + 2 g^2)))
    z_lufkin = math.sqrt(2 / math.pi * math.asin(2 * gain**2 / (1 + 2 * gain**2)))
    assert loc.nlgp_scale(gain, "lufkin") == pytest.approx(z_lufkin, rel=1e-12)
    assert z_lufkin**2 == pytest.approx(second_moment(gain), rel=1e-7)


def test_goldt_gain_is_sqrt2_times_lufkin_gain():
    a = loc.nlgp(50, 20, 2.0, 3.0, "goldt", generator=gen(2))
    b = loc.nlgp(50, 20, 2.0, 3.0 / math.sqrt(2), "lufkin", generator=gen(2))
    torch.testing.assert_close(a, b)
    assert loc.nlgp_scale(3.0, "goldt") ** 2 == pytest.approx(2 / math.pi * math.asin(9 / 10))  # Z(g) of the paper


def test_marginal_kurtosis_falls_from_3_to_1_and_matches_the_paper_values():
    assert loc.nlgp_kurtosis(1e-3) == pytest.approx(3.0, abs=1e-4)
    assert loc.nlgp_kurtosis(1e4) == pytest.approx(1.0, abs=2e-3)
    # Lufkin et al. (convention erf(g z)): 2.50 / 1.56 / 1.17 at g = 0.3 / 1 / 3
    for g, k in [(0.3, 2.50), (1.0, 1.56), (3.0, 1.17)]:
        assert loc.nlgp_kurtosis(g, "lufkin") == pytest.approx(k, abs=0.006)
    gains = [0.1, 0.5, 1, 2, 5, 20]
    values = [loc.nlgp_kurtosis(g) for g in gains]
    assert all(a > b for a, b in zip(values, values[1:]))  # monotone
    x = loc.nlgp(100_000, 10, 1.0, 2.0, generator=gen(3), dtype=torch.float64)
    assert loc.kurtosis(x).mean() == pytest.approx(loc.nlgp_kurtosis(2.0), abs=0.02)


def test_gaussian_clone_has_exactly_the_nlgp_covariance():
    D, xi, gain = 30, 4.0, 10.0
    exact = loc.nlgp_cov(loc.translation_invariant_cov(D, xi), gain)
    F = ld._factor(D, xi, gain, "goldt", ld.JITTER)
    torch.testing.assert_close(F @ F.T, exact)  # exact, not only in expectation
    n = 40_000
    x = loc.gaussian_clone(n, D, xi, gain, generator=gen(4), dtype=torch.float64)
    assert (sample_cov(x) - exact).abs().max() < 6 * math.sqrt(3 / n)
    assert loc.excess_kurtosis(x).mean().abs() < 0.05  # Gaussian: no excess kurtosis
    y = loc.nlgp(n, D, xi, gain, generator=gen(5), dtype=torch.float64)
    assert loc.excess_kurtosis(y).mean() < -1.5  # the NLGP at g = 10 is nearly a sign


def test_clone_covariance_stays_finite_at_large_gain_with_the_jitter():
    c = loc.nlgp_cov(loc.translation_invariant_cov(20, 2.0), 1e4)
    assert torch.isfinite(c).all() and c.diagonal().sub(1).abs().max() < 1e-9


def test_transformed_gp_with_no_transform_is_the_gaussian_process():
    C = loc.translation_invariant_cov(14, 2.0)
    x = loc.transformed_gp(30_000, C, generator=gen(6), dtype=torch.float64)
    assert (sample_cov(x) - C).abs().max() < 6 * math.sqrt(3 / 30_000)
    y = loc.transformed_gp(5, C, lambda z: loc.nlgp_transform(z, 2.0, variance=1 + 1e-3), generator=gen(7))
    assert y.shape == (5, 14) and y.abs().max() < 1 / loc.nlgp_scale(2.0) + 1e-6


# ------------------------------------------------------------------------------------ tasks

def test_two_class_task_is_balanced_and_its_members_have_their_own_statistics():
    task = loc.TwoClassTask(20, (1.0, 3.0), [0.5, 20.0, 20.0], clone=[False, False, True])
    x, y = task.sample(4001, gen(8))
    assert x.shape == (3, 4001, 20) and y.shape == (3, 4001)
    assert y.sum(-1).tolist() == [1.0, 1.0, 1.0]  # 2001 of class +1, 2000 of class -1
    k = loc.excess_kurtosis(x, dim=1).mean(-1)
    assert k[1] < -1.4 and abs(k[2]) < 0.15 and -1.0 < k[0] < 0  # high gain / clone / low gain
    xs, ys = loc.two_class(10, 20, (1.0, 3.0), 2.0, generator=gen(9))
    assert xs.shape == (10, 20) and sorted(ys.tolist()) == [-1.0] * 5 + [1.0] * 5


# ----------------------------------------------------------------------------------- metrics

def test_ipr_of_one_hot_is_1_of_flat_is_1_over_d_and_random_about_3_over_d():
    D = 200
    assert loc.ipr(torch.eye(D)[7]).item() == pytest.approx(1.0)
    assert loc.ipr(torch.ones(D)).item() == pytest.approx(1 / D)
    assert loc.ipr(-3 * torch.ones(3, D)).tolist() == pytest.approx([1 / D] * 3)  # scale and sign free
    r = loc.ipr(torch.randn(500, D, generator=gen(10), dtype=torch.float64)).mean() * D
    assert r == pytest.approx(3.0, rel=0.05)


def test_kurtosis_of_a_sign_is_1_and_of_a_gaussian_3():
    s = torch.randint(0, 2, (10_000,), generator=gen(11)).double() * 2 - 1
    assert loc.kurtosis(s).item() == pytest.approx(1.0, abs=1e-3)
    g = torch.randn(200_000, generator=gen(12), dtype=torch.float64)
    assert loc.excess_kurtosis(g).item() == pytest.approx(0.0, abs=0.05)


def test_peak_position_width_and_frequency_of_known_fields():
    D = 100
    d = loc.periodic_distance(D)
    bump = torch.exp(-d[97] ** 2 / (4 * 3.0**2))  # w^2 is a Gaussian of std 3 at site 97
    assert loc.peak_position(bump).item() == pytest.approx(97.0, abs=1e-6)  # across the wrap
    assert loc.peak_width(bump).item() == pytest.approx(3.0, rel=0.01)
    assert loc.peak_width(torch.ones(D)).item() > D / 2  # no peak at all
    i = torch.arange(D, dtype=torch.float64)
    wave = torch.cos(2 * math.pi * 7 * i / D + 0.4)
    assert loc.dominant_frequency(wave).item() == 7
    assert loc.spectral_concentration(wave, 0).item() == pytest.approx(1.0)
    assert loc.spectral_concentration(torch.eye(D)[3]).item() < 0.1  # a spike has a flat spectrum


def test_centred_field_puts_a_positive_unit_peak_mid_ring_whatever_the_shift_and_sign():
    D = 40
    d = loc.periodic_distance(D)
    lobes = torch.exp(-d[28] ** 2 / 2.0) + torch.exp(-d[38] ** 2 / 2.0)
    field = torch.exp(-d[33] ** 2 / 8.0) - 0.3 * lobes   # a bump at site 33 with side lobes of opposite sign
    out = loc.centred_field(field)
    assert out[D // 2].item() == pytest.approx(1.0) and out.abs().max().item() == pytest.approx(1.0)
    # invariant under a translation and a sign flip of the input, and batched like row by row
    stack = torch.stack([field, -2 * torch.roll(field, 11), torch.roll(field, -5)])
    torch.testing.assert_close(loc.centred_field(stack), out.expand(3, D))
    assert out.min().item() == pytest.approx(float(field[28] / field[33]))   # the side lobe, relative to the peak


def test_tiling_evenness_and_gaps():
    assert loc.tiling_evenness(torch.tensor([5.0, 30.0, 55.0, 80.0]), 100).item() == pytest.approx(1.0)
    assert loc.tiling_evenness(torch.tensor([5.0, 5.0, 50.0]), 100).item() == 0.0
    gaps = loc.circular_gaps(torch.tensor([90.0, 10.0, 40.0]), 100)
    assert gaps.tolist() == [30.0, 50.0, 20.0]
    rand = loc.tiling_evenness(torch.rand(20_000, 4, generator=gen(13)) * 100, 100).mean()
    assert rand.item() == pytest.approx(1 / 4, abs=0.01)  # E[min gap] = D / n^2


@pytest.mark.parametrize("n", [2, 4, 7])
def test_tiling_percentile_is_uniform_for_random_positions_and_1_for_even_ones(n):
    pct = loc.tiling_percentile(torch.rand(40_000, n, generator=gen(30 + n), dtype=torch.float64) * 50, 50)
    # the closed form (1 - e)^(n-1) is the exact tail, so the percentiles are uniform on [0, 1]
    qs = torch.tensor([0.1, 0.25, 0.5, 0.75, 0.9], dtype=torch.float64)
    torch.testing.assert_close(torch.quantile(pct, qs), qs, atol=0.012, rtol=0)
    assert loc.tiling_percentile(torch.arange(n, dtype=torch.float64) * 50 / n + 3, 50).item() == pytest.approx(1.0)
    assert loc.tiling_percentile(torch.full((n,), 7.0), 50).item() == 0.0


# ------------------------------------------------------------------------------------ models

def test_batched_network_equals_a_loop_over_members_and_neurons():
    model = loc.TwoLayer(3, 10, 4, generator=gen(14), dtype=torch.float64).requires_grad_(False)
    x = torch.randn(3, 5, 10, generator=gen(15), dtype=torch.float64)
    out = model(x)
    for m in range(3):
        for p in range(5):
            u = [(model.W[m, k] @ x[m, p]) / math.sqrt(10) + model.b[m, k] for k in range(4)]
            ref = sum(math.erf(float(uk) / math.sqrt(2)) for uk in u) / 4
            assert out[m, p].item() == pytest.approx(ref, abs=1e-12)
    assert model.b[0].tolist() == [1.0, 1.0, -1.0, -1.0]


def test_without_bias_the_erf_network_is_odd_so_symmetric_classes_are_indistinguishable():
    model = loc.TwoLayer(2, 10, 4, bias="none", generator=gen(16))
    x = torch.randn(2, 7, 10, generator=gen(17))
    torch.testing.assert_close(model(-x), -model(x))


def test_members_train_independently():
    torch.manual_seed(0)
    model = loc.TwoLayer(3, 12, 4, bias="learnable", generator=gen(18), dtype=torch.float64)
    x = torch.randn(3, 9, 12, generator=gen(19), dtype=torch.float64)
    y = torch.sign(torch.randn(3, 9, generator=gen(20), dtype=torch.float64))
    loc.task_mse(model, x, y).sum().backward()
    for m in range(3):
        alone = loc.TwoLayer(1, 12, 4, bias="learnable", dtype=torch.float64)
        with torch.no_grad():
            alone.W.copy_(model.W[m:m + 1])
            alone.b.copy_(model.b[m:m + 1])
        loc.task_mse(alone, x[m:m + 1], y[m:m + 1]).sum().backward()
        torch.testing.assert_close(alone.W.grad[0], model.W.grad[m])
        torch.testing.assert_close(alone.b.grad[0], model.b.grad[m])


def test_fit_learns_the_task_and_records_per_member_losses():
    task = loc.TwoClassTask(20, (1.0, 3.0), [10.0, 10.0], clone=[False, True])
    model = loc.TwoLayer(2, 20, 4, generator=gen(21))
    hist = loc.fit(model, task, steps=150, lr=0.8, batch_size=20, generator=gen(22), record_every=50)
    loss = hist.array()
    assert loss.shape == (4, 2) and (loss[-1] < loss[0] - 0.05).all()


def test_sigmoid_readout_targets_and_signed_readout():
    model = loc.TwoLayer(1, 6, 4, activation="sigmoid", bias="learnable")
    assert model.targets(torch.tensor([1.0, -1.0])).tolist() == [1.0, 0.0]
    assert [g["lr"] for g in model.param_groups(0.6)] == [0.6, pytest.approx(0.1)]
    signed = loc.TwoLayer(1, 6, 4, readout="signed", bias="none")
    assert (signed.v * 4).tolist() == [1.0, 1.0, -1.0, -1.0]


# --------------------------------------------------------------------------------- cumulants

def test_cumulant_contraction_matches_the_explicit_tensor():
    x = torch.rand(3000, 4, generator=gen(23), dtype=torch.float64) ** 2
    v = torch.randn(2, 4, generator=gen(24), dtype=torch.float64)
    c = x - x.mean(0)
    m4 = torch.einsum("ni,nj,nk,nl->ijkl", c, c, c, c) / len(c)
    C = c.T @ c / len(c)
    kappa = m4 - (torch.einsum("ij,kl->ijkl", C, C) + torch.einsum("ik,jl->ijkl", C, C)
                  + torch.einsum("il,jk->ijkl", C, C))
    brute = torch.einsum("ijkl,ri,rj,rk,rl->r", kappa, v, v, v, v)
    torch.testing.assert_close(loc.cumulant4(x, v), brute)
    grad = torch.einsum("ijkl,rj,rk,rl->ri", kappa, v, v, v)
    torch.testing.assert_close(loc.cumulant4_gradient(x, v), grad)


def test_cumulant_component_of_independent_uniform_inputs_is_a_single_site():
    # independent components with negative excess kurtosis: k(v) = sum_i k_i v_i^4, minimal at a one-hot v
    x = torch.rand(20_000, 8, generator=gen(25), dtype=torch.float64) * 2 - 1
    v, k = loc.cumulant4_component(x, restarts=4, steps=150, generator=gen(26))
    assert loc.ipr(v).item() > 0.95
    assert k.item() == pytest.approx(-1.2 / 9, rel=0.1)  # excess kurtosis -6/5 times Var^2 = 1/9
    g = torch.randn(20_000, 8, generator=gen(27), dtype=torch.float64)
    assert loc.cumulant4(g, torch.eye(8)).abs().max() < 0.15  # Gaussian: zero up to sampling


# ------------------------------------------------------------------------------ ValueErrors

@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: loc.nlgp(10, 20, 2.0, -1.0), "gain"),
        (lambda: loc.nlgp(10, 20, 2.0, 0.0), "gain"),
        (lambda: loc.nlgp(10, 20, 0.0, 1.0), "xi"),
        (lambda: loc.nlgp(10, 20, -2.0, 1.0), "xi"),
        (lambda: loc.nlgp(10, 20, 3.5, 1.0), "xi must be at most"),
        (lambda: loc.translation_invariant_cov(100, 20.0), "xi must be at most"),
        (lambda: loc.nlgp(0, 20, 2.0, 1.0), "n must be"),
        (lambda: loc.gaussian_clone(0, 20, 2.0, 1.0), "n must be"),
        (lambda: loc.nlgp(10, 20, 2.0, 1.0, convention="other"), "convention"),
        (lambda: loc.gaussian_clone(10, 20, 2.0, 1.0, convention="erf"), "convention"),
        (lambda: loc.gaussian_clone(10, 20, 2.0, -0.5), "gain"),
        (lambda: loc.TwoClassTask(20, (2.0, 2.0), [1.0]), "xis must differ"),
        (lambda: loc.TwoClassTask(20, (1.0, 2.0), [1.0], clone=[True, False]), "clone"),
        (lambda: loc.TwoLayer(1, 10, 3), "width must be even"),
        (lambda: loc.TwoLayer(1, 10, 4, activation="relu"), "activation"),
        (lambda: loc.TwoLayer(1, 10, 4, bias="maybe"), "bias"),
        (lambda: loc.TwoLayer(2, 10, 4)(torch.zeros(3, 5, 10)), "one slice per member"),
        (lambda: loc.TwoLayer(2, 10, 4)(torch.zeros(5, 9)), "x must have shape"),
        (lambda: loc.ipr(torch.ones(3, dtype=torch.int64)), "w must be a real floating"),
        (lambda: loc.kurtosis(torch.ones(1)), "at least 2 samples"),
        (lambda: loc.cumulant4_component(torch.randn(10, 3), sign="up"), "sign"),
        (lambda: loc.cumulant4(torch.randn(10, 3), torch.randn(4)), "v must be"),
    ],
)
def test_bad_arguments_raise_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_circulant_spectrum_equals_the_eigenvalues():
    C = loc.translation_invariant_cov(16, 2.0)
    lam = loc.circulant_spectrum(C)
    full = torch.cat([lam, lam[1:-1].flip(0)])  # k and D - k share an eigenvalue
    torch.testing.assert_close(full.sort().values, torch.linalg.eigvalsh(C))


def test_accuracy_counts_the_sign_of_the_output_against_the_labels():
    model = loc.TwoLayer(1, 5, 2, bias="none").requires_grad_(False)
    model.W.zero_()
    model.W[0, :, 0] = 1.0  # output erf(x_0 / sqrt(2D)) has the sign of x_0
    x = torch.tensor([[[1.0, 0, 0, 0, 0], [-2.0, 0, 0, 0, 0], [3.0, 0, 0, 0, 0], [0.5, 0, 0, 0, 0]]])
    y = torch.tensor([[1.0, -1.0, -1.0, -1.0]])
    assert loc.accuracy_per_member(model, x, y).tolist() == [0.5]


def test_gaussian_factor_is_the_unique_symmetric_root_so_samples_do_not_depend_on_the_eigensolver():
    """A circulant covariance has degenerate eigenvalue pairs; V sqrt(L) depends on the basis the
    solver picks inside them, the symmetric root does not: it commutes with the ring's shift."""
    C = loc.translation_invariant_cov(20, 2.0)
    F = loc.gaussian_factor(C)
    torch.testing.assert_close(F @ F.T, C.double(), atol=1e-10, rtol=0)
    torch.testing.assert_close(F, F.T, atol=1e-12, rtol=0)
    shift = torch.roll(torch.eye(20, dtype=torch.float64), 1, dims=0)
    torch.testing.assert_close(shift @ F @ shift.T, F, atol=1e-10, rtol=0)  # circulant, like C
    # any orthonormal basis of the eigenspaces gives the same factor: rotate one degenerate pair
    evals, V = torch.linalg.eigh(C.double())
    pair = next(i for i in range(19) if abs(float(evals[i + 1] - evals[i])) < 1e-9)
    R = torch.eye(20, dtype=torch.float64)
    c, s = math.cos(0.7), math.sin(0.7)
    R[pair:pair + 2, pair:pair + 2] = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    V2 = V @ R
    torch.testing.assert_close((V2 * evals.clamp(min=0).sqrt()) @ V2.T, F, atol=1e-10, rtol=0)


def test_nlgp_scale_at_extreme_gains_is_the_limit_not_zero_or_nan():
    # small gain: erf(a z) ~ 2 a z / sqrt(pi), so s -> 2 a sqrt(v / pi); large gain: erf -> sign, s -> 1
    for g in (1e-200, 1e-120):
        a = loc.erf_slope(g)
        assert loc.nlgp_scale(g) == pytest.approx(2 * a / math.sqrt(math.pi), rel=1e-12)
    assert loc.nlgp_scale(1e-6) == pytest.approx(2 * loc.erf_slope(1e-6) / math.sqrt(math.pi), rel=1e-9)
    assert loc.nlgp_scale(1e200) == 1.0 and loc.nlgp_scale(1e6) == pytest.approx(1.0, abs=1e-5)
