"""Mutation harness for the bad-input contract (DESIGN §8): one valid call per public function.

A test module registers, for every public function or class of a package, one *valid* call:

    reg = Registry()
    reg.ok(loc.ipr, T(3, 5))                         # T(...) is a float tensor made fresh per call
    reg.ok(loc.TwoLayer, 2, 6, 3, generator=G(1))     # G(seed) is a fresh torch.Generator
    reg.ok(loc.fit, F(two_layer), F(task), steps=2, lr=0.1, skip={"lr": ["inf"]})

``mutations(case)`` then derives the bad calls: each floating tensor argument made integer,
complex, NaN-holding, inf-holding, empty and 0-d; each float option made NaN and inf; each bool
option given as the string ``"False"``; each string option given an unknown value. Every bad call
must raise a ``ValueError`` whose message names the argument, before any work: an ``nn.Module``
argument's parameters are unchanged afterwards. A mutation that is valid by contract (a function
documented to take ``[..., d]``, an option where ``inf`` means "no limit") is listed in ``skip``
with the mutation's name; the registry is the documentation of those exceptions.

Arguments are built fresh for every call (``F(factory)``), so one mutation cannot leak state
into the next.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch
from torch import nn

TENSOR_MUTATIONS = ("int", "complex", "nan", "inf", "empty", "0-d")
FLOAT_MUTATIONS = ("nan", "inf")


@dataclass(frozen=True)
class F:
    """An argument built fresh for every call: ``F(lambda: loc.TwoLayer(2, 6, 3))``."""

    factory: Callable[[], Any]

    def build(self) -> Any:
        return self.factory()


def T(*shape: int, seed: int = 0, dtype: torch.dtype = torch.float32, positive: bool = False) -> F:
    """A fresh random float tensor of ``shape`` (``abs`` of it with ``positive``)."""

    def make() -> torch.Tensor:
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)
        return x.abs() + 0.1 if positive else x

    return F(make)


def G(seed: int = 0) -> F:
    """A fresh ``torch.Generator`` seeded with ``seed``."""
    return F(lambda: torch.Generator().manual_seed(seed))


@dataclass
class Case:
    """One valid call of a public callable, and the mutations that are valid by its contract."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    skip: dict[str, list[str]] = field(default_factory=dict)
    name: str = ""

    def bound(self) -> dict[str, Any]:
        """The arguments by parameter name (positional ones matched to the signature)."""
        sig = inspect.signature(self.fn)
        return dict(sig.bind(*self.args, **self.kwargs).arguments)

    def values(self) -> dict[str, Any]:
        """Fresh arguments by parameter name."""
        return {k: _build(v) for k, v in self.bound().items()}

    def invoke(self, values: dict[str, Any]) -> Any:
        """Call ``fn`` with the arguments ``values`` (by parameter name)."""
        ba = inspect.signature(self.fn).bind_partial()
        ba.arguments.update(values)
        return self.fn(*ba.args, **ba.kwargs)


class Registry:
    """The valid calls of one test module, and the three tests derived from them.

    In a test module::

        reg = Registry()
        reg.ok(loc.ipr, T(3, 5))
        ...
        test_valid_call, test_bad_input, test_coverage = reg.tests([loc], exempt={...})
    """

    def __init__(self) -> None:
        self.cases: list[Case] = []

    def ok(self, fn: Callable[..., Any], *args: Any, skip: dict[str, list[str]] | None = None,
           name: str = "", **kwargs: Any) -> Case:
        """Register a valid call of ``fn`` (``name`` tells apart several cases of one function)."""
        case = Case(fn, args, kwargs, skip or {}, name or _qualname(fn))
        case.bound()  # fails at import if the call does not even match the signature
        self.cases.append(case)
        return case

    def rows(self) -> list[tuple[Case, str, str, Callable[[], Any]]]:
        """Flattened ``(case, argument, mutation, bad value factory)`` rows."""
        return [(c, arg, kind, make) for c in self.cases for arg, kind, make in mutations(c)]

    def missing(self, packages: list[Any], exempt: dict[str, str]) -> list[str]:
        """Public callables of ``packages`` with neither a registered call nor an exemption."""
        covered = {id(c.fn) for c in self.cases}
        return [f"{p.__name__}.{n}" for p in packages for n, f in public_callables(p).items()
                if id(f) not in covered and n not in exempt]

    def tests(self, packages: list[Any], exempt: dict[str, str]) -> tuple[Callable[..., None], ...]:
        """``(test_valid_call, test_bad_input, test_coverage)`` for pytest to collect."""
        rows = self.rows()

        @pytest.mark.parametrize("case", self.cases, ids=[c.name for c in self.cases])
        def test_valid_call(case: Case) -> None:
            check_valid(case)

        @pytest.mark.parametrize("case, arg, kind, make", rows,
                                 ids=[f"{c.name}-{a}-{k}" for c, a, k, _ in rows])
        def test_bad_input(case: Case, arg: str, kind: str, make: Callable[[], Any]) -> None:
            check_bad(case, arg, kind, make)

        def test_coverage() -> None:
            assert self.missing(packages, exempt) == []

        return test_valid_call, test_bad_input, test_coverage


def _qualname(fn: Callable[..., Any]) -> str:
    module = getattr(fn, "__module__", "") or ""
    return f"{module}.{getattr(fn, '__qualname__', repr(fn))}"


def _build(v: Any) -> Any:
    if isinstance(v, F):
        return v.build()
    if isinstance(v, list):
        return [_build(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_build(x) for x in v)
    return v


def _mutate_tensor(x: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "int":
        return x.round().to(torch.int64)
    if kind == "complex":
        return x.to(torch.complex64)
    if kind in ("nan", "inf"):
        y = x.clone()
        y.reshape(-1)[0] = math.nan if kind == "nan" else math.inf
        return y
    if kind == "empty":
        return x[:0] if x.ndim else x.reshape(1)[:0]
    if kind == "0-d":
        return x.reshape(-1)[0].clone()
    raise AssertionError(kind)


def mutations(case: Case) -> list[tuple[str, str, Any]]:
    """Every bad variant of ``case``: ``(argument name, mutation name, bad value factory)``."""
    out = []
    for name, value in case.bound().items():
        skipped = case.skip.get(name, [])
        if "all" in skipped:
            continue
        sample = _build(value)
        if isinstance(sample, torch.Tensor) and sample.is_floating_point() and sample.numel() > 0:
            kinds = TENSOR_MUTATIONS
            if sample.ndim == 0:
                kinds = ("int", "complex", "nan", "inf")
            for kind in kinds:
                if kind not in skipped:
                    out.append((name, kind, (lambda v=value, k=kind: _mutate_tensor(_build(v), k))))
        elif isinstance(sample, bool):
            if "str" not in skipped:
                out.append((name, "str", lambda: "False"))
        elif isinstance(sample, float):
            for kind in FLOAT_MUTATIONS:
                if kind not in skipped:
                    bad = math.nan if kind == "nan" else math.inf
                    out.append((name, kind, lambda b=bad: b))
        elif isinstance(sample, str):
            if "unknown" not in skipped:
                out.append((name, "unknown", lambda: "no-such-option"))
    return out


def parameters_of(values: dict[str, Any]) -> dict[str, list[torch.Tensor]]:
    """Copies of the parameters of every ``nn.Module`` argument (to check no state changed)."""
    return {k: [p.detach().clone() for p in v.parameters()] for k, v in values.items() if isinstance(v, nn.Module)}


def check_valid(case: Case) -> Any:
    """The registered call itself must work (else the mutations test nothing)."""
    return case.invoke(case.values())


def check_bad(case: Case, arg: str, kind: str, make: Callable[[], Any]) -> None:
    """The mutated call raises a ``ValueError`` naming ``arg`` and leaves every module argument unchanged."""
    values = case.values()
    values[arg] = make()
    before = parameters_of(values)
    try:
        case.invoke(values)
    except ValueError as err:
        message = str(err)
    except Exception as err:  # the point: anything but a ValueError is a failure
        raise AssertionError(f"{case.name}({arg}={kind}) raised {type(err).__name__}: {err}") from err
    else:
        raise AssertionError(f"{case.name}({arg}={kind}) was accepted")
    assert arg in message, f"{case.name}({arg}={kind}): the message does not name {arg!r}: {message}"
    for key, params in before.items():
        now = list(values[key].parameters())
        assert all(torch.equal(a, b.detach()) for a, b in zip(params, now)), f"{case.name}: {key} changed"


def public_callables(module: Any) -> dict[str, Callable[..., Any]]:
    """The callables a package exports in ``__all__`` (constants left out)."""
    return {n: getattr(module, n) for n in getattr(module, "__all__", []) if callable(getattr(module, n))}
