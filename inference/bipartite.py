"""The RBM's engine: dense bipartite couplings between binary units, and Bernoulli draws.

:class:`BipartiteBinary` (an RBM's graph): fields from BLAS products ``v @ W + b``
in NumPy; only the Bernoulli step (:func:`sample_from_logits`,
:func:`sample_bernoulli`) is a Numba kernel, with one random stream per row
(counter based: hash of seed, row, step and unit, so a seed gives the same result
whatever the number of threads).  :func:`bipartite_log_partition` is the exact
``log Z`` of a small bipartite model: for ``E(v, h) = -v^T W h - b^T v - a^T h``
with units in {0, 1}, summing out the larger layer in closed form leaves a sum over
the ``2^K`` states of the smaller one (``K = min(D, P)``).  Enumerating the hidden
layer::

    log Z = logsumexp_h [ a^T h + sum_i softplus(b_i + (W h)_i) ]

It picks the smaller layer and the backend: a Numba kernel
(:mod:`pgm.inference._kernels_rbm`, ``parallel=True``) that walks the states of
each block in Gray-code order, so that one step adds or removes one row of ``W``
(``O(N)`` per state instead of ``O(K N)``, and no ``exp`` per term: ``exp(x)`` is
updated by multiplication when the fields stay bounded), or a vectorised NumPy
version (blocks of states, one BLAS product per block) that serves as its
cross-check.  Both accumulate in float64.  The cost is ``2^K * N`` softplus
evaluations: well under a couple of seconds for ``K = 20, N = 784`` with the kernel
on two cores; ``K = 25`` takes about a minute.

Examples
--------
>>> x = sample_from_logits(np.zeros((2, 8), np.float32), seed=0)
>>> x.shape, set(np.unique(x).tolist()) <= {0.0, 1.0}
((2, 8), True)
"""

from __future__ import annotations

import numpy as np

from pgm._math import logsumexp, softplus
from pgm.exceptions import (
    CardinalityError,
    InvalidProbabilityError,
    MemoryBudgetError,
    ParameterError,
)
from pgm.inference.binary import check_domain, finite_array, kernels
from pgm.validation import check_float, check_positive_int, resolve_seed

__all__ = ["BipartiteBinary", "sample_from_logits", "sample_bernoulli",
           "bipartite_log_partition", "anneal_log_weights", "ENUMERATION_MAX_UNITS"]

#: refuse to enumerate more than 2^ENUMERATION_MAX_UNITS states
ENUMERATION_MAX_UNITS = 32

#: annealing products of fewer multiply-adds run on one BLAS thread
BLAS_SINGLE_THREAD_WORK = 1 << 28


def kernels_rbm():
    """The compiled enumeration kernel (Numba is imported on the first call)."""
    from pgm.inference import _kernels_rbm

    return _kernels_rbm


def check_out(out, shape, dtype):
    if out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(out, np.ndarray) or out.shape != shape or not out.flags.c_contiguous:
        raise ParameterError(f"out must be a C-contiguous array of shape {shape}")
    return out


def sample_from_logits(logits: np.ndarray, seed: int, step: int = 0, *, beta: float = 1.0,
                       spins: bool = False, out: np.ndarray | None = None,
                       return_prob: bool = False, overwrite_logits: bool = False):
    """Bernoulli units from logits, ``p = sigmoid(beta * logits)`` (one stream per row).

    With ``spins=True`` the units are -1/+1 and the logits are local fields
    (``p(+1) = sigmoid(2 beta logits)``).  ``out`` defaults to the dtype of the logits
    (float32 or float64, ready for the next BLAS product).  Entry ``(r, k)`` uses
    counter ``k`` of stream ``(seed, r, step)``: use a new ``step`` for every draw.

    ``overwrite_logits=True`` lets the probabilities replace a float32/float64
    C-contiguous ``logits`` array in place (no temporary; for callers that own it).

    Returns ``units`` or ``(units, probabilities)``.

    Examples
    --------
    >>> x = sample_from_logits(np.zeros((4, 1000), np.float32), seed=0)
    >>> x.dtype, bool(abs(x.mean() - 0.5) < 0.05)
    (dtype('float32'), True)
    """
    from pgm._math import sigmoid

    KP = kernels()
    logits = np.asarray(logits)
    if logits.dtype not in (np.float32, np.float64):
        logits = logits.astype(np.float64)
    squeeze = logits.ndim == 1
    lg = logits.reshape(1, -1) if squeeze else logits
    if lg.ndim != 2:
        raise ParameterError(f"logits must be 1-D or 2-D, got shape {logits.shape}")
    b = check_float("beta", beta, minimum=0, include_minimum=False)
    o = check_out(None if out is None else (out.reshape(lg.shape) if squeeze else out),
                   lg.shape, lg.dtype)
    # probabilities by NumPy's SIMD tanh (absolute error ~ the 2^-24 resolution of the
    # uniforms), then a branch-free compiled draw
    in_place = overwrite_logits and lg.flags.c_contiguous and lg.flags.writeable
    prob = sigmoid(lg, scale=2.0 * b if spins else b, out=lg if in_place else None)
    KP.bernoulli_prob(prob, np.uint64(resolve_seed(seed)), int(step), bool(spins), o)
    if squeeze:
        o = o.reshape(-1)
        prob = prob.reshape(-1) if return_prob else prob
    return (o, prob) if return_prob else o


def sample_bernoulli(prob: np.ndarray, seed: int, step: int = 0, *, spins: bool = False,
                     out: np.ndarray | None = None) -> np.ndarray:
    """Units equal to 1 with probability ``prob`` (else 0, or -1 with ``spins``).

    Same streams as :func:`sample_from_logits`.

    Examples
    --------
    >>> sample_bernoulli(np.array([[0.0, 1.0]]), seed=1).tolist()
    [[0.0, 1.0]]
    """
    KP = kernels()
    p = np.asarray(prob)
    if p.dtype not in (np.float32, np.float64):
        p = p.astype(np.float64)
    squeeze = p.ndim == 1
    p2 = np.ascontiguousarray(p.reshape(1, -1) if squeeze else p)
    if p2.ndim != 2:
        raise ParameterError(f"prob must be 1-D or 2-D, got shape {p.shape}")
    if np.any(~((p2 >= 0) & (p2 <= 1))):
        raise ParameterError("probabilities must lie in [0, 1]")
    o = check_out(None if out is None else (out.reshape(p2.shape) if squeeze else out),
                   p2.shape, p2.dtype)
    KP.bernoulli_prob(p2, np.uint64(resolve_seed(seed)), int(step), bool(spins), o)
    return o.reshape(-1) if squeeze else o


class BipartiteBinary:
    """Dense bipartite couplings between visible and hidden binary units (an RBM's graph).

    ``E(v, h) = -a.v - b.h - v^T W h``, units in {0, 1} (``"boltzmann"``) or {-1, +1}
    (``"ising"``).  Fields are BLAS products in NumPy; the sampling step is a
    Numba kernel with one random stream per row (batch element).  Draw ``t`` of a
    chain uses step ``2t`` (hidden) and ``2t + 1`` (visible).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bb = BipartiteBinary(rng.normal(0, 0.1, (6, 3)), np.zeros(6), np.zeros(3))
    >>> v = np.zeros((5, 6), np.float32)
    >>> v, h = bb.gibbs(v, n_steps=3, seed=0)
    >>> v.shape, h.shape
    ((5, 6), (5, 3))
    """

    def __init__(self, W, a, b, *, domain: str = "boltzmann", dtype=np.float32) -> None:
        self.domain = check_domain(domain)
        self.dtype = np.dtype(dtype)
        self.W = np.ascontiguousarray(finite_array("W", W), dtype=self.dtype)
        if self.W.ndim != 2:
            raise CardinalityError(f"W must be 2-D, got shape {self.W.shape}")
        nv, nh = self.W.shape
        self.a = np.ascontiguousarray(finite_array("a", a), dtype=self.dtype).ravel()
        self.b = np.ascontiguousarray(finite_array("b", b), dtype=self.dtype).ravel()
        if self.a.size != nv or self.b.size != nh:
            raise CardinalityError(f"W is {nv}x{nh} but a has {self.a.size} and b {self.b.size} "
                                   "entries")

    @property
    def spins(self) -> bool:
        return self.domain == "ising"

    def hidden_logits(self, v: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``v @ W + b`` (into ``out``, C-contiguous of the engine's dtype, if given)."""
        x = np.matmul(np.asarray(v, dtype=self.dtype), self.W, out=out)
        x += self.b
        return x

    def visible_logits(self, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``h @ W.T + a`` (into ``out`` if given)."""
        x = np.matmul(np.asarray(h, dtype=self.dtype), self.W.T, out=out)
        x += self.a
        return x

    def sample_hidden(self, v: np.ndarray, seed: int, step: int = 0, *, beta: float = 1.0,
                      return_prob: bool = False, out: np.ndarray | None = None,
                      prob_out: np.ndarray | None = None):
        """Sample ``h | v`` (rows of ``v`` are independent chains); stream step ``2*step``.

        ``out`` receives the units, ``prob_out`` (also the logits' buffer) the
        probabilities; both optional, C-contiguous, of the engine's dtype.
        """
        return sample_from_logits(self.hidden_logits(v, out=prob_out), seed, 2 * step,
                                  beta=beta, spins=self.spins, return_prob=return_prob,
                                  out=out, overwrite_logits=True)

    def sample_visible(self, h: np.ndarray, seed: int, step: int = 0, *, beta: float = 1.0,
                       return_prob: bool = False, out: np.ndarray | None = None,
                       prob_out: np.ndarray | None = None):
        """Sample ``v | h``; stream step ``2*step + 1`` (``out``, ``prob_out`` as in
        :meth:`sample_hidden`)."""
        return sample_from_logits(self.visible_logits(h, out=prob_out), seed, 2 * step + 1,
                                  beta=beta, spins=self.spins, return_prob=return_prob,
                                  out=out, overwrite_logits=True)

    def gibbs(self, v: np.ndarray, n_steps: int = 1, *, seed: int = 0, step0: int = 0,
              beta: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Block Gibbs ``h ~ p(h|v), v ~ p(v|h)``, ``n_steps`` times: returns ``(v, h)``."""
        n_steps = check_positive_int("n_steps", n_steps, 1)
        v = np.asarray(v, dtype=self.dtype)
        h = None
        for t in range(step0, step0 + n_steps):
            h = self.sample_hidden(v, seed, t, beta=beta)
            v = self.sample_visible(h, seed, t, beta=beta)
        return v, h

    def energy(self, v: np.ndarray, h: np.ndarray) -> np.ndarray:
        """``E(v, h)`` per row (float64)."""
        v = np.asarray(v, dtype=float)
        h = np.asarray(h, dtype=float)
        return -(v @ self.a.astype(float)) - h @ self.b.astype(float) - \
            np.einsum("...i,...i->...", v @ self.W.astype(float), h)

    def free_energy(self, v: np.ndarray) -> np.ndarray:
        """``F(v) = -log sum_h exp(-E(v, h))`` per row."""
        v = np.asarray(v, dtype=float)
        x = v @ self.W.astype(float) + self.b.astype(float)
        if self.spins:
            soft = np.logaddexp(x, -x)
        else:
            soft = softplus(x)
        return -(v @ self.a.astype(float)) - soft.sum(axis=-1)

    def to_pairwise(self):
        """The joint model over ``(v_0.., h_0..)`` as a :class:`PairwiseBinaryModel`."""
        import scipy.sparse as sp

        from pgm.inference.pairwise import PairwiseBinaryModel

        nv, nh = self.W.shape
        W = sp.csr_matrix(self.W.astype(float))
        J = sp.bmat([[None, W], [W.T, None]], format="csr")
        names = [f"v{i}" for i in range(nv)] + [f"h{j}" for j in range(nh)]
        return PairwiseBinaryModel(np.concatenate([self.a, self.b]).astype(float), J,
                                   domain=self.domain, variables=names)


def _states(start: int, stop: int, K: int) -> np.ndarray:
    """The binary states ``start .. stop-1`` (bit ``k`` of the index is unit ``k``), float64."""
    idx = np.arange(start, stop, dtype=np.int64)[:, None]
    return ((idx >> np.arange(K, dtype=np.int64)) & 1).astype(np.float64)


def _numpy_logsumexp(Wk: np.ndarray, c: np.ndarray, d: np.ndarray, block: int) -> float:
    K = Wk.shape[0]
    total = 1 << K
    parts = []
    for s0 in range(0, total, block):
        S = _states(s0, min(total, s0 + block), K)
        x = S @ Wk + d
        parts.append(logsumexp(S @ c + softplus(x).sum(axis=1)))
    return float(logsumexp(np.asarray(parts)))


def bipartite_log_partition(W, visible_bias, hidden_bias, *, backend: str = "auto",
                            max_units: int = 25) -> float:
    """Exact ``log Z`` of a binary RBM by enumerating the smaller layer.

    Parameters
    ----------
    W : array (D, P)
        Couplings ``E(v, h) = -v^T W h - b^T v - a^T h``.
    visible_bias : array (D,)
        ``b``.
    hidden_bias : array (P,)
        ``a``.
    backend : {"auto", "numba", "numpy"}
        ``"auto"``: the Numba kernel unless the smaller layer has at most 10 units.
    max_units : int
        Refuse (``MemoryBudgetError``) to enumerate more than ``2^max_units`` states;
        at most 32.

    Returns
    -------
    float

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> W, b, a = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=3)
    >>> x = bipartite_log_partition(W, b, a, backend="numba")
    >>> bool(abs(x - bipartite_log_partition(W, b, a, backend="numpy")) < 1e-9)
    True
    """
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(visible_bias, dtype=np.float64).ravel()
    a = np.asarray(hidden_bias, dtype=np.float64).ravel()
    if W.ndim != 2:
        raise CardinalityError(f"W must be 2-D (visible x hidden), got shape {W.shape}")
    D, P = W.shape
    if b.size != D or a.size != P:
        raise CardinalityError(f"W is {D}x{P} but the visible bias has {b.size} and the hidden "
                               f"bias {a.size} entries")
    for name, arr in (("W", W), ("visible bias", b), ("hidden bias", a)):
        if not np.all(np.isfinite(arr)):
            raise InvalidProbabilityError(f"{name} has a non-finite entry")
    if backend not in ("auto", "numba", "numpy"):
        raise ParameterError(f"backend must be 'auto', 'numba' or 'numpy', got {backend!r}")
    if not 0 <= int(max_units) <= ENUMERATION_MAX_UNITS:
        raise ParameterError(f"max_units must be in 0..{ENUMERATION_MAX_UNITS}, got {max_units}")
    if P <= D:   # enumerate the hidden layer
        Wk, c, d = np.ascontiguousarray(W.T), a, b
    else:        # enumerate the visible layer
        Wk, c, d = np.ascontiguousarray(W), b, a
    K = Wk.shape[0]
    if K > max_units:
        raise MemoryBudgetError(
            f"exact log Z enumerates 2^{K} states of the smaller layer ({D} visible, {P} hidden "
            f"units), over the limit of 2^{max_units}; use AIS instead")
    if K == 0:
        return float(softplus(d).sum())
    if backend == "numpy" or (backend == "auto" and K <= 10):
        block = max(1, (1 << 22) // max(d.size, 1))
        return _numpy_logsumexp(Wk, np.ascontiguousarray(c), d, block)
    high = max(0, min(10, K - 10))
    # |x_i| <= |d_i| + sum_k |Wk[k, i]| for every state: keep exp(x) finite and nonzero
    bound = float(np.max(np.abs(d) + np.abs(Wk).sum(axis=0))) if d.size else 0.0
    mult = bound < 600.0
    expW = np.exp(Wk) if mult else Wk[:0]
    exp_negW = np.exp(-Wk) if mult else Wk[:0]
    parts = kernels_rbm().enumerate_logsumexp(Wk, np.ascontiguousarray(c), np.ascontiguousarray(d), K - high,
                                expW, exp_negW, mult)
    return float(logsumexp(parts))


def anneal_log_weights(engine: BipartiteBinary, base_bias, betas, *, start=None,
                       n_runs: int | None = None, seed: int = 0,
                       blas_threads: int | None = None) -> np.ndarray:
    """Log importance weights of annealing runs through ``f_beta`` (AIS or reverse AIS).

    ``f_beta(v) = exp(((1 - beta) b_A + beta b)^T v) prod_j (1 + exp(beta (v^T W + a)_j))``
    interpolates between the base-rate model ``b_A`` (``beta = 0``, log partition
    function ``sum softplus(b_A) + P log 2``) and the RBM's marginal (``beta = 1``).
    Each run starts at ``v`` (a row of ``start``, or a draw from the base-rate model),
    moves by one block-Gibbs step at ``betas[0]`` when ``start`` is given, then for
    ``k = 1 .. K`` adds ``log f_hi(v) - log f_lo(v)`` (``hi``/``lo`` the larger and
    smaller of ``betas[k-1], betas[k]``) and, for ``k < K``, moves by one Gibbs step
    ``h ~ p_beta(h | v), v ~ p_beta(v | h)`` at ``beta = betas[k]``.

    Forward (``betas`` from 0 to 1, ``start=None``): AIS, ``log Z ~ log Z_A +
    log mean(exp(result))``.  Reverse (``betas`` from 1 to 0, ``start`` = data rows):
    reverse AIS, ``log Z_A + result[r]`` estimates ``log Z`` from row ``r`` (too high in
    expectation, where AIS is too low).

    Every step is two BLAS products in the engine's dtype and two compiled passes
    (:func:`~pgm.inference._kernels_rbm.anneal_hidden`,
    :func:`~pgm.inference._kernels_rbm.anneal_visible`; parallel over the runs) that add
    the biases, accumulate the increments in float64 and draw the next layer; run ``r``
    uses streams ``(seed, r, 2k)`` and ``(seed, r, 2k + 1)``.  ``blas_threads``: threads
    of the products (default: one below ``BLAS_SINGLE_THREAD_WORK`` multiply-adds per
    product, else BLAS's own; on the shared two-core machine two BLAS threads on small
    products were up to 25x slower than one, each fork-join waiting for a time slice).

    Examples
    --------
    >>> bb = BipartiteBinary(np.zeros((4, 2)), np.ones(4), np.zeros(2))
    >>> lw = anneal_log_weights(bb, np.ones(4), np.linspace(0, 1, 5), n_runs=3)
    >>> lw.round(12).tolist()      # W = 0 and base = the model: every weight is 1
    [0.0, 0.0, 0.0]
    """
    if engine.spins:
        raise ParameterError("annealing is implemented for {0, 1} units (domain 'boltzmann')")
    D, P = engine.W.shape
    bA = np.asarray(finite_array("base_bias", base_bias), dtype=np.float64).ravel()
    if bA.size != D:
        raise CardinalityError(f"base_bias has {bA.size} entries, the model {D} visible units")
    betas = np.asarray(finite_array("betas", betas), dtype=np.float64).ravel()
    if betas.size < 2 or np.any((betas < 0) | (betas > 1)):
        raise ParameterError("betas must hold at least two inverse temperatures in [0, 1]")
    dt = engine.dtype
    if start is None:
        if n_runs is None:
            raise ParameterError("give start (data rows) or n_runs")
        M = check_positive_int("n_runs", n_runs, 1)
        v = np.empty((M, D), dt)
    else:
        v = np.array(finite_array("start", start), dtype=dt, order="C", ndmin=2)
        if v.ndim != 2 or v.shape[1] != D:
            raise CardinalityError(f"start must have {D} columns, got shape {v.shape}")
        if np.any((v != 0) & (v != 1)):
            raise ParameterError("start must hold 0/1 rows")
        M = v.shape[0]
    KR = kernels_rbm()
    key = np.uint64(resolve_seed(seed))
    b64 = engine.a.astype(np.float64)
    a64 = engine.b.astype(np.float64)
    db = b64 - bA
    xw = np.empty((M, P), dt)
    h = np.empty((M, P), dt)
    hw = np.empty((M, D), dt)
    vdb = np.empty(M)
    inc = np.zeros(M)
    if start is None:   # v ~ the base-rate model (hw is ignored at beta = 0)
        hw.fill(0)
        KR.anneal_visible(hw, b64, 0.0, bA, db, key, 1, v, vdb)
    else:               # one Gibbs step at betas[0] (leaves p_betas[0] invariant)
        vdb[:] = v.astype(np.float64) @ db
        np.matmul(v, engine.W, out=xw)
        b0 = float(betas[0])
        KR.anneal_hidden(xw, a64, b0, b0, b0, key, 0, True, h, vdb, 0.0, inc)
        np.matmul(h, engine.W.T, out=hw)
        KR.anneal_visible(hw, b64, b0, bA, db, key, 1, v, vdb)
    from threadpoolctl import threadpool_limits

    if blas_threads is None:
        blas_threads = 1 if M * D * P < BLAS_SINGLE_THREAD_WORK else None
    else:
        blas_threads = check_positive_int("blas_threads", blas_threads)
    with threadpool_limits(limits=blas_threads, user_api="blas"):
        _anneal_steps(engine, KR, key, betas, v, h, xw, hw, vdb, inc, a64, b64, bA, db)
    return inc


def _anneal_steps(engine, KR, key, betas, v, h, xw, hw, vdb, inc, a64, b64, bA, db) -> None:
    K = betas.size - 1
    for k in range(1, K + 1):
        bp, bk = float(betas[k - 1]), float(betas[k])
        hi, lo = max(bp, bk), min(bp, bk)
        np.matmul(v, engine.W, out=xw)
        more = k < K
        KR.anneal_hidden(xw, a64, hi, lo, bk, key, 2 * k, more, h, vdb, hi - lo, inc)
        if more:
            np.matmul(h, engine.W.T, out=hw)
            KR.anneal_visible(hw, b64, bk, bA, db, key, 2 * k + 1, v, vdb)
