"""Online SGD of a batched two-layer model with one learning rate per member.

:func:`nnlab.localization.fit` gives every member the same learning rate. To ask whether the
receptive fields depend on the learning rate ``lr`` and the number of samples separately, or
only on their product, one model trains several rates at once: member ``m`` descends
``(lr_m / max lr) L_m``, so with the shared step ``max(lr) * batch_size`` its weights move by
``lr_m * batch_size`` times the gradient of its batch-mean loss ``L_m``, exactly as if it were
trained alone with ``lr_m`` (the members are independent).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..training import History, train
from ..validation import check_int, check_real_array
from .data import TwoClassTask
from .models import TwoLayer

__all__ = ["fit_rates"]


def fit_rates(model: TwoLayer, task: TwoClassTask, lr: object, *, steps: int, batch_size: int = 100,
              generator: torch.Generator | None = None, record_every: int | None = None,
              metrics: dict[str, Callable[[nn.Module], Any]] | None = None) -> History:
    """Online SGD of all members on fresh batches, member ``m`` with its own rate ``lr[m]`` per sample.

    Args:
        model: a :class:`~nnlab.localization.TwoLayer` (or :class:`~nnlab.localization.ReluTwoLayer`)
            with ``task.members`` members; on a GPU the data are drawn there as in
            :func:`~nnlab.localization.fit`.
        task: one two-class task per member (:class:`~nnlab.localization.TwoClassTask`).
        lr: ``[M]`` positive learning rates per sample (as ``lr`` of :func:`~nnlab.localization.fit`).
        steps: SGD steps (>= 1). batch_size: fresh samples per member and step (>= 1).
        generator: CPU generator for the data. record_every, metrics: as in :func:`nnlab.training.train`.

    Returns:
        The :class:`~nnlab.training.History`; its recorded loss of member ``m`` is scaled by
        ``lr[m] / max(lr)`` (the descended objective).
    """
    if not isinstance(model, TwoLayer) or not isinstance(task, TwoClassTask):
        raise ValueError("model must be a TwoLayer and task a TwoClassTask")
    if task.members != model.members or task.d_in != model.d_in:
        raise ValueError(f"task has {task.members} members of dimension {task.d_in}, the model {model.members} "
                         f"of {model.d_in}")
    rates = torch.as_tensor(check_real_array("lr", lr, ndim=1, positive=True), dtype=model.W.dtype)
    if rates.shape[0] != model.members:
        raise ValueError(f"lr must hold {model.members} rates (one per member), got {rates.tolist()}")
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    top = float(rates.max())
    device = model.W.device
    scale = (rates / top).to(device)
    if device.type != "cpu":  # as in loc.fit: the data are drawn on the device from a seeded device generator
        seed = int(torch.randint(2**62, (1,), generator=generator))
        generator = torch.Generator(device).manual_seed(seed)
        task = copy.copy(task).to(device)

    def loss(m: TwoLayer, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return scale * (m(x) - m._targets(y)).pow(2).mean(-1)

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        return task.sample(batch_size, generator)

    return train(model, loss, batch, steps=steps, lr=top * batch_size, record_every=record_every, metrics=metrics)
