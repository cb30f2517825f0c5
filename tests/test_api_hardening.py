"""Hardening of the core's Python API (issue 12, items 6-8): no raw exceptions.

Every public entry point of the core (factors, CPDs, Bayesian networks, factor graphs,
independence queries, the normalization check, the structure index, the Hypothesis
strategies of :mod:`pgm.testing`, the data-set helpers) takes hostile arguments (``None``,
a string for a number, negative, NaN or huge numbers, unknown or repeated variables,
empty lists, wrong-shaped arrays, non-finite table entries) and either returns a result or
raises from the :class:`~pgm.PGMError` hierarchy, never a raw ``ValueError``,
``TypeError``, ``KeyError``, ``IndexError`` or ``AttributeError``.

The property runs for a list of ``(callable, argument strategy)`` pairs, each ~50 examples
(the conftest profile's settings otherwise apply); the regression tests below pin the
individual cases the issue names.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pgm
from pgm import (
    BayesianNetwork,
    CardinalityError,
    EvidenceError,
    Factor,
    FactorGraph,
    ModelError,
    ParameterError,
    PGMError,
    QueryError,
    StructureIndex,
    TabularCPD,
    UnknownVariableError,
)
from pgm import testing as pgm_testing
from pgm.factor import check_table_size
from pgm.independence import as_variable_set, query_sets

# ~50 examples a pair in the CI and dev profiles; the thorough profile keeps its own count
_N = 50 if settings().max_examples <= 60 else settings().max_examples
_SETTINGS = settings(max_examples=_N)

NAMES = ["a", "b", "rain", "wet", "zz", "", "0", "1"]

# --------------------------------------------------------------- hostile values
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 6), st.integers(min_value=2**40, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([2.5, -0.5, 1e300, -np.inf]),
    st.sampled_from(NAMES), st.text(max_size=3), st.binary(max_size=2),
    st.sampled_from([np.int64(1), np.float64(np.nan), np.bool_(True), np.float32(2.0),
                     np.array(0.0), np.array([]), np.zeros((2, 0)), np.array([np.nan])]),
    st.just(object()),
)
arrays = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.int64, np.bool_, np.complex128, np.dtype("U2")]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
)
hostile = st.recursive(
    st.one_of(scalars, arrays),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.sampled_from(NAMES), inner, max_size=3),
        st.sets(st.sampled_from(NAMES), max_size=3),
    ),
    max_leaves=6,
)
names = st.one_of(st.sampled_from(NAMES), scalars)
name_sets = st.one_of(names, st.lists(names, max_size=3), st.sets(st.sampled_from(NAMES), max_size=3))
states = st.one_of(st.integers(-1, 3), st.sampled_from(["no", "yes", "dry", "wet", "0", "1", "2", "²",
                                                        "1_0", " 1 "]), scalars)
keys = st.one_of(st.sampled_from(NAMES), st.integers(-1, 3), st.none(), st.booleans(),
                 st.floats(allow_nan=True), st.tuples(st.sampled_from(NAMES)))   # hashable
assignments = st.one_of(st.dictionaries(keys, states, max_size=4), hostile)
tables = st.one_of(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
               elements=st.floats(allow_nan=True, allow_infinity=True, width=64)),
    st.lists(st.one_of(st.floats(), st.lists(st.floats(), max_size=3), st.none(), st.text(max_size=2)),
             max_size=4),
    hostile,
)
flags = st.one_of(st.booleans(), scalars)
budgets = st.one_of(st.none(), st.integers(-2, 2**40), st.floats(allow_nan=True), scalars)
tolerances = st.one_of(st.floats(allow_nan=True, allow_infinity=True), scalars)
methods = st.one_of(st.sampled_from(["auto", "enumerate", "elimination", "fast"]), scalars)


# ------------------------------------------------------------------ fresh models
def _bn() -> BayesianNetwork:
    return BayesianNetwork.from_cpds([
        TabularCPD("rain", [0.8, 0.2], state_names={"rain": ["no", "yes"]}),
        TabularCPD("wet", [[0.9, 0.1], [0.2, 0.8]], parents=["rain"],
                   state_names={"wet": ["dry", "wet"]}),
    ])


def _fg() -> FactorGraph:
    return FactorGraph([Factor(["a", "b"], [2, 3], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])],
                       state_names={"a": ["lo", "hi"]})


def _factor() -> Factor:
    return Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])


def _cpd() -> TabularCPD:
    return TabularCPD("wet", [[0.9, 0.1], [0.2, 0.8]], parents=["rain"],
                      state_names={"rain": ["no", "yes"]})


# (id, callable, strategy of (args, kwargs))
def _args(*strategies, **kw_strategies):
    return st.tuples(st.tuples(*strategies), st.fixed_dictionaries(kw_strategies))


CASES = [
    # factor.py
    ("Factor", Factor, _args(st.one_of(st.lists(names, max_size=3), hostile),
                             st.one_of(st.lists(scalars, max_size=3), hostile), tables, log=flags)),
    ("Factor.cardinality", lambda v: _factor().cardinality(v), _args(names)),
    ("Factor.validate", lambda n: _factor().validate(n), _args(hostile)),
    ("Factor.transpose", lambda v: _factor().transpose(v), _args(name_sets)),
    ("Factor.value", lambda a: _factor().value(a), _args(assignments)),
    ("Factor.allclose", lambda o, r, a: _factor().allclose(o, r, a),
     _args(st.one_of(st.just(_factor()), hostile), tolerances, tolerances)),
    ("Factor.product", lambda o, b: _factor().product(o, memory_budget=b),
     _args(st.one_of(st.just(Factor(["b"], [2], [1.0, 2.0])), hostile), budgets)),
    ("Factor.sum_out", lambda v: _factor().sum_out(v), _args(name_sets)),
    ("Factor.max_out", lambda v: _factor().max_out(v), _args(name_sets)),
    ("Factor.argmax_out", lambda v: _factor().argmax_out(v), _args(names)),
    ("Factor.marginal", lambda v: _factor().marginal(v), _args(name_sets)),
    ("Factor.reduce", lambda e: _factor().reduce(e), _args(assignments)),
    ("Factor.constant", Factor.constant, _args(scalars, log=flags)),
    ("factor_product", pgm.factor_product,
     _args(st.one_of(st.lists(st.one_of(st.just(_factor()), hostile), max_size=3), hostile),
           memory_budget=budgets)),
    ("check_table_size", check_table_size, _args(st.one_of(st.lists(scalars, max_size=3), hostile),
                                                 memory_budget=budgets)),
    # cpd.py
    ("TabularCPD", TabularCPD, _args(names, tables, st.one_of(name_sets, st.none()),
                                     st.one_of(st.none(), hostile))),
    ("TabularCPD.to_factor", lambda f: _cpd().to_factor(log=f), _args(flags)),
    ("TabularCPD.conditional", lambda a: _cpd().conditional(a), _args(assignments)),
    # bayesian_network.py
    ("BayesianNetwork", BayesianNetwork, _args(hostile, hostile, name=hostile)),
    ("BayesianNetwork.from_cpds", BayesianNetwork.from_cpds,
     _args(st.one_of(st.lists(st.one_of(st.just(_cpd()), hostile), max_size=2), hostile))),
    ("bn.add_node", lambda v: _bn().add_node(v), _args(names)),
    ("bn.add_edge", lambda u, v: _bn().add_edge(u, v), _args(names, names)),
    ("bn.add_edges_from", lambda e: _bn().add_edges_from(e), _args(hostile)),
    ("bn.add_cpd", lambda c: _bn().add_cpd(c), _args(hostile)),
    ("bn.get_cpd", lambda v: _bn().get_cpd(v), _args(names)),
    ("bn.parents", lambda v: _bn().parents(v), _args(names)),
    ("bn.children", lambda v: _bn().children(v), _args(names)),
    ("bn.cardinality", lambda v: _bn().cardinality(v), _args(names)),
    ("bn.state_names", lambda v: _bn().state_names(v), _args(names)),
    ("bn.state_index", lambda v, s: _bn().state_index(v, s), _args(names, states)),
    ("bn.validate", lambda a: _bn().validate(atol=a), _args(tolerances)),
    ("bn.describe_parent_assignment", lambda v, i: _bn().describe_parent_assignment(v, i),
     _args(names, hostile)),
    ("bn.check_normalization", lambda a, m, b: _bn().check_normalization(
        atol=a, method=m, memory_budget=b), _args(tolerances, methods, budgets)),
    ("bn.factors", lambda f: _bn().factors(log=f), _args(flags)),
    ("bn.joint", lambda b: _bn().joint(memory_budget=b), _args(budgets)),
    ("bn.log_probability", lambda a: _bn().log_probability(a), _args(assignments)),
    ("bn.probability", lambda a: _bn().probability(a), _args(assignments)),
    ("bn.markov_blanket", lambda v: _bn().markov_blanket(v), _args(names)),
    ("bn.local_conditional", lambda v, a: _bn().local_conditional(v, a), _args(names, assignments)),
    ("bn.d_separated", lambda x, y, z: _bn().d_separated(x, y, z),
     _args(name_sets, name_sets, name_sets)),
    ("bn.is_independent", lambda x, y, z, n, a: _bn().is_independent(x, y, z, numeric=n, atol=a),
     _args(name_sets, name_sets, name_sets, flags, tolerances)),
    ("bn.independence_gap", lambda x, y, z: _bn().independence_gap(x, y, z),
     _args(name_sets, name_sets, name_sets)),
    # factor_graph.py
    ("FactorGraph", FactorGraph, _args(st.one_of(st.lists(st.one_of(st.just(_factor()), hostile),
                                                          max_size=2), hostile),
                                       cardinalities=st.one_of(st.none(), hostile),
                                       state_names=st.one_of(st.none(), hostile))),
    ("fg.add_variable", lambda v, c, s: _fg().add_variable(v, c, s),
     _args(names, scalars, st.one_of(st.none(), hostile))),
    ("fg.add_factor", lambda f: _fg().add_factor(f),
     _args(st.one_of(hostile, st.builds(Factor, st.just(["a"]), st.just([2]),
                                        st.lists(st.floats(), min_size=2, max_size=2))))),
    ("fg.cardinality", lambda v: _fg().cardinality(v), _args(names)),
    ("fg.state_names", lambda v: _fg().state_names(v), _args(names)),
    ("fg.has_state_names", lambda v: _fg().has_state_names(v), _args(hostile)),
    ("fg.factors_of", lambda v: _fg().factors_of(v), _args(names)),
    ("fg.markov_blanket", lambda v: _fg().markov_blanket(v), _args(names)),
    ("fg.contains", lambda v: v in _fg(), _args(hostile)),
    ("fg.is_separated", lambda x, y, z: _fg().is_separated(x, y, z),
     _args(name_sets, name_sets, name_sets)),
    ("fg.is_independent", lambda x, y, z, n, a: _fg().is_independent(x, y, z, numeric=n, atol=a),
     _args(name_sets, name_sets, name_sets, flags, tolerances)),
    ("fg.log_unnormalized", lambda a: _fg().log_unnormalized(a), _args(assignments)),
    ("fg.check_evidence", lambda e: _fg().check_evidence(e), _args(assignments)),
    ("fg.joint", lambda n, lg, b: _fg().joint(normalized=n, log=lg, memory_budget=b),
     _args(flags, flags, budgets)),
    ("fg.log_partition_function", lambda m, b: _fg().log_partition_function(method=m,
                                                                            memory_budget=b),
     _args(methods, budgets)),
    ("fg.partition_function", lambda m, b: _fg().partition_function(method=m, memory_budget=b),
     _args(methods, budgets)),
    ("fg.local_conditional", lambda v, a: _fg().local_conditional(v, a), _args(names, assignments)),
    # independence.py
    ("d_separated", pgm.d_separated, _args(st.one_of(st.just(_bn().graph), hostile),
                                           name_sets, name_sets, name_sets)),
    ("separated", pgm.separated, _args(st.one_of(st.just(_fg().markov_graph()), hostile),
                                       name_sets, name_sets, name_sets)),
    ("independence_gap", pgm.independence_gap,
     _args(st.one_of(st.just(_factor()), st.builds(Factor, st.just(["a", "b"]), st.just([2, 2]),
                                                   st.lists(st.floats(), min_size=4, max_size=4)),
                     hostile), name_sets, name_sets, name_sets)),
    ("as_variable_set", lambda v, w: as_variable_set(v, {"a", "b"}, w), _args(hostile, hostile)),
    ("query_sets", lambda x, y, z: query_sets({"a": 0, "b": 1, "c": 2}, x, y, z),
     _args(name_sets, name_sets, name_sets)),
    # normalization.py
    ("check_normalization", pgm.check_normalization,
     _args(st.one_of(st.builds(_bn), st.builds(_fg), hostile), atol=tolerances, method=methods,
           memory_budget=budgets)),
    # structure_index.py
    ("StructureIndex", StructureIndex, _args(st.one_of(st.just(_bn().graph), hostile))),
    ("StructureIndex.markov_blanket", lambda v: StructureIndex(_bn().graph).markov_blanket(v),
     _args(names)),
    ("StructureIndex.d_separated", lambda x, y, z: StructureIndex(_bn().graph).d_separated(x, y, z),
     _args(name_sets, name_sets, name_sets)),
    # testing.py (building a strategy validates its arguments)
    ("testing.dags", pgm_testing.dags, _args(min_nodes=scalars, max_nodes=scalars,
                                             max_parents=scalars, node_names=hostile)),
    ("testing.bayesian_networks", pgm_testing.bayesian_networks,
     _args(min_nodes=scalars, max_cardinality=scalars, min_probability=scalars)),
    ("testing.factor_graphs", pgm_testing.factor_graphs,
     _args(max_variables=scalars, max_factor_size=scalars, max_factors=scalars, log_range=hostile)),
    ("testing.assignments", pgm_testing.assignments, _args(st.one_of(st.builds(_bn), hostile))),
    ("testing.evidence", pgm_testing.evidence, _args(st.one_of(st.builds(_fg), hostile),
                                                     max_size=scalars)),
    ("testing.disjoint_variable_sets", pgm_testing.disjoint_variable_sets,
     _args(st.one_of(st.builds(_bn), hostile), max_size=scalars, allow_empty_given=flags)),
    ("testing.model_variables", pgm_testing.model_variables, _args(hostile)),
]


def _datasets_cases():
    from pgm.datasets import binarize
    from pgm.datasets.mnist import load_mnist, read_idx

    return [
        ("datasets.binarize", binarize, _args(st.one_of(tables, hostile), threshold=scalars)),
        ("datasets.read_idx", read_idx, _args(st.one_of(st.just("/nonexistent/x.idx"), hostile),
                                              limit=scalars)),
        ("datasets.load_mnist", load_mnist, _args(scalars, st.one_of(st.just("/nonexistent"),
                                                                     hostile), limit=scalars)),
    ]


def _math_cases():
    from pgm import _math

    return [
        ("_math.logsumexp", _math.logsumexp, _args(tables, axis=st.one_of(st.none(), scalars),
                                                   keepdims=flags)),
        ("_math.safe_log", _math.safe_log, _args(tables)),
        ("_math.local_distribution", _math.local_distribution, _args(tables, names)),
        ("_math.sigmoid", _math.sigmoid, _args(tables, scale=scalars)),
        ("_math.expit", _math.expit, _args(tables)),
        ("_math.softplus", _math.softplus, _args(tables)),
    ]


CASES += _datasets_cases() + _math_cases()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("call, strategy", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
@_SETTINGS
@given(data=st.data())
def test_pgm_error_or_result(call, strategy, data):
    args, kwargs = data.draw(strategy, label="arguments")
    try:
        call(*args, **kwargs)
    except PGMError:
        pass


def test_every_case_runs_a_public_entry_point():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 70


# ------------------------------------------------------ the cases the issue names
@pytest.mark.parametrize("card", [2.5, 2.0, True, float("nan"), np.float64(2.0), "2", None, 0, -1])
def test_cardinality_must_be_an_integer(card):
    with pytest.raises(CardinalityError, match="'a'"):
        Factor(["a"], [card], [1.0, 2.0])
    with pytest.raises(CardinalityError, match="'a'"):
        FactorGraph().add_variable("a", card)
    with pytest.raises(CardinalityError, match="'a'"):
        FactorGraph(cardinalities={"a": card})


def test_integer_cardinalities_still_work():
    f = Factor(["a"], [np.int64(2)], [1.0, 2.0])
    assert f.cardinalities == (2,) and type(f.cardinalities[0]) is int
    fg = FactorGraph()
    fg.add_variable("a", np.int32(3))
    assert fg.cardinality("a") == 3


def test_probability_refuses_unknown_and_missing_variables():
    bn = _bn()
    with pytest.raises(UnknownVariableError, match="'zz'"):
        bn.probability({"rain": 0, "wet": 0, "zz": 1})
    with pytest.raises(UnknownVariableError, match="'wet'"):
        bn.probability({"rain": 0})
    with pytest.raises(UnknownVariableError, match="'zz'"):
        bn.log_probability({"rain": 0, "wet": 0, "zz": 1})
    fg = bn.to_factor_graph()
    with pytest.raises(UnknownVariableError, match="'zz'"):
        fg.log_unnormalized({"rain": 0, "wet": 0, "zz": 1})
    with pytest.raises(UnknownVariableError, match="'wet'"):
        fg.log_unnormalized({"rain": 0})


def test_log_probability_takes_state_names():
    bn = _bn()
    by_index = bn.log_probability({"rain": 1, "wet": 0})
    assert bn.log_probability({"rain": "yes", "wet": "dry"}) == by_index
    assert bn.log_probability({"rain": "1", "wet": np.int64(0)}) == by_index
    assert by_index == pytest.approx(math.log(0.2 * 0.2))
    assert bn.probability({"rain": "yes", "wet": "wet"}) == pytest.approx(0.2 * 0.8)
    fg = bn.to_factor_graph()
    assert fg.log_unnormalized({"rain": "yes", "wet": "dry"}) == pytest.approx(by_index)
    for bad in ("maybe", 2, 1.0, True, None, "²", "1_0"):
        with pytest.raises(EvidenceError, match="'rain'|rain="):
            bn.log_probability({"rain": bad, "wet": 0})


def test_local_conditional_takes_state_names():
    bn = _bn()
    np.testing.assert_allclose(bn.local_conditional("rain", {"wet": "wet"}),
                               bn.local_conditional("rain", {"wet": 1}))
    with pytest.raises(UnknownVariableError, match="'zz'"):
        bn.local_conditional("rain", {"wet": 1, "zz": 0})


def test_cpd_conditional_bad_parent():
    cpd = _cpd()
    assert cpd.conditional({"rain": "yes"}).tolist() == [0.2, 0.8]
    assert cpd.conditional({"rain": 0, "wet": 1}).tolist() == [0.9, 0.1]  # the child is ignored
    with pytest.raises(UnknownVariableError, match="'rain'"):
        cpd.conditional({"rainn": 1})
    with pytest.raises(EvidenceError, match="'rain'"):
        cpd.conditional({"rain": "maybe"})
    with pytest.raises(EvidenceError, match="out of range"):
        cpd.conditional({"rain": 2})
    with pytest.raises(EvidenceError):
        cpd.conditional({"rain": 0.5})
    with pytest.raises(EvidenceError, match="mapping"):
        cpd.conditional([0])


@pytest.mark.parametrize("budget", [float("nan"), 0, -1, "lots", float("inf"), True])
def test_memory_budget_nan_is_a_parameter_error(budget):
    bn = _bn()
    for call in (lambda: bn.joint(memory_budget=budget),
                 lambda: bn.check_normalization(memory_budget=budget),
                 lambda: bn.to_factor_graph().log_partition_function(memory_budget=budget),
                 lambda: pgm.factor_product([_factor()], memory_budget=budget),
                 lambda: _factor().product(_factor(), memory_budget=budget)):
        with pytest.raises(ParameterError, match="memory_budget"):
            call()


def test_memory_budget_from_the_environment(monkeypatch):
    monkeypatch.setenv("PGM_MEMORY_BUDGET", "nan")
    with pytest.raises(ParameterError, match="PGM_MEMORY_BUDGET"):
        _bn().joint()


def test_gibbs_sample_on_nothing():
    from pgm.inference.gibbs import gibbs_sample

    fg = FactorGraph([Factor(["a"], [2], [1.0, 1.0])])
    for model in (FactorGraph(), BayesianNetwork()):
        with pytest.raises(ParameterError, match="at least one variable"):
            gibbs_sample(model, 10, seed=0)
    for n in (0, -1, 2.0, None, "10"):
        with pytest.raises(ParameterError, match="n_samples"):
            gibbs_sample(fg, n, seed=0)


def test_tolerances_are_checked():
    bn = _bn()
    for atol in (float("nan"), -1.0, "0.1", None):
        with pytest.raises(ParameterError, match="atol"):
            bn.check_normalization(atol=atol)
        with pytest.raises(ParameterError, match="atol"):
            bn.validate(atol=atol)
    assert bn.check_normalization(atol=0.0).method == "enumerate"


def test_wrong_types_are_pgm_errors_that_keep_their_builtin():
    bn = _bn()
    for call in (lambda: bn.add_cpd("not a cpd"), lambda: pgm.check_normalization(object())):
        with pytest.raises(pgm.ArgumentTypeError) as got:   # the wrong kind of object
            call()
        assert isinstance(got.value, TypeError)
    with pytest.raises(ModelError, match="hashable"):
        bn.add_node(["a"])
    with pytest.raises(ModelError, match="None"):
        bn.add_node(None)
    with pytest.raises(ModelError, match="pair"):
        bn.add_edges_from(["ab"])
    with pytest.raises(QueryError, match="twice"):
        _factor().sum_out(["a", "a"])
    with pytest.raises(ModelError, match="numeric"):
        Factor(["a"], [2], [[1.0], [2.0, 3.0]])
    with pytest.raises(ModelError, match="real numbers"):
        TabularCPD("a", ["0.5", "0.5"])
    with pytest.raises(ModelError, match="real numbers"):
        Factor(["a"], [2], np.array([1 + 1j, 2]))
    for exc in (ModelError, ParameterError, QueryError, EvidenceError, CardinalityError):
        assert issubclass(exc, ValueError)
    assert issubclass(UnknownVariableError, KeyError)
    assert issubclass(pgm.ArgumentTypeError, TypeError)


def test_one_parent_given_as_a_string():
    cpd = TabularCPD("wet", [[0.9, 0.1], [0.2, 0.8]], parents="rain")
    assert cpd.parents == ("rain",)


def test_unhashable_queries_are_unknown_variables():
    fg, bn = _fg(), _bn()
    assert [] not in fg and not fg.has_state_names([])
    for call in (lambda: fg.cardinality([]), lambda: fg.markov_blanket({}),
                 lambda: bn.markov_blanket([]), lambda: StructureIndex(bn.graph).markov_blanket([]),
                 lambda: bn.d_separated([["rain"]], "wet")):
        with pytest.raises(UnknownVariableError):
            call()


def test_structure_index_d_separated_validates():
    idx = StructureIndex(_bn().graph)
    assert idx.d_separated({"rain"}, {"wet"}, set()) is False
    assert idx.d_separated("rain", "wet") is False
    with pytest.raises(UnknownVariableError, match="'zz'"):
        idx.d_separated({"zz"}, {"wet"}, set())
    with pytest.raises(QueryError, match="disjoint"):
        idx.d_separated({"rain"}, {"rain"}, set())


def test_nan_data_is_not_binarized():
    from pgm.datasets import binarize
    from pgm.models.rbm import check_data

    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ParameterError, match="non-finite"):
            binarize(np.array([[0.2, bad]]))
        with pytest.raises(PGMError, match="non-finite"):
            check_data(np.array([[0.2, bad]]))
    with pytest.raises(ParameterError, match="threshold"):
        binarize([[0.2]], threshold=float("nan"))
    with pytest.raises(ParameterError):
        binarize([["a", "b"]])
    assert binarize(np.array([[0, 200]], dtype=np.uint8), 127).tolist() == [[0.0, 1.0]]
    assert binarize([[True, False]]).tolist() == [[1.0, 0.0]]


def test_mnist_arguments():
    from pgm.datasets import load_mnist

    with pytest.raises(ParameterError, match="kind"):
        load_mnist(["train"])
    with pytest.raises(ParameterError, match="data_dir"):
        load_mnist("test", 3)
    with pytest.raises(ParameterError, match="limit"):
        load_mnist("test", "/nonexistent", limit=-1)
    with pytest.raises(ParameterError, match="limit"):
        load_mnist("test", "/nonexistent", limit=2.5)


def test_huge_cardinalities_do_not_overflow():
    with pytest.raises(CardinalityError, match="shape"):
        Factor(["a"], [2**70], [1.0])
    with pytest.raises(CardinalityError, match="shape"):
        Factor(["a", "b"], [2**40, 2**40], [1.0])   # 2**80 wrapped to 0 in int64 before


def test_damaged_idx_header_is_refused_before_reading(tmp_path):
    import gzip
    import struct

    from pgm import MemoryBudgetError
    from pgm.datasets.mnist import read_idx

    p = tmp_path / "huge-idx3-ubyte.gz"
    with gzip.open(p, "wb") as f:
        f.write(struct.pack(">HBB3I", 0, 8, 3, 2**31, 2**31, 2**31) + b"\x01\x02")
    with pytest.raises(MemoryBudgetError, match="huge-idx3-ubyte"):
        read_idx(p)
    with pytest.raises(ParameterError, match="path"):
        read_idx(3)


def test_invalid_entries_and_inconsistent_networks():
    from pgm import InvalidProbabilityError

    bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.5, np.nan])])
    assert bn.probability({"a": 0}) == 0.5
    with pytest.raises(InvalidProbabilityError, match="'a'"):
        bn.probability({"a": 1})
    bad = BayesianNetwork.from_cpds([
        TabularCPD("a", [0.5, 0.5]),
        TabularCPD("b", [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]], parents=["a"])])
    with pytest.raises(CardinalityError, match="'b'.*'a'"):
        bad.local_conditional("a", {"b": 0})
    unlinked = BayesianNetwork(cpds=[TabularCPD("b", [[0.5, 0.5], [0.5, 0.5]], parents=["a"])])
    with pytest.raises(PGMError):
        unlinked.log_probability({"b": 0})


def test_strategy_arguments():
    for call in (lambda: pgm_testing.dags(min_nodes=2.5), lambda: pgm_testing.dags(max_parents=-1),
                 lambda: pgm_testing.bayesian_networks(min_probability=float("nan")),
                 lambda: pgm_testing.factor_graphs(log_range=(0.0, 1e300)),
                 lambda: pgm_testing.factor_graphs(log_range=np.array(0.0)),
                 lambda: pgm_testing.evidence(_fg(), max_size=-1),
                 lambda: pgm_testing.disjoint_variable_sets(_bn(), max_size=None)):
        with pytest.raises(ParameterError):
            call()


def test_download_arguments(tmp_path):
    from pgm.datasets.download import DownloadError, download_file, ensure_mnist, sha256_of

    with pytest.raises(ParameterError, match="sha256"):
        download_file([], tmp_path / "x.gz", "not hex")
    with pytest.raises(ParameterError, match="timeout"):
        download_file([], tmp_path / "x.gz", "0" * 64, timeout=float("nan"))
    with pytest.raises(ParameterError, match="urls"):
        download_file([3], tmp_path / "x.gz", "0" * 64)
    with pytest.raises(ParameterError, match="checksums"):
        ensure_mnist(tmp_path, checksums={"../x": "0" * 64})
    with pytest.raises(DownloadError, match="cannot read"):
        sha256_of(tmp_path / "missing.txt")
