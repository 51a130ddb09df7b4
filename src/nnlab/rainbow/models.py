"""Bias-free ReLU MLPs, ``M`` seeds as one batched :class:`nnlab.training.Ensemble`.

For every layer ``l`` the ensemble holds one tensor of shape ``[M, N_l, N_{l-1}]`` (member,
output unit, input unit), ``model.weights[l]``. Member ``m`` computes
``f_m(x) = W_L relu(W_{L-1} ... relu(W_1 x))`` with no biases, the architecture of the rainbow
paper's fully connected experiments. Every forward pass is one batched matrix product per
layer, so training ``M`` seeds costs one model's Python overhead, not ``M``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..training import Ensemble, History, train
from ..validation import check_choice, check_int, check_real, check_tensor
from .alignment import _mlp_sizes

__all__ = ["mlp_ensemble", "train_mlps", "accuracy", "cross_entropy", "fit_classifier"]


def _check_xy(X: object, y: object, model: object = None,
              per_member: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``X [n, d]`` and integer class labels ``y [n]`` (with ``per_member`` also
    ``X [M, n, d]`` and ``y [M, n]``), checked against ``model`` (input size, members, classes)."""
    sizes = None if model is None else _mlp_sizes(model)
    dims: dict[str, int] = {}
    if per_member:
        X = check_tensor("X", X, "... n d", dims=dims)
        y = check_tensor("y", y, "... n", dims=dims, floating=False)
        for name, t, ndim in (("X", X, 3), ("y", y, 2)):
            if t.ndim > ndim or (t.ndim == ndim and t.shape[0] != model.members):
                raise ValueError(f"{name} must have {ndim - 1} dimensions (shared by all members) or {ndim} with "
                                 f"{model.members} (one slice per member) in front, got shape {tuple(t.shape)}")
    else:
        X = check_tensor("X", X, "n d", dims=dims)
        y = check_tensor("y", y, "n", dims=dims, floating=False)
    if sizes is not None and X.shape[-1] != sizes[0]:
        raise ValueError(f"X must have {sizes[0]} columns (the model's input size), got shape {tuple(X.shape)}")
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool or bool((y < 0).any()):
        raise ValueError(f"y must hold non-negative integer class labels, got dtype {y.dtype}")
    if sizes is not None and int(y.max()) >= sizes[-1]:
        raise ValueError(f"y must hold class labels in [0, {sizes[-1]}) (the model's outputs), got {int(y.max())}")
    return X, y.long()  # int32 or uint8 labels: the int64 that cross_entropy needs


def mlp_ensemble(sizes: Sequence[int], members: int, generator: torch.Generator | None = None) -> Ensemble:
    """``members`` bias-free ReLU MLPs with layer sizes ``sizes`` (e.g. ``[64, w, w, 10]``), one batched model.

    :meth:`nnlab.training.Ensemble.mlp` with ``bias=False``: each weight i.i.d.
    ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (PyTorch's default, variance ``1 / (3 fan_in)``).
    """
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator or None, got {generator!r}")
    return Ensemble.mlp(sizes, members, bias=False, generator=generator)


def cross_entropy(model: Ensemble, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of every member: ``[M]``.

    ``X`` is ``[n, d]`` or ``[M, n, d]``; ``y`` is ``[n]`` or ``[M, n]`` correspondingly.

    Raises:
        ValueError: unless ``model`` is an ensemble of plain MLPs, ``X`` a finite non-empty real
            floating tensor of its input size (a list or numpy array is converted; the ensemble
            casts it to its dtype) and ``y`` integer labels in ``[0, C)`` for the same rows.
    """
    X, y = _check_xy(X, y, model, per_member=True)
    return _cross_entropy(model, X, y)


def _cross_entropy(model: Ensemble, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """:func:`cross_entropy` without the argument checks (the training loss)."""
    logits = model(X)  # [M, n, C]
    M, n, C = logits.shape
    y = y.expand(M, -1) if y.ndim == 1 else y
    # flattened: the [M, C, n] layout that cross_entropy wants for batched input is ~1.5x slower
    return nn.functional.cross_entropy(logits.reshape(M * n, C), y.reshape(M * n), reduction="none").view(M, n).mean(1)


@torch.no_grad()
def accuracy(model: Ensemble, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Fraction of correctly classified rows for every member: ``[M]``.

    Args:
        model: the networks.
        X: inputs ``[n, d]`` (finite; a list or numpy array is converted, and the ensemble
            casts it to its dtype).
        y: integer labels ``[n]`` in ``[0, C)`` (any integer dtype).
    """
    X, y = _check_xy(X, y, model)
    return (model(X).argmax(-1) == y).float().mean(1)


def train_mlps(
    model: Ensemble, X: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int = 32, lr: float = 1e-3,
    optimizer: str = "adam", momentum: float = 0.0, generator: torch.Generator | None = None,
) -> History:
    """Train every member of ``model`` in place on the cross-entropy, as ONE batched model.

    ``optimizer="sgd"`` with ``momentum=0.9`` (and ``lr=0.01``) is the protocol of the rainbow
    paper's code (FlorentinGuth/Rainbow: ``torch.optim.SGD``, momentum 0.9); SGD is equivariant
    under rotations of the input space, Adam (the default, per-coordinate step sizes) is not.

    Each member sees its own random minibatch order (``shuffle="per_member"`` of
    :func:`nnlab.training.train`: one permutation per member and epoch, drawn on the CPU from
    ``generator``), so members differ by initialization and data order, as independently trained
    seeds do. All members step together: one forward, one backward and one optimizer step per
    minibatch for the whole ensemble.

    Args:
        model: the ensemble, trained in place.
        X: training inputs ``[n, d]``. y: labels ``[n]``.
        epochs: passes over the data (>= 1). batch_size: minibatch size (1..n). lr: step size (> 0).
        optimizer: ``"adam"`` or ``"sgd"``. momentum: SGD momentum in ``[0, 1)`` (SGD only).
        generator: CPU generator for the minibatch orders.

    Returns:
        The :class:`~nnlab.training.History` (loss per member on the current minibatch).

    Raises:
        ValueError: for bad arguments (``X``, ``y`` as in :func:`accuracy`), before any training.
    """
    X, y = _check_xy(X, y, model)
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=X.shape[0])
    lr = check_real("lr", lr, low=0.0, low_open=True)
    optimizer = check_choice("optimizer", optimizer, ("adam", "sgd"))
    momentum = check_real("momentum", momentum, low=0.0, high=1.0, high_open=True)
    if momentum and optimizer != "sgd":
        raise ValueError(f"momentum applies to optimizer='sgd' only, got momentum={momentum} with {optimizer!r}")
    per_epoch = X.shape[0] // batch_size
    return train(model, _cross_entropy, (X, y), steps=epochs * per_epoch, lr=lr, optimizer=optimizer,
                 momentum=momentum, batch_size=batch_size, shuffle="per_member", generator=generator,
                 record_every=per_epoch, progress=False)


def fit_classifier(
    features: torch.Tensor, y: torch.Tensor, *, steps: int = 100, lr: float = 0.05,
    init: torch.Tensor | None = None,
) -> tuple[Ensemble, History]:
    """Multinomial logistic regression (no bias) on fixed features, one classifier per member.

    Full-batch Adam on the mean cross-entropy, all members at once; used to retrain the last
    layer of resampled networks on their frozen hidden features.

    Args:
        features: ``[M, n, N]`` features of each member.
        y: labels ``[n]``.
        steps: Adam steps (>= 1). lr: step size (> 0).
        init: optional starting weights ``[M, C, N]`` (default zeros), finite real floating.

    Returns:
        ``(head, history)``: the classifiers as a bias-free :class:`~nnlab.training.Ensemble` whose
        ``weights[0]`` is ``[M, C, N]`` with ``C = y.max() + 1`` classes, and the training History.
    """
    dims: dict[str, int] = {}
    features = check_tensor("features", features, "M n N", dims=dims)
    _check_xy(features[0], y)
    steps = check_int("steps", steps, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    M, _, N = features.shape
    C = int(y.max()) + 1
    if init is not None:
        if isinstance(init, torch.Tensor) and tuple(init.shape) != (M, C, N):
            raise ValueError(f"init must have shape {(M, C, N)}, got {tuple(init.shape)}")
        init = check_tensor("init", init, (M, C, N))
    w0 = torch.zeros(M, C, N, dtype=features.dtype, device=features.device) if init is None else init
    head = Ensemble.from_layers([w0])
    features = features.detach()
    hist = train(head, _cross_entropy, lambda step: (features, y),
                 steps=steps, lr=lr, optimizer="adam", progress=False, record_every=steps)
    return head, hist
