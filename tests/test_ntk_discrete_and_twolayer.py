"""The exact discrete decay of gradient descent, and the fast two-layer path against autograd training."""

import math

import numpy as np
import pytest
import torch

from nnlab import ntk
from nnlab.training import train

D = torch.float64


def gen(seed):
    return torch.Generator().manual_seed(seed)


def test_discrete_path_equals_matrix_powers_and_linear_gradient_descent():
    # r_t = (I - eta K/N)^t r_0 exactly; the closed form must match matrix powers and a trained linear model.
    m = ntk.MLP(2, 16, 1, generator=gen(3), dtype=D)
    x = torch.randn(7, 2, generator=gen(4), dtype=D)
    y = torch.randn(7, generator=gen(5), dtype=D)
    k = ntk.empirical_ntk(m, x)
    lr = 1.5 / float(torch.linalg.eigvalsh(k / 7)[-1])  # eta lambda_max = 1.5: a negative factor
    with torch.no_grad():
        f0 = m(x)
    lin = ntk.linearize(m)
    train(lin, ntk.half_mse, (x, y), steps=9, lr=lr, progress=False)
    path = ntk.kernel_regression_path(k, k, y, f0, f0, lr=lr, times=[9])[0]
    power = y - torch.linalg.matrix_power(torch.eye(7, dtype=D) - lr * k / 7, 9) @ (y - f0)
    torch.testing.assert_close(path, power)
    with torch.no_grad():
        torch.testing.assert_close(lin(x), power)
    basis = ntk.eigenbasis(k)
    torch.testing.assert_close(ntk.residual_decay(basis, lr, [9])[0], (1 - lr * basis.values) ** 9)
    with pytest.raises(ValueError, match="times"):
        ntk.residual_decay(basis, lr, [0.5])
    with pytest.raises(ValueError, match="flow"):
        ntk.residual_decay(basis, lr, [1.0], flow="yes")


@pytest.mark.parametrize("activation", ["relu", "gelu", "softplus"])
def test_fast_two_layer_training_matches_autograd_and_its_kernel_terms_add_up(activation):
    x = ntk.circle(2 * math.pi * torch.rand(6, generator=gen(1)))
    y = torch.sin(torch.arange(6.0))
    width, steps, lr = 24, 15, 0.8
    rows = ntk.two_layer_kernel_change([width], x, y, steps=steps, lr=lr, activation=activation, seeds=2)
    act = {"relu": torch.relu, "gelu": torch.nn.functional.gelu, "softplus": torch.nn.functional.softplus}[activation]
    for s in range(2):  # independent reference: autograd on the explicit formula, the same initial draws
        g = gen(s)
        w = torch.randn(width, 2, generator=g).double().requires_grad_()
        v = torch.randn(width, generator=g).double().requires_grad_()
        w0, v0 = w.detach().clone(), v.detach().clone()

        def f(w, v, xx):
            return act(xx.double() @ w.T / math.sqrt(2)) @ v / math.sqrt(width)

        for _ in range(steps):
            loss = 0.5 * ((f(w, v, x) - y.double()) ** 2).mean()
            gw, gv = torch.autograd.grad(loss, (w, v))
            with torch.no_grad():
                w -= lr * gw
                v -= lr * gv

        def kernel(w, v):
            jw, jv = torch.func.vmap(torch.func.jacrev(lambda a, b, xi: f(a, b, xi[None])[0], argnums=(0, 1)),
                                     in_dims=(None, None, 0))(w, v, x)
            return jw.reshape(6, -1) @ jw.reshape(6, -1).T + jv @ jv.T

        k0, kt = kernel(w0, v0), kernel(w.detach(), v.detach())
        change = float(torch.linalg.norm(kt - k0) / torch.linalg.norm(k0))
        assert rows[0]["per_seed"]["total"][s] == pytest.approx(change, rel=1e-9)
        final = float(0.5 * ((f(w.detach(), v.detach(), x) - y.double()) ** 2).mean())
        assert rows[0]["per_seed"]["loss"][s] == pytest.approx(final, rel=1e-9)
    ps = rows[0]["per_seed"]
    # The first-layer change is the sum of its two terms (triangle inequality both ways as a sanity check).
    for s in range(2):
        assert ps["first"][s] <= ps["first_weights"][s] + ps["first_activation"][s] + 1e-12
        assert ps["total"][s] <= ps["readout"][s] + ps["first"][s] + 1e-12


def test_fast_relu_path_reproduces_lazy_sweep_and_groups_do_not_matter():
    x = ntk.circle(2 * math.pi * torch.rand(8, generator=gen(2)))
    y = torch.cos(torch.arange(8.0))
    ref = ntk.lazy_sweep([16], x, y, x, steps=10, lr=1.0, seeds=3)  # float32 draws and training
    fast = ntk.two_layer_kernel_change([16], x, y, steps=10, lr=1.0, seeds=3)
    one = ntk.two_layer_kernel_change([16], x, y, steps=10, lr=1.0, seeds=3, max_elements=1)
    assert np.allclose(fast[0]["per_seed"]["total"], ref[0]["per_seed"]["kernel_change"], rtol=1e-4)
    assert np.allclose(fast[0]["per_seed"]["total"], one[0]["per_seed"]["total"], rtol=1e-12)


def test_local_slopes_of_exact_power_laws_and_validation():
    w = np.array([10.0, 100.0, 1000.0])
    vals = np.stack([w ** -0.5, 2 * w ** -0.5, 3 * w ** -1.0], axis=1)  # per-seed exponents -0.5, -0.5, -1
    mid, mean, se = ntk.local_slopes(w, vals)
    np.testing.assert_allclose(mid, [math.sqrt(1e3), math.sqrt(1e5)])
    np.testing.assert_allclose(mean, [-2 / 3, -2 / 3])
    np.testing.assert_allclose(se, [np.std([-0.5, -0.5, -1], ddof=1) / math.sqrt(3)] * 2)
    with pytest.raises(ValueError, match="x"):
        ntk.local_slopes([10.0, 5.0], [[1.0], [2.0]])
    with pytest.raises(ValueError, match="values"):
        ntk.local_slopes([1.0, 2.0], [[1.0], [-2.0]])
