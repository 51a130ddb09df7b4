"""The chapter's experiments: data on a circle, and a network trained beside its linearization.

:func:`train_side_by_side` trains a network and its linearization from the same ``theta0`` with
the same loop and learning rate, and measures how far they drift apart (Lee et al. 2019):
``|f - f_lin|`` on test inputs and the relative kernel change
``|Theta_T - Theta_0|_F / |Theta_0|_F``. :func:`lazy_sweep` repeats it over widths.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from ..training import History, train
from ..validation import check_choice, check_float_dtype, check_int, check_real, check_tensor
from .kernels import empirical_ntk
from .linearization import Linearized, linearize, parameter_distance
from .models import MLP, PARAMETERIZATIONS

__all__ = ["circle", "half_mse", "SideBySide", "train_side_by_side", "lazy_sweep"]


def circle(angles: torch.Tensor) -> torch.Tensor:
    """Points ``sqrt(2) (cos phi, sin phi)`` on the circle of radius ``sqrt(2)`` in ``R^2``: ``[m]`` -> ``[m, 2]``.

    The radius makes ``|x|^2 / d = 1``, so the NTK of :class:`MLP` has ``Theta(x, x) = 1``.
    ``angles`` must be a non-empty, real floating, finite 1-D tensor.
    """
    if not isinstance(angles, torch.Tensor) or angles.ndim != 1:
        raise ValueError(f"angles must be a 1-D tensor, got {getattr(angles, 'shape', type(angles))}")
    check_tensor("angles", angles, "m")
    return math.sqrt(2) * torch.stack([torch.cos(angles), torch.sin(angles)], dim=-1)


def half_mse(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The loss ``(1/2N) sum_i (f(x_i) - y_i)^2`` over the ``N`` inputs, used throughout the chapter.

    ``x`` and ``y`` must be non-empty, real floating and finite; ``y`` must have the shape of
    ``model(x)`` (never broadcast).
    """
    x = check_tensor("x", x)
    y = check_tensor("y", y)
    out = model(x)
    if y.shape != out.shape:
        raise ValueError(f"y must have the shape of model(x), {tuple(out.shape)}, got {tuple(y.shape)}")
    return 0.5 * ((out - y) ** 2).mean()


@dataclass
class SideBySide:
    """Result of :func:`train_side_by_side` (all numbers are Python floats)."""

    net: torch.nn.Module
    lin: Linearized
    f_gap: float  # RMS of f_T - f_lin,T on the test inputs
    f_move: float  # RMS of f_T - f_0 on the test inputs (how far the function travelled)
    kernel_change: float  # |Theta_T - Theta_0|_F / |Theta_0|_F on the kernel inputs
    weight_change: float  # |theta_T - theta_0| / |theta_0|
    net_loss: float
    lin_loss: float
    net_history: History | None = field(default=None, repr=False)
    lin_history: History | None = field(default=None, repr=False)


def _check_data(x: torch.Tensor, y: torch.Tensor, x_test: torch.Tensor,
                kernel_inputs: torch.Tensor | None = None) -> None:
    """``x [N, d]``, ``y [N]``, ``x_test [m, d]`` and ``kernel_inputs [k, d]``: real floating, finite, non-empty."""
    for name, v in (("x", x), ("y", y), ("x_test", x_test), ("kernel_inputs", kernel_inputs)):
        if v is not None and not isinstance(v, torch.Tensor):
            raise ValueError(f"{name} must be a tensor, got {type(v).__name__}")
    dims: dict[str, int] = {}
    check_tensor("x", x, "n d", dims=dims)
    check_tensor("y", y, "n", dims=dims)
    check_tensor("x_test", x_test, "m d", dims=dims)
    if kernel_inputs is not None:
        check_tensor("kernel_inputs", kernel_inputs, "k d", dims=dims)


def train_side_by_side(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, x_test: torch.Tensor, *, steps: int,
                       lr: float, kernel_inputs: torch.Tensor | None = None, metrics: dict | None = None,
                       record_every: int | None = None) -> SideBySide:
    """Train ``model`` and its linearization at ``theta0`` by full-batch gradient descent on :func:`half_mse`.

    Args:
        model: the network at ``theta0`` (trained in place); an :class:`MLP` or any scalar-output
            module (its ``lr_scale`` attribute, if any, multiplies the learning rate).
        x, y: training inputs ``[N, d]`` and targets ``[N]``.
        x_test: inputs ``[m, d]`` where the two functions are compared.
        steps: gradient-descent steps (>= 1).
        lr: width-independent learning rate (> 0); the step is ``lr * model.lr_scale``.
        kernel_inputs: inputs on which ``Theta_0`` and ``Theta_T`` are compared (default ``x``).
        metrics: extra ``{name: fn(module)}`` recorded for both runs (see :func:`nnlab.training.train`).
        record_every: record interval of the histories.

    Returns:
        :class:`SideBySide`.
    """
    steps = check_int("steps", steps, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if record_every is not None:
        check_int("record_every", record_every, minimum=1)
    _check_data(x, y, x_test, kernel_inputs)
    kx = x if kernel_inputs is None else kernel_inputs
    lin = linearize(model)
    theta0 = {k: v.detach().clone() for k, v in model.named_parameters()}
    k0 = empirical_ntk(model, kx)
    with torch.no_grad():
        f0 = model(x_test)
    step = lr * getattr(model, "lr_scale", 1.0)
    h_net = train(model, half_mse, (x, y), steps=steps, lr=step, metrics=metrics, record_every=record_every,
                  progress=False)
    h_lin = train(lin, half_mse, (x, y), steps=steps, lr=step, metrics=metrics, record_every=record_every,
                  progress=False)
    kt = empirical_ntk(model, kx)
    with torch.no_grad():
        f_net, f_lin = model(x_test), lin(x_test)
    rms = lambda v: float(v.pow(2).mean().sqrt())  # noqa: E731
    return SideBySide(
        net=model, lin=lin, f_gap=rms(f_net - f_lin), f_move=rms(f_net - f0),
        kernel_change=float(torch.linalg.norm(kt - k0) / torch.linalg.norm(k0)),
        weight_change=parameter_distance(model, theta0),
        net_loss=float(h_net.final_loss), lin_loss=float(h_lin.final_loss), net_history=h_net, lin_history=h_lin,
    )


def lazy_sweep(widths: Sequence[int], x: torch.Tensor, y: torch.Tensor, x_test: torch.Tensor, *, steps: int,
               lr: float, depth: int = 1, parameterization: str = "ntk", seeds: int = 1,
               dtype: torch.dtype = torch.float32) -> list[dict[str, float]]:
    """:func:`train_side_by_side` for each width and seed; the initial weights come from ``generator(seed)``.

    Args:
        widths: hidden widths (each >= 1).
        x, y, x_test, steps, lr: as in :func:`train_side_by_side` (on the device of ``x``).
        depth, parameterization: of :class:`MLP`.
        seeds: the number of initializations, seeds ``0 .. seeds-1``; the rows average over them.
        dtype: dtype of the networks.

    Returns:
        One dictionary per width: ``width``, ``f_gap``, ``f_move``, ``kernel_change``,
        ``weight_change``, ``net_loss``, ``lin_loss`` (means over seeds), and ``per_seed``: for each
        of these keys the list of the values of the individual seeds (e.g. for the spread of a slope).
    """
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
        raise ValueError(f"widths must be a sequence of integers, got {widths!r}")
    widths = [check_int("widths[i]", w, minimum=1) for w in widths]
    seeds = range(check_int("seeds", seeds, minimum=1))
    if not widths:
        raise ValueError("widths must not be empty")
    steps = check_int("steps", steps, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    depth = check_int("depth", depth, minimum=1)
    check_choice("parameterization", parameterization, PARAMETERIZATIONS)
    check_float_dtype("dtype", dtype)
    _check_data(x, y, x_test)
    keys = ("f_gap", "f_move", "kernel_change", "weight_change", "net_loss", "lin_loss")
    rows = []
    for w in widths:
        per_seed = {k: [] for k in keys}
        for s in seeds:
            net = MLP(x.shape[1], w, depth, parameterization, generator=torch.Generator().manual_seed(s), dtype=dtype)
            res = train_side_by_side(net.to(x.device), x, y, x_test, steps=steps, lr=lr)
            for k in keys:
                per_seed[k].append(getattr(res, k))
        rows.append({"width": w, **{k: sum(v) / len(v) for k, v in per_seed.items()}, "per_seed": per_seed})
    return rows
