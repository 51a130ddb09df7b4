import numpy as np
import pytest
import torch

from nnlab import runtime


def test_setup_returns_device_and_seeds_everything():
    device = runtime.setup(seed=3, threads=1)
    assert device.type in ("cpu", "cuda")
    first = (torch.rand(3), np.random.rand(3))  # noqa: NPY002  (the global RNG that setup seeds)
    runtime.setup(seed=3, threads=1)
    second = (torch.rand(3), np.random.rand(3))  # noqa: NPY002
    assert torch.equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    runtime.setup(seed=4, threads=1)
    assert not torch.equal(first[0], torch.rand(3))


def test_setup_sets_threads_and_clock():
    runtime.setup(seed=0, threads=2)
    assert torch.get_num_threads() == 2
    assert 0 <= runtime.elapsed() < 5
    runtime.setup(seed=0, threads=1)
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("kwargs", [{"threads": 0}, {"threads": -2}, {"threads": 1.5},
                                    {"seed": -1}, {"seed": 0.5}, {"seed": True}])
def test_setup_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=r"threads|seed"):
        runtime.setup(**kwargs)


def test_default_threads(monkeypatch):
    monkeypatch.setenv("NNLAB_THREADS", "3")
    assert runtime.default_threads() == 3
    monkeypatch.setenv("NNLAB_THREADS", "0")
    with pytest.raises(ValueError, match="NNLAB_THREADS"):
        runtime.default_threads()
    monkeypatch.delenv("NNLAB_THREADS")
    assert runtime.default_threads() >= 1


def test_profile_and_sizes(monkeypatch):
    monkeypatch.setenv("NNLAB_PROFILE", "quick")
    assert runtime.profile() == "quick" and runtime.sizes(quick=1, full=2) == 1
    monkeypatch.setenv("NNLAB_PROFILE", "FULL")
    assert runtime.profile() == "full" and runtime.sizes(quick=1, full=2) == 2
    monkeypatch.setenv("NNLAB_PROFILE", "auto")
    assert runtime.profile() == ("full" if torch.cuda.is_available() else "quick")
    monkeypatch.delenv("NNLAB_PROFILE")
    assert runtime.profile() == ("full" if torch.cuda.is_available() else "quick")
    monkeypatch.setenv("NNLAB_PROFILE", "fast")
    with pytest.raises(ValueError, match="NNLAB_PROFILE"):
        runtime.profile()


def test_generator_is_seeded_and_validated():
    a = torch.rand(4, generator=runtime.generator(7))
    b = torch.rand(4, generator=runtime.generator(7))
    assert torch.equal(a, b)
    with pytest.raises(ValueError, match="seed"):
        runtime.generator(-1)


def test_elapsed_needs_setup(monkeypatch):
    monkeypatch.setattr(runtime, "_started", None)
    with pytest.raises(ValueError, match="setup"):
        runtime.elapsed()
