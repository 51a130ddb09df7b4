import numpy as np
import pytest
import torch

from nnlab.datasets import digits, mnist, standardize


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


def _fake_torchvision(monkeypatch, fail=False):
    """A stand-in torchvision whose MNIST holds a few random images (no network)."""
    import sys
    import types

    class MNIST:
        def __init__(self, root, train=True, download=False):
            if fail:
                raise OSError("network is unreachable")
            n = 50 if train else 20
            g = torch.Generator().manual_seed(int(train))
            self.data = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
            self.data[:, 0, 0] = 0  # a constant pixel, as MNIST's corners are
            self.targets = torch.arange(n) % 10

    tv = types.ModuleType("torchvision")
    tv.datasets = types.ModuleType("torchvision.datasets")
    tv.datasets.MNIST = MNIST
    monkeypatch.setitem(sys.modules, "torchvision", tv)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", tv.datasets)


def test_mnist_converts_and_subsamples(monkeypatch, tmp_path):
    _fake_torchvision(monkeypatch)
    s = mnist(root=str(tmp_path), n_train=30, n_test=10, seed=1)
    assert s.X_train.shape == (30, 784) and s.X_test.shape == (10, 784)
    assert s.X_train.dtype == torch.float32 and s.y_train.dtype == torch.int64
    np.testing.assert_allclose(s.X_train.numpy().mean(axis=0), 0, atol=1e-5)
    assert float(s.X_test[:, 0].abs().max()) == 0  # the constant pixel is centred, not blown up
    unit = mnist(root=str(tmp_path), scale="unit")
    assert unit.X_train.shape == (50, 784) and float(unit.X_train.max()) <= 1


def test_mnist_fails_clearly_without_torchvision_or_offline(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "torchvision", None)  # import fails
    monkeypatch.setitem(sys.modules, "torchvision.datasets", None)
    with pytest.raises(RuntimeError, match="pip install torchvision"):
        mnist(root=str(tmp_path))
    _fake_torchvision(monkeypatch, fail=True)
    with pytest.raises(RuntimeError, match="online"):
        mnist(root=str(tmp_path))


@pytest.mark.parametrize("kwargs,match", [({"n_train": 0}, "n_train"), ({"n_test": 10001}, "n_test"),
                                          ({"scale": "minmax"}, "scale"), ({"seed": -1}, "seed")])
def test_mnist_rejects_bad_arguments_before_importing(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mnist(**kwargs)
