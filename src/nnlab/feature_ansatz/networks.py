"""Deep MLPs, their per-layer AGOPs, and the pre-activation-gradient isotropy test.

For a plain MLP ``h_{l+1} = sigma(p_{l+1})``, ``p_{l+1} = W_l h_l`` (``h_0 = x``), the chain
rule gives, for every input ``x``, ``grad_{h_l} f = W_l^T grad_{p_{l+1}} f``. Averaged over
the data,

``AGOP_l = (1/n) sum_x grad_h f grad_h f^T = W_l^T G_p W_l``,
``G_p = (1/n) sum_x grad_p f grad_p f^T``,

so the ansatz ``W_l^T W_l ~ AGOP_l`` (power 1) holds exactly when ``W_l^T (G_p - c I) W_l = 0``,
i.e. for an invertible ``W_l`` when the pre-activation gradients are in isotropic position,
``G_p = c I`` (the reformulation of the critical-reading note). For the Science power
``alpha = 1/2`` the same algebra gives ``G_p = c W_l W_l^T`` instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import jacrev, vmap

from ..validation import check_bool, check_choice, check_int, check_real, check_tensor
from .agop import _check_matrix, _matrix_correlation, _nfm, _outer_mean, matrix_correlation, psd_power
from .forms import Forms, exact_forms

__all__ = ["make_mlp", "linear_layers", "layer_gradients", "layer_agops", "preactivation_agop",
           "Isotropy", "isotropy", "preactivation_isotropy", "VARIANTS", "ansatz_correlations",
           "LayerReport", "isotropy_report"]

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


def make_mlp(d_in: int, width: int, depth: int, generator: torch.Generator, activation: str = "relu",
             outputs: int = 1, init: str = "torch") -> nn.Sequential:
    """A bias-free MLP ``d_in -> width -> ... -> width -> outputs`` with ``depth`` hidden layers.

    Weights are drawn on the CPU from ``generator``. ``init="torch"`` is PyTorch's default for
    ``nn.Linear``, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (variance ``1 / (3 fan_in)``) in every
    layer, as in the paper's reference code; ``init="he"`` is ``N(0, gain / fan_in)`` with the
    gain of the activation (2 for ReLU, 1 otherwise) in hidden layers and ``N(0, 1 / fan_in)``
    in the readout (6 times the variance of ``"torch"`` for ReLU).

    Args:
        d_in: input dimension. width: hidden units per layer. depth: number of hidden layers (>= 1).
        generator: CPU generator for the initial weights.
        activation: ``"relu"``, ``"tanh"`` or ``"gelu"``.
        outputs: output dimension.
        init: ``"torch"`` or ``"he"``.

    Returns:
        ``nn.Sequential`` of ``nn.Linear(bias=False)`` and activations (the fast path of
        :class:`nnlab.training.Ensemble` applies).
    """
    d_in = check_int("d_in", d_in, minimum=1)
    width = check_int("width", width, minimum=1)
    depth = check_int("depth", depth, minimum=1)
    outputs = check_int("outputs", outputs, minimum=1)
    check_choice("activation", activation, ACTIVATIONS)
    check_choice("init", init, ("torch", "he"))
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {generator!r}")
    gain = 2.0 if activation == "relu" else 1.0
    layers: list[nn.Module] = []
    sizes = [d_in] + [width] * depth
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [_linear(fan_in, fan_out, gain, init, generator), ACTIVATIONS[activation]()]
    layers.append(_linear(sizes[-1], outputs, 1.0, init, generator))
    return nn.Sequential(*layers)


def _linear(fan_in: int, fan_out: int, gain: float, init: str, generator: torch.Generator) -> nn.Linear:
    layer = nn.utils.skip_init(nn.Linear, fan_in, fan_out, bias=False)  # drawn below from `generator`
    if init == "torch":
        weight = (2 * torch.rand(fan_out, fan_in, generator=generator) - 1) / math.sqrt(fan_in)
    else:
        weight = torch.randn(fan_out, fan_in, generator=generator) * math.sqrt(gain / fan_in)
    with torch.no_grad():
        layer.weight.copy_(weight)
    return layer


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """The ``nn.Linear`` layers of a plain MLP (``nn.Sequential``) in order; layer ``l`` maps ``h_l`` to ``p_{l+1}``."""
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"model must be an nn.Sequential MLP, got {type(model).__name__}")
    layers = [m for m in model if isinstance(m, nn.Linear)]
    if not layers:
        raise ValueError("model must contain at least one nn.Linear layer")
    return layers


def layer_gradients(model: nn.Sequential, X: torch.Tensor,
                    chunk: int = 2048) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Per-sample Jacobians of the output with respect to every layer's input and pre-activation.

    One ``vmap(jacrev)`` call: zero "taps" are added to the input ``h_l`` and to the output
    ``p_{l+1}`` of every linear layer, and the Jacobian with respect to the taps is taken.

    Args:
        model: a plain MLP (see :func:`linear_layers`); its output has ``c`` entries.
        X: inputs ``[n, d]``.
        chunk: samples per ``vmap`` call.

    Returns:
        ``(inputs, preacts)``: lists with one entry per linear layer ``l``, of shapes
        ``[n, c, d_l]`` (gradients with respect to ``h_l``) and ``[n, c, k_l]`` (with respect
        to ``p_{l+1} = W_l h_l``).

    Raises:
        ValueError: unless ``X`` is a finite non-empty real floating ``[n, d]`` tensor with ``d``
            the model's input size (a list or numpy array is converted, and ``X`` is cast to the
            dtype of the model's weights, e.g. float64 data into a float32 model), or for a
            ``chunk`` below 1.
    """
    linears = linear_layers(model)
    X = _check_matrix("X", X, spec="n d")
    if X.shape[1] != linears[0].in_features:
        raise ValueError(f"X must have {linears[0].in_features} columns (the model's input), got {X.shape[1]}")
    chunk = check_int("chunk", chunk, minimum=1)
    X = X.to(linears[0].weight.dtype)
    zeros_in = tuple(torch.zeros(m.in_features, dtype=X.dtype, device=X.device) for m in linears)
    zeros_pre = tuple(torch.zeros(m.out_features, dtype=X.dtype, device=X.device) for m in linears)

    def tapped(taps_in: tuple, taps_pre: tuple, x: torch.Tensor) -> torch.Tensor:
        h, k = x, 0
        for module in model:
            if isinstance(module, nn.Linear):
                h = module(h + taps_in[k]) + taps_pre[k]
                k += 1
            else:
                h = module(h)
        return h.reshape(-1)

    jac = vmap(jacrev(tapped, argnums=(0, 1)), in_dims=(None, None, 0), chunk_size=chunk)
    inputs, preacts = jac(zeros_in, zeros_pre, X)
    return [g.detach() for g in inputs], [g.detach() for g in preacts]


def layer_agops(model: nn.Sequential, X: torch.Tensor, centered: bool = False) -> list[torch.Tensor]:
    """AGOP of the network with respect to each linear layer's input ``h_l``, over the rows of ``X``.

    ``AGOP_l = (1/n) sum_x J_l(x)^T J_l(x)``, ``J_l`` the Jacobian of the sub-network from
    ``h_l`` to the output (the matrix compared with ``W_l^T W_l`` in the ansatz).

    Args:
        model: a plain MLP. X: inputs ``[n, d]``. centered: subtract the mean Jacobian first.

    Returns:
        One ``[d_l, d_l]`` matrix per linear layer (the last one is the readout's).
    """
    check_bool("centered", centered)
    inputs, _ = layer_gradients(model, X)
    return [_outer_mean(J, centered) for J in inputs]


def preactivation_agop(model: nn.Sequential, X: torch.Tensor, layer: int) -> torch.Tensor:
    """``G_p = (1/n) sum_x grad_p f grad_p f^T`` for the pre-activations ``p = W_layer h_layer``.

    Returns:
        ``[k, k]`` with ``k`` the output size of linear layer ``layer`` (0-based).
    """
    n_layers = len(linear_layers(model))
    layer = check_int("layer", layer, minimum=0, maximum=n_layers - 1)
    _, preacts = layer_gradients(model, X)
    return _outer_mean(preacts[layer])


@dataclass
class Isotropy:
    """How close a PSD matrix ``G`` ``[k, k]`` is to a multiple of the identity.

    Attributes:
        eigenvalues: eigenvalues of ``G``, descending.
        spread: ``lambda_max / lambda_min`` (``inf`` when ``G`` is singular).
        distance: relative distance to the nearest ``c I``, ``min_c ||G - c I||_F / ||G||_F``
            (0 for isotropic, ``sqrt(1 - 1/k)`` for rank one).
        distance_in_range: the same for ``U^T G U``, ``U`` an orthonormal basis of the range of
            ``W`` (the part of ``G`` that the ansatz for ``W`` sees); equals ``distance`` when
            ``W`` is invertible.
        rank_fraction: effective rank ``(tr G)^2 / ||G||_F^2`` divided by ``k`` (1 for isotropic).
        ansatz_distance: relative distance of the sandwich ``A = W^T G W`` ``[d, d]`` to the
            nearest ``c W^T W``, ``min_c ||A - c W^T W||_F / ||A||_F`` (``nan`` without ``W``):
            the residual of the power-1 ansatz ``W^T W ~ AGOP`` itself (raw NFM, uncentred
            gradients, no mean subtraction). With ``W = U S V^T``,
            ``W^T (G - c I) W = V S U^T (G - c I) U S V^T``: the ansatz residual weights the
            isotropy residual within ``range(W)`` by the squared singular values of ``W``, so
            the two agree only up to the factor ``cond(W)^2 = s_max^2 / s_min^2``; this one
            can be small while ``distance_in_range`` is large.
    """

    eigenvalues: torch.Tensor
    spread: float
    distance: float
    distance_in_range: float
    rank_fraction: float
    ansatz_distance: float = math.nan


def _distance_to_identity(G: torch.Tensor) -> float:
    k = G.shape[0]
    fro2 = float((G * G).sum())
    if fro2 == 0:
        raise ValueError("G must not be the zero matrix")
    return math.sqrt(max(0.0, 1.0 - float(torch.trace(G)) ** 2 / (k * fro2)))


def isotropy(G: torch.Tensor, W: torch.Tensor | None = None, rtol: float = 1e-6) -> Isotropy:
    """Measure how isotropic a PSD matrix ``G`` ``[k, k]`` is (see :class:`Isotropy`).

    Args:
        G: symmetric positive semi-definite ``[k, k]``.
        W: optional ``[k, d]`` matrix; ``distance_in_range`` compresses ``G`` to its column space.
        rtol: singular values of ``W`` below ``rtol * max`` are treated as zero (``0 <= rtol < 1``).

    Returns:
        :class:`Isotropy`.

    Raises:
        ValueError: unless ``G`` (and ``W``) are finite non-empty real floating matrices of
            matching sizes (lists and numpy arrays are converted), ``rtol`` lies in ``[0, 1)``, or
            when ``G`` is the zero matrix.
    """
    G = _check_matrix("G", G, square=True)
    if W is not None:
        if isinstance(W, torch.Tensor) and W.ndim == 2 and W.shape[0] != G.shape[0]:
            raise ValueError(f"W must have {G.shape[0]} rows (the size of G), got shape {tuple(W.shape)}")
        W = _check_matrix("W", W, spec=f"{G.shape[0]} d")
    rtol = check_real("rtol", rtol, low=0.0, high=1.0, high_open=True)
    G = G.detach().double()
    G = (G + G.T) / 2
    vals = torch.linalg.eigvalsh(G).flip(0)
    lam_min = float(vals[-1])
    spread = float(vals[0]) / lam_min if lam_min > 0 else math.inf
    distance = _distance_to_identity(G)
    in_range, ansatz_distance = distance, math.nan
    if W is not None:
        W = W.detach().double().to(G.device)
        U, s, _ = torch.linalg.svd(W, full_matrices=False)
        U = U[:, s > rtol * s.max()]
        in_range = _distance_to_identity(U.T @ G @ U)
        A, B = W.T @ G @ W, W.T @ W
        cos = float((A * B).sum()) / (float(A.norm()) * float(B.norm()))
        ansatz_distance = math.sqrt(max(0.0, 1.0 - cos ** 2))
    rank_fraction = float(torch.trace(G)) ** 2 / float((G * G).sum()) / G.shape[0]
    return Isotropy(vals.cpu(), spread, distance, in_range, rank_fraction, ansatz_distance)


def preactivation_isotropy(model: nn.Sequential, X: torch.Tensor, layer: int) -> Isotropy:
    """Isotropy of the pre-activation gradients of linear layer ``layer`` (0-based) of an MLP.

    Computes ``G_p`` (:func:`preactivation_agop`) and compares it with a multiple of the identity,
    on the whole space and within the range of ``W_layer``. The note's reformulation of the
    ansatz (power 1) is ``G_p ~ I``.

    Args:
        model: a plain MLP. X: inputs ``[n, d]``. layer: index of a hidden linear layer.

    Returns:
        :class:`Isotropy`.
    """
    linears = linear_layers(model)
    layer = check_int("layer", layer, minimum=0, maximum=len(linears) - 1)
    G = preactivation_agop(model, X, layer)
    return isotropy(G, linears[layer].weight)


VARIANTS = (
    "W0 sub, uncentred, a=1/2",
    "W0 sub, centred, a=1/2",
    "raw, uncentred, a=1/2",
    "raw, centred, a=1/2",
    "W0 sub, uncentred, a=1",
    "raw, uncentred, a=1",
    "control: W0^T W0 vs G^1/2",
)


def ansatz_correlations(model: nn.Sequential, X: torch.Tensor,
                        initial: list[torch.Tensor]) -> dict[str, list[float]]:
    """The ansatz correlation of every hidden layer of an MLP, in each variant of :data:`VARIANTS`.

    A variant names the neural feature matrix (``W0 sub``: ``(W - W0)^T (W - W0)``; ``raw``:
    ``W^T W``), the AGOP (centred or uncentred gradients) and its power ``a``. The control
    correlates the *initial* ``W0^T W0`` with ``G^1/2`` of the trained network: it is far from
    0 because both matrices have dominant diagonals.

    Args:
        model: a trained plain MLP. X: the inputs to average over ``[n, d]``.
        initial: the initial weight matrices, one per linear layer (as :func:`linear_layers`).

    Returns:
        ``{variant: [corr for hidden layer 0, 1, ...]}`` (the readout is left out); ``nan``
        where a matrix is constant (e.g. ``W - W0 = 0`` before training).

    Raises:
        ValueError: for an ``X`` as in :func:`layer_gradients`, or unless ``initial`` holds one
            finite real floating tensor of the layer's weight shape per linear layer.
    """
    linears = linear_layers(model)
    if not isinstance(initial, (list, tuple)) or len(initial) != len(linears):
        raise ValueError(f"initial must be a list of {len(linears)} weight matrices (one per linear layer), "
                         f"got {initial!r:.80}")
    for i, (lin, W0) in enumerate(zip(linears, initial)):
        if not isinstance(W0, torch.Tensor) or W0.shape != lin.weight.shape:
            raise ValueError(f"initial weights must match the layer shapes {tuple(lin.weight.shape)}, "
                             f"got {getattr(W0, 'shape', W0)}")
        check_tensor(f"initial[{i}]", W0)
    inputs, _ = layer_gradients(model, X)
    out: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for layer in range(len(linears) - 1):
        W = linears[layer].weight.detach()
        W0 = initial[layer].to(W.device)
        G = _outer_mean(inputs[layer])
        Gc = _outer_mean(inputs[layer], centered=True)
        G_half, Gc_half = psd_power(G, 0.5), psd_power(Gc, 0.5)
        M_sub, M_raw = _nfm(W, W0), _nfm(W)
        values = (
            _corr(M_sub, G_half), _corr(M_sub, Gc_half), _corr(M_raw, G_half), _corr(M_raw, Gc_half),
            _corr(M_sub, G), _corr(M_raw, G), _corr(_nfm(W0), G_half),
        )
        for name, value in zip(VARIANTS, values):
            out[name].append(value)
    return out


def _corr(A: torch.Tensor, B: torch.Tensor) -> float:
    """``matrix_correlation``, or ``nan`` when one matrix is constant."""
    try:
        return _matrix_correlation(A, B)
    except ValueError:
        return math.nan


@dataclass
class LayerReport:
    """The ansatz next to its isotropy reformulation, for one hidden layer (see :func:`isotropy_report`).

    Attributes:
        layer: index of the linear layer (0-based).
        shape: shape ``(k, d)`` of its weight ``W``.
        corr: the ansatz correlation in each variant of :data:`VARIANTS`.
        isotropy: :class:`Isotropy` of the trained ``G_p`` (with ``W``).
        isotropy_init: the same at initialization (initial network, initial ``W``).
        cond2: ``cond(W)^2 = (s_max / s_min)^2``.
        corr_gp_wwt: ``corr(G_p, W W^T)``: the ``alpha = 1/2`` form of the reformulation.
        forms: :class:`~nnlab.feature_ansatz.forms.Forms` of the trained layer (both exact forms).
        forms_init: the same at initialization.
        corr_gp_wwt_init: ``corr(G_p, W W^T)`` at initialization.
    """

    layer: int
    shape: tuple[int, int]
    corr: dict[str, float]
    isotropy: Isotropy
    isotropy_init: Isotropy
    cond2: float
    corr_gp_wwt: float
    forms: Forms | None = None
    forms_init: Forms | None = None
    corr_gp_wwt_init: float = math.nan


def isotropy_report(model: nn.Sequential, initial: nn.Sequential, X: torch.Tensor) -> list[LayerReport]:
    """For every hidden layer of a trained MLP: the ansatz correlations and the isotropy of ``G_p``.

    ``G_p = (1/n) sum_x grad_p f grad_p f^T`` for the pre-activations ``p = W h`` of the layer;
    the power-1 ansatz ``W^T W ~ W^T G_p W`` holds for invertible ``W`` iff ``G_p ~ I``. One
    pass of :func:`layer_gradients` per network gives every layer's gradients.

    Args:
        model: the trained plain MLP. initial: the same network at initialization.
        X: the inputs to average over ``[n, d]``.

    Returns:
        One :class:`LayerReport` per hidden linear layer (the readout is left out).

    Raises:
        ValueError: for an ``X`` as in :func:`layer_gradients`, or unless ``model`` and
            ``initial`` are plain MLPs with the same linear layer shapes.
    """
    linears, linears0 = linear_layers(model), linear_layers(initial)
    if [m.weight.shape for m in linears] != [m.weight.shape for m in linears0]:
        raise ValueError("initial must have the architecture of model (the same linear layer shapes)")
    _check_matrix("X", X, spec="n d")
    corr = ansatz_correlations(model, X, [m.weight.detach() for m in linears0])
    _, pre = layer_gradients(model, X)
    _, pre0 = layer_gradients(initial, X)
    reports = []
    for layer in range(len(linears) - 1):
        W, W0 = linears[layer].weight.detach(), linears0[layer].weight.detach()
        Gp, Gp0 = _outer_mean(pre[layer]), _outer_mean(pre0[layer])
        sv = torch.linalg.svdvals(W.double())
        reports.append(LayerReport(
            layer, (W.shape[0], W.shape[1]), {v: corr[v][layer] for v in VARIANTS},
            isotropy(Gp, W), isotropy(Gp0, W0),
            float(sv[0] / sv[-1]) ** 2, matrix_correlation(Gp, W @ W.T),
            exact_forms(Gp, W), exact_forms(Gp0, W0), matrix_correlation(Gp0, W0 @ W0.T)))
    return reports
