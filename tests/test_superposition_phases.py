import math

import numpy as np
import pytest
import torch

from nnlab import superposition as sp


def test_best_runs_equals_a_brute_force_loop():
    g = torch.Generator().manual_seed(0)
    loss = torch.rand(7, 9, generator=g)
    names = ["orthogonal", "pentagon", "two antipodal pairs"]
    labels = np.array(names)[torch.randint(0, 3, (7, 9), generator=g).numpy()]
    labels[3] = "orthogonal"  # pentagon absent at sparsity 3
    best = sp.best_runs(loss, labels, names)
    for name in names:
        for s in range(7):
            runs = [(float(loss[s, r]), r) for r in range(9) if labels[s, r] == name]
            if runs:
                value, seed = min(runs)
                assert float(best[name].loss[s]) == value and int(best[name].seed[s]) == seed
            else:
                assert math.isinf(float(best[name].loss[s]))


def test_free_energy_crossing_solves_the_balance_equation():
    dK, dlam = -0.0008, 0.2  # A fits better, B is simpler
    n = sp.free_energy_crossing(dK, dlam)
    assert n is not None and n > math.e
    assert n * abs(dK) == pytest.approx(abs(dlam) * math.log(n), rel=1e-9)
    # below the crossing the simpler encoding B has the lower free energy, beyond it A
    assert 0.5 * n * dK + dlam * math.log(0.5 * n) > 0 > 2 * n * dK + dlam * math.log(2 * n)
    assert sp.free_energy_crossing(-dK, -dlam) == pytest.approx(n)


def test_free_energy_crossing_none_when_one_encoding_wins_everywhere():
    assert sp.free_energy_crossing(-0.01, -0.3) is None  # lower loss and smaller lambda
    assert sp.free_energy_crossing(-1.0, 2.0) is None  # |dlambda|/|dK| <= e: no root above e
    assert sp.free_energy_crossing(0.5, 0.0) is None


@pytest.mark.parametrize("call, word", [
    (lambda: sp.free_energy_crossing(0.0, 1.0), "delta_loss"),
    (lambda: sp.free_energy_crossing(float("nan"), 1.0), "delta_loss"),
    (lambda: sp.free_energy_crossing(1.0, "x"), "delta_lambda"),
    (lambda: sp.best_runs(torch.zeros(3), np.array(["a"] * 3)), "loss"),
    (lambda: sp.best_runs(torch.zeros(2, 3), np.array([["a"] * 2] * 3)), "labels"),
])
def test_bad_arguments(call, word):
    with pytest.raises(ValueError, match=word):
        call()
