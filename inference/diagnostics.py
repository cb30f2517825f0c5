"""MCMC convergence diagnostics: split R-hat and effective sample size (ESS).

Both functions take draws of shape ``(chains, draws, ...)`` and work on every
trailing position at once.  They follow Vehtari et al. (2021) / Stan without the
rank normalization: each chain is split in two halves; R-hat is the classic
potential scale reduction of the ``2 * chains`` halves; ESS combines the
autocovariances of the halves (FFT) and truncates their sum with Geyer's initial
monotone positive sequence.

Degenerate series never give NaN: when every half is constant and all agree,
R-hat is 1 and ESS the number of draws; constant halves that disagree give R-hat
``inf`` and ESS 1.  Fewer than four draws per chain give R-hat ``inf`` and ESS 0
(no estimate).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(4, 1000))
>>> bool(abs(split_rhat(x) - 1) < 0.01), bool(2500 < ess(x) < 5500)
(True, True)
"""

from __future__ import annotations

import numpy as np

__all__ = ["split_rhat", "ess", "indicator_diagnostics", "batch_diagnostics"]


def _split(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim < 2:
        raise ValueError(f"draws must have shape (chains, draws, ...), got {x.shape}")
    n = x.shape[1] // 2
    return np.concatenate([x[:, :n], x[:, x.shape[1] - n:]], axis=0)


def split_rhat(x: np.ndarray) -> np.ndarray | float:
    """Split potential scale reduction factor of draws ``(chains, draws, ...)``.

    Examples
    --------
    >>> split_rhat(np.zeros((2, 10)))
    1.0
    """
    x = np.asarray(x, dtype=float)
    if x.shape[1] < 4:
        out = np.full(x.shape[2:], np.inf)
        return out if out.ndim else float(out)
    h = _split(x)
    n = h.shape[1]
    means = h.mean(axis=1)
    w = h.var(axis=1, ddof=1).mean(axis=0)
    b = n * means.var(axis=0, ddof=1)
    var_plus = (n - 1) / n * w + b / n
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.sqrt(var_plus / w)
    r = np.where(w > 0, r, np.where(b > 0, np.inf, 1.0))
    return r if r.ndim else float(r)


def _autocov(h: np.ndarray) -> np.ndarray:
    """Biased autocovariance along axis 1 (FFT)."""
    n = h.shape[1]
    c = h - h.mean(axis=1, keepdims=True)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    f = np.fft.rfft(c, n=size, axis=1)
    ac = np.fft.irfft(f * np.conj(f), n=size, axis=1)[:, :n]
    return ac / n


def ess(x: np.ndarray) -> np.ndarray | float:
    """Effective sample size of draws ``(chains, draws, ...)`` (split chains, Geyer).

    Examples
    --------
    >>> float(ess(np.ones((2, 10))))
    20.0
    """
    x = np.asarray(x, dtype=float)
    m0, n0 = x.shape[:2]
    if n0 < 4:
        out = np.zeros(x.shape[2:])
        return out if out.ndim else float(out)
    h = _split(x)
    m, n = h.shape[:2]
    total = m * n
    acov = _autocov(h)                       # (m, n, ...)
    means = h.mean(axis=1)
    w = acov[:, 0].mean(axis=0) * n / (n - 1)
    b_over_n = means.var(axis=0, ddof=1)
    var_plus = w * (n - 1) / n + b_over_n
    safe = np.where(var_plus > 0, var_plus, 1.0)
    rho = 1.0 - (w - acov.mean(axis=0)) / safe   # (n, ...)
    rho[0] = 1.0
    k = n // 2
    pairs = rho[: 2 * k : 2] + rho[1 : 2 * k : 2]   # (k, ...)
    positive = np.cumprod(pairs > 0, axis=0).astype(bool)
    mono = np.minimum.accumulate(np.where(positive, pairs, np.inf), axis=0)
    mono = np.where(positive, mono, 0.0)
    tau = -1.0 + 2.0 * mono.sum(axis=0)
    tau = np.maximum(tau, 1.0 / np.log10(total))     # Stan's cap: ess <= total * log10(total)
    out = total / tau
    out = np.where(w > 0, out, np.where(b_over_n > 0, 1.0, float(total)))
    return out if out.ndim else float(out)


def indicator_diagnostics(samples: np.ndarray, cardinalities: np.ndarray, *,
                          chunk_bytes: int = 64 * 2**20) -> tuple[np.ndarray, np.ndarray]:
    """Split R-hat and ESS of the indicator of each state of each variable.

    Parameters
    ----------
    samples : ndarray, shape (chains, draws, n_variables)
        Integer states.
    cardinalities : ndarray, shape (n_variables,)

    Returns
    -------
    rhat, ess : ndarray, shape (n_variables, max_cardinality)
        Entries past a variable's cardinality are 1 and 0.
    """
    c, d, n = samples.shape
    kmax = int(cardinalities.max()) if n else 1
    rhat = np.ones((n, kmax))
    out_ess = np.zeros((n, kmax))
    step = max(1, chunk_bytes // max(1, c * d * 8 * 3))
    for a in range(0, n, step):
        blk = samples[:, :, a:a + step]
        for s in range(kmax):
            has = cardinalities[a:a + step] > s
            if not has.any():
                continue
            ind = (blk == s).astype(float)
            rhat[a:a + step, s] = np.where(has, split_rhat(ind), 1.0)
            out_ess[a:a + step, s] = np.where(has, ess(ind), 0.0)
    return rhat, out_ess


def batch_diagnostics(batch_means: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """R-hat and ESS from batch means ``(chains, batches, ...)`` of indicator draws.

    Used when the samples are not kept: R-hat is the split R-hat of the batch means
    and ESS the batch-means estimate ``N p (1-p) / (b * var(batch means))``.
    """
    bm = np.asarray(batch_means, dtype=float)
    c, nb = bm.shape[:2]
    total = c * nb * batch_size
    p = bm.mean(axis=(0, 1))
    var = p * (1 - p)
    if nb < 2:
        return np.full(p.shape, np.inf), np.zeros(p.shape)
    vb = bm.reshape(c * nb, *bm.shape[2:]).var(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = total * var / (batch_size * vb)
    e = np.where(vb > 0, np.minimum(e, total * np.log10(total)), np.where(var > 0, total, total))
    r = split_rhat(bm) if nb >= 4 else np.full(p.shape, np.inf)
    return np.asarray(r), np.asarray(e, dtype=float)
