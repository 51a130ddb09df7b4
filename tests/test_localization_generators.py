"""Tests of the data generators of Lufkin, Saxe & Grant: Kur(k), Ising, single pulse, elliptical."""

import math

import pytest
import torch
from scipy import integrate

from nnlab import localization as loc
from nnlab.localization import data as ld


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def corr(x, r):
    return float((x.double() * torch.roll(x.double(), r, 1)).mean())


# ----------------------------------------------------------------------------------- Kur(k)

@pytest.mark.parametrize("k", [5.0, 7.0, 12.0])
def test_kur_moments_match_direct_quadrature_of_the_quantile_function(k):
    for m in (2, 4):
        q = integrate.quad(lambda p, m=m: ((2 * p - 1) / (1 - abs(2 * p - 1) ** k) ** (1 / k)) ** m, 0, 1,
                           limit=400, points=[0.5])[0]
        assert ld.kur_moment(k, m) == pytest.approx(q, rel=1e-5)


def test_kur_excess_kurtosis_changes_sign_between_k5_and_k7_and_tends_to_uniform():
    assert ld.kur_kurtosis(5.0) - 3 > 1.0
    assert ld.kur_kurtosis(7.0) - 3 < -0.4
    assert ld.kur_kurtosis(5.85) > 3 > ld.kur_kurtosis(5.95)       # the crossing near k = 5.9
    assert ld.kur_kurtosis(1e4) == pytest.approx(9 / 5, abs=1e-3)  # uniform marginal


def test_kur_samples_have_unit_variance_and_the_exact_kurtosis():
    x = loc.kur(20_000, 40, 3.0, 10.0, generator=gen(1)).double()
    assert x.shape == (20_000, 40)
    assert float(x.mean()) == pytest.approx(0, abs=0.01)
    assert float(x.var()) == pytest.approx(1, abs=0.02)
    assert float(loc.kurtosis(x.flatten())) == pytest.approx(ld.kur_kurtosis(10.0), abs=0.03)
    # neighbours stay correlated (a transformed Gaussian process), far sites are not
    assert corr(x, 1) > 0.8 and abs(corr(x, 20)) < 0.02


def test_kur_transform_is_monotone_odd_and_finite_in_the_far_tails():
    z = torch.linspace(-9, 9, 2001, dtype=torch.float64)
    q = ld.kur_transform(z, 6.0)
    assert (q.diff() > 0).all()
    assert torch.isfinite(ld.kur_transform(torch.tensor([-60.0, 60.0]), 6.0)).all()
    torch.testing.assert_close(q, -q.flip(0))


# ------------------------------------------------------------------------------------ Ising

def test_ising_correlations_match_the_exact_periodic_chain():
    d_in, J = 40, 0.8
    s = loc.ising(6000, d_in, J, generator=gen(2))
    assert set(s.unique().tolist()) == {-1.0, 1.0}
    t = math.tanh(J)
    for r in (1, 2, 4):
        exact = (t**r + t ** (d_in - r)) / (1 + t**d_in)
        assert corr(s, r) == pytest.approx(exact, abs=0.015)


def test_ising_magnetization_is_symmetric_under_a_global_flip():
    s = loc.ising(6000, 12, 1.0, generator=gen(3))
    m = s.mean(1)
    assert float(m.mean()) == pytest.approx(0, abs=0.02)
    # the histogram of m equals that of -m (global spin-flip symmetry of the Boltzmann law)
    values = sorted(set(m.tolist()))
    counts = {v: int((m == v).sum()) for v in values}
    for v in values:
        assert abs(counts[v] - counts.get(-v, 0)) < 5 * math.sqrt(counts[v] + 1) + 5


def test_ising_odd_chain_and_zero_coupling_give_independent_fair_spins():
    s = loc.ising(8000, 7, 0.0, generator=gen(4), sweeps=3)
    assert abs(corr(s, 1)) < 0.03 and float(s.mean()) == pytest.approx(0, abs=0.02)
    s = loc.ising(4000, 7, 1.0, generator=gen(5))   # odd d_in: the third colour keeps it exact
    t = math.tanh(1.0)
    assert corr(s, 1) == pytest.approx((t + t**6) / (1 + t**7), abs=0.02)


# ------------------------------------------------------------------------------ single pulse

def test_single_pulse_has_two_edges_the_right_lengths_and_symmetric_marginals():
    d_in = 30
    x = loc.single_pulse(5000, d_in, (3, 7), generator=gen(6))
    assert set(x.unique().tolist()) == {-1.0, 1.0}
    edges = (x != torch.roll(x, 1, 1)).sum(1)
    assert (edges == 2).all()
    # the pulse is the minority run: its length is the count of the sign opposite to site "outside"
    plus = (x > 0).sum(1)
    length = torch.where(plus <= d_in // 2, plus, d_in - plus)
    assert int(length.min()) == 3 and int(length.max()) == 7
    assert float(x.mean()) == pytest.approx(0, abs=0.03)
    assert float(loc.kurtosis(x.flatten().double())) == pytest.approx(1.0, abs=0.01)


# ------------------------------------------------------------------------------- elliptical

@pytest.mark.parametrize("radius", ["atanh", "constant", "chi"])
def test_elliptical_has_unit_variance_the_ring_covariance_and_the_exact_kurtosis(radius):
    d_in, xi = 20, 2.0
    x = loc.elliptical(40_000, d_in, xi, generator=gen(7), radius=radius).double()
    C = loc.translation_invariant_cov(d_in, xi) / (1 + 1e-3)
    torch.testing.assert_close(x.T @ x / x.shape[0], C, atol=0.03, rtol=0)
    assert float(loc.kurtosis(x.flatten())) == pytest.approx(ld.elliptical_kurtosis(d_in, radius), abs=0.06)


def test_elliptical_kurtosis_limits():
    assert ld.elliptical_kurtosis(40, "chi") == pytest.approx(3.0)
    assert ld.elliptical_kurtosis(40, "constant") == pytest.approx(3 * 40 / 42)
    # E[r^2] of r = 2 + atanh(U) in closed form: 4 + 4 ln 2 + pi^2 / 12
    assert ld._radius_moments("atanh", 10)[0] == pytest.approx(4 + 4 * math.log(2) + math.pi**2 / 12, rel=1e-8)


# ------------------------------------------------------------------------------ two classes

@pytest.mark.parametrize("kind, classes, opts", [
    ("nlgp", (3.0, 1.0), {"gain": 2.0}), ("kur", (3.0, 1.0), {"k": 8.0}), ("ising", (0.9, 0.1), {}),
    ("pulse", ((6, 9), (1, 2)), {}), ("elliptical", (3.0, 1.0), {"radius": "constant"}),
])
def test_two_class_samples_draw_class_1_first_with_its_own_parameters(kind, classes, opts):
    x, y = loc.two_class_samples(kind, 4000, 30, classes, p=0.25, generator=gen(8), **opts)
    assert x.shape == (4000, 30) and int((y > 0).sum()) == 1000 and (y[:1000] > 0).all()
    if kind == "pulse":   # the minority run is the pulse: 6-9 sites in class 1, 1-2 in class 0
        plus = (x > 0).sum(1)
        length = torch.minimum(plus, 30 - plus)
        assert int(length[:1000].min()) == 6 and int(length[1000:].max()) == 2
    else:                 # class 1 has the longer correlation length (or the stronger coupling)
        assert corr(x[:1000], 1) > corr(x[1000:], 1) + 0.1
    assert float(loc.kurtosis(x.flatten().double())) == pytest.approx(loc.marginal_kurtosis(kind, 30, **opts),
                                                                      abs=0.1)


# -------------------------------------------------------------------------------- arguments

@pytest.mark.parametrize("call, match", [
    (lambda: loc.kur(10, 40, 3.0, 4.0), "k must"),
    (lambda: loc.kur(10, 40, 30.0, 6.0), "xi must"),
    (lambda: ld.kur_moment(3.0, 4), "k must exceed"),
    (lambda: ld.kur_moment(9.0, 3), "m must be even"),
    (lambda: loc.ising(0, 10, 1.0), "n must"),
    (lambda: loc.ising(10, 2, 1.0), "d_in must"),
    (lambda: loc.ising(10, 10, float("nan")), "J must"),
    (lambda: loc.ising(10, 10, 1.0, sweeps=0), "sweeps must"),
    (lambda: loc.single_pulse(10, 10, (0, 3)), "length must"),
    (lambda: loc.single_pulse(10, 10, (5, 3)), "lo <= hi"),
    (lambda: loc.single_pulse(10, 10, (1, 2, 3)), "pair"),
    (lambda: loc.elliptical(10, 10, 1.0, radius="gamma"), "radius must"),
    (lambda: ld.elliptical_kurtosis(1), "d_in must"),
    (lambda: loc.two_class_samples("gp", 10, 10, (1.0, 1.2)), "kind must"),
    (lambda: loc.two_class_samples("nlgp", 10, 10, (1.0, 1.2)), "gain"),
    (lambda: loc.two_class_samples("kur", 10, 10, (1.0,), k=6.0), "classes must"),
    (lambda: loc.two_class_samples("ising", 10, 10, (0.5, 0.1), p=1.0), "p must"),
    (lambda: loc.two_class_samples("kur", 10, 10, (1.0, 1.2), gain=2.0), "takes the options"),
])
def test_generators_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------- the reference's pulse lengths, supports; exact Ising; fresh data

def test_pulse_lengths_follow_the_reference_randint_convention():
    # randint(int(0.05 * 40), int(0.10 * 40)) + 1 = randint(2, 4) + 1 in {3, 4}; randint excludes its upper end
    assert loc.pulse_lengths((0.05, 0.10), 40) == (3, 4)
    assert loc.pulse_lengths((0.20, 0.25), 40) == (9, 10)
    with pytest.raises(ValueError, match="fractions"):
        loc.pulse_lengths((0.1, 0.1), 40)


def test_zero_one_pulse_has_values_0_1_mean_half_and_pulse_or_complement_lengths():
    d_in = 20
    x = loc.single_pulse(4000, d_in, (3, 4), generator=gen(2), support=(0, 1))
    assert set(x.unique().tolist()) == {0.0, 1.0}
    assert float(x.mean()) == pytest.approx(0.5, abs=0.02)          # the random flip x -> 1 - x
    ones = x.sum(1)
    assert set(ones.unique().tolist()) <= {3.0, 4.0, 16.0, 17.0}    # the pulse or its complement
    assert bool(((x != torch.roll(x, 1, 1)).sum(1) == 2).all())     # two value changes around the ring
    pm = loc.single_pulse(4000, d_in, (3, 4), generator=gen(2))
    torch.testing.assert_close(pm, 2 * x - 1)                        # same draws: the +-1 version is 2x - 1


@pytest.mark.parametrize("J", [0.7, -0.4])
def test_exact_ising_sampler_has_the_transfer_matrix_correlations(J):
    d_in, t = 10, math.tanh(J)
    x = loc.ising_exact(40_000, d_in, J, generator=gen(3))
    assert set(x.unique().tolist()) == {-1.0, 1.0}
    assert float(x.mean()) == pytest.approx(0.0, abs=0.02)
    for r in (1, 2, 5):
        exact = (t**r + t ** (d_in - r)) / (1 + t**d_in)
        assert corr(x, r) == pytest.approx(exact, abs=0.015)


def test_gp_transform_cov_is_exact_for_identity_and_the_nlgp_arcsin_kernel():
    cov = loc.translation_invariant_cov(12, 1.5)
    torch.testing.assert_close(loc.gp_transform_cov(cov, lambda z: z), cov, atol=1e-10, rtol=0)
    g = 2.0
    got = loc.gp_transform_cov(cov, lambda z: loc.nlgp_transform(z, g, "lufkin", 1 + ld.JITTER), points=120)
    torch.testing.assert_close(got, loc.nlgp_cov(cov, g, "lufkin"), atol=2e-4, rtol=0)


def test_fast_kur_map_matches_kur_transform():
    z = torch.randn(3, 500, generator=gen(4), dtype=torch.float64) * 1.2
    ks = torch.tensor([4.5, 6.0, 30.0])
    for i, k in enumerate(ks.tolist()):
        got = ld._kur_shared({}, (0, 1.0), z[i], k)
        torch.testing.assert_close(got, loc.kur_transform(z[i], k, 1 + ld.JITTER), atol=1e-9, rtol=1e-9)


def test_online_two_class_draws_fresh_exact_batches_and_shares_noise_within_a_stream():
    d_in, xis = 16, (2.0, 1.0)
    members = [("nlgp", xis, {"gain": 1.0}), ("nlgp", xis, {"gain": 1.0}), ("nlgp", xis, {"gain": 1.0}),
               ("pulse", [(3, 4), (6, 8)], {"support": (0, 1)}), ("ising", (0.7, 0.3), {})]
    data = loc.OnlineTwoClass(d_in, members, streams=[0, 0, 1, 2, 3])
    g = gen(5)
    x, y = data.sample(20_000, g)
    assert x.shape == (5, 20_000, d_in) and y.shape == (5, 20_000)
    assert bool((y[:, :10_000] == 1).all()) and bool((y[:, 10_000:] == -1).all())
    torch.testing.assert_close(x[0], x[1])                          # same stream: common random numbers
    assert not torch.equal(x[0], x[2])                               # other stream: independent
    exact = loc.nlgp_cov(loc.translation_invariant_cov(d_in, xis[0]), 1.0, "lufkin").float()
    torch.testing.assert_close(th_cov(x[2, :10_000]), exact, atol=0.04, rtol=0)
    assert set(x[3].unique().tolist()) == {0.0, 1.0}
    x2, _ = data.sample(20_000, g)
    assert not torch.equal(x, x2)                                    # fresh samples every call
    x1 = data.class_sample(1, 5_000, g)
    assert x1.shape == (5, 5_000, d_in) and set(x1[3].sum(1).unique().tolist()) <= {3.0, 4.0, 12.0, 13.0}


def test_online_two_class_in_float64_has_the_exact_covariance_and_every_kind():
    d_in, xis = 16, (2.0, 1.0)
    members = [("nlgp", xis, {"gain": 3.0}), ("kur", xis, {"k": 6.0}), ("ising", (0.7, 0.3), {}),
               ("pulse", [(3, 4), (6, 8)], {}), ("elliptical", xis, {"radius": "atanh"})]
    x, y = loc.OnlineTwoClass(d_in, members, dtype=torch.float64).sample(40_000, gen(6))
    assert x.dtype == y.dtype == torch.float64
    for i in (0, 1, 4):                       # the kinds with a closed-form covariance
        kind, _, opts = members[i]
        exact = loc.population_cov(kind, d_in, xis[0], **opts)
        torch.testing.assert_close(th_cov(x[i, :20_000]), exact, atol=0.05, rtol=0)
    assert set(x[2].unique().tolist()) == set(x[3].unique().tolist()) == {-1.0, 1.0}
    with pytest.raises(ValueError, match="dtype"):
        loc.OnlineTwoClass(d_in, members, dtype=torch.float16)


def th_cov(x):
    return x.T @ x / x.shape[0]


def test_population_cov_of_kur_matches_a_large_sample_and_has_unit_diagonal():
    d_in, xi, k = 16, 2.0, 6.0
    exact = loc.population_cov("kur", d_in, xi, k=k)
    torch.testing.assert_close(exact.diagonal(), torch.ones(d_in, dtype=torch.float64), atol=2e-3, rtol=0)
    x = loc.kur(100_000, d_in, xi, k, generator=gen(9)).double()
    torch.testing.assert_close(th_cov(x), exact, atol=0.02, rtol=0)
