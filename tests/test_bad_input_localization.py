"""Bad input over nnlab.localization: every public callable, every mutation.

See ``bad_input_harness``: each ``reg.ok(...)`` is one valid call; the harness derives the bad ones.
"""

import matplotlib.pyplot as plt
import pytest
import torch
from bad_input_harness import F, G, Registry, T

from nnlab import localization as loc
from nnlab.localization import theory as th

reg = Registry()

NOT_SCANNED = "forward passes do not scan x for NaN/inf (documented: a device sync per call); NaN propagates"
ANY_SHAPE = "documented: any shape, a 0-d scalar included"
FREE_TEXT = "free text: any string is valid"

D = 10   # input sites
XI = 1.0  # correlation length (<= 0.15 D)


def cov(d=D):
    return loc.translation_invariant_cov(d, XI)


def factor():
    return loc.gaussian_factor(cov())


def task():
    return loc.TwoClassTask(D, [XI, 1.4], [1.0, 2.0], clone=[False, True])


def two_layer():
    return loc.TwoLayer(2, D, 4, generator=torch.Generator().manual_seed(1))


def relu_two_layer():
    return loc.ReluTwoLayer(2, D, 2, generator=torch.Generator().manual_seed(2))


def labels(m=2, n=6):
    return torch.tensor([1.0, -1.0] * (n // 2)).expand(m, n).clone()


def positions():
    return torch.tensor([[0.5, 3.2, 7.9], [1.0, 1.5, 6.0]])


def correlations():
    return torch.tensor([[0.1, -0.5, 0.9, 0.0], [0.3, 0.2, -0.1, 0.7]], dtype=torch.float64)


def spd(d=4, seed=0):
    a = torch.randn(d, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return a @ a.T / d + torch.eye(d, dtype=torch.float64)


# ----------------------------------------------------------------------------------- data

def task_sample(n):
    return task().sample(n, torch.Generator().manual_seed(3))


def task_to(device):
    return task().to(device)


reg.ok(loc.periodic_distance, D)
reg.ok(loc.translation_invariant_cov, D, XI, jitter=1e-3)
reg.ok(loc.circulant_spectrum, F(cov))
reg.ok(loc.erf_slope, 1.0, "goldt")
reg.ok(loc.nlgp_scale, 1.0, "lufkin", variance=1.0)
reg.ok(loc.nlgp_transform, T(3, D), 1.0, "goldt", 1.0, skip={"z": ["0-d"]})  # ANY_SHAPE
reg.ok(loc.nlgp_cov, F(cov), 1.0, "goldt")
reg.ok(loc.nlgp_kurtosis, 1.0, "lufkin")
reg.ok(loc.gaussian_factor, F(cov), tol=1e-8)
reg.ok(loc.sample_gaussian, 3, F(factor), G(1), dtype=torch.float64)
reg.ok(loc.sample_gaussian, 3, F(lambda: torch.stack([factor(), factor()])), G(1), name="sample_gaussian_batch")
reg.ok(loc.transformed_gp, 3, F(cov), lambda z: z.tanh(), G(1), torch.float32)
reg.ok(loc.nlgp, 3, D, XI, 1.0, "goldt", G(1), torch.float32)
reg.ok(loc.gaussian_clone, 3, D, XI, 1.0, "lufkin", G(1), torch.float64)
reg.ok(loc.two_class, 4, D, [XI, 1.4], 1.0, clone=True, convention="goldt", generator=G(1))
reg.ok(loc.TwoClassTask, D, [XI, 1.4], [1.0, 2.0], clone=[False, True], convention="goldt")
reg.ok(task_sample, 4)
reg.ok(task_to, "cpu")
reg.ok(loc.kur_moment, 6.0, 2)
reg.ok(loc.kur_kurtosis, 6.0)
reg.ok(loc.kur_transform, T(3, D), 6.0, 1.0, skip={"z": ["0-d"]})  # ANY_SHAPE
reg.ok(loc.kur, 3, D, XI, 6.0, G(1), torch.float32)
reg.ok(loc.ising, 3, 4, 0.5, G(1), sweeps=2, dtype=torch.float32)
reg.ok(loc.ising, 3, 5, -0.5, G(1), sweeps=1, name="ising_odd")
reg.ok(loc.single_pulse, 3, D, (1, 3), G(1), torch.float32)
reg.ok(loc.elliptical_kurtosis, D, "constant")
reg.ok(loc.elliptical, 3, D, XI, G(1), radius="atanh", dtype=torch.float32)
reg.ok(loc.two_class_samples, "ising", 4, 4, [0.5, -0.5], p=0.5, generator=G(1), sweeps=2)
reg.ok(loc.two_class_samples, "nlgp", 4, D, [XI, 1.4], p=0.5, generator=G(1), gain=1.0,
       name="two_class_samples_nlgp")
reg.ok(loc.marginal_kurtosis, "elliptical", D, radius="chi")
reg.ok(loc.marginal_kurtosis, "kur", D, k=6.0, name="marginal_kurtosis_kur")
reg.ok(loc.pulse_lengths, (0.05, 0.25), 40)
reg.ok(loc.single_pulse, 3, D, (2, 4), G(1), torch.float32, support=(0, 1), name="single_pulse_zero_one")
reg.ok(loc.ising_exact, 3, 5, 0.5, G(1), torch.float32)
reg.ok(loc.gp_transform_cov, F(cov), lambda z: z.tanh(), points=10)
reg.ok(loc.population_cov, "kur", D, XI, k=6.0)
reg.ok(loc.population_cov, "nlgp", D, XI, gain=1.0, name="population_cov_nlgp")


def online_members():
    return [("nlgp", [XI, 1.4], {"gain": 1.0}), ("kur", [XI, 1.4], {"k": 6.0}), ("ising", [0.5, 0.2], {}),
            ("pulse", [(1, 2), (3, 4)], {"support": (0, 1)}), ("elliptical", [XI, 1.4], {"radius": "constant"})]


def online_sample(n):
    return loc.OnlineTwoClass(D, online_members(), streams=[0, 0, 1, 2, 3]).sample(n, torch.Generator().manual_seed(1))


reg.ok(loc.OnlineTwoClass, D, F(online_members), p=0.5, streams=[0, 0, 1, 2, 3], dtype=torch.float64)
reg.ok(online_sample, 4)
reg.ok(lambda n: loc.OnlineTwoClass(D, online_members()).class_sample(1, n, torch.Generator().manual_seed(2)), 3,
       name="online_class_sample")

# ----------------------------------------------------------------------------------- models


def two_layer_forward(x):
    return two_layer()(x)


def two_layer_preactivations(x):
    return two_layer().preactivations(x)


def two_layer_targets(y):
    return loc.TwoLayer(2, D, 4, activation="sigmoid", generator=torch.Generator().manual_seed(1)).targets(y)


def two_layer_param_groups(lr):
    return loc.TwoLayer(2, D, 4, bias="learnable", generator=torch.Generator().manual_seed(1)).param_groups(lr)


def relu_gradient(x, xt, target):
    return relu_two_layer().gradient(x, xt, target)


def relu_inputs():
    return torch.randn(2, 6, D, generator=torch.Generator().manual_seed(4))


def relu_inputs_t():
    return relu_inputs().transpose(1, 2).contiguous()


reg.ok(loc.TwoLayer, 2, D, 4, activation="sigmoid", readout="signed", bias="learnable", bias_value=1.0,
       init_std=0.1, generator=G(1), dtype=torch.float64, scale_input=True)
reg.ok(loc.ReluTwoLayer, 2, D, 2, init_std=0.1, generator=G(1), dtype=torch.float32, scale_input=False)
reg.ok(two_layer_forward, T(6, D), skip={"x": ["nan", "inf"]})  # NOT_SCANNED
reg.ok(two_layer_forward, T(2, 6, D), skip={"x": ["nan", "inf"]}, name="two_layer_forward_per_member")  # NOT_SCANNED
reg.ok(two_layer_preactivations, T(6, D), skip={"x": ["nan", "inf"]})  # NOT_SCANNED
reg.ok(two_layer_targets, F(labels), skip={"y": ["0-d"]})  # ANY_SHAPE
reg.ok(two_layer_param_groups, 0.1)
# the hand-written gradient runs once per step of fit_data: shapes and dtypes are checked, values not scanned
reg.ok(relu_gradient, F(relu_inputs), F(relu_inputs_t), F(lambda: (labels()[:, None, :] > 0).float()),
       skip={"x": ["nan", "inf"], "xt": ["nan", "inf"], "target": ["nan", "inf"]})  # NOT_SCANNED (hot loop)
reg.ok(loc.task_mse, F(two_layer), T(6, D), F(labels))
reg.ok(loc.task_mse, F(two_layer), T(2, 6, D), F(lambda: labels()[0]), name="task_mse_shared_y")
reg.ok(loc.accuracy_per_member, F(two_layer), T(2, 6, D), F(labels),
       skip={"y": ["int"]})  # labels: an integer tensor of +-1 is meant
reg.ok(loc.fit, F(two_layer), F(task), steps=1, lr=0.1, batch_size=4, generator=G(1), record_every=1,
       device="cpu")
reg.ok(loc.fit_data, F(relu_two_layer), F(relu_inputs), F(labels), steps=2, lr=0.1, record_every=1, weights=True)
reg.ok(loc.xavier_std, D, 2, 1e-3)
reg.ok(loc.fit_online, F(relu_two_layer), lambda t: (relu_inputs(), labels()), steps=2, lr=0.1, record_every=1,
       weights=True)

# ----------------------------------------------------------------------------------- metrics

reg.ok(loc.ipr, T(3, D))
reg.ok(loc.kurtosis, T(20, 3), dim=0)
reg.ok(loc.excess_kurtosis, T(20, 3), dim=-1)
reg.ok(loc.peak_position, T(3, D))
reg.ok(loc.peak_width, T(3, D))
reg.ok(loc.centred_field, T(3, D))
reg.ok(loc.power_spectrum, T(3, D))
reg.ok(loc.dominant_frequency, T(3, D))
reg.ok(loc.spectral_concentration, T(3, D), halfwidth=1)
# positions on the ring: integer site numbers are valid (converted to floats)
reg.ok(loc.circular_gaps, F(positions), float(D), skip={"positions": ["int"]})
reg.ok(loc.tiling_evenness, F(positions), float(D), skip={"positions": ["int"]})
reg.ok(loc.tiling_percentile, F(positions), float(D), skip={"positions": ["int"]})
# pair-aware tiling (fields of groups [..., n, d_in]) and per-member learning rates
reg.ok(loc.field_overlap, T(2, 4, D))
reg.ok(loc.sign_pairs, T(2, 4, D), threshold=0.5)
reg.ok(loc.pair_fraction, T(2, 4, D), threshold=0.5)
reg.ok(loc.unit_tiling_percentile, T(2, 4, D), threshold=0.5)
reg.ok(loc.fit_rates, F(two_layer), F(task), F(lambda: torch.tensor([0.1, 0.2])), steps=1, batch_size=4,
       generator=G(1), record_every=1)

# ----------------------------------------------------------------------------------- cumulants

reg.ok(loc.cumulant4, T(20, 4, dtype=torch.float64), T(4, seed=1))
reg.ok(loc.cumulant4, T(20, 4), T(3, 4, seed=1), name="cumulant4_batch")
reg.ok(loc.cumulant4_gradient, T(20, 4), T(3, 4, seed=1))
reg.ok(loc.cumulant4_component, T(20, 4), restarts=2, steps=2, sign="positive", step_size=0.3, generator=G(1))

# ----------------------------------------------------------------------------------- plots

reg.ok(loc.plot_fields_image, F(lambda: plt.subplots()[1]), T(3, D), "fields", normalize=True,
       skip={"title": ["unknown"]})  # FREE_TEXT
reg.ok(loc.plot_fields, F(lambda: plt.subplots()[1]), T(3, D), centre=True, colors=["C0", "C1"])

# ----------------------------------------------------------------------------------- theory


def table_call(a):
    return th.PhiTable(torch.randn(2, 50, generator=torch.Generator().manual_seed(5)), points=11)(a)


def phi(a):
    return th.phi_gaussian(a)


reg.ok(th.phi_gaussian, F(correlations), skip={"a": ["0-d"]})  # ANY_SHAPE
reg.ok(th.phi_cubic, F(correlations), 2.0, skip={"a": ["0-d"]})  # ANY_SHAPE (with a float kappa)
reg.ok(th.phi_cubic, F(correlations), F(lambda: torch.tensor([1.5, 2.5])), name="phi_cubic_per_member")
reg.ok(th.phi_samples, F(correlations), T(5), F(lambda: torch.full((5,), 0.2)), skip={"a": ["0-d"]})  # ANY_SHAPE
reg.ok(th.gauss_hermite, 5)
reg.ok(th.PhiTable, T(2, 50), F(lambda: torch.full((50,), 0.02)), points=11)
reg.ok(table_call, F(lambda: correlations().float()))
reg.ok(th.overlap, T(2, 4, dtype=torch.float64), F(spd))
reg.ok(th.flow, T(2, 4, dtype=torch.float64), F(spd), F(lambda: spd(seed=1)), phi, p=0.5, weight=0.3)
reg.ok(th.integrate, T(2, 4, dtype=torch.float64), F(spd), F(lambda: spd(seed=1)), phi, tau=0.1, steps=2, p=0.5,
       weight=0.3, record_every=1)
reg.ok(th.covariance, T(6, 4))
reg.ok(th.sign_moment, T(2, 4, dtype=torch.float64), T(2, 6, 4, seed=1))
reg.ok(th.integrate_sampled, T(2, 4, dtype=torch.float64), F(spd), F(lambda: spd(seed=1)),
       lambda t: torch.randn(2, 6, 4, generator=torch.Generator().manual_seed(t)), tau=0.1, steps=2, p=0.5,
       record_every=1)
reg.ok(th.linearity_residual, T(2, 4, dtype=torch.float64), T(2, 6, 4, seed=1), F(spd))

test_valid_call, test_bad_input, test_coverage = reg.tests(
    [loc, loc.data, loc.models, loc.metrics, loc.cumulants, loc.plots, loc.theory], exempt={})


# ------------------------------------------------------------------ beyond the derived mutations

@pytest.mark.parametrize("arg, call", [
    ("y", lambda: loc.accuracy_per_member(two_layer(), torch.randn(2, 6, D), torch.ones(2, 5))),  # not broadcast
    ("y", lambda: loc.accuracy_per_member(two_layer(), torch.randn(6, D), torch.ones(1, 6))),
    ("x", lambda: loc.accuracy_per_member(two_layer(), torch.randn(6, D + 1), torch.ones(6))),
    ("model", lambda: loc.accuracy_per_member(torch.nn.Linear(D, 1), torch.randn(6, D), torch.ones(6))),
    ("cov1", lambda: th.overlap(torch.ones(2, 4), torch.eye(3))),
    ("cov1", lambda: th.overlap(torch.ones(4), torch.eye(4).expand(2, 4, 4))),
    ("weights", lambda: th.phi_samples(torch.zeros(3), torch.ones(5), torch.ones(4))),
    ("weights", lambda: th.PhiTable(torch.ones(2, 5), torch.ones(4))),
    ("phi", lambda: th.integrate(torch.ones(4), torch.eye(4), torch.eye(4), "gaussian", tau=0.1, steps=1)),
    ("kappa", lambda: th.phi_cubic(torch.zeros(2, 3), torch.ones(3) * 2)),
    ("v", lambda: loc.cumulant4(torch.randn(10, 3), torch.randn(2, 4))),
    ("xt", lambda: relu_two_layer().gradient(relu_inputs(), relu_inputs(), torch.ones(2, 1, 6))),
    ("x", lambda: relu_two_layer().gradient(relu_inputs().double(), relu_inputs_t(), torch.ones(2, 1, 6))),
    ("clone[1]", lambda: loc.TwoClassTask(D, [XI, 1.4], [1.0, 2.0], clone=[False, "False"])),
    ("gain", lambda: loc.marginal_kurtosis("nlgp", D)),
    ("options", lambda: loc.marginal_kurtosis("kur", D, k=6.0, gain=1.0)),
    ("d_in", lambda: loc.marginal_kurtosis("ising", 1)),
    ("device", lambda: loc.fit(two_layer(), task(), steps=1, lr=0.1, device=3)),
    ("steps", lambda: loc.fit(two_layer(), task(), steps=0, lr=0.1)),
    ("cov", lambda: loc.gaussian_factor(torch.tensor([[1.0, 0.5], [0.4, 1.0]]))),
    ("factor", lambda: loc.sample_gaussian(3, torch.ones(3, 4))),
])
def test_mismatched_or_malformed_arguments_raise_value_errors_naming_them(arg, call):
    with pytest.raises(ValueError) as err:
        call()
    assert arg in str(err.value) or (arg == "options" and "takes the options" in str(err.value))


def test_documented_conversions_give_the_same_results():
    w = torch.randn(3, D, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    torch.testing.assert_close(loc.ipr(w.numpy()), loc.ipr(w))                  # a numpy array is converted
    torch.testing.assert_close(loc.peak_position(w.tolist()), loc.peak_position(w))   # so is a list
    sites = torch.tensor([[0, 3, 7], [1, 2, 6]])
    torch.testing.assert_close(loc.tiling_percentile(sites, D), loc.tiling_percentile(sites.float(), D))
    model = two_layer()
    x, y = task().sample(6, torch.Generator().manual_seed(3))
    torch.testing.assert_close(loc.accuracy_per_member(model, x, y.long()), loc.accuracy_per_member(model, x, y))
    task_np = loc.TwoClassTask(D, [XI, 1.4], [1.0, 2.0], clone=list(torch.tensor([False, True])))
    assert task_np.clone == [False, True]
