import numpy as np
import pytest

from nnlab.scaling import loglog_slope


def test_slope_of_exact_power_law():
    x = np.array([1, 2, 4, 8, 16.0])
    assert loglog_slope(x, 3 * x**-2) == pytest.approx(-2)
    assert loglog_slope(x, 0.1 * x**0.5) == pytest.approx(0.5)


@pytest.mark.parametrize("x,y", [([1, 2], [1, 2, 3]), ([1, 1], [1, 2]), ([1, 2], [0, 1]), ([-1, 2], [1, 1])])
def test_slope_rejects_bad_input(x, y):
    with pytest.raises(ValueError, match="x"):
        loglog_slope(x, y)
