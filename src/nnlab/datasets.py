"""Real data that ships with a dependency: nothing is downloaded at build or test time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .validation import check_int, check_real

__all__ = ["Split", "digits", "standardize"]


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
    """
    mean = train.mean(axis=0)
    sd = train.std(axis=0)
    sd = np.where(sd < 10 * np.finfo(train.dtype).eps * np.maximum(1.0, np.abs(mean)), 1.0, sd)
    return tuple((a - mean) / sd for a in (train, *others))


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
