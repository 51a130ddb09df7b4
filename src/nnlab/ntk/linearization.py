"""The linearized network ``f_lin(x; theta) = f(x; theta0) + J(x) (theta - theta0)``.

:func:`linearize` freezes a copy of the network at ``theta0`` and returns a module whose
trainable parameters ``theta`` start at ``theta0``. Its forward pass is one forward-mode
product ``torch.func.jvp`` (the Jacobian is never formed), so it trains with the same loop
(:func:`nnlab.training.train`) and at about the cost of the network (Lee et al. 2019).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn
from torch.func import functional_call, jvp

from ..members import flat_name, meta_skeleton
from ..validation import check_tensor

__all__ = ["Linearized", "linearize", "parameter_distance"]


class Linearized(nn.Module):
    """First-order Taylor model of ``model`` around its current parameters ``theta0``.

    Args:
        model: the network at ``theta0`` (it is copied; training ``model`` later does not
            change this module, and vice versa).

    ``forward(x)`` returns ``f(x; theta0) + J(x) (theta - theta0)`` with the same shape as
    ``model(x)``. The parameters of this module are ``theta`` (same names and shapes as the
    model's, dots replaced by ``__``); ``theta0`` is kept in buffers. ``x`` must be a non-empty
    tensor (the wrapped model checks its dtype and shape); like the model's own forward pass it
    is not scanned for NaN/inf.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        if not isinstance(model, nn.Module):
            raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        named = dict(model.named_parameters())
        if not named:
            raise ValueError("model must have parameters to linearize around")
        self._names = list(named)
        for name, value in named.items():
            self.register_buffer(flat_name(name) + "__0", value.detach().clone())
            self.register_parameter(flat_name(name), nn.Parameter(value.detach().clone()))
        self._buffer_names = [n for n, _ in model.named_buffers()]
        for name, value in model.named_buffers():
            self.register_buffer(flat_name(name) + "__b", value.detach().clone())
        self._skeleton = meta_skeleton(model)

    def theta0(self) -> dict[str, torch.Tensor]:
        """The expansion point ``{name: tensor}``."""
        return {n: getattr(self, flat_name(n) + "__0") for n in self._names}

    def theta(self) -> dict[str, torch.Tensor]:
        """The current (trainable) parameters ``{name: tensor}``."""
        return {n: getattr(self, flat_name(n)) for n in self._names}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``f(x; theta0) + J(x) (theta - theta0)``, by one ``torch.func.jvp``."""
        x = check_tensor("x", x, floating=False, finite=False)
        skeleton = self._skeleton[0]
        buffers = {n: getattr(self, flat_name(n) + "__b") for n in self._buffer_names}
        theta0, theta = self.theta0(), self.theta()
        tangent = {n: theta[n] - theta0[n] for n in self._names}

        def f(p: dict) -> torch.Tensor:
            return functional_call(skeleton, (p, buffers), (x,))

        out, change = jvp(f, (theta0,), (tangent,))
        return out + change


def linearize(model: nn.Module) -> Linearized:
    """The linearization of ``model`` around its current parameters (see :class:`Linearized`)."""
    return Linearized(model)


def parameter_distance(model: nn.Module, reference: dict[str, torch.Tensor]) -> float:
    """Relative distance ``|theta - theta_ref| / |theta_ref|`` over all parameters (Euclidean norms).

    Args:
        model: the module whose ``named_parameters()`` give ``theta``.
        reference: ``{name: tensor}`` with the same names and shapes (e.g. a ``state_dict``
            copied before training): real floating, finite tensors, never broadcast.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(reference, Mapping):
        raise ValueError(f"reference must be a dict {{name: tensor}}, got {type(reference).__name__}")
    named = dict(model.named_parameters())
    if set(named) != set(reference):
        raise ValueError(f"reference must have the parameter names {sorted(named)}, got {sorted(reference)}")
    reference = {k: check_tensor(f"reference[{k!r}]", reference[k], tuple(p.shape)) for k, p in named.items()}
    num = sum(float(((named[k].detach() - reference[k].to(named[k])) ** 2).sum()) for k in named)
    den = sum(float((reference[k] ** 2).sum()) for k in named)
    return (num / den) ** 0.5 if den > 0 else float("inf")
