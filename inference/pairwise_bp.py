"""Loopy belief propagation on pairwise binary models, one number per message.

:func:`~pgm.inference.loopy_bp.belief_propagation` runs here (``kernel="auto"``) when
every variable is binary, every factor has at most two variables and no zero entry, and
no two factors share a pair of variables; and always for a
:class:`~pgm.inference.pairwise.PairwiseBinaryModel` with the flooding schedule.

The model is rewritten exactly in Ising form, ``log w(s) = c + sum_i h_i s_i +
sum_{i<j} J_ij s_i s_j`` with spins ``s = 2 x - 1`` (state 0 is -1): a pair factor's
log-table ``t`` gives ``J = (t00 + t11 - t01 - t10) / 4`` and adds
``(t10 + t11 - t00 - t01) / 4`` and ``(t01 + t11 - t00 - t10) / 4`` to the fields of
its two variables.  Moving single-variable terms between factors leaves the BP fixed
points, the beliefs and (at a fixed point) the Bethe free energy unchanged, so this
path and the general one (``kernel="general"``) agree to the tolerance.  Hard evidence
is folded into the neighbours' fields (the clamped spins leave the graph), soft evidence
into the fields (a likelihood with one zero is hard evidence).

Each message is a field ``u`` (the message ``exp(u s)``), so one flooding round costs
one ``exp`` and one ``log`` per directed edge (:mod:`pgm.inference._kernels_bp_pairwise`)
instead of a pass over a 2x2 table in log space.  The stopping rule uses half the largest
change of a field, which bounds the largest change of a message in probability.

Examples
--------
>>> from pgm.inference.pairwise import PairwiseBinaryModel
>>> from pgm.inference.loopy_bp import belief_propagation
>>> m = PairwiseBinaryModel.from_edges(3, [(0, 1, 0.5), (1, 2, 0.5)], fields=[0.2, 0, 0])
>>> r = belief_propagation(m)
>>> r.converged, r.marginals[2].round(4).tolist()
(True, [0.4789, 0.5211])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pgm._config import check_allocation
from pgm.exceptions import EvidenceError

__all__ = ["IsingForm", "ising_form", "pairwise_belief_propagation", "PARALLEL_MIN_MESSAGES"]

#: directed messages from which a round runs on every thread (below, starting the
#: threads costs more than they save; one vs two threads a round on the quiet 2-core
#: machine: 15x15 grid, 840 messages, 13.5 vs 53.9 us; 40x40, 6,240, 99 vs 125 us;
#: 70x70, 19,320, 449 vs 296 us; 500x500, 998,000, 17.9 vs 9.1 ms)
PARALLEL_MIN_MESSAGES = 10_000


@dataclass
class IsingForm:
    """A pairwise binary model in Ising form, with the map from its factors.

    Attributes
    ----------
    fields : ndarray (n,)
        ``h``.
    couplings : scipy CSR matrix (n, n)
        ``J``, symmetric, sorted indices (entries that are exactly zero are kept).
    constant : float
        ``c``: ``log w(x) = c + h . s + s J s / 2`` with ``s = 2 x - 1``.
    factor_kind : ndarray (n_factors,)
        0: no variable, 1: one variable, 2: a pair (the factors of the source model, in order).
    factor_vars : ndarray (n_factors, 2)
        The positions of each factor's variables, in the factor's order (``-1``: none).
    """

    fields: np.ndarray
    couplings: object
    constant: float
    factor_kind: np.ndarray
    factor_vars: np.ndarray
    _wiring: tuple | None = field(default=None, repr=False)

    def wiring(self, J=None) -> tuple:
        """``(indptr, indices, J, rev, exp(2 J))`` of ``J`` (default the couplings; kept
        for them, so repeated runs without evidence pay it once)."""
        if J is None and self._wiring is not None:
            return self._wiring
        C = self.couplings if J is None else J
        indptr = C.indptr.astype(np.int64)
        indices = C.indices.astype(np.int64)
        jdata = np.ascontiguousarray(C.data, dtype=np.float64)
        out = (indptr, indices, jdata, _reverse(indptr, indices), np.exp(2.0 * jdata))
        if J is None:
            self._wiring = out
        return out


def ising_form(cm) -> IsingForm | str:
    """The Ising form of a compiled model, or the reason it has none (a string).

    Examples
    --------
    >>> from pgm import Factor, FactorGraph
    >>> from pgm.inference.compiled import compile_model
    >>> f = ising_form(compile_model(FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])))
    >>> f.couplings.toarray().round(4).tolist()
    [[0.0, -0.1014], [-0.1014, 0.0]]
    >>> ising_form(compile_model(FactorGraph([Factor(["a"], [3], [1.0, 2.0, 3.0])])))
    "variable 'a' has 3 states"
    """
    if "ising" not in cm._derived:
        cm._derived["ising"] = _ising_form(cm)
    return cm._derived["ising"]


def _ising_form(cm) -> IsingForm | str:
    import scipy.sparse as sp

    card, _, _, _, f_ptr, f_vars, _, tab, tab_off = cm.arrays
    n, nf = cm.n_variables, cm.n_factors
    if (card != 2).any():
        v = cm.variables[int(np.flatnonzero(card != 2)[0])]
        return f"variable {v!r} has {int(card[cm.index[v]])} states"
    size = np.diff(f_ptr)
    if nf and size.max() > 2:
        f = int(np.flatnonzero(size > 2)[0])
        return f"factor {f} has {int(size[f])} variables"
    if not np.isfinite(tab).all():
        f = int(np.searchsorted(tab_off, np.flatnonzero(~np.isfinite(tab))[0], side="right") - 1)
        return f"factor {f} has a zero entry"
    kind = size.astype(np.int8)
    fvars = np.full((nf, 2), -1, dtype=np.int64)
    one, two = np.flatnonzero(size == 1), np.flatnonzero(size == 2)
    fvars[one, 0] = f_vars[f_ptr[one]]
    fvars[two, 0] = f_vars[f_ptr[two]]
    fvars[two, 1] = f_vars[f_ptr[two] + 1]
    const = float(tab[tab_off[size == 0]].sum())
    t0, t1 = tab[tab_off[one]], tab[tab_off[one] + 1]
    h = np.bincount(fvars[one, 0], (t1 - t0) / 2, n) if one.size else np.zeros(n)
    const += float(((t0 + t1) / 2).sum())
    o = tab_off[two]
    t00, t01, t10, t11 = tab[o], tab[o + 1], tab[o + 2], tab[o + 3]
    a, b = fvars[two, 0], fvars[two, 1]
    if two.size:
        h = h + np.bincount(a, (t10 + t11 - t00 - t01) / 4, n) \
            + np.bincount(b, (t01 + t11 - t00 - t10) / 4, n)
        const += float((t00 + t01 + t10 + t11).sum() / 4)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo * n + hi
    uniq, first, counts = np.unique(key, return_index=True, return_counts=True)
    if (counts > 1).any():
        k = int(uniq[np.flatnonzero(counts > 1)[0]])
        return (f"two factors share the pair ({cm.variables[k // n]!r}, "
                f"{cm.variables[k % n]!r})")
    jv = (t00 + t11 - t01 - t10) / 4
    J = sp.csr_matrix((np.concatenate([jv, jv]), (np.concatenate([lo, hi]),
                                                  np.concatenate([hi, lo]))), shape=(n, n))
    J.sort_indices()
    return IsingForm(np.asarray(h, dtype=np.float64), J, const, kind, fvars)


def pairwise_ising_form(model) -> IsingForm:
    """The Ising form of a :class:`~pgm.inference.pairwise.PairwiseBinaryModel`; its factors
    are those of ``model.to_factor_graph()`` (one unary per variable, then the pairs)."""
    if "bp_form" not in model._cache:
        model._cache["bp_form"] = _pairwise_ising_form(model)
    return model._cache["bp_form"]


def _pairwise_ising_form(model) -> IsingForm:
    im, offset = model.to_ising()
    J = im.couplings
    n = model.n_variables
    upper = J.tocoo()
    keep = upper.row < upper.col
    pairs = np.stack([upper.row[keep], upper.col[keep]], axis=1).astype(np.int64)
    kind = np.concatenate([np.ones(n, np.int8), np.full(len(pairs), 2, np.int8)])
    fvars = np.concatenate([np.stack([np.arange(n), np.full(n, -1)], axis=1), pairs])
    return IsingForm(np.asarray(im.fields, dtype=np.float64), J, -offset, kind, fvars)


def _reverse(indptr: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """For each entry ``(i, j)`` of a symmetric CSR pattern, the entry ``(j, i)``."""
    n = indptr.size - 1
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    key = rows * n + indices
    return np.searchsorted(key, indices.astype(np.int64) * n + rows).astype(np.int64)


def condition(h: np.ndarray, J, clamp: np.ndarray):
    """Clamp spins: ``clamp[i]`` is -1 or +1 (fixed) or 0 (free).  Returns the free
    positions, their fields and couplings (``J`` itself when nothing is clamped), and
    the constant the clamped spins add."""
    fixed = np.flatnonzero(clamp)
    if not fixed.size:
        return np.arange(h.size), h, J, 0.0
    free = np.flatnonzero(clamp == 0)
    s = clamp[fixed].astype(np.float64)
    Jf = J[free]
    hf = h[free] + Jf[:, fixed] @ s
    const = float(h[fixed] @ s + 0.5 * s @ (J[fixed][:, fixed] @ s))
    Jff = Jf[:, free].tocsr()
    Jff.sort_indices()
    return free, hf, Jff, const


class PairBeliefs(Sequence):
    """The factors' beliefs, each computed when first read from the final fields."""

    def __init__(self, form: IsingForm, marg: np.ndarray, free_pos: np.ndarray,
                 total: np.ndarray, u: np.ndarray, J) -> None:
        self._form, self._marg, self._pos, self._total, self._u, self._J = \
            form, marg, free_pos, total, u, J

    def __len__(self) -> int:
        return len(self._form.factor_kind)

    def _entry(self, i: int, k: int) -> int | None:
        J = self._J
        lo, hi = J.indptr[i], J.indptr[i + 1]
        e = lo + int(np.searchsorted(J.indices[lo:hi], k))
        return e if e < hi and J.indices[e] == k else None

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        kind = int(self._form.factor_kind[k])
        a, b = (int(x) for x in self._form.factor_vars[k])
        if kind == 0:
            return np.array(1.0)
        if kind == 1:
            return self._marg[a].copy()
        fa, fb = int(self._pos[a]), int(self._pos[b])
        if fa < 0 or fb < 0:      # a clamped spin: its point mass times the other's belief
            return np.outer(self._marg[a], self._marg[b])
        e, r = self._entry(fa, fb), self._entry(fb, fa)
        jv = float(self._J.data[e]) if e is not None else 0.0
        ca = self._total[fa] - (self._u[e] if e is not None else 0.0)
        cb = self._total[fb] - (self._u[r] if r is not None else 0.0)
        s = np.array([-1.0, 1.0])
        lw = jv * np.outer(s, s) + ca * s[:, None] + cb * s[None, :]
        p = np.exp(lw - lw.max())
        return p / p.sum()


def _soft_to_fields(soft: dict, index: dict, clamp: np.ndarray, h_extra: np.ndarray) -> float:
    """Fold validated soft evidence into fields (or clamps); returns the constant it adds."""
    const = 0.0
    for v, lik in soft.items():
        i = index[v]
        l0, l1 = float(lik[0]), float(lik[1])
        if clamp[i]:
            li = l1 if clamp[i] > 0 else l0
            if li == 0:
                raise EvidenceError(f"the evidence on {v!r} has likelihood zero under its soft "
                                    "evidence (probability zero)")
            const += np.log(li)
        elif l0 == 0 or l1 == 0:
            clamp[i] = 1 if l1 > 0 else -1
            const += np.log(max(l0, l1))
        else:
            h_extra[i] += 0.5 * np.log(l1 / l0)
            const += 0.5 * np.log(l0 * l1)
    return const


def pairwise_belief_propagation(form: IsingForm, variables: list, index: dict,
                                clamp_states: dict, soft: dict, *, mode: str, damping: float,
                                tolerance: float, max_iterations: int,
                                memory_budget: int | None):
    """Run BP on an Ising form.  ``clamp_states``: ``{position: state 0/1}``; ``soft``:
    validated ``{variable: likelihoods}``.  Returns ``(P (n, 2), factor beliefs, log_z,
    iterations, change, assignment (state per position) or None)``."""
    from pgm.inference import _kernels_bp_pairwise as K

    n = len(variables)
    nnz = form.couplings.nnz
    check_allocation(8 * (6 * nnz + 8 * n), f"belief propagation messages ({n} binary variables, "
                     f"{nnz // 2} pairs)", memory_budget=memory_budget)
    clamp = np.zeros(n, dtype=np.int8)
    for i, s in clamp_states.items():
        clamp[i] = 2 * s - 1
    h_extra = np.zeros(n)
    const = form.constant + _soft_to_fields(soft, index, clamp, h_extra)
    free, hf, Jf, cc = condition(form.fields + h_extra, form.couplings, clamp)
    const += cc
    indptr, indices, jdata, rev, a2 = form.wiring(None if Jf is form.couplings else Jf)
    u_in = np.zeros(jdata.size)
    u_new = np.zeros(jdata.size)
    code = 1 if mode == "max" else 0
    chg = np.zeros(max(1, min(free.size, 256)))
    if jdata.size:
        iterations, change, flipped = K.flooding(indptr, jdata, a2, rev,
                                                 np.ascontiguousarray(hf), u_in, u_new,
                                                 float(damping), float(tolerance),
                                                 int(max_iterations), code, chg,
                                                 jdata.size >= PARALLEL_MIN_MESSAGES)
        u = u_new if flipped else u_in
    else:
        iterations, change, u = 1, 0.0, u_in
    total = np.empty(free.size)
    bethe = K.totals_and_bethe(indptr, indices, jdata, rev, np.ascontiguousarray(hf), u, total)
    from scipy.special import expit

    P = np.empty((n, 2))
    P[free, 1] = expit(2 * total)
    P[free, 0] = expit(-2 * total)
    fixed = np.flatnonzero(clamp)
    P[fixed, 1] = clamp[fixed] > 0
    P[fixed, 0] = clamp[fixed] < 0
    pos = np.full(n, -1, dtype=np.int64)
    pos[free] = np.arange(free.size)
    beliefs = PairBeliefs(form, P, pos, total, u, Jf)
    x = None
    if mode == "max":
        x = (P[:, 1] > P[:, 0]).astype(np.int64)
        x[fixed] = (clamp[fixed] > 0)
        s = 2.0 * x - 1.0
        log_z = form.constant + float(form.fields @ s + 0.5 * s @ (form.couplings @ s))
        for v, lik in soft.items():
            log_z += float(np.log(lik[x[index[v]]]))
    else:
        log_z = float(bethe) + const
    return P, beliefs, log_z, int(iterations), float(change), x
