"""Structure learning (issue 14): decomposable scores against their closed forms, score
equivalence of BDeu, hill climbing (never below its start, recovering small networks'
equivalence classes), Chow-Liu and TAN."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgm.examples
from pgm.exceptions import CycleError, ParameterError
from pgm.learning.data import prepare_data
from pgm.learning.scores import SCORES, ScoreCache, local_score, network_score
from pgm.learning.search import chow_liu, hill_climb, tree_augmented_naive_bayes
from pgm.testing import bayesian_networks, dags, data_codes

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _brute(counts: np.ndarray, score: str, ess: float = 10.0) -> float:
    """The local score by loops over the table, from the textbook formulas."""
    c = counts.reshape(-1, counts.shape[-1]).astype(float)
    q, r = c.shape
    n = c.sum()
    ll = 0.0
    for j in range(q):
        nj = c[j].sum()
        for k in range(r):
            if c[j, k] > 0:
                ll += c[j, k] * math.log(c[j, k] / nj)
    if score == "loglik":
        return ll
    if score == "bic":
        return ll - 0.5 * math.log(n) * q * (r - 1)
    if score == "aic":
        return ll - q * (r - 1)
    total = 0.0
    seen = sum(1 for j in range(q) if c[j].sum() > 0)
    for j in range(q):
        if score == "k2":
            a = [1.0] * r
        elif score == "bdeu":
            a = [ess / (q * r)] * r
        else:  # bds
            if c[j].sum() == 0:
                continue
            a = [ess / (seen * r)] * r
        total += math.lgamma(sum(a)) - math.lgamma(sum(a) + c[j].sum())
        for k in range(r):
            total += math.lgamma(a[k] + c[j, k]) - math.lgamma(a[k])
    return total


@SETTINGS
@given(st.data())
def test_local_scores_equal_their_closed_forms(data):
    shape = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    shape[-1] = max(shape[-1], 2)
    counts = np.asarray(data.draw(st.lists(st.integers(0, 20), min_size=int(np.prod(shape)),
                                           max_size=int(np.prod(shape))))).reshape(shape)
    if counts.sum() == 0:
        counts.flat[0] = 1
    for score in SCORES:
        assert local_score(counts, score) == pytest.approx(_brute(counts, score), rel=1e-10,
                                                           abs=1e-10), score


def _covered_reversal(g: nx.DiGraph, rng: np.random.Generator) -> nx.DiGraph | None:
    """An equivalent DAG: one covered arc u -> v (pa(v) = pa(u) + u) reversed."""
    covered = [(u, v) for u, v in g.edges
               if set(g.predecessors(v)) == set(g.predecessors(u)) | {u}]
    if not covered:
        return None
    u, v = covered[int(rng.integers(len(covered)))]
    h = g.copy()
    h.remove_edge(u, v)
    h.add_edge(v, u)
    return h


@SETTINGS
@given(st.data())
def test_bdeu_and_bic_are_score_equivalent(data):
    bn = data.draw(bayesian_networks(min_nodes=2, max_nodes=5, max_cardinality=3))
    codes = data.draw(data_codes(bn, min_rows=5, max_rows=60))
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    g = nx.DiGraph(bn.graph)
    other = _covered_reversal(g, rng)
    if other is None:
        return
    ds = prepare_data(bn, codes)
    for score in ("bdeu", "bic", "loglik", "aic"):
        cache = ScoreCache(ds, score, equivalent_sample_size=data.draw(st.floats(0.5, 20)))
        a = cache.total({v: list(g.predecessors(v)) for v in g})
        b = cache.total({v: list(other.predecessors(v)) for v in other})
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9), score


def test_network_score_and_cache_count_in_batches():
    alarm = pgm.examples.load("alarm")
    data = alarm.simulate(5000, seed=1).to_frame()
    ds = prepare_data(alarm, data)
    cache = ScoreCache(ds, "bdeu")
    parents = {v: alarm.parents(v) for v in alarm.nodes}
    total = cache.total(parents)
    assert cache.n_passes == 1 and cache.n_families == len(alarm.nodes)
    assert total == pytest.approx(network_score(alarm, data, "bdeu"), rel=1e-12)
    with pytest.raises(ParameterError, match="not in the data"):
        cache.local("HR", ["nope"])


# ------------------------------------------------------------------ hill climbing
@SETTINGS
@given(st.data())
def test_hill_climbing_never_ends_below_its_start(data):
    bn = data.draw(bayesian_networks(min_nodes=2, max_nodes=5, min_probability=0.05))
    frame = bn.simulate(data.draw(st.integers(50, 400)), seed=data.draw(st.integers(0, 99))).to_frame()
    start = data.draw(dags(min_nodes=len(bn.nodes), max_nodes=len(bn.nodes),
                           node_names=[str(v) for v in bn.nodes]))
    score = data.draw(st.sampled_from(["bic", "bdeu", "k2"]))
    learned = hill_climb(frame, score=score, start=start, tabu_length=data.draw(st.integers(0, 3)))
    assert learned.score >= network_score(start, frame, score) - 1e-9
    assert nx.is_directed_acyclic_graph(learned.dag)
    assert learned.score == pytest.approx(network_score(learned.dag, frame, score), rel=1e-12)


@pytest.mark.parametrize("name", ["cancer", "asia", "sprinkler"])
def test_hill_climbing_recovers_small_networks(name):
    from pgm.graphs import is_markov_equivalent, shd

    bn = pgm.examples.load(name)
    hits = 0
    for seed in range(3):
        data = bn.simulate(100_000, seed=seed).to_frame()
        learned = hill_climb(data, score="bic")
        hits += is_markov_equivalent(learned.dag, bn.graph) or shd(learned.cpdag(),
                                                                  bn.graph) <= 1
    assert hits >= 2


def test_hill_climbing_options():
    bn = pgm.examples.load("asia")
    data = bn.simulate(5000, seed=0).to_frame()
    learned = hill_climb(data, max_parents=1, black_list=[("smoke", "lung")],
                         white_list=[("asia", "tub")])
    assert max(d for _, d in learned.dag.in_degree()) <= 1
    assert not learned.dag.has_edge("smoke", "lung") and learned.dag.has_edge("asia", "tub")
    assert hill_climb(data, max_iterations=2).stats["iterations"] <= 2
    restarted = hill_climb(data, restarts=2, seed=1)
    assert restarted.score >= hill_climb(data).score - 1e-9   # restarts keep the best DAG
    fitted = learned.fit(data)
    fitted.validate()
    with pytest.raises(ParameterError, match="black- and white-listed"):
        hill_climb(data, black_list=[("asia", "tub")], white_list=[("asia", "tub")])
    with pytest.raises(ParameterError, match="not a column"):
        hill_climb(data, white_list=[("asia", "nope")])
    with pytest.raises(CycleError):
        hill_climb(data, white_list=[("asia", "tub"), ("tub", "asia")])


# ------------------------------------------------------------------ trees
def test_chow_liu_recovers_a_tree_network():
    tree = pgm.BayesianNetwork.from_cpds([
        pgm.TabularCPD("a", [0.4, 0.6]),
        pgm.TabularCPD("b", [[0.9, 0.1], [0.2, 0.8]], ["a"]),
        pgm.TabularCPD("c", [[0.7, 0.3], [0.1, 0.9]], ["a"]),
        pgm.TabularCPD("d", [[0.85, 0.15], [0.25, 0.75]], ["c"]),
    ])
    data = tree.simulate(20_000, seed=3).to_frame()
    learned = chow_liu(data, root="a")
    assert {frozenset(e) for e in learned.dag.edges} == {frozenset(e) for e in tree.edges}
    assert set(learned.dag.edges) == set(tree.edges)      # directed away from the root


def test_tan_has_the_class_above_a_feature_tree():
    data = pgm.examples.load("asia").simulate(5000, seed=2).to_frame()
    tan = tree_augmented_naive_bayes(data, "lung")
    features = [v for v in tan.dag if v != "lung"]
    assert all(tan.dag.has_edge("lung", f) for f in features)
    sub = tan.dag.subgraph(features)
    assert nx.is_tree(sub.to_undirected()) and max(d for _, d in sub.in_degree()) <= 1
    tan.fit(data).validate()
    with pytest.raises(ParameterError, match="class variable"):
        tree_augmented_naive_bayes(data, "nope")
