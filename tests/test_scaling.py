import numpy as np
import pytest

from nnlab.scaling import loglog_slope


def test_slope_of_exact_power_law():
    x = np.array([1, 2, 4, 8, 16.0])
    assert loglog_slope(x, 3 * x**-2) == pytest.approx(-2)
    assert loglog_slope(x, 0.1 * x**0.5) == pytest.approx(0.5)


@pytest.mark.parametrize("x,y,name", [([1, 2], [1, 2, 3], "x"), ([1, 1], [1, 2], "x"), ([1, 2], [0, 1], "y"),
                                      ([-1, 2], [1, 1], "x")])
def test_slope_rejects_bad_input(x, y, name):
    with pytest.raises(ValueError, match=name):
        loglog_slope(x, y)


def test_slope_report_recovers_known_exponents_and_their_spread():
    from nnlab.scaling import slope_report

    x = np.array([32.0, 128, 512, 2048, 8192])
    exps = np.array([-0.4, -0.5, -0.6])  # three seeds with exact power laws
    values = 2.0 * x[:, None] ** exps[None, :]
    r = slope_report(x, values)
    np.testing.assert_allclose(r.per_seed, exps, atol=1e-12)
    assert r.se == pytest.approx(np.std(exps, ddof=1) / np.sqrt(3), rel=1e-10)
    # a single exact power law: the mean's slope, head and tail all equal the exponent
    one = slope_report(x, 3.0 * x**-0.5)
    assert one.slope == pytest.approx(-0.5) and one.head == pytest.approx(-0.5) and one.tail == pytest.approx(-0.5)
    assert one.se == 0.0
    # a bend (flat, then exponent -1) shows as a drift between head and tail
    bend = slope_report(x, np.minimum(512 / x, 1.0))
    assert bend.head == pytest.approx(0.0, abs=1e-12) and bend.tail == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="window"):
        slope_report(x, values, window=6)
    with pytest.raises(ValueError, match="values"):
        slope_report(x, values[:3])
