"""Hypothesis strategies for the models (the core's are in :mod:`pgm.testing`).

Requires Hypothesis (``pip install pgm[dev]``).

Examples
--------
>>> from hypothesis import given
>>> from pgm.models.testing import rbms
>>> @given(rbms(max_visible=3, max_hidden=2))
... def test_shapes(rbm):
...     assert rbm.W.shape[0] <= 3 and rbm.W.shape[1] <= 2
>>> test_shapes()
"""

from __future__ import annotations

try:
    from hypothesis import strategies as st
    from hypothesis.strategies import SearchStrategy
except ImportError as exc:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "pgm.models.testing needs the 'hypothesis' package; install it with: pip install pgm[dev]"
    ) from exc

import numpy as np

__all__ = ["rbms"]


def _at_least_one(name: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"max_{name}={value} must be >= min_{name}=1")


def rbms(*, max_visible: int = 5, max_hidden: int = 5, scale: float = 3.0) -> SearchStrategy:
    """Small binary RBMs (:class:`pgm.models.RBM`, float64) with weights and biases in
    ``[-scale, scale]``: small enough to enumerate the whole joint.

    Examples
    --------
    >>> rbm = rbms(max_visible=2, max_hidden=2).example()
    >>> rbm.W.shape[0] <= 2 and rbm.W.dtype == np.float64
    True
    """
    _at_least_one("visible units", max_visible)
    _at_least_one("hidden units", max_hidden)

    @st.composite
    def _rbm(draw):
        from pgm.models.rbm import RBM

        D = draw(st.integers(1, max_visible))
        P = draw(st.integers(1, max_hidden))
        vals = st.floats(-scale, scale, allow_nan=False, allow_infinity=False)
        W = np.array(draw(st.lists(vals, min_size=D * P, max_size=D * P))).reshape(D, P)
        b = np.array(draw(st.lists(vals, min_size=D, max_size=D)))
        a = np.array(draw(st.lists(vals, min_size=P, max_size=P)))
        return RBM(W, b, a, dtype=np.float64)

    return _rbm()
