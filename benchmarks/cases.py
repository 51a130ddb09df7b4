"""The benchmark cases: each times a library hot path against the naive version it replaces.

A case is a :class:`Case`; its ``build(device, size)`` returns a :class:`Pair` of closures that do
the same work (same models, same number of steps, same samples), once the library's way
(``fast``) and once as a Python loop over models or samples (``slow``), plus ``check``, which
compares the two results. ``size="chapter"`` is the size the benchmark reports (the chapter's own
settings, scaled down in steps only where the loop would take minutes; ``Case.size`` says which);
``size="tiny"`` is for the unit test of the baselines.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

import nnlab
from nnlab import approximation as ua
from nnlab import feature_ansatz as fa
from nnlab import localization as loc
from nnlab import ntk
from nnlab import rainbow as rb
from nnlab import superposition as sp
from nnlab.ntk.kernels import _empirical_ntk_loop
from nnlab.training import Ensemble, train

gen = nnlab.runtime.generator


@dataclass
class Pair:
    """The two implementations of one benchmark and a check that they agree."""

    fast: Callable[[], object]
    slow: Callable[[], object]
    check: Callable[[object, object], bool]
    slow_warmup: Callable[[], object] | None = None  # a cheaper call that warms the slow path up


@dataclass
class Case:
    """One row of the benchmark table."""

    key: str
    chapter: str
    title: str
    fast: str  # what the library does
    slow: str  # the naive baseline
    size: str  # the size timed, and how it relates to the chapter's
    build: Callable[[torch.device, str], Pair]
    cap: str = ""  # what bounds the ratio (shown when it is below 10x)
    available: Callable[[], bool] = lambda: True


def _close(a: torch.Tensor, b: torch.Tensor, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    return bool(torch.allclose(a.detach().cpu().double(), b.detach().cpu().double(), rtol=rtol, atol=atol))


# ------------------------------------------------------------------ universal approximation

def _ensemble(device: torch.device, size: str) -> Pair:
    n_models, steps = (64, 200) if size == "chapter" else (3, 5)
    x = torch.linspace(0, 1, 256)[:, None].to(device)
    y = ua.tent_map(x, 3)

    def make(s: int) -> torch.nn.Module:
        return ua.relu_mlp(3, 32, gen(s)).to(device)

    def fast() -> torch.Tensor:
        ens = Ensemble([make(s) for s in range(n_models)])
        train(ens, lambda m, x, y: ((m(x) - y) ** 2).mean(dim=(1, 2)), (x, y), steps=steps, lr=1e-3,
              optimizer="adam", progress=False)
        return ens(x)[:, :, 0]

    def slow(models: int = n_models) -> torch.Tensor:
        out = []
        for s in range(models):
            net = make(s)
            train(net, lambda m, x, y: ((m(x) - y) ** 2).mean(), (x, y), steps=steps, lr=1e-3,
                  optimizer="adam", progress=False)
            out.append(net(x)[:, 0])
        return torch.stack(out)

    return Pair(fast, slow, lambda a, b: _close(a, b, 1e-3, 1e-4), lambda: slow(2))


def _elbow_sweep(device: torch.device, size: str) -> Pair:
    widths = [1, 2, 4, 8, 16, 32, 64] if size == "chapter" else [1, 4]
    seeds, steps = (5, 300) if size == "chapter" else (2, 5)
    x = torch.linspace(-1, 1, 128).to(device)
    y = torch.sin(3 * x)

    def fast() -> torch.Tensor:
        net, _ = ua.fit_elbow_nets(x, y, widths, seeds, steps=steps, generator=gen(0), progress=False)
        return net(x)

    def slow(ws: list[int] = widths) -> torch.Tensor:
        out = []
        for w in ws:
            for s in range(seeds):
                net, _ = ua.fit_elbow_nets(x, y, [w], 1, steps=steps, generator=gen(s), progress=False)
                out.append(net(x)[0])
        return torch.stack(out)

    # different generators: the fast path draws all members from one stream; compare shapes only
    return Pair(fast, slow, lambda a, b: a.shape == b.shape, lambda: slow(widths[:1]))


# ----------------------------------------------------------------------------- superposition

def _superposition(device: torch.device, size: str) -> Pair:
    # the chapter's quick recipe (n = 5, m = 2, batch 64, lr 1e-2) on 200 of its 5000 instances
    n_sparsities, seeds, steps = (4, 50, 50) if size == "chapter" else (2, 2, 5)
    sparsities = torch.linspace(0, 0.98, n_sparsities)
    recipe = dict(steps=steps, batch_size=64, lr=1e-2, device=device, record_every=steps)

    def fast() -> torch.Tensor:
        model, _ = sp.train_toy_models(sparsities, seeds, generator=gen(0), data_generator=gen(1), **recipe)
        return model.W

    def slow(count: int | None = None) -> torch.Tensor:
        out = []
        for k, s in enumerate(sp.sweep_grid(sparsities, seeds).column("sparsity")[:count]):
            model, _ = sp.train_toy_models([s], 1, generator=gen(k), data_generator=gen(k + 1), **recipe)
            out.append(model.W[0])
        return torch.stack(out)

    return Pair(fast, slow, lambda a, b: a.shape == b.shape, lambda: slow(5))


# ------------------------------------------------------------------------------------ rainbow

def _rainbow(width: int) -> Callable[[torch.device, str], Pair]:
    def build(device: torch.device, size: str) -> Pair:
        # the chapter's ensembles: 64 -> w -> w -> 10 on digits, 5 seeds, Adam, batch 32; 2 epochs
        seeds, epochs = (5, 2) if size == "chapter" else (2, 1)
        split = nnlab.datasets.digits(test_size=0.3, seed=0).to(device)
        X, y = split.X_train, split.y_train
        if size != "chapter":
            X, y = X[:64], y[:64]
        init = rb.mlp_ensemble([X.shape[1], width, width, 10], seeds, gen(width)).to(device)

        def fast() -> list[torch.Tensor]:
            model = init.select(range(seeds))
            rb.train_mlps(model, X, y, epochs=epochs, batch_size=32, lr=1e-3, generator=gen(1))
            return [w.detach() for w in model.weights]

        def slow() -> list[torch.Tensor]:
            members = []
            for s in range(seeds):
                model = init.select([s])
                rb.train_mlps(model, X, y, epochs=epochs, batch_size=32, lr=1e-3, generator=gen(1 + s))
                members.append(model)
            return [torch.cat([m.weights[i].detach() for m in members]) for i in range(3)]

        return Pair(fast, slow, lambda a, b: all(u.shape == v.shape for u, v in zip(a, b)))

    return build


# ------------------------------------------------------------------------------- localization

def _localization(device: torch.device, size: str) -> Pair:
    # the chapter's model: D = 100, K = 8, batch 100, NLGP and clone x 5 gains x 3 seeds (30
    # members); 200 of its 5000 online-SGD steps
    D, K, seeds, steps = (100, 8, 3, 200) if size == "chapter" else (20, 4, 1, 3)
    xis = (0.02 * D, 0.1 * D)
    gains = [0.3, 1.0, 3.0, 10.0, 100.0]
    grid = [(clone, g, s) for clone in (False, True) for g in gains for s in range(seeds)]
    lr = 0.05 * K

    def fast() -> torch.Tensor:
        task = loc.TwoClassTask(D, xis, [g for _, g, _ in grid], clone=[c for c, _, _ in grid])
        model = loc.TwoLayer(len(grid), D, K, generator=gen(1)).to(device)
        loc.fit(model, task, steps=steps, lr=lr, batch_size=100, generator=gen(2), record_every=steps)
        return model.W.detach()

    def slow(members: int | None = None) -> torch.Tensor:
        out = []
        for m, (clone, g, _) in enumerate(grid[:members]):
            task = loc.TwoClassTask(D, xis, [g], clone=[clone])
            model = loc.TwoLayer(1, D, K, generator=gen(100 + m)).to(device)
            loc.fit(model, task, steps=steps, lr=lr, batch_size=100, generator=gen(200 + m), record_every=steps)
            out.append(model.W.detach()[0])
        return torch.stack(out)

    return Pair(fast, slow, lambda a, b: a.shape == b.shape, lambda: slow(2))


# ------------------------------------------------------------------------------------------ NTK

_NTK_LOOP: dict = {}


def _ntk(depth: int, method: str) -> Callable[[torch.device, str], Pair]:
    def build(device: torch.device, size: str) -> Pair:
        # the chapter's speed cell: width 512, 128 inputs on the circle
        width, n = (512, 128) if size == "chapter" else (16, 6)
        x = ntk.circle(2 * math.pi * torch.rand(n, generator=gen(4))).to(device)
        net = ntk.MLP(2, width, depth, generator=gen(3)).to(device)
        return Pair(lambda: ntk.empirical_ntk(net, x, method=method), lambda: _empirical_ntk_loop(net, x),
                    lambda a, b: _close(a, b, 1e-4, 1e-4))

    return build


# ------------------------------------------------------------------------------------- samplers

def nlgp_loop(n: int, D: int, xi: float, gain: float, generator: torch.Generator) -> torch.Tensor:
    """The naive NLGP sampler: one sample at a time, ``z = F eps``, ``x = erf(a z) / s``.

    The normal draws are made in one call, as the library does, so that both give the same samples.
    """
    factor = loc.gaussian_factor(loc.translation_invariant_cov(D, xi))
    a, s = loc.erf_slope(gain), loc.nlgp_scale(gain, variance=1 + 1e-3)
    eps = torch.randn(n, D, generator=generator, dtype=torch.float64)
    rows = []
    for k in range(n):
        rows.append(torch.erf(a * (factor @ eps[k])) / s)
    return torch.stack(rows).float()


def _nlgp(device: torch.device, size: str) -> Pair:
    # the chapter's covariance check: 20 000 samples, D = 100, xi = 10, g = 10
    n, D = (20_000, 100) if size == "chapter" else (50, 20)
    xi = 0.1 * D
    return Pair(lambda: loc.nlgp(n, D, xi, 10.0, generator=gen(30)),
                lambda: nlgp_loop(n, D, xi, 10.0, gen(30)),
                lambda a, b: _close(a, b, 1e-5, 1e-5))  # the same normal draws in the same order


def ising_loop(n: int, D: int, J: float, sweeps: int, generator: torch.Generator) -> torch.Tensor:
    """The naive Ising sampler: one periodic chain at a time, Metropolis site by site in Python scalars.

    The same schedule as ``nnlab.localization.data.ising``: every sweep visits the even sites,
    then the odd ones (the last site of an odd chain last); each visit proposes a flip with
    probability 1/2 and accepts it with ``min(1, exp(-2 J s_i (s_(i-1) + s_(i+1))))``.
    """
    order = list(range(0, D, 2)) + list(range(1, D - 1 if D % 2 else D, 2)) + ([D - 1] if D % 2 else [])
    accept = {a: 0.5 * min(1.0, math.exp(-J * a)) for a in (-4, 0, 4)}  # by 2 s_i (s_(i-1) + s_(i+1))
    out = torch.empty(n, D)
    for k in range(n):
        s = (2 * torch.randint(0, 2, (D,), generator=generator) - 1).tolist()
        u = torch.rand(sweeps, D, generator=generator).tolist()
        for t in range(sweeps):
            ut = u[t]
            for i in order:
                if ut[i] < accept[2 * s[i] * (s[i - 1] + s[(i + 1) % D])]:
                    s[i] = -s[i]
        out[k] = torch.tensor(s, dtype=torch.float32)
    return out


def _ising_available() -> bool:
    return callable(getattr(loc.data, "ising", None))


def _ising_magnetization_check(a: torch.Tensor, b: torch.Tensor, J: float) -> bool:
    """Both samplers should give the nearest-neighbour correlation of the periodic chain, ``tanh J``."""
    corr = [float((x * torch.roll(x, 1, dims=1)).mean()) for x in (a, b)]
    return all(abs(c - math.tanh(J)) < 0.1 for c in corr)


def _ising(device: torch.device, size: str) -> Pair:
    # D = 40 spins (the single-neuron chapter's N), 1000 chains, J = 0.7, the default 200 sweeps
    n, D, J = (1000, 40, 0.7) if size == "chapter" else (200, 40, 0.7)
    sweeps = 200 if size == "chapter" else 50

    def fast() -> torch.Tensor:
        return loc.data.ising(n, D, J, generator=gen(60), sweeps=sweeps).float()

    return Pair(fast, lambda: ising_loop(n, D, J, sweeps, gen(60)),
                lambda a, b: _ising_magnetization_check(a, b, J),
                lambda: ising_loop(5, D, J, sweeps, gen(60)))


# ----------------------------------------------------------------------------------------- RFM

def kernel_gradients_loop(X: torch.Tensor, alpha: torch.Tensor, M: torch.Tensor, bandwidth: float,
                          eps: float = 1e-10) -> torch.Tensor:
    """The naive gradient of ``f(x) = sum_i alpha_i K_M(x, x_i)``: autograd, one training point at a time.

    ``X M`` is computed once, so that the loop does the same ``O(n^2 d)`` arithmetic as the closed form.
    """
    XM = X @ M
    rows = []
    for j in range(X.shape[0]):
        x = X[j].clone().requires_grad_(True)
        sq = ((XM - x @ M) * (X - x)).sum(1)
        keep = sq.detach() >= eps * eps  # drop the kernel's cusp, as the closed form does
        f = (torch.exp(-sq[keep].sqrt() / bandwidth) * alpha[keep]).sum()
        (grad,) = torch.autograd.grad(f, x)
        rows.append(grad)
    return torch.stack(rows)[:, None, :]


def _rfm_setup(device: torch.device, size: str) -> tuple[torch.Tensor, torch.Tensor, fa.RFM]:
    # the chapter's RFM: n = 2000 training points in d = 100, y = x1 x2, float64
    n, d = (2000, 100) if size == "chapter" else (40, 6)
    X, y = fa.low_dim_task(n, d, gen(40), "x1*x2")
    X, y = X.double().to(device), y.double().to(device)
    rfm = fa.RFM(bandwidth=10.0, reg=1e-3, iters=1)
    rfm.fit(X, y)  # a fitted predictor with a learned M
    return X, y, rfm


def _rfm_agop(device: torch.device, size: str) -> Pair:
    X, _, rfm = _rfm_setup(device, size)

    def agop(J: torch.Tensor) -> torch.Tensor:
        return torch.einsum("ncd,nce->de", J, J) / J.shape[0]

    return Pair(lambda: agop(fa.kernel_gradients(X, X, rfm.alpha, rfm.M, rfm.bandwidth)),
                lambda: agop(kernel_gradients_loop(X, rfm.alpha, rfm.M, rfm.bandwidth)),
                lambda a, b: _close(a, b, 1e-6, 1e-10))


def _rfm_iteration(device: torch.device, size: str) -> Pair:
    X, y, rfm = _rfm_setup(device, size)

    def iteration(naive: bool) -> torch.Tensor:
        model = fa.RFM(bandwidth=10.0, reg=1e-3, iters=0)
        model.M = rfm.M.clone()
        model._solve(X, y)  # alpha = (K_M + reg I)^-1 y
        if naive:
            J = kernel_gradients_loop(X, model.alpha, model.M, model.bandwidth)
            return torch.einsum("ncd,nce->de", J, J) / J.shape[0]
        return model._agop(X)  # M <- AGOP

    return Pair(lambda: iteration(False), lambda: iteration(True), lambda a, b: _close(a, b, 1e-6, 1e-10))


# ----------------------------------------------------------------------------------- the table

CASES: list[Case] = [
    Case("ua-ensemble", "universal-approximation", "Ensemble: 64 MLPs 1-32-32-32-1",
         "one Ensemble (baddbmm per layer)", "loop over 64 nn.Sequential", "64 models x 200 Adam steps, 256 points",
         _ensemble,
         cap="compute-bound: each member does the same 256 x 32 x 32 multiply-adds per layer and step in both paths; "
             "the batched step is mostly those products and the ReLU (top ops), so removing the loop's Python "
             "overhead gains a few x"),
    Case("ua-elbow-sweep", "universal-approximation", "ElbowNet: widths 1..64 x 5 seeds",
         "one batched ElbowNet", "loop over 35 single nets", "the chapter's sweep, 300 of its 3000 Adam steps",
         _elbow_sweep),
    Case("superposition", "superposition", "Toy models: 4 sparsities x 50 seeds",
         "one batched ToyModel", "loop over 200 single-instance models",
         "chapter recipe (batch 64, lr 1e-2) on 200 of its 5000 instances, 50 of 1000 steps", _superposition),
    Case("rainbow-w32", "rainbow-networks", "Rainbow: 5 seeds, 64-32-32-10",
         "one Ensemble of 5 seeds", "loop over 5 single-seed models",
         "chapter's width 32, 5 seeds, batch 32, 2 of its 20 epochs", _rainbow(32),
         cap="only 5 seeds share a step: batching removes the Python overhead of 4 of every 5 model steps, so the "
             "gain is of the order of the number of seeds"),
    Case("rainbow-w256", "rainbow-networks", "Rainbow: 5 seeds, 64-256-256-10",
         "one Ensemble of 5 seeds", "loop over 5 single-seed models",
         "chapter's width 256, 5 seeds, batch 32, 2 of its 20 epochs", _rainbow(256),
         cap="5 seeds, and at width 256 the matrix products, the same arithmetic in both paths, dominate a step on "
             "one CPU thread"),
    Case("localization", "emergent-convolutions", "Two-layer nets: 5 gains x (NLGP, clone) x 3 seeds",
         "one TwoLayer W [30, 8, 100] + one batched sampler", "loop over 30 single-member fits",
         "chapter's D = 100, K = 8, batch 100, 30 members, 200 of its 5000 SGD steps", _localization,
         cap="data-bound: every step draws 100 fresh inputs of dimension 100 per member; the normal draws, the "
             "[100 x 100] factor products and erf (top ops) are the same work in the loop, batching removes only the "
             "per-member Python overhead"),
    Case("ntk-structured-d1", "ntk-linearization", "empirical NTK, depth 1, structured",
         "per-layer Gram products, no Jacobian", "autograd per sample", "chapter's width 512, 128 inputs",
         _ntk(1, "structured")),
    Case("ntk-jacobian-d1", "ntk-linearization", "empirical NTK, depth 1, vmap(jacrev)",
         "torch.func vmap(jacrev)", "autograd per sample", "chapter's width 512, 128 inputs", _ntk(1, "jacobian"),
         cap="a call takes a few milliseconds, and the Jacobian products (the same work as the loop's, P = 1.5 k "
             "parameters) are a third of it or more (top ops); the rest is torch.func's fixed per-call cost, so the "
             "ratio moves with the load on the machine; the chapter uses the structured path"),
    Case("ntk-structured-d2", "ntk-linearization", "empirical NTK, depth 2, structured",
         "per-layer Gram products, no Jacobian", "autograd per sample", "chapter's width 512, 128 inputs",
         _ntk(2, "structured")),
    Case("ntk-jacobian-d2", "ntk-linearization", "empirical NTK, depth 2, vmap(jacrev)",
         "torch.func vmap(jacrev)", "autograd per sample", "chapter's width 512, 128 inputs", _ntk(2, "jacobian"),
         cap="compute-bound: nearly all the time is the product J J^T of the [128, 264 k] Jacobian (8.7 GFLOP), "
             "which the loop computes too; the structured path avoids forming J"),
    Case("nlgp-sampler", "emergent-convolutions", "NLGP sampler, D = 100, 20 000 samples",
         "one [n, D] x [D, D] product", "loop over samples (matrix-vector)", "chapter's covariance check (n = 20 000)",
         _nlgp,
         cap="RNG-bound: drawing the 2 M float64 normals (normal_) is the largest part of the library's time, and "
             "the loop draws the same numbers (in one call, so that both give identical samples)"),
    Case("ising-sampler", "localization-dynamics", "Ising sampler (Metropolis), D = 40, 1000 chains",
         "localization.data.ising (vectorized)", "loop over chains, site by site",
         "1000 chains of 40 spins, J = 0.7, 200 sweeps", _ising, available=_ising_available,
         cap="each half-sweep is a few elementwise torch ops (random numbers, exp, where) on one [1000, 20] "
             "sublattice of the spins; the naive loop updates one spin in plain Python scalars in about a tenth "
             "of a microsecond, so at 40 spins per chain vectorizing gains about as much as it costs"),
    Case("rfm-agop", "neural-feature-ansatz", "RFM: AGOP of the kernel predictor",
         "closed-form kernel_gradients (2 products)", "autograd per training point",
         "chapter's n = 2000, d = 100, float64", _rfm_agop),
    Case("rfm-iteration", "neural-feature-ansatz", "RFM: one iteration (solve + AGOP)",
         "RFM solve + closed-form AGOP", "the same solve + autograd per point", "chapter's n = 2000, d = 100, float64",
         _rfm_iteration,
         cap="the 2000 x 2000 kernel solve is the same work in both paths"),
]
