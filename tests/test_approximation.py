import math

import numpy as np
import pytest
import torch
from torch import nn

from nnlab.approximation import (
    ElbowNet,
    activation_regions,
    count_linear_pieces,
    distance_to_nearest,
    effective_parameters,
    elbow_status,
    fit_elbow_nets,
    interpolant,
    linear_pieces,
    relu_mlp,
    sawtooth,
    tent_map,
    yarotsky_partial_sum,
    yarotsky_square,
)
from nnlab.training import mse_per_member, train

D = torch.float64


def random_mlp(seed, widths=(3, 4, 3)):
    torch.manual_seed(seed)
    layers, prev = [], 1
    for w in widths:
        layers += [nn.Linear(prev, w), nn.ReLU()]
        prev = w
    return nn.Sequential(*layers, nn.Linear(prev, 1)).double()


# ------------------------------------------------------------------------- elbow networks

def test_elbownet_sums_elbows_and_matches_its_members():
    net = ElbowNet([1, 3, 7], generator=torch.Generator().manual_seed(0), dtype=D)
    x = torch.linspace(-2, 2, 101, dtype=D)
    out = net(x)
    assert out.shape == (3, 101)
    torch.testing.assert_close(net.elbows(x).sum(dim=1) + net.c[:, None], out)
    for i in range(3):
        torch.testing.assert_close(net.member(i)(x[:, None])[:, 0], out[i])
    assert torch.isnan(net.breakpoints()[0, 1:]).all()  # masked units


def test_rescaling_w_b_by_t_and_a_by_1_over_t_leaves_the_function_unchanged():
    net = ElbowNet([6], generator=torch.Generator().manual_seed(1), dtype=D)
    x = torch.linspace(-1, 1, 201, dtype=D)
    before = net(x).detach()
    t = torch.tensor([0.3, 2.0, 5.0, 0.7, 1.5, 9.0], dtype=D)
    scaled = ElbowNet.from_elbows(net.w * t, net.b * t, net.a / t, net.c)
    torch.testing.assert_close(scaled(x).detach(), before)
    flipped = ElbowNet.from_elbows(-net.w, -net.b, net.a, net.c)  # t < 0 is not a symmetry
    assert (flipped(x) - before).abs().max() > 1e-3


def test_interpolant_hits_the_knots_and_x_squared_error_is_h2_over_4():
    f = lambda x: x**2  # noqa: E731
    pieces = [1, 2, 5, 16, 64]
    net = interpolant(f, pieces, lo=-1, hi=1)
    for i, n in enumerate(pieces):
        knots = torch.linspace(-1, 1, n + 1, dtype=D)
        torch.testing.assert_close(net(knots)[i], f(knots))
        h = 2 / n
        mids = knots[:-1] + h / 2  # the error of interpolating x^2 peaks at every midpoint
        torch.testing.assert_close((net(mids)[i] - f(mids)).abs(), torch.full_like(mids, h * h / 4))
        x = torch.linspace(-1, 1, 4001, dtype=D)
        assert float((net(x)[i] - f(x)).abs().max().detach()) <= h * h / 4 * (1 + 1e-12)
        assert count_linear_pieces(net.member(i), -1, 1) == n


def test_interpolant_error_obeys_the_curvature_bound():
    f = lambda x: torch.sin(3 * x)  # noqa: E731   max|f''| = 9
    for n in (4, 16, 64):
        net = interpolant(f, n)
        x = torch.linspace(-1, 1, 20001, dtype=D)
        err = float((net(x)[0] - f(x)).abs().max().detach())
        bound = (2 / n) ** 2 * 9 / 8
        assert 0.5 * bound < err <= bound


def test_batched_fit_equals_fitting_each_width_alone():
    x = torch.linspace(-1, 1, 50)
    y = torch.sin(3 * x)
    both, hb = fit_elbow_nets(x, y, [2, 5], steps=200, lr=1e-2, generator=torch.Generator().manual_seed(0),
                              progress=False)
    assert hb.loss[-1].shape == (2,) and np.all(hb.loss[-1] < hb.loss[0])
    # the same initial weights (same generator), trained one width at a time
    start = ElbowNet([2, 5], generator=torch.Generator().manual_seed(0))
    for i, width in enumerate([2, 5]):
        alone = ElbowNet.from_elbows(*(p[i:i + 1, :width].detach() for p in (start.w, start.b, start.a)),
                                     start.c[i:i + 1].detach())
        h = train(alone, mse_per_member, (x, y), steps=200, lr=1e-2, optimizer="adam", progress=False)
        torch.testing.assert_close(alone(x)[0], both(x)[i], rtol=1e-4, atol=1e-5)
        assert h.final_loss[0] == pytest.approx(hb.final_loss[i], rel=1e-4)


def test_elbow_status_classifies_units():
    # units: kink at 0 (kinked), ReLU(x + 5) (linear on [-1, 1]), ReLU(-x - 5) (dead), masked
    w = torch.tensor([[1.0, 1.0, -1.0, 0.0]])
    b = torch.tensor([[0.0, 5.0, -5.0, 0.0]])
    net = ElbowNet.from_elbows(w, b, torch.ones(1, 4), torch.zeros(1), widths=[3])
    st = elbow_status(net, torch.linspace(-1, 1, 11))
    assert st["dead"].tolist() == [[False, False, True, False]]
    assert st["linear"].tolist() == [[False, True, False, False]]
    assert st["kinked"].tolist() == [[True, False, False, False]]


def test_standard_init_kills_about_a_quarter_of_the_elbows():
    # w, b ~ U(-1, 1): the unit is dead on [-1, 1] iff w x + b <= 0 for all x, i.e. b <= -|w|,
    # which has probability 1/4.
    net = ElbowNet([2000], generator=torch.Generator().manual_seed(0))
    dead = int(elbow_status(net, torch.linspace(-1, 1, 2001))["dead"].sum())
    assert abs(dead / 2000 - 0.25) < 4 * math.sqrt(0.25 * 0.75 / 2000)


def test_uniform_init_puts_breakpoints_inside_the_interval():
    net = ElbowNet([500], init="uniform", lo=-2, hi=3, generator=torch.Generator().manual_seed(0))
    beta = net.breakpoints()[0]
    assert float(beta.min()) >= -2 and float(beta.max()) <= 3


@pytest.mark.parametrize("call,match", [
    (lambda: ElbowNet([0]), "widths"),
    (lambda: ElbowNet([]), "widths"),
    (lambda: ElbowNet([3], init="xavier"), "init"),
    (lambda: ElbowNet([3], lo=1, hi=1), "lo must be smaller"),
    (lambda: interpolant(torch.sin, 0), "pieces"),
    (lambda: ElbowNet([3])(torch.zeros(4, 2)), "x must have shape"),
    (lambda: fit_elbow_nets(torch.zeros(4), torch.zeros(3), [2]), "y must have shape"),
    (lambda: fit_elbow_nets(torch.zeros(4), torch.zeros(4), [2], seeds=0), "seeds"),
    (lambda: ElbowNet.from_elbows(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(3)), "c must"),
])
def test_bad_arguments_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------------------- piece counting

def test_one_hidden_layer_pieces_equal_distinct_breakpoints_plus_one():
    # Independent count: a shallow net bends exactly at the breakpoints -b/w of its units with
    # a * w != 0 that fall inside (lo, hi); coinciding breakpoints bend once.
    for seed in range(20):
        net = random_mlp(seed, widths=(6,))
        w, b = net[0].weight[:, 0].detach(), net[0].bias.detach()
        a = net[2].weight[0].detach()
        beta = -b / w
        inside = (beta > -1) & (beta < 1) & (a * w != 0)
        assert count_linear_pieces(net, -1, 1) == 1 + len(set(beta[inside].tolist()))


def test_pieces_are_maximal_and_the_network_is_affine_on_each():
    for seed in range(10):
        net = random_mlp(seed)
        pieces = linear_pieces(net, -3, 3)
        assert pieces[0].start == -3 and pieces[-1].end == 3
        for p, q in zip(pieces, pieces[1:]):
            assert p.end == q.start and p.slope != pytest.approx(q.slope)
        for p in pieces:
            x = torch.linspace(p.start, p.end, 7, dtype=D)[1:-1]
            torch.testing.assert_close(net(x[:, None])[:, 0], p.slope * x + p.intercept)


def test_piece_count_agrees_with_a_fine_grid_on_random_deep_nets():
    # Brute force: slopes between neighbours on a very fine grid change where the net bends.
    x = torch.linspace(-2, 2, 400_001, dtype=D)
    for seed in range(5):
        net = random_mlp(seed)
        with torch.no_grad():
            y = net(x[:, None])[:, 0]
        slope = torch.diff(y) / torch.diff(x)
        changes = (torch.diff(slope).abs() > 1e-6).nonzero()[:, 0]
        # a bend strictly between two grid points shows up as two adjacent changes
        bends = 0 if changes.numel() == 0 else 1 + int((torch.diff(changes) > 1).sum())
        assert count_linear_pieces(net, -2, 2) == 1 + bends


def test_cancelling_units_are_one_piece():
    net = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.zero_()
        net[2].weight.copy_(torch.tensor([[1.0, -1.0]]))
    assert count_linear_pieces(net, -1, 1) == 1


def test_sawtooth_has_two_to_the_k_pieces_and_equals_the_tent_map():
    x = torch.linspace(0, 1, 2**12 + 1, dtype=D)
    for k in range(1, 11):
        net = sawtooth(k)
        assert count_linear_pieces(net, 0, 1) == 2**k
        assert sum(m.out_features for m in net if isinstance(m, nn.Linear)) - 1 == 2 * k  # units
        torch.testing.assert_close(net(x[:, None])[:, 0], tent_map(x, k))


def test_tent_map_values():
    x = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0], dtype=D)
    torch.testing.assert_close(tent_map(x), torch.tensor([0, 0.5, 1, 0.5, 0], dtype=D))
    torch.testing.assert_close(tent_map(x, 2), torch.tensor([0, 1, 0, 1, 0], dtype=D))


def test_yarotsky_network_error_is_two_to_the_minus_2m_minus_2():
    for m in range(1, 9):
        net = yarotsky_square(m)
        x = torch.linspace(0, 1, 2**12 + 1, dtype=D)
        y = net(x[:, None])[:, 0]
        torch.testing.assert_close(y, yarotsky_partial_sum(x, m))
        assert float((y - x**2).abs().max().detach()) == pytest.approx(2.0 ** (-2 * m - 2), rel=1e-9)
        assert count_linear_pieces(net, 0, 1) == 2**m


@pytest.mark.parametrize("call,match", [
    (lambda: count_linear_pieces(sawtooth(2), 1, 0), "lo must be smaller"),
    (lambda: count_linear_pieces(sawtooth(2), 0, 0), "lo must be smaller"),
    (lambda: sawtooth(0), "k must be >= 1"),
    (lambda: yarotsky_square(0), "m must be >= 1"),
    (lambda: count_linear_pieces(nn.Sequential(nn.Linear(1, 2), nn.Tanh(), nn.Linear(2, 1)), 0, 1), "nn.ReLU"),
    (lambda: count_linear_pieces(nn.Sequential(nn.Linear(2, 1)), 0, 1), "scalar input"),
    (lambda: tent_map(torch.zeros(1), -1), "k must be >= 0"),
])
def test_piece_counting_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ------------------------------------------------------------------ effective parameters

def test_effective_parameters_with_all_breakpoints_inside_is_2w_plus_1():
    g = torch.Generator().manual_seed(0)
    for w in (1, 3, 8, 20):
        sign = torch.where(torch.rand(1, w, generator=g) < 0.5, -1.0, 1.0).to(D)
        mag = 0.5 + torch.rand(1, w, generator=g, dtype=D)
        beta = torch.linspace(-0.9, 0.9, w, dtype=D)[None] if w > 1 else torch.zeros(1, 1, dtype=D)
        a = 0.5 + torch.rand(1, w, generator=g, dtype=D)
        net = ElbowNet.from_elbows(sign * mag, -sign * mag * beta, a, torch.zeros(1, dtype=D))
        assert effective_parameters(net.member(0), -1, 1) == (2 * w + 1, 3 * w + 1)


def test_effective_parameters_agree_with_a_fine_grid_and_count_kinks():
    # Independent check: J written out by hand on a very fine grid (dF/da_j = ReLU(w_j x + b_j),
    # dF/dw_j = a_j x H, dF/db_j = a_j H, dF/dc = 1) has the same rank as the exact
    # region-based computation, and both equal 2 (kinked) + 1 + [some unit linear].
    x = torch.linspace(-1, 1, 20001, dtype=D)[:, None]
    for seed in range(6):
        net = ElbowNet([12], generator=torch.Generator().manual_seed(seed), dtype=D)
        w, b, a = (p.detach()[0] for p in (net.w, net.b, net.a))
        pre = w * x + b
        H = (pre > 0).to(D)
        J = torch.cat([H * a * x, H * a, torch.relu(pre), torch.ones_like(x)], dim=1)
        s = torch.linalg.svdvals(J)
        grid_rank = int((s > 1e-9 * s.max()).sum())
        st = elbow_status(net, x[:, 0])
        expected = 2 * int(st["kinked"].sum()) + 1 + int(st["linear"].any())
        assert effective_parameters(net.member(0), -1, 1)[0] == grid_rank == expected


def test_shared_breakpoints_share_their_directions():
    # two elbows with the same breakpoint and orientation are one elbow: rank 3, not 5
    w = torch.tensor([[1.0, 2.0]], dtype=D)
    b = torch.tensor([[-0.25, -0.5]], dtype=D)  # both bend at x = 0.25
    net = ElbowNet.from_elbows(w, b, torch.tensor([[1.0, -3.0]], dtype=D), torch.zeros(1, dtype=D))
    assert effective_parameters(net.member(0), -1, 1) == (3, 7)


def test_dead_units_add_no_effective_parameters():
    # 2 kinked units and one dead unit: rank 2*2 + 1 = 5 of 10 parameters
    w = torch.tensor([[1.0, -1.0, 1.0]], dtype=D)
    b = torch.tensor([[0.2, 0.3, -5.0]], dtype=D)
    net = ElbowNet.from_elbows(w, b, torch.ones(1, 3, dtype=D), torch.zeros(1, dtype=D))
    assert effective_parameters(net.member(0), -1, 1) == (5, 10)


def test_relu_mlp_shapes_init_bounds_and_seeding():
    a = relu_mlp(3, 5, generator=torch.Generator().manual_seed(0))
    b = relu_mlp(3, 5, generator=torch.Generator().manual_seed(0))
    linears = [m for m in a if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(1, 5), (5, 5), (5, 5), (5, 1)]
    assert float(linears[1].weight.detach().abs().max()) <= 5**-0.5
    torch.testing.assert_close(a(torch.ones(2, 1)), b(torch.ones(2, 1)))
    with pytest.raises(ValueError, match="depth"):
        relu_mlp(0, 3)


def test_distance_to_nearest_point():
    w = torch.tensor([[1.0, 2.0, 0.0]])
    b = torch.tensor([[-0.3, 1.0, 0.0]])  # breakpoints 0.3, -0.5, none
    net = ElbowNet.from_elbows(w, b, torch.ones(1, 3), torch.zeros(1), widths=[3])
    d = distance_to_nearest(net, torch.tensor([0.0, 0.25, 1.0]))
    torch.testing.assert_close(d[0, :2], torch.tensor([0.05, 0.5]))
    assert torch.isnan(d[0, 2])


def test_activation_regions_tile_the_interval_and_refine_the_pieces():
    for k in (1, 3, 5):
        regions = activation_regions(sawtooth(k), 0, 1)
        assert regions[0][0] == 0 and regions[-1][1] == 1
        assert all(a[1] == b[0] for a, b in zip(regions, regions[1:]))
        assert len(regions) >= count_linear_pieces(sawtooth(k), 0, 1)
    net = ElbowNet.from_elbows(torch.tensor([[1.0, 1.0]]), torch.tensor([[0.0, 0.0]]),
                               torch.tensor([[1.0, -1.0]]), torch.zeros(1))
    assert len(activation_regions(net.member(0), -1, 1)) == 2  # the units switch at 0 ...
    assert count_linear_pieces(net.member(0), -1, 1) == 1  # ... but cancel: one piece
