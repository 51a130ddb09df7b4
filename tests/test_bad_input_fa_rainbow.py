"""Bad input over nnlab.feature_ansatz and nnlab.rainbow: every public callable, every mutation.

See ``bad_input_harness``: each ``reg.ok(...)`` is one valid call; the harness derives the bad ones.
"""

import numpy as np
import pytest
import torch
from bad_input_harness import F, G, Registry, T

from nnlab import feature_ansatz as fa
from nnlab import rainbow as rb

reg = Registry()


def psd(n=4, seed=0):
    a = torch.randn(n, n, generator=torch.Generator().manual_seed(seed))
    return a @ a.T + 0.1 * torch.eye(n)


def mlp(seed=0):
    return fa.make_mlp(3, 4, 2, torch.Generator().manual_seed(seed))


def initial_weights():
    return [m.weight.detach().clone() for m in fa.linear_layers(mlp(1))]


def square_sum(x):
    return (x ** 2).sum()


def labels():
    return torch.tensor([0, 1, 2, 0, 1, 2])


def ensemble(seed=0):
    return rb.mlp_ensemble([3, 4, 3], 2, torch.Generator().manual_seed(seed))


def covariances():
    return [psd(3)]


# ------------------------------------------------------------------------- feature_ansatz: agop

reg.ok(fa.jacobians, square_sum, T(5, 3), chunk=4)
reg.ok(fa.agop, square_sum, T(5, 3), centered=False)
reg.ok(fa.outer_mean, T(5, 2, 3), centered=False)
reg.ok(fa.nfm, T(4, 3), T(4, 3, seed=1))
reg.ok(fa.matrix_correlation, T(3, 3), T(3, 3, seed=1))
reg.ok(fa.psd_power, F(psd), 0.5)
reg.ok(fa.ansatz_correlation, T(4, 3), F(lambda: psd(3)), T(4, 3, seed=1), alpha=0.5)

# ---------------------------------------------------------------------- feature_ansatz: networks

reg.ok(fa.make_mlp, 3, 4, 2, G(0), activation="relu", outputs=1, init="torch")
reg.ok(fa.linear_layers, F(mlp))
reg.ok(fa.layer_gradients, F(mlp), T(5, 3), chunk=4)
reg.ok(fa.layer_agops, F(mlp), T(5, 3), centered=False)
reg.ok(fa.preactivation_agop, F(mlp), T(5, 3), 0)
reg.ok(fa.isotropy, F(psd), T(4, 3), rtol=1e-6)
reg.ok(fa.preactivation_isotropy, F(mlp), T(5, 3), 0)
reg.ok(fa.ansatz_correlations, F(mlp), T(5, 3), F(initial_weights))
reg.ok(fa.isotropy_report, F(mlp), F(lambda: mlp(1)), T(5, 3))

# ------------------------------------------------------------------------- feature_ansatz: forms

reg.ok(fa.haar_orthogonal, 3, 2, G(0), dtype=torch.float64)
reg.ok(fa.rotated_correlations, F(psd), T(4, 3), F(lambda: fa.haar_orthogonal(4, 2, torch.Generator())))
reg.ok(fa.exact_forms, F(psd), T(4, 3), rtol=1e-6)
reg.ok(fa.isotropy_profile, F(psd), T(4, 3), rtol=1e-6)
reg.ok(fa.balanced_linear, 5, 4, 2, G(0), scale=0.1)
reg.ok(fa.rotation_null, F(mlp), T(5, 3), 2, G(1), top=2)

# --------------------------------------------------------------------------- feature_ansatz: rfm


def rfm_fit(X, y, X_test, y_test):
    return fa.RFM(bandwidth=10.0, reg=1e-3, iters=1).fit(X, y, X_test, y_test)


def rfm_predict(X):
    model = fa.RFM(iters=1)
    model.fit(torch.randn(6, 3, generator=torch.Generator().manual_seed(5)), torch.randn(6))
    return model.predict(X)


reg.ok(fa.RFM, bandwidth=10.0, reg=1e-3, iters=1, centered=False)
reg.ok(rfm_fit, T(6, 3), T(6, seed=1), T(4, 3, seed=2), T(4, seed=3))
reg.ok(rfm_fit, T(6, 3), T(6, 2, seed=1), T(4, 3, seed=2), T(4, 2, seed=3), name="rfm_fit_multi_output")
reg.ok(rfm_predict, T(4, 3))
reg.ok(fa.mahalanobis_distances, T(5, 3), T(4, 3, seed=1), F(lambda: psd(3)))
reg.ok(fa.laplace_kernel, T(5, 3), T(4, 3, seed=1), F(lambda: psd(3)), bandwidth=10.0)
reg.ok(fa.kernel_gradients, T(5, 3), T(4, 3, seed=1), T(4, seed=2), F(lambda: psd(3)), bandwidth=10.0, eps=1e-10)
reg.ok(fa.r2_score, T(6), T(6, seed=1))
reg.ok(fa.low_dim_task, 5, 3, G(0), target="x1*x2", noise=0.1)

# --------------------------------------------------------------------------------- rainbow


def ensemble_forward(x):
    return ensemble()(x)


reg.ok(rb.mlp_ensemble, [3, 4, 3], 2, G(0))
reg.ok(rb.train_mlps, F(ensemble), T(6, 3), F(labels), epochs=1, batch_size=3, lr=1e-3, generator=G(1))
reg.ok(rb.accuracy, F(ensemble), T(6, 3), F(labels))
reg.ok(rb.cross_entropy, F(ensemble), T(6, 3), F(labels))
reg.ok(rb.cross_entropy, F(ensemble), T(2, 6, 3), F(lambda: labels().expand(2, 6)), name="cross_entropy_per_member")
reg.ok(rb.fit_classifier, T(2, 6, 4), F(labels), steps=1, lr=0.05, init=T(2, 3, 4, seed=1))
reg.ok(rb.cross_covariance, T(6, 3), T(6, 4, seed=1))
reg.ok(rb.align, T(6, 3), T(6, 4, seed=1))
reg.ok(rb.align, T(2, 6, 3), T(6, 4, seed=1), name="align_batched")
reg.ok(rb.explained_fraction, T(6, 3), T(6, 4, seed=1), T(3, 4, seed=2))
reg.ok(rb.align_network, F(ensemble), T(6, 3), reference=0)
reg.ok(rb.weight_covariance, T(4, 3))
reg.ok(rb.isotropic, F(psd))
reg.ok(rb.matrix_cosine, T(3, 3), T(3, 3, seed=1))
reg.ok(rb.marchenko_pastur_edges, 0.5, 1.0)
reg.ok(rb.marchenko_pastur, 0.5, 1.0, points=5)
reg.ok(rb.resample, F(ensemble), F(covariances), 0, T(6, 3), draws=1, generator=G(2))
reg.ok(rb.train_mlps, F(ensemble), T(6, 3), F(labels), epochs=1, batch_size=3, lr=1e-2, optimizer="sgd", momentum=0.9,
       generator=G(1), name="train_mlps_sgd")
reg.ok(rb.held_out_explained, F(ensemble), T(6, 3), T(5, 3, seed=1), reference=0, centered=True)
reg.ok(rb.mean_alignment, T(3, 6, 4), iters=1, phi_eval=T(3, 5, 4, seed=1))
reg.ok(rb.cosine_ceiling, F(psd), 8, pooled=20)
reg.ok(rb.half_cosines, T(3, 6, 4))
reg.ok(rb.clip, T(2, 5, 4), 2, random_basis=G(3))
reg.ok(rb.linear_map_explained, T(2, 12, 3), T(2, 12, 3, seed=1), shared=True, generator=G(4))


# ---------------------------------------------------- bad input the derived mutations do not reach

BEYOND = [
    # shapes that disagree between arguments
    (lambda: fa.nfm(torch.ones(4, 3), torch.ones(4, 2)), "W0"),
    (lambda: fa.matrix_correlation(torch.ones(3, 3), torch.ones(3, 2)), "B"),
    (lambda: fa.ansatz_correlation(torch.ones(4, 3), psd(4)), "G"),
    (lambda: fa.isotropy(psd(4), torch.ones(3, 3)), "W"),
    (lambda: fa.kernel_gradients(torch.ones(4, 2), torch.ones(3, 2), torch.ones(4), torch.eye(2)), "alpha"),
    (lambda: fa.r2_score(torch.ones(3), torch.ones(4)), "y_pred"),
    (lambda: fa.r2_score(torch.ones(3, 1), torch.ones(3)), "y_pred"),
    (lambda: fa.RFM().fit(torch.ones(4, 2), torch.ones(4, 1, 1)), "y"),
    (lambda: fa.RFM().fit(torch.ones(4, 2), torch.ones(4), torch.ones(3, 2), torch.ones(3, 2)), "y_test"),
    (lambda: fa.RFM().fit(torch.ones(4, 2), torch.ones(4), torch.ones(3, 2)), "y_test"),
    (lambda: rb.explained_fraction(torch.ones(6, 3), torch.ones(6, 4), torch.ones(4, 3)), "A"),
    (lambda: rb.matrix_cosine(torch.ones(3, 3), torch.ones(3, 2)), "b"),
    (lambda: rb.fit_classifier(torch.ones(2, 6, 4), labels(), init=torch.ones(2, 2, 4)), "init"),
    (lambda: rb.cross_entropy(ensemble(), torch.ones(6, 3), torch.zeros(5, dtype=torch.long)), "y"),
    (lambda: rb.cross_entropy(ensemble(), torch.ones(6, 3), torch.zeros(3, 6, dtype=torch.long)), "y"),
    (lambda: rb.accuracy(ensemble(), torch.ones(6, 2), labels()), "X"),
    # labels and other integer inputs
    (lambda: rb.cross_entropy(ensemble(), torch.ones(6, 3), torch.ones(6)), "y"),
    (lambda: rb.cross_entropy(ensemble(), torch.ones(6, 3), torch.full((6,), 3)), "y"),
    (lambda: rb.accuracy(ensemble(), torch.ones(6, 3), -labels()), "y"),
    # tensors inside lists
    (lambda: fa.ansatz_correlations(mlp(), torch.ones(5, 3), [w.long() for w in initial_weights()]), "initial"),
    (lambda: fa.ansatz_correlations(mlp(), torch.ones(5, 3),
                                    [w.clone().fill_(float("nan")) for w in initial_weights()]), "initial"),
    (lambda: rb.resample(ensemble(), [psd(3).long()], 0, torch.ones(6, 3)), "covariances"),
    (lambda: rb.resample(ensemble(), [psd(3) * float("nan")], 0, torch.ones(6, 3)), "covariances"),
    # numpy evaluation points
    (lambda: rb.marchenko_pastur(0.5, 1.0, x=np.array([0.1, np.nan])), "x"),
    (lambda: rb.marchenko_pastur(0.5, 1.0, x=np.array([])), "x"),
    (lambda: rb.marchenko_pastur(0.5, 1.0, x=np.array([1 + 1j])), "x"),
    # modules and callables of the wrong kind
    (lambda: fa.agop("not callable", torch.ones(3, 2)), "fn"),
    (lambda: rb.accuracy(mlp(), torch.ones(6, 3), labels()), "model"),
    (lambda: rb.align_network(mlp(), torch.ones(6, 3)), "model"),
    (lambda: rb.resample(mlp(), [psd(3)], 0, torch.ones(6, 3)), "model"),
    (lambda: fa.low_dim_task(5, 3, None), "generator"),
    (lambda: rb.resample(ensemble(), [psd(3)], 0, torch.ones(6, 3), generator=3), "generator"),
    (lambda: rb.mlp_ensemble([3, 4, 3], 2, generator=3), "generator"),
]


@pytest.mark.parametrize("call, match", BEYOND, ids=[f"{i}-{m}" for i, (_, m) in enumerate(BEYOND)])
def test_bad_input_beyond_the_mutations(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_valid_conversions():
    # a list of floats is converted; float64 data go into a float32 ensemble
    X = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(rb.accuracy(ensemble(), X.double(), labels()), rb.accuracy(ensemble(), X, labels()))
    torch.testing.assert_close(fa.nfm(X.tolist()), fa.nfm(X.double()))  # a list of Python floats: float64
    # int32 labels are labels too (cross_entropy needs int64: converted)
    ce = rb.cross_entropy(ensemble(), X, labels())
    torch.testing.assert_close(rb.cross_entropy(ensemble(), X, labels().int()), ce)
    h = rb.train_mlps(ensemble(), X, labels().to(torch.uint8), epochs=1, batch_size=3, generator=torch.Generator())
    assert h.steps[-1] == 2
    # float64 data into the float32 RFM and MLP of the chapter: converted
    model = fa.RFM(iters=1)
    model.fit(X, torch.randn(6, generator=torch.Generator().manual_seed(1)))
    torch.testing.assert_close(model.predict(X.double()), model.predict(X))
    torch.testing.assert_close(fa.layer_agops(mlp(), X.double()), fa.layer_agops(mlp(), X))
    x, p = rb.marchenko_pastur(0.5, 1.0, x=[0.5, 1.0])
    assert x.dtype == np.float64 and p.shape == (2,)


test_valid_call, test_bad_input, test_coverage = reg.tests(
    [fa, rb],
    exempt={
        "Isotropy": "a result record built by isotropy",
        "LayerReport": "a result record built by isotropy_report",
        "Forms": "a result record built by exact_forms",
        "Alignment": "a result record built by align_network",
    },
)
