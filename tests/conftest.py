"""Shared test setup: one torch thread (fast and deterministic on the 2-core CI machine)."""

import matplotlib
import pytest
import torch

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _seeded():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
