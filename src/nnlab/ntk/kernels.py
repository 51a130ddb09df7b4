"""Neural tangent kernels: the empirical one of any scalar network, and the analytic one of ReLU MLPs.

The empirical NTK of a network ``f(x; theta)`` is ``Theta(x, x') = J(x) J(x')^T`` with
``J(x) = df(x; theta)/dtheta`` (Jacot et al. 2018). :func:`empirical_ntk` computes all
per-sample Jacobians at once with ``torch.func`` (``vmap`` of ``jacrev``), never looping over
samples. For the plain :class:`nnlab.ntk.MLP` a structured path skips the ``[n, P]`` Jacobian:
the weight ``W_l`` of ``h_(l+1) = c_l W_l a_l`` contributes
``c_l^2 (delta_(l+1)(x) . delta_(l+1)(x')) (a_l(x) . a_l(x'))``, with ``a_l`` the layer's input and
``delta_(l+1) = df/dh_(l+1)`` the back-propagated pre-activation gradient, all computed for the
whole batch with matrix products. :func:`relu_ntk` and :func:`relu_nngp` give the infinite-width limits of
:class:`nnlab.ntk.MLP` in NTK parameterization through the arc-cosine recursion (Cho & Saul
2009; Arora et al. 2019).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap

from ..validation import check_bool, check_choice, check_int, check_tensor
from .models import MLP

__all__ = ["empirical_ntk", "relu_ntk", "relu_nngp", "NTK_METHODS"]

NTK_METHODS = ("auto", "structured", "jacobian", "loop")


def _check_inputs(x1: torch.Tensor, x2: torch.Tensor | None) -> torch.Tensor:
    for name, x in (("x1", x1), ("x2", x2)):
        if isinstance(x, torch.Tensor):
            check_tensor(name, x)  # floating, finite, non-empty
    if not isinstance(x1, torch.Tensor) or x1.ndim != 2:
        raise ValueError(f"x1 must be a 2-D tensor [n1, d], got {getattr(x1, 'shape', type(x1))}")
    if x2 is None:
        return x1
    if not isinstance(x2, torch.Tensor) or x2.ndim != 2:
        raise ValueError(f"x2 must be a 2-D tensor [n2, d], got {getattr(x2, 'shape', type(x2))}")
    if x2.shape[1] != x1.shape[1]:
        raise ValueError(f"x1 and x2 must have the same feature dimension, got {x1.shape[1]} and {x2.shape[1]}")
    return x2


def _jacobians(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-sample Jacobians ``{name: [n, *param.shape]}`` of a scalar-output model."""
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def f(p: dict, xi: torch.Tensor) -> torch.Tensor:
        return functional_call(model, (p, buffers), (xi[None],)).reshape(())

    return vmap(jacrev(f), in_dims=(None, 0))(params, x)


def _mlp_forward_backward(model: MLP, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Layer inputs ``a_l`` ``[b, fan_in_l]`` and pre-activation gradients ``delta_(l+1)`` ``[b, n]`` of an MLP.

    ``h_(l+1) = c_l W_l a_l`` with ``a_0 = x`` and ``a_l = relu(h_l)``; ``f = c_out v . a_L``. Back
    propagation: ``delta_L = c_out v * relu'(h_L)``, ``delta_l = relu'(h_l) * c_l W_l^T delta_(l+1)``.
    """
    inputs, masks = [], []
    a = x
    for w, c in zip(model.weights, model.multipliers):
        inputs.append(a)
        h = (a @ w.T) * c
        masks.append(h > 0)
        a = torch.relu(h)
    inputs.append(a)  # a_L, the penultimate features
    delta = model.out_multiplier * model.readout * masks[-1]
    deltas = [delta]
    for layer in range(model.depth - 1, 0, -1):  # delta_l from delta_(l+1) through W_l
        delta = (delta @ model.weights[layer]) * model.multipliers[layer] * masks[layer - 1]
        deltas.append(delta)
    return inputs, deltas[::-1]


def _mlp_ntk_blocks(model: MLP, x1: torch.Tensor, x2: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-parameter NTK blocks of an :class:`MLP` without forming Jacobians (see the module docstring)."""
    with torch.no_grad():
        a1, d1 = _mlp_forward_backward(model, x1)
        a2, d2 = (a1, d1) if x2 is x1 else _mlp_forward_backward(model, x2)
        blocks = {"readout": model.out_multiplier ** 2 * (a1[-1] @ a2[-1].T)}  # the order of named_parameters()
        for i, c in enumerate(model.multipliers):
            blocks[f"weights.{i}"] = c * c * (d1[i] @ d2[i].T) * (a1[i] @ a2[i].T)
    return blocks


def empirical_ntk(model: nn.Module, x1: torch.Tensor, x2: torch.Tensor | None = None, *,
                  per_parameter: bool = False, method: str = "auto") -> torch.Tensor | dict[str, torch.Tensor]:
    """The empirical NTK ``Theta(x, x') = sum_p df(x)/dtheta_p df(x')/dtheta_p`` of a scalar network.

    Args:
        model: a module mapping ``[b, d]`` to ``[b]`` (or ``[b, 1]``): one real output per input.
        x1: inputs ``[n1, d]`` (cast to the model's parameter dtype, e.g. float64 data into a
            float32 network).
        x2: inputs ``[n2, d]``; ``None`` means ``x1`` (the Gram matrix, symmetric PSD).
        per_parameter: return ``{parameter name: [n1, n2]}``, one kernel per parameter tensor
            (their sum is the NTK), e.g. to separate the readout (penultimate-feature) part.
        method: ``"jacobian"``: ``vmap(jacrev(f))`` over the samples, then one matrix product per
            parameter tensor (any model); ``"structured"``: for :class:`nnlab.ntk.MLP` only, the block
            of ``W_l`` is ``c_l^2 (delta_(l+1) delta_(l+1)'^T) * (a_l a_l'^T)`` from one batched
            forward and backward pass, never forming the ``[n, P]`` Jacobian; ``"auto"``: structured
            for an :class:`nnlab.ntk.MLP`, Jacobian otherwise; ``"loop"``: one ``torch.autograd.grad``
            call per sample, the slow reference the other two are checked and timed against.

    Returns:
        ``[n1, n2]`` kernel, or the dictionary described above.
    """
    if not isinstance(model, nn.Module) or not any(True for _ in model.parameters()):
        raise ValueError(f"model must be a torch.nn.Module with parameters, got {type(model).__name__}")
    x2 = _check_inputs(x1, x2)
    dtype = next(model.parameters()).dtype  # inputs of another float dtype are cast to the model's
    same = x2 is x1
    x1 = x1.to(dtype)
    x2 = x1 if same else x2.to(dtype)
    method = check_choice("method", method, NTK_METHODS)
    check_bool("per_parameter", per_parameter)
    is_mlp = type(model) is MLP  # a subclass may change forward(): use the generic path
    if method == "structured" and not is_mlp:
        raise ValueError(f"method='structured' needs an nnlab.ntk.MLP, got {type(model).__name__}")
    if is_mlp and x1.shape[1] != model.d_in:
        raise ValueError(f"x1 must have d_in={model.d_in} features, got shape {tuple(x1.shape)}")
    if method == "loop":
        if per_parameter:
            raise ValueError("per_parameter=True needs method 'auto', 'structured' or 'jacobian', not 'loop'")
        return _empirical_ntk_loop(model, x1, None if x2 is x1 else x2)
    if is_mlp and method != "jacobian":
        blocks = _mlp_ntk_blocks(model, x1, x2)
    else:
        with torch.no_grad():
            probe = model(x1[:1])
        if probe.numel() != 1:
            raise ValueError(f"model must return one scalar per input, got output shape {tuple(probe.shape)} "
                             "for one input")
        j1 = _jacobians(model, x1)
        j2 = j1 if x2 is x1 else _jacobians(model, x2)
        blocks = {k: j1[k].reshape(x1.shape[0], -1) @ j2[k].reshape(x2.shape[0], -1).T for k in j1}
    if per_parameter:
        return blocks
    return sum(blocks.values())


def _empirical_ntk_loop(model: nn.Module, x1: torch.Tensor, x2: torch.Tensor | None = None) -> torch.Tensor:
    """Reference implementation: one ``torch.autograd.grad`` call per sample (slow; for tests and benchmarks)."""
    params = [p for p in model.parameters() if p.requires_grad]

    def jac(x: torch.Tensor) -> torch.Tensor:
        rows = []
        for xi in x:
            grads = torch.autograd.grad(model(xi[None]).reshape(()), params)
            rows.append(torch.cat([g.reshape(-1) for g in grads]))
        return torch.stack(rows)

    j1 = jac(x1)
    return j1 @ (j1 if x2 is None else jac(x2)).T


def _arccos_recursion(x1: torch.Tensor, x2: torch.Tensor | None, depth: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(Theta, Sigma)`` at the output of the NTK-parameterized ReLU MLP, in float64."""
    a = x1.double()
    b = a if x2 is None else x2.double()
    d = a.shape[1]
    s12 = a @ b.T / d  # Sigma^(1): covariance of the first pre-activations, W0 ~ N(0, 1), / sqrt(d)
    s11 = (a * a).sum(1) / d
    s22 = (b * b).sum(1) / d
    theta = s12.clone()  # Theta^(1) = Sigma^(1)
    for _ in range(depth):
        norm = torch.sqrt(s11[:, None] * s22[None, :])
        cos = torch.where(norm > 0, s12 / norm.clamp_min(1e-300), torch.ones_like(s12)).clamp(-1.0, 1.0)
        angle = torch.arccos(cos)
        s12 = norm / (2 * math.pi) * (torch.sin(angle) + (math.pi - angle) * cos)  # E[relu(u) relu(v)]
        dot = (math.pi - angle) / (2 * math.pi)  # E[relu'(u) relu'(v)]
        theta = s12 + theta * dot
        s11, s22 = s11 / 2, s22 / 2  # E[relu(u)^2] = Var(u) / 2
    return theta, s12


def relu_ntk(x1: torch.Tensor, x2: torch.Tensor | None = None, depth: int = 1) -> torch.Tensor:
    """Infinite-width NTK of :class:`nnlab.ntk.MLP` (``parameterization="ntk"``, bias-free ReLU).

    The arc-cosine recursion (Jacot et al. 2018; Arora et al. 2019): with
    ``Sigma1 = Theta1 = x . x' / d`` and, for each hidden layer, ``theta_l`` the angle of the
    covariance ``Sigma_l``,
    ``Sigma_(l+1) = sqrt(Sigma_l(x,x) Sigma_l(x',x')) (sin theta_l + (pi - theta_l) cos theta_l) / (2 pi)``,
    ``dSigma_(l+1) = (pi - theta_l) / (2 pi)`` and ``Theta_(l+1) = Sigma_(l+1) + Theta_l dSigma_(l+1)``.
    For ``depth=1``: ``Theta = |x| |x'| (sin theta + 2 (pi - theta) cos theta) / (2 pi d)``, so
    ``Theta(x, x) = |x|^2 / d``.

    Args:
        x1: inputs ``[n1, d]``.
        x2: inputs ``[n2, d]``; ``None`` means ``x1``.
        depth: number of hidden layers (>= 1).

    Returns:
        ``[n1, n2]`` kernel in the dtype of ``x1`` (computed in float64).
    """
    x2 = _check_inputs(x1, x2)
    depth = check_int("depth", depth, minimum=1)
    theta, _ = _arccos_recursion(x1, None if x2 is x1 else x2, depth)
    return theta.to(x1.dtype)


def relu_nngp(x1: torch.Tensor, x2: torch.Tensor | None = None, depth: int = 1) -> torch.Tensor:
    """Infinite-width NNGP kernel (output covariance at initialization) of :class:`nnlab.ntk.MLP`.

    ``E[f(x) f(x')] = Sigma_(L+1)(x, x')`` of the recursion in :func:`relu_ntk` (Cho & Saul 2009):
    the kernel of the penultimate-layer features, ``relu(h_L(x)) . relu(h_L(x')) / n`` as ``n -> inf``.

    Args:
        x1: inputs ``[n1, d]``.
        x2: inputs ``[n2, d]``; ``None`` means ``x1``.
        depth: number of hidden layers (>= 1).

    Returns:
        ``[n1, n2]`` kernel in the dtype of ``x1``.
    """
    x2 = _check_inputs(x1, x2)
    depth = check_int("depth", depth, minimum=1)
    _, sigma = _arccos_recursion(x1, None if x2 is x1 else x2, depth)
    return sigma.to(x1.dtype)
