import numpy as np
import pytest
import torch
from torch import nn

from nnlab.training import Ensemble, History, train


def mse(model, x, y):
    return ((model(x) - y) ** 2).mean()


def test_full_batch_gd_matches_closed_form_iterates():
    # Least squares: w_{t+1} = w_t - lr * (2/n) X^T (X w_t - y), computed in numpy.
    g = torch.Generator().manual_seed(0)
    X, y = torch.randn(20, 3, generator=g, dtype=torch.float64), torch.randn(20, generator=g, dtype=torch.float64)
    model = nn.Linear(3, 1, bias=False).double()
    w = model.weight.detach().numpy()[0].copy()
    train(model, lambda m, X, y: ((m(X)[:, 0] - y) ** 2).mean(), (X, y), steps=25, lr=0.1, progress=False)
    Xn, yn = X.numpy(), y.numpy()
    for _ in range(25):
        w = w - 0.1 * 2 / 20 * Xn.T @ (Xn @ w - yn)
    np.testing.assert_allclose(model.weight.detach().numpy()[0], w, rtol=1e-10)


def test_history_records_steps_loss_and_metrics():
    X, y = torch.randn(32, 2), torch.randn(32, 1)
    model = nn.Linear(2, 1)
    h = train(model, mse, (X, y), steps=50, lr=0.05, record_every=20,
              metrics={"norm": lambda m: m.weight.norm()}, progress=False)
    assert isinstance(h, History)
    assert h.steps == [0, 20, 40, 50]
    assert len(h.loss) == len(h.metrics["norm"]) == 4
    assert h.loss[-1] < h.loss[0]
    assert h.array("norm").shape == (4,) and h.seconds > 0
    assert h.final_loss == h.loss[-1]


def test_minibatches_visit_every_sample_once_per_epoch():
    X = torch.arange(12.0)[:, None]
    seen = []

    def loss(model, xb):
        seen.append(xb[:, 0].tolist())
        return (model(xb) ** 2).mean()

    train(nn.Linear(1, 1), loss, (X,), steps=6, lr=1e-3, batch_size=4, record_every=100,
          generator=torch.Generator().manual_seed(0), progress=False)
    # one call per step (step 0's loss is also its record), then the final record
    assert len(seen) == 7 and seen[6] == seen[5]
    batches = seen[:6]
    first_epoch = [i for batch in batches[:3] for i in batch]
    second_epoch = [i for batch in batches[3:6] for i in batch]
    assert sorted(first_epoch) == sorted(second_epoch) == list(range(12))


def test_online_data_callable_is_called_once_per_step():
    calls = []

    def sample(step):
        calls.append(step)
        return (torch.randn(8, 2), torch.randn(8, 1))

    train(nn.Linear(2, 1), mse, sample, steps=10, lr=0.01, progress=False)
    assert calls == list(range(10))


def test_cosine_schedule():
    # a loss with constant gradient 1 moves the weight by exactly the sum of the learning rates
    model = nn.Linear(1, 1, bias=False).double()
    w0 = float(model.weight.detach())
    h = train(model, lambda m: m.weight.sum(), lambda s: (), steps=10, lr=0.1, schedule="cosine",
              metrics={"w": lambda m: m.weight.sum()}, record_every=5, progress=False)
    lrs = 0.1 * (1 + np.cos(np.pi * np.arange(10) / 10)) / 2  # lr at step t
    np.testing.assert_allclose(h.array("w"), [w0, w0 - lrs[:5].sum(), w0 - lrs.sum()], atol=1e-12)


@pytest.mark.parametrize("kwargs,match", [
    ({"steps": 0}, "steps"), ({"lr": 0.0}, "lr"), ({"optimizer": "rmsprop"}, "optimizer"),
    ({"batch_size": 0}, "batch_size"), ({"schedule": "step"}, "schedule"),
    ({"record_every": 0}, "record_every"),
])
def test_train_rejects_bad_arguments(kwargs, match):
    args = {"steps": 5, "lr": 0.1, **kwargs}
    with pytest.raises(ValueError, match=match):
        train(nn.Linear(1, 1), mse, (torch.randn(4, 1), torch.randn(4, 1)), progress=False, **args)


def test_train_rejects_mismatched_data():
    with pytest.raises(ValueError, match="first dimension"):
        train(nn.Linear(1, 1), mse, (torch.randn(4, 1), torch.randn(5, 1)), steps=1, lr=0.1)


# ------------------------------------------------------------------------------ ensembles

def mlp(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))


class Residual(nn.Module):
    """Not a plain Sequential: exercises the generic vmap path."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.out = nn.Linear(3, 2)

    def forward(self, x):
        return self.out(x + torch.tanh(self.lin(x)))


@pytest.mark.parametrize("make", [mlp, lambda s: (torch.manual_seed(s), Residual())[1]])
def test_ensemble_outputs_equal_loop_over_members(make):
    members = [make(s) for s in range(4)]
    ens = Ensemble(members)
    x = torch.randn(5, 3)
    expected = torch.stack([m(x) for m in members])
    torch.testing.assert_close(ens(x), expected, rtol=1e-5, atol=1e-6)
    xs = torch.randn(4, 5, 3)
    expected = torch.stack([m(xi) for m, xi in zip(members, xs)])
    torch.testing.assert_close(ens(xs), expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ens.member(2)(x), members[2](x))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_batched_training_equals_training_each_member_alone(optimizer):
    X, y = torch.randn(64, 3), torch.randn(64, 2)
    ens = Ensemble([mlp(s) for s in range(3)])
    h = train(ens, lambda m, X, y: ((m(X) - y) ** 2).mean(dim=(1, 2)), (X, y), steps=40, lr=0.01,
              optimizer=optimizer, batch_size=16, generator=torch.Generator().manual_seed(1), progress=False)
    assert h.array().shape == (len(h.steps), 3)
    for s in range(3):
        alone = mlp(s)
        h1 = train(alone, mse, (X, y), steps=40, lr=0.01, optimizer=optimizer, batch_size=16,
                   generator=torch.Generator().manual_seed(1), progress=False)
        torch.testing.assert_close(ens.member(s)(X), alone(X), rtol=1e-4, atol=1e-5)
        assert h.final_loss[s] == pytest.approx(h1.final_loss, rel=1e-4)


def test_ensemble_rejects_bad_members():
    with pytest.raises(ValueError, match="at least one"):
        Ensemble([])
    with pytest.raises(ValueError, match="same type"):
        Ensemble([nn.Linear(2, 2), nn.Linear(2, 3)])
    ens = Ensemble([nn.Linear(2, 2), nn.Linear(2, 2)])
    with pytest.raises(ValueError, match="one slice per member"):
        ens(torch.randn(3, 4, 2))
    with pytest.raises(ValueError, match="idx"):
        ens.member(2)
