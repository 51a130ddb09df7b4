"""Training many toy models at once: a sparsity sweep times seeds as one batched :class:`ToyModel`."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..members import Grid
from ..training import History, train
from ..validation import check_bool, check_int, check_real, check_tensor
from .data import check_sparsity, importance
from .model import ToyModel, _reconstruct

__all__ = ["sweep_grid", "train_toy_models", "evaluate_toy_models"]


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
        shared: one random pattern per batch for all instances (see :func:`sparse_features`).
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
    if record_every is not None:
        check_int("record_every", record_every, minimum=1)
    _check_device(device)
    model = ToyModel(d_in, width, len(s), activation=activation, gamma=gamma, generator=generator).to(device)
    weights = importance(d_in).to(device=device, dtype=model.W.dtype)
    s = s.to(device)

    def batch(step: int) -> tuple[torch.Tensor]:
        return (_member_major_batch(batch_size, d_in, s, data_generator, shared),)

    def loss_fn(m: ToyModel, x: torch.Tensor) -> torch.Tensor:
        return ((x - m(x)) ** 2 @ weights).mean(1)

    history = train(model, loss_fn, batch, steps=steps, lr=lr, optimizer="adamw", record_every=record_every)
    return model, history


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
    """:func:`sparse_features` drawn directly in the layout ``[I, B, n]`` (no transposed copy)."""
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
            x = u * (r >= s[:, None, None])
            xh = _reconstruct(model.W[lo:lo + chunk], model.b[lo:lo + chunk], x, model.activation, model.gamma)
            out.append(((x - xh) ** 2 @ weights).mean(1))
    return torch.cat(out)
