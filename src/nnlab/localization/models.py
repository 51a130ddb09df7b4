"""The two-layer network of Ingrosso & Goldt, as a batch of independent members trained at once.

Member ``m`` computes::

    phi_m(x) = sum_k v_k act(w_mk . x / sqrt(d_in) + b_mk),    act(u) = erf(u / sqrt 2), sigmoid(u) or relu(u),

with the second layer ``v`` fixed: ``v_k = 1/K`` (``readout="mean"``, the paper's committee;
its two output heads ``+-1/K`` against one-hot ``+-1`` targets give exactly this loss) or
``v_k = +1/K`` for the first half of the neurons and ``-1/K`` for the second (``"signed"``).
Only the first layer (and optionally the biases) learn. The weights of all members form one
tensor ``W [M, K, d_in]``; with per-member data ``x [M, n, d_in]`` one ``bmm`` evaluates them all, so
several gains, the Gaussian clone and several seeds train as one model with
:func:`nnlab.training.train`.

Lufkin, Saxe & Grant's network is the subclass :class:`ReluTwoLayer`: ReLU, no bias,
pre-activation ``w . x`` (``scale_input=False``) and 0/1 targets; :func:`fit_data` trains it by
full-batch gradient descent on fixed per-member data sets (any generator), with a hand-written
gradient plugged into the same loop.

Both are :class:`nnlab.members.Members` models: ``members`` networks, ``select``/``member``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..members import Members, member_input
from ..training import History, train
from ..validation import check_bool, check_choice, check_int, check_real, check_tensor
from .data import TwoClassTask, _check_device

__all__ = ["ACTIVATIONS", "READOUTS", "BIASES", "TwoLayer", "ReluTwoLayer", "task_mse", "accuracy_per_member",
           "fit", "fit_data", "fit_online", "xavier_std"]

ACTIVATIONS = ("erf", "sigmoid")
READOUTS = ("mean", "signed")
BIASES = ("fixed", "learnable", "none")


class TwoLayer(Members):
    """``members`` two-layer networks with a fixed second layer, batched: ``W [M, width, d_in]``, ``b [M, width]``.

    Args:
        members: number of independent networks ``M``.
        d_in: input dimension ``d_in``. width: hidden neurons ``K`` (even when ``bias != "none"`` or
            ``readout="signed"``).
        activation: ``"erf"`` (``erf(u / sqrt 2)``, the paper) or ``"sigmoid"`` (the talk's version);
            ReLU is :class:`ReluTwoLayer`.
        readout: ``"mean"`` (``v_k = 1/K``) or ``"signed"`` (``+-1/K``, half each).
        bias: ``"fixed"`` at ``+-bias_value`` (half the neurons each, the reference's ``--bias``),
            ``"learnable"`` (initialised at ``+-bias_value``) or ``"none"``. Without a bias an erf
            network is odd and the two classes, symmetric under ``x -> -x``, cannot be told apart.
        bias_value: magnitude of the initial (or fixed) biases.
        init_std: standard deviation of the initial weights (reference: 0.1).
        generator: CPU generator for the initial weights.
        dtype: floating dtype of the weights (default: torch's default dtype).
        scale_input: divide the pre-activation by ``sqrt(d_in)`` (Ingrosso & Goldt, the default);
            ``False`` gives ``w . x + b`` (Lufkin et al.).

    ``forward(x)`` maps ``x [n, d_in]`` (shared by all members) or ``[M, n, d_in]`` to ``[M, n]``:
    ``x`` must be a non-empty real floating tensor (a list or array is converted, other float
    dtypes are cast to the weights' dtype); it is not scanned for NaN/inf (that would cost a
    device sync per call), so NaN in ``x`` propagates.
    """

    member_tensors = ("W", "b")

    def __init__(self, members: int, d_in: int, width: int, activation: str = "erf", readout: str = "mean",
                 bias: str = "fixed", bias_value: float = 1.0, init_std: float = 0.1,
                 generator: torch.Generator | None = None, dtype: torch.dtype | None = None,
                 scale_input: bool = True):
        super().__init__()
        M = check_int("members", members, minimum=1)
        d_in = check_int("d_in", d_in, minimum=1)
        K = check_int("width", width, minimum=1)
        self.activation = str(check_choice("activation", activation, ACTIVATIONS))
        self.readout = str(check_choice("readout", readout, READOUTS))
        self.bias_mode = str(check_choice("bias", bias, BIASES))
        bias_value = check_real("bias_value", bias_value, low=0.0)
        init_std = check_real("init_std", init_std, low=0.0, low_open=True)
        dtype = _check_dtype(dtype)
        if K % 2 and (self.bias_mode != "none" or self.readout == "signed"):
            raise ValueError(f"width must be even with bias={bias!r} or readout='signed' (half the neurons each "
                             f"sign), got {K}")
        check_bool("scale_input", scale_input)
        self.members, self.d_in, self.width = M, d_in, K
        self.input_scale = 1 / math.sqrt(d_in) if scale_input else 1.0
        sign = torch.cat([torch.ones(K - K // 2), -torch.ones(K // 2)]).to(dtype)
        self.W = nn.Parameter(init_std * torch.randn(M, K, d_in, generator=generator, dtype=dtype))
        b = (bias_value * sign).expand(M, K).clone() if self.bias_mode != "none" else torch.zeros(M, K, dtype=dtype)
        if self.bias_mode == "learnable":
            self.b = nn.Parameter(b)
        else:
            self.register_buffer("b", b)
        v = sign / K if self.readout == "signed" else torch.full((K,), 1.0 / K, dtype=dtype)
        self.register_buffer("v", v)

    def act(self, u: torch.Tensor) -> torch.Tensor:
        """The activation: ``erf(u / sqrt 2)``, ``sigmoid(u)`` or ``relu(u)``."""
        if self.activation == "relu":
            return torch.relu(u)
        return torch.erf(u / math.sqrt(2)) if self.activation == "erf" else torch.sigmoid(u)

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` checked and in the per-member layout ``[M, n, d_in]`` in the weights' dtype (a view when shared)."""
        x = member_input("x", check_tensor("x", x, dtype=self.W.dtype, finite=False), self.members, 2)
        if x.shape[-1] != self.d_in:
            raise ValueError(f"x must have shape [n, {self.d_in}] or [{self.members}, n, {self.d_in}], "
                             f"got {tuple(x.shape)}")
        return x

    def preactivations(self, x: torch.Tensor) -> torch.Tensor:
        """``w_mk . x / sqrt(d_in) + b_mk`` (or without ``sqrt(d_in)``) for every member, sample
        and neuron: ``[M, n, K]``."""
        return torch.baddbmm(self.b[:, None, :], self.inputs(x), self.W.transpose(1, 2), alpha=self.input_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The outputs ``phi_m(x)``: ``[M, n]``."""
        return self.act(self.preactivations(x)) @ self.v

    def targets(self, y: torch.Tensor) -> torch.Tensor:
        """The regression target for labels ``y in {+1, -1}``: ``y`` for erf, ``(1 + y)/2`` for sigmoid/relu + mean.

        ``y`` must be a non-empty, finite, real floating tensor of any shape (a list or array is converted).
        """
        return self._targets(check_tensor("y", y))

    def _targets(self, y: torch.Tensor) -> torch.Tensor:
        if self.activation in ("sigmoid", "relu") and self.readout == "mean":
            return (1 + y) / 2
        return y

    def param_groups(self, lr: float) -> list[dict[str, Any]]:
        """SGD parameter groups as in the reference code: ``lr`` for ``W``, ``lr / d_in`` for learnable biases."""
        lr = check_real("lr", lr, low=0.0, low_open=True)
        groups = [{"params": [self.W], "lr": lr}]
        if isinstance(self.b, nn.Parameter):
            groups.append({"params": [self.b], "lr": lr / self.d_in})
        return groups


def _check_dtype(dtype: torch.dtype | None) -> torch.dtype:
    dtype = torch.get_default_dtype() if dtype is None else dtype
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating torch dtype, got {dtype!r}")
    return dtype


class ReluTwoLayer(TwoLayer):
    """``M`` bias-free ReLU committees ``phi_m(x) = (1/K) sum_k relu(w_mk . x)`` (Lufkin, Saxe & Grant 2024).

    A :class:`TwoLayer` with ReLU, ``bias="none"``, ``readout="mean"`` and targets 1 (label
    ``+1``) and 0 (label ``-1``); ``width = 1`` is their single neuron. The paper initialises
    ``W`` Xavier-normal times ``sqrt(1e-3)``: ``init_std = xavier_std(d_in, width, 1e-3)``.

    Args:
        members, d_in, width, init_std, generator, dtype: as for :class:`TwoLayer`.
        scale_input: divide ``w . x`` by ``sqrt(d_in)`` (default ``False``, as in the paper).
    """

    def __init__(self, members: int, d_in: int, width: int = 1, init_std: float = 0.1,
                 generator: torch.Generator | None = None, dtype: torch.dtype | None = None,
                 scale_input: bool = False):
        super().__init__(members, d_in, width, activation="erf", readout="mean", bias="none", init_std=init_std,
                         generator=generator, dtype=dtype, scale_input=scale_input)
        self.activation = "relu"

    def gradient(self, x: torch.Tensor, xt: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Write the gradient of the per-member MSE into ``W.grad`` by hand; return the loss ``[M]``.

        ``L_m = mean_n (phi_m(x_n) - t_n)^2`` has gradient
        ``dL/dw_k = (2 / (n K)) sum_n (phi - t) 1(w_k . x > 0) x`` (times the input scale): two
        batched matrix products, several times faster than autograd for this tiny model.

        Args:
            x: inputs ``[M, n, d_in]``. xt: the same transposed, ``[M, d_in, n]`` (contiguous).
            target: ``[M, 1, n]``.

        All three must be real floating tensors in the weights' dtype; as this runs once per step,
        their shapes and dtypes are checked but their values are not scanned for NaN/inf
        (:func:`fit_data` checks its data once).
        """
        dims = {"M": self.members, "d_in": self.d_in}
        dtype = self.W.dtype
        for name, t, spec in (("x", x, "M n d_in"), ("xt", xt, "M d_in n"), ("target", target, "M 1 n")):
            if not isinstance(t, torch.Tensor) or t.dtype != dtype:
                raise ValueError(f"{name} must be a tensor of the weights' dtype {dtype}, "
                                 f"got {getattr(t, 'dtype', type(t).__name__)}")
            check_tensor(name, t, spec, dims=dims, finite=False)
        W, c = self.W.detach(), self.input_scale
        u = torch.bmm(W, xt) * c                            # [M, K, n]
        err = torch.relu(u).mean(1, keepdim=True) - target  # [M, 1, n]
        self.W.grad = torch.bmm(err * (u > 0), x) * (2 * c / (x.shape[1] * self.width))
        return err.pow(2).mean((1, 2))


def task_mse(model: TwoLayer, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error of every member to its targets for labels ``y``: ``[M]``.

    ``x [M, n, d_in]`` (or shared ``[n, d_in]``), ``y [M, n]`` (or shared ``[n]``) in ``{+1, -1}``;
    the target is ``model.targets(y)``. Both must be finite, non-empty real floating tensors
    (``x`` in the layout of ``model(x)``; a list or array is converted).
    """
    x = check_tensor("x", x)
    y = check_tensor("y", y)
    out = model(x)
    if tuple(y.shape) not in (tuple(out.shape), tuple(out.shape[1:])):
        raise ValueError(f"y must have shape {tuple(out.shape)} or {tuple(out.shape[1:])}, got {tuple(y.shape)}")
    return (out - model._targets(y)).pow(2).mean(-1)


def _task_mse(model: TwoLayer, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """:func:`task_mse` without the checks: the loss of :func:`fit`, whose batches come from the task."""
    return (model(x) - model._targets(y)).pow(2).mean(-1)


def accuracy_per_member(model: TwoLayer, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Fraction of correctly classified samples per member: ``[M]``.

    The predicted class is ``+1`` where the output exceeds the midpoint of the two targets
    (0 for erf, 1/2 for sigmoid or relu with ``readout="mean"``).

    ``x`` is ``[M, n, d_in]`` or shared ``[n, d_in]`` (finite, real floating); the labels ``y`` are
    ``[M, n]`` or shared ``[n]``, finite and real (an integer tensor of ``+-1`` is fine; a list or
    array is converted).
    """
    if not isinstance(model, TwoLayer):
        raise ValueError(f"model must be a TwoLayer, got {type(model).__name__}")
    x = check_tensor("x", x)
    n = model.inputs(x).shape[1]  # checks the layout of x
    y = check_tensor("y", y, floating=False)
    if y.is_complex() or y.dtype == torch.bool:
        raise ValueError(f"y must hold real labels +1 and -1, got dtype {y.dtype}")
    if not bool(torch.isfinite(y).all()):
        raise ValueError("y must hold finite values only (no NaN or inf)")
    if tuple(y.shape) not in ((model.members, n), (n,)):
        raise ValueError(f"y must have shape [{model.members}, {n}] or [{n}] (matching x {tuple(x.shape)}), "
                         f"got {tuple(y.shape)}")
    mid = model.targets(torch.zeros(1, device=y.device)).item() if model.readout == "mean" else 0.0
    with torch.no_grad():
        return ((model(x) > mid) == (y > 0)).float().mean(-1)


def fit(model: TwoLayer, task: TwoClassTask, *, steps: int, lr: float, batch_size: int = 100,
        generator: torch.Generator | None = None, record_every: int | None = None,
        metrics: dict[str, Callable[[nn.Module], Any]] | None = None, device: torch.device | str | None = None,
        ) -> History:
    """Online SGD of all members on fresh batches of their own task, with :func:`nnlab.training.train`.

    Args:
        model: a :class:`TwoLayer` with ``task.members`` members.
        task: the data, one two-class task per member (drawn on the CPU with ``generator``).
        steps: SGD steps. lr: learning rate *per sample*: each step moves by ``lr * batch_size``
            times the gradient of the batch-mean loss, so one sample contributes a step ``lr``
            as in online SGD (the reference uses ``lr = 0.05 K`` with one sample a step). What
            matters for the final fields is roughly ``lr * steps * batch_size``. The biases (when
            learnable) move at ``1 / d_in`` of that rate (:meth:`TwoLayer.param_groups`).
        batch_size: fresh samples per member and step.
        generator: CPU generator for the data. record_every, metrics: as in ``train``.
        device: where to train; default: the model's device. On the CPU the data are drawn
            with ``generator``. On a GPU the task is moved there and the data are drawn on the
            GPU (much faster) from a device generator seeded by ``generator``: reproducible on
            that kind of device, but not equal to the CPU stream.

    Returns:
        The :class:`nnlab.training.History` with the per-member loss ``[M]`` at each record.
    """
    if not isinstance(model, TwoLayer) or not isinstance(task, TwoClassTask):
        raise ValueError("model must be a TwoLayer and task a TwoClassTask")
    if task.members != model.members or task.d_in != model.d_in:
        raise ValueError(f"task has {task.members} members of dimension {task.d_in}, the model {model.members} "
                         f"of {model.d_in}")
    check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    device = model.W.device if device is None else _check_device("device", device)
    if device.type != "cpu":
        seed = int(torch.randint(2**62, (1,), generator=generator))
        generator = torch.Generator(device).manual_seed(seed)
        task = copy.copy(task).to(device)  # the caller's task stays on the CPU

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        return task.sample(batch_size, generator)

    return train(model, _task_mse, batch, steps=steps, lr=lr * batch_size, record_every=record_every,
                 metrics=metrics)


def xavier_std(d_in: int, width: int, scale: float = 1.0) -> float:
    """Xavier-normal standard deviation of a ``d_in -> width`` layer times ``sqrt(scale)``.

    ``sqrt(2 scale / (d_in + width))``.

    Lufkin et al. initialise with Xavier-normal weights scaled by ``sqrt(1e-3)`` (``scale = 1e-3``).
    """
    d_in, K = check_int("d_in", d_in, minimum=1), check_int("width", width, minimum=1)
    scale = check_real("scale", scale, low=0.0, low_open=True)
    return math.sqrt(2 * scale / (d_in + K))


def _committee_loss(model: ReluTwoLayer, x: torch.Tensor, xt: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    err = torch.relu(torch.bmm(model.W, xt) * model.input_scale).mean(1, keepdim=True) - target
    return err.pow(2).mean((1, 2))


def fit_data(model: ReluTwoLayer, x: torch.Tensor, y: torch.Tensor, *, steps: int, lr: float,
             record_every: int | None = None, weights: bool = True) -> History:
    """Full-batch gradient descent of a bias-free ReLU committee on fixed per-member data (Lufkin et al.).

    Member ``m`` computes ``phi_m(x) = (1/K) sum_k relu(w_mk . x)`` (a :class:`ReluTwoLayer`) and
    descends the mean squared error to the targets ``(1 + y)/2``, the loss of :func:`task_mse`
    (no factor 1/2), with :func:`nnlab.training.train` and the hand-written
    :meth:`ReluTwoLayer.gradient`. With a large ``n`` one step with learning rate ``lr`` is an
    Euler step of size ``lr`` of the flow in :mod:`nnlab.localization.theory`. Any generator can
    fill ``x``, one data set per member.

    Args:
        model: the committee, updated in place. x: inputs ``[M, n, d_in]``. y: labels ``[M, n]`` in ``{+-1}``.
        steps: gradient steps (>= 1). lr: learning rate (> 0).
        record_every: record every this many steps (default ``steps // 100``; step 0 and the last always).
        weights: also record the weights (metric ``"W"``, ``[M, K, d_in]`` per record, on the CPU).

    Returns:
        The :class:`~nnlab.training.History`: ``steps``, the loss ``[M]`` per record and, with
        ``weights``, ``history.array("W")`` of shape ``[T, M, K, d_in]``.
    """
    if not isinstance(model, ReluTwoLayer):
        raise ValueError(f"model must be a ReluTwoLayer, got {type(model).__name__}")
    dims = {"M": model.members, "d_in": model.d_in}
    x = check_tensor("x", x, "M n d_in", dims=dims, dtype=model.W.dtype).to(model.W.device)
    y = check_tensor("y", y, "M n", dims=dims, dtype=model.W.dtype).to(model.W.device)
    if not bool(((y == 1) | (y == -1)).all()):
        raise ValueError("y must hold labels +1 and -1 only")
    check_bool("weights", weights)
    xt = x.transpose(1, 2).contiguous()      # [M, d_in, n]: the fast layout for the forward product
    target = model.targets(y)[:, None, :]    # [M, 1, n]
    metrics = {"W": lambda m: m.W.detach().cpu().clone()} if weights else None
    # all three tensors have the member axis in front: full-batch "data" of M rows for train
    return train(model, _committee_loss, (x, xt, target), steps=steps, lr=lr, record_every=record_every,
                 metrics=metrics, progress=False, gradient=ReluTwoLayer.gradient)


def fit_online(model: ReluTwoLayer, sample: Callable[[int], tuple[torch.Tensor, torch.Tensor]], *, steps: int,
               lr: float, record_every: int | None = None, weights: bool = True) -> History:
    """Gradient descent of a bias-free ReLU committee on a fresh batch every step (the reference's protocol).

    Lufkin et al. draw ``num_epochs x batch_size`` exemplars and read each once, so every step
    sees new samples; ``sample(step)`` returns that step's batch ``x [M, n, d_in]``, labels
    ``y [M, n]`` in ``{+-1}`` (e.g. ``lambda t: data.sample(10_000, gen)`` with an
    :class:`~nnlab.localization.data.OnlineTwoClass`). The loss, gradient and learning rate are those of
    :func:`fit_data` (the hand-written :meth:`ReluTwoLayer.gradient`), so one step is an Euler
    step of size ``lr`` of the population gradient flow plus sampling noise.

    Args:
        model: the committee, updated in place. sample: ``step -> (x, y)``; the first batch is
            checked (shape, dtype, labels), later ones only by shape.
        steps: gradient steps (>= 1). lr: learning rate (> 0).
        record_every: record every this many steps (default ``steps // 100``; step 0 and the last always).
        weights: also record the weights (metric ``"W"``, ``[M, K, d_in]`` per record, on the CPU).

    Returns:
        The :class:`~nnlab.training.History`, as for :func:`fit_data`.
    """
    if not isinstance(model, ReluTwoLayer):
        raise ValueError(f"model must be a ReluTwoLayer, got {type(model).__name__}")
    if not callable(sample):
        raise ValueError(f"sample must be a callable step -> (x, y), got {type(sample).__name__}")
    steps = check_int("steps", steps, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    check_bool("weights", weights)
    dims = {"M": model.members, "d_in": model.d_in}
    device, dtype = model.W.device, model.W.dtype
    checked = []

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = sample(step)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise ValueError("sample(step) must return a pair (x, y)")
        x, y = out
        if not checked:
            x = check_tensor("x", x, "M n d_in", dims=dims)
            y = check_tensor("y", y, "M n", dims=dims)
            if not bool(((y == 1) | (y == -1)).all()):
                raise ValueError("y must hold labels +1 and -1 only")
            checked.append(True)
        elif x.ndim != 3 or x.shape[0] != model.members or x.shape[2] != model.d_in or y.shape != x.shape[:2]:
            raise ValueError(f"sample(step) returned x {tuple(x.shape)} and y {tuple(y.shape)} at step {step}")
        x = x.to(device=device, dtype=dtype).contiguous()
        return x, model._targets(y.to(device=device, dtype=dtype))

    metrics = {"W": lambda m: m.W.detach().cpu().clone()} if weights else None
    return train(model, _online_loss, batch, steps=steps, lr=lr, record_every=record_every,
                 metrics=metrics, progress=False, gradient=_online_gradient)


def _online_loss(model: ReluTwoLayer, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    err = torch.relu(torch.bmm(x, model.W.transpose(1, 2)) * model.input_scale).mean(-1) - target
    return err.pow(2).mean(-1)


def _online_gradient(model: ReluTwoLayer, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """:meth:`ReluTwoLayer.gradient` for a fresh batch ``x [M, n, d_in]`` (contiguous), targets ``[M, n]``.

    The same gradient, with both products over the contiguous ``x`` (a fresh batch comes
    without the transposed copy that :func:`fit_data` makes once).
    """
    W, c = model.W.detach(), model.input_scale
    u = torch.bmm(x, W.transpose(1, 2)) * c                 # [M, n, K]
    err = torch.relu(u).mean(-1, keepdim=True) - target[..., None]   # [M, n, 1]
    model.W.grad = torch.bmm((err * (u > 0)).transpose(1, 2), x) * (2 * c / (x.shape[1] * model.width))
    return err[..., 0].pow(2).mean(-1)
