"""Minibatch SGD updates shared by the models' training loops.

:func:`momentum_step` applies one heavy-ball step with L2 weight decay in place, in
one compiled pass over the parameter, its velocity and the gradient step, and says
whether the result is finite (a diverging run is caught at the step that diverged).
"""

from __future__ import annotations

import numpy as np

from pgm.exceptions import ParameterError

__all__ = ["momentum_step", "momentum_descent"]

#: below this many entries the NumPy expression beats a parallel kernel launch
_KERNEL_MIN_SIZE = 4096


def momentum_step(param: np.ndarray, velocity: np.ndarray, step: np.ndarray, *,
                  momentum: float = 0.0, decay: float = 0.0) -> bool:
    """In place: ``velocity = momentum * velocity + step - decay * param``; ``param += velocity``.

    ``step`` is the already scaled ascent direction (``learning_rate * gradient``),
    ``decay`` the scaled weight decay (``learning_rate * weight_decay``).  All three
    arrays share one shape and floating dtype; ``param`` and ``velocity`` must be
    writeable and C-contiguous.  Returns False when the new velocity has a non-finite
    entry (a parameter that overflows from finite values is not detected here: check
    the parameters themselves where that matters).

    Examples
    --------
    >>> w = np.ones(3); vel = np.zeros(3)
    >>> momentum_step(w, vel, np.full(3, 0.5), momentum=0.9, decay=0.1)
    True
    >>> w.round(3).tolist(), vel.round(3).tolist()
    ([1.4, 1.4, 1.4], [0.4, 0.4, 0.4])
    """
    for name, arr in (("param", param), ("velocity", velocity), ("step", step)):
        if not isinstance(arr, np.ndarray) or arr.dtype not in (np.float32, np.float64):
            raise ParameterError(f"{name} must be a float32 or float64 array")
        if arr.shape != param.shape or arr.dtype != param.dtype:
            raise ParameterError(f"{name} has shape {arr.shape} and dtype {arr.dtype}; expected "
                                 f"{param.shape} and {param.dtype} (those of param)")
    for name, arr in (("param", param), ("velocity", velocity)):
        if not (arr.flags.c_contiguous and arr.flags.writeable):
            raise ParameterError(f"{name} must be a writeable C-contiguous array")
    mu, lam = float(momentum), float(decay)
    if not (np.isfinite(mu) and np.isfinite(lam)):
        raise ParameterError(f"momentum and decay must be finite, got {momentum!r} and {decay!r}")
    if param.size < _KERNEL_MIN_SIZE or param.ndim != 2:
        with np.errstate(over="ignore", invalid="ignore"):
            velocity *= param.dtype.type(mu)
            velocity += step
            if lam:
                velocity -= param.dtype.type(lam) * param
            param += velocity
            return bool(np.isfinite(velocity.sum(dtype=np.float64)))
    from pgm.models._kernels_sgd import momentum_step_2d

    row_sums = np.empty(param.shape[0])
    momentum_step_2d(param, velocity, np.ascontiguousarray(step), mu, lam, row_sums)
    return bool(np.isfinite(row_sums.sum()))


def momentum_descent(params, grads, velocities, *, learning_rate: float, momentum: float,
                     weight_decay: float = 0.0) -> bool:
    """One SGD step with momentum on a model's parameter list, minimising a loss.

    For each ``(param, grad, velocity)``: ``velocity = momentum * velocity -
    learning_rate * (grad + weight_decay * param)``, ``param += velocity``, with the
    weight decay on matrices only (not on bias vectors).  Returns False when some
    parameter became non-finite.

    Examples
    --------
    >>> W, b = np.ones((2, 2)), np.zeros(2)
    >>> momentum_descent([W, b], [np.ones((2, 2)), np.ones(2)], [np.zeros((2, 2)), np.zeros(2)],
    ...                  learning_rate=0.1, momentum=0.9, weight_decay=0.5)
    True
    >>> W[0, 0].round(3), b[0].round(3)
    (np.float64(0.85), np.float64(-0.1))
    """
    lr, wd = float(learning_rate), float(weight_decay)
    ok = True
    for p, g, v in zip(params, grads, velocities):
        step = np.multiply(g, -lr, dtype=p.dtype)
        ok &= momentum_step(p, v, step, momentum=momentum, decay=lr * wd if p.ndim >= 2 else 0.0)
    return bool(ok)
