"""Real data that ships with a dependency: nothing is downloaded at build or test time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .validation import check_bool, check_int, check_real, check_real_array

__all__ = ["Split", "digits", "mnist", "standardize"]


@dataclass
class Split:
    """A train/test split: ``X_*`` float32 ``[n, d]``, ``y_*`` int64 ``[n]`` class labels."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def n_classes(self) -> int:
        """Number of classes (labels are ``0 .. n_classes - 1``)."""
        return int(torch.cat([self.y_train, self.y_test]).max()) + 1

    def to(self, device: torch.device | str) -> Split:
        """The same split on ``device``."""
        return Split(*(t.to(device) for t in (self.X_train, self.y_train, self.X_test, self.y_test)))


def standardize(train: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """Centre and scale every column by the training mean and standard deviation.

    Columns that are constant on the training set are centred but not scaled (scale 1), as
    scikit-learn's ``StandardScaler`` does: dividing by ``sd + 1e-8`` would blow up a column
    that is constant in training but not in the test set (pixel 24 of digits) to ~1e8.

    Every array must be 2-D ``[n, d]`` with the same ``d``, non-empty, of real (integer or
    float) finite numbers; a list, a tensor or an integer array is converted to float64 first.
    """
    train = _check_matrix("train", train)
    others = tuple(_check_matrix(f"others[{i}]", a, train.shape[1]) for i, a in enumerate(others))
    mean = train.mean(axis=0)
    sd = train.std(axis=0)
    sd = np.where(sd < 10 * np.finfo(train.dtype).eps * np.maximum(1.0, np.abs(mean)), 1.0, sd)
    return tuple((a - mean) / sd for a in (train, *others))


def _check_matrix(name: str, a: object, d: int | None = None) -> np.ndarray:
    """``a`` as a 2-D numpy array of real finite numbers (a float numpy array is returned as it is, not copied)."""
    if not isinstance(a, np.ndarray):
        a = check_real_array(name, a, ndim=2)
    if a.dtype == bool or not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise ValueError(f"{name} must hold real numbers (integer or float), got dtype {a.dtype}")
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array [n, d], got shape {a.shape}")
    if d is not None and a.shape[1] != d:
        raise ValueError(f"{name} must have {d} columns (as train), got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite, got NaN or inf")
    return a.astype(np.float64) if np.issubdtype(a.dtype, np.integer) else a


def digits(test_size: float = 0.3, seed: int = 0, scale: str = "standard") -> Split:
    """scikit-learn's 8x8 handwritten digits (1797 images, 10 classes) with a seeded split.

    Args:
        test_size: fraction of the images held out, in (0, 1); the split is stratified.
        seed: seed of the split.
        scale: ``"standard"`` (per-pixel zero mean, unit variance on the training set),
            ``"unit"`` (pixel intensities 0..16 divided by 16) or ``"none"``.

    Returns:
        :class:`Split` with ``X`` of shape ``[n, 64]``.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    test_size = check_real("test_size", test_size, low=0.0, high=1.0, low_open=True, high_open=True)
    seed = check_int("seed", seed, minimum=0)
    if scale not in ("standard", "unit", "none"):
        raise ValueError(f"scale must be 'standard', 'unit' or 'none', got {scale!r}")
    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
    if scale == "standard":
        X_tr, X_te = standardize(X_tr, X_te)
    elif scale == "unit":
        X_tr, X_te = X_tr / 16.0, X_te / 16.0
    return Split(
        torch.from_numpy(np.ascontiguousarray(X_tr, dtype=np.float32)),
        torch.from_numpy(y_tr.astype(np.int64)),
        torch.from_numpy(np.ascontiguousarray(X_te, dtype=np.float32)),
        torch.from_numpy(y_te.astype(np.int64)),
    )


def mnist(root: str | None = None, n_train: int | None = None, n_test: int | None = None, seed: int = 0,
          scale: str = "standard", download: bool = True) -> Split:
    """MNIST (28x28 handwritten digits, 60000 + 10000 images) through torchvision: opt-in, online.

    Nothing here runs at build or test time: the book uses :func:`digits`. The first call
    downloads about 12 MB into ``root`` (default ``~/.cache/nnlab/mnist``) unless the files are
    already there; it fails with a clear ``RuntimeError`` when torchvision is not installed or
    the download is impossible (offline).

    Args:
        root: download and cache folder.
        n_train: keep a seeded random subset of this many training images (default: all).
        n_test: the same for the test images.
        seed: seed of the subsets.
        scale: ``"standard"`` (per-pixel, training statistics; constant pixels are only
            centred), ``"unit"`` (intensities in [0, 1]) or ``"none"`` (0..255).
        download: allow downloading when the files are missing.

    Returns:
        :class:`Split` with ``X`` of shape ``[n, 784]``, the official train/test split.
    """
    import os

    if n_train is not None:
        n_train = check_int("n_train", n_train, minimum=1, maximum=60000)
    if n_test is not None:
        n_test = check_int("n_test", n_test, minimum=1, maximum=10000)
    seed = check_int("seed", seed, minimum=0)
    if scale not in ("standard", "unit", "none"):
        raise ValueError(f"scale must be 'standard', 'unit' or 'none', got {scale!r}")
    check_bool("download", download)
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise ValueError(f"root must be a folder path or None, got {root!r}")
    root = os.path.expanduser(root or os.path.join("~", ".cache", "nnlab", "mnist"))
    try:
        from torchvision.datasets import MNIST
    except ImportError:
        raise RuntimeError(
            "mnist() needs torchvision, which the book does not install: run `pip install torchvision` "
            "(and be online for the first download), or use nnlab.datasets.digits()"
        ) from None
    try:
        parts = [MNIST(root, train=train, download=download) for train in (True, False)]
    except Exception as err:  # network errors surface as URLError, OSError, RuntimeError, ...
        raise RuntimeError(
            f"could not load MNIST into {root!r} ({type(err).__name__}: {err}); the first call must be "
            "online (download=True); otherwise use nnlab.datasets.digits()"
        ) from err
    rng = np.random.default_rng(seed)
    arrays = []
    for part, keep in zip(parts, (n_train, n_test)):
        X = np.asarray(part.data, dtype=np.float32).reshape(len(part.data), -1)
        y = np.asarray(part.targets, dtype=np.int64)
        if keep is not None:
            idx = np.sort(rng.choice(len(y), size=keep, replace=False))
            X, y = X[idx], y[idx]
        arrays.append((X, y))
    (X_tr, y_tr), (X_te, y_te) = arrays
    if scale == "standard":
        X_tr, X_te = standardize(X_tr, X_te)
    elif scale == "unit":
        X_tr, X_te = X_tr / 255.0, X_te / 255.0
    return Split(
        torch.from_numpy(np.ascontiguousarray(X_tr, dtype=np.float32)), torch.from_numpy(y_tr),
        torch.from_numpy(np.ascontiguousarray(X_te, dtype=np.float32)), torch.from_numpy(y_te),
    )
