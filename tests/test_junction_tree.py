"""The batched junction tree (pgm.inference.junction_tree) against variable elimination.

Variable elimination runs with ``prune=False``: its barren-node pruning treats a CPD that
sums to one within 1e-6 as exactly normalized, which the BIF networks (rounded tables) are
not, so pruned answers differ from the exact ones by ~1e-7.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pgm
import pgm.examples
from pgm.exceptions import (
    ArgumentTypeError,
    EvidenceError,
    MemoryBudgetError,
    ParameterError,
    QueryError,
    UnknownVariableError,
)
from pgm.inference.junction_tree import JunctionTree
from pgm.inference.orders import HEURISTICS
from pgm.inference.variable_elimination import VariableElimination
from pgm.testing import bayesian_networks, factor_graphs

TOL = 1e-9


# ------------------------------------------------------------------ helpers
def _random_codes(jt: JunctionTree, rows: int, hidden: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, jt.cardinalities, size=(rows, len(jt.variables)))
    codes[rng.random(codes.shape) < hidden] = -1
    return codes


def _evidence(jt: JunctionTree, row: np.ndarray) -> dict:
    return {v: int(x) for v, x in zip(jt.variables, row) if x >= 0}


def _reference_log(model, ve: VariableElimination, ev: dict) -> float:
    """log P(ev) for a network, log Z(ev) for a factor graph; -inf when impossible."""
    if isinstance(model, pgm.BayesianNetwork):
        return ve.probability_of_evidence(ev, log=True)
    if ve.probability_of_evidence(ev, log=True) == -np.inf:
        return -np.inf
    return ve.log_partition_function(ev)


def _check_against_ve(model, codes: np.ndarray, jt: JunctionTree | None = None) -> None:
    jt = jt or JunctionTree(model)
    ve = VariableElimination(model, prune=False)
    logev, post = jt.marginals_batch(codes)
    np.testing.assert_allclose(jt.log_evidence_batch(codes), logev, rtol=0, atol=1e-12)
    for b, row in enumerate(codes):
        ev = _evidence(jt, row)
        ref = _reference_log(model, ve, ev)
        if ref == -np.inf:
            assert logev[b] == -np.inf, (b, ev)
            for v, c in zip(jt.variables, jt.cardinalities):
                np.testing.assert_array_equal(post[v][b], np.full(c, 1.0 / c))
            continue
        assert abs(logev[b] - ref) <= TOL * max(1.0, abs(ref)), (b, ev, logev[b], ref)
        rm = ve.marginals(evidence=ev)
        for v in jt.variables:
            np.testing.assert_allclose(post[v][b], rm[v], rtol=0, atol=TOL, err_msg=f"{v} row {b}")


def _brute_counts(model, jt: JunctionTree, codes, scopes, weights):
    ve = VariableElimination(model, prune=False)
    out = [np.zeros([jt.cardinalities[jt.variables.index(v)] for v in s]) for s in scopes]
    for b, row in enumerate(codes):
        ev = _evidence(jt, row)
        if ve.probability_of_evidence(ev, log=True) == -np.inf:
            continue
        for acc, s in zip(out, scopes):
            acc += weights[b] * ve.marginal(list(s), ev).values
    return out


def _chain(n: int, seed: int = 0) -> pgm.BayesianNetwork:
    rng = np.random.default_rng(seed)
    cpds = [pgm.TabularCPD("x0", [0.5, 0.5])]
    for i in range(1, n):
        t = rng.dirichlet([1, 1], size=2)
        cpds.append(pgm.TabularCPD(f"x{i}", t, parents=[f"x{i - 1}"]))
    return pgm.BayesianNetwork.from_cpds(cpds)


# ------------------------------------------------------- (a) against VE
@pytest.mark.parametrize("name", pgm.examples.available())
def test_examples_match_variable_elimination(name):
    model = pgm.examples.load(name)
    jt = JunctionTree(model)
    codes = _random_codes(jt, 8, hidden=0.7, seed=1)
    codes[0] = -1                       # no evidence at all
    codes[1] = _random_codes(jt, 1, hidden=0.0, seed=2)[0]   # everything observed
    _check_against_ve(model, codes, jt)


@settings(max_examples=60, deadline=None)
@given(bayesian_networks(max_nodes=7), st.integers(0, 2**32 - 1), st.sampled_from([0.0, 0.5, 0.8, 1.0]),
       st.sampled_from(HEURISTICS))
def test_random_networks_match_variable_elimination(bn, seed, hidden, heuristic):
    jt = JunctionTree(bn, heuristic=heuristic)
    _check_against_ve(bn, _random_codes(jt, 6, hidden, seed), jt)


@settings(max_examples=60, deadline=None)
@given(factor_graphs(max_variables=6), st.integers(0, 2**32 - 1), st.sampled_from([0.3, 0.7, 1.0]))
def test_random_factor_graphs_match_variable_elimination(fg, seed, hidden):
    jt = JunctionTree(fg)
    _check_against_ve(fg, _random_codes(jt, 6, hidden, seed), jt)


def test_tree_is_a_junction_tree():
    for name in ("alarm", "insurance", "child", "misconception"):
        jt = JunctionTree(pgm.examples.load(name))
        sets = [set(c) for c in jt.cliques]
        assert not any(a < b for a in sets for b in sets), "a clique inside another"
        for s in jt.factor_scopes:          # every factor lies in a clique
            assert set(s) <= set(jt.cliques[jt.clique_of(s)])
        for (i, j), sep in jt.separators.items():
            assert set(sep) == sets[i] & sets[j] and sep
        # running intersection: the cliques holding a variable form a connected subtree
        import networkx as nx

        tree = nx.Graph(list(jt.separators))
        tree.add_nodes_from(range(len(jt.cliques)))
        assert nx.is_forest(tree)
        for v in jt.variables:
            holding = [k for k, c in enumerate(sets) if v in c]
            assert nx.is_connected(tree.subgraph(holding)), v
        assert jt.cardinalities.dtype == np.int64
        assert len(jt.cardinalities) == len(jt.variables)


def test_batch_size_does_not_change_results():
    bn = pgm.examples.load("child")
    jt = JunctionTree(bn)
    codes = _random_codes(jt, 23, 0.6, seed=5)
    ref_ll, ref = jt.marginals_batch(codes)
    for bs in (1, 7, 23, 1000):
        ll, post = jt.marginals_batch(codes, batch_size=bs)
        np.testing.assert_allclose(ll, ref_ll, rtol=1e-13, atol=0)
        for v in jt.variables:
            np.testing.assert_allclose(post[v], ref[v], rtol=0, atol=1e-13)
    small = JunctionTree(bn, memory_budget=40_000)     # several rows per batch, still exact
    np.testing.assert_allclose(small.log_evidence_batch(codes), ref_ll, rtol=1e-13, atol=0)


def test_long_chain_neither_underflows_nor_drifts():
    bn = _chain(2000)
    jt = JunctionTree(bn)
    codes = _random_codes(jt, 3, hidden=0.0, seed=3)
    codes[2, ::2] = -1
    ll, post = jt.marginals_batch(codes)
    ve = VariableElimination(bn, prune=False)
    for b in range(3):
        ref = ve.probability_of_evidence(_evidence(jt, codes[b]), log=True)
        assert abs(ll[b] - ref) <= 1e-11 * abs(ref)
        assert b == 2 or ref < -750                   # P(row) < 1e-320: underflows as a float
    ref = ve.marginals(evidence=_evidence(jt, codes[2]))
    for v in ("x1", "x701", "x1999"):
        np.testing.assert_allclose(post[v][2], ref[v], atol=TOL)


def test_factor_graph_with_large_log_factors():
    # exp(1000) overflows and exp(-1000) underflows: the tables are shifted in log space
    fg = pgm.FactorGraph([pgm.Factor(["a", "b"], [2, 3], [[1000.0, 990.0, 400.0], [999.0, 993.0, 650.0]],
                                     log=True),
                          pgm.Factor(["b", "c"], [3, 2], [[-1000.0, -1001.0], [-990.0, -1000.0],
                                                          [-995.0, -999.0]], log=True)])
    jt = JunctionTree(fg)
    codes = np.array([[-1, -1, -1], [1, -1, 0], [-1, 2, -1], [-1, 1, 1]])
    _check_against_ve(fg, codes, jt)
    assert np.isfinite(jt.log_evidence_batch(codes)).all()
    # an entry more than MAX_LOG_RANGE nats below its clique's largest is flushed to zero
    wide = pgm.FactorGraph([pgm.Factor(["a"], [2], [0.0, -800.0], log=True)])
    jt = JunctionTree(wide)
    assert jt.flushed == 1 and jt.marginals()["a"].tolist() == [1.0, 0.0]


def test_convenience_queries_take_state_names():
    bn = pgm.examples.load("asia")
    jt = JunctionTree(bn)
    ve = VariableElimination(bn, prune=False)
    ev = {"smoke": "yes", "xray": "no"}
    got, ref = jt.marginals(ev), ve.marginals(evidence=ev)
    for v in bn.nodes:
        np.testing.assert_allclose(got[v], ref[v], atol=TOL)
    assert abs(jt.log_evidence(ev) - ve.probability_of_evidence(ev, log=True)) < TOL
    assert set(jt.marginals(variables=["lung"])) == {"lung"}
    assert abs(jt.log_evidence()) < 1e-12


def test_lazy_export():
    from pgm.inference import JunctionTree as exported

    assert exported is JunctionTree


# ----------------------------------------------------- (b) expected counts
def test_expected_counts_equal_brute_force_on_alarm():
    bn = pgm.examples.load("alarm")
    jt = JunctionTree(bn)
    codes = _random_codes(jt, 6, hidden=0.5, seed=7)
    w = np.random.default_rng(0).uniform(0.1, 2.0, size=6)
    scopes = jt.factor_scopes
    ll, counts = jt.expected_counts(codes, scopes, weights=w, batch_size=4)
    ref = _brute_counts(bn, jt, codes, scopes, w)
    for s, got, want in zip(scopes, counts, ref):
        assert got.shape == want.shape, s
        np.testing.assert_allclose(got, want, rtol=0, atol=TOL, err_msg=str(s))
    np.testing.assert_allclose(ll, jt.log_evidence_batch(codes), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.one_of(bayesian_networks(max_nodes=5), factor_graphs(max_variables=5, max_factors=5)),
       st.integers(0, 2**32 - 1))
def test_expected_counts_equal_brute_force(model, seed):
    jt = JunctionTree(model)
    codes = _random_codes(jt, 3, hidden=0.6, seed=seed)
    w = np.random.default_rng(seed).uniform(0, 3, size=3)
    # the factor scopes (axes in the factor's order), one variable, and a clique reversed
    scopes = list(jt.factor_scopes) + [(jt.variables[-1],), tuple(reversed(jt.cliques[0]))]
    _, counts = jt.expected_counts(codes, scopes, weights=w, on_impossible="skip")
    for s, got, want in zip(scopes, counts, _brute_counts(model, jt, codes, scopes, w)):
        np.testing.assert_allclose(got, want, rtol=0, atol=TOL, err_msg=str(s))


def test_expected_counts_of_an_empty_batch_are_zero():
    jt = JunctionTree(pgm.examples.load("asia"))
    ll, (c,) = jt.expected_counts(np.zeros((0, 8), dtype=np.int64), [("either",)])
    assert ll.shape == (0,) and c.shape == (2,) and not c.any()


# ---------------------------------------------------- (c) soft evidence
def _with_virtual_child(bn: pgm.BayesianNetwork, var, lam: np.ndarray) -> pgm.BayesianNetwork:
    out = bn.copy()
    table = np.stack([1.0 - lam, lam], axis=-1)       # P(child = 1 | var) = lam[var]
    out.graph.add_edge(var, "virtual")
    out.add_cpd(pgm.TabularCPD("virtual", table, parents=[var]))
    return out


def test_soft_evidence_equals_a_virtual_child():
    bn = pgm.examples.load("asia")
    jt = JunctionTree(bn)
    codes = _random_codes(jt, 5, hidden=0.7, seed=11)
    rng = np.random.default_rng(4)
    lam = rng.uniform(0.05, 1.0, size=2)
    # one likelihood for every row: the same as one network with an observed virtual child
    aug = _with_virtual_child(bn, "either", lam)
    jt_aug = JunctionTree(aug)
    aug_codes = np.column_stack([codes, np.ones(len(codes), dtype=np.int64)])
    ll, post = jt.marginals_batch(codes, likelihoods={"either": lam})
    ll_aug, post_aug = jt_aug.marginals_batch(aug_codes)
    np.testing.assert_allclose(ll, ll_aug, atol=1e-12)
    for v in bn.nodes:
        np.testing.assert_allclose(post[v], post_aug[v], atol=TOL)
    # one likelihood per row: a different virtual child for each row, checked by VE
    lams = rng.uniform(0.05, 1.0, size=(5, 2))
    ll, post = jt.marginals_batch(codes, likelihoods={"either": lams})
    for b in range(5):
        ve = VariableElimination(_with_virtual_child(bn, "either", lams[b]), prune=False)
        ev = {**_evidence(jt, codes[b]), "virtual": 1}
        assert abs(ll[b] - ve.probability_of_evidence(ev, log=True)) < TOL
        ref = ve.marginals(evidence=ev)
        for v in bn.nodes:
            np.testing.assert_allclose(post[v][b], ref[v], atol=TOL)
    # expected counts take it too
    _, (c,) = jt.expected_counts(codes, [("either",)], likelihoods={"either": lams})
    np.testing.assert_allclose(c, post["either"].sum(axis=0), atol=1e-12)


def test_soft_evidence_on_a_factor_graph_is_a_unary_factor():
    fg = pgm.examples.load("misconception")
    lam = np.array([0.3, 2.5])
    jt = JunctionTree(fg)
    aug = fg.copy()
    aug.add_factor(pgm.Factor(["B"], [2], lam))
    codes = _random_codes(jt, 4, hidden=0.6, seed=2)
    ll, post = jt.marginals_batch(codes, likelihoods={"B": lam})
    ll2, post2 = JunctionTree(aug).marginals_batch(codes)
    np.testing.assert_allclose(ll, ll2, atol=1e-12)
    for v in fg.variables:
        np.testing.assert_allclose(post[v], post2[v], atol=TOL)


# ------------------------------------------------------------ (d) errors
@pytest.fixture(scope="module")
def asia_jt():
    return JunctionTree(pgm.examples.load("asia"))


def test_bad_codes(asia_jt):
    jt = asia_jt
    n = len(jt.variables)
    with pytest.raises(EvidenceError, match="integer"):
        jt.log_evidence_batch(np.zeros((2, n)))
    with pytest.raises(EvidenceError, match="integer"):
        jt.log_evidence_batch(np.zeros((2, n), dtype=bool))
    with pytest.raises(EvidenceError, match=r"shape \(rows, 8\)"):
        jt.log_evidence_batch(np.zeros((2, n + 1), dtype=int))
    with pytest.raises(EvidenceError, match="shape"):
        jt.log_evidence_batch(np.zeros(n, dtype=int))
    codes = np.full((3, n), -1)
    codes[2, 3] = 2
    with pytest.raises(EvidenceError, match=rf"codes\[2, 3\] = 2 .*{jt.variables[3]!r} \(column 3\)"):
        jt.marginals_batch(codes)
    codes[2, 3] = -2
    with pytest.raises(EvidenceError, match="-2"):
        jt.expected_counts(codes, [(jt.variables[0],)])


def test_bad_arguments(asia_jt):
    jt = asia_jt
    codes = np.full((2, 8), -1)
    with pytest.raises(QueryError):
        jt.clique_of(["asia", "dysp"])
    with pytest.raises(QueryError, match="one clique"):
        jt.expected_counts(codes, [("asia", "dysp")])
    with pytest.raises(UnknownVariableError):
        jt.clique_of("nope")
    with pytest.raises(UnknownVariableError):
        jt.marginals_batch(codes, ["nope"])
    with pytest.raises(QueryError, match="repeat"):
        jt.expected_counts(codes, [("asia", "asia")])
    with pytest.raises(EvidenceError, match="shape"):
        jt.log_evidence_batch(codes, likelihoods={"asia": np.ones(3)})
    with pytest.raises(EvidenceError, match="non-negative"):
        jt.log_evidence_batch(codes, likelihoods={"asia": [1.0, -1.0]})
    with pytest.raises(UnknownVariableError):
        jt.log_evidence_batch(codes, likelihoods={"nope": [1.0, 1.0]})
    with pytest.raises(ParameterError, match="weights"):
        jt.expected_counts(codes, [("asia",)], weights=np.ones(3))
    with pytest.raises(ParameterError, match="weights"):
        jt.expected_counts(codes, [("asia",)], weights=[1.0, -1.0])
    with pytest.raises(ParameterError, match="on_impossible"):
        jt.expected_counts(codes, [("asia",)], on_impossible="ignore")
    with pytest.raises(ParameterError, match="batch_size"):
        jt.log_evidence_batch(codes, batch_size=0)
    with pytest.raises(QueryError, match="heuristic"):
        JunctionTree(pgm.examples.load("asia"), heuristic="best")
    with pytest.raises(ArgumentTypeError):
        JunctionTree("asia")
    assert jt.cliques[jt.clique_of("asia")] == jt.cliques[jt.clique_of(["tub", "asia"])]


def _deterministic() -> pgm.BayesianNetwork:
    return pgm.BayesianNetwork.from_cpds([
        pgm.TabularCPD("a", [0.5, 0.5]),
        pgm.TabularCPD("b", [[1.0, 0.0], [0.3, 0.7]], parents=["a"]),   # a=0 forces b=0
        pgm.TabularCPD("c", [[0.6, 0.4], [0.1, 0.9]], parents=["b"]),
    ])


def test_impossible_evidence():
    bn = _deterministic()
    jt = JunctionTree(bn)
    codes = np.array([[0, 0, -1], [1, 1, 1], [0, 1, -1], [-1, -1, 0]])   # row 2 is impossible
    ll, post = jt.marginals_batch(codes)
    assert ll[2] == -np.inf and np.isfinite(np.delete(ll, 2)).all()
    for v in bn.nodes:
        assert not np.isnan(post[v]).any()
        np.testing.assert_array_equal(post[v][2], [0.5, 0.5])
    _check_against_ve(bn, codes, jt)
    scopes = [("a", "b"), ("c",)]
    with pytest.raises(EvidenceError, match="row 2 "):
        jt.expected_counts(codes, scopes)
    w = np.array([1.0, 2.0, 0.0, 1.0])
    ll2, counts = jt.expected_counts(codes, scopes, weights=w)        # weight 0: no error
    np.testing.assert_array_equal(ll2, ll)
    _, skipped = jt.expected_counts(codes, scopes, weights=np.where(w == 0, 5.0, w),
                                    on_impossible="skip")
    for a, b in zip(counts, skipped):
        np.testing.assert_allclose(a, b, atol=1e-14)
    assert jt.log_evidence({"a": 0, "b": 1}) == -np.inf
    with pytest.raises(EvidenceError, match="probability zero"):
        jt.marginals({"a": 0, "b": 1})
    # soft evidence can make a row impossible too
    ll3 = jt.log_evidence_batch(codes[:2], likelihoods={"c": np.array([[1.0, 0.0], [0.0, 0.0]])})
    assert np.isfinite(ll3[0]) and ll3[1] == -np.inf


def test_memory_budget():
    bn = pgm.examples.load("alarm")
    with pytest.raises(MemoryBudgetError, match="largest clique: 144 entries"):
        JunctionTree(bn, memory_budget=4000)
    with pytest.raises(ParameterError):
        JunctionTree(bn, memory_budget=0)
    jt = JunctionTree(bn, memory_budget=2**20)
    codes = _random_codes(jt, 200, 0.3, seed=0)
    with pytest.raises(MemoryBudgetError, match="batch of 200 rows"):
        jt.log_evidence_batch(codes, batch_size=200)
    # the automatic batch size stays under the budget, and gives the same answers
    np.testing.assert_allclose(jt.log_evidence_batch(codes),
                               JunctionTree(bn).log_evidence_batch(codes), atol=1e-12)


# ------------------------------------------------------------- (e) a forest
def test_forest_sums_the_components():
    # two networks side by side, plus a declared variable of a factor graph in no factor
    asia, student = pgm.examples.load("asia"), pgm.examples.load("student")
    both = pgm.BayesianNetwork.from_cpds(list(asia.cpds.values()) + list(student.cpds.values()))
    jt = JunctionTree(both)
    assert len(jt.roots) == 2
    codes = _random_codes(jt, 6, 0.5, seed=9)
    _check_against_ve(both, codes, jt)
    ll_a = JunctionTree(asia).log_evidence_batch(codes[:, :8])
    ll_s = JunctionTree(student).log_evidence_batch(codes[:, 8:])
    np.testing.assert_allclose(jt.log_evidence_batch(codes), ll_a + ll_s, atol=1e-12)
    _, counts = jt.expected_counts(codes, [("asia",), tuple(student.get_cpd("grade").scope)],
                                   on_impossible="skip")
    assert counts[1].shape == tuple(student.get_cpd("grade").values.shape)

    fg = pgm.FactorGraph([pgm.Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]]),
                          pgm.Factor(["c"], [3], [1.0, 1.0, 2.0])], cardinalities={"lonely": 4})
    jt = JunctionTree(fg)
    assert len(jt.roots) == 3 and jt.cliques[jt.clique_of("lonely")] == ("lonely",)
    np.testing.assert_allclose(jt.log_evidence(), np.log(10.0 * 4.0 * 4.0), atol=1e-12)
    assert jt.variables == ["lonely", "a", "b", "c"]
    _check_against_ve(fg, np.array([[-1, -1, -1, -1], [3, 1, -1, 2], [-1, -1, 0, -1]]), jt)


# ------------------------------------------------------------ one calibration, MPE
@settings(max_examples=40, deadline=None)
@given(st.data())
def test_calibration_and_max_product_equal_variable_elimination(data):
    model = data.draw(st.one_of(bayesian_networks(max_nodes=6, max_cardinality=3),
                                factor_graphs(max_variables=6, max_cardinality=3)))
    jt = JunctionTree(model)
    ve = VariableElimination(model, prune=False)
    row = _random_codes(jt, 1, 0.6, data.draw(st.integers(0, 2**16)))[0]
    ev = _evidence(jt, row)
    if _reference_log(model, ve, ev) == -np.inf:
        with pytest.raises(EvidenceError):
            jt.calibrate(ev)
        return
    cal = jt.calibrate(ev)
    assert cal.log_evidence == pytest.approx(_reference_log(model, ve, ev), abs=1e-9)
    for v, p in ve.marginals(evidence=ev).items():
        np.testing.assert_allclose(cal.marginal(v), p, atol=TOL)
    clique = jt.cliques[int(np.argmax(jt.clique_sizes))]
    pair = list(clique[:2])
    np.testing.assert_allclose(cal.joint(pair).values, ve.marginal(pair, ev).values, atol=TOL)
    assignment, value = jt.map_assignment(ev)
    _, ref_value = ve.map_assignment(ev)
    assert value == pytest.approx(ref_value, abs=1e-9)
    assert all(assignment[v] == s for v, s in ev.items())
    # the decoded assignment attains the maximum (ties may pick another one)
    score = sum(float(np.log(f.value(assignment))) if not f.log else float(f.value(assignment))
                for f in (model.factors() if isinstance(model, pgm.BayesianNetwork) else model.factors))
    assert score == pytest.approx(ref_value, abs=1e-9)


def test_calibration_soft_evidence_is_a_virtual_child():
    bn = pgm.examples.load("asia")
    jt = JunctionTree(bn)
    lik = [0.8, 0.3]
    cal = jt.calibrate({"smoke": "yes"}, soft_evidence={"xray": lik})
    child = pgm.TabularCPD("v", [[lik[0], 1 - lik[0]], [lik[1], 1 - lik[1]]], parents=["xray"])
    bigger = bn.copy()
    bigger.add_cpd(child)
    bigger.add_edge("xray", "v")
    ve = VariableElimination(bigger, prune=False)
    ev = {"smoke": 0, "v": 0}
    for v in bn.nodes:
        np.testing.assert_allclose(cal.marginal(v), ve.marginals([v], ev)[v], atol=1e-12)
    assert cal.log_evidence == pytest.approx(ve.probability_of_evidence(ev, log=True), abs=1e-12)
    with pytest.raises(QueryError):
        cal.joint(["asia", "dysp"])
