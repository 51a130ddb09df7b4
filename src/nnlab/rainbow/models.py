"""Bias-free ReLU MLPs stored as stacked weight tensors: ``M`` seeds are one batched model.

A :class:`BatchedMLP` holds, for every layer ``l``, one tensor of shape ``[M, N_l, N_{l-1}]``
(member, output unit, input unit). Member ``m`` computes
``f_m(x) = W_L relu(W_{L-1} ... relu(W_1 x))`` with no biases, the architecture of the rainbow
paper's fully connected experiments. Every forward pass is one batched matrix product per
layer, so training ``M`` seeds costs one model's Python overhead, not ``M``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ..training import History, train
from ..validation import check_int, check_real

__all__ = ["BatchedMLP", "train_mlps", "accuracy", "cross_entropy", "fit_classifier"]


def _check_xy(X: torch.Tensor, y: torch.Tensor) -> None:
    if X.ndim != 2:
        raise ValueError(f"X must have shape [n, d], got {tuple(X.shape)}")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have shape [{X.shape[0]}] (one label per row of X), got {tuple(y.shape)}")


class BatchedMLP(nn.Module):
    """``M`` bias-free ReLU MLPs with the same layer sizes, evaluated as one batched model.

    Args:
        weights: one tensor per layer, of shape ``[M, N_l, N_{l-1}]``; consecutive layers must
            chain (``N_{l-1}`` of layer ``l`` equals ``N_{l-1}`` output units of layer ``l-1``).
    """

    def __init__(self, weights: Sequence[torch.Tensor]):
        super().__init__()
        weights = list(weights)
        if not weights:
            raise ValueError("weights must hold at least one layer, got an empty sequence")
        for i, w in enumerate(weights):
            if not isinstance(w, torch.Tensor) or w.ndim != 3:
                raise ValueError(f"weights[{i}] must be a tensor of shape [M, out, in], got {getattr(w, 'shape', w)!r}")
            if w.shape[0] != weights[0].shape[0]:
                raise ValueError(f"weights[{i}] has {w.shape[0]} members, weights[0] has {weights[0].shape[0]}")
            if i and w.shape[2] != weights[i - 1].shape[1]:
                raise ValueError(
                    f"weights[{i}] takes {w.shape[2]} inputs but weights[{i - 1}] has {weights[i - 1].shape[1]} outputs"
                )
        self.weights = nn.ParameterList([nn.Parameter(w.detach().clone()) for w in weights])

    @classmethod
    def init(cls, sizes: Sequence[int], members: int, generator: torch.Generator | None = None) -> BatchedMLP:
        """``members`` networks with layer sizes ``sizes`` (e.g. ``[64, w, w, 10]``), PyTorch's default init.

        Each weight is drawn i.i.d. from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` (the default of
        ``nn.Linear``), i.e. with variance ``1 / (3 fan_in)``, on the CPU from ``generator``.
        """
        sizes = [check_int(f"sizes[{i}]", s, minimum=1) for i, s in enumerate(sizes)]
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least an input and an output size, got {sizes}")
        members = check_int("members", members, minimum=1)
        weights = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / math.sqrt(n_in)
            weights.append((2 * torch.rand(members, n_out, n_in, generator=generator) - 1) * bound)
        return cls(weights)

    @property
    def members(self) -> int:
        """Number of networks ``M``."""
        return self.weights[0].shape[0]

    @property
    def sizes(self) -> list[int]:
        """Layer sizes ``[d, N_1, ..., N_L]``."""
        return [self.weights[0].shape[2]] + [w.shape[1] for w in self.weights]

    def hidden(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Post-ReLU activations of every hidden layer: a list of ``[M, n, N_l]``.

        Args:
            x: inputs ``[n, d]`` (shared by all members) or ``[M, n, d]`` (one batch per member).
        """
        if x.ndim not in (2, 3) or x.shape[-1] != self.sizes[0] or (x.ndim == 3 and x.shape[0] != self.members):
            raise ValueError(
                f"x must have shape [n, {self.sizes[0]}] or [{self.members}, n, {self.sizes[0]}], got {tuple(x.shape)}"
            )
        out, h = [], x
        for w in self.weights[:-1]:
            h = torch.relu(torch.matmul(h, w.transpose(1, 2)))
            out.append(h)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs ``[M, n, N_L]`` for inputs ``[n, d]`` or ``[M, n, d]``."""
        hidden = self.hidden(x)
        h = hidden[-1] if hidden else x
        return torch.matmul(h, self.weights[-1].transpose(1, 2))

    def select(self, members: Sequence[int]) -> BatchedMLP:
        """A new model holding copies of the listed members (e.g. ``[0]`` for a single network)."""
        idx = [check_int("members[i]", m, minimum=0, maximum=self.members - 1) for m in members]
        if not idx:
            raise ValueError("members must list at least one member index")
        return BatchedMLP([w.detach()[idx] for w in self.weights])


def cross_entropy(model: BatchedMLP, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of every member: ``[M]``.

    ``X`` is ``[n, d]`` or ``[M, n, d]``; ``y`` is ``[n]`` or ``[M, n]`` correspondingly.
    """
    logits = model(X)  # [M, n, C]
    M, n, C = logits.shape
    y = y.expand(M, -1) if y.ndim == 1 else y
    # flattened: the [M, C, n] layout that cross_entropy wants for batched input is ~1.5x slower
    return nn.functional.cross_entropy(logits.reshape(M * n, C), y.reshape(M * n), reduction="none").view(M, n).mean(1)


@torch.no_grad()
def accuracy(model: BatchedMLP, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Fraction of correctly classified rows for every member: ``[M]``.

    Args:
        model: the networks.
        X: inputs ``[n, d]``.
        y: integer labels ``[n]``.
    """
    _check_xy(X, y)
    return (model(X).argmax(-1) == y).float().mean(1)


def train_mlps(
    model: BatchedMLP, X: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int = 32, lr: float = 1e-3,
    generator: torch.Generator | None = None,
) -> History:
    """Train every member of ``model`` in place with Adam on the cross-entropy, as ONE batched model.

    Each member sees its own random minibatch order (one permutation per member and epoch,
    drawn on the CPU from ``generator``), so members differ by initialization and data order,
    as independently trained seeds do. All members step together: one forward, one backward and
    one optimizer step per minibatch for the whole ensemble (:func:`nnlab.training.train`).

    Args:
        model: the ensemble, trained in place.
        X: training inputs ``[n, d]``. y: labels ``[n]``.
        epochs: passes over the data (>= 1). batch_size: minibatch size (1..n). lr: Adam step.
        generator: CPU generator for the minibatch orders.

    Returns:
        The :class:`~nnlab.training.History` (loss per member on the current minibatch).
    """
    _check_xy(X, y)
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=X.shape[0])
    lr = check_real("lr", lr, low=0.0, low_open=True)
    n, M = X.shape[0], model.members
    per_epoch = n // batch_size
    state: dict = {"epoch": -1, "perm": None}

    def batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        epoch, k = divmod(step, per_epoch)
        if epoch != state["epoch"]:
            state["epoch"] = epoch
            state["perm"] = torch.argsort(torch.rand(M, n, generator=generator), dim=1).to(X.device)
        idx = state["perm"][:, k * batch_size:(k + 1) * batch_size]  # [M, B]
        return X[idx], y[idx]

    return train(model, cross_entropy, batch, steps=epochs * per_epoch, lr=lr, optimizer="adam",
                 record_every=per_epoch, progress=False)


def fit_classifier(
    features: torch.Tensor, y: torch.Tensor, *, steps: int = 100, lr: float = 0.05,
    init: torch.Tensor | None = None,
) -> torch.Tensor:
    """Multinomial logistic regression (no bias) on fixed features, one classifier per member.

    Full-batch Adam on the mean cross-entropy, all members at once; used to retrain the last
    layer of resampled networks on their frozen hidden features.

    Args:
        features: ``[M, n, N]`` features of each member.
        y: labels ``[n]``.
        steps: Adam steps (>= 1). lr: step size (> 0).
        init: optional starting weights ``[M, C, N]`` (default zeros).

    Returns:
        Weights ``[M, C, N]`` with ``C = y.max() + 1`` classes.
    """
    if features.ndim != 3:
        raise ValueError(f"features must have shape [M, n, N], got {tuple(features.shape)}")
    if y.ndim != 1 or y.shape[0] != features.shape[1]:
        raise ValueError(f"y must have shape [{features.shape[1]}], got {tuple(y.shape)}")
    steps = check_int("steps", steps, minimum=1)
    lr = check_real("lr", lr, low=0.0, low_open=True)
    M, _, N = features.shape
    C = int(y.max()) + 1
    if init is not None and tuple(init.shape) != (M, C, N):
        raise ValueError(f"init must have shape {(M, C, N)}, got {tuple(init.shape)}")
    w0 = torch.zeros(M, C, N, device=features.device) if init is None else init
    head = BatchedMLP([w0])
    features = features.detach()
    train(head, cross_entropy, lambda step: (features, y),
          steps=steps, lr=lr, optimizer="adam", progress=False, record_every=steps)
    return head.weights[0].detach()
