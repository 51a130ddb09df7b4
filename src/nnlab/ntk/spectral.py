"""Closed-form gradient descent of kernel regression, read in the eigenbasis of the kernel.

For the loss ``L = (1/2N) sum_i (f(x_i) - y_i)^2`` over ``N`` training inputs and a fixed kernel
``Theta`` (the NTK of a wide network, which barely moves), one gradient-descent step with learning
rate ``eta`` maps the residual ``r = y - f(X)`` to ``(I - (eta/N) Theta(X, X)) r``. With
``Theta(X, X)/N = U diag(lambda) U^T`` it decays independently along each eigenvector:
``U^T r_t = (1 - eta lambda)^t U^T r_0``, whose small-step limit is gradient flow,
``exp(-eta lambda t)`` (``flow=True``). Directions with large ``lambda`` are fitted first;
stopping at step ``t`` keeps the filter ``1 - (1 - eta lambda)^t``, a spectral regularizer
(Jacot et al. 2018; Arora et al. 2019)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..validation import check_bool, check_real, check_real_array, check_tensor

__all__ = ["Eigenbasis", "eigenbasis", "residual_decay", "kernel_regression_path", "fitted_fraction",
           "prediction_error"]


@dataclass
class Eigenbasis:
    """Eigendecomposition of ``Theta(X, X) / N``: ``values`` ``[N]`` (descending), ``vectors`` ``[N, N]`` (columns).

    Both must be real floating, finite tensors of matching sizes (checked on construction).
    """

    values: torch.Tensor
    vectors: torch.Tensor

    def __post_init__(self) -> None:
        dims: dict[str, int] = {}
        self.values = check_tensor("values", self.values, "n", dims=dims)
        self.vectors = check_tensor("vectors", self.vectors, "n n", dims=dims)

    def project(self, r: torch.Tensor) -> torch.Tensor:
        """Coefficients ``U^T r`` of vectors ``r`` ``[..., N]`` along the eigenvectors: ``[..., N]``.

        ``r`` must be real floating and finite; it is cast to the dtype of ``vectors`` (float64).
        """
        r = check_tensor("r", r, ("...", "n"), dims={"n": self.vectors.shape[0]}, dtype=self.vectors.dtype)
        return r @ self.vectors


def _check_basis(basis: object) -> Eigenbasis:
    if not isinstance(basis, Eigenbasis):
        raise ValueError(f"basis must be an Eigenbasis (from eigenbasis), got {type(basis).__name__}")
    return basis


def _check_square(kernel: torch.Tensor, name: str = "kernel") -> torch.Tensor:
    if isinstance(kernel, torch.Tensor):
        check_tensor(name, kernel)  # real floating, finite, non-empty
    if not isinstance(kernel, torch.Tensor) or kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise ValueError(f"{name} must be a square 2-D tensor [n, n], got {getattr(kernel, 'shape', type(kernel))}")
    return kernel


def _check_times(times: torch.Tensor | list | float) -> torch.Tensor:
    check_real_array("times", times)  # real (integer or float), finite, non-empty: no bool or complex
    t = torch.as_tensor(times, dtype=torch.float64).reshape(-1)
    if t.numel() == 0 or not bool(torch.isfinite(t).all()) or bool((t < 0).any()):
        raise ValueError(f"times must be finite and >= 0, got {t.tolist()}")
    return t


def eigenbasis(kernel: torch.Tensor) -> Eigenbasis:
    """Eigenbasis of the normalized training kernel ``Theta(X, X) / N``.

    Args:
        kernel: ``Theta(X, X)`` ``[N, N]``, symmetric.

    Returns:
        :class:`Eigenbasis` in float64, eigenvalues sorted from largest to smallest (negative
        round-off eigenvalues are clipped to 0).
    """
    _check_square(kernel)
    k = kernel.detach().double().cpu()
    if not torch.allclose(k, k.T, rtol=1e-6, atol=1e-8 * float(k.abs().max())):
        raise ValueError("kernel must be symmetric (Theta(X, X) of one set of inputs)")
    values, vectors = torch.linalg.eigh((k + k.T) / (2 * k.shape[0]))
    order = torch.argsort(values, descending=True)
    return Eigenbasis(values[order].clamp_min(0.0), vectors[:, order])


def _decay(lam: torch.Tensor, lr: float, t: torch.Tensor, flow: bool) -> torch.Tensor:
    """``[T, n]`` factors ``(1 - lr lam)^t`` (gradient descent) or ``exp(-lr lam t)`` (gradient flow)."""
    if flow:
        return torch.exp(-lr * t[:, None] * lam[None, :])
    base = 1 - lr * lam
    if bool((base < 0).any()) and not bool((t == t.round()).all()):
        raise ValueError(f"times must be whole steps when lr * lambda_max = {lr * float(lam.max()):.3g} > 1 "
                         f"(a negative factor 1 - lr lambda has no real fractional power), got {t.tolist()}")
    return base[None, :] ** t[:, None]


def residual_decay(basis: Eigenbasis, lr: float, times: torch.Tensor | list | float, *,
                   flow: bool = False) -> torch.Tensor:
    """Predicted remaining residual fraction per eigen-direction: ``(1 - lr * lambda_i)^t``.

    Gradient descent on the linear model multiplies the component along ``u_i`` by
    ``1 - eta lambda_i`` per step, exactly; ``flow=True`` gives the gradient-flow limit
    ``exp(-eta lambda_i t)`` (equal to first order in ``eta lambda_i``).

    Args:
        basis: from :func:`eigenbasis`.
        lr: learning rate ``eta`` (> 0) of ``L = (1/2N) sum (f - y)^2``.
        times: ``T`` training times (gradient-descent steps), each >= 0; whole numbers when
            ``eta lambda_max > 1``.
        flow: the continuous-time limit instead of the discrete steps.

    Returns:
        ``[T, N]``: row ``t`` multiplies the coefficients ``U^T r(0)`` to give ``U^T r(t)``.
    """
    _check_basis(basis)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    t = _check_times(times)
    check_bool("flow", flow)
    return _decay(basis.values, lr, t, flow)


def fitted_fraction(basis: Eigenbasis, residual0: torch.Tensor, residuals: torch.Tensor) -> torch.Tensor:
    """Measured fitted fraction ``1 - (U^T r(t))_i / (U^T r(0))_i`` per eigen-direction.

    Args:
        basis: from :func:`eigenbasis`.
        residual0: ``r(0) = y - f_0(X)`` ``[N]``.
        residuals: ``r(t)`` at ``T`` times ``[T, N]``.

    Returns:
        ``[T, N]``; compare with ``1 - residual_decay(...)``.
    """
    n = _check_basis(basis).values.shape[0]
    dims = {"n": n}
    residual0 = check_tensor("residual0", residual0, "n", dims=dims)
    residuals = check_tensor("residuals", residuals, "T n", dims=dims)
    c0 = basis.project(residual0.detach().double().cpu())
    return 1 - basis.project(residuals.detach().double().cpu()) / c0


def kernel_regression_path(kernel_train: torch.Tensor, kernel_test: torch.Tensor, y: torch.Tensor,
                           f0_train: torch.Tensor, f0_test: torch.Tensor, lr: float,
                           times: torch.Tensor | list | float, *, flow: bool = False) -> torch.Tensor:
    """Test predictions of gradient descent with a fixed kernel, in closed form, at several times.

    ``f_t(x) = f_0(x) + Theta(x, X)/N U diag((1 - (1 - eta lambda)^t) / lambda) U^T (y - f_0(X))``,
    with ``Theta(X, X)/N = U diag(lambda) U^T`` (the factor is ``eta t`` where ``lambda = 0``);
    ``flow=True`` uses the gradient-flow factor ``1 - exp(-eta lambda t)`` instead.
    At ``t -> inf`` it is kernel regression (the minimum-norm interpolant) started from ``f_0``.

    Args:
        kernel_train: ``Theta(X, X)`` ``[N, N]``.
        kernel_test: ``Theta(x, X)`` ``[m, N]``.
        y: targets ``[N]``.
        f0_train, f0_test: the initial function on ``X`` ``[N]`` and on the test inputs ``[m]``.
        lr: learning rate ``eta`` (> 0) of ``L = (1/2n) sum (f - y)^2``.
        times: ``T`` times >= 0.
        flow: gradient flow instead of gradient-descent steps (see :func:`residual_decay`).

    Returns:
        ``[T, m]`` predictions in float64. Use ``kernel_test = kernel_train`` for the training fit.
    """
    _check_square(kernel_train, "kernel_train")
    n = kernel_train.shape[0]
    if not isinstance(kernel_test, torch.Tensor) or kernel_test.ndim != 2 or kernel_test.shape[1] != n:
        raise ValueError(f"kernel_test must be [m, {n}], got {tuple(getattr(kernel_test, 'shape', ()))}")
    dims = {"n": n}
    check_tensor("kernel_test", kernel_test, "m n", dims=dims)
    for name, v, spec in (("y", y, "n"), ("f0_train", f0_train, "n"), ("f0_test", f0_test, "m")):
        if not isinstance(v, torch.Tensor):
            raise ValueError(f"{name} must be a tensor, got {type(v).__name__}")
        check_tensor(name, v, spec, dims=dims)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    t = _check_times(times)
    check_bool("flow", flow)
    basis = eigenbasis(kernel_train)
    lam = basis.values
    tiny = lam <= 1e-12 * float(lam.max())
    if flow:
        fitted = -torch.expm1(-lr * t[:, None] * lam[None, :])
    else:
        fitted = 1 - _decay(lam, lr, t, False)
    rate = fitted / torch.where(tiny, 1.0, lam)[None, :]
    rate = torch.where(tiny[None, :], lr * t[:, None], rate)  # limit lambda -> 0
    c0 = basis.project((y - f0_train).detach().double().cpu())
    weights = (rate * c0[None, :]) @ basis.vectors.T  # [T, N]: coefficients on Theta(x, X)/N
    return f0_test.detach().double().cpu()[None, :] + weights @ (kernel_test.detach().double().cpu().T / n)


def prediction_error(basis: Eigenbasis, residual0: torch.Tensor, residuals: torch.Tensor, lr: float,
                     times: torch.Tensor | list | float, *, flow: bool = False) -> float:
    """Largest deviation of measured residuals from the fixed-kernel prediction, relative to ``||r(0)||``.

    ``max_{t, i} |(U^T r(t))_i - (1 - lr lambda_i)^t (U^T r(0))_i| / ||r(0)||`` (``exp(-lr lambda_i t)``
    with ``flow=True``): 0 when training follows the fixed-kernel dynamics exactly in every
    eigen-direction. Measured in units of the initial
    residual, so directions with tiny ``(U^T r(0))_i`` do not blow it up (as a ratio would).

    Args:
        basis: from :func:`eigenbasis`.
        residual0: ``r(0) = y - f_0(X)`` ``[N]``.
        residuals: ``r(t)`` at the ``T`` times ``[T, N]``.
        lr: learning rate ``eta`` (> 0).
        times: the ``T`` times (gradient-descent steps) at which ``residuals`` were recorded.
        flow: compare with gradient flow instead of gradient-descent steps.

    Returns:
        The relative error (a float >= 0).
    """
    n = _check_basis(basis).values.shape[0]
    t = _check_times(times)
    dims = {"n": n, "T": t.numel()}  # T = len(times)
    residual0 = check_tensor("residual0", residual0, "n", dims=dims)
    residuals = check_tensor("residuals", residuals, "T n", dims=dims)
    r0 = residual0.detach().double().cpu()
    measured = basis.project(residuals.detach().double().cpu())
    predicted = residual_decay(basis, lr, t, flow=flow) * basis.project(r0)
    return float((measured - predicted).abs().max() / r0.norm())
