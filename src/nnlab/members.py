"""Many independent models trained as one: the member axis, and the grid of configurations on it.

Every experiment of the book that trains many models (seeds, widths, gains, sparsities) stacks
them along one leading *member axis*. A :class:`Members` model holds ``M`` independent models in
tensors whose first dimension is ``M``; member ``m`` uses slice ``m`` of each of them and nothing
else, so the gradient of the summed per-member losses with respect to member ``m``'s slice is
the gradient of member ``m``'s own loss, and one batched model trained by
:func:`nnlab.training.train` follows the trajectories of ``M`` models trained alone.

The data convention is the same for every such model: an input shared by all members has the
shape of one model's input, ``[n, ...]``; per-member inputs carry the member axis in front,
``[M, n, ...]``; outputs are always ``[M, n, ...]``.

A :class:`Grid` names the configuration of every member (e.g. kind × gain × seed), so the
per-member results ``[M, ...]`` can be reshaped to ``[kinds, gains, seeds, ...]`` and a
configuration looked up by name instead of by index arithmetic.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from .validation import check_int

__all__ = ["Members", "SingleMember", "Grid", "member_input", "flat_name", "meta_skeleton"]


def flat_name(name: str) -> str:
    """A parameter name usable as a module attribute: ``"0.weight"`` -> ``"0__weight"``."""
    if not isinstance(name, str):
        raise ValueError(f"name must be a string, got {type(name).__name__}")
    return name.replace(".", "__")


def meta_skeleton(module: nn.Module) -> list[nn.Module]:
    """A weightless copy of ``module`` on the ``meta`` device for ``torch.func.functional_call``.

    Returned in a one-element list, so that assigning it to an attribute does not register it
    as a submodule (its parameters are supplied at call time).
    """
    if not isinstance(module, nn.Module):
        raise ValueError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    return [copy.deepcopy(module).to("meta")]


def member_input(name: str, x: torch.Tensor, members: int, single_ndim: int) -> torch.Tensor:
    """``x`` in the per-member layout ``[M, ...]``: a shared input is expanded (a view, no copy).

    Args:
        name: the argument's name for the message.
        x: ``[*single]`` with ``single_ndim`` dimensions (shared by all members) or ``[M, *single]``.
        members: ``M``.
        single_ndim: the number of dimensions of one member's input.

    Only the layout is checked (callers check dtype and values first); an empty ``x`` is rejected.
    """
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a tensor, got {type(x).__name__}")
    members = check_int("members", members, minimum=1)
    single_ndim = check_int("single_ndim", single_ndim, minimum=0)
    if x.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    if x.ndim == single_ndim:
        return x.expand(members, *x.shape)
    if x.ndim == single_ndim + 1 and x.shape[0] == members:
        return x
    raise ValueError(f"{name} must have {single_ndim} dimensions (shared by all members) or {single_ndim + 1} "
                     f"with {members} (one slice per member) in front, got shape {tuple(x.shape)}")


class Members(nn.Module):
    """Base class of models that hold ``M`` independent members along a leading member axis.

    A subclass sets ``self.members`` (the count ``M``) in its ``__init__`` and lists in
    ``member_tensors`` the names of its parameters and buffers that carry the member axis (all
    others are shared by the members and copied unchanged). Then:

    - :meth:`select` returns a model of the same class holding the listed members;
    - :meth:`member` returns member ``i`` as an ordinary single module (input without the
      member axis, output without it);
    - :meth:`param_groups` gives the optimizer set-up (one group by default), so that
      :func:`nnlab.training.train` takes it from the model.
    """

    members: int
    member_tensors: tuple[str, ...] = ()

    def _member_index(self, idx: int | Iterable[int] | torch.Tensor) -> list[int]:
        if isinstance(idx, torch.Tensor):
            idx = idx.flatten().tolist()
        items = [idx] if isinstance(idx, (int, np.integer)) else list(idx)
        if not items:
            raise ValueError("idx must list at least one member index")
        return [check_int("idx[i]", i, minimum=0, maximum=self.members - 1) for i in items]

    def select(self, idx: int | Iterable[int] | torch.Tensor) -> Members:
        """A new model of the same class holding copies of members ``idx`` (in that order).

        ``select(range(M))`` is a copy of the whole model, ``select([i])`` member ``i`` alone
        (still with a member axis of length 1). Shared tensors are copied unchanged.
        """
        index = self._member_index(idx)
        new = copy.deepcopy(self)
        rows = torch.tensor(index)
        for name in self.member_tensors:
            old = getattr(self, name)
            part = old.detach()[rows.to(old.device)].clone()
            if isinstance(old, nn.Parameter):
                setattr(new, name, nn.Parameter(part, requires_grad=old.requires_grad))
            else:
                new.register_buffer(name, part)
        new.members = len(index)
        new._select_state(index)
        return new

    def _select_state(self, index: list[int]) -> None:
        """Hook for per-member state that is not a tensor (e.g. a list of widths); ``self`` is the copy."""

    def member(self, i: int) -> nn.Module:
        """Member ``i`` as an ordinary module: input ``[n, ...]`` without the member axis, output ``[n, ...]``."""
        (i,) = self._member_index([i])
        return SingleMember(self.select([i]))

    def param_groups(self, lr: float) -> list[dict[str, Any]]:
        """The optimizer's parameter groups at learning rate ``lr`` (default: one group of every parameter)."""
        return [{"params": [p for p in self.parameters() if p.requires_grad], "lr": lr}]

    def extra_repr(self) -> str:
        return f"members={self.members}"


class SingleMember(nn.Module):
    """One member of a :class:`Members` model as an ordinary module: ``x -> model(x)[0]``."""

    def __init__(self, model: Members):
        super().__init__()
        if model.members != 1:
            raise ValueError(f"model must hold exactly one member, got {model.members}")
        self.model = model

    def forward(self, x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        return self.model(x, *args, **kwargs)[0]


class Grid:
    """The configuration of every member: the Cartesian product of named axes, the last varying fastest.

    ``Grid(kind=["nlgp", "clone"], gain=[1, 3], seed=2)`` has 8 members ordered
    ``(nlgp, 1, 0), (nlgp, 1, 1), (nlgp, 3, 0), ...``. An axis given as an integer ``k`` takes
    the values ``0..k-1`` (a count, e.g. of seeds).

    Attributes:
        names: the axis names, in order. shape: the number of values per axis.
    """

    def __init__(self, **axes: Sequence[Any] | int):
        if not axes:
            raise ValueError("Grid needs at least one axis, e.g. Grid(seed=3)")
        self._values: dict[str, list[Any]] = {}
        for name, values in axes.items():
            if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
                values = range(check_int(name, values, minimum=1))
            elif isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
                raise ValueError(f"axis {name} must be a sequence of values or a count, got {values!r}")
            items = values.tolist() if isinstance(values, (torch.Tensor, np.ndarray)) else list(values)
            if not items:
                raise ValueError(f"axis {name} must hold at least one value, got an empty sequence")
            self._values[name] = items
        self.names = tuple(self._values)
        self.shape = tuple(len(v) for v in self._values.values())

    @property
    def members(self) -> int:
        """The number of members ``M`` (the product of the axis lengths)."""
        return math.prod(self.shape)

    def __len__(self) -> int:
        return self.members

    def values(self, name: str) -> list[Any]:
        """The values of axis ``name``."""
        return list(self._values[self._axis(name)])

    def _axis(self, name: str) -> str:
        if name not in self._values:
            raise ValueError(f"name must be one of the axes {self.names}, got {name!r}")
        return name

    def configs(self) -> list[dict[str, Any]]:
        """Every member's configuration, in member order: ``[{axis: value, ...}, ...]``."""
        return [dict(zip(self.names, combo)) for combo in itertools.product(*self._values.values())]

    def column(self, name: str) -> list[Any]:
        """The value of axis ``name`` for every member, in member order: a list of length ``M``."""
        axis = self.names.index(self._axis(name))
        inner = math.prod(self.shape[axis + 1:])
        values = self._values[name]
        return [values[(m // inner) % len(values)] for m in range(self.members)]

    def index(self, **config: Any) -> int | list[int]:
        """The member index of a configuration (all axes named), or the indices matching some axes.

        ``grid.index(kind="clone", gain=3, seed=0)`` is one ``int``; ``grid.index(kind="clone")``
        lists every member with that value, in member order.
        """
        for name, value in config.items():
            if value not in self._values[self._axis(name)]:
                raise ValueError(f"{name} must be one of {self._values[name]}, got {value!r}")
        if set(config) == set(self.names):
            pos = [self._values[n].index(config[n]) for n in self.names]
            return int(np.ravel_multi_index(pos, self.shape))
        return [m for m, c in enumerate(self.configs()) if all(c[n] == v for n, v in config.items())]

    def reshape(self, values: torch.Tensor | np.ndarray | Sequence[Any]) -> torch.Tensor:
        """Per-member values ``[M, ...]`` reshaped to ``[*shape, ...]`` (one dimension per axis).

        A numpy array or a list is converted to a tensor first, so the result is always a tensor.
        """
        values = torch.as_tensor(np.asarray(values)) if not isinstance(values, torch.Tensor) else values
        if values.ndim < 1 or values.shape[0] != self.members:
            raise ValueError(f"values must have {self.members} (one per member) in front, got shape "
                             f"{tuple(values.shape)}")
        return values.reshape(*self.shape, *values.shape[1:])

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={len(v)}" for n, v in self._values.items())
        return f"Grid({inner}; members={self.members})"
