"""The fast shared-data path of the toy-model sweep against autograd and the plain forward pass."""

import pytest
import torch

from nnlab.superposition import ToyModel, evaluate_toy_models, importance, reconstruct, train_toy_models
from nnlab.superposition.training import _shared_loss
from nnlab.training import train


@pytest.mark.parametrize("activation", ["relu", "swish"])
def test_shared_loss_gradient_is_the_autograd_gradient(activation):
    """The hand-written gradient in the [U, B, n, R] layout equals autograd of the plain loss (float64)."""
    groups, rep, batch, n = 3, 4, 33, 5
    g = torch.Generator().manual_seed(0)
    W = torch.randn(groups * rep, 2, n, generator=g, dtype=torch.float64, requires_grad=True)
    b = (0.1 * torch.randn(groups * rep, n, generator=g, dtype=torch.float64)).requires_grad_()
    x = torch.rand(groups, batch, n, generator=g, dtype=torch.float64)
    x = x * (torch.rand(groups, batch, n, generator=g, dtype=torch.float64) > 0.5)
    w = importance(5).double()
    x_each = x.repeat_interleave(rep, 0)  # every instance its group's batch
    loss = ((x_each - reconstruct(W, b, x_each, activation)) ** 2 @ w).mean(1)
    loss.sum().backward()
    fast, d_w, d_b = _shared_loss(W, b, x, w, activation, 30.0, grad=True)
    assert torch.allclose(fast, loss, rtol=0, atol=1e-12)
    assert torch.allclose(d_w, W.grad, rtol=0, atol=1e-12)
    assert torch.allclose(d_b, b.grad, rtol=0, atol=1e-12)


def test_shared_training_follows_the_autograd_trajectory():
    """train_toy_models(shared=True) matches the book's loop with autograd on the same batches."""
    s_values, seeds, steps, batch, n = torch.tensor([0.0, 0.6, 0.9]), 4, 40, 32, 5
    fast, _ = train_toy_models(s_values, seeds, steps=steps, batch_size=batch, lr=1e-2, shared=True,
                               generator=torch.Generator().manual_seed(1),
                               data_generator=torch.Generator().manual_seed(2))
    ref = ToyModel(5, 2, len(s_values) * seeds, generator=torch.Generator().manual_seed(1))
    s_inst = s_values.repeat_interleave(seeds)
    data = torch.Generator().manual_seed(2)
    w = importance(n)

    def draw(step):
        u = torch.rand(1, batch, n, generator=data)
        r = torch.rand(1, batch, n, generator=data)
        return (u * (r >= s_inst[:, None, None]),)

    train(ref, lambda m, x: ((x - m(x)) ** 2 @ w).mean(1), draw, steps=steps, lr=1e-2, optimizer="adamw",
          progress=False)
    assert torch.allclose(fast.W, ref.W, atol=1e-5)
    assert torch.allclose(fast.b, ref.b, atol=1e-5)


def test_evaluate_fast_path_equals_the_plain_forward_pass():
    """Grouped sparsities (fast layout) and ungrouped ones give the plain per-instance loss."""
    model = ToyModel(5, 2, 12, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        model.b.normal_(generator=torch.Generator().manual_seed(4))
    for s in (torch.tensor([0.0, 0.5, 0.9]).repeat_interleave(4), torch.linspace(0.0, 0.95, 12).flip(0)):
        gen = torch.Generator().manual_seed(7)
        u = torch.rand(1, 256, 5, generator=gen)
        r = torch.rand(1, 256, 5, generator=gen)
        x = u * (r >= s[:, None, None])
        expected = ((x - reconstruct(model.W.detach(), model.b.detach(), x)) ** 2 @ importance(5)).mean(1)
        for chunk in (4, 5, 12):  # chunk 5 splits the groups: the plain path
            got = evaluate_toy_models(model, s, batch=256, seed=7, chunk=chunk)
            assert torch.allclose(got, expected, rtol=1e-5, atol=1e-6)
