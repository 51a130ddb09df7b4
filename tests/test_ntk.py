import math

import pytest
import torch

from nnlab import ntk
from nnlab.ntk.kernels import _empirical_ntk_loop
from nnlab.training import train

D = torch.float64


def gen(seed):
    return torch.Generator().manual_seed(seed)


def points(n, d, seed=0):
    return torch.randn(n, d, generator=gen(seed), dtype=D)


# ------------------------------------------------------------------------------------ models

def test_mlp_depth_one_is_the_two_layer_formula_in_every_parameterization():
    x = points(7, 3)
    for par, out_scale in [("ntk", 1 / math.sqrt(20)), ("mup", 1 / 20)]:
        m = ntk.MLP(3, 20, 1, par, generator=gen(1), dtype=D)
        w, v = m.weights[0], m.readout
        ref = out_scale * torch.relu(x @ w.T / math.sqrt(3)) @ v
        torch.testing.assert_close(m(x), ref)
    std = ntk.MLP(3, 20, 1, "standard", generator=gen(1), dtype=D)
    nt = ntk.MLP(3, 20, 1, "ntk", generator=gen(1), dtype=D)
    torch.testing.assert_close(std(x), nt(x))  # same function at init, multipliers moved into the weights
    assert (std.lr_scale, nt.lr_scale, ntk.MLP(3, 20, 1, "mup").lr_scale) == (1 / 20, 1.0, 20.0)


def test_mup_moves_features_by_order_one_at_every_width_and_ntk_by_width_to_the_minus_half():
    # One gradient step at lr * lr_scale. muP (Yang & Hu 2021): the relative change of the last hidden
    # layer's features is width-independent; NTK parameterization: it falls like n^(-1/2).
    x = points(8, 2, 30).float()
    y = torch.sin(3 * x[:, 0])
    change = {}
    for par in ("mup", "ntk"):
        for width in (128, 2048):
            m = ntk.MLP(2, width, 2, par, generator=gen(31))
            before = m.features(x).detach()
            loss = ntk.half_mse(m, x, y)
            grads = torch.autograd.grad(loss, list(m.parameters()))
            with torch.no_grad():
                for p, g in zip(m.parameters(), grads):
                    p.sub_(0.5 * m.lr_scale * g)
            with torch.no_grad():
                change[par, width] = float(torch.linalg.norm(m.features(x) - before) / torch.linalg.norm(before))
    assert 0.6 < change["mup", 2048] / change["mup", 128] < 1.6
    assert 0.15 < change["ntk", 2048] / change["ntk", 128] < 0.4  # (128/2048)^(1/2) = 0.25
    assert change["mup", 2048] > 0.05


def test_mlp_validates_its_arguments():
    with pytest.raises(ValueError, match="width"):
        ntk.MLP(3, 0)
    with pytest.raises(ValueError, match="depth"):
        ntk.MLP(3, 4, depth=0)
    with pytest.raises(ValueError, match="parameterization"):
        ntk.MLP(3, 4, parameterization="lazy")
    with pytest.raises(ValueError, match="d_in"):
        ntk.MLP(3, 4)(torch.zeros(2, 5))


# ------------------------------------------------------------------------------- empirical NTK

@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("par", ["ntk", "standard", "mup"])
def test_empirical_ntk_equals_the_per_sample_autograd_loop(depth, par):
    m = ntk.MLP(4, 9, depth, par, generator=gen(depth), dtype=D)
    x1, x2 = points(6, 4, 1), points(5, 4, 2)
    loop = _empirical_ntk_loop(m, x1, x2)
    for method in ntk.NTK_METHODS:  # the structured MLP path and the generic vmap(jacrev) path
        torch.testing.assert_close(ntk.empirical_ntk(m, x1, x2, method=method), loop)
    blocks = ntk.empirical_ntk(m, x1, x2, per_parameter=True)
    generic = ntk.empirical_ntk(m, x1, x2, per_parameter=True, method="jacobian")
    assert list(blocks) == list(generic) == [n for n, _ in m.named_parameters()]
    for name in blocks:  # block by block, not only the sum
        torch.testing.assert_close(blocks[name], generic[name])
    torch.testing.assert_close(sum(blocks.values()), ntk.empirical_ntk(m, x1, x2))


def test_empirical_ntk_is_symmetric_psd_and_its_readout_block_is_the_feature_kernel():
    m = ntk.MLP(3, 50, 2, generator=gen(3), dtype=D)
    x = points(12, 3)
    k = ntk.empirical_ntk(m, x)
    torch.testing.assert_close(k, k.T)
    assert torch.linalg.eigvalsh(k).min() > -1e-10 * k.abs().max()
    phi = m.features(x)  # penultimate-layer features: the readout's Jacobian is phi / sqrt(n)
    torch.testing.assert_close(ntk.empirical_ntk(m, x, per_parameter=True)["readout"], phi @ phi.T / 50)


def test_empirical_ntk_validates_inputs_before_work():
    m = ntk.MLP(3, 4)
    with pytest.raises(ValueError, match="same feature dimension"):
        ntk.empirical_ntk(m, torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="x1 must be a 2-D"):
        ntk.empirical_ntk(m, torch.zeros(3))
    with pytest.raises(ValueError, match="model must be"):
        ntk.empirical_ntk(torch.nn.ReLU(), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="one scalar per input"):
        ntk.empirical_ntk(torch.nn.Linear(3, 2), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="method"):
        ntk.empirical_ntk(m, torch.zeros(2, 3), method="fast")
    with pytest.raises(ValueError, match="structured"):
        ntk.empirical_ntk(torch.nn.Linear(3, 1), torch.zeros(2, 3), method="structured")
    with pytest.raises(ValueError, match="d_in=3"):
        ntk.empirical_ntk(m, torch.zeros(2, 4))


# -------------------------------------------------------------------------------- analytic NTK

def test_relu_ntk_depth_one_closed_form_and_diagonal():
    x1, x2 = points(9, 5, 4), points(7, 5, 5)
    n1, n2 = x1.norm(dim=1)[:, None], x2.norm(dim=1)[None, :]
    cos = (x1 @ x2.T / (n1 * n2)).clamp(-1, 1)
    th = torch.arccos(cos)
    ref = n1 * n2 / (2 * math.pi * 5) * (torch.sin(th) + 2 * (math.pi - th) * cos)
    torch.testing.assert_close(ntk.relu_ntk(x1, x2), ref, rtol=1e-7, atol=1e-7)
    torch.testing.assert_close(torch.diagonal(ntk.relu_ntk(x1)), (x1 * x1).sum(1) / 5, rtol=1e-7, atol=1e-7)
    # The diagonal for any depth: Theta_(l+1)(x, x) = |x|^2/(d 2^l) + Theta_l(x, x) / 2 -> (L + 1) |x|^2 / (2^L d)
    for depth in (2, 3, 4):
        torch.testing.assert_close(torch.diagonal(ntk.relu_ntk(x1, depth=depth)),
                                   (depth + 1) * (x1 * x1).sum(1) / (2**depth * 5), rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("depth,width", [(1, 8192), (2, 1024), (3, 768)])
def test_relu_ntk_and_nngp_match_monte_carlo_of_wide_networks(depth, width):
    x = points(6, 3, 6)
    nets = [ntk.MLP(3, width, depth, generator=gen(10 + s), dtype=D) for s in range(4)]
    emp = torch.stack([ntk.empirical_ntk(m, x) for m in nets]).mean(0)
    ana = ntk.relu_ntk(x, depth=depth)
    assert float(torch.linalg.norm(emp - ana) / torch.linalg.norm(ana)) < 0.06
    # NNGP: the readout block is the penultimate-feature kernel, whose limit is Sigma_(L+1).
    feats = torch.stack([ntk.empirical_ntk(m, x, per_parameter=True)["readout"] for m in nets]).mean(0)
    nngp = ntk.relu_nngp(x, depth=depth)
    assert float(torch.linalg.norm(feats - nngp) / torch.linalg.norm(nngp)) < 0.06


def test_relu_ntk_symmetry_psd_scaling_and_validation():
    x = points(10, 4, 7)
    for depth in (1, 3):
        k = ntk.relu_ntk(x, depth=depth)
        torch.testing.assert_close(k, k.T)
        assert torch.linalg.eigvalsh(k).min() > -1e-10
        torch.testing.assert_close(ntk.relu_ntk(2 * x, x, depth=depth), 2 * ntk.relu_ntk(x, depth=depth))
    assert ntk.relu_ntk(x.float()).dtype == torch.float32
    with pytest.raises(ValueError, match="same feature dimension"):
        ntk.relu_ntk(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="depth"):
        ntk.relu_nngp(x, depth=0)


# ----------------------------------------------------------------------------------- linearize

def test_linearized_model_matches_first_order_taylor_and_trains():
    m = ntk.MLP(3, 16, 2, generator=gen(8), dtype=D)
    lin = ntk.linearize(m)
    x = points(5, 3, 9)
    torch.testing.assert_close(lin(x), m(x))
    # Move theta by a small step: f_lin = f(theta0) + J dtheta, J from the autograd loop.
    step = {n: 1e-3 * torch.randn(p.shape, generator=gen(11), dtype=D) for n, p in m.named_parameters()}
    with torch.no_grad():
        for n, p in lin.theta().items():
            p.add_(step[n])
    jac = torch.stack([torch.cat([g.reshape(-1) for g in torch.autograd.grad(m(xi[None])[0], list(m.parameters()))])
                       for xi in x])
    dtheta = torch.cat([step[n].reshape(-1) for n, _ in m.named_parameters()])
    torch.testing.assert_close(lin(x), m(x) + jac @ dtheta)
    # Exactly linear in theta: doubling the step doubles the change.
    with torch.no_grad():
        for n, p in lin.theta().items():
            p.add_(step[n])
    torch.testing.assert_close(lin(x), m(x) + 2 * jac @ dtheta)
    assert len(list(lin.parameters())) == len(list(m.parameters()))


def test_linearized_training_follows_the_kernel_gradient_flow():
    # For a linear model, GD on (1/2n)|f - y|^2 gives r_(t+1) = (I - eta Theta/n) r_t exactly.
    m = ntk.MLP(2, 32, 1, generator=gen(12), dtype=D)
    x, y = points(8, 2, 13), torch.randn(8, generator=gen(14), dtype=D)
    k = ntk.empirical_ntk(m, x)
    lin = ntk.linearize(m)
    with torch.no_grad():
        r0 = y - m(x)
    train(lin, ntk.half_mse, (x, y), steps=20, lr=0.5, progress=False)
    with torch.no_grad():
        r = y - lin(x)
    pred = torch.linalg.matrix_power(torch.eye(8, dtype=D) - 0.5 * k / 8, 20) @ r0
    torch.testing.assert_close(r, pred)


def test_the_kernel_of_the_linearized_model_never_moves_while_the_networks_does():
    m = ntk.MLP(2, 8, 1, generator=gen(20), dtype=D)
    x, y = points(6, 2, 21), torch.randn(6, generator=gen(22), dtype=D)
    k0 = ntk.empirical_ntk(m, x)
    lin = ntk.linearize(m)
    train(lin, ntk.half_mse, (x, y), steps=30, lr=1.0, progress=False)
    train(m, ntk.half_mse, (x, y), steps=30, lr=1.0, progress=False)
    torch.testing.assert_close(ntk.empirical_ntk(lin, x), k0)
    assert float(torch.linalg.norm(ntk.empirical_ntk(m, x) - k0) / torch.linalg.norm(k0)) > 1e-3


def test_parameter_distance_and_linearize_validation():
    m = ntk.MLP(2, 4, generator=gen(1), dtype=D)
    ref = {k: v.detach().clone() for k, v in m.named_parameters()}
    assert ntk.parameter_distance(m, ref) == 0.0
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(1.5)
    assert math.isclose(ntk.parameter_distance(m, ref), 0.5, rel_tol=1e-12)
    with pytest.raises(ValueError, match="reference"):
        ntk.parameter_distance(m, {"x": torch.zeros(1)})
    with pytest.raises(ValueError, match="model"):
        ntk.linearize("net")
    with pytest.raises(ValueError, match="parameters"):
        ntk.linearize(torch.nn.ReLU())


# ------------------------------------------------------------------------------------ spectral

def test_closed_form_path_matches_exact_linear_gradient_flow():
    k = ntk.relu_ntk(points(10, 3, 15))
    ktest = ntk.relu_ntk(points(4, 3, 16), points(10, 3, 15))
    y, f0, f0t = (torch.randn(n, generator=gen(17 + i), dtype=D) for i, n in enumerate((10, 10, 4)))
    basis = ntk.eigenbasis(k)
    assert bool((basis.values[:-1] >= basis.values[1:]).all())
    torch.testing.assert_close(basis.vectors @ torch.diag(basis.values) @ basis.vectors.T, k / 10)
    t = torch.tensor([0.0, 3.0, 50.0])
    path = ntk.kernel_regression_path(k, k, y, f0, f0, lr=0.7, times=t, flow=True)
    # Exact solution of df/dt = -(eta/n) K (f - y): r(t) = expm(-eta t K / n) r(0).
    for i, ti in enumerate(t):
        r = torch.linalg.matrix_exp(-0.7 * ti * k / 10) @ (y - f0)
        torch.testing.assert_close(path[i], y - r)
        decay = ntk.residual_decay(basis, 0.7, ti, flow=True)[0]
        torch.testing.assert_close(basis.project(r), decay * basis.project(y - f0))
    # Long time: kernel regression (interpolation) on the training set, K(x, X) K^-1 (y - f0) on tests.
    far = ntk.kernel_regression_path(k, ktest, y, f0, f0t, lr=1.0, times=1e6, flow=True)[0]
    torch.testing.assert_close(far, f0t + ktest @ torch.linalg.solve(k, y - f0), rtol=1e-6, atol=1e-6)
    frac = ntk.fitted_fraction(basis, y - f0, (y - path[1:])[None, 0])
    torch.testing.assert_close(frac[0], 1 - ntk.residual_decay(basis, 0.7, 3.0, flow=True)[0])


def test_prediction_error_is_zero_on_exact_gradient_flow_and_sees_a_wrong_rate():
    k = ntk.relu_ntk(points(10, 3, 15))
    basis = ntk.eigenbasis(k)
    r0 = torch.randn(10, generator=gen(18), dtype=D)
    t = torch.tensor([0.0, 2.0, 10.0, 40.0], dtype=D)
    exact = torch.stack([torch.linalg.matrix_exp(-0.5 * ti * k / 10) @ r0 for ti in t])
    assert ntk.prediction_error(basis, r0, exact, 0.5, t, flow=True) < 1e-10
    wrong = ntk.prediction_error(basis, r0, exact, 1.0, t, flow=True)
    brute = max(abs(float(basis.vectors[:, i] @ (exact[s] - torch.exp(-1.0 * t[s] * basis.values[i]) * r0)))
                for s in range(4) for i in range(10)) / float(r0.norm())
    assert wrong == pytest.approx(brute, rel=1e-9) and wrong > 0.01
    with pytest.raises(ValueError, match="residuals"):
        ntk.prediction_error(basis, r0, exact[:, :5], 0.5, t)
    with pytest.raises(ValueError, match="residuals"):
        ntk.prediction_error(basis, r0, exact, 0.5, t[:2])


def test_spectral_validation():
    k = ntk.relu_ntk(points(4, 2))
    with pytest.raises(ValueError, match="square"):
        ntk.eigenbasis(torch.zeros(3, 4))
    with pytest.raises(ValueError, match="symmetric"):
        ntk.eigenbasis(torch.tensor([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="lr"):
        ntk.residual_decay(ntk.eigenbasis(k), -1.0, [1.0])
    with pytest.raises(ValueError, match="times"):
        ntk.residual_decay(ntk.eigenbasis(k), 1.0, [-1.0])
    with pytest.raises(ValueError, match="kernel_test"):
        ntk.kernel_regression_path(k, torch.zeros(2, 3), torch.zeros(4), torch.zeros(4), torch.zeros(2), 1.0, 1.0)


# --------------------------------------------------------------------------------- experiments

def test_side_by_side_wide_net_stays_close_to_its_linearization():
    phi = torch.linspace(0, 2 * math.pi, 12, dtype=D)[:-1]
    x, y = ntk.circle(phi), torch.sin(2 * phi)
    xt = ntk.circle(torch.linspace(0, 2 * math.pi, 33, dtype=D))
    torch.testing.assert_close((x * x).sum(1) / 2, torch.ones(11, dtype=D))
    rows = ntk.lazy_sweep([16, 1024], x, y, xt, steps=60, lr=1.0, dtype=D)
    two = ntk.lazy_sweep([16], x, y, xt, steps=60, lr=1.0, seeds=2, dtype=D)[0]
    net1 = ntk.MLP(2, 16, 1, "ntk", generator=torch.Generator().manual_seed(1), dtype=D)
    one = ntk.train_side_by_side(net1, x, y, xt, steps=60, lr=1.0)
    assert two["per_seed"]["f_gap"] == [rows[0]["f_gap"], one.f_gap]  # seed s is generator(s), whatever else runs
    assert math.isclose(two["kernel_change"], sum(two["per_seed"]["kernel_change"]) / 2)
    assert rows[1]["f_gap"] < rows[0]["f_gap"] / 3
    assert rows[1]["kernel_change"] < rows[0]["kernel_change"] / 3
    assert rows[1]["net_loss"] < 0.5 * ntk.half_mse(ntk.MLP(2, 1024, dtype=D), x, y)
    with pytest.raises(ValueError, match="widths"):
        ntk.lazy_sweep([0], x, y, xt, steps=1, lr=1.0)
    with pytest.raises(ValueError, match="x_test"):
        ntk.train_side_by_side(ntk.MLP(2, 4), x, y, xt[:, :1], steps=1, lr=1.0)
    with pytest.raises(ValueError, match="angles"):
        ntk.circle(torch.zeros(2, 2))


def test_empirical_ntk_casts_inputs_to_the_models_dtype():
    net = ntk.MLP(2, 16, 1, generator=torch.Generator().manual_seed(0))
    x = torch.randn(5, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for method in ("structured", "jacobian", "loop"):
        k = ntk.empirical_ntk(net, x, method=method)
        assert k.dtype == torch.float32
        torch.testing.assert_close(k, ntk.empirical_ntk(net, x.float(), method=method))


@pytest.mark.parametrize("depth, alpha", [(3, 1.0), (6, 0.4)])
def test_residual_kernel_matches_random_wide_residual_networks(depth, alpha):
    x = points(6, 3, 21)
    feats = [ntk.residual_relu_features(x, 4000, depth, alpha, generator=gen(30 + s)) for s in range(3)]
    emp = torch.stack([f @ f.T for f in feats]).mean(0)
    ana = ntk.residual_relu_nngp(x, depth=depth, alpha=alpha)
    assert float(torch.linalg.norm(emp - ana) / torch.linalg.norm(ana)) < 0.05


def test_residual_kernel_closed_forms():
    x = points(7, 4, 22)
    one_layer = ntk.relu_nngp(x, depth=1)
    for depth in (0, 5):  # without the branch (alpha = 0) every depth is the one-hidden-layer kernel
        torch.testing.assert_close(ntk.residual_relu_nngp(x, depth=depth, alpha=0.0), one_layer)
    torch.testing.assert_close(ntk.residual_relu_nngp(x, depth=0, alpha=0.7), one_layer)
    # the diagonal: Sigma_L(x, x) = |x|^2/d (1 + alpha^2/2)^L and C[S](x, x) = S(x, x) / 2
    k = ntk.residual_relu_nngp(x, depth=4, alpha=0.5)
    expected = (x * x).sum(1) / x.shape[1] * (1 + 0.25 / 2) ** 4 / 2
    torch.testing.assert_close(k.diagonal(), expected)
