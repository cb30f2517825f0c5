"""Loopy BP's pairwise binary kernel (``pgm.inference.pairwise_bp``) against the general
kernel and against exact answers.

The two kernels run the same synchronous schedule on the same model (the pairwise one
after an exact rewrite in Ising form), so at a tight tolerance their marginals, factor
beliefs, Bethe ``log Z`` and MAP decodings agree to rounding; on trees both are exact.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgm import Factor, FactorGraph
from pgm.exceptions import EstimateWarning, EvidenceError, ParameterError
from pgm.inference import belief_propagation, log_partition_function, map_assignment, marginals
from pgm.inference.compiled import compile_model
from pgm.inference.pairwise import PairwiseBinaryModel
from pgm.inference.pairwise_bp import ising_form
from pgm.testing import factor_graphs

PAIRWISE_BINARY = factor_graphs(min_variables=2, max_variables=7, max_cardinality=2,
                                max_factor_size=2, distinct_scopes=True, log_range=(-1.0, 1.0))


def _run(model, kernel, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimateWarning)
        return belief_propagation(model, kernel=kernel, tolerance=1e-13, max_iterations=5000, **kw)


def _assert_same(a, b, tol=1e-9):
    assert a.marginals.keys() == b.marginals.keys()
    for v in a.marginals:
        np.testing.assert_allclose(a.marginals[v], b.marginals[v], atol=tol, rtol=0)
    assert len(a.factor_beliefs) == len(b.factor_beliefs)
    for x, y in zip(a.factor_beliefs, b.factor_beliefs):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=tol, rtol=0)
    assert abs(a.log_z - b.log_z) < tol * max(1.0, abs(a.log_z))


@settings(deadline=None, max_examples=60)
@given(data=st.data(), fg=PAIRWISE_BINARY, mode=st.sampled_from(["sum", "max"]),
       damping=st.sampled_from([0.0, 0.4]))
def test_pairwise_kernel_equals_the_general_kernel(data, fg, mode, damping):
    assert not isinstance(ising_form(compile_model(fg)), str)
    names = list(fg.variables)
    ev = data.draw(st.dictionaries(st.sampled_from(names), st.integers(0, 1), max_size=2))
    soft = data.draw(st.dictionaries(
        st.sampled_from(names),
        st.sampled_from([[0.2, 0.9], [1.0, 0.0], [0.0, 3.0], [2.0, 2.0]]), max_size=2))
    if any(soft[v][s] == 0 for v, s in ev.items() if v in soft):
        with pytest.raises(EvidenceError, match="probability zero"):
            _run(fg, "pairwise", evidence=ev, soft_evidence=soft)
        return
    general = _run(fg, "general", evidence=ev, soft_evidence=soft, mode=mode, damping=damping)
    fast = _run(fg, "pairwise", evidence=ev, soft_evidence=soft, mode=mode, damping=damping)
    if not (general.converged and fast.converged):
        return      # a frustrated loop: both kernels oscillate alike, nothing to compare
    _assert_same(fast, general)
    if mode == "max":
        assert fast.map_assignment == general.map_assignment
    assert fast.evidence == general.evidence


def _random_tree(seed: int, n: int) -> FactorGraph:
    rng = np.random.default_rng(seed)
    fs = [Factor([f"x{i}"], [2], np.exp(rng.normal(size=2))) for i in range(n)]
    for i in range(1, n):
        j = int(rng.integers(0, i))
        fs.append(Factor([f"x{i}", f"x{j}"], [2, 2], np.exp(rng.normal(scale=1.5, size=(2, 2)))))
    return FactorGraph(fs)


@pytest.mark.parametrize("seed", range(4))
def test_exact_on_trees(seed):
    fg = _random_tree(seed, 12)
    r = _run(fg, "pairwise")
    assert r.converged
    exact = marginals(fg)
    for v in fg.variables:
        np.testing.assert_allclose(r.marginals[v], exact[v], atol=1e-9)
    assert abs(r.log_z - log_partition_function(fg)) < 1e-9
    ev = {"x3": 1, "x7": 0}
    r = _run(fg, "pairwise", evidence=ev)
    exact = marginals(fg, evidence=ev)
    for v in fg.variables:
        np.testing.assert_allclose(r.marginals[v], exact[v], atol=1e-9)
    assert abs(r.log_z - log_partition_function(fg, evidence=ev)) < 1e-9
    m = _run(fg, "pairwise", mode="max")
    x, value = map_assignment(fg)      # continuous random tables: a unique MAP
    assert m.map_assignment == x
    assert abs(m.log_z - value) < 1e-9


@pytest.mark.parametrize("domain", ["ising", "boltzmann"])
def test_pairwise_binary_model_equals_its_factor_graph(domain):
    rng = np.random.default_rng(1)
    n = 10
    edges = [(i, j, rng.normal(scale=0.6)) for i in range(n) for j in range(i + 1, n)
             if rng.random() < 0.35]
    m = PairwiseBinaryModel.from_edges(n, edges, fields=rng.normal(scale=0.4, size=n),
                                       domain=domain)
    fg = m.to_factor_graph()
    hi = 1
    lo = -1 if domain == "ising" else 0
    for mode in ("sum", "max"):
        fast = _run(m, "auto", evidence={2: hi, 5: lo}, soft_evidence={7: [0.3, 0.8]}, mode=mode)
        general = _run(fg, "general", evidence={2: 1, 5: 0}, soft_evidence={7: [0.3, 0.8]},
                       mode=mode)
        assert fast.converged and general.converged
        _assert_same(fast, general)
        if mode == "max":   # the model's own values, as its samplers give them
            assert fast.map_assignment == {v: (lo, hi)[s] for v, s in general.map_assignment.items()}
    # the residual schedule and kernel="general" run the factor graph's kernel
    r = _run(m, "general", evidence={2: hi})
    _assert_same(r, _run(fg, "general", evidence={2: 1}))
    assert fast.marginals.states[0] == [str(lo), str(hi)]


def test_high_temperature_grid_is_within_0_01_of_exact():
    rng = np.random.default_rng(3)
    m = PairwiseBinaryModel.grid((10, 10), coupling=0.2, field=rng.normal(scale=0.1, size=(10, 10)))
    r = belief_propagation(m)
    assert r.converged
    exact = marginals(m.to_factor_graph())
    assert max(abs(r.marginals[v] - exact[v]).max() for v in m.variables) < 0.01


def test_strong_couplings_use_the_stable_form():
    # |J| = 60: exp(2J) alone would lose the small terms; the result is still exact on a chain
    fs = [Factor(["a"], [2], [1.0, 2.0])]
    fs += [Factor([x, y], [2, 2], np.exp(60.0 * np.array([[1, -1], [-1, 1]])), log=False)
           for x, y in (("a", "b"), ("b", "c"))]
    fg = FactorGraph(fs)
    r = _run(fg, "pairwise")
    exact = marginals(fg)
    for v in "abc":
        np.testing.assert_allclose(r.marginals[v], exact[v], atol=1e-12)
    assert abs(r.log_z - log_partition_function(fg)) < 1e-9


@pytest.mark.parametrize("factors, reason", [
    ([Factor(["a"], [3], [1.0, 2.0, 3.0])], "'a' has 3 states"),
    ([Factor(["a", "b", "c"], [2, 2, 2], np.ones((2, 2, 2)))], "factor 0 has 3 variables"),
    ([Factor(["a", "b"], [2, 2], [[1.0, 0.0], [1.0, 1.0]])], "factor 0 has a zero entry"),
    ([Factor(["a", "b"], [2, 2], np.ones((2, 2))), Factor(["b", "a"], [2, 2], np.ones((2, 2)))],
     r"share the pair \('a', 'b'\)"),
])
def test_models_the_kernel_cannot_take_are_named(factors, reason):
    fg = FactorGraph(factors)
    with pytest.raises(ParameterError, match=reason):
        belief_propagation(fg, kernel="pairwise")
    _assert_same(_run(fg, "auto"), _run(fg, "general"))    # auto falls back


def test_bad_kernel_options_raise():
    fg = _random_tree(0, 3)
    with pytest.raises(ParameterError, match="flooding schedule only"):
        belief_propagation(fg, kernel="pairwise", schedule="residual")
    with pytest.raises(ParameterError, match="kernel"):
        belief_propagation(fg, kernel="fast")
    with pytest.raises(EvidenceError, match="x9"):
        belief_propagation(fg, {"x9": 1})
    with pytest.raises(EvidenceError):
        belief_propagation(PairwiseBinaryModel.from_edges(2, [(0, 1, 1.0)]), {0: 0})


def test_non_convergence_warns():
    rng = np.random.default_rng(0)
    n = 6
    edges = [(i, j, rng.normal(scale=3.0)) for i in range(n) for j in range(i + 1, n)]
    m = PairwiseBinaryModel.from_edges(n, edges, fields=rng.normal(scale=0.1, size=n))
    with pytest.warns(EstimateWarning, match="did not converge in 20 iterations"):
        r = belief_propagation(m, max_iterations=20)
    assert not r.converged and r.iterations == 20 and r.max_change > 1e-8
