"""Shallow ReLU networks as sums of elbows, batched over many widths and seeds.

A one-hidden-layer ReLU network on a scalar input is a constant plus a sum of elbows,

    f(x) = c + sum_j a_j ReLU(w_j x + b_j),

where elbow ``j`` is flat on one side of its breakpoint ``beta_j = -b_j / w_j`` and has slope
``a_j w_j`` on the other. :class:`ElbowNet` holds ``M`` such networks of possibly different
widths as one batched model (units beyond a member's width are masked), so a sweep over widths
and seeds trains as one model.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import torch
from torch import nn

from ..members import Members
from ..training import History, mse_per_member, train
from ..validation import check_choice, check_float_dtype, check_int, check_real, check_tensor

__all__ = ["ElbowNet", "interpolant", "fit_elbow_nets", "train_elbow_nets", "elbow_status", "distance_to_nearest"]

INITS = ("standard", "uniform")


def _interval(lo: float, hi: float) -> tuple[float, float]:
    lo = check_real("lo", lo)
    hi = check_real("hi", hi)
    if not lo < hi:
        raise ValueError(f"lo must be smaller than hi, got lo={lo}, hi={hi}")
    return lo, hi


class ElbowNet(Members):
    """``M`` one-hidden-layer ReLU networks on a scalar input, as one batched model.

    Args:
        widths: the width (number of elbows) of each of the ``M`` members, each >= 1.
        init: ``"standard"`` is PyTorch's default for ``Linear(1, H)`` then ``Linear(H, 1)``
            (w, b ~ U(-1, 1); a, c ~ U(-1/sqrt(H), 1/sqrt(H))); ``"uniform"`` puts the
            breakpoints uniformly in ``[lo, hi]`` with w = +-1 at random and the same a, c.
        lo, hi: the input interval, used by ``init="uniform"``.
        generator: CPU generator for the initial weights.
        dtype: parameter dtype.

    Parameters ``w, b, a`` have shape ``[M, H]`` with ``H = max(widths)``, ``c`` has shape
    ``[M]``; ``mask[m, j] = 1`` for the units member ``m`` really has. ``forward(x)`` maps
    ``x: [N]`` (or ``[N, 1]``; cast to the parameters' dtype) to ``[M, N]``; being the training
    loop's hot path it checks the dtype and shape of ``x`` but not its values (NaN or inf
    propagate; a finiteness check would synchronize the device every step). A
    :class:`~nnlab.members.Members` model: ``select`` keeps the
    chosen members' widths, ``member(i)`` is an ordinary ``nn.Sequential``.
    """

    member_tensors = ("w", "b", "a", "c", "mask")

    def __init__(
        self,
        widths: Sequence[int],
        init: str = "standard",
        lo: float = -1.0,
        hi: float = 1.0,
        generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float32,
    ):
        super().__init__()
        widths = [check_int("widths[i]", w, minimum=1) for w in _as_list("widths", widths)]
        check_choice("init", init, INITS)
        lo, hi = _interval(lo, hi)
        dtype = check_float_dtype("dtype", dtype)
        M, H = len(widths), max(widths)
        mask = (torch.arange(H)[None, :] < torch.tensor(widths)[:, None]).to(dtype)
        u = lambda *shape: 2 * torch.rand(*shape, generator=generator, dtype=dtype) - 1  # noqa: E731
        scale = 1 / torch.tensor(widths, dtype=dtype).sqrt()[:, None]
        if init == "standard":
            w, b = u(M, H), u(M, H)
        else:
            w = torch.where(torch.rand(M, H, generator=generator) < 0.5, -1.0, 1.0).to(dtype)
            beta = lo + (hi - lo) * torch.rand(M, H, generator=generator, dtype=dtype)
            b = -w * beta
        a, c = u(M, H) * scale, u(M, 1)[:, 0] * scale[:, 0]
        self.widths, self.members = widths, M
        self.w, self.b = nn.Parameter(w * mask), nn.Parameter(b * mask)
        self.a, self.c = nn.Parameter(a * mask), nn.Parameter(c)
        self.register_buffer("mask", mask)

    def _select_state(self, index: list[int]) -> None:
        self.widths = [self.widths[i] for i in index]
        self.__dict__.pop("_unit_cache", None)

    @classmethod
    def from_elbows(
        cls, w: torch.Tensor, b: torch.Tensor, a: torch.Tensor, c: torch.Tensor,
        widths: Sequence[int] | None = None,
    ) -> ElbowNet:
        """A network with the given parameters: ``w, b, a`` of shape ``[M, H]``, ``c`` of shape ``[M]``.

        ``widths`` (default: all ``H``) masks the units beyond each member's width.
        """
        dims: dict[str, int] = {}
        w = check_tensor("w", w, "M H", dims=dims)
        b, a = (check_tensor(n, v, "M H", dims=dims, dtype=w.dtype) for n, v in (("b", b), ("a", a)))
        c = check_tensor("c", c, "M", dims=dims, dtype=w.dtype)
        M, H = w.shape
        net = cls([H] * M, dtype=w.dtype)
        if widths is not None:
            widths = [check_int("widths[i]", k, minimum=1, maximum=H) for k in _as_list("widths", widths)]
            if len(widths) != M:
                raise ValueError(f"widths must have one entry per member ({M}), got {len(widths)}")
            net.widths = widths
            net.mask.copy_((torch.arange(H)[None, :] < torch.tensor(widths)[:, None]).to(w.dtype))
        with torch.no_grad():
            for p, v in zip((net.w, net.b, net.a), (w, b, a)):
                p.copy_(v * net.mask)
            net.c.copy_(c)
        return net

    @classmethod
    def cat(cls, nets: Sequence[ElbowNet]) -> ElbowNet:
        """One network holding the members of ``nets`` in order (widths kept, padded to the widest).

        All ``nets`` must share a dtype; the result lives on the CPU-or-device of the first. Used
        to train differently initialized networks (random starts and a construction) in one run.
        """
        if isinstance(nets, ElbowNet) or not isinstance(nets, (list, tuple)) or not nets:
            raise ValueError(f"nets must be a non-empty list of ElbowNet, got {type(nets).__name__}")
        for i, n in enumerate(nets):
            if not isinstance(n, ElbowNet):
                raise ValueError(f"nets[{i}] must be an ElbowNet, got {type(n).__name__}")
            if n.w.dtype != nets[0].w.dtype:
                raise ValueError(f"nets must share one dtype, got {nets[0].w.dtype} and {n.w.dtype} (nets[{i}])")
        H = max(max(n.widths) for n in nets)

        def pad(t: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.pad(t.detach(), (0, H - t.shape[1]))

        w, b, a = (torch.cat([pad(getattr(n, k)) for n in nets]) for k in ("w", "b", "a"))
        c = torch.cat([n.c.detach() for n in nets])
        widths = [k for n in nets for k in n.widths]
        return cls.from_elbows(w.cpu(), b.cpu(), a.cpu(), c.cpu(), widths=widths).to(nets[0].w.device)

    def elbows(self, x: torch.Tensor) -> torch.Tensor:
        """Each unit's contribution ``a_j ReLU(w_j x + b_j)``: ``[M, H, N]`` for ``x: [N]`` (finite)."""
        x = _as_inputs(x, self.w)
        h = torch.relu(self.w[:, :, None] * x + self.b[:, :, None])
        return (self.a * self.mask)[:, :, None] * h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``f(x) = c + sum_j a_j ReLU(w_j x + b_j)`` for every member: ``[M, N]``.

        Only real (unmasked) units are computed: they are gathered into one flat list and
        their contributions summed per member with ``index_add``, so a sweep of widths
        1..64 costs the sum of the widths, not ``M * max(widths)``.
        """
        x = _as_inputs(x, self.w, finite=False)[0, 0]
        m, j = self._units()
        h = torch.relu(self.w[m, j, None] * x + self.b[m, j, None])
        out = torch.zeros(len(self.widths), x.shape[0], dtype=h.dtype, device=h.device)
        return out.index_add(0, m, self.a[m, j, None] * h) + self.c[:, None]

    def _units(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(member, unit) indices of the real units, cached per device and mask version."""
        key = (self.mask.device, self.mask._version)
        cache = getattr(self, "_unit_cache", None)
        if cache is None or cache[0] != key:
            m, j = (self.mask > 0).nonzero(as_tuple=True)
            self._unit_cache = (key, m, j)
        return self._unit_cache[1], self._unit_cache[2]

    def breakpoints(self) -> torch.Tensor:
        """Breakpoints ``-b_j / w_j``: ``[M, H]``, NaN for masked units and ``w_j = 0``."""
        w = self.w.detach()
        beta = -self.b.detach() / torch.where(w == 0, torch.ones_like(w), w)
        return torch.where((self.mask > 0) & (w != 0), beta, torch.full_like(beta, float("nan")))

    def member(self, i: int) -> nn.Sequential:
        """Member ``i`` as ``Linear(1, width) -> ReLU -> Linear(width, 1)``."""
        i = check_int("i", i, minimum=0, maximum=len(self.widths) - 1)
        k = self.widths[i]
        # skip_init: nn.Linear's own random init would draw from the global RNG for nothing
        first, second = nn.utils.skip_init(nn.Linear, 1, k), nn.utils.skip_init(nn.Linear, k, 1)
        with torch.no_grad():
            first.weight.copy_(self.w[i, :k, None])
            first.bias.copy_(self.b[i, :k])
            second.weight.copy_(self.a[i, None, :k])
            second.bias.copy_(self.c[i, None])
        return nn.Sequential(first, nn.ReLU(), second).to(self.w.dtype)


def _as_list(name: str, values: Sequence[int] | int) -> list:
    if isinstance(values, (str, bytes)) or not (isinstance(values, numbers.Integral) or hasattr(values, "__iter__")):
        raise ValueError(f"{name} must be an integer or a sequence of integers, got {values!r}")
    values = [values] if isinstance(values, numbers.Integral) else list(values)
    if not values:
        raise ValueError(f"{name} must hold at least one value, got an empty sequence")
    return values


def _check_net(net: object) -> None:
    if not isinstance(net, ElbowNet):
        raise ValueError(f"net must be an ElbowNet, got {type(net).__name__}")


def _as_inputs(x: torch.Tensor, like: torch.Tensor, name: str = "x", finite: bool = True) -> torch.Tensor:
    x = check_tensor(name, x, dtype=like.dtype, finite=finite)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"{name} must have shape [N] or [N, 1] (scalar inputs), got {tuple(x.shape)}")
    return x.to(like.device)[None, None, :]


def interpolant(
    f: Callable[[torch.Tensor], torch.Tensor],
    pieces: Sequence[int] | int,
    lo: float = -1.0,
    hi: float = 1.0,
    dtype: torch.dtype = torch.float64,
) -> ElbowNet:
    """The piecewise-linear interpolant of ``f`` at ``n + 1`` equispaced knots, as elbows.

    On ``[lo, hi]`` with knots ``x_k = lo + k h``, ``h = (hi - lo) / n`` and slopes
    ``s_k = (f(x_{k+1}) - f(x_k)) / h``, the interpolant is

        f(lo) + s_0 ReLU(x - x_0) + sum_{k=1}^{n-1} (s_k - s_{k-1}) ReLU(x - x_k),

    a network of width ``n``. For smooth ``f`` its sup error is at most ``h^2 max|f''| / 8``,
    and for ``f = x^2`` exactly ``h^2 / 4``.

    Args:
        f: vectorized target, tensor ``[N] -> [N]``; its values at the knots must be real and finite.
        pieces: the number of linear pieces ``n`` (one member per entry).
        lo, hi: the interval, ``lo < hi``. dtype: a floating dtype.
    """
    if not callable(f):
        raise ValueError(f"f must be a callable tensor [N] -> [N], got {type(f).__name__}")
    lo, hi = _interval(lo, hi)
    pieces = [check_int("pieces[i]", n, minimum=1) for n in _as_list("pieces", pieces)]
    dtype = check_float_dtype("dtype", dtype)
    H = max(pieces)
    w = torch.zeros(len(pieces), H, dtype=dtype)
    b, a, c = torch.zeros_like(w), torch.zeros_like(w), torch.zeros(len(pieces), dtype=dtype)
    for m, n in enumerate(pieces):
        knots = torch.linspace(lo, hi, n + 1, dtype=dtype)
        values = _knot_values(f, knots).to(dtype)
        slopes = torch.diff(values) / torch.diff(knots)
        w[m, :n] = 1.0
        b[m, :n] = -knots[:-1]
        a[m, :n] = torch.cat([slopes[:1], torch.diff(slopes)])
        c[m] = values[0]
    return ElbowNet.from_elbows(w, b, a, c, widths=pieces)


def _knot_values(f: Callable[[torch.Tensor], torch.Tensor], knots: torch.Tensor) -> torch.Tensor:
    values = f(knots)
    if not isinstance(values, torch.Tensor) or values.shape != knots.shape:
        raise ValueError(f"f must map the knots [{knots.numel()}] to a tensor of the same shape, got "
                         f"{tuple(values.shape) if isinstance(values, torch.Tensor) else type(values).__name__}")
    if values.is_complex():
        raise ValueError(f"f must return real values, got dtype {values.dtype}")
    if values.is_floating_point() and not bool(torch.isfinite(values).all()):
        raise ValueError("f must be finite at the knots, got NaN or inf")
    return values


def fit_elbow_nets(
    x: torch.Tensor,
    y: torch.Tensor,
    widths: Sequence[int],
    seeds: int = 1,
    *,
    steps: int = 3000,
    lr: float = 1e-2,
    init: str = "standard",
    generator: torch.Generator | None = None,
    **train_kwargs,
) -> tuple[ElbowNet, History]:
    """Fit ``len(widths) * seeds`` elbow networks to ``(x, y)`` by full-batch Adam on the MSE.

    Member ``m`` has width ``widths[m // seeds]`` (all seeds of a width are adjacent: the
    members of ``Grid(width=widths, seed=seeds)``). All members train together as one batched
    :class:`ElbowNet` on the nnlab training loop.

    Args:
        x: inputs ``[N]`` (or ``[N, 1]``). y: targets ``[N]``.
        widths: one width per group of members. seeds: members per width (a count, >= 1).
        steps, lr, init, generator: the budget, the initialization, the CPU generator.
        train_kwargs: passed on to :func:`nnlab.training.train` (e.g. ``record_every``).

    Returns:
        ``(net, history)``; ``history.loss`` holds the per-member training MSE.
    """
    seeds = check_int("seeds", seeds, minimum=1)
    widths = [check_int("widths[i]", w, minimum=1) for w in _as_list("widths", widths)]
    check_choice("init", init, INITS)
    steps = check_int("steps", steps, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    x = check_tensor("x", x)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    dims: dict[str, int] = {}
    x = check_tensor("x", x, "N", dims=dims)
    y = check_tensor("y", y, "N", dims=dims, dtype=x.dtype)
    lo, hi = float(x.min()), float(x.max())
    if not lo < hi:
        raise ValueError("x must hold at least two distinct points")
    net = ElbowNet([w for w in widths for _ in range(seeds)], init=init, lo=lo, hi=hi,
                   generator=generator, dtype=x.dtype).to(x.device)
    return net, _train(net, x, y, steps, lr, train_kwargs)


def train_elbow_nets(
    net: ElbowNet, x: torch.Tensor, y: torch.Tensor, *, steps: int = 3000, lr: float = 1e-2, **train_kwargs,
) -> History:
    """Train the given ``net`` (in place) by full-batch Adam on the MSE, like :func:`fit_elbow_nets`.

    For starts that :func:`fit_elbow_nets` does not draw: a constructed network
    (:func:`interpolant`), or several starts joined with :meth:`ElbowNet.cat`, trained in one run.
    ``x: [N]`` (or ``[N, 1]``) and ``y: [N]`` in the parameters' dtype; ``train_kwargs`` go to
    :func:`nnlab.training.train`. Returns the :class:`~nnlab.training.History` (per-member MSE).
    """
    _check_net(net)
    steps = check_int("steps", steps, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    x = check_tensor("x", x, dtype=net.w.dtype)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    dims: dict[str, int] = {}
    x = check_tensor("x", x, "N", dims=dims)
    y = check_tensor("y", y, "N", dims=dims, dtype=x.dtype)
    return _train(net, x.to(net.w.device), y.to(net.w.device), steps, lr, train_kwargs)


def _train(net: ElbowNet, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float, train_kwargs: dict) -> History:
    return train(net, mse_per_member, (x, y), steps=steps, lr=lr, optimizer="adam", **train_kwargs)


def elbow_status(net: ElbowNet, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Classify every unit of every member on the inputs ``x``: boolean masks ``[M, H]``.

    - ``dead``: inactive on every input; its gradient is zero, so gradient descent can never
      bring it back (its breakpoint lies outside the data, facing away).
    - ``linear``: active on every input; it adds a slope but no kink inside the data.
    - ``kinked``: its breakpoint lies inside the data: an elbow that shapes the fit.

    Masked units (beyond a member's width) are in no class; ``mask.sum(1)`` counts per member.
    ``x`` is ``[N]`` (or ``[N, 1]``), real floating and finite.
    """
    _check_net(net)
    # A unit's pre-activation is affine in x, so it is positive on every input iff it is at the
    # smallest and the largest input, and non-positive on every input iff it is at both.
    ends = _as_inputs(x, net.w)
    with torch.no_grad():
        pre = net.w[:, :, None] * torch.stack([ends.min(), ends.max()]) + net.b[:, :, None]
        real = net.mask > 0
        dead = (pre <= 0).all(dim=-1) & real
        linear = (pre > 0).all(dim=-1) & real
    return {"dead": dead, "linear": linear, "kinked": real & ~dead & ~linear}


def distance_to_nearest(net: ElbowNet, points: torch.Tensor) -> torch.Tensor:
    """Distance from every unit's breakpoint to the nearest of ``points``: ``[M, H]``.

    ``points`` has shape ``[P]`` (e.g. the training inputs; real floating, finite); masked units and units with
    ``w = 0`` get NaN.
    """
    _check_net(net)
    points = _as_inputs(points, net.w, "points")[0, 0]
    beta = net.breakpoints()
    return (beta[:, :, None] - points).abs().amin(dim=-1)
