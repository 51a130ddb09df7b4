"""Bad input, class by class: a table of public functions x kinds of bad input, each a ValueError.

Every row calls a public function with one argument made bad in one way and expects a
``ValueError`` whose message names that argument, raised before any work is done (the model's
weights are unchanged afterwards). The kinds follow the library's contract (DESIGN §8): integer,
bool or complex tensors where floats are meant; NaN or inf in tensors and in scalar options;
empty tensors; the wrong number of dimensions; shapes that disagree between arguments (never
broadcast); unknown options; strings where booleans are meant.
"""

import math

import pytest
import torch

from nnlab import approximation as ua
from nnlab import linalg, ntk
from nnlab import localization as loc
from nnlab import rainbow as rb
from nnlab import superposition as sp
from nnlab.members import Grid
from nnlab.training import Ensemble, mse_per_member, train
from nnlab.validation import check_tensor


def g(seed=0):
    return torch.Generator().manual_seed(seed)


def relu2():
    return loc.ReluTwoLayer(2, 6, 1, generator=g(1))


def two():
    return loc.TwoLayer(2, 6, 2, generator=g(2))


def toy():
    return sp.ToyModel(5, 2, 2, generator=g(3))


def elbows():
    return ua.ElbowNet([2, 3], generator=g(4))


def ens():
    return Ensemble.mlp([3, 4, 2], 2, generator=g(5))


X6, Y6 = torch.randn(2, 8, 6, generator=g(6)), torch.ones(2, 8)
X1, Y1 = torch.linspace(-1, 1, 8), torch.linspace(-1, 1, 8) ** 2
MSE = lambda m, x, y: ((m(x) - y) ** 2).mean()  # noqa: E731


def lin():
    return torch.nn.Linear(3, 1)


DATA = (torch.randn(8, 3, generator=g(7)), torch.randn(8, 1, generator=g(8)))
NAN, INF = float("nan"), float("inf")


def nan_at(t, index=0):
    t = t.clone()
    t.view(-1)[index] = NAN
    return t


DEGENERATE = [  # valid types, but values whose result would be NaN, 0 or unbounded work
    ("xi", lambda: loc.translation_invariant_cov(20, 1e-300)),  # was a NaN diagonal
    ("w", lambda: loc.ipr(torch.zeros(3, 5))),  # was NaN
    ("x", lambda: loc.kurtosis(torch.ones(10, 2))),  # was NaN
    ("tol", lambda: ua.activation_regions(ua.relu_mlp(1, 3, g(9)), -1.0, 1.0, tol=-1.0)),  # was a reversed region
    ("noise", lambda: __import__("nnlab").feature_ansatz.low_dim_task(10, 3, g(9), noise=NAN)),  # was noise-free
    ("max_regions", lambda: ua.count_linear_pieces(ua.sawtooth(26), 0.0, 1.0)),  # was 2^26 regions, unbounded
]

CASES = {
    "integer/bool/complex tensor": [
        ("x", lambda: two()(torch.ones(5, 6, dtype=torch.int64))),
        ("x", lambda: two()(torch.ones(5, 6, dtype=torch.bool))),
        ("x", lambda: toy()(torch.ones(5, 5, dtype=torch.int32))),
        ("x", lambda: elbows()(torch.arange(5))),
        ("x", lambda: ens()(torch.ones(4, 3, dtype=torch.complex64))),
        ("x", lambda: loc.fit_data(relu2(), X6.long(), Y6, steps=1, lr=0.1)),
        ("y", lambda: loc.fit_data(relu2(), X6, Y6.long(), steps=1, lr=0.1)),
        ("x", lambda: ua.fit_elbow_nets(torch.arange(8), Y1, [2], steps=1)),
        ("y", lambda: ua.fit_elbow_nets(X1, torch.arange(8), [2], steps=1)),
        ("G", lambda: linalg.psd_power(torch.eye(3, dtype=torch.int64), 0.5)),
        ("x1", lambda: ntk.relu_ntk(torch.ones(3, 2, dtype=torch.int64))),
        ("x_hat", lambda: sp.weighted_mse(torch.ones(2, 4, 5, dtype=torch.int64), torch.ones(4, 5), torch.ones(5))),
        ("y", lambda: mse_per_member(elbows(), X1, torch.arange(8))),
        ("y", lambda: loc.task_mse(two(), X6, Y6.long())),
        ("features", lambda: rb.fit_classifier(torch.ones(2, 8, 3, dtype=torch.int64), torch.zeros(8).long())),
        ("weights[0]", lambda: Ensemble.from_layers([torch.ones(1, 2, 3, dtype=torch.int64)])),
        ("w", lambda: ua.ElbowNet.from_elbows(torch.ones(1, 2).long(), torch.ones(1, 2), torch.ones(1, 2),
                                              torch.ones(1))),
        ("dtype", lambda: loc.nlgp(4, 20, 2.0, 1.0, dtype=torch.int64)),
        ("dtype", lambda: loc.gaussian_clone(4, 20, 2.0, 1.0, dtype=torch.int64)),
        ("dtype", lambda: loc.sample_gaussian(4, torch.eye(3), dtype=torch.int32)),
        ("dtype", lambda: loc.TwoLayer(2, 6, 2, dtype=torch.int64)),
        ("X", lambda: rb.accuracy(ens(), torch.ones(4, 3, dtype=torch.int64), torch.zeros(4).long())),
    ],
    "NaN/inf in a tensor": [
        ("x", lambda: loc.fit_data(relu2(), nan_at(X6), Y6, steps=1, lr=0.1)),
        ("x", lambda: ua.fit_elbow_nets(nan_at(X1), Y1, [2], steps=1)),
        ("y", lambda: ua.fit_elbow_nets(X1, nan_at(Y1, 3), [2], steps=1)),
        ("data[0]", lambda: train(lin(), MSE, (nan_at(DATA[0]), DATA[1]), steps=1, lr=0.1)),
        ("data[1]", lambda: train(lin(), MSE, (DATA[0], DATA[1] * INF), steps=1, lr=0.1)),
        ("G", lambda: linalg.psd_power(nan_at(torch.eye(3)), 0.5)),
        ("x1", lambda: ntk.relu_ntk(nan_at(torch.ones(3, 2)))),
        ("y", lambda: mse_per_member(elbows(), X1, nan_at(Y1))),
        ("y", lambda: loc.task_mse(two(), X6, nan_at(Y6))),
        ("features", lambda: rb.fit_classifier(nan_at(torch.ones(2, 8, 3)), torch.zeros(8).long())),
        ("weights[0]", lambda: Ensemble.from_layers([nan_at(torch.ones(1, 2, 3))])),
        ("c", lambda: ua.ElbowNet.from_elbows(torch.ones(1, 2), torch.ones(1, 2), torch.ones(1, 2),
                                              torch.tensor([INF]))),
        ("weights", lambda: sp.weighted_mse(torch.ones(2, 4, 5), torch.ones(4, 5), nan_at(torch.ones(5)))),
        ("data[0]", lambda: sp.sgld_llc(lin(), MSE, (nan_at(DATA[0]), DATA[1]), steps=2, burnin=1)),
    ],
    "NaN/inf scalar option": [
        ("lr", lambda: train(lin(), MSE, DATA, steps=1, lr=NAN)),
        ("momentum", lambda: train(lin(), MSE, DATA, steps=1, lr=0.1, momentum=NAN)),
        ("weight_decay", lambda: train(lin(), MSE, DATA, steps=1, lr=0.1, weight_decay=INF)),
        ("lr", lambda: loc.fit_data(relu2(), X6, Y6, steps=1, lr=INF)),
        ("lr", lambda: ua.fit_elbow_nets(X1, Y1, [2], steps=1, lr=NAN)),
        ("lr", lambda: sp.train_toy_models([0.5], steps=1, lr=NAN)),
        ("gamma", lambda: sp.ToyModel(5, 2, gamma=INF)),
        ("init_std", lambda: loc.TwoLayer(1, 6, 2, init_std=NAN)),
        ("bias_value", lambda: loc.TwoLayer(1, 6, 2, bias_value=INF)),
        ("scale", lambda: loc.xavier_std(4, 1, NAN)),
        ("lr", lambda: sp.sgld_llc(lin(), MSE, DATA, steps=2, burnin=1, lr=NAN)),
        ("localization", lambda: sp.sgld_llc(lin(), MSE, DATA, steps=2, burnin=1, localization=INF)),
        ("alpha", lambda: linalg.psd_power(torch.eye(3), NAN)),
        ("lr", lambda: rb.train_mlps(Ensemble.mlp([3, 2], 2, bias=False), DATA[0], torch.zeros(8).long(),
                                     epochs=1, batch_size=4, lr=INF)),
        ("lo", lambda: ua.ElbowNet([2], init="uniform", lo=NAN)),
    ],
    "empty tensor": [
        ("data[0]", lambda: train(lin(), MSE, (torch.ones(0, 3), torch.ones(0, 1)), steps=1, lr=0.1)),
        ("x", lambda: ua.fit_elbow_nets(torch.ones(0), torch.ones(0), [2], steps=1)),
        ("x", lambda: loc.fit_data(relu2(), torch.ones(2, 0, 6), torch.ones(2, 0), steps=1, lr=0.1)),
        ("G", lambda: linalg.psd_power(torch.ones(0, 0), 0.5)),
        ("weights", lambda: Ensemble.from_layers([])),
        ("widths", lambda: ua.ElbowNet([])),
        ("gain", lambda: Grid(gain=[])),
        ("x", lambda: check_tensor("x", torch.ones(0))),
        ("modules", lambda: Ensemble([])),
        ("idx", lambda: toy().select([])),
    ],
    "wrong number of dimensions": [
        ("x", lambda: two()(torch.ones(6))),
        ("x", lambda: toy()(torch.ones(2, 2, 4, 5))),
        ("x", lambda: ens()(torch.ones(3))),
        ("x", lambda: loc.fit_data(relu2(), torch.ones(8, 6), torch.ones(2, 8), steps=1, lr=0.1)),
        ("x_hat", lambda: sp.weighted_mse(torch.ones(4, 5), torch.ones(4, 5), torch.ones(5))),
        ("features", lambda: rb.fit_classifier(torch.ones(8, 3), torch.zeros(8).long())),
        ("weights[0]", lambda: Ensemble.from_layers([torch.ones(2, 3)])),
        ("x", lambda: elbows()(torch.ones(2, 3, 4))),
        ("G", lambda: linalg.psd_power(torch.ones(3), 0.5)),
        ("X", lambda: rb.accuracy(ens(), torch.ones(4), torch.zeros(4).long())),
    ],
    "shapes that disagree (no broadcasting)": [
        ("x", lambda: ua.fit_elbow_nets(torch.ones(8, 2), torch.ones(16), [2], steps=1)),  # trained on 16 before
        ("y", lambda: ua.fit_elbow_nets(X1, torch.ones(9), [2], steps=1)),
        ("y", lambda: mse_per_member(elbows(), X1, torch.ones(4))),
        ("y", lambda: mse_per_member(elbows(), X1, torch.ones(1, 8))),
        ("y", lambda: loc.task_mse(two(), X6, torch.ones(2, 7))),
        ("y", lambda: loc.fit_data(relu2(), X6, torch.ones(2, 7), steps=1, lr=0.1)),
        ("x", lambda: loc.fit_data(relu2(), torch.ones(3, 8, 6), torch.ones(3, 8), steps=1, lr=0.1)),
        ("x", lambda: two()(torch.ones(3, 5, 6))),
        ("x", lambda: two()(torch.ones(5, 7))),
        ("x", lambda: toy()(torch.ones(5, 4))),
        ("x", lambda: ens()(torch.ones(5, 4))),
        ("weights", lambda: sp.weighted_mse(torch.ones(2, 4, 5), torch.ones(4, 5), torch.ones(4))),
        ("x", lambda: sp.weighted_mse(torch.ones(2, 4, 5), torch.ones(3, 5), torch.ones(5))),
        ("data tensors", lambda: train(lin(), MSE, (torch.ones(4, 3), torch.ones(5, 1)), steps=1, lr=0.1)),
        ("data tensors", lambda: sp.sgld_llc(lin(), MSE, (torch.ones(4, 3), torch.ones(5, 1)), steps=2, burnin=1)),
        ("weights[1]", lambda: Ensemble.from_layers([torch.ones(1, 5, 3), torch.ones(1, 2, 4)])),
        ("b", lambda: ua.ElbowNet.from_elbows(torch.ones(1, 2), torch.ones(1, 3), torch.ones(1, 2), torch.ones(1))),
        ("y", lambda: rb.train_mlps(ens(), DATA[0], torch.zeros(7).long(), epochs=1)),
        ("G", lambda: linalg.psd_power(torch.ones(2, 3), 0.5)),
        ("x2", lambda: ntk.relu_ntk(torch.ones(3, 2), torch.ones(3, 4))),
    ],
    "unknown option": [
        ("optimizer", lambda: train(lin(), MSE, DATA, steps=1, lr=0.1, optimizer="rmsprop")),
        ("shuffle", lambda: train(lin(), MSE, DATA, steps=1, lr=0.1, shuffle="random")),
        ("schedule", lambda: train(lin(), MSE, DATA, steps=1, lr=0.1, schedule="step")),
        ("activation", lambda: loc.TwoLayer(1, 6, 2, activation="tanh")),
        ("readout", lambda: loc.TwoLayer(1, 6, 2, readout="max")),
        ("bias", lambda: loc.TwoLayer(1, 6, 2, bias="maybe")),
        ("activation", lambda: sp.ToyModel(5, 2, activation="gelu")),
        ("init", lambda: ua.ElbowNet([2], init="xavier")),
        ("name", lambda: Grid(seed=2).values("gain")),
        ("convention", lambda: loc.nlgp(4, 20, 2.0, 1.0, convention="other")),
        ("momentum", lambda: train(lin(), MSE, DATA, steps=1, lr=0.1, optimizer="adam", momentum=0.5)),
        ("sample_dim", lambda: sp.sgld_llc(lin(), MSE, DATA, steps=2, burnin=1, sample_dim=2)),
    ],
    "degenerate value (NaN, 0 or unbounded cost)": DEGENERATE,
    "string (or number) where a bool is meant": [
        ("scale_input", lambda: loc.TwoLayer(1, 6, 2, scale_input="False")),
        ("scale_input", lambda: loc.ReluTwoLayer(1, 6, scale_input=0)),
        ("progress", lambda: train(lin(), MSE, DATA, steps=1, lr=0.1, progress="no")),
        ("shared", lambda: sp.train_toy_models([0.5], steps=1, shared="False")),
        ("weights", lambda: loc.fit_data(relu2(), X6, Y6, steps=1, lr=0.1, weights="yes")),
        ("bias", lambda: Ensemble.mlp([3, 2], 2, bias="False")),
    ],
}

ROWS = [(kind, name, call) for kind, rows in CASES.items() for name, call in rows]


@pytest.mark.parametrize("kind, name, call", ROWS, ids=[f"{k}: {n} #{i}" for i, (k, n, _) in enumerate(ROWS)])
def test_bad_input_raises_a_value_error_naming_the_argument(kind, name, call):
    torch.manual_seed(0)
    with pytest.raises(ValueError) as err:
        call()
    assert name in str(err.value), f"{kind}: the message {str(err.value)!r} does not name {name!r}"


def test_the_table_covers_every_class_of_bad_input():
    assert all(len(rows) >= 6 for rows in CASES.values()) and len(ROWS) >= 100


def test_a_rejected_call_leaves_the_model_unchanged():
    model = relu2()
    before = model.W.detach().clone()
    for bad in (dict(lr=NAN), dict(steps=0), dict(record_every=0)):
        with pytest.raises(ValueError):
            loc.fit_data(model, X6, Y6, **{"steps": 3, "lr": 0.1, **bad})
    with pytest.raises(ValueError):
        loc.fit_data(model, X6, torch.ones(2, 8) * 0.5, steps=3, lr=0.1)  # labels must be +-1
    assert torch.equal(model.W.detach(), before)
    net = elbows()
    state = {k: v.clone() for k, v in net.state_dict().items()}
    with pytest.raises(ValueError):
        train(net, mse_per_member, (X1, Y1), steps=2, lr=0.1, momentum=0.5, optimizer="adam")
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in state.items())


def test_valid_conversions_are_documented_and_exact():
    """A list or numpy array becomes a tensor; float64 data into a float32 model is cast."""
    x = [[0.1, 0.2, 0.3]]
    torch.testing.assert_close(ens()(x), ens()(torch.tensor(x)))
    assert math.isclose(float(check_tensor("x", [1, 2]).sum()), 3.0)
    assert check_tensor("x", [1, 2]).dtype == torch.get_default_dtype()  # ints in a list: converted
