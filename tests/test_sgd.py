"""The shared SGD update (pgm.models.sgd) and the fast sigmoid (pgm._math)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import expit

from pgm._math import sigmoid
from pgm.exceptions import ParameterError
from pgm.models.sgd import momentum_step


def _reference(p, v, g, mu, lam):
    v = mu * v + g - lam * p
    return p + v, v


@pytest.mark.parametrize("shape", [(5,), (7, 3), (300, 40)])   # NumPy path and kernel path
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_momentum_step_matches_the_formula(shape, dtype):
    rng = np.random.default_rng(0)
    p, v, g = (rng.standard_normal(shape).astype(dtype) for _ in range(3))
    want_p, want_v = _reference(p.astype(float), v.astype(float), g.astype(float), 0.9, 0.01)
    assert momentum_step(p, v, g, momentum=0.9, decay=0.01) is True
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(v, want_v, rtol=tol, atol=tol)
    np.testing.assert_allclose(p, want_p, rtol=tol, atol=tol)


@pytest.mark.parametrize("shape", [(5,), (300, 40)])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_momentum_step_reports_non_finite_results(shape, bad):
    p, v, g = np.zeros(shape, np.float32), np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    g.flat[len(g.flat) // 2] = bad
    assert momentum_step(p, v, g, momentum=0.5) is False
    # huge but finite steps stay finite
    g[...] = 1e30
    assert momentum_step(np.zeros(shape, np.float32), np.zeros(shape, np.float32), g) is True


def test_momentum_step_rejects_bad_arrays():
    p = np.zeros((3, 4), np.float32)
    with pytest.raises(ParameterError, match="step has shape"):
        momentum_step(p, np.zeros_like(p), np.zeros((4, 3), np.float32))
    with pytest.raises(ParameterError, match="velocity has shape"):
        momentum_step(p, np.zeros((3, 4)), np.zeros_like(p))
    with pytest.raises(ParameterError, match="param must be a float32 or float64"):
        momentum_step(np.zeros(3, int), np.zeros(3, int), np.zeros(3, int))
    with pytest.raises(ParameterError, match="writeable C-contiguous"):
        momentum_step(np.zeros((4, 3), np.float32).T, np.zeros((3, 4), np.float32),
                      np.zeros((3, 4), np.float32))
    with pytest.raises(ParameterError, match="finite"):
        momentum_step(p, np.zeros_like(p), np.zeros_like(p), momentum=np.nan)


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(st.sampled_from([np.float32, np.float64]), hnp.array_shapes(max_dims=2),
                    elements=st.floats(-200, 200, width=32)),
       scale=st.floats(0.01, 10.0))
def test_sigmoid_matches_scipy_to_the_dtype_resolution(x, scale):
    got = sigmoid(x, scale=scale)
    assert got.dtype == x.dtype and got.shape == x.shape
    want = expit(scale * x.astype(np.float64))
    tol = 4 * np.finfo(x.dtype).eps
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)
    assert np.all((got >= 0) & (got <= 1))
