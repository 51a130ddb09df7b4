"""Aligning activations of different networks by an orthogonal change of basis (Procrustes).

For activations ``phi_ref(x)`` in ``R^{d1}`` and ``phi(x)`` in ``R^{d2}`` the uncentred
cross-covariance is ``Sigma_12 = E[phi_ref phi^T]``. With its SVD ``Sigma_12 = U S V^T`` the
(semi-)orthogonal ``A = U V^T`` minimizes ``E ||phi_ref - A phi||^2`` (orthogonal Procrustes),
and the explained fraction ``rho = sum_i s_i / sqrt(tr Sigma_11 tr Sigma_22)`` is 1 exactly when
``phi_ref = c A phi`` for an orthogonal ``A`` and a constant ``c > 0`` (``rho`` ignores a global
scale). The residual is ``E ||phi_ref - A phi||^2 = tr Sigma_11 + tr(A Sigma_22 A^T) - 2 sum_i s_i``,
which is ``tr Sigma_11 + tr Sigma_22 - 2 sum_i s_i`` only when ``A`` has orthonormal columns
(``d <= d_ref``); for a wider ``phi`` (orthonormal rows) ``A`` also discards the part of ``phi``
outside its row space. (Guth et al. 2023, arXiv 2305.18512, section 2.)

The paper's code does not report this pairwise ``rho``: it aligns every network to an
iteratively computed *mean network* and reports the unexplained variance
``1 - tr Sigma_mean / mean_k tr Sigma_kk`` (:func:`mean_alignment`).

Activations are ``[..., n, d]`` (leading batch dimensions, then samples, then features), so a
whole ensemble of networks aligns to a reference in one batched SVD.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..training import Ensemble
from ..validation import check_bool, check_int, check_tensor

__all__ = ["cross_covariance", "align", "explained_fraction", "Alignment", "align_network", "held_out_explained",
           "mean_alignment"]


def _check_pair(phi1: object, phi2: object, name1: str = "phi1",
                name2: str = "phi2") -> tuple[torch.Tensor, torch.Tensor]:
    """Two finite real floating activation tensors ``[..., n, d1]``, ``[..., n, d2]`` of one dtype."""
    checked = []
    for name, t in ((name1, phi1), (name2, phi2)):
        if isinstance(t, torch.Tensor) and t.ndim < 2:
            raise ValueError(f"{name} must be a tensor of shape [..., n, d], got {tuple(t.shape)}")
        checked.append(check_tensor(name, t, "... n d"))
    phi1, phi2 = checked
    if phi1.shape[-2] != phi2.shape[-2]:
        raise ValueError(
            f"{name1} and {name2} must hold the same samples (dimension -2), "
            f"got {tuple(phi1.shape)} and {tuple(phi2.shape)}"
        )
    try:
        torch.broadcast_shapes(phi1.shape[:-2], phi2.shape[:-2])
    except RuntimeError:
        raise ValueError(
            f"the batch dimensions of {name1} {tuple(phi1.shape)} and {name2} {tuple(phi2.shape)} do not broadcast"
        ) from None
    if phi2.dtype != phi1.dtype:
        raise ValueError(f"{name2} must have the dtype of {name1} ({phi1.dtype}), got {phi2.dtype}")
    return phi1, phi2


def cross_covariance(phi1: torch.Tensor, phi2: torch.Tensor) -> torch.Tensor:
    """Uncentred cross-covariance ``E_x[phi1(x) phi2(x)^T]``.

    Args:
        phi1: ``[..., n, d1]`` activations on ``n`` inputs.
        phi2: ``[..., n, d2]`` activations on the same inputs.

    Returns:
        ``[..., d1, d2]`` (batch dimensions broadcast).

    Raises:
        ValueError: unless both are finite non-empty real floating tensors of one dtype (lists
            and numpy arrays are converted) with the same ``n`` and broadcastable batch dimensions.
    """
    return _cross_covariance(*_check_pair(phi1, phi2))


def _cross_covariance(phi1: torch.Tensor, phi2: torch.Tensor) -> torch.Tensor:
    """:func:`cross_covariance` without the argument checks."""
    return phi1.transpose(-1, -2) @ phi2 / phi1.shape[-2]


def _traces(phi_ref: torch.Tensor, phi: torch.Tensor) -> torch.Tensor:
    """``sqrt(tr Sigma_11 tr Sigma_22)`` = ``sqrt(E|phi_ref|^2 E|phi|^2)``: ``[...]``."""
    t1 = phi_ref.pow(2).sum(-1).mean(-1)
    t2 = phi.pow(2).sum(-1).mean(-1)
    return (t1 * t2).sqrt()


def align(phi_ref: torch.Tensor, phi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Orthogonal ``A`` with ``A phi ≈ phi_ref``, and the fraction of the activations it explains.

    ``Sigma_12 = E[phi_ref phi^T] = U S V^T`` (SVD), ``A = U V^T`` minimizes
    ``E ||phi_ref - A phi||^2`` over (semi-)orthogonal matrices, and
    ``explained = sum_i s_i / sqrt(tr Sigma_11 tr Sigma_22)`` lies in ``[0, 1]``.

    Args:
        phi_ref: ``[..., n, d_ref]`` reference activations.
        phi: ``[..., n, d]`` activations to rotate onto the reference (same inputs).

    Returns:
        ``(A, explained)`` with ``A`` of shape ``[..., d_ref, d]`` (orthonormal columns if
        ``d <= d_ref``, orthonormal rows otherwise) and ``explained`` of shape ``[...]``.

    Raises:
        ValueError: for bad activations, as in :func:`cross_covariance`.
    """
    phi_ref, phi = _check_pair(phi_ref, phi, "phi_ref", "phi")
    return _align(phi_ref, phi)


def _align(phi_ref: torch.Tensor, phi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`align` without the argument checks."""
    sigma = _cross_covariance(phi_ref, phi)
    U, S, Vh = torch.linalg.svd(sigma, full_matrices=False)
    A = U @ Vh
    explained = S.sum(-1) / _traces(phi_ref, phi).clamp_min(torch.finfo(S.dtype).tiny)
    return A, explained


def explained_fraction(phi_ref: torch.Tensor, phi: torch.Tensor, A: torch.Tensor) -> torch.Tensor:
    """``<A, Sigma_12>_F / sqrt(tr Sigma_11 tr Sigma_22)`` for a given alignment ``A`` (e.g. on held-out data).

    With ``A`` from :func:`align` on the same data this is the explained fraction that ``align``
    returns; on other data it measures how well the rotation fitted on the training inputs
    transfers. For equal traces, ``E||phi_ref - A phi||^2 / E||phi_ref||^2 = 2 (1 - explained)``.

    Args:
        phi_ref: ``[..., n, d_ref]``. phi: ``[..., n, d]``. A: ``[..., d_ref, d]``.

    Returns:
        ``[...]``.

    Raises:
        ValueError: for bad activations (as in :func:`cross_covariance`), or unless ``A`` is a
            finite real floating ``[..., d_ref, d]`` tensor whose batch dimensions broadcast
            with theirs.
    """
    phi_ref, phi = _check_pair(phi_ref, phi, "phi_ref", "phi")
    if isinstance(A, torch.Tensor) and (A.ndim < 2 or A.shape[-2:] != (phi_ref.shape[-1], phi.shape[-1])):
        raise ValueError(
            f"A must have shape [..., {phi_ref.shape[-1]}, {phi.shape[-1]}] to map phi to phi_ref, got {tuple(A.shape)}"
        )
    A = check_tensor("A", A, ("...", phi_ref.shape[-1], phi.shape[-1]))
    try:
        torch.broadcast_shapes(A.shape[:-2], phi_ref.shape[:-2], phi.shape[:-2])
    except RuntimeError:
        raise ValueError(f"the batch dimensions of A {tuple(A.shape)} do not broadcast with those of phi_ref "
                         f"{tuple(phi_ref.shape)} and phi {tuple(phi.shape)}") from None
    sigma = _cross_covariance(phi_ref, phi)
    return (A * sigma).sum((-1, -2)) / _traces(phi_ref, phi).clamp_min(torch.finfo(sigma.dtype).tiny)


def _mlp_sizes(model: object) -> list[int]:
    """The layer sizes of an :class:`~nnlab.training.Ensemble` of plain MLPs (else ``ValueError`` naming model)."""
    if not isinstance(model, Ensemble):
        raise ValueError(f"model must be an nnlab.training.Ensemble of MLPs, got {type(model).__name__}")
    try:
        return model.sizes
    except ValueError:
        raise ValueError("model must be an Ensemble of plain MLPs (Linear layers and activations)") from None


@dataclass
class Alignment:
    """Every member of an ensemble aligned, layer by layer, to a reference member.

    Attributes:
        rotations: per hidden layer ``l``, ``A_l`` of shape ``[M, N_l(ref), N_l]`` with
            ``A_l phi_l ≈ phi_l(ref)``.
        weights: per layer (output layer included), the weights expressed in the reference's
            input basis, ``W_l A_{l-1}^T``: ``[M, N_l, N_{l-1}(ref)]`` (layer 1 unchanged).
        explained: per hidden layer, the explained fraction ``[M]`` on the alignment data.
    """

    rotations: list[torch.Tensor]
    weights: list[torch.Tensor]
    explained: list[torch.Tensor]


@torch.no_grad()
def align_network(model: Ensemble, X: torch.Tensor, reference: int = 0) -> Alignment:
    """Align every member's hidden activations to those of member ``reference``, layer by layer.

    Each hidden layer's activations (computed by the member's own network) are aligned with
    :func:`align`; the next layer's weights are rotated accordingly, ``W_l -> W_l A_{l-1}^T``,
    since ``W_l phi_{l-1} ≈ W_l A_{l-1}^T phi_{l-1}(ref)``. The reference aligns to itself with
    ``A = I``.

    Args:
        model: the ensemble.
        X: alignment inputs ``[n, d]`` (training data).
        reference: index of the reference member.

    Returns:
        :class:`Alignment`.

    Raises:
        ValueError: unless ``model`` is an ensemble of plain MLPs, ``reference`` one of its
            members and ``X`` a finite non-empty real floating ``[n, d]`` tensor (a list or numpy
            array is converted; the ensemble casts it to its dtype).
    """
    sizes = _mlp_sizes(model)
    reference = check_int("reference", reference, minimum=0, maximum=model.members - 1)
    if isinstance(X, torch.Tensor) and (X.ndim != 2 or X.shape[1] != sizes[0]):
        raise ValueError(f"X must have shape [n, {sizes[0]}], got {tuple(X.shape)}")
    X = check_tensor("X", X, ("n", sizes[0]))
    hidden = model.hidden(X)
    rotations, explained = [], []
    for h in hidden:
        A, e = _align(h[reference], h)
        rotations.append(A)
        explained.append(e)
    weights = [model.weights[0].detach().clone()]
    for w, A in zip(list(model.weights)[1:], rotations):
        weights.append(w.detach() @ A.transpose(1, 2))
    return Alignment(rotations, weights, explained)


@torch.no_grad()
def held_out_explained(model: Ensemble, X_fit: torch.Tensor, X_eval: torch.Tensor, reference: int = 0,
                       centered: bool = False) -> list[torch.Tensor]:
    """Explained fraction of every member against ``reference``, per hidden layer, on held-out inputs.

    ``A_l`` is fitted on ``X_fit`` (:func:`align`) and :func:`explained_fraction` is evaluated on
    ``X_eval``. With ``centered=True`` every member's activations are first centred by their
    mean over ``X_fit`` (on both input sets), so that the common mean direction of ReLU
    activations, which any two networks share, does not count as agreement.

    Args:
        model: the ensemble. X_fit: ``[n, d]`` inputs to fit the rotations on.
        X_eval: ``[m, d]`` inputs to measure on. reference: index of the reference member.
        centered: centre the activations first.

    Returns:
        per hidden layer, ``[M - 1]``: the members other than ``reference``, in order.

    Raises:
        ValueError: unless ``model`` is an ensemble of plain MLPs, ``reference`` one of its
            members, ``X_fit`` and ``X_eval`` finite non-empty real floating ``[., d]`` tensors of
            its input size and ``centered`` a bool.
    """
    sizes = _mlp_sizes(model)
    if model.members < 2:
        raise ValueError(f"model must have at least 2 members to compare, got {model.members}")
    reference = check_int("reference", reference, minimum=0, maximum=model.members - 1)
    for name, X in (("X_fit", X_fit), ("X_eval", X_eval)):
        if isinstance(X, torch.Tensor) and (X.ndim != 2 or X.shape[1] != sizes[0]):
            raise ValueError(f"{name} must have shape [n, {sizes[0]}], got {tuple(X.shape)}")
    X_fit = check_tensor("X_fit", X_fit, ("n", sizes[0]))
    X_eval = check_tensor("X_eval", X_eval, ("m", sizes[0]))
    centered = check_bool("centered", centered)
    others = [m for m in range(model.members) if m != reference]
    out = []
    for h_fit, h_eval in zip(model.hidden(X_fit), model.hidden(X_eval)):
        if centered:
            mu = h_fit.mean(-2, keepdim=True)
            h_fit, h_eval = h_fit - mu, h_eval - mu
        A, _ = _align(h_fit[reference], h_fit)
        sigma = _cross_covariance(h_eval[reference], h_eval)
        e = (A * sigma).sum((-1, -2)) / _traces(h_eval[reference], h_eval).clamp_min(torch.finfo(sigma.dtype).tiny)
        out.append(e[others])
    return out


@torch.no_grad()
def mean_alignment(phi: torch.Tensor, iters: int = 2,
                   phi_eval: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Align ``M`` networks to their iteratively computed mean network; the unexplained variance.

    The protocol of the rainbow paper's code (FlorentinGuth/Rainbow, ``notebook/experiments.py``):
    step 0 aligns every network to network 0 and averages, ``phi_mean = mean_k A_k phi_k``; each
    further step re-aligns every network to the current ``phi_mean`` (:func:`align`) and
    re-averages. The unexplained variance is
    ``1 - tr E[phi_mean phi_mean^T] / mean_k tr E[phi_k phi_k^T]`` (uncentred): 0 when all
    networks are rotations of one representation, ``1 - 1/M`` for ``M`` orthogonal ones.

    Args:
        phi: ``[M, n, d]`` activations of ``M`` networks on the same ``n`` inputs (``M >= 2``).
        iters: re-alignment steps after step 0 (``>= 0``; the code's default is 2).
        phi_eval: optional ``[M, m, d]`` activations on other inputs, where the rotations fitted
            on ``phi`` are applied and the unexplained variance is measured (default: ``phi``).

    Returns:
        ``(rotations, unexplained)``: ``[M, d, d]`` with ``A_k phi_k ≈ phi_mean``, and a scalar.

    Raises:
        ValueError: unless ``phi`` (and ``phi_eval``) are finite real floating ``[M, ., d]``
            tensors with ``M >= 2`` and the same ``M`` and ``d``, and ``iters >= 0``.
    """
    dims: dict[str, int] = {}
    phi = check_tensor("phi", phi, "M n d", dims=dims)
    if phi.shape[0] < 2:
        raise ValueError(f"phi must hold at least 2 networks (dimension 0), got shape {tuple(phi.shape)}")
    iters = check_int("iters", iters, minimum=0)
    if phi_eval is not None:
        if isinstance(phi_eval, torch.Tensor) and (phi_eval.ndim != 3 or phi_eval.shape[0] != phi.shape[0]
                                                   or phi_eval.shape[2] != phi.shape[2]):
            raise ValueError(f"phi_eval must have shape [{phi.shape[0]}, m, {phi.shape[2]}], "
                             f"got {tuple(phi_eval.shape)}")
        phi_eval = check_tensor("phi_eval", phi_eval, (dims["M"], "m", dims["d"]), dtype=phi.dtype)
    A, _ = _align(phi[0], phi)
    for _ in range(iters):
        mean = (phi @ A.transpose(1, 2)).mean(0)
        A, _ = _align(mean, phi)
    ev = phi if phi_eval is None else phi_eval
    mean = (ev @ A.transpose(1, 2)).mean(0)
    total = ev.pow(2).sum(-1).mean(-1).mean()
    return A, 1 - mean.pow(2).sum(-1).mean() / total
