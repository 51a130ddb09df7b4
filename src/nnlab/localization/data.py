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


def single_pulse(n: int, d_in: int, length: Sequence[int], generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` single-pulse inputs on a ring: ``+-1`` with one contiguous run of the opposite sign, ``[n, d_in]``.

    Each sample has a pulse of ``L`` sites, ``L`` uniform on ``length = (lo, hi)`` (inclusive,
    ``1 <= lo <= hi <= d_in - 1``), starting at a uniform site (wrapping around the ring), value
    ``+1`` inside and ``-1`` outside, times a random overall sign (Lufkin et al.'s single-pulse
    data). The marginals are ``+-1`` with mean 0 (kurtosis 1); every sample has exactly two
    sign changes around the ring.
    """
    check_float_dtype("dtype", dtype)
    n, d_in = _check_n(n), _check_d(d_in)
    length = list(length)
    if len(length) != 2:
        raise ValueError(f"length must be a pair (lo, hi) of pulse lengths, got {length!r}")
    lo, hi = (check_int("length", v, minimum=1, maximum=d_in - 1) for v in length)
    if lo > hi:
        raise ValueError(f"length must satisfy lo <= hi, got {length!r}")
    start = torch.randint(0, d_in, (n, 1), generator=generator)
    L = torch.randint(lo, hi + 1, (n, 1), generator=generator)
    sign = torch.randint(0, 2, (n, 1), generator=generator) * 2 - 1
    inside = torch.remainder(torch.arange(d_in)[None, :] - start, d_in) < L
    return (sign * (2 * inside.long() - 1)).to(dtype)


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
        return single_pulse(n, d_in, param, generator)
    return elliptical(n, d_in, param, generator, radius=options.get("radius", "atanh"))


def _check_options(kind: str, options: dict) -> None:
    """The keyword options of a data kind: only the allowed ones, and the required one present."""
    allowed = {"nlgp": {"gain"}, "kur": {"k"}, "ising": {"sweeps"}, "pulse": set(), "elliptical": {"radius"}}[kind]
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
    single pulse: 1 (every input is ``+-1``); elliptical: :func:`elliptical_kurtosis`. The options are
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
