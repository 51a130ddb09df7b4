"""The member axis: Grid, select/member on every batched model, the data convention, train's hooks."""

import itertools

import numpy as np
import pytest
import torch
from torch import nn

from nnlab import approximation as ua
from nnlab import localization as loc
from nnlab import rainbow as rb
from nnlab import superposition as sp
from nnlab.members import Grid, Members
from nnlab.training import Ensemble, mse_per_member, progress_enabled, train


def gen(seed):
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------------ Grid

def test_grid_order_is_the_cartesian_product_last_axis_fastest():
    kinds, gains = ["nlgp", "clone"], [0.5, 3.0, 100.0]
    grid = Grid(kind=kinds, gain=gains, seed=4)
    brute = list(itertools.product(kinds, gains, range(4)))  # the independent answer
    assert grid.members == len(grid) == len(brute) == 24 and grid.shape == (2, 3, 4)
    assert [tuple(c.values()) for c in grid.configs()] == brute
    assert grid.column("gain") == [g for _, g, _ in brute]
    assert grid.column("seed") == [s for _, _, s in brute]
    for m, (k, g, s) in enumerate(brute):
        assert grid.index(kind=k, gain=g, seed=s) == m
    assert grid.index(kind="clone") == [m for m, c in enumerate(brute) if c[0] == "clone"]
    values = torch.arange(24.0)[:, None].expand(24, 5)
    shaped = grid.reshape(values)
    assert shaped.shape == (2, 3, 4, 5)
    for m, (k, g, s) in enumerate(brute):
        assert float(shaped[kinds.index(k), gains.index(g), s, 0]) == m
    assert isinstance(grid.reshape(np.arange(24)), torch.Tensor)


@pytest.mark.parametrize("call, match", [
    (lambda: Grid(), "at least one axis"),
    (lambda: Grid(seed=0), "seed must be >= 1"),
    (lambda: Grid(gain=[]), "at least one value"),
    (lambda: Grid(gain="abc"), "sequence"),
    (lambda: Grid(seed=2).index(gain=1), "axes"),
    (lambda: Grid(seed=2).index(seed=5), "seed must be one of"),
    (lambda: Grid(seed=2).reshape(torch.zeros(3)), "2"),
])
def test_grid_rejects_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------- select and member, every model

def _models():
    """(model, shared input, per-member input) for every Members class of the library."""
    yield loc.TwoLayer(4, 6, 2, bias="learnable", generator=gen(0)), torch.randn(7, 6), torch.randn(4, 7, 6)
    yield loc.ReluTwoLayer(4, 6, 3, generator=gen(1)), torch.randn(7, 6), torch.randn(4, 7, 6)
    toy = sp.ToyModel(5, 2, 4, generator=gen(2))
    with torch.no_grad():
        toy.b.normal_(generator=gen(3))
    yield toy, torch.rand(7, 5), torch.rand(4, 7, 5)
    yield ua.ElbowNet([1, 3, 2, 5], generator=gen(4)), torch.linspace(-1, 1, 7), None
    yield rb.mlp_ensemble([6, 5, 3], 4, gen(5)), torch.randn(7, 6), torch.randn(4, 7, 6)
    yield Ensemble.mlp([6, 5, 3], 4, generator=gen(6)), torch.randn(7, 6), torch.randn(4, 7, 6)
    torch.manual_seed(0)
    yield Ensemble([_Residual() for _ in range(4)]), torch.randn(7, 3), torch.randn(4, 7, 3)


class _Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin, self.out = nn.Linear(3, 3), nn.Linear(3, 2)

    def forward(self, x):
        return self.out(x + torch.tanh(self.lin(x)))


MODELS = list(_models())


def run_member(model, single, x):
    """An ElbowNet member is the standard Linear(1, w) -> ReLU -> Linear(w, 1) on inputs [N, 1]."""
    return single(x[:, None])[:, 0] if isinstance(model, ua.ElbowNet) else single(x)


@pytest.mark.parametrize("model, x, xs", MODELS, ids=[type(m[0]).__name__ + str(i) for i, m in enumerate(MODELS)])
def test_select_and_member_agree_with_the_batched_forward(model, x, xs):
    assert isinstance(model, Members) and model.members == 4
    with torch.no_grad():
        out = model(x)
        part = model.select([3, 1])
        assert type(part) is type(model) and part.members == 2
        torch.testing.assert_close(part(x), out[[3, 1]])
        for i in range(4):
            single = model.member(i)
            assert not isinstance(single, Members)
            torch.testing.assert_close(run_member(model, single, x), out[i], rtol=1e-5, atol=1e-6)
        if xs is not None:  # per-member inputs: member i sees xs[i]
            per = model(xs)
            for i in range(4):
                torch.testing.assert_close(model.member(i)(xs[i]), per[i], rtol=1e-5, atol=1e-6)
    # select copies: training the selection leaves the original alone
    before = [p.detach().clone() for p in model.parameters()]
    with torch.no_grad():
        for p in part.parameters():
            p.add_(1.0)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


@pytest.mark.parametrize("model, x, xs", MODELS[:4], ids=["TwoLayer", "ReluTwoLayer", "ToyModel", "ElbowNet"])
def test_gradient_of_member_i_touches_only_slice_i(model, x, xs):
    """A property of any correct member axis: member i's output depends on slice i only."""
    out = model(x)
    out[2].sum().backward()
    for name in type(model).member_tensors:
        t = getattr(model, name)
        if isinstance(t, nn.Parameter) and t.grad is not None:
            others = torch.cat([t.grad[:2], t.grad[3:]])
            assert float(others.abs().max()) == 0.0, name
    model.zero_grad(set_to_none=True)


def test_select_rejects_bad_indices():
    model = sp.ToyModel(5, 2, 3)
    for bad in ([], [3], [-1], [0.5], "a"):
        with pytest.raises(ValueError, match="idx"):
            model.select(bad)


# ------------------------------------------------------------------------ train's hooks

def test_train_takes_the_learning_rates_from_the_model():
    """TwoLayer's learnable biases move at lr / d_in (the reference's rate): one SGD step, checked by autograd."""
    model = loc.TwoLayer(2, 8, 4, bias="learnable", generator=gen(0))
    x, y = torch.randn(2, 16, 8, generator=gen(1)), torch.sign(torch.randn(2, 16, generator=gen(2)))
    W0, b0 = model.W.detach().clone(), model.b.detach().clone()
    gW, gb = torch.autograd.grad(loc.task_mse(model, x, y).sum(), [model.W, model.b])
    train(model, loc.task_mse, (x, y), steps=1, lr=0.3, progress=False)  # full batch of per-member data
    torch.testing.assert_close(model.W.detach(), W0 - 0.3 * gW)
    torch.testing.assert_close(model.b.detach(), b0 - 0.3 / 8 * gb)


def test_hand_written_gradient_plugs_into_train_and_equals_autograd():
    model = loc.ReluTwoLayer(3, 10, 2, generator=gen(3))
    twin = model.select(range(3))
    x = torch.randn(3, 40, 10, generator=gen(4))
    y = torch.sign(torch.randn(3, 40, generator=gen(5)))
    hist = loc.fit_data(model, x, y, steps=20, lr=0.5, record_every=10)
    assert hist.steps == [0, 10, 20] and hist.tensor("W").shape == (3, 3, 2, 10)
    train(twin, loc.task_mse, (x, y), steps=20, lr=0.5, progress=False)  # the same steps with autograd
    torch.testing.assert_close(model.W.detach(), twin.W.detach(), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(hist.tensor("W")[-1], model.W.detach())


def test_per_member_shuffling_gives_each_member_its_own_epoch():
    n, M = 12, 3
    X = torch.arange(float(n))[:, None]
    model = Ensemble.mlp([1, 1], M, generator=gen(0))
    seen = []

    def loss(m, xb):
        if torch.is_grad_enabled():
            seen.append(xb[..., 0].clone())
        return (m(xb) ** 2).mean((1, 2))

    train(model, loss, (X,), steps=6, lr=1e-3, batch_size=4, shuffle="per_member", generator=gen(1),
          record_every=100, progress=False)
    assert all(b.shape == (M, 4) for b in seen)
    for epoch in (seen[:3], seen[3:]):
        for m in range(M):
            assert sorted(torch.cat([b[m] for b in epoch]).tolist()) == list(range(n))
    assert len({tuple(torch.cat([b[m] for b in seen[:3]]).tolist()) for m in range(M)}) > 1


def test_train_refuses_no_grad_and_momentum_without_sgd():
    model = nn.Linear(2, 1)
    data = (torch.randn(4, 2), torch.randn(4, 1))
    with torch.no_grad(), pytest.raises(ValueError, match="no_grad"):
        train(model, lambda m, x, y: ((m(x) - y) ** 2).mean(), data, steps=1, lr=0.1)
    with pytest.raises(ValueError, match="momentum"):
        train(model, lambda m, x, y: ((m(x) - y) ** 2).mean(), data, steps=1, lr=0.1, optimizer="adam", momentum=0.9)
    with pytest.raises(ValueError, match="per_member"):
        train(model, lambda m, x, y: ((m(x) - y) ** 2).mean(), data, steps=1, lr=0.1, shuffle="per_member",
              batch_size=2)


def test_mse_per_member_never_broadcasts():
    net = ua.ElbowNet([2, 3])
    x = torch.linspace(-1, 1, 8)
    y = torch.sin(x)
    expected = torch.stack([((net.member(i)(x[:, None])[:, 0] - y) ** 2).mean() for i in range(2)])
    torch.testing.assert_close(mse_per_member(net, x, y), expected)
    torch.testing.assert_close(mse_per_member(net, x, y.expand(2, 8)), expected)
    for bad in (y[:4], y[None], torch.zeros(3, 8)):
        with pytest.raises(ValueError, match="y must have shape"):
            mse_per_member(net, x, bad)


@pytest.mark.parametrize("value, on", [("1", True), ("true", True), ("On", True), ("0", False), ("False", False),
                                       ("off", False), ("no", False), ("", False)])
def test_progress_environment_values(monkeypatch, value, on):
    monkeypatch.setenv("NNLAB_PROGRESS", value)
    assert progress_enabled() is on


def test_progress_environment_rejects_unknown_values(monkeypatch):
    monkeypatch.setenv("NNLAB_PROGRESS", "maybe")
    with pytest.raises(ValueError, match="NNLAB_PROGRESS"):
        progress_enabled()


# ------------------------------------------------------------ RNG use and default dtype

@pytest.mark.parametrize("build", [
    lambda g: ua.ElbowNet([2, 3], generator=g),
    lambda g: ua.ElbowNet([2, 3], generator=g).member(1),
    lambda g: ua.relu_mlp(2, 4, g),
    lambda g: ua.sawtooth(3),
    lambda g: loc.TwoLayer(2, 5, 2, generator=g),
    lambda g: sp.ToyModel(5, 2, 3, generator=g),
    lambda g: Ensemble.mlp([3, 4, 2], 2, generator=g),
    lambda g: rb.mlp_ensemble([3, 4, 2], 2, g),
    lambda g: __import__("nnlab").feature_ansatz.make_mlp(3, 4, 2, g),
    lambda g: sp.ToyModel(5, 2, 3, generator=g).select([0, 2]).member(1),
], ids=["ElbowNet", "ElbowNet.member", "relu_mlp", "sawtooth", "TwoLayer", "ToyModel", "Ensemble.mlp",
        "mlp_ensemble", "make_mlp", "select+member"])
def test_no_global_rng_use_when_a_generator_is_given(build):
    state = torch.get_rng_state()
    build(gen(0))
    assert torch.equal(torch.get_rng_state(), state)


def test_trainers_work_under_a_float64_default_dtype():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        model, hist = sp.train_toy_models([0.0, 0.5], steps=5, batch_size=16, generator=gen(0),
                                          data_generator=gen(1), record_every=5)
        assert model.W.dtype == torch.float64 and np.isfinite(hist.final_loss).all()
        net, h = ua.fit_elbow_nets(torch.linspace(-1, 1, 16), torch.linspace(-1, 1, 16) ** 2, [2], steps=5,
                                   progress=False)
        assert net.w.dtype == torch.float64 and np.isfinite(h.final_loss).all()
        two = loc.TwoLayer(2, 20, 2, generator=gen(2))
        task = loc.TwoClassTask(20, (1.0, 2.0), [1.0, 3.0])
        h = loc.fit(two, task, steps=3, lr=0.1, batch_size=8, generator=gen(3))
        assert two.W.dtype == torch.float64 and np.isfinite(h.final_loss).all()
        ens = rb.mlp_ensemble([4, 3, 2], 2, gen(4))
        X, y = torch.randn(8, 4, dtype=torch.float32), torch.tensor([0, 1] * 4)
        h = rb.train_mlps(ens, X, y, epochs=1, batch_size=4)  # float32 data into a float64 model: converted
        assert np.isfinite(h.final_loss).all()
    finally:
        torch.set_default_dtype(old)


def test_float64_data_into_a_float32_model_is_converted():
    model = loc.TwoLayer(2, 6, 2, generator=gen(0))
    x = torch.randn(5, 6, dtype=torch.float64)
    torch.testing.assert_close(model(x), model(x.float()))
    toy = sp.ToyModel(5, 2, 2, generator=gen(1))
    torch.testing.assert_close(toy(x[:, :5]), toy(x[:, :5].float()))
    ens = Ensemble.mlp([6, 3], 2, generator=gen(2))
    torch.testing.assert_close(ens(x.tolist()), ens(x.float()))  # a list is converted too


def test_progress_is_off_unless_asked_for(monkeypatch):
    """Unset, no progress bars: a chapter's outputs do not depend on how it is run (plain nbval)."""
    monkeypatch.delenv("NNLAB_PROGRESS", raising=False)
    assert progress_enabled() is False
