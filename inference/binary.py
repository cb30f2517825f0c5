"""Shared pieces of the binary-unit engines (:mod:`~pgm.inference.grid`,
:mod:`~pgm.inference.pairwise`, :mod:`~pgm.inference.bipartite`): the two domains,
the finite-array check, the inverse-temperature check and the lazy handle on their
compiled kernels.

Examples
--------
>>> check_domain("ising"), check_betas(0.5, 3).tolist()
('ising', [0.5])
"""

from __future__ import annotations

import numpy as np

from pgm.exceptions import ModelError, ParameterError

__all__ = ["DOMAINS", "check_domain", "finite_array", "check_betas", "kernels",
           "BRACKET_BINS", "BRACKET_XMAX", "BRACKET_MARGIN"]

#: the two value sets of a binary unit: spins {-1, +1} or {0, 1}
DOMAINS = ("ising", "boltzmann")

#: bins and range of ``x = 2 beta f`` of the bracket table of the grid kernels'
#: exp-free decision (:func:`pgm.inference.grid.bracket_table`), and its margin
BRACKET_BINS = 1024
BRACKET_XMAX = 16.0
BRACKET_MARGIN = 1e-5


def check_domain(domain: str) -> str:
    """``domain`` if it is one of :data:`DOMAINS`, else :class:`ParameterError`."""
    if domain not in DOMAINS:
        raise ParameterError(f"domain must be one of {DOMAINS}, got {domain!r}")
    return domain


def finite_array(name: str, arr) -> np.ndarray:
    """``arr`` as float64; :class:`ModelError` naming the first non-finite entry."""
    arr = np.asarray(arr, dtype=float)
    if not np.all(np.isfinite(arr)):
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ModelError(f"{name} has a non-finite entry {arr[idx]!r} at {idx}")
    return arr


def check_betas(beta, n_sweeps: int, dtype=np.float64) -> np.ndarray:
    """One inverse temperature, or one per sweep, each positive and finite."""
    b = np.asarray(beta, dtype=float).ravel()
    if b.size not in (1, n_sweeps):
        raise ParameterError(f"beta must be one number or one per sweep ({n_sweeps}), got {b.size}")
    if not np.all(np.isfinite(b) & (b > 0)):
        raise ParameterError(f"beta must be positive and finite, got {beta!r}")
    return b.astype(dtype)


def kernels():
    """The compiled binary-unit kernels (Numba is imported on the first call)."""
    from pgm.inference import _kernels_pairwise

    return _kernels_pairwise
