"""Pair-aware tiling (nnlab.localization.tiling) and per-member learning rates (rates)."""

import math

import torch

from nnlab import localization as loc

D = 60


def bump(centre, width=2.0, d=D):
    i = torch.arange(d, dtype=torch.float64)
    dist = torch.remainder(i - centre + d / 2, d) - d / 2
    return torch.exp(-dist**2 / (2 * width**2))


def test_sign_pairs_finds_planted_opposite_pairs_and_nothing_else():
    w = torch.stack([bump(5), -bump(5), bump(25), bump(45), -bump(45.3), bump(25.5) * 0.5 + bump(40) * 0.0])
    partner = loc.sign_pairs(w)
    assert partner[0] == 1 and partner[1] == 0          # (w, -w)
    assert partner[3] == 4 and partner[4] == 3          # (w, -w) slightly shifted
    assert partner[2] == -1 and partner[5] == -1        # two same-sign fields never pair
    assert math.isclose(loc.pair_fraction(w).item(), 4 / 6)


def test_unit_percentile_counts_a_pair_once_and_matches_the_plain_percentile_without_pairs():
    # four evenly spaced units; two of them are pairs: the naive percentile sees a pile-up, the units tile perfectly
    w = torch.stack([bump(0), -bump(0), bump(15), bump(30), -bump(30), bump(45)])
    naive = loc.tiling_percentile(loc.peak_position(w), D)
    pct, units = loc.unit_tiling_percentile(w)
    assert units.item() == 4
    assert naive.item() < 0.05
    assert math.isclose(pct.item(), 1.0, abs_tol=1e-6)
    # without pairs it is exactly the percentile of the positions (a batch of random groups)
    g = torch.Generator().manual_seed(0)
    centres = torch.rand(7, 5, generator=g, dtype=torch.float64) * D
    fields = torch.stack([torch.stack([bump(c) for c in row]) for row in centres])   # [7, 5, D], all positive
    pct, units = loc.unit_tiling_percentile(fields)
    assert (units == 5).all()
    torch.testing.assert_close(pct, loc.tiling_percentile(loc.peak_position(fields), D))


def test_unit_percentile_of_a_single_unit_is_nan():
    pct, units = loc.unit_tiling_percentile(torch.stack([bump(3), -bump(3)]))
    assert units.item() == 1 and math.isnan(pct.item())


def test_field_overlap_is_the_cosine():
    w = torch.stack([bump(5), -2 * bump(5), bump(30)])
    c = loc.field_overlap(w)
    torch.testing.assert_close(c.diagonal(), torch.ones(3, dtype=torch.float64))
    assert math.isclose(c[0, 1].item(), -1.0, abs_tol=1e-12)


def test_fit_rates_equals_separate_runs_with_each_rate():
    """Member m of one model with rates [a, b] moves exactly as a lone model trained with rate a or b."""
    task = loc.TwoClassTask(12, (1.0, 1.5), [3.0, 3.0])
    both = loc.TwoLayer(2, 12, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    w0 = both.W.detach().clone()
    loc.fit_rates(both, task, [0.1, 0.3], steps=5, batch_size=8, generator=torch.Generator().manual_seed(2))
    for m, rate in enumerate([0.1, 0.3]):
        lone = loc.TwoLayer(2, 12, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
        assert torch.equal(lone.W.detach(), w0)
        loc.fit(lone, task, steps=5, lr=rate, batch_size=8, generator=torch.Generator().manual_seed(2))
        torch.testing.assert_close(both.W.detach()[m], lone.W.detach()[m], rtol=1e-10, atol=1e-12)
