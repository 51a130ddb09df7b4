import pytest
import torch

from nnlab.linalg import psd_power


def test_square_root_squares_back_and_power_one_is_identity_map():
    B = torch.randn(5, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    G = B @ B.T
    R = psd_power(G, 0.5)
    torch.testing.assert_close(R @ R, G)
    torch.testing.assert_close(R, R.T)
    torch.testing.assert_close(psd_power(G, 1.0), G)
    torch.testing.assert_close(psd_power(G, 1 / 3) @ psd_power(G, 2 / 3), G)


def test_rank_deficient_matrix_where_cholesky_fails():
    v = torch.tensor([[1.0, 2.0, 0.0]])
    C = v.T @ v  # rank 1
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.cholesky(C)
    R = psd_power(C, 0.5)
    assert R.dtype == torch.float32
    torch.testing.assert_close(R @ R, C, atol=1e-5, rtol=0)
    # the square root of v^T v is v^T v / |v|
    torch.testing.assert_close(R, C / v.norm(), atol=1e-6, rtol=0)


@pytest.mark.parametrize("G, alpha, word", [
    (torch.ones(2, 3), 0.5, "square"),
    ("not a tensor", 0.5, "square"),
    (torch.eye(2), 0.0, "alpha"),
    (torch.eye(2), -1.0, "alpha"),
])
def test_bad_arguments(G, alpha, word):
    with pytest.raises(ValueError, match=word):
        psd_power(G, alpha)
