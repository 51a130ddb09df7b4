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
from ..validation import check_bool, check_int, check_real, check_tensor
from .agop import _check_matrix, _outer_mean

__all__ = ["mahalanobis_distances", "laplace_kernel", "kernel_gradients", "r2_score", "RFM"]


def _check_pair(X: object, Z: object, M: object, z_name: str = "Z") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``X [n, d]``, ``Z [m, d]``, ``M [d, d]`` checked: finite real floating tensors of one dtype."""
    X = _check_matrix("X", X, spec="n d")
    Z = _check_matrix(z_name, Z, spec="m d")
    M = _check_matrix("M", M, square=True)
    if X.shape[1] != Z.shape[1]:
        raise ValueError(f"X and {z_name} must have the same number of columns, got {X.shape[1]} and {Z.shape[1]}")
    if M.shape[0] != X.shape[1]:
        raise ValueError(f"M must be [d, d] with d = {X.shape[1]} (the input dimension), got {tuple(M.shape)}")
    for name, t in ((z_name, Z), ("M", M)):
        if t.dtype != X.dtype:
            raise ValueError(f"{name} must have the dtype of X ({X.dtype}), got {t.dtype}")
    return X, Z, M


def mahalanobis_distances(X: torch.Tensor, Z: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
    """Pairwise distances ``||x_a - z_b||_M = sqrt((x_a - z_b)^T M (x_a - z_b))``.

    Args:
        X: ``[n, d]``. Z: ``[m, d]``. M: symmetric PSD ``[d, d]``.

    Returns:
        ``[n, m]``.

    Raises:
        ValueError: unless ``X``, ``Z`` and ``M`` are finite non-empty real floating matrices of
            one dtype and matching sizes (lists and numpy arrays are converted).
    """
    return _distances(*_check_pair(X, Z, M))


def _distances(X: torch.Tensor, Z: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
    """:func:`mahalanobis_distances` without the argument checks."""
    XM, ZM = X @ M, Z @ M
    sq = (XM * X).sum(1)[:, None] + (ZM * Z).sum(1)[None, :] - 2 * XM @ Z.T
    return sq.clamp_min(0).sqrt()


def laplace_kernel(X: torch.Tensor, Z: torch.Tensor, M: torch.Tensor, bandwidth: float = 10.0) -> torch.Tensor:
    """Mahalanobis-Laplace kernel ``K_M(x, z) = exp(-||x - z||_M / L)`` with ``L = bandwidth``.

    Args:
        X: ``[n, d]``. Z: ``[m, d]``. M: symmetric PSD ``[d, d]``. bandwidth: ``L > 0``.

    Returns:
        ``[n, m]``.

    Raises:
        ValueError: for bad ``X``, ``Z``, ``M`` (as in :func:`mahalanobis_distances`) or a
            ``bandwidth`` that is not finite and positive.
    """
    X, Z, M = _check_pair(X, Z, M)
    bandwidth = check_real("bandwidth", bandwidth, low=0.0, low_open=True)
    return _kernel(X, Z, M, bandwidth)


def _kernel(X: torch.Tensor, Z: torch.Tensor, M: torch.Tensor, bandwidth: float) -> torch.Tensor:
    """:func:`laplace_kernel` without the argument checks."""
    return torch.exp(-_distances(X, Z, M) / bandwidth)


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

    Raises:
        ValueError: unless ``X``, ``centers``, ``alpha`` and ``M`` are finite non-empty real
            floating tensors of one dtype and matching sizes, ``bandwidth > 0`` and ``eps >= 0``.
    """
    X, centers, M = _check_pair(X, centers, M, "centers")
    bandwidth = check_real("bandwidth", bandwidth, low=0.0, low_open=True)
    eps = check_real("eps", eps, low=0.0)
    if not isinstance(alpha, torch.Tensor) or alpha.ndim not in (1, 2) or alpha.shape[0] != centers.shape[0]:
        raise ValueError(f"alpha must be [n] or [n, c] with n = {centers.shape[0]}, got "
                         f"{getattr(alpha, 'shape', type(alpha).__name__)}")
    alpha = check_tensor("alpha", alpha)
    if alpha.dtype != X.dtype:
        raise ValueError(f"alpha must have the dtype of X ({X.dtype}), got {alpha.dtype}")
    return _kernel_gradients(X, centers, alpha, M, bandwidth, eps)


def _kernel_gradients(X: torch.Tensor, centers: torch.Tensor, alpha: torch.Tensor, M: torch.Tensor,
                      bandwidth: float, eps: float = 1e-10) -> torch.Tensor:
    """:func:`kernel_gradients` without the argument checks."""
    a = alpha[:, None] if alpha.ndim == 1 else alpha  # [n, c]
    dist = _distances(X, centers, M)  # [m, n]
    ratio = torch.where(dist < eps, torch.zeros_like(dist), torch.exp(-dist / bandwidth) / dist.clamp_min(eps))
    weighted = ratio[:, :, None] * a[None, :, :]  # [m, n, c]
    toward = torch.einsum("mnc,nd->mcd", weighted, centers) - weighted.sum(1)[:, :, None] * X[:, None, :]
    return toward @ M / bandwidth


def r2_score(y_true: torch.Tensor, y_pred: torch.Tensor) -> float:
    """Coefficient of determination ``1 - sum (y - yhat)^2 / sum (y - mean y)^2`` (all outputs pooled).

    Raises:
        ValueError: unless ``y_true`` and ``y_pred`` are finite non-empty real floating tensors of
            one shape (lists and numpy arrays are converted), or when ``y_true`` is constant.
    """
    y_true = check_tensor("y_true", y_true)
    y_pred = check_tensor("y_pred", y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_pred must have the shape of y_true {tuple(y_true.shape)}, got {tuple(y_pred.shape)}")
    return _r2(y_true, y_pred)


def _r2(y_true: torch.Tensor, y_pred: torch.Tensor) -> float:
    """:func:`r2_score` without the argument checks."""
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
        normalize: rescale every new metric to ``M / max_ij M_ij`` (the current reference library,
            ``rfm.LaplaceRFM``, does; the paper-era notebook with ``L = 10`` does not, and neither
            does the default here).

    Variants of the reference code: the paper-era example notebook
    (``example_notebooks/rfm.py``) hard-codes ``L = 10``, ``reg = 1e-3`` and uses the raw AGOP
    (``RFM()`` here); the current library normalizes ``M`` and defaults to ``bandwidth = 1``
    (``RFM(bandwidth=1.0, normalize=True)``).
    """

    bandwidth: float = 10.0
    reg: float = 1e-3
    iters: int = 5
    centered: bool = False
    normalize: bool = False
    M: torch.Tensor | None = field(default=None, init=False)
    alpha: torch.Tensor | None = field(default=None, init=False)
    centers: torch.Tensor | None = field(default=None, init=False)
    history: History | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.bandwidth = check_real("bandwidth", self.bandwidth, low=0.0, low_open=True)
        self.reg = check_real("reg", self.reg, low=0.0)
        self.iters = check_int("iters", self.iters, minimum=0)
        check_bool("centered", self.centered)
        check_bool("normalize", self.normalize)

    def _solve(self, X: torch.Tensor, y: torch.Tensor) -> None:
        K = _kernel(X, X, self.M, self.bandwidth)
        K.diagonal().add_(self.reg)
        self.alpha = torch.linalg.solve(K, y)
        self.centers = X

    def _agop(self, X: torch.Tensor) -> torch.Tensor:
        M = _outer_mean(_kernel_gradients(X, X, self.alpha, self.M, self.bandwidth), self.centered)
        return M / (M.max() + 1e-30) if self.normalize else M

    def fit(self, X: torch.Tensor, y: torch.Tensor, X_test: torch.Tensor | None = None,
            y_test: torch.Tensor | None = None) -> History:
        """Run the RFM iterations on ``X`` ``[n, d]``, ``y`` ``[n]`` or ``[n, c]``; returns the History.

        With ``X_test, y_test`` the test R^2 of every iteration is recorded too.

        All four must be finite non-empty real floating tensors (lists and numpy arrays are
        converted); ``y``, ``X_test`` and ``y_test`` are cast to the dtype of ``X``.

        Raises:
            ValueError: for bad or mismatched arguments, before any state changes.
        """
        X = _check_matrix("X", X, spec="n d")
        y = check_tensor("y", y)
        if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must be [n] or [n, c] with n = {X.shape[0]}, got {tuple(y.shape)}")
        y = y.to(X.dtype)
        if (X_test is None) != (y_test is None):
            raise ValueError("X_test and y_test must be given together")
        if X_test is not None:
            X_test = _check_matrix("X_test", X_test, spec="m d")
            if X_test.shape[1] != X.shape[1]:
                raise ValueError(f"X_test must be [m, {X.shape[1]}] (the columns of X), got {tuple(X_test.shape)}")
            y_test = check_tensor("y_test", y_test)
            if y_test.shape[1:] != y.shape[1:] or y_test.ndim != y.ndim or y_test.shape[0] != X_test.shape[0]:
                raise ValueError(f"y_test must be [m, *{tuple(y.shape[1:])}] with m = {X_test.shape[0]} (the rows of "
                                 f"X_test), got {tuple(y_test.shape)}")
            X_test, y_test = X_test.to(X.dtype), y_test.to(X.dtype)
        self.M = torch.eye(X.shape[1], dtype=X.dtype, device=X.device)
        start = time.perf_counter()
        hist = History(metrics={"M": [], "train_r2": [], "test_r2": []})
        for t in range(self.iters + 1):
            self._solve(X, y)
            fitted = self._predict(X)
            hist.steps.append(t)
            hist.loss.append(float(((fitted - y) ** 2).mean()))
            hist.metrics["M"].append(self.M.clone())
            hist.metrics["train_r2"].append(_r2(y, fitted))
            hist.metrics["test_r2"].append(None if X_test is None else _r2(y_test, self._predict(X_test)))
            if t < self.iters:
                self.M = self._agop(X)
        hist.seconds = time.perf_counter() - start
        self.history = hist
        return hist

    def predict(self, X: torch.Tensor) -> torch.Tensor:
        """Predictions ``K_M(X, X_train) alpha``: ``[m]`` or ``[m, c]``.

        ``X`` ``[m, d]`` must be a finite non-empty real floating tensor (a list or numpy array is
        converted); it is cast to the dtype of the training inputs.
        """
        if self.alpha is None:
            raise ValueError("predict needs a fitted RFM: call fit(X, y) first")
        X = _check_matrix("X", X, spec="m d")
        if X.shape[1] != self.centers.shape[1]:
            raise ValueError(f"X must have {self.centers.shape[1]} columns, got {X.shape[1]}")
        return self._predict(X.to(self.centers.dtype))

    def _predict(self, X: torch.Tensor) -> torch.Tensor:
        return _kernel(X, self.centers, self.M, self.bandwidth) @ self.alpha

    @property
    def test_r2(self) -> list[float | None]:
        """Test R^2 per iteration (``None`` where no test set was given)."""
        if self.history is None:
            raise ValueError("test_r2 needs a fitted RFM: call fit(X, y) first")
        return list(self.history.metrics["test_r2"])
