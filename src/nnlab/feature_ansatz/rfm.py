"""The Recursive Feature Machine: a kernel machine that learns its metric from its own AGOP.

Radhakrishnan, Beaglehole, Pandit & Belkin (Science 2024); reference code
aradha/recursive_feature_machines. With the Mahalanobis-Laplace kernel

``K_M(x, z) = exp(-||x - z||_M / L)``, ``||u||_M = sqrt(u^T M u)``,

one iteration solves kernel ridge regression ``alpha = (K_M(X, X) + reg I)^{-1} y``, so that
``f(x) = sum_i alpha_i K_M(x, x_i)``, and replaces ``M`` by the AGOP of ``f`` over the
training inputs. Its gradient is in closed form,

``grad f(x) = -(1/L) sum_i alpha_i K_M(x, x_i) M (x - x_i) / ||x - x_i||_M``,

where terms with ``x = x_i`` (the kernel's cusp) are dropped, as in the reference code.
Starting from ``M = I`` and repeating a few times, ``M`` concentrates on the directions the
target depends on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

from ..training import History
from ..validation import check_int, check_real
from .agop import _check_matrix, outer_mean

__all__ = ["mahalanobis_distances", "laplace_kernel", "kernel_gradients", "r2_score", "RFM"]


def _check_pair(X: torch.Tensor, Z: torch.Tensor, M: torch.Tensor) -> None:
    _check_matrix("X", X)
    _check_matrix("Z", Z)
    _check_matrix("M", M, square=True)
    if X.shape[1] != Z.shape[1]:
        raise ValueError(f"X and Z must have the same number of columns, got {X.shape[1]} and {Z.shape[1]}")
    if M.shape[0] != X.shape[1]:
        raise ValueError(f"M must be [d, d] with d = {X.shape[1]} (the input dimension), got {tuple(M.shape)}")


def mahalanobis_distances(X: torch.Tensor, Z: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
    """Pairwise distances ``||x_a - z_b||_M = sqrt((x_a - z_b)^T M (x_a - z_b))``.

    Args:
        X: ``[n, d]``. Z: ``[m, d]``. M: symmetric PSD ``[d, d]``.

    Returns:
        ``[n, m]``.
    """
    _check_pair(X, Z, M)
    XM, ZM = X @ M, Z @ M
    sq = (XM * X).sum(1)[:, None] + (ZM * Z).sum(1)[None, :] - 2 * XM @ Z.T
    return sq.clamp_min(0).sqrt()


def laplace_kernel(X: torch.Tensor, Z: torch.Tensor, M: torch.Tensor, bandwidth: float = 10.0) -> torch.Tensor:
    """Mahalanobis-Laplace kernel ``K_M(x, z) = exp(-||x - z||_M / L)`` with ``L = bandwidth``.

    Args:
        X: ``[n, d]``. Z: ``[m, d]``. M: symmetric PSD ``[d, d]``. bandwidth: ``L > 0``.

    Returns:
        ``[n, m]``.
    """
    bandwidth = check_real("bandwidth", bandwidth, low=0.0, low_open=True)
    return torch.exp(-mahalanobis_distances(X, Z, M) / bandwidth)


def kernel_gradients(X: torch.Tensor, centers: torch.Tensor, alpha: torch.Tensor, M: torch.Tensor,
                     bandwidth: float = 10.0, eps: float = 1e-10) -> torch.Tensor:
    """Gradients of the kernel predictor ``f(x) = sum_i alpha_i K_M(x, c_i)`` at the rows of ``X``, in closed form.

    ``grad f(x) = (1/L) M sum_i w_i(x) (c_i - x)``, ``w_i(x) = alpha_i K_M(x, c_i) / ||x - c_i||_M``
    (zero where ``||x - c_i||_M < eps``): two matrix products, no loop over samples.

    Args:
        X: where to evaluate ``[m, d]``. centers: the training inputs ``[n, d]``.
        alpha: kernel coefficients ``[n]`` or ``[n, c]`` (one column per output).
        M: the metric ``[d, d]``. bandwidth: ``L``. eps: distances treated as zero.

    Returns:
        ``[m, c, d]`` (``c = 1`` for a vector ``alpha``).
    """
    _check_pair(X, centers, M)
    bandwidth = check_real("bandwidth", bandwidth, low=0.0, low_open=True)
    eps = check_real("eps", eps, low=0.0)
    if not isinstance(alpha, torch.Tensor) or alpha.ndim not in (1, 2) or alpha.shape[0] != centers.shape[0]:
        raise ValueError(f"alpha must be [n] or [n, c] with n = {centers.shape[0]}, got "
                         f"{getattr(alpha, 'shape', type(alpha).__name__)}")
    a = alpha[:, None] if alpha.ndim == 1 else alpha  # [n, c]
    dist = mahalanobis_distances(X, centers, M)  # [m, n]
    ratio = torch.where(dist < eps, torch.zeros_like(dist), torch.exp(-dist / bandwidth) / dist.clamp_min(eps))
    weighted = ratio[:, :, None] * a[None, :, :]  # [m, n, c]
    toward = torch.einsum("mnc,nd->mcd", weighted, centers) - weighted.sum(1)[:, :, None] * X[:, None, :]
    return toward @ M / bandwidth


def r2_score(y_true: torch.Tensor, y_pred: torch.Tensor) -> float:
    """Coefficient of determination ``1 - sum (y - yhat)^2 / sum (y - mean y)^2`` (all outputs pooled)."""
    if not isinstance(y_true, torch.Tensor) or not isinstance(y_pred, torch.Tensor) or y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must be tensors of the same shape, got "
                         f"{getattr(y_true, 'shape', None)} and {getattr(y_pred, 'shape', None)}")
    resid = ((y_true - y_pred) ** 2).sum()
    total = ((y_true - y_true.mean(0)) ** 2).sum()
    if total == 0:
        raise ValueError("y_true must not be constant (R^2 is undefined)")
    return float(1 - resid / total)


@dataclass
class RFM:
    """Recursive Feature Machine with the Mahalanobis-Laplace kernel (Radhakrishnan et al. 2024).

    ``fit(X, y)`` starts from ``M = I`` and runs ``iters`` times: solve
    ``alpha = (K_M + reg I)^{-1} y``, then ``M <- AGOP`` of the predictor over the training
    inputs; a final solve uses the last ``M``. ``fit`` returns a :class:`nnlab.training.History`
    (also kept as ``history``) with one record per iteration ``t = 0 .. iters`` (``t = 0`` is the
    plain Laplace kernel): ``loss`` is the training MSE, and the metrics ``"M"`` (the metric
    used), ``"train_r2"`` and ``"test_r2"`` (``None`` without a test set).

    Args:
        bandwidth: ``L`` of the kernel (10 in the paper).
        reg: ridge ``lambda`` (1e-3 in the paper).
        iters: number of AGOP updates (5 in the paper).
        centered: centre the gradients before the outer product (the reference default is no).
    """

    bandwidth: float = 10.0
    reg: float = 1e-3
    iters: int = 5
    centered: bool = False
    M: torch.Tensor | None = field(default=None, init=False)
    alpha: torch.Tensor | None = field(default=None, init=False)
    centers: torch.Tensor | None = field(default=None, init=False)
    history: History | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.bandwidth = check_real("bandwidth", self.bandwidth, low=0.0, low_open=True)
        self.reg = check_real("reg", self.reg, low=0.0)
        self.iters = check_int("iters", self.iters, minimum=0)
        if not isinstance(self.centered, bool):
            raise ValueError(f"centered must be True or False, got {self.centered!r}")

    def _solve(self, X: torch.Tensor, y: torch.Tensor) -> None:
        K = laplace_kernel(X, X, self.M, self.bandwidth)
        K.diagonal().add_(self.reg)
        self.alpha = torch.linalg.solve(K, y)
        self.centers = X

    def _agop(self, X: torch.Tensor) -> torch.Tensor:
        return outer_mean(kernel_gradients(X, X, self.alpha, self.M, self.bandwidth), self.centered)

    def fit(self, X: torch.Tensor, y: torch.Tensor, X_test: torch.Tensor | None = None,
            y_test: torch.Tensor | None = None) -> History:
        """Run the RFM iterations on ``X`` ``[n, d]``, ``y`` ``[n]`` or ``[n, c]``; returns the History.

        With ``X_test, y_test`` the test R^2 of every iteration is recorded too.
        """
        _check_matrix("X", X)
        if not isinstance(y, torch.Tensor) or y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must be [n] or [n, c] with n = {X.shape[0]}, got {getattr(y, 'shape', y)!r}")
        if (X_test is None) != (y_test is None):
            raise ValueError("X_test and y_test must be given together")
        if X_test is not None:
            _check_matrix("X_test", X_test)
            if X_test.shape[1] != X.shape[1] or not isinstance(y_test, torch.Tensor) \
                    or y_test.shape[1:] != y.shape[1:] or y_test.shape[0] != X_test.shape[0]:
                raise ValueError(f"X_test, y_test must be [m, {X.shape[1]}] and [m, *{tuple(y.shape[1:])}], got "
                                 f"{tuple(X_test.shape)} and {getattr(y_test, 'shape', y_test)}")
        self.M = torch.eye(X.shape[1], dtype=X.dtype, device=X.device)
        start = time.perf_counter()
        hist = History(metrics={"M": [], "train_r2": [], "test_r2": []})
        for t in range(self.iters + 1):
            self._solve(X, y)
            fitted = self.predict(X)
            hist.steps.append(t)
            hist.loss.append(float(((fitted - y) ** 2).mean()))
            hist.metrics["M"].append(self.M.clone())
            hist.metrics["train_r2"].append(r2_score(y, fitted))
            hist.metrics["test_r2"].append(None if X_test is None else r2_score(y_test, self.predict(X_test)))
            if t < self.iters:
                self.M = self._agop(X)
        hist.seconds = time.perf_counter() - start
        self.history = hist
        return hist

    def predict(self, X: torch.Tensor) -> torch.Tensor:
        """Predictions ``K_M(X, X_train) alpha``: ``[m]`` or ``[m, c]``."""
        if self.alpha is None:
            raise ValueError("predict needs a fitted RFM: call fit(X, y) first")
        _check_matrix("X", X)
        if X.shape[1] != self.centers.shape[1]:
            raise ValueError(f"X must have {self.centers.shape[1]} columns, got {X.shape[1]}")
        return laplace_kernel(X, self.centers, self.M, self.bandwidth) @ self.alpha

    @property
    def test_r2(self) -> list[float | None]:
        """Test R^2 per iteration (``None`` where no test set was given)."""
        if self.history is None:
            raise ValueError("test_r2 needs a fitted RFM: call fit(X, y) first")
        return list(self.history.metrics["test_r2"])
