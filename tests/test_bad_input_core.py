"""Bad input over the core modules (linalg, scaling): every public callable, every mutation.

See ``bad_input_harness``: each ``reg.ok(...)`` is one valid call; the harness derives the bad ones.
"""

import torch
from bad_input_harness import F, Registry, T

from nnlab import linalg, scaling

reg = Registry()


def psd(n=4, seed=0):
    a = torch.randn(n, n, generator=torch.Generator().manual_seed(seed))
    return a @ a.T


reg.ok(linalg.psd_power, F(psd), 0.5)
reg.ok(scaling.loglog_slope, T(5, positive=True), T(5, positive=True, seed=1), skip={"x": ["int"]})
reg.ok(scaling.slope_report, F(lambda: torch.tensor([8.0, 16, 32, 64, 128])), T(5, 3, positive=True), window=3,
       skip={"x": ["int"]})

test_valid_call, test_bad_input, test_coverage = reg.tests(
    [linalg, scaling],
    exempt={"SlopeReport": "a result record built by slope_report"},
)
