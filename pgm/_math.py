"""Numerical primitives shared by the whole toolkit (one place for each)."""

from __future__ import annotations

import numpy as np

__all__ = ["logsumexp", "safe_log", "local_distribution", "sigmoid", "expit", "softplus"]


def logsumexp(a: np.ndarray, axis=None, keepdims: bool = False) -> np.ndarray:
    """Stable ``log(sum(exp(a)))`` along ``axis``; all ``-inf`` gives ``-inf`` without warnings.

    Examples
    --------
    >>> round(float(logsumexp(np.log([0.25, 0.75]))), 12)
    0.0
    """
    a = np.asarray(a, dtype=float)
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
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(p, dtype=float))


def local_distribution(logp: np.ndarray, variable) -> np.ndarray:
    """Normalize unnormalized log-probabilities of one variable's states.

    Raises :class:`pgm.exceptions.EvidenceError` naming ``variable`` when every state
    has probability zero (the building block of local conditionals, Gibbs and ICM).

    Examples
    --------
    >>> local_distribution(np.log([1.0, 3.0]), "x").tolist()
    [0.25, 0.75]
    """
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
    x = np.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
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

    return _scipy_expit(x)


def softplus(x: np.ndarray) -> np.ndarray:
    """``log(1 + exp(x))`` without overflow (``-log sigmoid(-x)``).

    Examples
    --------
    >>> softplus(np.array([0.0, 1000.0])).round(6).tolist()
    [0.693147, 1000.0]
    """
    return np.logaddexp(0.0, x)
