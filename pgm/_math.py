"""Numerical primitives shared by the whole toolkit (one place for each)."""

from __future__ import annotations

import numpy as np

__all__ = ["logsumexp", "safe_log", "local_distribution", "sigmoid", "expit", "softplus"]


def _real_array(a, name: str = "a", dtype=float) -> np.ndarray:
    """``a`` as a real array (of ``dtype``, or its own real dtype when ``dtype`` is None);
    :class:`~pgm.exceptions.ParameterError` for strings, complex numbers, ``None``, ragged lists."""
    try:
        arr = np.asarray(a)
        if arr.dtype.kind == "O":
            if any(v is None for v in arr.flat):  # NumPy would turn None into NaN
                raise TypeError("None")
            arr = np.asarray(a, dtype=float)
        if arr.dtype.kind in "biuf":
            return arr.astype(dtype, copy=False) if dtype is not None else arr
    except (TypeError, ValueError):
        pass
    from pgm.exceptions import ParameterError

    raise ParameterError(f"{name} must be an array of real numbers, got {type(a).__name__}")


def logsumexp(a: np.ndarray, axis=None, keepdims: bool = False) -> np.ndarray:
    """Stable ``log(sum(exp(a)))`` along ``axis``; all ``-inf`` gives ``-inf`` without warnings.

    Examples
    --------
    >>> round(float(logsumexp(np.log([0.25, 0.75]))), 12)
    0.0
    """
    a = _real_array(a)
    if not isinstance(keepdims, (bool, np.bool_)):
        from pgm.exceptions import ParameterError

        raise ParameterError(f"keepdims must be True or False, got {keepdims!r}")
    keepdims = bool(keepdims)
    if axis is not None:
        from pgm.exceptions import ParameterError

        axes = axis if isinstance(axis, tuple) else (axis,)
        if not all(isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))
                   and -a.ndim <= x < a.ndim for x in axes) \
                or len({int(x) % max(a.ndim, 1) for x in axes}) != len(axes):
            raise ParameterError(f"axis {axis!r} is not a set of distinct axes of an array of "
                                 f"{a.ndim} dimensions")
    if a.size == 0:
        out = np.full(np.sum(a, axis=axis, keepdims=keepdims).shape, -np.inf)
        return out if out.ndim else out[()]
    m = np.max(a, axis=axis, keepdims=True)
    m_safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = np.log(np.sum(np.exp(a - m_safe), axis=axis, keepdims=True)) + m_safe
    # +inf entries: keep +inf (exp overflow already gives it); NaN only from NaN input
    if not keepdims:
        s = np.squeeze(s, axis=axis) if axis is not None else s.reshape(())
    return s if np.ndim(s) else s[()]


def safe_log(p: np.ndarray) -> np.ndarray:
    """``log(p)`` with ``log(0) = -inf`` and no divide-by-zero warning."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(_real_array(p, "p"))


def local_distribution(logp: np.ndarray, variable) -> np.ndarray:
    """Normalize unnormalized log-probabilities of one variable's states.

    Raises :class:`pgm.exceptions.EvidenceError` naming ``variable`` when every state
    has probability zero (the building block of local conditionals, Gibbs and ICM).

    Examples
    --------
    >>> local_distribution(np.log([1.0, 3.0]), "x").tolist()
    [0.25, 0.75]
    """
    logp = _real_array(logp, "logp")
    if logp.size == 0 or np.isnan(logp).any():
        from pgm.exceptions import ParameterError

        raise ParameterError(f"the log-probabilities of {variable!r} must be a non-empty array "
                             f"without NaN, got {logp!r}")
    m = np.max(logp)
    if not np.isfinite(m):
        from pgm.exceptions import EvidenceError

        raise EvidenceError(
            f"every state of {variable!r} has probability zero given its Markov blanket"
        )
    p = np.exp(logp - m)
    return p / p.sum()


def sigmoid(x: np.ndarray, *, scale: float = 1.0, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-scale * x))`` in the dtype of ``x`` (float32 stays float32).

    Computed as ``(1 + tanh(scale * x / 2)) / 2``: NumPy's SIMD ``tanh`` makes it
    several times faster than :func:`scipy.special.expit` on float32 arrays, with an
    absolute error of a few units of the dtype's epsilon (so ``p`` underflows to 0
    below about ``x = -17`` in float32).  Meant for probabilities that are sampled
    or averaged; for ``log p`` use a softplus of the logits instead.

    Examples
    --------
    >>> sigmoid(np.array([0.0, 2.0])).round(4).tolist()
    [0.5, 0.8808]
    """
    x = _real_array(x, "x", dtype=None)
    if x.dtype not in (np.float32, np.float64):
        x = _real_array(x, "x")
    if isinstance(scale, (bool, np.bool_)) or not isinstance(scale, (int, float, np.integer,
                                                                      np.floating)):
        from pgm.exceptions import ParameterError

        raise ParameterError(f"scale must be a number, got {scale!r}")
    if out is None:
        out = np.empty_like(x)   # also for a 0-d x (a ufunc would return a scalar)
    elif not (isinstance(out, np.ndarray) and out.shape == x.shape and out.dtype == x.dtype):
        from pgm.exceptions import ParameterError

        raise ParameterError(f"out must be an array of shape {x.shape} and dtype {x.dtype}")
    out = np.multiply(x, x.dtype.type(0.5 * scale), out=out)
    np.tanh(out, out=out)
    out *= x.dtype.type(0.5)
    out += x.dtype.type(0.5)
    return out


def expit(x: np.ndarray) -> np.ndarray:
    """Exact logistic function (:func:`scipy.special.expit`), for values that are logged or
    compared; :func:`sigmoid` is the fast one for probabilities that are sampled.

    Examples
    --------
    >>> float(expit(np.array(0.0)))
    0.5
    """
    from scipy.special import expit as _scipy_expit

    return _scipy_expit(_real_array(x, "x", dtype=None))


def softplus(x: np.ndarray) -> np.ndarray:
    """``log(1 + exp(x))`` without overflow (``-log sigmoid(-x)``).

    Examples
    --------
    >>> softplus(np.array([0.0, 1000.0])).round(6).tolist()
    [0.693147, 1000.0]
    """
    return np.logaddexp(0.0, _real_array(x, "x", dtype=None))
