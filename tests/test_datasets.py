import numpy as np
import pytest
import torch

from nnlab.datasets import digits, standardize


def test_digits_split_shapes_and_types():
    s = digits(test_size=0.3, seed=0)
    assert s.X_train.shape[1] == s.X_test.shape[1] == 64
    assert len(s.y_train) + len(s.y_test) == 1797
    assert len(s.y_test) == pytest.approx(0.3 * 1797, abs=1)
    assert s.X_train.dtype == torch.float32 and s.y_train.dtype == torch.int64
    assert s.n_classes == 10


def test_digits_split_is_seeded_and_stratified():
    a, b, c = digits(seed=1), digits(seed=1), digits(seed=2)
    assert torch.equal(a.X_test, b.X_test) and not torch.equal(a.y_test, c.y_test)
    train_frac = torch.bincount(a.y_train, minlength=10) / len(a.y_train)
    test_frac = torch.bincount(a.y_test, minlength=10) / len(a.y_test)
    assert torch.allclose(train_frac, test_frac, atol=0.01)


def test_standard_scaling_uses_training_statistics_and_spares_constant_pixels():
    s = digits(seed=0)
    X = s.X_train.numpy()
    varying = X.std(axis=0) > 0
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(X.std(axis=0)[varying], 1, atol=1e-4)
    assert float(s.X_test.abs().max()) < 100  # a constant training pixel is not blown up


def test_standardize_constant_column():
    train = np.array([[1.0, 5.0], [3.0, 5.0]])
    test = np.array([[2.0, 6.0]])
    tr, te = standardize(train, test)
    np.testing.assert_allclose(tr, [[-1, 0], [1, 0]])
    np.testing.assert_allclose(te, [[0, 1]])


def test_unit_scaling_range():
    s = digits(scale="unit")
    assert float(s.X_train.min()) >= 0 and float(s.X_train.max()) <= 1


@pytest.mark.parametrize("kwargs,match", [({"test_size": 0.0}, "test_size"), ({"test_size": 1.0}, "test_size"),
                                          ({"seed": -1}, "seed"), ({"scale": "minmax"}, "scale")])
def test_digits_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        digits(**kwargs)
