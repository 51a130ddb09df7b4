import pytest
import torch

from nnlab.validation import check_choice, check_int, check_real


def test_check_int():
    assert check_int("n", 3, minimum=1) == 3
    for bad in (0, 2.0, True, "3"):
        with pytest.raises(ValueError, match="n must"):
            check_int("n", bad, minimum=1)
    with pytest.raises(ValueError, match="<= 5"):
        check_int("n", 6, maximum=5)


def test_check_real():
    assert check_real("x", 1, low=0.0) == 1.0
    with pytest.raises(ValueError, match=r"x must lie in \(0.0, inf\]"):
        check_real("x", 0.0, low=0.0, low_open=True)
    with pytest.raises(ValueError, match="finite"):
        check_real("x", float("nan"))
    with pytest.raises(ValueError, match="real number"):
        check_real("x", "1")


def test_check_choice():
    assert check_choice("kind", "a", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"kind must be one of \('a', 'b'\), got 'c'"):
        check_choice("kind", "c", ("a", "b"))


def test_check_tensor_leading_ellipsis_allows_any_batch_dimensions():
    from nnlab.validation import check_tensor
    dims = {}
    for shape in [(5,), (2, 5), (3, 2, 5)]:
        assert check_tensor("w", torch.ones(shape), "... d_in", dims=dims).shape == shape
    with pytest.raises(ValueError, match="w must have shape"):
        check_tensor("w", torch.ones(2, 4), "... d_in", dims=dims)  # d_in bound to 5 above
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        check_tensor("w", torch.ones(5), "... K d_in")
