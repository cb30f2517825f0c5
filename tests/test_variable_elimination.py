"""Variable elimination against brute-force enumeration, on random models.

Every exact query (log Z, probability of evidence, joint and single marginals, MPE,
marginal MAP) is compared with a direct sum over the full joint table
(:meth:`FactorGraph.joint` with ``itertools.product`` for the MAP), on random
factor graphs and Bayesian networks from :mod:`pgm.testing`; the answers must not
depend on the elimination order nor on pruning.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgm import BayesianNetwork, Factor, FactorGraph, TabularCPD
from pgm.exceptions import EvidenceError, MemoryBudgetError, QueryError, UnknownVariableError
from pgm.inference import elimination as engine
from pgm.inference import orders
from pgm.inference import variable_elimination as ve
from pgm.inference.variable_elimination import (
    VariableElimination,
    elimination_order,
    induced_width,
    log_partition_function,
    map_assignment,
    marginal,
    marginals,
    max_table_size,
    probability_of_evidence,
)
from pgm.testing import bayesian_networks, evidence, factor_graphs

FAST = settings(max_examples=40)
ORDERS = ["auto", "min-fill", "weighted-min-fill", "min-degree", "min-weight", "random"]


@pytest.fixture(autouse=True, params=["einsum", "log-space"])
def contraction_path(request, monkeypatch):
    """Run every test twice: big buckets contracted by einsum in max-shifted probability
    space (forced here even for tiny tables) and all in log space (the fallback)."""
    monkeypatch.setattr(engine, "EINSUM_MIN_ENTRIES", 1 if request.param == "einsum" else 1 << 62)
    return request.param


# ------------------------------------------------------------------ reference
def _fg(model) -> FactorGraph:
    return model.to_factor_graph() if isinstance(model, BayesianNetwork) else model


def brute_log_joint(model) -> Factor:
    """Unnormalized log joint over all variables (in model order)."""
    return _fg(model).joint(normalized=False, log=True)


def brute_log_z(model, ev=None) -> float:
    joint = brute_log_joint(model).reduce(ev or {})
    return joint.total()


def brute_marginal(model, variables, ev=None) -> np.ndarray:
    """P(variables | ev) with observed query variables as point masses."""
    logj = brute_log_joint(model)
    top = logj.values.max()
    joint = Factor(logj.variables, logj.cardinalities,
                   np.exp(logj.values - (top if np.isfinite(top) else 0.0)))
    vals = joint.values.copy()
    for v, s in (ev or {}).items():
        ax = joint.variables.index(v)
        mask = np.zeros(vals.shape[ax], dtype=bool)
        mask[s] = True
        shape = [1] * vals.ndim
        shape[ax] = -1
        vals = np.where(mask.reshape(shape), vals, 0.0)
    masked = Factor(joint.variables, joint.cardinalities, vals)
    m = masked.marginal(list(variables)).values
    return m / m.sum()


def brute_map(model, ev=None) -> float:
    """max over full assignments consistent with ev of the log joint (itertools.product)."""
    fg = _fg(model)
    card = fg.cardinalities
    names = list(card)
    ranges = [[ev[v]] if ev and v in ev else range(card[v]) for v in names]
    best = -np.inf
    for states in itertools.product(*ranges):
        best = max(best, fg.log_unnormalized(dict(zip(names, states))))
    return best


def _order_for_model(model, kind: str, rng_seed: int):
    if kind != "random":
        return {"heuristic": kind}
    names = list(_fg(model).variables)
    np.random.default_rng(rng_seed).shuffle(names)
    return {"order": names}


def _small_bns(**kw):
    return bayesian_networks(max_nodes=6, max_cardinality=3, **kw)


@st.composite
def model_and_evidence(draw, positive: bool = True):
    if draw(st.booleans()):
        model = draw(factor_graphs(max_variables=6, max_factor_size=3))
    else:
        model = draw(_small_bns(min_probability=0.02 if positive else 0.0))
    ev = draw(evidence(model, max_size=3))
    return model, ev


# ------------------------------------------------------------------- log Z
@FAST
@given(model_and_evidence(), st.sampled_from(ORDERS), st.integers(0, 2**16))
def test_log_partition_function_matches_enumeration(pair, kind, seed):
    model, ev = pair
    ref = brute_log_z(model, ev)
    got = log_partition_function(model, ev, **_order_for_model(model, kind, seed))
    assert got == pytest.approx(ref, abs=1e-9, rel=1e-9)
    got_noprune = log_partition_function(model, ev, prune=False)
    assert got_noprune == pytest.approx(ref, abs=1e-9, rel=1e-9)


@FAST
@given(model_and_evidence())
def test_probability_of_evidence(pair):
    model, ev = pair
    ref = math.exp(brute_log_z(model, ev) - brute_log_z(model))
    assert probability_of_evidence(model, ev) == pytest.approx(ref, rel=1e-9, abs=1e-12)
    assert probability_of_evidence(model, ev, log=True) == pytest.approx(math.log(ref), abs=1e-9)


# --------------------------------------------------------------- marginals
@FAST
@given(model_and_evidence(), st.data())
def test_joint_marginal_matches_enumeration(pair, data):
    model, ev = pair
    names = list(_fg(model).variables)
    query = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    ref = brute_marginal(model, query, ev)
    got = marginal(model, query, ev)
    assert got.variables == tuple(query)
    np.testing.assert_allclose(got.values, ref, atol=1e-10)
    np.testing.assert_allclose(marginal(model, query, ev, prune=False).values, ref, atol=1e-10)


@FAST
@given(model_and_evidence(), st.sampled_from(ORDERS), st.integers(0, 2**16))
def test_all_marginals_match_enumeration_any_order(pair, kind, seed):
    model, ev = pair
    got = marginals(model, evidence=ev, **_order_for_model(model, kind, seed))
    assert list(got) == list(_fg(model).variables)
    for v, p in got.items():
        np.testing.assert_allclose(p, brute_marginal(model, [v], ev), atol=1e-10)


@FAST
@given(model_and_evidence(), st.data())
def test_marginals_of_a_subset_with_and_without_pruning(pair, data):
    model, ev = pair
    names = list(_fg(model).variables)
    query = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    pruned = marginals(model, query, ev)
    full = marginals(model, query, ev, prune=False)
    assert list(pruned) == query
    for v in query:
        np.testing.assert_allclose(pruned[v], full[v], atol=1e-10)
        np.testing.assert_allclose(pruned[v], brute_marginal(model, [v], ev), atol=1e-10)


@FAST
@given(_small_bns(min_probability=0.0), st.data())
def test_bayesian_networks_with_zeros(bn, data):
    """CPDs with exact zeros: results agree with enumeration or the evidence is impossible."""
    ev = data.draw(evidence(bn, max_size=3))
    ref_logz = brute_log_z(bn, ev)
    if not np.isfinite(ref_logz):
        with pytest.raises(EvidenceError, match="probability zero"):
            log_partition_function(bn, ev)
        with pytest.raises(EvidenceError):
            marginals(bn, evidence=ev)
        with pytest.raises(EvidenceError):
            map_assignment(bn, ev)
        assert probability_of_evidence(bn, ev) == 0.0
        return
    assert log_partition_function(bn, ev) == pytest.approx(ref_logz, abs=1e-9)
    for v, p in marginals(bn, evidence=ev).items():
        np.testing.assert_allclose(p, brute_marginal(bn, [v], ev), atol=1e-10)
    x, value = map_assignment(bn, ev)
    assert value == pytest.approx(brute_map(bn, ev), abs=1e-9)
    assert bn.log_probability(x) == pytest.approx(value, abs=1e-9)


# ---------------------------------------------------------------------- MAP
@FAST
@given(model_and_evidence(), st.sampled_from(ORDERS), st.integers(0, 2**16))
def test_map_matches_enumeration(pair, kind, seed):
    model, ev = pair
    x, value = map_assignment(model, ev, **_order_for_model(model, kind, seed))
    ref = brute_map(model, ev)
    assert value == pytest.approx(ref, abs=1e-9)
    assert set(x) == set(_fg(model).variables)
    assert all(x[v] == s for v, s in ev.items())
    # the assignment is optimal: its own log-value is the maximum
    assert _fg(model).log_unnormalized(x) == pytest.approx(ref, abs=1e-9)


@FAST
@given(model_and_evidence(), st.data())
def test_marginal_map_matches_enumeration(pair, data):
    model, ev = pair
    names = list(_fg(model).variables)
    targets = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True))
    x, value = map_assignment(model, ev, variables=targets)
    assert list(x) == targets
    joint = brute_log_joint(model).reduce(ev)
    free = [v for v in targets if v not in ev]
    table = joint.marginal(free) if free else Factor.constant(joint.total(), log=True)
    assert value == pytest.approx(float(table.values.max()), abs=1e-9)
    assert float(table.value(x)) == pytest.approx(value, abs=1e-9)


# --------------------------------------------------------- order independence
@FAST
@given(factor_graphs(max_variables=7, max_factor_size=3), st.integers(0, 2**16))
def test_results_do_not_depend_on_the_order(fg, seed):
    results = []
    for kind in ORDERS:
        kw = _order_for_model(fg, kind, seed)
        results.append((log_partition_function(fg, **kw), marginals(fg, **kw),
                        map_assignment(fg, **kw)[1]))
    logz0, m0, map0 = results[0]
    for logz, m, mp in results[1:]:
        assert logz == pytest.approx(logz0, abs=1e-10)
        assert mp == pytest.approx(map0, abs=1e-10)
        for v in m0:
            np.testing.assert_allclose(m[v], m0[v], atol=1e-12)


@FAST
@given(factor_graphs(max_variables=8, max_factor_size=3), st.sampled_from(ve.HEURISTICS))
def test_elimination_order_is_a_permutation_and_width_is_consistent(fg, heuristic):
    scopes = [f.variables for f in fg.factors]
    order = elimination_order(scopes, fg.cardinalities, heuristic=heuristic)
    assert sorted(order) == sorted(fg.variables)
    w = induced_width(scopes, order)
    size = max_table_size(scopes, fg.cardinalities, order)
    assert 0 <= w < len(order)
    assert size >= max(fg.cardinalities.values())


# -------------------------------------------------------------- evidence errors
def _chain() -> BayesianNetwork:
    return BayesianNetwork.from_cpds([
        TabularCPD("a", [1.0, 0.0], state_names={"a": ["yes", "no"]}),
        TabularCPD("b", [[0.3, 0.7], [0.5, 0.5]], parents=["a"]),
        TabularCPD("c", [[1.0, 0.0], [0.2, 0.8]], parents=["b"]),
        TabularCPD("d", [0.5, 0.5]),
    ])


def test_zero_probability_evidence_raises_not_nan():
    bn = _chain()
    with pytest.raises(EvidenceError, match="probability zero"):
        log_partition_function(bn, {"a": 1})
    with pytest.raises(EvidenceError, match="probability zero"):
        marginal(bn, ["b"], {"a": "no"})
    with pytest.raises(EvidenceError):
        marginals(bn, evidence={"a": 1})
    with pytest.raises(EvidenceError):
        map_assignment(bn, {"a": 1})
    # evidence in a part d-separated from the query is still checked
    with pytest.raises(EvidenceError):
        marginal(bn, ["d"], {"a": 1})
    with pytest.raises(EvidenceError):
        marginals(bn, ["d"], {"a": 1})
    assert probability_of_evidence(bn, {"a": 1}) == 0.0
    # a factor graph whose factors are all zero somewhere joint
    fg = FactorGraph([Factor(["x"], [2], [1.0, 0.0]), Factor(["x", "y"], [2, 2], [[0, 0], [1, 1]])])
    with pytest.raises(EvidenceError, match=r"Z = 0"):
        log_partition_function(fg)


@pytest.mark.parametrize("bad, match", [
    ({"zz": 0}, "unknown variable 'zz'"),
    # messages of pgm.evidence.normalize_evidence, shared with Gibbs and ICM (issue 11)
    ({"a": 2}, r"state index out of range; 'a' has states 0..1"),
    ({"a": -1}, r"state index out of range; 'a' has states 0..1"),
    ({"a": "maybe"}, "has no state 'maybe'"),
    ({"a": 1.0}, "a state is a name or an index, not a float"),
    ({"a": True}, "a state is a name or an index, not a bool"),
])
def test_bad_evidence_names_the_culprit(bad, match):
    bn = _chain()
    for call in (lambda: log_partition_function(bn, bad), lambda: marginal(bn, ["b"], bad),
                 lambda: marginals(bn, evidence=bad), lambda: map_assignment(bn, bad)):
        with pytest.raises(EvidenceError, match=match):
            call()


def test_unknown_query_variable_and_bad_options():
    bn = _chain()
    with pytest.raises(UnknownVariableError, match="'zz'"):
        marginal(bn, ["zz"])
    with pytest.raises(QueryError, match="repeat"):
        marginal(bn, ["b", "b"])
    with pytest.raises(QueryError, match="heuristic"):
        log_partition_function(bn, heuristic="best")
    with pytest.raises(QueryError, match="misses"):
        log_partition_function(bn, {"c": 0}, order=["a"])


def test_state_names_and_point_masses():
    bn = _chain()
    m = marginal(bn, ["c", "a"], {"a": "yes"})
    assert m.variables == ("c", "a")
    np.testing.assert_allclose(m.values[:, 1], 0.0)
    np.testing.assert_allclose(m.values[:, 0].sum(), 1.0)
    allm = marginals(bn, evidence={"a": "yes"})
    np.testing.assert_allclose(allm["a"], [1.0, 0.0])
    np.testing.assert_allclose(allm["b"], [0.3, 0.7])
    np.testing.assert_allclose(allm["c"], [0.3 + 0.7 * 0.2, 0.7 * 0.8])


# ------------------------------------------------------------------ memory budget
def _dense_grid(n: int = 12) -> FactorGraph:
    """An n x n binary grid: treewidth n, so the largest table has about 2**(n+1) entries."""
    fg = FactorGraph()
    pair = np.array([[2.0, 1.0], [1.0, 2.0]])
    for i in range(n):
        for j in range(n):
            if i + 1 < n:
                fg.add_factor(Factor([(i, j), (i + 1, j)], [2, 2], pair))
            if j + 1 < n:
                fg.add_factor(Factor([(i, j), (i, j + 1)], [2, 2], pair))
    return fg


def test_memory_budget_refuses_before_allocating(monkeypatch):
    fg = _dense_grid(12)
    calls = []
    real = ve.upward
    monkeypatch.setattr(ve, "upward", lambda *a, **k: calls.append(1) or real(*a, **k))
    for call in (lambda: log_partition_function(fg, memory_budget=4096),
                 lambda: marginals(fg, memory_budget=4096),
                 lambda: marginal(fg, [(0, 0)], memory_budget=4096),
                 lambda: map_assignment(fg, memory_budget=4096)):
        with pytest.raises(MemoryBudgetError, match="memory budget"):
            call()
    assert not calls  # refused up front: no elimination step ran
    # with enough memory it runs, and the plan reports the table sizes
    plan = VariableElimination(fg).plan()
    assert plan.induced_width >= 12 and plan.max_table_bytes > 4096
    assert np.isfinite(log_partition_function(fg, memory_budget=plan.max_table_bytes))


def test_memory_budget_for_a_large_joint_query():
    fg = FactorGraph([Factor([f"x{i}"], [64], np.ones(64)) for i in range(6)])
    with pytest.raises(MemoryBudgetError, match="query variables"):
        marginal(fg, [f"x{i}" for i in range(6)], memory_budget=2**20)


# ------------------------------------------------------------------- numerics
def test_no_underflow_with_thousands_of_factors():
    """A chain of 3000 factors whose product is ~1e-3000: log Z stays finite and exact."""
    n = 3000
    fg = FactorGraph()
    for i in range(n):
        fg.add_factor(Factor([i, i + 1], [2, 2], [[1e-3, 1e-3], [1e-3, 1e-3]]))
    logz = log_partition_function(fg)
    assert logz == pytest.approx(n * math.log(2e-3) + math.log(2), rel=1e-12)
    m = marginals(fg, [0, n // 2])
    np.testing.assert_allclose(m[0], [0.5, 0.5])
    x, value = map_assignment(fg)
    assert value == pytest.approx(n * math.log(1e-3), rel=1e-12)


def test_wide_dynamic_range_stays_in_log_space():
    """Factors spanning e^-350..e^350 per entry: probability space would overflow/underflow."""
    rng = np.random.default_rng(1)
    fg = FactorGraph()
    for i in range(5):
        fg.add_factor(Factor([i, i + 1], [3, 3], rng.uniform(-350, 350, (3, 3)), log=True))
    ref = brute_log_z(fg)
    assert log_partition_function(fg) == pytest.approx(ref, rel=1e-12)
    for v, p in marginals(fg).items():
        np.testing.assert_allclose(p, brute_marginal(fg, [v]), atol=1e-12)
    f0, f1 = fg.factors[:2]  # over (0, 1) and (1, 2)
    pair = [((1, 0), f0.values.T), ((1, 2), f1.values)]
    assert engine.einsum_pair(pair, (0, 2)) is None  # too wide a range: the log-space path


def test_components_and_free_variables():
    fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1, 2], [3, 4]]), Factor(["c"], [3], [1, 1, 2])],
                     cardinalities={"lonely": 5})
    assert math.exp(log_partition_function(fg)) == pytest.approx(10 * 4 * 5)
    np.testing.assert_allclose(marginals(fg)["lonely"], np.full(5, 0.2))
    np.testing.assert_allclose(marginal(fg, ["c", "a"]).values,
                               np.outer([0.25, 0.25, 0.5], [0.3, 0.7]))
    x, value = map_assignment(fg)
    assert x == {"a": 1, "b": 1, "c": 2, "lonely": 0}
    assert value == pytest.approx(math.log(8))


def test_barren_pruning_keeps_unnormalized_cpds():
    """An unnormalized leaf is not barren: it scales P(e)."""
    bn = BayesianNetwork.from_cpds([
        TabularCPD("a", [0.5, 0.5]),
        TabularCPD("leaf", [[1.0, 1.0], [0.5, 0.5]], parents=["a"]),
    ])
    assert math.exp(log_partition_function(bn)) == pytest.approx(1.5)
    np.testing.assert_allclose(marginal(bn, ["a"]).values, [2 / 3, 1 / 3])


# ---------------------------------------------------------------- class API
def test_variable_elimination_class_like_pgmpy():
    bn = _chain()
    infer = VariableElimination(bn)
    q = infer.query(["b"], evidence={"a": "yes"})
    assert isinstance(q, Factor)
    np.testing.assert_allclose(q.values, [0.3, 0.7])
    sep = infer.query(["b", "c"], evidence={"a": 0}, joint=False)
    assert set(sep) == {"b", "c"}
    np.testing.assert_allclose(sep["c"].values, [0.44, 0.56])
    assert infer.query(["b"], elimination_order="MinWeight").values.sum() == pytest.approx(1)
    assert infer.map_query(evidence={"c": 1}) == {"a": "yes", "b": 1, "d": 0}
    assert infer.map_query(["a"]) == {"a": "yes"}
    assert infer.probability_of_evidence({"c": 1}) == pytest.approx(0.56)
    assert set(infer.marginals()) == set(bn.nodes)
    with pytest.raises(QueryError):
        infer.query(["b"], elimination_order="Nope")


def test_eliminate_low_level_and_traceback():
    f = Factor(["a", "b"], [2, 3], np.arange(1.0, 7.0).reshape(2, 3))
    g = Factor(["b", "c"], [3, 2], np.ones((3, 2)))
    rest = ve.eliminate([f, g], ["b"])
    (h,) = [r for r in rest if r.variables]
    assert h.to_prob().allclose(Factor(["a", "c"], [2, 2], [[6, 6], [15, 15]]))
    tb: list = []
    out = ve.eliminate([f, g], ["a", "b", "c"], operation="max", traceback=tb)
    assert [v for v, _ in tb] == ["a", "b", "c"]
    assert math.exp(out[0].total()) == pytest.approx(6.0)


def test_elimination_order_scales_to_large_sparse_models():
    """A 2000-variable random sparse model: the order takes well under a few seconds."""
    import time

    rng = np.random.default_rng(0)
    n = 2000
    # a chain plus local triples: sparse, like a DBN or a medical network
    scopes = [(i, i + 1) for i in range(n - 1)]
    scopes += [tuple(int(x) for x in i + rng.choice(20, size=3, replace=False)) for i in range(n - 20)]
    card = {i: int(rng.integers(2, 5)) for i in range(n)}
    t = time.perf_counter()
    order = elimination_order(scopes, card)
    assert time.perf_counter() - t < 5
    assert sorted(order) == list(range(n))


def test_auto_heuristic_is_never_worse_than_min_fill_or_the_model_order():
    """Greedy min-fill loses its way on grids; auto also tries the row-major (model) order."""
    fg = _dense_grid(16)
    scopes = [f.variables for f in fg.factors]
    card = fg.cardinalities
    cost = {name: orders.order_cost(scopes, order, card)[0] for name, order in [
        ("min-fill", elimination_order(scopes, card, heuristic="min-fill")),
        ("model", list(fg.variables)),
        ("auto", elimination_order(scopes, card, heuristic="auto")),
    ]}
    assert cost["auto"] <= min(cost["min-fill"], cost["model"])
    assert cost["auto"] < cost["min-fill"] / 2
    # deterministic
    assert elimination_order(scopes, card, heuristic="auto") == \
        elimination_order(scopes, card, heuristic="auto")


# ------------------------------------------------------------------------ CLI
def _run_cli(argv, capsys):
    from pgm.cli import main

    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _uai_model(tmp_path, with_evidence=True):
    from pgm.io import write_evidence, write_uai

    rng = np.random.default_rng(3)
    fg = FactorGraph([Factor([0, 1], [2, 3], rng.random((2, 3)) + 0.1),
                      Factor([1, 2], [3, 2], rng.random((3, 2)) + 0.1),
                      Factor([2, 0], [2, 2], rng.random((2, 2)) + 0.1)])
    path = tmp_path / "tiny.uai"
    write_uai(fg, path)
    if with_evidence:
        write_evidence({1: 2}, tmp_path / "tiny.uai.evid")
    return fg, path


def test_cli_infer_uai_json_uses_the_evid_file(tmp_path, capsys):
    import json

    fg, path = _uai_model(tmp_path)
    code, out, _ = _run_cli(["infer", str(path), "--json", "--partition-function",
                             "--marginals", "--map"], capsys)
    assert code == 0
    res = json.loads(out)
    assert res["log_partition_function"] == pytest.approx(brute_log_z(fg, {1: 2}), abs=1e-9)
    assert res["log10_partition_function"] == pytest.approx(
        res["log_partition_function"] / math.log(10))
    assert list(res["marginals"]["1"].values()) == [0.0, 0.0, 1.0]   # keyed by state name
    np.testing.assert_allclose(list(res["marginals"]["0"].values()), brute_marginal(fg, [0], {1: 2}),
                               atol=1e-12)
    assert set(res["map"]) == {"0", "2"}
    assert res["map_log_value"] == pytest.approx(brute_map(fg, {1: 2}), abs=1e-9)
    # --no-evidence ignores the file; X=value on the command line (variable 0, state 1)
    code, out, _ = _run_cli(["infer", str(path), "--json", "--no-evidence", "0=1"], capsys)
    assert code == 0
    assert json.loads(out)["log_partition_function"] == pytest.approx(brute_log_z(fg, {0: 1}))


def test_cli_infer_map_by_icm_is_a_local_optimum_no_better_than_exact(tmp_path, capsys):
    import json

    fg, path = _uai_model(tmp_path)
    code, out, _ = _run_cli(["infer", str(path), "--json", "--map", "--method", "icm",
                             "--restarts", "20"], capsys)
    assert code == 0
    res = json.loads(out)
    assert res["map_method"] == "icm"
    assert res["map_log_value"] <= brute_map(fg, {1: 2}) + 1e-9
    # on a 3-variable model, 20 restarts find the exact optimum
    assert res["map_log_value"] == pytest.approx(brute_map(fg, {1: 2}), abs=1e-9)


def test_cli_infer_text_with_state_names_and_errors(tmp_path, capsys):
    model_file = tmp_path / "chain.py"
    model_file.write_text(
        "from pgm import BayesianNetwork, TabularCPD\n"
        "model = BayesianNetwork.from_cpds([\n"
        "    TabularCPD('rain', [0.8, 0.2], state_names={'rain': ['no', 'yes']}),\n"
        "    TabularCPD('wet', [[0.9, 0.1], [0.2, 0.8]], parents=['rain'],\n"
        "               state_names={'wet': ['dry', 'wet'], 'rain': ['no', 'yes']}),\n"
        "])\n")
    code, out, _ = _run_cli(["infer", str(model_file), "--marginals", "rain", "wet=wet", "--map"],
                            capsys)
    assert code == 0
    assert "rain: no=0.333333  yes=0.666667" in out
    assert "rain=yes" in out
    ev_file = tmp_path / "ev.txt"
    ev_file.write_text("# evidence\nwet=1\n")
    code, out, _ = _run_cli(["infer", str(model_file), "--evidence", str(ev_file)], capsys)
    assert code == 0 and "log P(evidence) = -1.42712" in out  # log(0.8 * 0.1 + 0.2 * 0.8)
    code, _, err = _run_cli(["infer", str(model_file), "wet=soaked"], capsys)
    assert code == 2 and "no state 'soaked'" in err
    code, _, err = _run_cli(["infer", str(model_file), "snow=1"], capsys)
    assert code == 2 and "unknown variable 'snow'" in err
    code, _, err = _run_cli(["infer", str(model_file), "--marginals", "snow"], capsys)
    assert code == 2 and "'snow'" in err


def test_cli_infer_memory_budget_and_plan(tmp_path, capsys):
    from pgm.io import write_uai

    path = tmp_path / "grid.uai"
    write_uai(_dense_grid(10), path)
    code, _, err = _run_cli(["infer", str(path), "--memory-budget", "1K"], capsys)
    assert code == 2 and "memory budget" in err
    code, out, _ = _run_cli(["infer", str(path), "--plan", "--heuristic", "min-fill"], capsys)
    assert code == 0 and "induced width" in out
