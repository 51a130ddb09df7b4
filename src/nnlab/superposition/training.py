"""Training many toy models at once: a sparsity sweep times seeds as one batched :class:`ToyModel`."""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Sequence

import torch

from ..runtime import generator as make_generator
from ..training import History, train
from ..validation import check_int, check_real
from .data import check_sparsity, importance
from .model import ToyModel

__all__ = ["train_toy_models", "instance_sparsities", "evaluate_toy_models", "tune_malloc"]


def tune_malloc(threshold: int = 256 * 1024 * 1024) -> bool:
    """Raise glibc's mmap and trim thresholds so that large tensors reuse freed heap memory.

    With thousands of instances every step allocates and frees tensors of a few MB; glibc
    serves those by ``mmap``/``munmap`` by default, and the page faults dominated a step on the
    CPU (measured: about 2x slower). This is what ``MALLOC_MMAP_THRESHOLD_`` and
    ``MALLOC_TRIM_THRESHOLD_`` do from the environment, applied to the running process.

    Args:
        threshold: bytes (>= 1 MiB).

    Returns:
        ``True`` when glibc's ``mallopt`` was called successfully; ``False`` elsewhere (no effect).
    """
    threshold = check_int("threshold", threshold, minimum=1 << 20)
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_mmap_threshold, threshold)) and bool(libc.mallopt(m_trim_threshold, 2 * threshold))


def instance_sparsities(sparsities: Sequence[float] | torch.Tensor, seeds: int) -> torch.Tensor:
    """The sparsity of every instance when each sparsity is repeated for ``seeds`` runs: ``[len * seeds]``.

    Instances are ordered sparsity by sparsity, the seeds of one sparsity adjacent, so
    ``result.reshape(len(sparsities), seeds)`` groups them.
    """
    seeds = check_int("seeds", seeds, minimum=1)
    s = torch.as_tensor(sparsities, dtype=torch.float32).flatten()
    check_sparsity(s)
    return s.repeat_interleave(seeds)


def train_toy_models(
    sparsities: Sequence[float] | torch.Tensor,
    seeds: int = 1,
    *,
    n_features: int = 5,
    n_hidden: int = 2,
    activation: str = "relu",
    gamma: float = 30.0,
    steps: int = 10_000,
    batch_size: int = 1024,
    lr: float = 1e-3,
    seed: int = 0,
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
        n_features, n_hidden, activation, gamma: passed to :class:`ToyModel`.
        steps, batch_size, lr: the optimizer's budget.
        seed: seeds the initial weights (``seed``) and the data stream (``seed + 1``).
        device: where to train; data and weights are drawn on the CPU first.
        shared: one random pattern per batch for all instances (see :func:`sparse_features`).
        record_every: recording interval of the loss history (default ``steps // 100``).

    Returns:
        ``(model, history)``: the trained :class:`ToyModel` with ``I = len(sparsities) * seeds``
        instances (ordered as :func:`instance_sparsities`) and the loss history (``[I]`` per record).
    """
    s = instance_sparsities(sparsities, seeds)
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    seed = check_int("seed", seed, minimum=0)
    model = ToyModel(n_features, n_hidden, len(s), activation=activation, gamma=gamma,
                     generator=make_generator(seed)).to(device)
    weights = importance(n_features).to(device)
    s = s.to(device)
    data_gen = make_generator(seed + 1)
    tune_malloc()

    def batch(step: int) -> tuple[torch.Tensor]:
        return (_instance_major_batch(batch_size, n_features, s, data_gen, shared),)

    def loss_fn(m: ToyModel, x: torch.Tensor) -> torch.Tensor:
        return ((x - m(x, instance_major=True)) ** 2 @ weights).mean(1)

    history = train(model, loss_fn, batch, steps=steps, lr=lr, optimizer="adamw", record_every=record_every)
    return model, history


def _instance_major_batch(batch: int, n_features: int, s: torch.Tensor, gen: torch.Generator,
                          shared: bool) -> torch.Tensor:
    """:func:`sparse_features` drawn directly in the layout ``[I, B, n]`` (no transposed copy)."""
    shape = (1, batch, n_features) if shared else (len(s), batch, n_features)
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
        sparsity: ``[I]`` sparsity of each instance (as from :func:`instance_sparsities`).
        batch: evaluation samples (>= 1). seed: seed of the evaluation data. chunk: instances per pass.
    """
    batch = check_int("batch", batch, minimum=1)
    chunk = check_int("chunk", chunk, minimum=1)
    check_sparsity(sparsity)
    if not isinstance(sparsity, torch.Tensor) or sparsity.shape != (model.n_instances,):
        raise ValueError(f"sparsity must be a tensor [{model.n_instances}] (one per instance), "
                         f"got {getattr(sparsity, 'shape', sparsity)}")
    device = model.W.device
    weights = importance(model.n_features).to(device)
    gen = make_generator(check_int("seed", seed, minimum=0))
    u = torch.rand(1, batch, model.n_features, generator=gen).to(device)
    r = torch.rand(1, batch, model.n_features, generator=gen).to(device)
    out = []
    with torch.no_grad():
        for lo in range(0, model.n_instances, chunk):
            s = sparsity[lo:lo + chunk].to(device)
            x = u * (r >= s[:, None, None])
            gram = torch.bmm(model.W[lo:lo + chunk].transpose(1, 2), model.W[lo:lo + chunk])
            pre = torch.baddbmm(model.b[lo:lo + chunk, None, :], x, gram)
            xh = torch.relu(pre) if model.activation == "relu" else pre * torch.sigmoid(model.gamma * pre)
            out.append(((x - xh) ** 2 @ weights).mean(1))
    return torch.cat(out)
