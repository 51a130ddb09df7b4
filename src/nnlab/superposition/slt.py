"""Singular learning theory in practice: the local learning coefficient estimated by SGLD.

Lau et al. (2023): ``lambda_hat = n beta (E[L_n(w)] - L_n(w*))``, the expectation over the
localized tempered posterior ``exp(-n beta L_n(w) - gamma/2 ||w - w*||^2)``, sampled by stochastic
gradient Langevin dynamics with the devinterp library's update and its default
``n beta = B / ln B`` for batch size ``B``, several chains run at once. The step defaults to
``1e-3`` here (devinterp's SGLD defaults to ``1e-2``) and the localization ``gamma`` to 100
(devinterp's optimizer defaults to 0; its LLC examples use a positive value).
:func:`power_model_tempered_llc` gives the exact value of the estimator's target for a
two-parameter singular model, to validate the sampler against.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call, grad_and_value, vmap

from ..validation import check_int, check_real, check_tensor

__all__ = ["LLCEstimate", "sgld_llc", "LLCGrid", "sgld_llc_grid", "PowerModel", "power_model_llc",
           "power_model_tempered_llc"]


@dataclass
class LLCEstimate:
    """What :func:`sgld_llc` measured.

    Attributes:
        llc: ``lambda_hat`` averaged over chains: a float, or a tensor ``[M]`` for a loss per member.
        llc_per_chain: ``[C]`` or ``[C, M]``.
        trace: ``n beta (L_b(w_t) - L_b(w*))`` at every step: ``[steps, C]`` or ``[steps, C, M]``.
        init_loss: the loss at ``w*`` on the whole data (float or ``[M]``).
        nbeta: the inverse temperature times ``n`` that was used.
    """

    llc: float | torch.Tensor
    llc_per_chain: torch.Tensor
    trace: torch.Tensor
    init_loss: float | torch.Tensor
    nbeta: float


def sgld_llc(
    model: nn.Module,
    loss_fn: Callable[..., torch.Tensor],
    data: tuple[torch.Tensor, ...],
    *,
    steps: int = 1000,
    burnin: int = 200,
    chains: int = 4,
    lr: float = 1e-3,
    localization: float = 100.0,
    nbeta: float | None = None,
    batch_size: int | None = None,
    generator: torch.Generator | None = None,
    sample_dim: int = 0,
) -> LLCEstimate:
    """Estimate the local learning coefficient at the model's current weights ``w*`` by SGLD.

    Each chain starts at ``w*`` and follows (Welling & Teh 2011, localized as in Lau et al. 2023)

    ``w <- w - (lr/2) (n beta grad L_b(w) + gamma (w - w*)) + N(0, lr)``

    on minibatches ``b`` of ``data``; then ``lambda_hat = n beta mean_{t >= burnin, chains}
    (L_b(w_t) - L_b(w*))``. Using the same batch at ``w*`` removes the batch-to-batch noise of the
    estimate. All chains run at once (``torch.func.vmap`` over stacked copies of the weights).

    Args:
        model: the trained module; its parameters are ``w*`` (not modified).
        loss_fn: ``loss_fn(f, *batch)`` calling ``f`` like the model and returning the mean loss
            per sample (a scalar, or ``[M]`` for ``M`` independent members such as toy-model instances).
        data: tensors sharing their sample dimension ``n`` (dimension ``sample_dim``): real
            (floating, or integer such as labels), finite and non-empty.
        steps: SGLD steps per chain (>= 1). burnin: initial steps left out of the average (< steps).
        chains: independent chains (>= 1).
        lr: step size ``epsilon`` (> 0).
        localization: ``gamma`` (>= 0), the strength of the pull back to ``w*``.
        nbeta: ``n beta`` (> 0); default ``B / ln B`` with ``B`` the batch size (``n`` for full batch).
        batch_size: minibatch size (``None``: the full data every step).
        generator: CPU generator for the minibatches and the Langevin noise.
        sample_dim: the dimension of every data tensor that indexes samples: 0 for shared data
            ``[n, ...]``, 1 for per-member data ``[M, n, ...]`` (:mod:`nnlab.members`).

    Returns:
        :class:`LLCEstimate`.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be an nn.Module, got {type(model).__name__}")
    if not any(True for _ in model.parameters()):
        raise ValueError("model must have parameters (w*), got a module without any")
    if not callable(loss_fn):
        raise ValueError(f"loss_fn must be callable as loss_fn(f, *batch), got {type(loss_fn).__name__}")
    steps = check_int("steps", steps, minimum=1)
    burnin = check_int("burnin", burnin, minimum=0, maximum=steps - 1)
    chains = check_int("chains", chains, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    localization = check_real("localization", localization, low=0.0)
    sample_dim = check_int("sample_dim", sample_dim, minimum=0, maximum=1)
    if not isinstance(data, (tuple, list)) or not data or not all(isinstance(t, torch.Tensor) for t in data):
        raise ValueError("data must be a non-empty tuple of tensors sharing their sample dimension")
    data = tuple(check_tensor(f"data[{i}]", t, floating=False) for i, t in enumerate(data))
    for i, t in enumerate(data):
        if t.is_complex():
            raise ValueError(f"data[{i}] must be a real tensor (floating, or integer labels), got dtype {t.dtype}")
    if any(t.ndim <= sample_dim for t in data):
        raise ValueError(f"data tensors need a dimension {sample_dim} (sample_dim), "
                         f"got {[tuple(t.shape) for t in data]}")
    n = data[0].shape[sample_dim]
    if any(t.shape[sample_dim] != n for t in data):
        raise ValueError(f"data tensors must share their sample dimension {sample_dim}, "
                         f"got {[tuple(t.shape) for t in data]}")
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, minimum=2, maximum=n)
    size = n if batch_size is None else batch_size
    if nbeta is None:
        if size < 2:
            raise ValueError(f"nbeta=None needs a batch of at least 2 samples, got {size}")
        nbeta = size / math.log(size)
    nbeta = check_real("nbeta", nbeta, low=0.0, low_open=True)

    lr_t = torch.full((chains,), lr)
    gamma_t = torch.full((chains,), localization)
    return _sgld(model, loss_fn, data, steps, burnin, lr_t, gamma_t, nbeta, batch_size, generator, sample_dim, n)


def _sgld(model: nn.Module, loss_fn: Callable[..., torch.Tensor], data: tuple[torch.Tensor, ...], steps: int,
          burnin: int, lr_t: torch.Tensor, gamma_t: torch.Tensor, nbeta: float, batch_size: int | None,
          generator: torch.Generator | None, sample_dim: int, n: int) -> LLCEstimate:
    """:func:`sgld_llc` without the checks; ``lr_t`` and ``gamma_t`` ``[C]`` hold one step and one gamma per chain."""
    chains = len(lr_t)
    w_star = {k: v.detach() for k, v in model.named_parameters()}
    device = next(iter(w_star.values())).device
    lr_t, gamma_t = lr_t.to(device), gamma_t.to(device)

    def loss_at(params: dict[str, torch.Tensor], *batch: torch.Tensor) -> torch.Tensor:
        return loss_fn(lambda *a: functional_call(model, params, a), *batch)

    def summed(params: dict[str, torch.Tensor], *batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        loss = loss_at(params, *batch)
        return loss.sum(), loss

    grad_chains = vmap(grad_and_value(summed, has_aux=True), in_dims=(0, *[None] * len(data)))
    w = {k: v.expand(chains, *v.shape).clone() for k, v in w_star.items()}
    per = {k: (lr_t.view(-1, *[1] * v.ndim).to(v.dtype), gamma_t.view(-1, *[1] * v.ndim).to(v.dtype))
           for k, v in w_star.items()}
    with torch.no_grad():
        init_loss = loss_at(w_star, *data)
    trace = []
    for _ in range(steps):
        if batch_size is None:
            batch = tuple(data)
        else:
            idx = torch.randint(n, (batch_size,), generator=generator).to(device)
            batch = tuple(t.index_select(sample_dim, idx) for t in data)
        grads, (_, loss) = grad_chains(w, *batch)
        with torch.no_grad():
            ref = init_loss if batch_size is None else loss_at(w_star, *batch)
            trace.append(nbeta * (loss - ref).detach())
            for k in w:
                lr_k, gamma_k = per[k]
                noise = torch.randn(w[k].shape, generator=generator).to(device)
                w[k] = w[k] - 0.5 * lr_k * (nbeta * grads[k] + gamma_k * (w[k] - w_star[k])) + lr_k.sqrt() * noise
    trace_t = torch.stack(trace)
    per_chain = trace_t[burnin:].mean(0)
    llc = per_chain.mean(0)
    scalar = llc.ndim == 0
    return LLCEstimate(llc=float(llc) if scalar else llc, llc_per_chain=per_chain, trace=trace_t,
                       init_loss=float(init_loss) if init_loss.ndim == 0 else init_loss, nbeta=nbeta)


@dataclass
class LLCGrid:
    """What :func:`sgld_llc_grid` measured, per localization ``gamma`` and step ``lr``.

    Attributes:
        localizations: ``[G]``; lrs: ``[E]``.
        llc: the mean over chains ``[G, E]`` or ``[G, E, M]``.
        se: its standard error, chain-to-chain standard deviation over ``sqrt(chains)``, same shape.
        llc_per_chain: ``[G, E, C]`` or ``[G, E, C, M]``.
        drift: second half of the kept draws minus the first half, averaged over chains (same
            shape as ``llc``): a chain that is still moving shows it here.
        nbeta: the ``n beta`` used.
    """

    localizations: torch.Tensor
    lrs: torch.Tensor
    llc: torch.Tensor
    se: torch.Tensor
    llc_per_chain: torch.Tensor
    drift: torch.Tensor
    nbeta: float


def sgld_llc_grid(
    model: nn.Module,
    loss_fn: Callable[..., torch.Tensor],
    data: tuple[torch.Tensor, ...],
    localizations: list[float],
    lrs: list[float],
    *,
    nbeta: float,
    steps: int = 1000,
    burnin: int = 200,
    chains: int = 16,
    batch_size: int | None = None,
    generator: torch.Generator | None = None,
    sample_dim: int = 0,
) -> LLCGrid:
    """:func:`sgld_llc` for every pair (``gamma``, ``lr``) of a grid at once, ``chains`` chains each.

    All ``len(localizations) * len(lrs) * chains`` chains run as one batch and share the
    minibatches, so that the settings differ only in ``gamma`` and the step: this is the
    plateau check the estimator needs (a ``lambda_hat`` that is a property of ``w*`` does not
    move when ``gamma`` shrinks and the step shrinks).

    Args:
        model, loss_fn, data, steps, burnin, batch_size, generator, sample_dim: as in :func:`sgld_llc`.
        localizations: ``gamma`` values (each >= 0, non-empty). lrs: step sizes (each > 0, non-empty).
        nbeta: ``n beta`` (> 0), required: Lau et al. use ``n / ln n`` with ``n`` the number of samples.
        chains: chains per setting (>= 2, for a standard error).

    Returns:
        :class:`LLCGrid`.
    """
    for name, vals, low_open in (("localizations", localizations, False), ("lrs", lrs, True)):
        if isinstance(vals, (str, bytes)) or not hasattr(vals, "__len__") or not len(vals):
            raise ValueError(f"{name} must be a non-empty list of numbers, got {vals!r}")
        for v in vals:
            check_real(name, v, low=0.0, low_open=low_open)
    chains = check_int("chains", chains, minimum=2)
    check_real("nbeta", nbeta, low=0.0, low_open=True)
    est0 = sgld_llc(model, loss_fn, data, steps=1, burnin=0, chains=1, lr=float(lrs[0]),
                    localization=float(localizations[0]), nbeta=nbeta, batch_size=batch_size,
                    sample_dim=sample_dim)  # validates the remaining arguments (one cheap step)
    del est0
    steps = check_int("steps", steps, minimum=1)
    burnin = check_int("burnin", burnin, minimum=0, maximum=steps - 2)
    G, E = len(localizations), len(lrs)
    gam = torch.tensor([float(v) for v in localizations], dtype=torch.float32)
    lr = torch.tensor([float(v) for v in lrs], dtype=torch.float32)
    gamma_t = gam[:, None, None].expand(G, E, chains).flatten()
    lr_t = lr[None, :, None].expand(G, E, chains).flatten()
    n = data[0].shape[sample_dim]
    est = _sgld(model, loss_fn, tuple(data), steps, burnin, lr_t, gamma_t, float(nbeta), batch_size, generator,
                sample_dim, n)
    kept = est.trace[burnin:]
    half = len(kept) // 2
    drift = (kept[half:].mean(0) - kept[:half].mean(0))
    shape = (G, E, chains, *est.llc_per_chain.shape[1:])
    per_chain = est.llc_per_chain.reshape(shape).cpu()
    drift = drift.reshape(shape).mean(2).cpu()
    return LLCGrid(localizations=gam, lrs=lr, llc=per_chain.mean(2), se=per_chain.std(2) / chains**0.5,
                   llc_per_chain=per_chain, drift=drift, nbeta=float(nbeta))


class PowerModel(nn.Module):
    """``K`` one-input models ``f_k(x) = x w_{k1}^{a_k} w_{k2}^{b_k}`` with true parameter ``w = 0``.

    With a loss ``K(w) = E[x^2] (w1^a w2^b)^2 / 2`` the learning coefficient at the origin is
    ``lambda = 1 / (2 max(a, b))`` (Watanabe 2009), with multiplicity 2 when ``a = b`` and 1
    otherwise. The Fisher information has rank at most one everywhere: the model is singular.

    Args:
        a, b: positive integer exponents, one per member (equal length ``K``).

    ``forward(x)`` maps ``x [n]`` (real floating; cast to the weights' dtype) to ``[n, K]``. As
    in the other models' forward passes the values of ``x`` are not checked (it runs inside the
    SGLD loop): NaN or inf propagate to the output.
    """

    def __init__(self, a: list[int], b: list[int]):
        super().__init__()
        for name, vals in (("a", a), ("b", b)):
            if isinstance(vals, (str, bytes)) or not hasattr(vals, "__len__") or not len(vals):
                raise ValueError(f"{name} must be a non-empty list of positive integers, got {vals!r}")
        if len(a) != len(b):
            raise ValueError(f"a and b must be non-empty lists of equal length, got {len(a)} and {len(b)}")
        for name, vals in (("a", a), ("b", b)):
            for v in vals:
                check_int(name, v, minimum=1)
        self.register_buffer("a", torch.tensor(a, dtype=torch.float32))
        self.register_buffer("b", torch.tensor(b, dtype=torch.float32))
        self.w = nn.Parameter(torch.zeros(len(a), 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[n]`` -> ``[n, K]``."""
        x = check_tensor("x", x, "n", dtype=self.w.dtype, finite=False)
        return x[:, None] * self.w[:, 0] ** self.a * self.w[:, 1] ** self.b


def power_model_llc(a: int, b: int) -> float:
    """The learning coefficient of ``y = x w1^a w2^b`` at ``w = 0``: ``1 / (2 max(a, b))``."""
    a = check_int("a", a, minimum=1)
    b = check_int("b", b, minimum=1)
    return 1.0 / (2 * max(a, b))


def power_model_tempered_llc(a: int, b: int, nbeta: float, localization: float = 1.0,
                             second_moment: float = 1.0, grid: int = 600) -> float:
    """The exact value that :func:`sgld_llc` estimates for :class:`PowerModel` at ``w* = 0``, by quadrature.

    With full-batch loss ``L_n(w) = c (w1^a w2^b)^2 / 2`` (``c`` the second moment of ``x``) and
    ``L_n(0) = 0``, the estimator's target is

    ``n beta E[L_n(w)]`` under ``p(w) ~ exp(-n beta L_n(w) - gamma/2 ||w||^2)``.

    It tends to ``lambda = 1 / (2 max(a, b))`` as ``n beta -> inf``, from below and slowly: like
    ``lambda - (m - 1) / ln(n beta)`` with multiplicity ``m = 2`` when ``a = b``, and with a power
    of ``n beta`` otherwise. The integral is a 2-D trapezoid rule in ``log |w_j|`` (the
    integrand is even in each coordinate), which resolves the narrow valleys along the axes.

    Args:
        a, b: positive integer exponents.
        nbeta: ``n beta`` (> 0).
        localization: ``gamma`` (> 0; with ``gamma = 0`` the integral diverges).
        second_moment: ``c = mean(x^2)`` of the data (> 0).
        grid: quadrature points per axis (>= 100).

    Returns:
        ``n beta E[L_n]`` (a float).
    """
    a = check_int("a", a, minimum=1)
    b = check_int("b", b, minimum=1)
    nbeta = check_real("nbeta", nbeta, low=0.0, low_open=True)
    localization = check_real("localization", localization, low=0.0, low_open=True)
    second_moment = check_real("second_moment", second_moment, low=0.0, low_open=True)
    grid = check_int("grid", grid, minimum=100)
    w_max = 10.0 / math.sqrt(localization)  # the prior's weight beyond is below exp(-50)
    tc = nbeta * second_moment
    # the narrowest valley: |w_j| ~ (tc w_other^(2 e_other))^(-1 / (2 e_j)) at |w_other| = 0.8 w_max
    lo = min(-math.log(tc * (0.8 * w_max) ** (2 * other)) / (2 * e) for e, other in ((a, b), (b, a))) - 14.0
    s = torch.linspace(min(lo, math.log(w_max) - 20.0), math.log(w_max), grid, dtype=torch.float64)
    w = s.exp()
    w1, w2 = w[:, None], w[None, :]
    t_loss = 0.5 * tc * w1 ** (2 * a) * w2 ** (2 * b)  # n beta L_n on the grid
    dens = torch.exp(-t_loss - 0.5 * localization * (w1**2 + w2**2)) * w1 * w2  # d w = w d s
    return float((t_loss * dens).sum() / dens.sum())
