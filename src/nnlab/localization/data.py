"""Translation-invariant data: Gaussian processes on a ring, the NLGP, its Gaussian clone, tasks.

Ingrosso & Goldt (PNAS 2022) build inputs from a Gaussian process ``z ~ N(0, C)`` on a ring of
``D`` sites with the translation-invariant covariance::

    C_ij = exp(-d_ij^2 / xi^2) + 1e-3 delta_ij,    d_ij = min(|i - j|, D - |i - j|),

and pass it through an elementwise nonlinearity with a *gain* ``g``: the non-linear Gaussian
process (NLGP) ``x_i = erf(g z_i / sqrt(2)) / sqrt(Z(g))``, ``Z(g) = (2/pi) arcsin(g^2/(1+g^2))``.
Lufkin, Saxe & Grant write ``erf(g z) / Z(g)`` with ``Z(g) = sqrt((2/pi) arcsin(2g^2/(1+2g^2)))``,
so ``g_Lufkin = g_Goldt / sqrt(2)``; both are available by name (``convention``). Either way
``x = erf(a z) / s`` with ``a = g / sqrt(2)`` (goldt) or ``a = g`` (lufkin) and ``s`` chosen so
that every marginal has unit variance.

The building blocks are shared so that other generators fit in: :func:`gaussian_factor` (one
eigendecomposition of a covariance), :func:`sample_gaussian` (one matrix product per batch)
and :func:`transformed_gp` (any elementwise marginal transform of a Gaussian process).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache

import torch
from scipy import integrate, special

from ..validation import check_choice, check_int, check_real

__all__ = [
    "CONVENTIONS", "MAX_XI_FRACTION", "periodic_distance", "translation_invariant_cov", "circulant_spectrum",
    "erf_slope", "nlgp_scale", "nlgp_transform", "nlgp_cov", "nlgp_kurtosis", "gaussian_factor", "sample_gaussian",
    "transformed_gp", "nlgp", "gaussian_clone", "two_class", "TwoClassTask",
]

CONVENTIONS = ("goldt", "lufkin")
MAX_XI_FRACTION = 0.15
"""Largest allowed ``xi / D``: up to here the periodic Gaussian kernel plus the 1e-3 jitter is
positive definite (its smallest eigenvalue is -0.005 at ``xi = 0.2 D`` and -1.9 at ``0.5 D``)."""

JITTER = 1e-3


# ----------------------------------------------------------------------------------- checks

def _check_d(D: object) -> int:
    return check_int("D", D, minimum=2)


def _check_xi(xi: object, D: int) -> float:
    xi = check_real("xi", xi, low=0.0, low_open=True)
    if xi > MAX_XI_FRACTION * D:
        raise ValueError(
            f"xi must be at most {MAX_XI_FRACTION} * D = {MAX_XI_FRACTION * D:g} for D = {D} (beyond that "
            f"the periodic Gaussian covariance is not positive semi-definite), got {xi}"
        )
    return xi


def _check_gain(gain: object) -> float:
    return check_real("gain", gain, low=0.0, low_open=True)


def _check_convention(convention: object) -> str:
    return str(check_choice("convention", convention, CONVENTIONS))


def _check_n(n: object) -> int:
    return check_int("n", n, minimum=1)


# ------------------------------------------------------------------------------ covariance

def periodic_distance(D: int) -> torch.Tensor:
    """Distances on a ring of ``D`` sites, ``d_ij = min(|i - j|, D - |i - j|)``: ``[D, D]`` (float64)."""
    D = _check_d(D)
    i = torch.arange(D, dtype=torch.float64)
    d = (i[:, None] - i[None, :]).abs()
    return torch.minimum(d, D - d)


def translation_invariant_cov(D: int, xi: float, jitter: float = JITTER) -> torch.Tensor:
    """The covariance ``C_ij = exp(-d_ij^2 / xi^2) + jitter delta_ij`` on a ring: ``[D, D]`` (float64).

    Args:
        D: number of sites (>= 2).
        xi: correlation length in sites, ``0 < xi <= 0.15 D`` (:data:`MAX_XI_FRACTION`).
        jitter: added to the diagonal for numerical stability (Ingrosso & Goldt use 1e-3).

    Returns:
        A symmetric circulant, positive definite matrix with diagonal ``1 + jitter``.
    """
    D = _check_d(D)
    xi = _check_xi(xi, D)
    jitter = check_real("jitter", jitter, low=0.0)
    d = periodic_distance(D)
    return torch.exp(-(d**2) / xi**2) + jitter * torch.eye(D, dtype=torch.float64)


def circulant_spectrum(cov: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of a circulant covariance by frequency ``k = 0 .. D//2``: ``[D//2 + 1]``.

    For a translation-invariant covariance the eigenvectors are the Fourier modes
    ``cos(2 pi k i / D)`` and ``sin(2 pi k i / D)``; their eigenvalue is the discrete Fourier
    transform of the first row.
    """
    cov = _check_cov(cov)
    return torch.fft.rfft(cov[0]).real


# -------------------------------------------------------------------------- NLGP marginals

def erf_slope(gain: float, convention: str = "goldt") -> float:
    """The slope ``a`` in ``erf(a z)``: ``g / sqrt(2)`` (goldt) or ``g`` (lufkin)."""
    gain, convention = _check_gain(gain), _check_convention(convention)
    return gain / math.sqrt(2) if convention == "goldt" else gain


def nlgp_scale(gain: float, convention: str = "goldt", variance: float = 1.0) -> float:
    """The divisor ``s`` with ``Var[erf(a z) / s] = 1`` for ``z ~ N(0, variance)``.

    ``E[erf(a z)^2] = (2/pi) arcsin(2 a^2 v / (1 + 2 a^2 v))``, so ``s = sqrt`` of that. For
    ``v = 1`` this is ``sqrt(Z(g))`` of Ingrosso & Goldt and ``Z(g)`` of Lufkin et al.
    """
    a = erf_slope(gain, convention)
    variance = check_real("variance", variance, low=0.0, low_open=True)
    q = 2 * a * a * variance
    return math.sqrt(2 / math.pi * math.asin(q / (1 + q)))


def nlgp_transform(z: torch.Tensor, gain: float, convention: str = "goldt", variance: float = 1.0) -> torch.Tensor:
    """The NLGP marginal map ``x = erf(a z) / s`` (unit variance when ``Var z = variance``); any shape."""
    a = erf_slope(gain, convention)
    s = nlgp_scale(gain, convention, variance)
    return torch.erf(a * z) / s


def nlgp_cov(cov: torch.Tensor, gain: float, convention: str = "goldt") -> torch.Tensor:
    """The exact covariance of ``x = erf(a z) / s`` for ``z ~ N(0, cov)``: ``[D, D]``.

    ``E[erf(a z_i) erf(a z_j)] = (2/pi) arcsin(2a^2 C_ij / sqrt((1 + 2a^2 C_ii)(1 + 2a^2 C_jj)))``
    (the arcsin kernel), divided by ``s^2`` computed from the mean diagonal. For the goldt
    convention ``2a^2 = g^2``, i.e. ``arcsin(g^2 C_ij / (1 + g^2 C_ii))`` for a constant diagonal;
    normalising by the diagonal (not by ``1 + g^2``) keeps the argument at most 1 with the jitter.
    """
    cov = _check_cov(cov)
    a = erf_slope(gain, convention)
    q = 2 * a * a
    diag = 1 + q * cov.diagonal()
    arg = (q * cov / torch.sqrt(diag[:, None] * diag[None, :])).clamp(-1.0, 1.0)
    s = nlgp_scale(gain, convention, float(cov.diagonal().mean()))
    return 2 / math.pi * torch.asin(arg) / s**2


def nlgp_kurtosis(gain: float, convention: str = "goldt") -> float:
    """Kurtosis ``E[x^4] / E[x^2]^2`` of the NLGP marginal ``erf(a z)``, ``z ~ N(0, 1)`` (quadrature).

    It is 3 (Gaussian) as ``g -> 0`` and falls to 1 (a sign, ``+-1``) as ``g -> infinity``.
    """
    a = erf_slope(gain, convention)

    def moment(p: int) -> float:
        f = lambda z: special.erf(a * z) ** p * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
        # the integrand changes fastest near 0 on the scale 1/a: split there
        edges = sorted({0.0, min(1 / a, 8.0), 8.0, 40.0})
        return 2 * sum(integrate.quad(f, lo, hi, limit=200, epsabs=0, epsrel=1e-12)[0]
                       for lo, hi in zip(edges[:-1], edges[1:]))

    m2 = 2 / math.pi * math.asin(2 * a * a / (1 + 2 * a * a))
    return moment(4) / m2**2


# ------------------------------------------------------------------------------- sampling

def _check_cov(cov: object) -> torch.Tensor:
    if not isinstance(cov, torch.Tensor) or cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        shape = tuple(cov.shape) if isinstance(cov, torch.Tensor) else type(cov).__name__
        raise ValueError(f"cov must be a square matrix tensor [D, D], got {shape}")
    if not torch.allclose(cov, cov.T, atol=1e-10):
        raise ValueError("cov must be symmetric")
    return cov.to(torch.float64)


def gaussian_factor(cov: torch.Tensor, tol: float = 1e-8) -> torch.Tensor:
    """A matrix ``F`` with ``F F^T = cov`` from one eigendecomposition: ``[D, D]`` (float64).

    Args:
        cov: symmetric positive semi-definite ``[D, D]``.
        tol: eigenvalues down to ``-tol * max eigenvalue`` count as rounding and are set to
            zero; a more negative one raises ``ValueError`` (the matrix is not a covariance).
    """
    cov = _check_cov(cov)
    tol = check_real("tol", tol, low=0.0)
    evals, evecs = torch.linalg.eigh(cov)
    if evals[0] < -tol * evals[-1].abs():
        raise ValueError(f"cov must be positive semi-definite, its smallest eigenvalue is {float(evals[0]):.3g}")
    return evecs * evals.clamp(min=0).sqrt()[None, :]


def sample_gaussian(n: int, factor: torch.Tensor, generator: torch.Generator | None = None,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` samples of ``N(0, F F^T)`` with one (batched) matrix product: ``[..., n, D]``.

    Args:
        n: samples per factor (>= 1).
        factor: ``[D, D]`` or a batch ``[..., D, D]`` of factors (e.g. from :func:`gaussian_factor`).
        generator: CPU generator for the standard normal draws.
        dtype: dtype of the returned samples.
    """
    n = _check_n(n)
    if not isinstance(factor, torch.Tensor) or factor.ndim < 2 or factor.shape[-1] != factor.shape[-2]:
        raise ValueError(f"factor must be a tensor [..., D, D], got {getattr(factor, 'shape', factor)!r}")
    eps = torch.randn(*factor.shape[:-2], n, factor.shape[-1], generator=generator, dtype=dtype)
    return eps @ factor.to(dtype).transpose(-1, -2)


def transformed_gp(n: int, cov: torch.Tensor, transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
                   generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` samples of ``x = transform(z)``, ``z ~ N(0, cov)``, elementwise: ``[n, D]``.

    The generic non-Gaussian process: the NLGP is ``transform = nlgp_transform``; other marginal
    maps (e.g. a quantile transform) plug in the same way. ``None`` returns ``z`` itself.
    """
    z = sample_gaussian(n, gaussian_factor(cov), generator, dtype)
    return z if transform is None else transform(z)


@lru_cache(maxsize=64)
def _factor(D: int, xi: float, gain: float | None, convention: str, jitter: float) -> torch.Tensor:
    """Cached factor of the latent covariance (gain None) or of the clone covariance."""
    cov = translation_invariant_cov(D, xi, jitter)
    if gain is not None:
        cov = nlgp_cov(cov, gain, convention)
    return gaussian_factor(cov)


def nlgp(n: int, D: int, xi: float, gain: float, convention: str = "goldt",
         generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` samples of the non-linear Gaussian process on a ring: ``[n, D]``, unit marginal variance.

    ``x = erf(g z / sqrt 2) / sqrt(Z(g))`` (goldt) or ``erf(g z) / Z(g)`` (lufkin) with
    ``z ~ N(0, C)``, ``C`` from :func:`translation_invariant_cov` (Ingrosso & Goldt 2022).
    """
    n, D = _check_n(n), _check_d(D)
    xi, gain, convention = _check_xi(xi, D), _check_gain(gain), _check_convention(convention)
    z = sample_gaussian(n, _factor(D, xi, None, convention, JITTER), generator, torch.float64)
    return nlgp_transform(z, gain, convention, 1 + JITTER).to(dtype)


def gaussian_clone(n: int, D: int, xi: float, gain: float, convention: str = "goldt",
                   generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` samples of the Gaussian clone of the NLGP: ``N(0, nlgp_cov(C, g))``, ``[n, D]``.

    Same mean and covariance as :func:`nlgp` with the same arguments, but Gaussian: every
    difference between the two in what a network learns is due to higher-order statistics.
    """
    n, D = _check_n(n), _check_d(D)
    xi, gain, convention = _check_xi(xi, D), _check_gain(gain), _check_convention(convention)
    return sample_gaussian(n, _factor(D, xi, gain, convention, JITTER), generator, torch.float64).to(dtype)


# ----------------------------------------------------------------------------------- tasks

class TwoClassTask:
    """``M`` two-class discrimination tasks sampled together: one per member of a batched model.

    Class ``+1`` has correlation length ``xis[0]``, class ``-1`` has ``xis[1]``; both share the
    gain. Member ``m`` draws NLGP inputs with gain ``gains[m]``, or Gaussian-clone inputs when
    ``clone[m]`` (same covariance as that NLGP). Every batch is balanced (half of each class)
    and costs one batched matrix product ``[M, 2, n/2, D] x [M, 2, D, D]``. The factors live on
    the CPU; :meth:`to` moves them to a GPU, where online sampling is much faster.

    Args:
        D: input dimension. xis: the two correlation lengths (must differ).
        gains: one gain per member. clone: one flag per member (default: all NLGP).
        convention: ``"goldt"`` or ``"lufkin"``.
    """

    def __init__(self, D: int, xis: Sequence[float], gains: Sequence[float], clone: Sequence[bool] | None = None,
                 convention: str = "goldt"):
        D = _check_d(D)
        xis = list(xis)
        if len(xis) != 2:
            raise ValueError(f"xis must hold two correlation lengths, got {xis!r}")
        xis = [_check_xi(x, D) for x in xis]
        if xis[0] == xis[1]:
            raise ValueError(f"xis must differ (otherwise the classes are identical), got {xis!r}")
        gains = [_check_gain(g) for g in gains]
        if not gains:
            raise ValueError("gains must hold at least one gain, got an empty sequence")
        clone = [False] * len(gains) if clone is None else [bool(c) for c in clone]
        if len(clone) != len(gains):
            raise ValueError(f"clone must have one flag per gain ({len(gains)}), got {len(clone)}")
        convention = _check_convention(convention)
        self.D, self.xis, self.gains, self.clone, self.convention = D, xis, gains, clone, convention
        factors = [[_factor(D, xi, g if c else None, convention, JITTER) for xi in xis] for g, c in zip(gains, clone)]
        self.factors = torch.stack([torch.stack(f) for f in factors]).to(torch.float32)  # [M, 2, D, D]
        self.slope = torch.tensor([0.0 if c else erf_slope(g, convention) for g, c in zip(gains, clone)])
        self.scale = torch.tensor([1.0 if c else nlgp_scale(g, convention, 1 + JITTER) for g, c in zip(gains, clone)])
        self._is_clone = torch.tensor(clone)

    def to(self, device: torch.device | str) -> TwoClassTask:
        """Move the factors to ``device`` (then :meth:`sample` needs a generator on that device); returns ``self``."""
        self.factors = self.factors.to(device)
        self.slope, self.scale = self.slope.to(device), self.scale.to(device)
        self._is_clone = self._is_clone.to(device)
        return self

    @property
    def device(self) -> torch.device:
        """Where the factors live and the samples are drawn."""
        return self.factors.device

    @property
    def members(self) -> int:
        """Number of tasks ``M``."""
        return len(self.gains)

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """A balanced batch for every member: inputs ``[M, n, D]`` and targets ``[M, n]`` in ``{+1, -1}``.

        The first ``ceil(n/2)`` samples are class ``+1``, the rest class ``-1`` (the losses
        used here do not depend on the order).
        """
        n = _check_n(n)
        half = -(-n // 2)
        eps = torch.randn(self.members, 2, half, self.D, generator=generator, device=self.device)
        z = eps @ self.factors.transpose(-1, -2)  # [M, 2, half, D]: one batched matrix product
        a, s = self.slope[:, None, None, None], self.scale[:, None, None, None]
        x = torch.where(self._is_clone[:, None, None, None], z, torch.erf(a * z) / s)
        x = torch.cat([x[:, 0], x[:, 1]], dim=1)[:, :n]
        y = torch.cat([torch.ones(half), -torch.ones(half)])[:n].to(self.device).expand(self.members, n)
        return x, y


def two_class(n: int, D: int, xis: Sequence[float], gain: float, clone: bool = False, convention: str = "goldt",
              generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """A shuffled two-class data set: ``x [n, D]`` and ``y [n]``, ``y = +1`` for ``xis[0]``, ``-1`` for ``xis[1]``.

    Inputs are NLGP with ``gain`` (or its Gaussian clone when ``clone``); see :class:`TwoClassTask`.
    """
    n = _check_n(n)
    task = TwoClassTask(D, xis, [gain], [clone], convention)
    x, y = task.sample(n, generator)
    perm = torch.randperm(n, generator=generator)
    return x[0, perm], y[0, perm].clone()
