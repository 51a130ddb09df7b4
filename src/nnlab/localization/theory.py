"""The single-neuron gradient flow of Lufkin, Saxe & Grant (NeurIPS 2024) and its kurtosis term.

One ReLU neuron ``y_hat = relu(w . x)`` learns by gradient descent on the mean squared error
``E[(y_hat - y)^2]`` to output 1 on class 1 (covariance ``Sigma_1``, a fraction ``p`` of the
data) and 0 on class 0 (``Sigma_0``). Both classes are symmetric under ``x -> -x``, so
``E[relu(w . x) x] = Sigma w / 2`` exactly and::

    -grad L = p E_1[x sign(w . x)] - (p Sigma_1 + (1 - p) Sigma_0) w.

If, given ``x_i``, the projection ``w . x`` is Gaussian with the conditional mean and variance of
a Gaussian with covariance ``Sigma_1`` (the approximation of Lufkin et al.), the first term
depends on the data only through the marginal law of one pixel ``X`` (unit variance)::

    E_1[x_i sign(w . x)] = phi(a)_i = E[X erf(X a_i / sqrt(2 (1 - a_i^2)))],  a = Sigma_1 w / sqrt(w' Sigma_1 w).

``phi`` is the "localization amplifier". For Gaussian ``X`` it is linear, ``sqrt(2/pi) a``; in
general ``phi(a) ~ sqrt(2/pi) (a + (3 - kappa) a^3 / 6)`` with ``kappa`` the kurtosis of ``X``:
a negative excess kurtosis (``kappa < 3``) makes it super-linear, which amplifies the largest
entries of ``a`` and localizes ``w``. With ``p = 1/2`` the flow is
``dw/dt = (phi(a) - (Sigma_0 + Sigma_1) w) / 2``, i.e. ``phi(a) - (Sigma_0 + Sigma_1) w / 2``
with ``phi`` written as ``E_1[x 1(w . x > 0)]``. An Euler step of size ``tau`` equals one
full-batch gradient step with learning rate ``tau`` (:func:`nnlab.localization.models.fit_data`).

Everything is batched over members: ``w [M, d_in]``, covariances ``[d_in, d_in]`` or ``[M, d_in, d_in]``,
one amplifier table per member. Tensor arguments must be non-empty, finite, real floating
tensors (a list or numpy array is converted); anything else raises ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from ..validation import check_int, check_real, check_tensor

__all__ = [
    "phi_gaussian", "phi_cubic", "phi_samples", "PhiTable", "gauss_hermite", "overlap", "flow", "integrate",
    "covariance", "sign_moment", "integrate_sampled", "linearity_residual",
]

SQRT_2_PI = math.sqrt(2 / math.pi)
A_MAX = 1 - 1e-7


def _tensor(name: str, t: object, ndims: tuple[int, ...] | None = None,
            dims: dict[str, int] | None = None, shape: str | None = None) -> torch.Tensor:
    """``t`` checked: a non-empty, finite, real floating tensor with a number of dimensions in ``ndims``."""
    t = check_tensor(name, t, shape, dims=dims)
    if ndims is not None and t.ndim not in ndims:
        raise ValueError(f"{name} must be a tensor with {' or '.join(map(str, ndims))} dimensions, "
                         f"got shape {tuple(t.shape)}")
    return t


def _check_a(a: object) -> torch.Tensor:
    a = _tensor("a", a)
    if bool((a.abs() > 1).any()):
        raise ValueError(f"a must lie in [-1, 1] (it is a correlation), got max |a| = {float(a.abs().max()):.3g}")
    return a


def phi_gaussian(a: torch.Tensor) -> torch.Tensor:
    """The amplifier for Gaussian marginals, ``sqrt(2/pi) a`` (exact): same shape as ``a``."""
    return SQRT_2_PI * _check_a(a)


def phi_cubic(a: torch.Tensor, kappa: float | torch.Tensor) -> torch.Tensor:
    """Cubic approximation ``sqrt(2/pi) (a + (3 - kappa) a^3 / 6)`` of the amplifier: same shape as ``a``.

    Args:
        a: values in ``[-1, 1]``, ``[..., d_in]``.
        kappa: marginal kurtosis (3 for a Gaussian, 1 for a sign); a float or one per member ``[M]``
            (then ``a`` is ``[M, d_in]``).
    """
    a = _check_a(a)
    if isinstance(kappa, torch.Tensor):
        kappa = check_tensor("kappa", kappa)
        if kappa.ndim != 1 or a.ndim != 2 or kappa.shape[0] != a.shape[0]:
            raise ValueError(f"kappa as a tensor must be [M] with a [M, d_in], got {tuple(kappa.shape)} and "
                             f"{tuple(a.shape)}")
        if bool((kappa < 1).any()):
            raise ValueError("kappa must be >= 1 (a kurtosis)")
        kappa = kappa.to(a)[:, None]
    else:
        kappa = check_real("kappa", kappa, low=1.0)
    return SQRT_2_PI * (a + (3 - kappa) * a**3 / 6)


def phi_samples(a: torch.Tensor, x: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """The amplifier ``E[X erf(X a / sqrt(2 (1 - a^2)))]`` averaged over marginal samples ``x [S]``: shape of ``a``.

    Args:
        a: values in ``[-1, 1]``, any shape.
        x: samples of one pixel's marginal (unit variance), ``[S]``; or quadrature nodes.
        weights: quadrature weights ``[S]`` summing to 1 (default: ``1/S`` each).
    """
    a = _check_a(a)
    dims: dict[str, int] = {}
    x = _tensor("x", x, shape="S", dims=dims).to(torch.float64)
    if weights is None:
        w = torch.full_like(x, 1 / x.numel())
    else:
        w = _tensor("weights", weights, shape="S", dims=dims).to(x)
    ad = a.to(torch.float64).clamp(-A_MAX, A_MAX)
    c = ad / torch.sqrt(2 * (1 - ad**2))
    out = (torch.erf(c[..., None] * x) * (w * x)).sum(-1)
    return out.to(a.dtype)


def gauss_hermite(points: int = 200) -> tuple[torch.Tensor, torch.Tensor]:
    """Nodes and weights of ``points``-point Gauss–Hermite quadrature for ``z ~ N(0, 1)``: ``[points]`` each (float64).

    ``E[f(z)] ~ sum_j weights_j f(nodes_j)``; for a marginal ``X = T(z)`` pass ``T(nodes)`` and
    ``weights`` to :func:`phi_samples` or :class:`PhiTable`.
    """
    points = check_int("points", points, minimum=2, maximum=400)
    nodes, weights = np.polynomial.hermite_e.hermegauss(points)
    return torch.from_numpy(nodes), torch.from_numpy(weights / weights.sum())


class PhiTable:
    """The amplifier of one marginal per member, tabulated on a grid of ``a`` and linearly interpolated.

    Args:
        x: marginal samples (or quadrature nodes), ``[S]`` (one member) or ``[M, S]``.
        weights: optional quadrature weights ``[S]`` (shared by all members).
        points: grid points on ``[-1, 1]`` (>= 3).

    Calling the table on ``a [M, d_in]`` (or ``[d_in]`` for one member) returns ``phi(a)`` of the
    same shape: one gather per call, so an Euler step costs ``O(M d_in)``.
    """

    def __init__(self, x: torch.Tensor, weights: torch.Tensor | None = None, points: int = 2001):
        x = _tensor("x", x, (1, 2))
        if weights is not None:
            weights = _tensor("weights", weights, shape="S", dims={"S": x.shape[-1]})
        points = check_int("points", points, minimum=3)
        xs = x[None] if x.ndim == 1 else x
        self.grid = torch.linspace(-1, 1, points, dtype=torch.float64)
        self.values = torch.stack([phi_samples(self.grid, row, weights) for row in xs])  # [M, P]
        self.members = xs.shape[0]

    def __call__(self, a: torch.Tensor) -> torch.Tensor:
        """``phi(a)`` for ``a [M, d_in]`` (or ``[d_in]`` with one member), by linear interpolation."""
        a = _check_a(a)
        squeeze = a.ndim == 1
        a2 = a[None] if squeeze else a
        if a2.ndim != 2 or a2.shape[0] != self.members:
            raise ValueError(f"a must be [{self.members}, d_in] for this table, got {tuple(a.shape)}")
        P = self.grid.numel()
        pos = (a2.to(torch.float64) + 1) * (P - 1) / 2
        lo = pos.floor().clamp(0, P - 2).long()
        frac = pos - lo
        v = self.values.to(a2.device)
        out = torch.gather(v, 1, lo) * (1 - frac) + torch.gather(v, 1, lo + 1) * frac
        out = out.to(a.dtype)
        return out[0] if squeeze else out


def covariance(x: torch.Tensor) -> torch.Tensor:
    """Second-moment matrix ``E[x x^T]`` of zero-mean samples: ``[n, d_in] -> [d_in, d_in]``
    or ``[M, n, d_in] -> [M, d_in, d_in]``."""
    x = _tensor("x", x, (2, 3)).to(torch.float64)
    if x.shape[-2] < 2:
        raise ValueError(f"x needs at least 2 samples, got shape {tuple(x.shape)}")
    return x.transpose(-1, -2) @ x / x.shape[-2]


def overlap(w: torch.Tensor, cov1: torch.Tensor) -> torch.Tensor:
    """``a = Sigma_1 w / sqrt(w' Sigma_1 w)``, the correlation of each pixel with ``w . x``:
    ``[M, d_in]`` (or ``[d_in]``), for ``cov1 [d_in, d_in]`` or ``[M, d_in, d_in]``."""
    w = _tensor("w", w, (1, 2))
    return _overlap(w, _check_cov(w, "cov1", cov1))


def _overlap(w: torch.Tensor, cov1: torch.Tensor) -> torch.Tensor:
    cov1 = cov1.to(w)
    s = (cov1 @ w[..., None])[..., 0]
    return s / (w * s).sum(-1, keepdim=True).clamp(min=1e-300).sqrt()


def _check_cov(w: torch.Tensor, name: str, c: object) -> torch.Tensor:
    d_in = w.shape[-1]
    c = _tensor(name, c, (2, 3))
    if c.shape[-2:] != (d_in, d_in) or (c.ndim == 3 and (w.ndim != 2 or c.shape[0] != w.shape[0])):
        raise ValueError(f"{name} must be [{d_in}, {d_in}] or [M, {d_in}, {d_in}] matching w {tuple(w.shape)}, "
                         f"got {tuple(c.shape)}")
    return c


def _check_covs(w: torch.Tensor, cov0: object, cov1: object) -> tuple[torch.Tensor, torch.Tensor]:
    """The two covariances checked against ``w`` (not yet converted to its dtype)."""
    return _check_cov(w, "cov0", cov0), _check_cov(w, "cov1", cov1)


def flow(w: torch.Tensor, cov0: torch.Tensor, cov1: torch.Tensor, phi: Callable[[torch.Tensor], torch.Tensor],
         p: float = 0.5, weight: float | None = None) -> torch.Tensor:
    """The right-hand side ``dw/dt = p phi(a) - (lam Sigma_1 + (1 - lam) Sigma_0) w``: shape of ``w``.

    Args:
        w: weights ``[M, d_in]`` (or ``[d_in]``).
        cov0, cov1: covariances of class 0 (target 0) and class 1 (target 1), ``[d_in, d_in]`` or ``[M, d_in, d_in]``.
        phi: the amplifier, a map ``a -> phi(a)`` of the shape of ``w`` (:func:`phi_gaussian`,
            ``lambda a: phi_cubic(a, kappa)``, a :class:`PhiTable`).
        p: fraction of class-1 samples, in ``(0, 1)``.
        weight: ``lam`` in ``[0, 1]``, the weight of ``Sigma_1`` in the second term; ``None`` (the
            gradient flow) means ``lam = p``. Other values isolate the effect of that term
            (the talk: more ``Sigma_1`` gives Mexican-hat fields, more ``Sigma_0`` spread-out ones).
    """
    w = _tensor("w", w, (1, 2))
    cov0, cov1 = _check_covs(w, cov0, cov1)
    if not callable(phi):
        raise ValueError(f"phi must be a callable a -> phi(a), got {type(phi).__name__}")
    p = check_real("p", p, low=0.0, high=1.0, low_open=True, high_open=True)
    lam = p if weight is None else check_real("weight", weight, low=0.0, high=1.0)
    return _flow(w, cov0, cov1, phi, p, lam)


def _flow(w: torch.Tensor, cov0: torch.Tensor, cov1: torch.Tensor, phi: Callable[[torch.Tensor], torch.Tensor],
          p: float, lam: float) -> torch.Tensor:
    """:func:`flow` on checked arguments (the covariances converted to ``w``'s dtype here)."""
    cov0, cov1 = cov0.to(w), cov1.to(w)
    a = _overlap(w, cov1).clamp(-1, 1)
    sigma = lam * cov1 + (1 - lam) * cov0
    return p * phi(a) - (sigma @ w[..., None])[..., 0]


def _integration_args(w0: object, cov0: object, cov1: object, fn_name: str, fn: object, fn_kind: str,
                      tau: object, steps: object, record_every: object, p: object) -> tuple:
    """Validate the arguments shared by :func:`integrate` and :func:`integrate_sampled`."""
    w = _tensor("w0", w0, (1, 2))
    cov0, cov1 = _check_covs(w, cov0, cov1)
    if not callable(fn):
        raise ValueError(f"{fn_name} must be {fn_kind}, got {type(fn).__name__}")
    return (w, cov0, cov1, check_real("tau", tau, low=0.0, low_open=True), check_int("steps", steps, minimum=1),
            check_int("record_every", record_every, minimum=1),
            check_real("p", p, low=0.0, high=1.0, low_open=True, high_open=True))


def integrate(w0: torch.Tensor, cov0: torch.Tensor, cov1: torch.Tensor, phi: Callable[[torch.Tensor], torch.Tensor],
              *, tau: float, steps: int, p: float = 0.5, weight: float | None = None,
              record_every: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Euler integration ``w <- w + tau * flow(w)`` of :func:`flow` from ``w0``.

    Args:
        w0: initial weights ``[M, d_in]`` (or ``[d_in]``). cov0, cov1, phi, p, weight: as in :func:`flow`.
        tau: step size (> 0); equal to the learning rate of the matching gradient descent.
        steps: Euler steps (>= 1). record_every: keep every this many steps (step 0 and the last always).

    Returns:
        ``(t, W)``: the recorded step numbers ``[T]`` and weights ``[T, *w0.shape]``.
    """
    w, cov0, cov1, tau, steps, record_every, p = _integration_args(
        w0, cov0, cov1, "phi", phi, "a callable a -> phi(a)", tau, steps, record_every, p)
    lam = p if weight is None else check_real("weight", weight, low=0.0, high=1.0)
    return _euler(w, lambda step, w: _flow(w, cov0, cov1, phi, p, lam), tau, steps, record_every)


def _euler(w: torch.Tensor, velocity: Callable[[int, torch.Tensor], torch.Tensor], tau: float, steps: int,
           record_every: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``w <- w + tau * velocity(step, w)`` for ``step = 0 .. steps-1``; ``(t [T], W [T, *w.shape])``."""
    times, traj = [0], [w.clone()]
    for step in range(1, steps + 1):
        w = w + tau * velocity(step - 1, w)
        if step % record_every == 0 or step == steps:
            times.append(step)
            traj.append(w.clone())
    return torch.tensor(times), torch.stack(traj)


def sign_moment(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Monte Carlo ``E[x sign(w . x)]`` over samples ``x [M, n, d_in]`` for weights ``w [M, d_in]``: ``[M, d_in]``.

    The exact first term of the flow (:func:`flow`) before the conditional-Gaussian step; for
    one member pass ``w [d_in]`` and ``x [n, d_in]`` (returns ``[d_in]``).
    """
    w = _tensor("w", w, (1, 2))
    x = _tensor("x", x, (2, 3))
    if x.ndim != w.ndim + 1 or x.shape[-1] != w.shape[-1] or (w.ndim == 2 and x.shape[0] != w.shape[0]):
        raise ValueError(f"x must be [M, n, d_in] for w [M, d_in] (or [n, d_in] for w [d_in]), "
                         f"got x {tuple(x.shape)} and w {tuple(w.shape)}")
    return _sign_moment(w, x)


def _sign_moment(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    w = w.to(x.dtype)
    s = torch.sign((x @ w[..., None])[..., 0])                        # [..., n]
    return (s[..., None, :] @ x)[..., 0, :] / x.shape[-2]


def integrate_sampled(w0: torch.Tensor, cov0: torch.Tensor, cov1: torch.Tensor,
                      sample1: Callable[[int], torch.Tensor], *, tau: float, steps: int, p: float = 0.5,
                      record_every: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Euler integration of the flow with the *exact* amplifier: ``phi(a)`` replaced by Monte Carlo.

    ``dw/dt = p E_1[x sign(w . x)] - (p Sigma_1 + (1 - p) Sigma_0) w`` (eq. of :func:`flow`
    without the conditional-Gaussian approximation), with ``E_1`` estimated at every step from
    fresh class-1 samples ``sample1(step) -> [M, n, d_in]`` and exact covariances. This is the
    population gradient flow up to the sampling noise of the first term only.

    Args:
        w0: initial weights ``[M, d_in]`` (or ``[d_in]`` with ``[n, d_in]`` samples).
        cov0, cov1: class covariances as in :func:`flow`. sample1: ``step -> x1``.
        tau: step size (> 0). steps: Euler steps (>= 1). p: class-1 fraction in ``(0, 1)``.
        record_every: keep every this many steps (step 0 and the last always).

    Returns:
        ``(t, W)`` as for :func:`integrate` (weights in ``w0``'s dtype).
    """
    w, cov0, cov1, tau, steps, record_every, p = _integration_args(
        w0, cov0, cov1, "sample1", sample1, "a callable step -> x1", tau, steps, record_every, p)
    sigma = (p * cov1 + (1 - p) * cov0).to(w)

    def velocity(step: int, w: torch.Tensor) -> torch.Tensor:
        x1 = sample1(step)
        if step == 0:
            sign_moment(w, x1)  # checks the layout once
        return p * _sign_moment(w, x1).to(w) - (sigma @ w[..., None])[..., 0]

    return _euler(w, velocity, tau, steps, record_every)


def linearity_residual(w: torch.Tensor, x: torch.Tensor, cov: torch.Tensor) -> torch.Tensor:
    """How far ``E[x sign(w . x)]`` is from the linear amplifier: ``|m - c Sigma w| / |m|``, ``[M]`` (or scalar).

    ``m`` is :func:`sign_moment` over the samples ``x`` and ``c = E|w . x| / (w' Sigma w)`` (the
    sample mean). For elliptical data ``E[x | w . x] = Sigma w (w . x) / (w' Sigma w)`` exactly, so
    ``m = c Sigma w`` and the residual is sampling noise; so it is for Gaussian data. A
    super-linear amplifier (negative excess kurtosis, e.g. the NLGP at high gain) gives a
    residual well above that noise floor for a localized ``w``.

    Args:
        w: weights ``[M, d_in]`` (or ``[d_in]``). x: samples ``[M, n, d_in]`` (or ``[n, d_in]``).
        cov: the exact covariance of ``x``, ``[d_in, d_in]`` or ``[M, d_in, d_in]``.
    """
    w = _tensor("w", w, (1, 2))
    cov = _check_cov(w, "cov", cov).to(torch.float64)
    m = sign_moment(w, x).to(torch.float64)
    w = w.to(torch.float64)
    xd = _tensor("x", x).to(torch.float64)
    sw = (cov @ w[..., None])[..., 0]
    c = (xd @ w[..., None])[..., 0].abs().mean(-1, keepdim=True) / (w * sw).sum(-1, keepdim=True)
    return (m - c * sw).norm(dim=-1) / m.norm(dim=-1)
