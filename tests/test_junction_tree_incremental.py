"""Incremental repropagation of :meth:`JunctionTree.calibrate`: the messages of the last
calibration that an evidence change leaves valid are reused, with the answers of a full
propagation and of variable elimination."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pgm
import pgm.examples
from pgm.evidence import with_soft_evidence
from pgm.exceptions import EvidenceError, PGMError
from pgm.inference import VariableElimination
from pgm.inference.junction_tree import JunctionTree
from pgm.testing import bayesian_networks, factor_graphs

EXACT = 1e-12    # incremental against a full propagation
TOL = 1e-9       # against variable elimination


# ------------------------------------------------------------------ helpers
def _names(model) -> list:
    return list(model.nodes) if isinstance(model, pgm.BayesianNetwork) else list(model.variables)


def _card(model, v) -> int:
    return model.cardinality(v)


def _full(model, ev: dict, soft: dict):
    """A full propagation on a new tree: the Calibration, or None if the evidence is impossible."""
    try:
        return JunctionTree(model).calibrate(ev, soft_evidence=soft, incremental=False)
    except EvidenceError:
        return None


def _same(a, b, tol: float = EXACT) -> None:
    assert a.log_evidence == pytest.approx(b.log_evidence, abs=tol)
    assert len(a.beliefs) == len(b.beliefs)
    for x, y in zip(a.beliefs, b.beliefs):
        np.testing.assert_allclose(x, y, rtol=0, atol=tol)


def _against_ve(model, cal, ev: dict, soft: dict) -> None:
    ve = VariableElimination(with_soft_evidence(model, soft), prune=False)
    assert cal.log_evidence == pytest.approx(ve.log_partition_function(ev), abs=TOL)
    for v, p in ve.marginals(_names(model), ev).items():
        np.testing.assert_allclose(cal.marginal(v), p, rtol=0, atol=TOL)


@st.composite
def _step(draw, model, ev: dict, soft: dict) -> tuple[dict, dict]:
    """The next evidence set: 0, 1 or several changes (add, remove, change value, soft)."""
    names = _names(model)
    ev, soft = dict(ev), dict(soft)
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["add", "remove", "value", "soft", "unsoft"]))
        v = draw(st.sampled_from(names))
        c = _card(model, v)
        if kind in ("add", "value"):
            if kind == "add" or v in ev:
                ev[v] = draw(st.integers(0, c - 1))
        elif kind == "remove":
            ev.pop(v, None)
        elif kind == "soft":
            soft[v] = draw(st.lists(st.sampled_from([0.0, 0.1, 0.5, 1.0, 2.0]),
                                    min_size=c, max_size=c))
        else:
            soft.pop(v, None)
    return ev, soft


MODELS = st.one_of(bayesian_networks(max_nodes=7, max_cardinality=3),
                   factor_graphs(max_variables=7, max_cardinality=3, max_factor_size=3))


# ------------------------------------------------ sequences of evidence sets
@settings(deadline=None, max_examples=40)
@given(st.data())
def test_sequences_equal_full_propagation_and_variable_elimination(data):
    model = data.draw(MODELS, label="model")
    jt = JunctionTree(model)
    ev: dict = {}
    soft: dict = {}
    kept = []
    for _ in range(data.draw(st.integers(1, 6), label="steps")):
        ev, soft = data.draw(_step(model, ev, soft), label="evidence")
        ref = _full(model, ev, soft)
        if ref is None:
            with pytest.raises(EvidenceError):
                jt.calibrate(ev, soft_evidence=soft)
            continue
        cal = jt.calibrate(ev, soft_evidence=soft)
        _same(cal, ref)
        _against_ve(model, cal, ev, soft)
        assert 0 <= cal.messages_recomputed <= jt.n_messages
        assert jt.last_messages_recomputed == cal.messages_recomputed
        kept.append((cal, [b.copy() for b in cal.beliefs], cal.log_evidence))
    # earlier results were never written to by later calls
    for cal, beliefs, ll in kept:
        assert cal.log_evidence == ll
        for x, y in zip(cal.beliefs, beliefs):
            np.testing.assert_array_equal(x, y)


@settings(deadline=None, max_examples=30)
@given(st.data())
def test_unchanged_evidence_recomputes_nothing(data):
    model = data.draw(MODELS, label="model")
    jt = JunctionTree(model)
    ev, soft = data.draw(_step(model, {}, {}), label="evidence")
    if _full(model, ev, soft) is None:
        return
    first = jt.calibrate(ev, soft_evidence=soft)
    assert first.messages_recomputed == jt.n_messages
    again = jt.calibrate(ev, soft_evidence={v: np.array(a) for v, a in soft.items()})
    assert again.messages_recomputed == 0
    _same(again, first, 0.0)
    assert again.beliefs[0] is not first.beliefs[0]
    full = jt.calibrate(ev, soft_evidence=soft, incremental=False)
    assert full.messages_recomputed == jt.n_messages
    _same(full, first)
    # incremental=False keeps nothing: the next call propagates from scratch
    assert jt.calibrate(ev, soft_evidence=soft).messages_recomputed == jt.n_messages
    assert jt.calibrate(ev, soft_evidence=soft).messages_recomputed == 0


def _leaf_variable(jt: JunctionTree):
    """A variable whose home clique is a leaf (not a root) of the tree, or None."""
    parents = {jt._parent[c] for c in range(len(jt.cliques))}
    for v in jt.variables:
        h = jt._home[v]
        if jt._parent[h] >= 0 and h not in parents:
            return v
    return None


def _tree_edges_and_depth(jt: JunctionTree, c: int) -> tuple[int, int]:
    """Edges of the tree holding clique ``c``, and ``c``'s depth in it."""
    depth, r = 0, c
    while jt._parent[r] >= 0:
        r, depth = jt._parent[r], depth + 1
    root = {}
    for k in range(len(jt.cliques)):
        q = k
        while jt._parent[q] >= 0:
            q = jt._parent[q]
        root[k] = q
    return sum(1 for k in range(len(jt.cliques)) if jt._parent[k] >= 0 and root[k] == r), depth


@settings(deadline=None, max_examples=30)
@given(bayesian_networks(min_nodes=3, max_nodes=8, max_cardinality=3, min_probability=0.01),
       st.integers(0, 2**16), st.booleans())
def test_one_leaf_variable_recomputes_fewer_messages(bn, seed, hard):
    jt = JunctionTree(bn)
    v = _leaf_variable(jt)
    if v is None:
        return
    rng = np.random.default_rng(seed)
    others = [u for u in bn.nodes if u != v][:2]
    ev = {u: int(rng.integers(_card(bn, u))) for u in others}
    edges, depth = _tree_edges_and_depth(jt, jt._home[v])
    if hard:
        jt.calibrate({**ev, v: 0})
        cal = jt.calibrate({**ev, v: 1})
        ref = _full(bn, {**ev, v: 1}, {})
        # each edge of the leaf's tree is stale in one direction; a downward message on
        # the leaf's path to the root is recomputed too when the upward one on its edge
        # gained support (hard evidence on a separator variable moved)
        assert edges <= cal.messages_recomputed <= edges + depth
    else:
        lik = np.linspace(1.0, 2.0, _card(bn, v))
        jt.calibrate(ev, soft_evidence={v: lik})
        cal = jt.calibrate(ev, soft_evidence={v: lik[::-1]})
        ref = _full(bn, ev, {v: lik[::-1]})
        # no zero anywhere: exactly the messages coming from the leaf's side
        assert cal.messages_recomputed == edges < jt.n_messages
    assert 0 < cal.messages_recomputed
    _same(cal, ref)


def test_alarm_counts_and_answers():
    bn = pgm.examples.load("alarm")
    jt = JunctionTree(bn)
    ve = VariableElimination(bn)
    evs = [{"HRBP": "HIGH", "CO": "LOW", "BP": "NORMAL"},
           {"HRBP": "HIGH", "CO": "LOW", "BP": "HIGH"},         # one value changed
           {"HRBP": "HIGH", "CO": "LOW"},                        # one removed
           {"HRBP": "HIGH", "CO": "LOW", "MINVOLSET": "LOW"},    # one added
           {"HRBP": "HIGH", "CO": "LOW", "MINVOLSET": "LOW"}]    # none changed
    counts = []
    for ev in evs:
        cal = jt.calibrate(ev)
        counts.append(cal.messages_recomputed)
        _same(cal, JunctionTree(bn).calibrate(ev))
        for v, p in ve.marginals(evidence=ev).items():
            np.testing.assert_allclose(cal.marginal(v), p, atol=TOL)
        # (the BIF file's CPDs are rounded: the tree divides by their Z, elimination not)
        assert cal.log_evidence == pytest.approx(ve.probability_of_evidence(ev, log=True),
                                                 abs=1e-7)
    assert counts[0] == jt.n_messages and counts[-1] == 0
    assert all(0 < c < jt.n_messages for c in counts[1:4])


# ------------------------------------------------------ zeros in the messages
def _deterministic_chain() -> pgm.BayesianNetwork:
    """a -> b -> c -> d with zeros: b copies a, c = b or noise, d copies c."""
    return pgm.BayesianNetwork.from_cpds([
        pgm.TabularCPD("a", [0.3, 0.7]),
        pgm.TabularCPD("b", [[1.0, 0.0], [0.0, 1.0]], parents=["a"]),
        pgm.TabularCPD("c", [[0.6, 0.4], [0.0, 1.0]], parents=["b"]),
        pgm.TabularCPD("d", [[1.0, 0.0], [0.0, 1.0]], parents=["c"]),
    ])


@pytest.mark.parametrize("sequence", [
    [{"d": 1}, {"d": 0}, {"d": 1}, {}],
    [{"a": 0}, {"a": 1}, {"a": 0, "d": 1}, {"a": 0, "d": 0}],
    [{"c": 0}, {"c": 1}, {"b": 1}, {"b": 0, "d": 1}, {"d": 0}],
])
def test_separator_zeros_that_disappear(sequence):
    """A message that was zero on some separator state and no longer is: the message kept
    in the other direction (computed by division) must not be reused blindly."""
    bn = _deterministic_chain()
    jt = JunctionTree(bn)
    for ev in sequence:
        ref = _full(bn, ev, {})
        if ref is None:
            with pytest.raises(EvidenceError):
                jt.calibrate(ev)
            continue
        cal = jt.calibrate(ev)
        _same(cal, ref)
        _against_ve(bn, cal, ev, {})


def test_soft_evidence_zeros_that_disappear():
    bn = _deterministic_chain()
    jt = JunctionTree(bn)
    for soft in ({"d": [0.0, 1.0]}, {"d": [1.0, 0.0]}, {"d": [0.5, 0.5]}, {"a": [1.0, 0.0]},
                 {"a": [0.2, 1.0], "d": [0.0, 1.0]}):
        cal = jt.calibrate({}, soft_evidence=soft)
        _same(cal, _full(bn, {}, soft))
        _against_ve(bn, cal, {}, soft)


# ----------------------------------------------------------------- robustness
def test_errors_leave_the_tree_usable():
    bn = _deterministic_chain()
    jt = JunctionTree(bn)
    base = jt.calibrate({"a": 0})
    bad = [({"a": 0, "nope": 1}, None),               # unknown variable
           ({"a": 0, "b": 5}, None),                  # state out of range
           ({"a": 0, "b": 1}, None),                  # probability zero (b copies a)
           ({"a": 0}, {"d": [1.0, 2.0, 3.0]}),        # soft evidence of the wrong length
           ({"a": 0}, {"d": [-1.0, 1.0]}),            # negative likelihood
           ({"a": 0, "c": 0}, {"d": [0.0, 1.0]})]     # zero by soft evidence (d copies c)
    for ev, soft in bad:
        with pytest.raises(PGMError):
            jt.calibrate(ev, soft_evidence=soft)
        # the kept messages are those of the last successful call
        assert jt.calibrate({"a": 0}).messages_recomputed == 0
    for ev in ({"a": 1}, {"a": 1, "d": 1}, {"d": 0}):
        for bad_ev, soft in bad:
            with pytest.raises(PGMError):
                jt.calibrate(bad_ev, soft_evidence=soft)
        _same(jt.calibrate(ev), _full(bn, ev, {}))
    _same(base, _full(bn, {"a": 0}, {}))


def test_impossible_evidence_after_a_change_then_a_good_one():
    bn = pgm.examples.load("asia")
    jt = JunctionTree(bn)
    jt.calibrate({"smoke": "yes", "xray": "yes"})
    with pytest.raises(EvidenceError):
        jt.calibrate({"tub": "yes", "either": "no"})   # either = tub or lung
    for ev in ({"smoke": "yes", "xray": "no"}, {"tub": "yes"}, {"tub": "yes", "either": "yes"}):
        _same(jt.calibrate(ev), JunctionTree(bn).calibrate(ev))


def test_soft_evidence_array_is_copied():
    bn = pgm.examples.load("asia")
    jt = JunctionTree(bn)
    lik = np.array([0.9, 0.2])
    jt.calibrate({"smoke": "yes"}, soft_evidence={"xray": lik})
    lik[:] = [0.1, 1.0]                                  # changed in place by the caller
    cal = jt.calibrate({"smoke": "yes"}, soft_evidence={"xray": lik})
    assert cal.messages_recomputed > 0
    _same(cal, JunctionTree(bn).calibrate({"smoke": "yes"}, soft_evidence={"xray": lik}))
    row = jt.calibrate({"smoke": "yes"}, soft_evidence={"xray": lik[None, :]})
    assert row.messages_recomputed == 0                  # (1, card) is the same likelihood


def test_other_queries_do_not_disturb_the_kept_messages():
    bn = pgm.examples.load("asia")
    jt = JunctionTree(bn)
    jt.calibrate({"dysp": "yes"})
    jt.map_assignment({"xray": "yes"})                   # max-product: its own messages
    jt.marginals_batch(np.array([[0] * len(jt.variables)]))
    jt.log_evidence({"tub": "yes"})
    assert jt.calibrate({"dysp": "yes"}).messages_recomputed == 0
    cal = jt.calibrate({"dysp": "no"})
    _same(cal, JunctionTree(bn).calibrate({"dysp": "no"}))


def test_forest_reuses_the_untouched_tree():
    fg = pgm.FactorGraph([pgm.Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]]),
                          pgm.Factor(["b", "c"], [2, 2], [[1.0, 5.0], [2.0, 1.0]]),
                          pgm.Factor(["x", "y"], [2, 3], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
                          pgm.Factor(["y", "z"], [3, 2], [[1.0, 1.0], [2.0, 3.0], [1.0, 4.0]])])
    jt = JunctionTree(fg)
    assert len(jt.roots) == 2 and jt.n_messages == 4
    jt.calibrate({"a": 0, "x": 1})
    cal = jt.calibrate({"a": 1, "x": 1})
    assert cal.messages_recomputed == 1                   # one edge, one direction
    _same(cal, JunctionTree(fg).calibrate({"a": 1, "x": 1}))
    _against_ve(fg, cal, {"a": 1, "x": 1}, {})


def test_model_without_edges():
    bn = pgm.BayesianNetwork.from_cpds([pgm.TabularCPD("a", [0.25, 0.75])])
    jt = JunctionTree(bn)
    assert jt.n_messages == 0
    assert jt.calibrate({}).messages_recomputed == 0
    np.testing.assert_allclose(jt.calibrate({"a": 1}).marginal("a"), [0.0, 1.0])
    np.testing.assert_allclose(jt.calibrate({}).marginal("a"), [0.25, 0.75])


def test_messages_are_not_kept_past_the_memory_budget():
    import pgm.examples
    from pgm.inference.junction_tree import JunctionTree

    bn = pgm.examples.load("alarm")
    small = JunctionTree(bn)
    tight = JunctionTree(bn, memory_budget=10 * 8 * sum(small.clique_sizes))
    tight.memory_budget = 2 * 8 * sum(small.clique_sizes)     # the tree fits, a kept copy not
    tight.calibrate({"HR": "HIGH"})
    assert tight.calibrate({"HR": "LOW"}).messages_recomputed == tight.n_messages
    small.calibrate({"HR": "HIGH"})
    assert small.calibrate({"HR": "LOW"}).messages_recomputed < small.n_messages
