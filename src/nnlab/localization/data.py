"""Translation-invariant data: Gaussian processes on a ring, the NLGP, its Gaussian clone, tasks.

Ingrosso & Goldt (PNAS 2022) build inputs from a Gaussian process ``z ~ N(0, C)`` on a ring of
``d_in`` sites with the translation-invariant covariance::

    C_ij = exp(-d_ij^2 / xi^2) + 1e-3 delta_ij,    d_ij = min(|i - j|, d_in - |i - j|),

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

from ..validation import check_bool, check_choice, check_float_dtype, check_int, check_real, check_tensor

__all__ = [
    "CONVENTIONS", "MAX_XI_FRACTION", "periodic_distance", "translation_invariant_cov", "circulant_spectrum",
    "erf_slope", "nlgp_scale", "nlgp_transform", "nlgp_cov", "nlgp_kurtosis", "gaussian_factor", "sample_gaussian",
    "transformed_gp", "nlgp", "gaussian_clone", "two_class", "TwoClassTask",
    "ELLIPTICAL_RADII", "kur_moment", "kur_kurtosis", "kur_transform", "kur", "ising", "single_pulse",
    "elliptical_kurtosis", "elliptical", "DATA_KINDS", "two_class_samples", "marginal_kurtosis",
    "SUPPORTS", "pulse_lengths", "ising_exact", "gp_transform_cov", "population_cov", "OnlineTwoClass",
]

CONVENTIONS = ("goldt", "lufkin")
MAX_XI_FRACTION = 0.15
MIN_XI = 1e-3  # smallest correlation length: xi^2 must not underflow in exp(-d^2 / xi^2)
"""Largest allowed ``xi / d_in``: up to here the periodic Gaussian kernel plus the 1e-3 jitter is
positive definite (its smallest eigenvalue is -0.005 at ``xi = 0.2 d_in`` and -1.9 at ``0.5 d_in``)."""

JITTER = 1e-3


# ----------------------------------------------------------------------------------- checks

def _check_d(d_in: object) -> int:
    return check_int("d_in", d_in, minimum=2)


def _check_xi(xi: object, d_in: int) -> float:
    xi = check_real("xi", xi, low=MIN_XI)
    if xi > MAX_XI_FRACTION * d_in:
        raise ValueError(
            f"xi must be at most {MAX_XI_FRACTION} * d_in = {MAX_XI_FRACTION * d_in:g} for d_in = {d_in} (beyond that "
            f"the periodic Gaussian covariance is not positive semi-definite), got {xi}"
        )
    return xi


def _check_gain(gain: object) -> float:
    return check_real("gain", gain, low=0.0, low_open=True)


def _check_convention(convention: object) -> str:
    return str(check_choice("convention", convention, CONVENTIONS))


def _check_n(n: object) -> int:
    return check_int("n", n, minimum=1)


def _check_flag(name: str, value: object) -> bool:
    """A bool, a numpy bool or a 0-d bool tensor as ``bool`` (a string such as ``"False"`` is rejected)."""
    if isinstance(value, torch.Tensor) and value.ndim == 0 and value.dtype == torch.bool:
        return bool(value)
    if type(value).__name__ == "bool_":  # numpy.bool_
        return bool(value)
    return check_bool(name, value)


def _check_device(name: str, device: object) -> torch.device:
    """``device`` (a ``torch.device`` or a string such as ``"cuda:0"``) as a ``torch.device``."""
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise ValueError(f"{name} must be a torch.device or a device string such as 'cpu' or 'cuda', "
                         f"got {type(device).__name__}")
    try:
        return torch.device(device)
    except RuntimeError as err:
        raise ValueError(f"{name} must be a device string such as 'cpu' or 'cuda', got {device!r}") from err


# ------------------------------------------------------------------------------ covariance

def periodic_distance(d_in: int) -> torch.Tensor:
    """Distances on a ring of ``d_in`` sites, ``d_ij = min(|i - j|, d_in - |i - j|)``: ``[d_in, d_in]`` (float64)."""
    d_in = _check_d(d_in)
    i = torch.arange(d_in, dtype=torch.float64)
    d = (i[:, None] - i[None, :]).abs()
    return torch.minimum(d, d_in - d)


def translation_invariant_cov(d_in: int, xi: float, jitter: float = JITTER) -> torch.Tensor:
    """The covariance ``C_ij = exp(-d_ij^2 / xi^2) + jitter delta_ij`` on a ring: ``[d_in, d_in]`` (float64).

    Args:
        d_in: number of sites (>= 2).
        xi: correlation length in sites, ``1e-3 <= xi <= 0.15 d_in`` (:data:`MIN_XI`,
            :data:`MAX_XI_FRACTION`); below ``0.16`` the matrix is the identity to double precision.
        jitter: added to the diagonal for numerical stability (Ingrosso & Goldt use 1e-3).

    Returns:
        A symmetric circulant, positive definite matrix with diagonal ``1 + jitter``.
    """
    d_in = _check_d(d_in)
    xi = _check_xi(xi, d_in)
    jitter = check_real("jitter", jitter, low=0.0)
    d = periodic_distance(d_in)
    return torch.exp(-(d**2) / xi**2) + jitter * torch.eye(d_in, dtype=torch.float64)


def circulant_spectrum(cov: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of a circulant covariance by frequency ``k = 0 .. d_in//2``: ``[d_in//2 + 1]``.

    For a translation-invariant covariance the eigenvectors are the Fourier modes
    ``cos(2 pi k i / d_in)`` and ``sin(2 pi k i / d_in)``; their eigenvalue is the discrete Fourier
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
    if a < 1e-100:  # 2 a^2 v would underflow; asin(r) = r (1 + O(r^2)) with r = 2 a^2 v
        return a * math.sqrt(4 * variance / math.pi)
    q = 2 * a * a * variance
    return 1.0 if math.isinf(q) else math.sqrt(2 / math.pi * math.asin(q / (1 + q)))


def nlgp_transform(z: torch.Tensor, gain: float, convention: str = "goldt", variance: float = 1.0) -> torch.Tensor:
    """The NLGP marginal map ``x = erf(a z) / s`` (unit variance when ``Var z = variance``); any shape.

    ``z`` must be a non-empty, finite, real floating tensor (a list or array is converted).
    """
    z = check_tensor("z", z)
    a = erf_slope(gain, convention)
    s = nlgp_scale(gain, convention, variance)
    return torch.erf(a * z) / s


def nlgp_cov(cov: torch.Tensor, gain: float, convention: str = "goldt") -> torch.Tensor:
    """The exact covariance of ``x = erf(a z) / s`` for ``z ~ N(0, cov)``: ``[d_in, d_in]``.

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
    """``cov`` as a float64 tensor after checking it is a finite, real, symmetric ``[d_in, d_in]`` matrix."""
    cov = check_tensor("cov", cov, "d_in d_in")
    if not torch.allclose(cov, cov.T, atol=1e-10):
        raise ValueError("cov must be symmetric")
    return cov.to(torch.float64)


def gaussian_factor(cov: torch.Tensor, tol: float = 1e-8) -> torch.Tensor:
    """The symmetric square root ``F = V diag(sqrt(lambda)) V^T`` of ``cov``, so ``F F^T = cov``.

    Returns ``[d_in, d_in]`` (float64).

    The symmetric root is unique, whereas ``V diag(sqrt(lambda))`` depends on the basis the
    eigensolver picks inside each degenerate eigenspace (a circulant covariance has pairs of
    equal eigenvalues); that choice differs between LAPACK builds and CPUs, so with the
    non-symmetric factor the same seed gave different samples on different machines.

    Args:
        cov: symmetric positive semi-definite ``[d_in, d_in]``.
        tol: eigenvalues down to ``-tol * max eigenvalue`` count as rounding and are set to
            zero; a more negative one raises ``ValueError`` (the matrix is not a covariance).
    """
    cov = _check_cov(cov)
    tol = check_real("tol", tol, low=0.0)
    evals, evecs = torch.linalg.eigh(cov)
    if evals[0] < -tol * evals[-1].abs():
        raise ValueError(f"cov must be positive semi-definite, its smallest eigenvalue is {float(evals[0]):.3g}")
    return (evecs * evals.clamp(min=0).sqrt()[None, :]) @ evecs.T


def sample_gaussian(n: int, factor: torch.Tensor, generator: torch.Generator | None = None,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` samples of ``N(0, F F^T)`` with one (batched) matrix product: ``[..., n, d_in]``.

    Args:
        n: samples per factor (>= 1).
        factor: ``[d_in, d_in]`` or a batch ``[..., d_in, d_in]`` of factors (e.g. from :func:`gaussian_factor`).
        generator: CPU generator for the standard normal draws.
        dtype: dtype of the returned samples.
    """
    check_float_dtype("dtype", dtype)
    n = _check_n(n)
    factor = check_tensor("factor", factor, "... d_in d_in")
    eps = torch.randn(*factor.shape[:-2], n, factor.shape[-1], generator=generator, dtype=dtype)
    return eps @ factor.to(dtype).transpose(-1, -2)


def transformed_gp(n: int, cov: torch.Tensor, transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
                   generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` samples of ``x = transform(z)``, ``z ~ N(0, cov)``, elementwise: ``[n, d_in]``.

    The generic non-Gaussian process: the NLGP is ``transform = nlgp_transform``; other marginal
    maps (e.g. a quantile transform) plug in the same way. ``None`` returns ``z`` itself.
    """
    check_float_dtype("dtype", dtype)
    z = sample_gaussian(n, gaussian_factor(cov), generator, dtype)
    return z if transform is None else transform(z)


@lru_cache(maxsize=64)
def _factor(d_in: int, xi: float, gain: float | None, convention: str, jitter: float) -> torch.Tensor:
    """Cached factor of the latent covariance (gain None) or of the clone covariance."""
    cov = translation_invariant_cov(d_in, xi, jitter)
    if gain is not None:
        cov = nlgp_cov(cov, gain, convention)
    return gaussian_factor(cov)


def nlgp(n: int, d_in: int, xi: float, gain: float, convention: str = "goldt",
         generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` samples of the non-linear Gaussian process on a ring: ``[n, d_in]``, unit marginal variance.

    ``x = erf(g z / sqrt 2) / sqrt(Z(g))`` (goldt) or ``erf(g z) / Z(g)`` (lufkin) with
    ``z ~ N(0, C)``, ``C`` from :func:`translation_invariant_cov` (Ingrosso & Goldt 2022).
    """
    check_float_dtype("dtype", dtype)
    n, d_in = _check_n(n), _check_d(d_in)
    xi, gain, convention = _check_xi(xi, d_in), _check_gain(gain), _check_convention(convention)
    z = sample_gaussian(n, _factor(d_in, xi, None, convention, JITTER), generator, torch.float64)
    return nlgp_transform(z, gain, convention, 1 + JITTER).to(dtype)


def gaussian_clone(n: int, d_in: int, xi: float, gain: float, convention: str = "goldt",
                   generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` samples of the Gaussian clone of the NLGP: ``N(0, nlgp_cov(C, g))``, ``[n, d_in]``.

    Same mean and covariance as :func:`nlgp` with the same arguments, but Gaussian: every
    difference between the two in what a network learns is due to higher-order statistics.
    """
    check_float_dtype("dtype", dtype)
    n, d_in = _check_n(n), _check_d(d_in)
    xi, gain, convention = _check_xi(xi, d_in), _check_gain(gain), _check_convention(convention)
    return sample_gaussian(n, _factor(d_in, xi, gain, convention, JITTER), generator, torch.float64).to(dtype)


# ----------------------------------------------------------------------------------- tasks

class TwoClassTask:
    """``M`` two-class discrimination tasks sampled together: one per member of a batched model.

    Class ``+1`` has correlation length ``xis[0]``, class ``-1`` has ``xis[1]``; both share the
    gain. Member ``m`` draws NLGP inputs with gain ``gains[m]``, or Gaussian-clone inputs when
    ``clone[m]`` (same covariance as that NLGP). Every batch is balanced (half of each class)
    and costs one batched matrix product ``[M, 2, n/2, d_in] x [M, 2, d_in, d_in]``. The factors live on
    the CPU; :meth:`to` moves them to a GPU, where online sampling is much faster.

    Args:
        d_in: input dimension. xis: the two correlation lengths (must differ).
        gains: one gain per member. clone: one flag per member (default: all NLGP).
        convention: ``"goldt"`` or ``"lufkin"``.
    """

    def __init__(self, d_in: int, xis: Sequence[float], gains: Sequence[float], clone: Sequence[bool] | None = None,
                 convention: str = "goldt"):
        d_in = _check_d(d_in)
        xis = list(xis)
        if len(xis) != 2:
            raise ValueError(f"xis must hold two correlation lengths, got {xis!r}")
        xis = [_check_xi(x, d_in) for x in xis]
        if xis[0] == xis[1]:
            raise ValueError(f"xis must differ (otherwise the classes are identical), got {xis!r}")
        gains = [_check_gain(g) for g in gains]
        if not gains:
            raise ValueError("gains must hold at least one gain, got an empty sequence")
        clone = [False] * len(gains) if clone is None else [_check_flag(f"clone[{i}]", c) for i, c in enumerate(clone)]
        if len(clone) != len(gains):
            raise ValueError(f"clone must have one flag per gain ({len(gains)}), got {len(clone)}")
        convention = _check_convention(convention)
        self.d_in, self.xis, self.gains, self.clone, self.convention = d_in, xis, gains, clone, convention
        factors = [[_factor(d_in, xi, g if c else None, convention, JITTER) for xi in xis]
                   for g, c in zip(gains, clone)]
        self.factors = torch.stack([torch.stack(f) for f in factors]).to(torch.float32)  # [M, 2, d_in, d_in]
        self.slope = torch.tensor([0.0 if c else erf_slope(g, convention) for g, c in zip(gains, clone)])
        self.scale = torch.tensor([1.0 if c else nlgp_scale(g, convention, 1 + JITTER) for g, c in zip(gains, clone)])
        self._is_clone = torch.tensor(clone)

    def to(self, device: torch.device | str) -> TwoClassTask:
        """Move the factors to ``device`` (then :meth:`sample` needs a generator on that device); returns ``self``."""
        device = _check_device("device", device)
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
        """A balanced batch for every member: inputs ``[M, n, d_in]`` and targets ``[M, n]`` in ``{+1, -1}``.

        The first ``ceil(n/2)`` samples are class ``+1``, the rest class ``-1`` (the losses
        used here do not depend on the order).
        """
        n = _check_n(n)
        half = -(-n // 2)
        eps = torch.randn(self.members, 2, half, self.d_in, generator=generator, device=self.device,
                          dtype=self.factors.dtype)
        z = eps @ self.factors.transpose(-1, -2)  # [M, 2, half, d_in]: one batched matrix product
        a, s = self.slope[:, None, None, None], self.scale[:, None, None, None]
        x = torch.where(self._is_clone[:, None, None, None], z, torch.erf(a * z) / s)
        x = torch.cat([x[:, 0], x[:, 1]], dim=1)[:, :n]
        y = torch.cat([torch.ones(half), -torch.ones(half)])[:n].to(self.device).expand(self.members, n)
        return x, y


def two_class(n: int, d_in: int, xis: Sequence[float], gain: float, clone: bool = False, convention: str = "goldt",
              generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """A shuffled two-class data set: ``x [n, d_in]`` and ``y [n]``, ``y = +1`` for ``xis[0]``, ``-1`` for ``xis[1]``.

    Inputs are NLGP with ``gain`` (or its Gaussian clone when ``clone``); see :class:`TwoClassTask`.
    """
    n = _check_n(n)
    check_bool("clone", clone)
    task = TwoClassTask(d_in, xis, [gain], [clone], convention)
    x, y = task.sample(n, generator)
    perm = torch.randperm(n, generator=generator)
    return x[0, perm], y[0, perm].clone()


# -------------------------------------------------------------- more marginals (Lufkin et al.)
#
# Lufkin, Saxe & Grant (NeurIPS 2024) vary the data beyond the NLGP to find which statistic
# drives localization: Kur(k), a Gaussian process with an algebraic-tailed marginal whose excess
# kurtosis changes sign with ``k``; the 1-D Ising chain; a single +-1 pulse on the ring; and
# elliptical distributions. All samplers draw on the CPU from ``generator``.

ELLIPTICAL_RADII = ("atanh", "constant", "chi")


def _check_k(k: object) -> float:
    return check_real("k", k, low=4.0, low_open=True)


def kur_moment(k: float, m: int) -> float:
    """Even moment ``E[Q(U)^m]`` of the Kur(k) quantile map, ``U`` uniform on ``[0, 1]``.

    With ``u = 2U - 1`` and ``Q = u / (1 - |u|^k)^(1/k)`` (substitute ``t = |u|^k``)::

        E[Q^m] = B((m + 1)/k, 1 - m/k) / k,

    finite for ``k > m`` (``B`` the Beta function). ``m`` must be even (odd moments vanish).
    """
    k = check_real("k", k, low=0.0, low_open=True)
    m = check_int("m", m, minimum=0)
    if m % 2:
        raise ValueError(f"m must be even (odd moments of Kur(k) vanish), got {m}")
    if k <= m:
        raise ValueError(f"k must exceed m = {m} for E[Q^m] to be finite, got {k}")
    return float(special.beta((m + 1) / k, 1 - m / k) / k)


def kur_kurtosis(k: float) -> float:
    """Kurtosis of the Kur(k) marginal, ``E[Q^4] / E[Q^2]^2`` (exact; 3 near ``k = 5.9``, 9/5 as ``k -> oo``)."""
    k = _check_k(k)
    return kur_moment(k, 4) / kur_moment(k, 2) ** 2


def kur_transform(z: torch.Tensor, k: float, variance: float = 1.0) -> torch.Tensor:
    """The Kur(k) marginal map ``x = Q(Phi(z)) / std``, ``Q(p) = (2p - 1) / (1 - |2p - 1|^k)^(1/k)``; any shape.

    ``z ~ N(0, variance)`` gives unit-variance ``x`` whose density decays like ``|x|^-(k+1)``:
    heavy tails (positive excess kurtosis) for ``k`` just above 4, close to uniform (excess
    kurtosis -6/5) for large ``k``. ``1 - |u|^k`` is computed from ``erfc`` so that the tails
    stay finite in floating point. ``z`` must be a non-empty, finite, real floating tensor (a
    list or array is converted).
    """
    z = check_tensor("z", z)
    k = _check_k(k)
    variance = check_real("variance", variance, low=0.0, low_open=True)
    z = z.to(torch.float64)
    r = z.abs() / math.sqrt(2 * variance)
    tail = torch.special.erfc(r)                       # 1 - |u|, accurate in the tails
    one_minus = -torch.expm1(k * torch.log1p(-tail))   # 1 - |u|^k
    u = torch.sign(z) * (1 - tail)
    return u / one_minus.clamp(min=1e-300).pow(1 / k) / math.sqrt(kur_moment(k, 2))


def kur(n: int, d_in: int, xi: float, k: float, generator: torch.Generator | None = None,
        dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` samples of Kur(k): a translation-invariant Gaussian process with Kur(k) marginals, ``[n, d_in]``.

    ``x_i = Q(Phi(z_i)) / std`` with ``z ~ N(0, C)`` (:func:`translation_invariant_cov`) and
    ``Q`` from :func:`kur_transform` (Lufkin, Saxe & Grant 2024). Unit marginal variance;
    marginal kurtosis :func:`kur_kurtosis`, which crosses the Gaussian value 3 near
    ``k = 5.9``. Requires ``k > 4`` (finite kurtosis).
    """
    check_float_dtype("dtype", dtype)
    n, d_in = _check_n(n), _check_d(d_in)
    xi, k = _check_xi(xi, d_in), _check_k(k)
    z = sample_gaussian(n, _factor(d_in, xi, None, "goldt", JITTER), generator, torch.float64)
    return kur_transform(z, k, 1 + JITTER).to(dtype)


def ising(n: int, d_in: int, J: float, generator: torch.Generator | None = None, *, sweeps: int = 200,
          dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` configurations of the periodic 1-D Ising chain ``p(s) ~ exp(J sum_i s_i s_(i+1))``:
    ``[n, d_in]``, ``+-1``.

    Metropolis sampling from independent random starts, vectorized over samples with a
    checkerboard schedule: a half-sweep proposes to flip sites of one colour in all ``n`` chains
    at once (even sites, then odd ones; for odd ``d_in`` the last site, a neighbour of site 0, gets
    a third colour). Sites of one colour do not interact, so the proposals are independent and
    each is accepted with the Metropolis probability ``min(1, exp(-Delta E))``,
    ``Delta E = 2 J s_i (s_{i-1} + s_{i+1})``. Each site is proposed with probability 1/2 in its
    half-sweep: with deterministic proposals the zero-energy moves (always accepted) would
    carry domain walls ballistically in one direction and the chain would mix badly. At
    equilibrium ``E[s_i s_{i+r}] = (t^r + t^(d_in-r)) / (1 + t^d_in)`` with ``t = tanh J``.

    Args:
        n: samples (independent chains). d_in: sites (>= 3). J: coupling (any sign; 0 = independent signs).
        generator: CPU generator. sweeps: sweeps (>= 1), each one half-sweep per colour; the
            correlation time grows with ``|J|`` (200 sweeps equilibrate ``|J| <= 1`` well).
        dtype: dtype of the returned spins.
    """
    check_float_dtype("dtype", dtype)
    n, d_in = _check_n(n), check_int("d_in", d_in, minimum=3)
    J = check_real("J", J)
    sweeps = check_int("sweeps", sweeps, minimum=1)
    s = torch.randint(0, 2, (n, d_in), generator=generator).to(torch.float32) * 2 - 1
    if d_in % 2 == 0:
        return _ising_even(s, J, sweeps, generator).to(dtype)
    colour = torch.arange(d_in) % 2
    colour[-1] = 2  # odd d_in: the last site neighbours site 0, so it gets a colour of its own
    groups = [torch.nonzero(colour == c).flatten() for c in range(3)]
    for _ in range(sweeps):
        for idx in groups:
            si = s[:, idx]
            p = _flip_probability(si, s[:, idx - 1] + s[:, (idx + 1) % d_in], J)
            s[:, idx] = torch.where(torch.rand(si.shape, generator=generator) < p, -si, si)
    return s.to(dtype)


def _flip_probability(s: torch.Tensor, neighbours: torch.Tensor, J: float) -> torch.Tensor:
    """Propose (probability 1/2) and accept (Metropolis): ``0.5 min(1, exp(-2 J s (s_left + s_right)))``."""
    return torch.exp((-2 * J) * s * neighbours).clamp_(max=1.0).mul_(0.5)


def _ising_even(s: torch.Tensor, J: float, sweeps: int, generator: torch.Generator | None) -> torch.Tensor:
    """The checkerboard sweeps of :func:`ising` for even ``d_in`` on the two sublattices as separate tensors.

    Even site ``2j`` has the odd neighbours ``2j - 1, 2j + 1`` (odd index ``j - 1, j``); odd site
    ``2j + 1`` has the even neighbours ``2j, 2j + 2`` (even index ``j, j + 1``).
    """
    even, odd = s[:, 0::2].clone(), s[:, 1::2].clone()
    for _ in range(sweeps):
        p = _flip_probability(even, odd + torch.roll(odd, 1, 1), J)
        even = torch.where(torch.rand(even.shape, generator=generator) < p, -even, even)
        p = _flip_probability(odd, even + torch.roll(even, -1, 1), J)
        odd = torch.where(torch.rand(odd.shape, generator=generator) < p, -odd, odd)
    s[:, 0::2], s[:, 1::2] = even, odd
    return s


SUPPORTS = ((-1.0, 1.0), (0.0, 1.0))


def pulse_lengths(fractions: Sequence[float], d_in: int) -> tuple[int, int]:
    """The pulse lengths ``(lo, hi)`` (inclusive) of the reference code for length fractions ``(f_lo, f_hi)``.

    Lufkin et al. draw a pulse of ``randint(int(f_lo d_in), int(f_hi d_in)) + 1`` sites (``randint``
    excludes its upper end), i.e. ``L`` uniform on ``int(f_lo d_in) + 1 .. int(f_hi d_in)``: for
    ``d_in = 40``, ``(0.05, 0.10) -> (3, 4)`` and ``(0.20, 0.25) -> (9, 10)``. The fractions must satisfy
    ``0 <= f_lo < f_hi < 1`` with ``int(f_lo d_in) < int(f_hi d_in) < d_in``.
    """
    d_in = _check_d(d_in)
    fractions = list(fractions)
    if len(fractions) != 2:
        raise ValueError(f"fractions must be a pair (f_lo, f_hi), got {fractions!r}")
    f_lo, f_hi = (check_real("fractions", f, low=0.0, high=1.0, high_open=True) for f in fractions)
    lo, hi = int(f_lo * d_in) + 1, int(f_hi * d_in)
    if not 1 <= lo <= hi <= d_in - 1:
        raise ValueError(f"fractions {fractions!r} give no pulse length for d_in = {d_in} "
                         f"(int(f_lo d_in) + 1 = {lo}, int(f_hi d_in) = {hi})")
    return lo, hi


def _check_support(support: object) -> tuple[float, float]:
    try:
        pair = tuple(float(v) for v in support)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"support must be (-1, 1) or (0, 1), got {support!r}") from None
    if pair not in SUPPORTS:
        raise ValueError(f"support must be (-1, 1) or (0, 1), got {support!r}")
    return pair


def single_pulse(n: int, d_in: int, length: Sequence[int], generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float32, support: Sequence[float] = (-1.0, 1.0)) -> torch.Tensor:
    """``n`` single-pulse inputs on a ring: one contiguous run of sites with the other value, ``[n, d_in]``.

    Each sample has a pulse of ``L`` sites, ``L`` uniform on ``length = (lo, hi)`` (inclusive,
    ``1 <= lo <= hi <= d_in - 1``; the reference's lengths are :func:`pulse_lengths`), starting at a
    uniform site (wrapping around the ring). With ``support = (-1, 1)`` the value is ``+1`` inside and
    ``-1`` outside, times a random overall sign; with ``(0, 1)`` it is 1 inside and 0 outside, and
    with probability 1/2 the sample is replaced by ``1 - x`` (the reference code's two supports).
    Every marginal is then uniform on the two values (central kurtosis 1, excess kurtosis -2); the
    ``(0, 1)`` data have mean 1/2 and are not symmetric under ``x -> -x``. Every sample has
    exactly two value changes around the ring.
    """
    check_float_dtype("dtype", dtype)
    n, d_in = _check_n(n), _check_d(d_in)
    length = list(length)
    if len(length) != 2:
        raise ValueError(f"length must be a pair (lo, hi) of pulse lengths, got {length!r}")
    lo, hi = (check_int("length", v, minimum=1, maximum=d_in - 1) for v in length)
    if lo > hi:
        raise ValueError(f"length must satisfy lo <= hi, got {length!r}")
    low, _ = _check_support(support)
    return _pulse(n, d_in, lo, hi, low, generator).to(dtype)


def _pulse(n: int, d_in: int, lo: int, hi: int, low: float, generator: torch.Generator | None) -> torch.Tensor:
    """The sampler of :func:`single_pulse` on checked arguments (float32)."""
    start = torch.randint(0, d_in, (n, 1), generator=generator)
    L = torch.randint(lo, hi + 1, (n, 1), generator=generator)
    flip = torch.randint(0, 2, (n, 1), generator=generator).bool()
    inside = torch.remainder(torch.arange(d_in)[None, :] - start, d_in) < L
    on = inside ^ flip                      # the pulse, or its complement 1 - x
    return torch.where(on, 1.0, low)


def ising_exact(n: int, d_in: int, J: float, generator: torch.Generator | None = None,
                dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` exact, independent samples of the periodic 1-D Ising chain ``p(s) ~ exp(J sum_i s_i s_(i+1))``:
    ``[n, d_in]``, ``+-1``.

    No Markov chain Monte Carlo: the *open* chain is a product of independent bonds (``s_0`` a fair
    sign, ``s_(i+1) = s_i b_i`` with ``b_i = +1`` with probability ``(1 + tanh J)/2``), drawn with one
    cumulative product; the closing bond ``exp(J s_(d-1) s_0)`` is then imposed by rejection (accept
    with probability ``exp(J s_(d-1) s_0 - |J|)``, at least ``exp(-2|J|)``). The accepted samples
    follow the periodic law exactly: ``E[s_i s_(i+r)] = (t^r + t^(d_in - r)) / (1 + t^d_in)``,
    ``t = tanh J``. Cheap enough to draw a fresh batch every training step
    (:class:`OnlineTwoClass`), unlike the Metropolis sampler :func:`ising`.

    Args:
        n: samples. d_in: sites (>= 3). J: coupling (finite, ``|J| <= 5``, any sign). generator: CPU generator.
        dtype: dtype of the returned spins.
    """
    check_float_dtype("dtype", dtype)
    n, d_in = _check_n(n), check_int("d_in", d_in, minimum=3)
    J = check_real("J", J, low=-5.0, high=5.0)
    return _ising_exact(n, d_in, J, generator).to(dtype)


def _ising_exact(n: int, d_in: int, J: float, generator: torch.Generator | None) -> torch.Tensor:
    keep_bond = (1 + math.tanh(J)) / 2
    out, have = [], 0
    while have < n:
        # acceptance about (1 + exp(-2|J|)) / 2 (the open chain closes on a good bond half the time); retry if short
        m = int(1.1 * (n - have) * 2 / (1 + math.exp(-2 * abs(J)))) + 16
        u = torch.rand(m, d_in + 1, generator=generator)
        steps = torch.where(u[:, :d_in] < keep_bond, 1.0, -1.0)
        steps[:, 0] = torch.where(u[:, 0] < 0.5, 1.0, -1.0)          # s_0, a fair sign
        s = torch.cumprod(steps, dim=1)                               # the open chain
        accept = u[:, d_in] < torch.exp(J * s[:, -1] * s[:, 0] - abs(J))
        s = s[accept]
        out.append(s[: n - have])
        have += out[-1].shape[0]
    return torch.cat(out)


def _radius_moments(radius: str, d_in: int) -> tuple[float, float]:
    """``E[r^2]`` and ``E[r^4]`` of the elliptical radius."""
    if radius == "constant":
        return 1.0, 1.0
    if radius == "chi":
        return float(d_in), float(d_in * (d_in + 2))
    # r = 2 + atanh(U): E[atanh U] = ln 2, E[atanh^2 U] = pi^2/12; the fourth moment by quadrature
    m = [integrate.quad(lambda u, p=p: (2 + math.atanh(u)) ** p, 0, 1, limit=200)[0] for p in (2, 4)]
    return m[0], m[1]


def elliptical_kurtosis(d_in: int, radius: str = "atanh") -> float:
    """Marginal kurtosis of :func:`elliptical`: ``3 d_in/(d_in + 2) E[r^4] / E[r^2]^2`` (exact).

    For ``u`` uniform on the unit sphere in ``d_in`` dimensions ``E[u_1^4] = 3/(d_in(d_in + 2))`` and
    ``E[u_1^2] = 1/d_in``, and every linear image ``f.u`` inherits these ratios.
    """
    d_in = _check_d(d_in)
    radius = str(check_choice("radius", radius, ELLIPTICAL_RADII))
    m2, m4 = _radius_moments(radius, d_in)
    return 3 * d_in / (d_in + 2) * m4 / m2**2


def elliptical(n: int, d_in: int, xi: float, generator: torch.Generator | None = None, *, radius: str = "atanh",
               dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` samples of an elliptical distribution with the ring covariance ``C``: ``[n, d_in]``, unit variance.

    ``x = r F u / s`` with ``F F^T = C`` (:func:`translation_invariant_cov`), ``u`` uniform on the
    unit sphere and an independent radius ``r``: ``"atanh"`` (``r = 2 + atanh(U)``, the
    reference code's default), ``"constant"`` (``r = 1``: ``x`` on an ellipsoid, excess
    kurtosis ``-6/(d_in + 2)``) or ``"chi"`` (``r = |N(0, I_D)|``: exactly Gaussian). ``s`` gives
    unit marginal variance. Covariance ``C / (1 + jitter)``; kurtosis :func:`elliptical_kurtosis`.
    """
    check_float_dtype("dtype", dtype)
    n, d_in = _check_n(n), _check_d(d_in)
    xi = _check_xi(xi, d_in)
    radius = str(check_choice("radius", radius, ELLIPTICAL_RADII))
    g = torch.randn(n, d_in, generator=generator, dtype=torch.float64)
    u = g / g.norm(dim=1, keepdim=True)
    if radius == "atanh":
        r = 2 + torch.atanh(torch.rand(n, 1, generator=generator, dtype=torch.float64).clamp(max=1 - 1e-16))
    elif radius == "chi":
        r = torch.randn(n, d_in, generator=generator, dtype=torch.float64).norm(dim=1, keepdim=True)
    else:
        r = torch.ones(n, 1, dtype=torch.float64)
    m2, _ = _radius_moments(radius, d_in)
    scale = math.sqrt(m2 / d_in * (1 + JITTER))
    return (r * u @ _factor(d_in, xi, None, "goldt", JITTER).T / scale).to(dtype)


DATA_KINDS = ("nlgp", "kur", "ising", "pulse", "elliptical")


def _sample_kind(kind: str, n: int, d_in: int, param: object, generator: torch.Generator | None,
                 options: dict) -> torch.Tensor:
    if kind == "nlgp":
        return nlgp(n, d_in, param, options["gain"], "lufkin", generator)
    if kind == "kur":
        return kur(n, d_in, param, options["k"], generator)
    if kind == "ising":
        return ising(n, d_in, param, generator, sweeps=options.get("sweeps", 200))
    if kind == "pulse":
        return single_pulse(n, d_in, param, generator, support=options.get("support", (-1.0, 1.0)))
    return elliptical(n, d_in, param, generator, radius=options.get("radius", "atanh"))


def _check_options(kind: str, options: dict) -> None:
    """The keyword options of a data kind: only the allowed ones, and the required one present."""
    allowed = {"nlgp": {"gain"}, "kur": {"k"}, "ising": {"sweeps"}, "pulse": {"support"},
               "elliptical": {"radius"}}[kind]
    if set(options) - allowed:
        raise ValueError(f"kind {kind!r} takes the options {sorted(allowed)}, got {sorted(options)}")
    required = {"nlgp": "gain", "kur": "k"}.get(kind)
    if required is not None and required not in options:
        raise ValueError(f"kind {kind!r} needs the option {required}=...")


def two_class_samples(kind: str, n: int, d_in: int, classes: Sequence[object], *, p: float = 0.5,
                      generator: torch.Generator | None = None, **options: object,
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """A two-class data set of one of Lufkin et al.'s kinds: ``x [n, d_in]`` and labels ``y [n]`` in ``{+1, -1}``.

    The first ``round(p n)`` samples are class 1 (label ``+1``, target 1 for the ReLU network)
    drawn with ``classes[0]``, the rest class 0 (label ``-1``) with ``classes[1]``:

    - ``"nlgp"``: correlation lengths, option ``gain`` (Lufkin convention, :func:`nlgp`);
    - ``"kur"``: correlation lengths, option ``k`` (:func:`kur`);
    - ``"ising"``: couplings ``J``, option ``sweeps`` (:func:`ising`);
    - ``"pulse"``: pulse-length ranges ``(lo, hi)`` (:func:`single_pulse`);
    - ``"elliptical"``: correlation lengths, option ``radius`` (:func:`elliptical`).
    """
    kind = str(check_choice("kind", kind, DATA_KINDS))
    n, d_in = check_int("n", n, minimum=2), _check_d(d_in)
    classes = list(classes)
    if len(classes) != 2:
        raise ValueError(f"classes must hold two class parameters (class 1, class 0), got {classes!r}")
    p = check_real("p", p, low=0.0, high=1.0, low_open=True, high_open=True)
    _check_options(kind, options)
    n1 = min(max(round(p * n), 1), n - 1)
    x1 = _sample_kind(kind, n1, d_in, classes[0], generator, options)
    x0 = _sample_kind(kind, n - n1, d_in, classes[1], generator, options)
    return torch.cat([x1, x0]), torch.cat([torch.ones(n1), -torch.ones(n - n1)])


def marginal_kurtosis(kind: str, d_in: int = 40, **options: object) -> float:
    """The exact kurtosis of one input's marginal for a data kind of :func:`two_class_samples`.

    NLGP: :func:`nlgp_kurtosis` (Lufkin convention); Kur(k): :func:`kur_kurtosis`; Ising and
    single pulse: 1 (every input takes two values with probability 1/2; for the ``(0, 1)`` pulse
    this is the central kurtosis, about the mean 1/2); elliptical: :func:`elliptical_kurtosis`. The options are
    those of :func:`two_class_samples` (``gain`` for the NLGP and ``k`` for Kur(k) are required).
    """
    kind = str(check_choice("kind", kind, DATA_KINDS))
    _check_options(kind, options)
    d_in = _check_d(d_in)
    if kind == "nlgp":
        return nlgp_kurtosis(options["gain"], "lufkin")
    if kind == "kur":
        return kur_kurtosis(options["k"])
    if kind in ("ising", "pulse"):
        return 1.0
    return elliptical_kurtosis(d_in, str(options.get("radius", "atanh")))


# ------------------------------------------------------------- exact covariances, fresh batches

def gp_transform_cov(cov: torch.Tensor, transform: Callable[[torch.Tensor], torch.Tensor],
                     points: int = 80) -> torch.Tensor:
    """The exact covariance ``E[f(z_i) f(z_j)]`` of ``x = f(z)``, ``z ~ N(0, cov)``, odd ``f``: ``[d_in, d_in]``.

    Each entry is a two-dimensional Gaussian expectation, computed by ``points x points``
    Gauss–Hermite quadrature with ``z_i = sigma_i u``, ``z_j = sigma_j (rho u + sqrt(1 - rho^2) v)``
    (``u, v`` independent standard normals, ``rho`` the correlation). ``f`` receives ``z`` with its
    own variance (``cov_ii``), as the samplers call it: e.g. ``lambda z: kur_transform(z, k, 1.001)``
    for Kur(k) on :func:`translation_invariant_cov`. For ``f(z) = z`` it returns ``cov``; for the
    NLGP map it matches the arcsin kernel :func:`nlgp_cov`. The mean of ``f(z)`` must vanish
    (an odd ``f``), so this is also the second-moment matrix. A circulant (translation-invariant)
    ``cov`` costs one row of quadratures, the others are its shifts.

    Args:
        cov: symmetric positive semi-definite ``[d_in, d_in]`` with a positive diagonal.
        transform: elementwise map of a float64 tensor.
        points: quadrature points per dimension (8 to 200).
    """
    cov = _check_cov(cov)
    if not callable(transform):
        raise ValueError(f"transform must be a callable z -> f(z), got {type(transform).__name__}")
    points = check_int("points", points, minimum=8, maximum=200)
    sd = cov.diagonal().sqrt()
    if bool((sd <= 0).any()):
        raise ValueError("cov must have a positive diagonal")
    import numpy as np  # local: numpy is only needed for the quadrature nodes

    nodes, weights = np.polynomial.hermite_e.hermegauss(points)
    u = torch.from_numpy(nodes)
    wq = torch.from_numpy(weights / weights.sum())
    rho = (cov / (sd[:, None] * sd[None, :])).clamp(-1.0, 1.0)
    d = cov.shape[0]
    out = torch.empty(d, d, dtype=torch.float64)
    w2 = wq[:, None] * wq[None, :]                                  # [P, P]
    circulant = torch.allclose(cov, torch.roll(cov, (1, 1), (0, 1)), rtol=0, atol=1e-12)
    for i in range(1 if circulant else d):                          # a circulant matrix is its first row, rolled
        fi = transform(sd[i] * u).to(torch.float64)                 # f(z_i) on the u nodes, [P]
        r = rho[i][:, None, None]                                   # [d, 1, 1]
        zj = sd[:, None, None] * (r * u[None, :, None] + torch.sqrt(1 - r**2) * u[None, None, :])
        fj = transform(zj).to(torch.float64)                        # [d, P(u), P(v)]
        out[i] = (w2 * fi[:, None] * fj).sum((1, 2))
    if circulant:
        out = torch.stack([torch.roll(out[0], i) for i in range(d)])
    return (out + out.T) / 2


def population_cov(kind: str, d_in: int, xi: float, **options: object) -> torch.Tensor:
    """The exact covariance of one class of a transformed Gaussian process: ``[d_in, d_in]`` (float64).

    ``"nlgp"`` (option ``gain``, Lufkin convention): the arcsin kernel :func:`nlgp_cov`; ``"kur"``
    (option ``k``): :func:`gp_transform_cov` of the Kur(k) map; ``"elliptical"``: ``C / (1 + jitter)``
    for every radius (:func:`elliptical` has unit marginal variance). ``C`` is
    :func:`translation_invariant_cov` with correlation length ``xi``. These are the covariances
    of the fresh batches of :class:`OnlineTwoClass`, with no sampling error.
    """
    kind = str(check_choice("kind", kind, ("nlgp", "kur", "elliptical")))
    _check_options(kind, options)
    cov = translation_invariant_cov(d_in, xi)
    if kind == "nlgp":
        return nlgp_cov(cov, _check_gain(options["gain"]), "lufkin")
    if kind == "kur":
        k = _check_k(options["k"])
        return gp_transform_cov(cov, lambda z: kur_transform(z, k, 1 + JITTER))
    return cov / (1 + JITTER)


def _kur_shared(cache: dict, key: tuple, z: torch.Tensor, k: float) -> torch.Tensor:
    """Kur(k) of the shared latent ``z``: the ``k``-independent parts are computed once per batch."""
    parts = cache.get(("kur", *key))
    if parts is None:
        tail = torch.special.erfc(z.abs() / math.sqrt(2 * (1 + JITTER)))
        parts = cache[("kur", *key)] = (torch.sign(z) * (1 - tail), torch.log1p(-tail))
    signed, log_u = parts                   # sign(z) |u| and log |u|, u = 2 Phi(z) - 1
    one_minus = -torch.expm1(k * log_u)     # 1 - |u|^k
    scale = 1 / math.sqrt(kur_moment(k, 2))
    return signed * one_minus.clamp(min=torch.finfo(z.dtype).tiny).pow(-1 / k) * scale


class OnlineTwoClass:
    """Fresh two-class batches for ``M`` members, each with its own data kind: one call per training step.

    Member ``m`` is ``(kind, classes, options)`` as for :func:`two_class_samples` (``"nlgp"``,
    ``"kur"``, ``"ising"``, ``"pulse"``, ``"elliptical"``; the Ising chain is drawn exactly with
    :func:`ising_exact`, so ``sweeps`` is ignored). :meth:`sample` returns ``x [M, n, d_in]`` and
    ``y [M, n]``: the first ``round(p n)`` samples of every member are class 1 (label ``+1``).
    Everything is drawn on the CPU from one generator, in float32 unless ``dtype`` says otherwise.
    (torch's float32 normal variates and ``erf`` differ in the last bits between its vectorized and
    portable CPU instruction paths; in float64 they came out bit-identical on both, as measured.)

    Members of the transformed-Gaussian kinds (NLGP, Kur) with the same ``stream`` number share
    the Gaussian noise ``z`` of each batch (common random numbers): every member still sees
    exact, fresh samples of its own distribution, and the costly part of a draw (the normal
    variates and the product with the covariance factor) is paid once per stream, not once
    per member. Members on different streams, and all other kinds, are independent.

    Args:
        d_in: input dimension. members: one ``(kind, classes, options)`` per member.
        p: fraction of class-1 samples in ``(0, 1)``.
        streams: one integer per member (default: all different, i.e. independent members).
        dtype: ``torch.float32`` (default) or ``torch.float64``, the dtype of the batches.
    """

    def __init__(self, d_in: int, members: Sequence[tuple[str, Sequence[object], dict]], *, p: float = 0.5,
                 streams: Sequence[int] | None = None, dtype: torch.dtype = torch.float32):
        self.d_in = _check_d(d_in)
        self.dtype = check_float_dtype("dtype", dtype)
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
        members = list(members)
        if not members:
            raise ValueError("members must hold at least one (kind, classes, options) triple")
        specs = []
        for i, spec in enumerate(members):
            if not isinstance(spec, (tuple, list)) or len(spec) != 3 or not isinstance(spec[2], dict):
                raise ValueError(f"members[{i}] must be a (kind, classes, options) triple, got {spec!r}")
            kind = str(check_choice("kind", spec[0], DATA_KINDS))
            classes = list(spec[1])
            if len(classes) != 2:
                raise ValueError(f"members[{i}]: classes must hold two class parameters, got {classes!r}")
            options = dict(spec[2])
            _check_options(kind, options)
            if kind in ("nlgp", "kur", "elliptical"):
                classes = [_check_xi(c, self.d_in) for c in classes]
            elif kind == "ising":
                classes = [check_real("J", c) for c in classes]
            else:
                classes = [tuple(check_int("length", v, minimum=1, maximum=self.d_in - 1) for v in c)
                           for c in classes]
                if any(len(c) != 2 or c[0] > c[1] for c in classes):
                    raise ValueError(f"members[{i}]: pulse lengths must be pairs lo <= hi, got {classes!r}")
                options["support"] = _check_support(options.get("support", (-1.0, 1.0)))
            if kind == "nlgp":
                _check_gain(options["gain"])
            if kind == "kur":
                _check_k(options["k"])
            if kind == "elliptical":
                options["radius"] = str(check_choice("radius", options.get("radius", "atanh"), ELLIPTICAL_RADII))
            specs.append((kind, classes, options))
        self.specs = specs
        self.p = check_real("p", p, low=0.0, high=1.0, low_open=True, high_open=True)
        if streams is None:
            streams = list(range(len(specs)))
        streams = [check_int("streams", s) for s in streams]
        if len(streams) != len(specs):
            raise ValueError(f"streams must have one entry per member ({len(specs)}), got {len(streams)}")
        self.streams = streams
        self.factors = {xi: _factor(self.d_in, xi, None, "goldt", JITTER).to(self.dtype)
                        for kind, cls, _ in specs if kind in ("nlgp", "kur", "elliptical") for xi in cls}

    @property
    def members(self) -> int:
        """Number of members ``M``."""
        return len(self.specs)

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """A fresh batch for every member: ``x [M, n, d_in]`` (``dtype``) and labels ``y [M, n]`` in ``{+1, -1}``."""
        n = check_int("n", n, minimum=2)
        return self._sample(n, generator)

    def class_sample(self, c: int, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` fresh samples of class ``c`` only (1: the class with target 1, 0: the other): ``[M, n, d_in]``."""
        c = check_int("c", c, minimum=0, maximum=1)
        n = check_int("n", n, minimum=1)
        return self._draw(1 - c, n, generator)

    def _sample(self, n: int, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
        n1 = min(max(round(self.p * n), 1), n - 1)
        x = torch.empty(self.members, n, self.d_in, dtype=self.dtype)
        self._draw(0, n1, generator, x[:, :n1])
        self._draw(1, n - n1, generator, x[:, n1:])
        y = torch.cat([torch.ones(n1, dtype=self.dtype), -torch.ones(n - n1, dtype=self.dtype)]).expand(self.members, n)
        return x, y

    def _draw(self, c: int, size: int, generator: torch.Generator | None,
              out: torch.Tensor | None = None) -> torch.Tensor:
        """``size`` samples of the class at position ``c`` of every member's ``classes``: ``[M, size, d_in]``."""
        d = self.d_in
        x = torch.empty(self.members, size, d, dtype=self.dtype) if out is None else out
        noise: dict[int, torch.Tensor] = {}
        latent: dict[tuple, object] = {}
        for m, ((kind, classes, opts), stream) in enumerate(zip(self.specs, self.streams)):
            param = classes[c]
            if kind in ("nlgp", "kur"):
                if stream not in noise:
                    noise[stream] = torch.randn(size, d, generator=generator, dtype=self.dtype)
                key = (stream, param)
                if key not in latent:
                    latent[key] = noise[stream] @ self.factors[param].T
                z = latent[key]
                if kind == "nlgp":
                    g = opts["gain"]
                    torch.mul(torch.erf(g * z), 1 / nlgp_scale(g, "lufkin", 1 + JITTER), out=x[m])
                else:
                    x[m] = _kur_shared(latent, key, z, float(opts["k"]))
            elif kind == "ising":
                x[m] = _ising_exact(size, d, param, generator)
            elif kind == "pulse":
                x[m] = _pulse(size, d, param[0], param[1], opts["support"][0], generator)
            else:
                x[m] = _elliptical_online(size, d, self.factors[param], opts["radius"], generator)
        return x


def _elliptical_online(n: int, d_in: int, factor: torch.Tensor, radius: str, generator: torch.Generator | None,
                       ) -> torch.Tensor:
    """:func:`elliptical` in the factor's dtype with a given factor (the sampler of :class:`OnlineTwoClass`)."""
    dt = factor.dtype
    g = torch.randn(n, d_in, generator=generator, dtype=dt)
    g = g / g.norm(dim=1, keepdim=True)
    if radius == "atanh":
        g = g * (2 + torch.atanh(torch.rand(n, 1, generator=generator, dtype=dt).clamp(max=1 - 1e-7)))
    elif radius == "chi":
        g = g * torch.randn(n, d_in, generator=generator, dtype=dt).norm(dim=1, keepdim=True)
    m2, _ = _radius_moments(radius, d_in)
    return g @ factor.T * (1 / math.sqrt(m2 / d_in * (1 + JITTER)))
