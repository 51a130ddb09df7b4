"""A fast path for wide two-layer networks: closed-form gradients, kernel blocks and their change.

The network is :class:`nnlab.ntk.MLP` with ``depth=1`` in NTK parameterization, with a choice of
activation ``sigma``: ``f(x) = n^(-1/2) sum_j v_j sigma(w_j . x / sqrt(d))``. For ``S`` seeds at
once (weights ``W [S, n, d]``, ``v [S, n]``) full-batch gradient descent on
``L = (1/2N) sum_i (f(x_i) - y_i)^2`` uses the exact gradients

``dL/dv = A^T r / (N sqrt(n))`` and ``dL/dW = ((r v) * sigma'(H))^T X / (N sqrt(n d))``,

with ``H = X W^T / sqrt(d)`` ``[S, N, n]``, ``A = sigma(H)`` and ``r = f(X) - y``: no autograd and no
Jacobian. The NTK on the training inputs is the sum of two blocks,

``Theta_v = A A^T / n`` (readout; the penultimate-feature kernel) and
``Theta_W = (D_v D_v^T / n) * (X X^T / d)`` with ``D_v = sigma'(H) * v`` (first layer),

and the first-layer change splits exactly into a readout-weight term and an activation term,

``Delta Theta_W = [sum_j (v_Tj^2 - v_0j^2) D_0j D_0j^T] * K / n + [sum_j v_Tj^2 (D_Tj D_Tj^T - D_0j D_0j^T)] * K / n``

(``D = sigma'(H)``, ``K = X X^T / d``). For ReLU the second term counts the units whose
activation pattern flips on some training input. :func:`two_layer_kernel_change` returns all
terms relative to ``||Theta_0||_F``; :func:`local_slopes` gives the log-log slope between
neighbouring widths per seed, with its spread.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from ..validation import check_choice, check_float_dtype, check_int, check_real, check_real_array, check_tensor

__all__ = ["ACTIVATIONS", "two_layer_kernel_change", "local_slopes"]

ACTIVATIONS = ("relu", "gelu", "softplus")
TERMS = ("total", "readout", "first", "first_weights", "first_activation")


def _act(name: str, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``sigma(h)`` and ``sigma'(h)``."""
    if name == "relu":
        return torch.relu(h), (h > 0).to(h.dtype)
    if name == "gelu":
        cdf = 0.5 * (1 + torch.erf(h / math.sqrt(2)))
        return h * cdf, cdf + h * torch.exp(-0.5 * h * h) / math.sqrt(2 * math.pi)
    return torch.nn.functional.softplus(h), torch.sigmoid(h)


def _init(width: int, d: int, seeds: Sequence[int], dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """The initial weights of ``MLP(d, width, 1, generator=manual_seed(s))`` (float32 draws, as lazy_sweep)."""
    ws, vs = [], []
    for s in seeds:
        g = torch.Generator().manual_seed(int(s))
        ws.append(torch.randn(width, d, generator=g))
        vs.append(torch.randn(width, generator=g))
    return torch.stack(ws).to(dtype), torch.stack(vs).to(dtype)


def _blocks(x: torch.Tensor, w: torch.Tensor, v: torch.Tensor, act: str) -> tuple[torch.Tensor, ...]:
    """``H``-derived quantities: features ``A``, derivatives ``D`` ``[S, N, n]``."""
    h = torch.einsum("nd,skd->snk", x, w) / math.sqrt(x.shape[1])
    return _act(act, h)


def _kernel_change(x, w0, v0, wt, vt, act) -> dict[str, torch.Tensor]:
    """All terms of the kernel change on ``x``, each ``[S]``, relative to ``||Theta_0||_F``."""
    n, d = w0.shape[1], x.shape[1]
    k_in = x @ x.T / d
    a0, d0 = _blocks(x, w0, v0, act)
    at, dt = _blocks(x, wt, vt, act)
    gram = lambda p, q, c: torch.einsum("sik,sk,sjk->sij", p, c, q) / n  # noqa: E731
    ones = torch.ones_like(v0)
    read0, readt = gram(a0, a0, ones), gram(at, at, ones)
    first0 = gram(d0, d0, v0 * v0) * k_in
    first_w = gram(d0, d0, vt * vt - v0 * v0) * k_in
    first_a = (gram(dt, dt, vt * vt) - gram(d0, d0, vt * vt)) * k_in
    base = torch.linalg.matrix_norm(read0 + first0)
    fro = lambda m: torch.linalg.matrix_norm(m) / base  # noqa: E731
    return {"total": fro(readt - read0 + first_w + first_a), "readout": fro(readt - read0),
            "first": fro(first_w + first_a), "first_weights": fro(first_w), "first_activation": fro(first_a)}


def two_layer_kernel_change(widths: Sequence[int], x: torch.Tensor, y: torch.Tensor, *, steps: int, lr: float,
                            activation: str = "relu", seeds: int = 1, dtype: torch.dtype = torch.float64,
                            max_elements: int = 2 ** 24) -> list[dict]:
    """Train ``seeds`` two-layer networks per width by gradient descent and decompose their kernel change.

    Args:
        widths: hidden widths ``n`` (each >= 1).
        x: training inputs ``[N, d]``; y: targets ``[N]`` (real, finite).
        steps: gradient-descent steps (>= 1); lr: learning rate ``eta`` (> 0) of the half MSE.
        activation: ``"relu"``, ``"gelu"`` or ``"softplus"``.
        seeds: initializations ``0 .. seeds-1``; for ReLU seed ``s`` starts from the weights of
            ``MLP(d, n, 1, generator=torch.Generator().manual_seed(s))``, as in :func:`lazy_sweep`.
        dtype: dtype of the training and the kernels (float64 by default: the change at large
            width is ~1e-4 of the kernel).
        max_elements: seeds are processed in groups so that ``group * N * n`` stays below this.

    Returns:
        One dictionary per width: ``width``, ``loss`` (final training loss, mean over seeds), and
        for each term ``total``, ``readout``, ``first``, ``first_weights``, ``first_activation``
        (``||Delta Theta_term||_F / ||Theta_0||_F`` on the training inputs) the seed mean, plus
        ``per_seed``: ``{term: [S] list}``.
    """
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
        raise ValueError(f"widths must be a sequence of integers, got {widths!r}")
    widths = [check_int("widths[i]", w, minimum=1) for w in widths]
    if not widths:
        raise ValueError("widths must not be empty")
    dims: dict[str, int] = {}
    x = check_tensor("x", x, "N d", dims=dims)
    y = check_tensor("y", y, "N", dims=dims)
    steps = check_int("steps", steps, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    activation = check_choice("activation", activation, ACTIVATIONS)
    n_seeds = check_int("seeds", seeds, minimum=1)
    check_float_dtype("dtype", dtype)
    max_elements = check_int("max_elements", max_elements, minimum=1)
    x, y = x.detach().to(dtype), y.detach().to(dtype)
    n_data, d = x.shape
    rows = []
    for width in widths:
        group = max(1, max_elements // (n_data * width))
        per_seed: dict[str, list[float]] = {k: [] for k in (*TERMS, "loss")}
        for start in range(0, n_seeds, group):
            ids = list(range(start, min(n_seeds, start + group)))
            w0, v0 = _init(width, d, ids, dtype)
            w, v = w0.to(x.device).clone(), v0.to(x.device).clone()
            xt, scale = x.T.contiguous(), 1 / (n_data * math.sqrt(width))
            for _ in range(steps):
                a, da = _act(activation, torch.matmul(w, xt) / math.sqrt(d))  # [S, n, N]
                r = torch.matmul(v[:, None, :], a)[:, 0, :] / math.sqrt(width) - y  # f(X) - y, [S, N]
                grad_v = torch.matmul(a, r[:, :, None])[..., 0] * scale
                da *= v[:, :, None]
                da *= r[:, None, :]
                grad_w = torch.matmul(da, x) * (scale / math.sqrt(d))
                v -= lr * grad_v
                w -= lr * grad_w
            a, _ = _blocks(x, w, v, activation)
            loss = 0.5 * ((a @ v[:, :, None])[..., 0] / math.sqrt(width) - y).pow(2).mean(1)
            terms = _kernel_change(x, w0.to(x.device), v0.to(x.device), w, v, activation)
            for k in TERMS:
                per_seed[k] += terms[k].tolist()
            per_seed["loss"] += loss.tolist()
        rows.append({"width": width, **{k: float(np.mean(val)) for k, val in per_seed.items()}, "per_seed": per_seed})
    return rows


def local_slopes(x: Sequence[float], values: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-log slopes between neighbouring points, per seed, with their mean and standard error.

    Args:
        x: the swept quantity ``[P]`` (positive, increasing), e.g. widths.
        values: ``[P, S]`` positive measurements (one column per seed).

    Returns:
        ``(mid, mean, se)``, each ``[P-1]``: the geometric midpoints ``sqrt(x_k x_(k+1))``, the
        seed mean of ``log(y_(k+1)/y_k) / log(x_(k+1)/x_k)`` and its standard error
        ``std / sqrt(S)`` (``ddof=1``; 0 for one seed).
    """
    xs = check_real_array("x", x, ndim=1, positive=True)
    ys = check_real_array("values", values, ndim=(1, 2), positive=True)
    if xs.size < 2 or np.any(np.diff(xs) <= 0):
        raise ValueError(f"x must be increasing with at least two points, got {xs.tolist()}")
    if ys.ndim == 1:
        ys = ys[:, None]
    if ys.shape[0] != xs.size:
        raise ValueError(f"values must be [P={xs.size}, S], got shape {ys.shape}")
    per = np.diff(np.log(ys), axis=0) / np.diff(np.log(xs))[:, None]  # [P-1, S]
    se = per.std(1, ddof=1) / math.sqrt(per.shape[1]) if per.shape[1] > 1 else np.zeros(per.shape[0])
    return np.sqrt(xs[1:] * xs[:-1]), per.mean(1), se
