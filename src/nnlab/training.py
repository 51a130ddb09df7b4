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

from .members import Members, flat_name, member_input, meta_skeleton
from .validation import check_bool, check_choice, check_float_dtype, check_int, check_real, check_tensor

__all__ = ["History", "Ensemble", "mse_per_member", "train", "progress_enabled"]

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("cosine",)
SHUFFLES = ("shared", "per_member")
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
        if name != "loss" and name not in self.metrics:
            raise ValueError(f"name must be 'loss' or one of the recorded metrics {list(self.metrics)}, got {name!r}")
        values = self.loss if name == "loss" else self.metrics[name]
        return np.stack([np.asarray(v) for v in values])

    def tensor(self, name: str = "loss") -> torch.Tensor:
        """:meth:`array` as a torch tensor, e.g. ``tensor("W")`` of shape ``[R, M, ...]``."""
        return torch.as_tensor(self.array(name))

    @property
    def final_loss(self) -> Any:
        """The last recorded loss (float, or array ``[M]`` for an ensemble)."""
        return self.loss[-1]


_PROGRESS_ON = ("1", "true", "yes", "on")
_PROGRESS_OFF = ("0", "false", "no", "off", "")


def progress_enabled() -> bool:
    """Whether progress bars are shown: ``NNLAB_PROGRESS`` (default ``0``: off, so that a chapter's
    stored outputs are the same however it is run; set ``NNLAB_PROGRESS=1`` to see them).

    ``1``/``true``/``yes``/``on`` enable them and ``0``/``false``/``no``/``off`` (any case) or an
    empty value disable them; any other value raises ``ValueError``.
    """
    value = os.environ.get("NNLAB_PROGRESS", "0").strip().lower()
    if value not in _PROGRESS_ON + _PROGRESS_OFF:
        raise ValueError(f"NNLAB_PROGRESS must be one of {_PROGRESS_ON + _PROGRESS_OFF}, got {value!r}")
    return value in _PROGRESS_ON


class Ensemble(Members):
    """``M`` independent copies of one architecture, evaluated as one batched module.

    Args:
        modules: ``M`` modules with identical structure (different initial weights).
        input_ndim: the number of dimensions of one member's input (default 2, ``[n, d]``):
            ``forward`` treats an input with ``input_ndim`` dimensions as shared by all members
            and one with ``input_ndim + 1`` and ``M`` in front as one slice per member.

    The parameters are stacked along a new leading dimension: a member parameter of shape
    ``s`` becomes an ``nn.Parameter`` of shape ``[M, *s]``. ``forward(x)`` returns ``[M, *out]``.
    An ``nn.Sequential`` of ``Linear`` layers and elementwise activations (a plain MLP) runs
    as one ``baddbmm`` per layer instead of ``vmap``.
    """

    def __init__(self, modules: Sequence[nn.Module], input_ndim: int = 2):
        super().__init__()
        modules = list(modules)
        if len(modules) < 1:
            raise ValueError("modules must hold at least one module, got an empty sequence")
        if not all(isinstance(m, nn.Module) for m in modules):
            raise ValueError("modules must all be torch.nn.Module instances")
        kinds = {type(m) for m in modules}
        shapes = {tuple((k, tuple(v.shape), v.dtype) for k, v in m.state_dict().items()) for m in modules}
        if len(kinds) != 1 or len(shapes) != 1:
            raise ValueError("modules must all have the same type, parameter shapes and dtypes")
        self.input_ndim = check_int("input_ndim", input_ndim, minimum=1)
        params, buffers = stack_module_state(modules)
        self.members = len(modules)
        self._names = list(params)
        self._buffer_names = list(buffers)
        for name, value in params.items():
            self.register_parameter(flat_name(name), nn.Parameter(value.detach().clone()))
        for name, value in buffers.items():
            self.register_buffer(flat_name(name), value.detach().clone())
        self.member_tensors = tuple(flat_name(n) for n in self._names + self._buffer_names)
        self._skeleton = meta_skeleton(modules[0])
        self._mlp = _is_plain_mlp(modules[0])

    @classmethod
    def mlp(cls, sizes: Sequence[int], members: int, *, bias: bool = True, activation: type[nn.Module] = nn.ReLU,
            generator: torch.Generator | None = None, dtype: torch.dtype | None = None) -> Ensemble:
        """``members`` MLPs with layer sizes ``sizes`` (``[d_in, width, ..., d_out]``), PyTorch's default init.

        Every weight (and bias) of a layer with fan-in ``f`` is drawn i.i.d. from
        ``U(-1/sqrt(f), 1/sqrt(f))`` (the default of ``nn.Linear``; variance ``1 / (3 f)``), for
        all members at once on the CPU from ``generator`` (no global RNG use when one is given).
        """
        sizes = [check_int(f"sizes[{i}]", s, minimum=1) for i, s in enumerate(_as_sequence("sizes", sizes))]
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least an input and an output size, got {sizes}")
        members = check_int("members", members, minimum=1)
        check_bool("bias", bias)
        dtype = torch.get_default_dtype() if dtype is None else check_float_dtype("dtype", dtype)
        weights, biases = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / math.sqrt(n_in)
            weights.append((2 * torch.rand(members, n_out, n_in, generator=generator, dtype=dtype) - 1) * bound)
            if bias:
                biases.append((2 * torch.rand(members, n_out, generator=generator, dtype=dtype) - 1) * bound)
        return cls.from_layers(weights, biases if bias else None, activation=activation)

    @classmethod
    def from_layers(cls, weights: Sequence[torch.Tensor], biases: Sequence[torch.Tensor] | None = None, *,
                    activation: type[nn.Module] = nn.ReLU) -> Ensemble:
        """An ensemble of MLPs ``W_L act(... act(W_1 x + b_1) ...) + b_L`` from stacked layers.

        Args:
            weights: one tensor ``[M, N_l, N_{l-1}]`` per layer; consecutive layers must chain.
            biases: ``None`` (bias-free) or one tensor ``[M, N_l]`` per layer.
            activation: the elementwise activation between layers (a module class).
        """
        weights = list(weights) if isinstance(weights, (list, tuple)) else _as_sequence("weights", weights)
        if not weights:
            raise ValueError("weights must hold at least one layer, got an empty sequence")
        dims: dict[str, int] = {}
        for i, w in enumerate(weights):
            spec = ("M", f"N{i + 1}", f"N{i}")
            weights[i] = check_tensor(f"weights[{i}]", w, spec, dims=dims).detach()
        if biases is not None:
            biases = list(biases)
            if len(biases) != len(weights):
                raise ValueError(f"biases must hold one tensor per layer ({len(weights)}), got {len(biases)}")
            biases = [check_tensor(f"biases[{i}]", b, ("M", f"N{i + 1}"), dims=dims).detach()
                      for i, b in enumerate(biases)]
        layers: list[nn.Module] = []
        for w in weights:
            layers += [nn.Linear(w.shape[2], w.shape[1], bias=biases is not None, device="meta", dtype=w.dtype),
                       activation()]
        ens = cls.__new__(cls)
        Members.__init__(ens)
        ens.input_ndim, ens.members = 2, dims["M"]
        ens._names, ens._buffer_names = [], []
        for i, w in enumerate(weights):
            ens.register_parameter(f"{2 * i}__weight", nn.Parameter(w.clone()))
            ens._names.append(f"{2 * i}.weight")
            if biases is not None:
                ens.register_parameter(f"{2 * i}__bias", nn.Parameter(biases[i].clone()))
                ens._names.append(f"{2 * i}.bias")
        ens.member_tensors = tuple(flat_name(n) for n in ens._names)
        ens._skeleton = [nn.Sequential(*layers[:-1])]
        ens._mlp = True
        return ens

    @property
    def weights(self) -> list[torch.Tensor]:
        """A plain MLP's stacked weight matrices, ``[M, N_l, N_{l-1}]`` per layer (the parameters themselves)."""
        return [w for w, _ in self.linear_layers()]

    @property
    def sizes(self) -> list[int]:
        """A plain MLP's layer sizes ``[d_in, N_1, ..., N_L]``."""
        weights = self.weights
        return [weights[0].shape[2]] + [w.shape[1] for w in weights]

    def _stacked(self) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        params = {n: getattr(self, flat_name(n)) for n in self._names}
        buffers = {n: getattr(self, flat_name(n)) for n in self._buffer_names}
        return params, buffers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs of all members: ``[M, *out]`` for ``x`` shared ``[n, ...]`` or per member ``[M, n, ...]``.

        ``x`` must be a non-empty real floating tensor (a list or array is converted, another float
        dtype is cast to the parameters' dtype). It is not scanned for NaN/inf (a device sync per
        call in the training loop): NaN in ``x`` propagates to the output.
        """
        x = self._inputs(x)
        if self._mlp:
            return self._forward_mlp(x)
        skeleton = self._skeleton[0]

        def call(p: dict, b: dict, inp: torch.Tensor) -> torch.Tensor:
            return functional_call(skeleton, (p, b), (inp,))

        params, buffers = self._stacked()
        return vmap(call)(params, buffers, x)

    def linear_layers(self) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
        """A plain MLP's stacked ``(weight [M, out, in], bias [M, out] or None)`` per ``Linear`` layer."""
        if not self._mlp:
            raise ValueError("linear_layers needs an ensemble of plain MLPs (nn.Sequential of Linear and activations)")
        return [(getattr(self, f"{i}__weight"), getattr(self, f"{i}__bias", None))
                for i, layer in enumerate(self._skeleton[0]) if isinstance(layer, nn.Linear)]

    def hidden(self, x: torch.Tensor) -> list[torch.Tensor]:
        """A plain MLP's activations after every hidden layer (after its activation): a list of ``[M, n, N_l]``."""
        self.linear_layers()  # checks that this is a plain MLP
        return self._forward_mlp(self._inputs(x), keep=True)[1]

    def _inputs(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` checked, cast to the parameters' dtype and in the per-member layout ``[M, ...]``."""
        dtype = next((p.dtype for p in self.parameters() if p.is_floating_point()), None)
        x = member_input("x", check_tensor("x", x, finite=False, dtype=dtype), self.members, self.input_ndim)
        if self._mlp:
            d_in = self.linear_layers()[0][0].shape[2]
            if x.shape[-1] != d_in:
                raise ValueError(f"x must have shape [n, {d_in}] (shared) or [{self.members}, n, {d_in}] "
                                 f"(per member), got {tuple(x.shape)}")
        return x

    def _forward_mlp(self, x: torch.Tensor, keep: bool = False) -> Any:
        """Fast path for ``nn.Sequential`` of ``Linear`` and activations: one ``baddbmm`` a layer."""
        lead = x.shape[1:-1]
        h = x.reshape(self.members, -1, x.shape[-1])
        hidden = []
        layers = list(self._skeleton[0])
        for i, layer in enumerate(layers):
            if isinstance(layer, nn.Linear):
                weight = getattr(self, f"{i}__weight").transpose(1, 2)
                bias = getattr(self, f"{i}__bias", None)
                h = torch.bmm(h, weight) if bias is None else torch.baddbmm(bias[:, None, :], h, weight)
                if keep and i + 1 < len(layers) and isinstance(layers[i + 1], nn.Linear):
                    hidden.append(h)
            else:
                h = layer(h)
                if keep and i + 1 < len(layers):
                    hidden.append(h)
        out = h.reshape(self.members, *lead, h.shape[-1])
        return (out, [v.reshape(self.members, *lead, v.shape[-1]) for v in hidden]) if keep else out

    def member(self, i: int) -> nn.Module:
        """A standalone copy of member ``i`` (an ordinary module, on the ensemble's device)."""
        (i,) = self._member_index([i])
        module = copy.deepcopy(self._skeleton[0])
        params, buffers = self._stacked()
        state = {n: v[i].detach().clone() for n, v in {**params, **buffers}.items()}
        module.to_empty(device=next(iter(state.values())).device)
        module.load_state_dict(state)
        return module


def mse_per_member(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error of every member, ``mean_n (f_m(x) - y)^2``: ``[M]``.

    ``model(x)`` is ``[M, n, ...]``; ``y`` is the target shared by all members (``[n, ...]``, the
    output's shape without the member axis) or one per member (``[M, n, ...]``). Any other
    shape raises ``ValueError`` (never broadcast silently). ``x`` must be a non-empty tensor
    without NaN/inf (its dtype and shape are the model's to check); ``y`` real floating and finite.
    """
    x = check_tensor("x", x, floating=False)
    y = check_tensor("y", y)
    out = model(x)
    if tuple(y.shape) not in (tuple(out.shape[1:]), tuple(out.shape)):
        raise ValueError(f"y must have shape {tuple(out.shape[1:])} (shared) or {tuple(out.shape)} (per member), "
                         f"got {tuple(y.shape)}")
    return (out - y).pow(2).reshape(out.shape[0], -1).mean(1)


_ELEMENTWISE = (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.SiLU, nn.LeakyReLU, nn.Identity)


def _is_plain_mlp(module: nn.Module) -> bool:
    """True for an ``nn.Sequential`` of ``nn.Linear`` and parameter-free elementwise activations."""
    return (
        isinstance(module, nn.Sequential)
        and any(isinstance(m, nn.Linear) for m in module)
        and all(isinstance(m, (nn.Linear, *_ELEMENTWISE)) for m in module)
    )


def _as_sequence(name: str, values: object) -> list:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} must be a sequence, got {values!r}")
    return list(values)


def _make_optimizer(
    optimizer: str, groups: list[dict[str, Any]], lr: float, momentum: float, weight_decay: float,
) -> torch.optim.Optimizer:
    if optimizer == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if optimizer == "adam":
        return torch.optim.Adam(groups, lr=lr, weight_decay=weight_decay)
    return torch.optim.AdamW(groups, lr=lr, weight_decay=weight_decay)


def _check_data(data: Batch) -> Batch:
    if not isinstance(data, (tuple, list)) or not data:
        raise ValueError("data must be a non-empty tuple of tensors or a callable step -> batch")
    tensors = tuple(check_tensor(f"data[{i}]", t, floating=False) if not isinstance(t, torch.Tensor) else t
                    for i, t in enumerate(data))
    for i, t in enumerate(tensors):
        if t.ndim == 0 or t.numel() == 0:
            raise ValueError(f"data[{i}] must have a sample dimension and at least one sample, got {tuple(t.shape)}")
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise ValueError(f"data[{i}] must hold finite values only (no NaN or inf)")
    n = tensors[0].shape[0]
    if any(t.shape[0] != n for t in tensors):
        raise ValueError(f"data tensors must share their first dimension, got {[tuple(t.shape) for t in tensors]}")
    return tensors


def _batches(
    data: Batch | Callable[[int], Batch], batch_size: int | None, gen: torch.Generator | None,
    shuffle: str, members: int | None,
) -> Callable[[int], Batch]:
    """A function ``step -> batch``: the full data, shuffled minibatches, or a sampler.

    ``shuffle="shared"``: one permutation of the ``n`` samples per epoch, the same batch for
    every member (``[B, ...]``). ``"per_member"``: one permutation per member and epoch (the
    argsort of ``torch.rand(M, n)``), so member ``m`` gets its own batch, ``[M, B, ...]``.
    """
    if callable(data):
        return data
    tensors = _check_data(data)
    n = tensors[0].shape[0]
    if batch_size is None or batch_size >= n:
        return lambda step: tensors
    per_epoch = n // batch_size
    state: dict[str, Any] = {"epoch": -1, "perm": None}

    def minibatch(step: int) -> Batch:
        epoch, k = divmod(step, per_epoch)
        if epoch != state["epoch"]:
            state["epoch"] = epoch
            if shuffle == "per_member":
                perm = torch.argsort(torch.rand(members, n, generator=gen), dim=1)
            else:
                perm = torch.randperm(n, generator=gen)
            state["perm"] = perm.to(tensors[0].device)
        idx = state["perm"][..., k * batch_size:(k + 1) * batch_size]
        return tuple(t[idx] for t in tensors)

    return minibatch


def _to_record(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        return float(value) if value.ndim == 0 else value.numpy().copy()
    return value


def _param_groups(model: nn.Module, params: Sequence[torch.Tensor] | None, lr: float) -> list[dict[str, Any]]:
    """The optimizer's groups: ``params`` if given, else the model's own ``param_groups(lr)``, else all."""
    if params is not None:
        groups = [{"params": list(params), "lr": lr}]
    elif isinstance(model, Members) or hasattr(model, "param_groups"):
        groups = model.param_groups(lr)
    else:
        groups = [{"params": [p for p in model.parameters() if p.requires_grad], "lr": lr}]
    if not any(g["params"] for g in groups):
        raise ValueError("model has no parameters to train (pass params=...)")
    return groups


def train(
    model: nn.Module,
    loss_fn: Callable[..., torch.Tensor],
    data: Batch | Callable[[int], Batch],
    *,
    steps: int,
    lr: float,
    optimizer: str = "sgd",
    batch_size: int | None = None,
    shuffle: str = "shared",
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    record_every: int | None = None,
    metrics: dict[str, Callable[[nn.Module], Any]] | None = None,
    generator: torch.Generator | None = None,
    progress: bool | None = None,
    params: Sequence[torch.Tensor] | None = None,
    schedule: str | None = None,
    gradient: Callable[..., torch.Tensor] | None = None,
) -> History:
    """Train ``model`` by gradient descent on ``loss_fn(model, *batch)`` and record a history.

    Args:
        model: any module (a single network, an :class:`Ensemble`, any :class:`~nnlab.members.Members`).
        loss_fn: ``loss_fn(model, *batch)`` returning a scalar, or a tensor ``[M]`` with one
            loss per member; the loop descends the sum over members.
        data: a tuple of tensors with a shared first (sample) dimension, or a callable
            ``step -> batch`` for online data (a fresh sample every step).
        steps: number of optimizer steps (>= 1).
        lr: learning rate (> 0). The parameter groups (e.g. a smaller rate for biases) come
            from the model's ``param_groups(lr)`` when it has one.
        optimizer: ``"sgd"``, ``"adam"`` or ``"adamw"``.
        batch_size: minibatch size for tensor data (reshuffled every epoch); ``None`` = full batch.
        shuffle: ``"shared"`` (one sample order for all members: batches ``[B, ...]``) or
            ``"per_member"`` (each member of a ``Members`` model its own order: ``[M, B, ...]``).
        momentum: SGD momentum in ``[0, 1)`` (only with ``optimizer="sgd"``).
        weight_decay: L2 (SGD, Adam) or decoupled (AdamW) decay, ``>= 0``.
        record_every: record every this many steps (default ``steps // 100``); steps 0 and
            ``steps`` are always recorded.
        metrics: ``{name: fn(model)}`` evaluated without gradients at every record.
        generator: CPU generator for minibatch shuffling.
        progress: show a ``tqdm`` bar; ``None`` shows one for runs of at least 500 steps when
            :func:`progress_enabled`.
        params: the tensors to optimize (default: the model's parameter groups).
        schedule: ``None`` (constant ``lr``) or ``"cosine"``: ``lr (1 + cos(pi t / steps)) / 2``.
        gradient: a hand-written gradient step, ``gradient(model, *batch) -> loss``: it is called
            without autograd, must fill ``p.grad`` of every trained parameter and return the
            loss at the current parameters (scalar or ``[M]``). Default: autograd of ``loss_fn``.

    Returns:
        :class:`History`. The loss recorded at step ``t`` is evaluated after ``t`` updates on
        the batch of step ``t - 1`` (the whole data set for full-batch training).
    """
    steps = check_int("steps", steps, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    check_choice("optimizer", optimizer, OPTIMIZERS)
    check_choice("shuffle", shuffle, SHUFFLES)
    momentum = check_real("momentum", momentum, low=0.0, high=1.0, high_open=True)
    if momentum and optimizer != "sgd":
        raise ValueError(f"momentum applies to optimizer='sgd' only, got momentum={momentum} with {optimizer!r}")
    weight_decay = check_real("weight_decay", weight_decay, low=0.0)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, minimum=1)
    members = getattr(model, "members", None)
    if shuffle == "per_member" and not isinstance(members, int):
        raise ValueError("shuffle='per_member' needs a Members model (one with a member count .members)")
    every = max(1, steps // 100) if record_every is None else check_int("record_every", record_every, minimum=1)
    if schedule is not None:
        check_choice("schedule", schedule, SCHEDULES)
    if progress is not None:
        check_bool("progress", progress)
    if not callable(loss_fn) or (gradient is not None and not callable(gradient)):
        raise ValueError("loss_fn (and gradient, when given) must be callable")
    if gradient is None and not torch.is_grad_enabled():
        raise ValueError("train needs autograd but was called under torch.no_grad(); call it outside that block")
    batch_at = _batches(data, batch_size, generator, shuffle, members)
    opt = _make_optimizer(optimizer, _param_groups(model, params, lr), lr, momentum, weight_decay)
    sched = None
    if schedule == "cosine":
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 * (1 + math.cos(math.pi * t / steps)))
    metrics = metrics or {}
    history = History(metrics={name: [] for name in metrics})
    show = (progress_enabled() and steps >= 500) if progress is None else progress
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
        if gradient is None:
            loss = loss_fn(model, *batch)
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()
        else:
            with torch.no_grad():
                loss = gradient(model, *batch)
        if step == 0:
            record(0, loss)
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
