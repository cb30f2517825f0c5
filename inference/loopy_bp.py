"""Loopy belief propagation (sum-product and max-product) on discrete factor graphs.

:func:`belief_propagation` passes messages between the factors and the variables of a
:class:`~pgm.factor_graph.FactorGraph` (or of a
:class:`~pgm.bayesian_network.BayesianNetwork`, through ``to_factor_graph()``), and
returns approximate marginals, factor beliefs and the Bethe estimate of ``log Z``.  On a
tree (a factor graph without loops) it is exact: marginals, ``log Z`` and, with
``mode="max"``, the MAP assignment when it is unique.

Layout.  The model is compiled once (:func:`~pgm.inference.compiled.compile_model`) and
every message lives in one flat float64 array: one slot per (factor, variable of its
scope) edge, ``card`` log-values each, found through an offsets array (see
:mod:`pgm.inference._kernels_bp`).  Messages are in **log space**, each normalized to
``logsumexp = 0``: a factor's message is the ``logsumexp`` (or the max) over the other
variables of its scope of its log-table plus their incoming messages, a variable's
message the sum of its other incoming messages and its unary term.  Hard evidence and
soft evidence enter as that unary term (``log 1{x = observed}`` plus the log of the
likelihood vector), so the structure of the graph never changes.

Kernels.  A pairwise binary model (every variable binary, every factor over at most two
variables with no zero entry, no two factors over the same pair; an Ising grid, an RBM as
a :class:`~pgm.inference.pairwise.PairwiseBinaryModel`) runs by default on
:mod:`pgm.inference.pairwise_bp`, which keeps one number per message (a field) after an
exact rewrite in Ising form: the same fixed point, several times cheaper per iteration.
``kernel="general"`` forces the table-per-message kernel described above.  There, a
factor's messages are formed by dividing its incoming messages out of one pass over its
table (one ``exp`` per entry) wherever that is exact, else entry by entry.

Schedules.  ``"flooding"`` updates every variable message, then every factor message,
in parallel (Numba ``prange``).  ``"residual"`` keeps the pending messages of each
factor and a priority queue of their residuals (largest change in probability space),
and repeatedly commits the factor of largest residual, then refreshes its neighbours;
it often converges in fewer message updates on loopy graphs, but each update costs more.
Damping mixes each new factor message with the old one in log space,
``(1 - d) new + d old``, renormalized.

Stopping.  The run stops when the largest change of a factor message (probabilities,
normalized) falls below ``tolerance`` (``converged=True``), or after
``max_iterations`` (rounds of the flooding schedule, or that many updates per factor of
the residual one), with an :class:`~pgm.exceptions.EstimateWarning`.

Bethe free energy.  With beliefs ``b_f`` (factors) and ``b_v`` (variables), ``d_v`` the
number of factors of ``v`` and ``phi_v`` its unary (evidence) term,
``log Z ~ sum_f sum_x b_f log(psi_f / b_f) + sum_v [(d_v - 1) sum_x b_v log b_v
+ sum_x b_v log phi_v]`` with ``0 log 0 = 0``; it is ``log Z`` of the model with the
evidence (``log P(evidence)`` for a Bayesian network), exactly on a tree.

Examples
--------
>>> from pgm import Factor, FactorGraph
>>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]]),
...                   Factor(["b", "c"], [2, 2], [[2.0, 1.0], [1.0, 2.0]])])
>>> r = belief_propagation(fg)
>>> r.converged, r.marginals["a"].round(4).tolist(), round(float(np.exp(r.log_z)), 6)
(True, [0.3, 0.7], 30.0)
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from pgm._config import check_allocation
from pgm.evidence import normalize_evidence, normalize_soft_evidence
from pgm.exceptions import EstimateWarning, EvidenceError, ParameterError
from pgm.inference.compiled import CompiledModel, compile_model
from pgm.results import Marginals, named_marginals
from pgm.validation import check_choice, check_float, check_positive_int, check_tolerance

__all__ = ["BPResult", "belief_propagation", "KERNELS", "MODES", "SCHEDULES"]

#: message-passing semirings: sum-product (marginals) and max-product (MAP)
MODES = ("sum", "max")

#: message schedules
SCHEDULES = ("flooding", "residual")

#: message kernels: the pairwise binary one where the model allows it, or the general one
KERNELS = ("auto", "general", "pairwise")


class FactorBeliefs(Sequence):
    """The factors' beliefs, each a view into one flat array, shaped on first access
    (a 500x500 grid has 750,000 factors: building them all costs seconds that a caller
    asking only for variable marginals should not pay)."""

    def __init__(self, flat: np.ndarray, offsets: np.ndarray, shapes: list) -> None:
        self._flat, self._offsets, self._shapes = flat, offsets, shapes

    def __len__(self) -> int:
        return len(self._shapes)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        shape = self._shapes[k]
        start = int(self._offsets[k])
        return self._flat[start:start + int(np.prod(shape, dtype=np.int64))].reshape(shape)


@dataclass
class BPResult:
    """Output of :func:`belief_propagation`.

    Attributes
    ----------
    marginals : dict
        ``{variable: probabilities (card,)}``: the beliefs of the variables (with
        ``mode="max"`` the max-marginals, normalized to sum to one).  An evidence
        variable gets a point mass at its observed state.
    factor_beliefs : sequence of ndarray
        Per factor of the model (in the order of its ``factors``, one per CPD for a
        Bayesian network), the normalized belief over its scope, shaped like its table.
    log_z : float
        ``mode="sum"``: the Bethe estimate of ``log Z`` given the evidence and soft
        evidence (natural log; for a Bayesian network ``log P(evidence)``), exact on a
        tree.  ``mode="max"``: the log of the unnormalized weight of
        :attr:`map_assignment` (product of the factors and the soft evidence), the
        counterpart of the value of :func:`~pgm.inference.map_assignment`.
    converged : bool
        Whether the largest message change fell below the tolerance.
    iterations : int
        Rounds of the flooding schedule; for the residual schedule, the factor updates
        divided by the number of factors (rounded up).
    max_change : float
        The last largest change of a factor message, in probability space.
    map_assignment : dict or None
        ``mode="max"``: ``{variable: state}``, the argmax of each max-marginal (lowest
        state on ties; exact on a tree with a unique MAP); ``None`` for ``mode="sum"``.
    evidence : dict
        The hard evidence, ``{variable: state index}`` (for a PairwiseBinaryModel, its
        values).
    kernel : str
        The kernel that ran: ``"pairwise"`` (one field per message) or ``"general"``.
    """

    marginals: dict
    factor_beliefs: list
    log_z: float
    converged: bool
    iterations: int
    max_change: float
    map_assignment: dict | None = None
    evidence: dict = field(default_factory=dict)
    mode: str = "sum"
    schedule: str = "flooding"
    kernel: str = "general"

    def marginal(self, variable: Hashable) -> np.ndarray:
        """The belief of ``variable``."""
        return self.marginals[variable]


@dataclass
class _Wiring:
    """The compiled model plus the edge layout of the messages."""

    cm: CompiledModel
    g: tuple                 # the kernels' wiring tuple (see pgm.inference._kernels_bp)
    degree: np.ndarray       # factors per variable
    n_msg: int               # total log-values of one message array


def _unary(cm: CompiledModel, u_off: np.ndarray, ev: dict, soft_evidence) -> np.ndarray:
    """The log unary term of every variable: hard evidence indicators plus log likelihoods."""
    unary = np.zeros(int(u_off[-1]))
    for v, s in ev.items():
        i = cm.index[v]
        unary[u_off[i]:u_off[i + 1]] = -np.inf
        unary[u_off[i] + s] = 0.0
    for v, a in normalize_soft_evidence(cm.source, soft_evidence).items():
        i = cm.index[v]
        with np.errstate(divide="ignore"):
            unary[u_off[i]:u_off[i + 1]] += np.log(a)
        if not np.isfinite(unary[u_off[i]:u_off[i + 1]]).any():
            raise EvidenceError(f"the evidence {v!r}={ev[v]} has likelihood zero under its "
                                "soft evidence (probability zero)")
    return unary


def _wire(cm: CompiledModel, unary: np.ndarray, u_off: np.ndarray) -> _Wiring:
    card, vf_ptr, vf_fac, _, f_ptr, f_vars, _, tab, tab_off = cm.arrays
    nf = cm.n_factors
    e_off = np.zeros(f_vars.size + 1, dtype=np.int64)
    np.cumsum(card[f_vars], out=e_off[1:])
    t_size = np.diff(np.append(tab_off, tab.size)).astype(np.int64) if nf else \
        np.zeros(0, np.int64)
    ve_edge = np.argsort(f_vars, kind="stable").astype(np.int64)
    g = (card, f_ptr, f_vars, tab, tab_off, t_size, e_off, vf_ptr, ve_edge, vf_fac,
         u_off, unary)
    return _Wiring(cm, g, np.diff(vf_ptr).astype(np.int64), int(e_off[-1]))


def _message_bytes(cm: CompiledModel) -> int:
    """Bytes belief propagation allocates: five message-sized arrays (factor messages and
    their probabilities, variable messages, new messages, running sums), the factor beliefs
    (one per table entry), four per-state arrays, and a few per edge, factor and variable."""
    card, _, _, _, _, f_vars, _, tab, _ = cm.arrays
    n_msg = int(card[f_vars].sum()) if f_vars.size else 0
    n_states = int(card.sum())
    return 8 * (5 * n_msg + tab.size + 4 * n_states + 3 * f_vars.size
                + 5 * cm.n_factors + 2 * cm.n_variables)


def _raise_contradiction(cm: CompiledModel, status: int, ev: dict, soft: bool) -> None:
    if status >= 0:
        where = f"variable {cm.variables[status]!r}"
    else:
        f = -2 - status
        where = f"factor {f} over {list(cm.source.factors[f].variables)}"
    what = "the evidence" if ev else ""
    if soft:
        what = f"{what} and soft evidence" if what else "the soft evidence"
    if what:
        raise EvidenceError(f"{what} has probability zero under the model (belief propagation "
                            f"found no state of positive probability at {where})")
    raise EvidenceError(f"the factors admit no assignment of positive probability (belief "
                        f"propagation found no state of positive probability at {where})")


def _warn_not_converged(mode: str, schedule: str, damping: float, max_iterations: int,
                        change: float, tolerance: float) -> None:
    warnings.warn(
        f"belief propagation ({mode}-product, {schedule} schedule, damping={damping:g}) did "
        f"not converge in {max_iterations} iterations: the last largest message change "
        f"{change:.3g} is over the tolerance {tolerance:g}; try damping=0.5 (or more), the "
        "residual schedule, or a larger max_iterations", EstimateWarning, stacklevel=3)


def _pairwise_result(form, source, variables: list, index: dict, clamp: dict, soft: dict,
                     ev: dict, values: np.ndarray | None, *, mode: str, damping: float,
                     tolerance: float, max_iterations: int, memory_budget) -> BPResult:
    """Belief propagation through :mod:`pgm.inference.pairwise_bp`, as a :class:`BPResult`
    (``values``: the value of each state for a PairwiseBinaryModel's assignment)."""
    from pgm.inference.pairwise_bp import pairwise_belief_propagation

    P, beliefs, log_z, iterations, change, x = pairwise_belief_propagation(
        form, variables, index, clamp, soft, mode=mode, damping=damping, tolerance=tolerance,
        max_iterations=max_iterations, memory_budget=memory_budget)
    converged = change < tolerance
    if not converged:
        _warn_not_converged(mode, "flooding", damping, max_iterations, change, tolerance)
    marginals = Marginals.from_table(variables, P, model=source)
    assignment = None
    if x is not None:
        states = x.tolist() if values is None else values[x].tolist()
        assignment = dict(zip(variables, states))
    return BPResult(marginals, beliefs, log_z, bool(converged), iterations, change,
                    assignment, ev, mode, "flooding", "pairwise")


#: message entries (log-values of one message array) below which the general kernel runs
#: on one thread: waking the second costs more than it saves on small models (alarm's 233
#: entries: 36 us a round on one thread, 152 us on two; a 20x20 grid's 3,840: 393 vs 562;
#: a 100x100 grid's 99,200: 9.9 ms vs 8.2 ms; measured on the quiet 2-core machine)
PARALLEL_MIN_ENTRIES = 30_000


class _threads_for:
    """Run the kernels inside on one Numba thread when ``entries`` is small."""

    def __init__(self, entries: int) -> None:
        self._one = entries < PARALLEL_MIN_ENTRIES

    def __enter__(self):
        if self._one:
            import numba

            self._saved = numba.get_num_threads()
            numba.set_num_threads(1)
        return self

    def __exit__(self, *exc) -> None:
        if self._one:
            import numba

            numba.set_num_threads(self._saved)


def _run_general(K, w, schedule, fv, pfv, vf, new, acc, xs, vsum, vninf, damping, tolerance,
                 max_iterations, code, bad_v, bad_f, nf):
    if schedule == "flooding":
        chg = np.zeros(nf)
        return K.flooding(w.g, fv, pfv, vf, new, acc, xs, vsum, vninf, damping, tolerance,
                          max_iterations, code, chg, bad_v, bad_f)
    updates, change, status = K.residual(w.g, fv, pfv, vf, new, acc, xs, vsum, vninf, damping,
                                         tolerance, max_iterations * max(nf, 1), code)
    return -(-int(updates) // max(nf, 1)), change, status


def belief_propagation(model, evidence: Mapping | None = None, *,
                       soft_evidence: Mapping | None = None, mode: str = "sum",
                       schedule: str = "flooding", damping: float = 0.0,
                       tolerance: float = 1e-8, max_iterations: int = 1000,
                       kernel: str = "auto", memory_budget: int | None = None) -> BPResult:
    """Loopy belief propagation: approximate marginals, factor beliefs and ``log Z``.

    Parameters
    ----------
    model : FactorGraph, BayesianNetwork, CompiledModel or PairwiseBinaryModel
        Anything :func:`~pgm.inference.compiled.compile_model` takes (a network is
        run as its factor graph, one factor per CPD), or a
        :class:`~pgm.inference.pairwise.PairwiseBinaryModel` (its factors are those of
        ``to_factor_graph()``).
    evidence : dict, optional
        ``{variable: state}`` (state names or indices, see
        :func:`pgm.evidence.normalize_evidence`); for a PairwiseBinaryModel
        ``{variable: value}`` in its domain (-1/+1 or 0/1), as its samplers take it.
    soft_evidence : dict, optional
        ``{variable: likelihood vector}``: non-negative, one entry per state, multiplied
        in as a unary factor (virtual evidence).
    mode : {"sum", "max"}
        Sum-product (marginals, Bethe ``log Z``) or max-product (max-marginals and a
        decoded assignment).
    schedule : {"flooding", "residual"}
        Parallel updates of every message, or residual (largest change first) updates.
    damping : float in [0, 1)
        Weight of the old message in the log-space mix with the new one.
    tolerance : float > 0
        Stop when the largest change of a message (in probability) is below it.
    max_iterations : int >= 1
        Rounds of the flooding schedule; the residual schedule makes at most that many
        updates per factor.
    kernel : {"auto", "general", "pairwise"}
        ``"pairwise"``: one field per message (:mod:`pgm.inference.pairwise_bp`), for
        models whose variables are binary and whose factors have at most two variables,
        no zero entry and no shared pair (flooding schedule only); ``"general"``: a table
        per message; ``"auto"``: the pairwise kernel where it applies.  Both give the same
        fixed point; on the pairwise kernel ``max_change`` is half the largest change of
        a message's field, a bound on its change in probability.
    memory_budget : int, optional
        Bytes; :class:`~pgm.exceptions.MemoryBudgetError` before allocating messages over it.

    Returns
    -------
    BPResult

    Raises
    ------
    ParameterError
        A bad ``mode``, ``schedule``, ``damping``, ``tolerance`` or ``max_iterations``.
    EvidenceError
        Malformed evidence or soft evidence, or evidence that belief propagation finds
        to have probability zero (a message with no state of positive weight; on a
        tree exactly when the evidence has probability zero).

    Warns
    -----
    EstimateWarning
        When the messages did not converge within ``max_iterations``.

    Examples
    --------
    >>> from pgm import Factor, FactorGraph
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> r = belief_propagation(fg, {"a": 1})
    >>> r.marginals["b"].round(4).tolist(), round(float(np.exp(r.log_z)), 6)
    ([0.4286, 0.5714], 7.0)
    >>> r = belief_propagation(fg, mode="max")
    >>> r.map_assignment, round(float(np.exp(r.log_z)), 6)
    ({'a': 1, 'b': 1}, 4.0)
    >>> belief_propagation(fg, soft_evidence={"b": [1.0, 0.0]}).marginals["a"].round(4).tolist()
    [0.25, 0.75]
    """
    from pgm.inference.pairwise import PairwiseBinaryModel
    from pgm.inference.pairwise_bp import ising_form, pairwise_ising_form

    check_choice("mode", mode, MODES)
    check_choice("schedule", schedule, SCHEDULES)
    check_choice("kernel", kernel, KERNELS)
    damping = check_float("damping", damping, minimum=0, maximum=1, include_maximum=False)
    tolerance = check_tolerance("tolerance", tolerance)
    max_iterations = check_positive_int("max_iterations", max_iterations)
    if kernel == "pairwise" and schedule != "flooding":
        raise ParameterError("kernel='pairwise' runs the flooding schedule only")
    options = dict(mode=mode, damping=damping, tolerance=tolerance,
                   max_iterations=max_iterations, memory_budget=memory_budget)
    if isinstance(model, PairwiseBinaryModel):
        ev, pos, spins = model._evidence(evidence)
        states = dict(zip(pos.tolist(), ((spins.astype(np.int64) + 1) // 2).tolist()))
        if kernel == "general" or schedule != "flooding":
            return belief_propagation(
                model.to_factor_graph(), {model.variables[i]: s for i, s in states.items()},
                soft_evidence=soft_evidence, schedule=schedule, kernel="general", **options)
        soft = normalize_soft_evidence(model, soft_evidence)
        return _pairwise_result(pairwise_ising_form(model), model, model.variables,
                                model._index, states, soft, ev, model.values, **options)
    cm = compile_model(model)
    ev = normalize_evidence(cm.source, evidence)
    if kernel != "general" and schedule == "flooding":
        form = ising_form(cm)
        if not isinstance(form, str):
            soft = normalize_soft_evidence(cm.source, soft_evidence)
            return _pairwise_result(form, cm.source, cm.variables, cm.index,
                                    {cm.index[v]: s for v, s in ev.items()}, soft, ev, None,
                                    **options)
        if kernel == "pairwise":
            raise ParameterError(f"kernel='pairwise' needs a pairwise binary model without "
                                 f"zeros or shared pairs: {form}")
    card = cm.cardinalities
    check_allocation(_message_bytes(cm), f"belief propagation messages ({cm.n_variables} "
                     f"variables, {cm.n_factors} factors)", memory_budget=memory_budget)
    u_off = np.zeros(cm.n_variables + 1, dtype=np.int64)
    np.cumsum(card, out=u_off[1:])
    unary = _unary(cm, u_off, ev, soft_evidence)
    w = _wire(cm, unary, u_off)

    from pgm.inference import _kernels_bp as K

    m = w.n_msg
    e = cm.arrays[5].size
    nf, n = cm.n_factors, cm.n_variables
    fv = np.repeat(-np.log(card[cm.arrays[5]].astype(float)), card[cm.arrays[5]]) if e else \
        np.zeros(0)
    fv = np.ascontiguousarray(fv)
    pfv = np.exp(fv)
    vf = np.empty(m)
    new = np.empty(m)
    acc = np.empty(m)
    xs = np.zeros(e, dtype=np.int64)
    vsum = np.empty(int(u_off[-1]))
    vninf = np.empty(int(u_off[-1]), dtype=np.int64)
    bad_v = np.zeros(n, dtype=np.int64)
    bad_f = np.zeros(nf, dtype=np.int64)
    code = 1 if mode == "max" else 0
    soft = bool(soft_evidence)
    with _threads_for(m):
        iterations, change, status = _run_general(K, w, schedule, fv, pfv, vf, new, acc, xs,
                                                  vsum, vninf, damping, tolerance,
                                                  max_iterations, code, bad_v, bad_f, nf)
    if status != -1:
        _raise_contradiction(cm, int(status), ev, soft)
    change = float(change) if nf else 0.0
    converged = change < tolerance
    if not converged:
        _warn_not_converged(mode, schedule, damping, max_iterations, change, tolerance)
    tab = cm.arrays[7]
    vb = np.empty(int(u_off[-1]))
    fb = np.empty(tab.size)
    bad_v[:] = 0
    bad_f[:] = 0
    with _threads_for(m):
        bethe, status = K.beliefs(w.g, fv, vf, vsum, vninf, xs, w.degree, vb, fb, bad_v, bad_f)
    if status != -1:
        _raise_contradiction(cm, int(status), ev, soft)
    pv = np.exp(vb)
    pf = np.exp(fb)
    marginals = named_marginals(cm.source, {v: pv[u_off[i]:u_off[i + 1]]
                                            for i, v in enumerate(cm.variables)})
    factor_beliefs = FactorBeliefs(pf, cm.arrays[8], [f.values.shape for f in cm.source.factors])
    assignment = None
    log_z = float(bethe)
    if mode == "max":
        x = np.array([int(np.argmax(vb[u_off[i]:u_off[i + 1]])) for i in range(n)],
                     dtype=np.int64)
        assignment = cm.decode(x)
        log_z = float(cm.log_weight(x.astype(cm.state_dtype))) + float(unary[u_off[:-1] + x].sum())
    return BPResult(marginals, factor_beliefs, log_z, bool(converged), int(iterations), change,
                    assignment, ev, mode, schedule)
