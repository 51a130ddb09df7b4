"""One training loop for every chapter, and batched ensembles of independent models.

``train`` runs gradient descent on any ``torch.nn.Module`` and returns a :class:`History`.
The loss function may return one number or one number per ensemble member (shape ``[M]``);
the loop descends their sum. Because members share no parameters, the gradient of the sum with
respect to member ``i``'s parameters is the gradient of member ``i``'s own loss, and SGD, Adam
and AdamW act elementwise, so ``M`` models trained as one batched model follow exactly the
trajectories they would follow alone (up to floating-point reduction order).

:class:`Ensemble` stacks ``M`` copies of a module (``torch.func.stack_module_state``) and
evaluates them with one ``vmap``-ed call, so an ensemble is one model to ``train``.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap
from tqdm.auto import tqdm

from .validation import check_choice, check_int, check_real

__all__ = ["History", "Ensemble", "train", "progress_enabled"]

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("cosine",)
Batch = tuple[torch.Tensor, ...]


@dataclass
class History:
    """What ``train`` recorded: the steps, the loss and any metrics at those steps.

    ``loss[r]`` is a float for a single model and an array of shape ``[M]`` for an ensemble.
    """

    steps: list[int] = field(default_factory=list)
    loss: list[Any] = field(default_factory=list)
    metrics: dict[str, list[Any]] = field(default_factory=dict)
    seconds: float = 0.0

    def array(self, name: str = "loss") -> np.ndarray:
        """The recorded ``loss`` (or metric ``name``) stacked: shape ``[R]`` or ``[R, M]``."""
        values = self.loss if name == "loss" else self.metrics[name]
        return np.stack([np.asarray(v) for v in values])

    @property
    def final_loss(self) -> Any:
        """The last recorded loss (float, or array ``[M]`` for an ensemble)."""
        return self.loss[-1]


def progress_enabled() -> bool:
    """Whether progress bars are shown: ``NNLAB_PROGRESS`` (default ``1``; the build sets ``0``)."""
    return os.environ.get("NNLAB_PROGRESS", "1").strip() not in ("0", "false", "no", "")


class Ensemble(nn.Module):
    """``M`` independent copies of one architecture, evaluated as one batched module.

    Args:
        members: ``M`` modules with identical structure (different initial weights).

    The parameters are stacked along a new leading dimension: a member parameter of shape
    ``s`` becomes an ``nn.Parameter`` of shape ``[M, *s]``. ``forward(x)`` returns
    ``[M, *out]``: with ``per_member=False`` every member sees the same ``x``; with
    ``per_member=True``, ``x`` has shape ``[M, ...]`` and member ``i`` sees ``x[i]``.
    """

    def __init__(self, members: Sequence[nn.Module]):
        super().__init__()
        members = list(members)
        if len(members) < 1:
            raise ValueError("members must hold at least one module, got an empty sequence")
        kinds = {type(m) for m in members}
        shapes = {tuple((k, tuple(v.shape)) for k, v in m.state_dict().items()) for m in members}
        if len(kinds) != 1 or len(shapes) != 1:
            raise ValueError("members must all have the same type and parameter shapes")
        params, buffers = stack_module_state(members)
        self.size = len(members)
        self._names = list(params)
        self._buffer_names = list(buffers)
        for name, value in params.items():
            self.register_parameter(_flat(name), nn.Parameter(value.detach().clone()))
        for name, value in buffers.items():
            self.register_buffer(_flat(name), value.detach().clone())
        self._skeleton = [copy.deepcopy(members[0]).to("meta")]  # list: not a submodule
        self._mlp = _is_plain_mlp(members[0])

    def _stacked(self) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        params = {n: getattr(self, _flat(n)) for n in self._names}
        buffers = {n: getattr(self, _flat(n)) for n in self._buffer_names}
        return params, buffers

    def forward(self, x: torch.Tensor, per_member: bool = False) -> torch.Tensor:
        """Outputs of all members: ``[M, *out]``."""
        if per_member and x.shape[0] != self.size:
            raise ValueError(
                f"x must have leading dimension {self.size} (one slice per member) when "
                f"per_member=True, got shape {tuple(x.shape)}"
            )
        if self._mlp:
            return self._forward_mlp(x, per_member)
        skeleton = self._skeleton[0]

        def call(p: dict, b: dict, inp: torch.Tensor) -> torch.Tensor:
            return functional_call(skeleton, (p, b), (inp,))

        params, buffers = self._stacked()
        return vmap(call, in_dims=(0, 0, 0 if per_member else None))(params, buffers, x)

    def _forward_mlp(self, x: torch.Tensor, per_member: bool) -> torch.Tensor:
        """Fast path for ``nn.Sequential`` of ``Linear`` and activations: one ``baddbmm`` a layer."""
        lead = x.shape[1:-1] if per_member else x.shape[:-1]
        h = x.reshape(self.size, -1, x.shape[-1]) if per_member else x.reshape(1, -1, x.shape[-1])
        h = h.expand(self.size, -1, -1)
        for i, layer in enumerate(self._skeleton[0]):
            if isinstance(layer, nn.Linear):
                weight = getattr(self, f"{i}__weight").transpose(1, 2)
                bias = getattr(self, f"{i}__bias", None)
                h = torch.bmm(h, weight) if bias is None else torch.baddbmm(bias[:, None, :], h, weight)
            else:
                h = layer(h)
        return h.reshape(self.size, *lead, h.shape[-1])

    def member(self, i: int) -> nn.Module:
        """A standalone copy of member ``i`` (on the ensemble's device)."""
        i = check_int("i", i, minimum=0, maximum=self.size - 1)
        module = copy.deepcopy(self._skeleton[0])
        params, buffers = self._stacked()
        state = {n: v[i].detach().clone() for n, v in {**params, **buffers}.items()}
        module.to_empty(device=next(iter(state.values())).device)
        module.load_state_dict(state)
        return module


_ELEMENTWISE = (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.SiLU, nn.LeakyReLU, nn.Identity)


def _is_plain_mlp(module: nn.Module) -> bool:
    """True for an ``nn.Sequential`` of ``nn.Linear`` and parameter-free elementwise activations."""
    return (
        isinstance(module, nn.Sequential)
        and any(isinstance(m, nn.Linear) for m in module)
        and all(isinstance(m, (nn.Linear, *_ELEMENTWISE)) for m in module)
    )


def _flat(name: str) -> str:
    return name.replace(".", "__")


def _make_optimizer(
    optimizer: str | Callable, params: list[torch.Tensor], lr: float, momentum: float,
    weight_decay: float,
) -> torch.optim.Optimizer:
    if callable(optimizer):
        return optimizer(params)
    if optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def _batches(
    data: Batch | Callable[[int], Batch], batch_size: int | None, gen: torch.Generator | None,
) -> Callable[[int], Batch]:
    """A function ``step -> batch``: the full data, shuffled minibatches, or a sampler."""
    if callable(data):
        return data
    tensors = tuple(data)
    if not tensors:
        raise ValueError("data must be a tuple of tensors or a callable step -> batch")
    n = tensors[0].shape[0]
    if any(t.shape[0] != n for t in tensors):
        raise ValueError(f"data tensors must share their first dimension, got {[t.shape for t in tensors]}")
    if batch_size is None or batch_size >= n:
        return lambda step: tensors
    per_epoch = n // batch_size
    state: dict[str, Any] = {"epoch": -1, "perm": None}

    def minibatch(step: int) -> Batch:
        epoch, k = divmod(step, per_epoch)
        if epoch != state["epoch"]:
            state["epoch"] = epoch
            state["perm"] = torch.randperm(n, generator=gen).to(tensors[0].device)
        idx = state["perm"][k * batch_size:(k + 1) * batch_size]
        return tuple(t[idx] for t in tensors)

    return minibatch


def _to_record(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        return float(value) if value.ndim == 0 else value.numpy().copy()
    return value


def train(
    model: nn.Module,
    loss_fn: Callable[..., torch.Tensor],
    data: Batch | Callable[[int], Batch],
    *,
    steps: int,
    lr: float,
    optimizer: str | Callable = "sgd",
    batch_size: int | None = None,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    record_every: int | None = None,
    metrics: dict[str, Callable[[nn.Module], Any]] | None = None,
    generator: torch.Generator | None = None,
    progress: bool | None = None,
    params: Sequence[torch.Tensor] | None = None,
    schedule: str | None = None,
) -> History:
    """Train ``model`` by gradient descent on ``loss_fn(model, *batch)`` and record a history.

    Args:
        model: any module (a single network, an :class:`Ensemble`, a natively batched model).
        loss_fn: ``loss_fn(model, *batch)`` returning a scalar, or a tensor ``[M]`` with one
            loss per ensemble member; the loop descends the sum over members.
        data: a tuple of tensors with a shared first (sample) dimension, or a callable
            ``step -> batch`` for online data (a fresh sample every step).
        steps: number of optimizer steps (>= 1).
        lr: learning rate (> 0).
        optimizer: ``"sgd"``, ``"adam"``, ``"adamw"`` or a callable ``params -> Optimizer``.
        batch_size: minibatch size for tensor data (reshuffled every epoch); ``None`` = full batch.
        momentum: SGD momentum. weight_decay: L2 (SGD, Adam) or decoupled (AdamW) decay.
        record_every: record every this many steps (default ``steps // 100``); steps 0 and
            ``steps`` are always recorded.
        metrics: ``{name: fn(model)}`` evaluated without gradients at every record.
        generator: CPU generator for minibatch shuffling.
        progress: show a ``tqdm`` bar; ``None`` shows one for runs of at least 500 steps when
            :func:`progress_enabled`.
        params: the tensors to optimize (default: ``model.parameters()``).
        schedule: ``None`` (constant ``lr``) or ``"cosine"``: ``lr (1 + cos(pi t / steps)) / 2``.

    Returns:
        :class:`History`. The loss recorded at step ``t`` is evaluated after ``t`` updates on
        the batch of step ``t - 1`` (the whole data set for full-batch training).
    """
    steps = check_int("steps", steps, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    if not callable(optimizer):
        check_choice("optimizer", optimizer, OPTIMIZERS)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, minimum=1)
    every = max(1, steps // 100) if record_every is None else check_int("record_every", record_every, minimum=1)
    params = list(model.parameters()) if params is None else list(params)
    if not params:
        raise ValueError("model has no parameters to train (pass params=...)")
    if schedule is not None:
        check_choice("schedule", schedule, SCHEDULES)
    opt = _make_optimizer(optimizer, params, lr, momentum, weight_decay)
    sched = None
    if schedule == "cosine":
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 * (1 + math.cos(math.pi * t / steps)))
    batch_at = _batches(data, batch_size, generator)
    metrics = metrics or {}
    history = History(metrics={name: [] for name in metrics})
    show = (progress_enabled() and steps >= 500) if progress is None else bool(progress)
    bar = tqdm(total=steps, disable=not show, mininterval=0.5, leave=False)
    start = time.perf_counter()

    def record(step: int, loss: torch.Tensor) -> None:
        history.steps.append(step)
        history.loss.append(_to_record(loss))
        with torch.no_grad():
            for name, fn in metrics.items():
                history.metrics[name].append(_to_record(fn(model)))
        bar.set_postfix(loss=float(loss.detach().sum()), refresh=False)

    for step in range(steps):
        batch = batch_at(step)
        loss = loss_fn(model, *batch)
        if step == 0:
            record(0, loss)
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
        if sched is not None:
            sched.step()
        bar.update(1)
        if (step + 1) % every == 0 or step + 1 == steps:
            with torch.no_grad():
                record(step + 1, loss_fn(model, *batch))
    bar.close()
    history.seconds = time.perf_counter() - start
    return history
