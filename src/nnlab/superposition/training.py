"""Training many toy models at once: a sparsity sweep times seeds as one batched :class:`ToyModel`."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..members import Grid
from ..training import History, train
from ..validation import check_bool, check_int, check_real, check_tensor
from .data import check_sparsity, importance
from .model import ToyModel, _reconstruct

__all__ = ["sweep_grid", "train_toy_models", "evaluate_toy_models", "paired_loss_gap"]


def sweep_grid(sparsities: Sequence[float] | torch.Tensor, seeds: int) -> Grid:
    """The members of a sparsity sweep: ``Grid(sparsity=..., seed=seeds)``, the seeds of one sparsity adjacent.

    ``torch.tensor(grid.column("sparsity"))`` is every instance's sparsity and
    ``grid.reshape(values)`` groups per-instance values as ``[sparsities, seeds, ...]``.
    ``sparsities`` is 1-D (a list, array or real floating tensor) with values in ``[0, 1]``.
    """
    seeds = check_int("seeds", seeds, minimum=1)
    check_sparsity(check_tensor("sparsities", sparsities, "S", finite=False), "sparsities")
    s = torch.as_tensor(sparsities, dtype=torch.float32).flatten()
    return Grid(sparsity=s.tolist(), seed=seeds)


def train_toy_models(
    sparsities: Sequence[float] | torch.Tensor,
    seeds: int = 1,
    *,
    d_in: int = 5,
    width: int = 2,
    activation: str = "relu",
    gamma: float = 30.0,
    steps: int = 10_000,
    batch_size: int = 1024,
    lr: float = 1e-3,
    generator: torch.Generator | None = None,
    data_generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
    shared: bool = True,
    weight_decay: float = 0.0,
    record_every: int | None = None,
) -> tuple[ToyModel, History]:
    """Train ``len(sparsities) * seeds`` toy models as one batched model with AdamW.

    The reference recipe (Elhage et al. 2022) is AdamW, lr 1e-3, batch 1024, 10 000 steps, with
    the importance-weighted loss ``sum_i 0.9**i (x_i - x'_i)^2``; every step draws a fresh batch.

    Args:
        sparsities: the sparsities ``S`` in ``[0, 1]`` (1-D).
        seeds: independent runs (initializations) per sparsity (>= 1).
        d_in, width, activation, gamma: passed to :class:`ToyModel`.
        steps, batch_size, lr: the optimizer's budget.
        generator: CPU generator of the initial weights. data_generator: CPU generator of the
            training batches (two streams, so that the data do not depend on the model size).
        device: where to train; data and weights are drawn on the CPU first.
        shared: one random pattern per batch for all instances (see :func:`sparse_features`);
            ``False`` draws independent data per instance, as the reference does.
        weight_decay: AdamW's decoupled weight decay (>= 0; the reference, through PyTorch's
            default, uses 0.01).
        record_every: recording interval of the loss history (default ``steps // 100``).

    Returns:
        ``(model, history)``: the trained :class:`ToyModel` with ``I = len(sparsities) * seeds``
        instances (ordered as :func:`sweep_grid`) and the loss history (``[I]`` per record).
    """
    s = torch.tensor(sweep_grid(sparsities, seeds).column("sparsity"))
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    check_bool("shared", shared)
    weight_decay = check_real("weight_decay", weight_decay, low=0.0)
    if record_every is not None:
        check_int("record_every", record_every, minimum=1)
    _check_device(device)
    model = ToyModel(d_in, width, len(s), activation=activation, gamma=gamma, generator=generator).to(device)
    weights = importance(d_in).to(device=device, dtype=model.W.dtype)
    s = s.to(device)

    s_group = s[::seeds]  # shared data: one batch per sparsity, shared by its seeds (adjacent instances)

    def batch(step: int) -> tuple[torch.Tensor]:
        return (_member_major_batch(batch_size, d_in, s_group if shared else s, data_generator, shared),)

    def loss_fn(m: ToyModel, x: torch.Tensor) -> torch.Tensor:
        if shared:
            return _shared_loss(m.W, m.b, x, weights, m.activation, m.gamma)
        return ((x - m(x)) ** 2 @ weights).mean(1)

    def gradient(m: ToyModel, x: torch.Tensor) -> torch.Tensor:
        loss, m.W.grad, m.b.grad = _shared_loss(m.W, m.b, x, weights, m.activation, m.gamma, grad=True)
        return loss

    history = train(model, loss_fn, batch, steps=steps, lr=lr, optimizer="adamw",
                    weight_decay=weight_decay, record_every=record_every, gradient=gradient if shared else None)
    return model, history


def _shared_loss(W: torch.Tensor, b: torch.Tensor, x: torch.Tensor, weights: torch.Tensor, activation: str,
                 gamma: float, grad: bool = False):
    """Loss ``[I]`` of instances that share their data in groups, optionally with its gradient.

    ``x [U, B, n]`` holds one batch per group of ``R = I / U`` consecutive instances (the seeds
    of one sparsity). The value is that of ``((x_k - _reconstruct(W, b, x_k)) ** 2 @ weights).mean(1)``
    with ``x_k`` the batch of instance ``k``'s group, computed in the layout ``[U, B, n, R]``: the
    ``I`` tiny products ``x_k W_k^T W_k`` become ``U`` matrix products ``[B, n] @ [n, R n]``, several
    times faster on a CPU. With ``grad=True`` it also returns the hand-written gradient (checked
    against autograd in the tests): with ``G_k = W_k^T W_k``, ``p = x G_k + b_k``,
    ``r = x - act(p)`` and ``d = -(2/B) I r act'(p)`` (``I`` the importances),
    ``dL/db_k = sum_B d``, ``dL/dG_k = x^T d`` and ``dL/dW_k = W_k (dL/dG_k + dL/dG_k^T)``.

    Returns:
        ``loss [I]``, or ``(loss [I], dW [I, m, n], db [I, n])`` with ``grad=True``.
    """
    with torch.no_grad():
        members, _, n = W.shape
        groups, size = x.shape[:2]
        rep = members // groups
        gram = torch.bmm(W.transpose(1, 2), W).view(groups, rep, n, n)  # [U, R, n(i), n(j)]
        pre = torch.bmm(x, gram.permute(0, 2, 3, 1).reshape(groups, n, n * rep)).view(groups, size, n, rep)
        pre = pre + b.view(groups, rep, n).transpose(1, 2)[:, None]  # [U, B, n, R]: R innermost, fast elementwise
        if activation == "relu":
            out = pre.clamp_min(0)
        else:
            sig = torch.sigmoid(gamma * pre)
            out = pre * sig
        r = x[..., None] - out
        rw = r * weights[:, None]
        loss = (rw * r).sum(1).sum(1).flatten() / size
        if not grad:
            return loss
        rw = rw.mul_(-2.0 / size)
        if activation == "relu":
            d = torch.ops.aten.threshold_backward(rw, pre, 0.0)  # rw where pre > 0, else 0
        else:
            d = rw.mul_(sig * (1 + gamma * pre * (1 - sig)))
        d_gram = torch.bmm(x.transpose(1, 2), d.view(groups, size, n * rep)).view(groups, n, n, rep)
        d_gram = d_gram.permute(0, 3, 1, 2).reshape(members, n, n)
        d_b = d.sum(1).transpose(1, 2).reshape(members, n)
        return loss, torch.bmm(W, d_gram + d_gram.transpose(1, 2)), d_b


def _check_device(device: object) -> None:
    if isinstance(device, torch.device):
        return
    try:
        torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must be a torch.device or a device string such as 'cpu' or 'cuda', "
                         f"got {device!r}") from err


def _member_major_batch(batch: int, d_in: int, s: torch.Tensor, gen: torch.Generator | None,
                        shared: bool) -> torch.Tensor:
    """:func:`sparse_features` drawn directly in the layout ``[len(s), B, n]`` (no transposed copy).

    ``shared``: one random pattern thresholded at each ``s`` (the caller passes one sparsity per
    group of instances that share the batch); else an independent pattern per entry of ``s``.
    """
    shape = (1, batch, d_in) if shared else (len(s), batch, d_in)
    u = torch.rand(shape, generator=gen).to(s.device)
    r = torch.rand(shape, generator=gen).to(s.device)
    return u * (r >= s[:, None, None])


def evaluate_toy_models(model: ToyModel, sparsity: torch.Tensor, batch: int = 1024, seed: int = 12345,
                        chunk: int = 1000) -> torch.Tensor:
    """Importance-weighted loss of every instance on a fresh batch at its own sparsity: ``[I]``.

    All instances see the same random pattern (``shared``), so instances at one sparsity are
    compared on identical data. Instances are processed ``chunk`` at a time to bound memory.

    Args:
        model: a :class:`ToyModel` with ``I`` instances.
        sparsity: ``[I]`` sparsity of each instance (as from :func:`sweep_grid`).
        batch: evaluation samples (>= 1). seed: seed of the evaluation data. chunk: instances per pass.
    """
    if not isinstance(model, ToyModel):
        raise ValueError(f"model must be a ToyModel, got {type(model).__name__}")
    batch = check_int("batch", batch, minimum=1)
    chunk = check_int("chunk", chunk, minimum=1)
    check_sparsity(sparsity)
    if not isinstance(sparsity, torch.Tensor) or sparsity.shape != (model.members,):
        raise ValueError(f"sparsity must be a tensor [{model.members}] (one per instance), "
                         f"got {getattr(sparsity, 'shape', sparsity)}")
    device = model.W.device
    weights = importance(model.d_in).to(device=device, dtype=model.W.dtype)
    gen = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    u = torch.rand(1, batch, model.d_in, generator=gen).to(device)
    r = torch.rand(1, batch, model.d_in, generator=gen).to(device)
    out = []
    with torch.no_grad():
        for lo in range(0, model.members, chunk):
            s = sparsity[lo:lo + chunk].to(device)
            W, b = model.W[lo:lo + chunk], model.b[lo:lo + chunk]
            values, counts = torch.unique_consecutive(s, return_counts=True)
            if bool((counts == counts[0]).all()):  # runs of equal sparsity (seeds adjacent): the fast layout
                out.append(_shared_loss(W, b, u * (r >= values[:, None, None]), weights, model.activation,
                                        model.gamma))
                continue
            x = u * (r >= s[:, None, None])
            xh = _reconstruct(W, b, x, model.activation, model.gamma)
            out.append(((x - xh) ** 2 @ weights).mean(1))
    return torch.cat(out)


def paired_loss_gap(model: ToyModel, first: torch.Tensor, second: torch.Tensor, sparsity: torch.Tensor,
                    batch: int = 16384, seed: int = 12345) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss difference of pairs of instances on the same samples, with its paired standard error.

    For each pair ``p`` the instances ``first[p]`` and ``second[p]`` are evaluated on one shared
    batch drawn at ``sparsity[p]``; the per-sample difference
    ``d_k = sum_i I_i [(x_ki - x'_ki(first))^2 - (x_ki - x'_ki(second))^2]`` gives the gap
    ``mean_k d_k`` and its standard error ``std_k d_k / sqrt(batch)``, much smaller than that of
    two independent evaluations because the common sample noise cancels.

    Args:
        model: a :class:`ToyModel`. first, second: instance indices ``[P]`` (integer tensors in
            ``[0, I)``). sparsity: ``[P]`` the sparsity of each pair's data.
        batch: evaluation samples per pair (>= 2). seed: seed of the evaluation data.

    Returns:
        ``(gap [P], se [P])`` of the importance-weighted loss (not halved).
    """
    if not isinstance(model, ToyModel):
        raise ValueError(f"model must be a ToyModel, got {type(model).__name__}")
    for name, idx in (("first", first), ("second", second)):
        if not isinstance(idx, torch.Tensor) or idx.ndim != 1 or idx.dtype not in (torch.int32, torch.int64) \
                or not len(idx):
            raise ValueError(f"{name} must be a non-empty 1-D integer tensor of instance indices, got {idx!r}")
        if bool(((idx < 0) | (idx >= model.members)).any()):
            raise ValueError(f"{name} must hold indices in [0, {model.members}), got {idx.tolist()}")
    if first.shape != second.shape:
        raise ValueError(f"first and second must have the same length, got {len(first)} and {len(second)}")
    check_sparsity(sparsity)
    if not isinstance(sparsity, torch.Tensor) or sparsity.shape != first.shape:
        raise ValueError(f"sparsity must be a tensor [{len(first)}] (one per pair), "
                         f"got {getattr(sparsity, 'shape', sparsity)}")
    batch = check_int("batch", batch, minimum=2)
    device = model.W.device
    weights = importance(model.d_in).to(device=device, dtype=model.W.dtype)
    gen = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    u = torch.rand(len(first), batch, model.d_in, generator=gen).to(device)
    r = torch.rand(len(first), batch, model.d_in, generator=gen).to(device)
    x = u * (r >= sparsity.to(device)[:, None, None])
    with torch.no_grad():
        per = []
        for idx in (first, second):
            idx = idx.to(device)
            xh = _reconstruct(model.W[idx], model.b[idx], x, model.activation, model.gamma)
            per.append(((x - xh) ** 2 @ weights).double())  # [P, batch]
        d = per[0] - per[1]
    return d.mean(1), d.std(1) / batch**0.5
