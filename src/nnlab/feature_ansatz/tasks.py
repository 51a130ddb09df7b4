"""Regression tasks with low-dimensional structure: the target depends on a few input coordinates."""

from __future__ import annotations

import torch

from ..validation import check_choice, check_int, check_real

__all__ = ["TARGETS", "low_dim_task"]

TARGETS = {
    "x1*x2": (lambda x: x[:, 0] * x[:, 1], 2),
    "he3(x1)": (lambda x: (x[:, 0] ** 3 - 3 * x[:, 0]) / 6 ** 0.5, 1),
    "tanh(x1+x2+x3)": (lambda x: torch.tanh(x[:, :3].sum(1)), 3),
}


def low_dim_task(n: int, d_in: int, generator: torch.Generator, target: str = "x1*x2",
                 noise: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``x ~ N(0, I_d)`` and a target that depends on the first one to three coordinates.

    Targets (:data:`TARGETS`): ``"x1*x2"`` (the RFM paper's example), ``"he3(x1)"`` (the
    normalised third Hermite polynomial of ``x1``), ``"tanh(x1+x2+x3)"``.

    Args:
        n: samples. d_in: input dimension (at least the number of relevant coordinates).
        generator: CPU generator. target: one of :data:`TARGETS`. noise: label noise std (>= 0).

    Returns:
        ``(X [n, d_in], y [n])`` on the CPU, float32.
    """
    n = check_int("n", n, minimum=1)
    check_choice("target", target, TARGETS)
    fn, relevant = TARGETS[target]
    d_in = check_int("d_in", d_in, minimum=relevant)
    noise = check_real("noise", noise, low=0.0)
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {generator!r}")
    X = torch.randn(n, d_in, generator=generator)
    y = fn(X)
    if noise > 0:
        y = y + noise * torch.randn(n, generator=generator)
    return X, y
