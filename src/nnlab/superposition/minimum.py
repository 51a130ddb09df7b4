"""Is ``w*`` a minimum? Newton refinement, Hessian spectra and the Gaussian value of the LLC estimator.

The SGLD estimate of the local learning coefficient (:mod:`nnlab.superposition.slt`) assumes that
``w*`` is a local minimum of the empirical loss ``L_n``. A trained network is only near one: with
gradient ``g`` and Hessian ``H`` at ``w*`` the quadratic model puts the nearby minimum

``L_n(w*) - L_n(w_min) ~ (1/2) g^T H^+ g``

below ``w*`` (the *Newton gap*, ``H^+`` the pseudo-inverse on the positive eigen-directions). It
must be small against every loss difference that is compared. :func:`refine_toy_minimum` runs
damped Newton steps (float64, per instance, all instances at once) until it is.

At a minimum where ``L_n`` is quadratic with eigenvalues ``h_k`` the estimator's target is exact:

``n beta E[L_n - L_n(w*)] = (1/2) sum_k n beta h_k / (n beta h_k + gamma)``

(:func:`gaussian_llc`): ``d/2`` when ``gamma << n beta h_k`` for every ``k``, and smaller when the
localization ``gamma`` dominates the curvature. Comparing ``lambda_hat`` with it separates what the
estimator measures of the loss landscape from what it measures of its own settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.func import grad, hessian, vmap

from ..validation import check_choice, check_int, check_real, check_tensor
from .data import importance
from .model import ACTIVATIONS, _reconstruct

__all__ = ["ToyMinimum", "toy_loss_derivatives", "newton_gap", "refine_toy_minimum", "gaussian_llc"]


def _half_loss_flat(theta: torch.Tensor, x: torch.Tensor, weights: torch.Tensor, m: int, n: int,
                    activation: str, gamma: float) -> torch.Tensor:
    """``K_n = (1/2) mean_batch sum_i I_i (x_i - x'_i)^2`` of one instance with ``theta = [W.flatten(), b]``."""
    W = theta[: m * n].reshape(1, m, n)
    b = theta[m * n:].reshape(1, n)
    xh = _reconstruct(W, b, x[None], activation, gamma)[0]
    return 0.5 * (((x - xh) ** 2) @ weights).mean()


def _check_toy(W: torch.Tensor, b: torch.Tensor, x: torch.Tensor, activation: str,
               gamma: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    dims: dict[str, int] = {}
    W = check_tensor("W", W, "I m n", dims=dims).detach().to(torch.float64)
    b = check_tensor("b", b, "I n", dims=dims).detach().to(torch.float64)
    x = check_tensor("x", x, "I B n", dims=dims).detach().to(torch.float64)
    check_choice("activation", activation, ACTIVATIONS)
    gamma = check_real("gamma", gamma, low=0.0, low_open=True)
    return W, b, x, gamma


def _derivatives(theta: torch.Tensor, x: torch.Tensor, m: int, n: int, activation: str,
                 gamma: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    weights = importance(n).to(dtype=theta.dtype, device=theta.device)

    def f(t: torch.Tensor, xx: torch.Tensor) -> torch.Tensor:
        return _half_loss_flat(t, xx, weights, m, n, activation, gamma)

    loss = vmap(f)(theta, x)
    g = vmap(grad(f))(theta, x)
    h = vmap(hessian(f))(theta, x)
    return loss, g, h


def toy_loss_derivatives(W: torch.Tensor, b: torch.Tensor, x: torch.Tensor, activation: str = "relu",
                         gamma: float = 30.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Half the importance-weighted loss of each toy-model instance, its gradient and Hessian (float64).

    ``K_n(theta) = (1/2) mean_k sum_i I_i (x_ki - x'_ki)^2`` with ``theta = [W.flatten(), b]``
    (``P = m n + n`` parameters); for ReLU the Hessian is that of the piece of ``K_n`` on which
    ``w*`` lies (the activation pattern of the ``B`` samples held fixed).

    Args:
        W: ``[I, m, n]``; b: ``[I, n]``; x: the data ``[I, B, n]`` (one sample set per instance).
        activation, gamma: as in :class:`~nnlab.superposition.ToyModel`.

    Returns:
        ``(loss [I], grad [I, P], hessian [I, P, P])``.
    """
    W, b, x, gamma = _check_toy(W, b, x, activation, gamma)
    m, n = W.shape[1:]
    theta = torch.cat([W.flatten(1), b], 1)
    return _derivatives(theta, x, m, n, activation, gamma)


def _pinv_apply(g: torch.Tensor, h: torch.Tensor, rtol: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``(H^+ g, eigenvalues)``: the pseudo-inverse on eigenvalues above ``rtol * max``."""
    evals, evecs = torch.linalg.eigh(h)
    keep = evals > rtol * evals.amax(-1, keepdim=True).clamp_min(0)
    coef = torch.einsum("ipk,ip->ik", evecs, g)
    coef = torch.where(keep, coef / torch.where(keep, evals, torch.ones_like(evals)), torch.zeros_like(coef))
    return torch.einsum("ipk,ik->ip", evecs, coef), evals


def newton_gap(grad_: torch.Tensor, hess: torch.Tensor, rtol: float = 1e-8) -> torch.Tensor:
    """``(1/2) g^T H^+ g`` per instance: how far below ``w*`` the quadratic model puts the nearby minimum.

    Args:
        grad_: ``[I, P]``; hess: ``[I, P, P]`` symmetric (real floating, finite).
        rtol: eigenvalues at most ``rtol`` times the largest count as zero (flat directions, in
            ``(0, 1)``).

    Returns:
        ``[I]``.
    """
    dims: dict[str, int] = {}
    grad_ = check_tensor("grad_", grad_, "I P", dims=dims)
    hess = check_tensor("hess", hess, "I P P", dims=dims)
    rtol = check_real("rtol", rtol, low=0.0, high=1.0, low_open=True, high_open=True)
    step, _ = _pinv_apply(grad_.double(), hess.double(), rtol)
    return 0.5 * (grad_.double() * step).sum(-1)


@dataclass
class ToyMinimum:
    """The result of :func:`refine_toy_minimum`; every field has a leading instance axis ``I``.

    Attributes:
        W, b: the refined weights ``[I, m, n]``, ``[I, n]`` (float64).
        loss: ``K_n`` at the refined weights ``[I]``; start_loss: at the input weights.
        grad_norm: ``||g||`` at the refined weights; start_grad_norm: at the input weights.
        gap: the Newton gap ``(1/2) g^T H^+ g`` at the refined weights; start_gap: at the input.
        eigenvalues: the Hessian's eigenvalues at the refined weights ``[I, P]`` (ascending).
        steps: Newton steps taken.
    """

    W: torch.Tensor
    b: torch.Tensor
    loss: torch.Tensor
    start_loss: torch.Tensor
    grad_norm: torch.Tensor
    start_grad_norm: torch.Tensor
    gap: torch.Tensor
    start_gap: torch.Tensor
    eigenvalues: torch.Tensor
    steps: int

    def positive(self, tol: float = 1e-6) -> torch.Tensor:
        """The number of Hessian eigenvalues above ``tol`` per instance: ``[I]`` (int)."""
        tol = check_real("tol", tol, low=0.0, low_open=True)
        return (self.eigenvalues > tol).sum(-1)


def refine_toy_minimum(W: torch.Tensor, b: torch.Tensor, x: torch.Tensor, activation: str = "relu",
                       gamma: float = 30.0, steps: int = 30, gap_tol: float = 1e-12,
                       rtol: float = 1e-8) -> ToyMinimum:
    """Damped Newton steps on ``K_n`` (float64) from ``(W, b)``, each instance on its own data, all at once.

    Each step is ``theta <- theta - t H^+ g`` with the pseudo-inverse on the positive
    eigen-directions (flat symmetry directions are left alone) and the step length ``t``
    halved (up to 20 times) until ``K_n`` does not increase. It stops when every instance's
    Newton gap is below ``gap_tol`` or after ``steps`` steps.

    Args:
        W: ``[I, m, n]``; b: ``[I, n]``; x: data ``[I, B, n]``.
        activation, gamma: as in :class:`~nnlab.superposition.ToyModel`.
        steps: at most this many Newton steps (>= 0). gap_tol: stopping threshold (> 0).
        rtol: relative eigenvalue threshold of the pseudo-inverse, in ``(0, 1)``.

    Returns:
        :class:`ToyMinimum`.
    """
    W, b, x, gamma = _check_toy(W, b, x, activation, gamma)
    steps = check_int("steps", steps, minimum=0)
    gap_tol = check_real("gap_tol", gap_tol, low=0.0, low_open=True)
    rtol = check_real("rtol", rtol, low=0.0, high=1.0, low_open=True, high_open=True)
    m, n = W.shape[1:]
    theta = torch.cat([W.flatten(1), b], 1)
    weights = importance(n).to(dtype=theta.dtype, device=theta.device)

    def loss_of(t: torch.Tensor) -> torch.Tensor:
        return vmap(lambda tt, xx: _half_loss_flat(tt, xx, weights, m, n, activation, gamma))(t, x)

    loss, g, h = _derivatives(theta, x, m, n, activation, gamma)
    step, evals = _pinv_apply(g, h, rtol)
    start = (loss, g.norm(dim=-1), 0.5 * (g * step).sum(-1))
    taken = 0
    for _ in range(steps):
        gap = 0.5 * (g * step).sum(-1)
        if bool((gap.abs() < gap_tol).all()):
            break
        t = torch.ones(len(theta), 1, dtype=theta.dtype, device=theta.device)
        for _ in range(20):
            trial = theta - t * step
            new = loss_of(trial)
            worse = new > loss
            if not bool(worse.any()):
                break
            t = torch.where(worse[:, None], 0.5 * t, t)
        theta = torch.where((new <= loss)[:, None], trial, theta)
        loss, g, h = _derivatives(theta, x, m, n, activation, gamma)
        step, evals = _pinv_apply(g, h, rtol)
        taken += 1
    return ToyMinimum(W=theta[:, : m * n].reshape(-1, m, n), b=theta[:, m * n:], loss=loss,
                      start_loss=start[0], grad_norm=g.norm(dim=-1), start_grad_norm=start[1],
                      gap=0.5 * (g * step).sum(-1), start_gap=start[2], eigenvalues=evals, steps=taken)


def gaussian_llc(eigenvalues: torch.Tensor, nbeta: float, localization: float) -> torch.Tensor:
    """The LLC estimator's exact target at a quadratic minimum: ``(1/2) sum_k n beta h_k / (n beta h_k + gamma)``.

    For ``p(w) ~ exp(-n beta (w - w*)^T H (w - w*) / 2 - gamma ||w - w*||^2 / 2)`` the expected loss
    excess times ``n beta`` is ``(1/2) tr(n beta H (n beta H + gamma)^-1)``. Non-positive eigenvalues
    (flat or saddle directions) count 0.

    Args:
        eigenvalues: ``[..., P]`` Hessian eigenvalues of ``L_n`` at ``w*`` (real floating, finite).
        nbeta: ``n beta`` (> 0). localization: ``gamma`` (>= 0; with 0 every positive eigenvalue counts 1/2).

    Returns:
        ``[...]``.
    """
    eigenvalues = check_tensor("eigenvalues", eigenvalues)
    if eigenvalues.ndim < 1:
        raise ValueError(f"eigenvalues must have at least one dimension [..., P], got shape {tuple(eigenvalues.shape)}")
    nbeta = check_real("nbeta", nbeta, low=0.0, low_open=True)
    localization = check_real("localization", localization, low=0.0)
    h = nbeta * eigenvalues.clamp_min(0)
    return 0.5 * torch.where(h > 0, h / (h + localization), torch.zeros_like(h)).sum(-1)
