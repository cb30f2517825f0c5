"""Factor algebra checked against brute-force loops over every table entry."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import pgm
from pgm import CardinalityError, EvidenceError, Factor, MemoryBudgetError, factor_product
from pgm._math import logsumexp, safe_log
from pgm.exceptions import InvalidProbabilityError, ModelError, PGMError, UnknownVariableError

CARD = {"a": 2, "b": 3, "c": 2, "d": 4}


@st.composite
def factors(draw, variables=tuple(CARD), min_vars=0, max_vars=3, allow_zero=True):
    """Factors over a random ordered subset of ``variables`` with CARD's cardinalities."""
    k = draw(st.integers(min_vars, min(max_vars, len(variables))))
    scope = draw(st.permutations(list(variables)))[:k]
    shape = tuple(CARD[v] for v in scope)
    lo = 0.0 if allow_zero else 0.01
    values = draw(arrays(np.float64, shape, elements=st.floats(lo, 10.0, allow_subnormal=False)))
    return Factor(scope, shape, values)


def configs(variables):
    """Every assignment of ``variables`` as a dict (brute force)."""
    for states in itertools.product(*(range(CARD[v]) for v in variables)):
        yield dict(zip(variables, states))


def union(*fs):
    out = []
    for f in fs:
        out += [v for v in f.variables if v not in out]
    return out


# ------------------------------------------------------------------- product
@given(factors(), factors())
def test_product_matches_brute_force(f, g):
    h = f * g
    assert set(h.variables) == set(f.variables) | set(g.variables)
    for a in configs(union(f, g)):
        assert h.value(a) == pytest.approx(f.value(a) * g.value(a), rel=1e-12, abs=0)


@given(factors(), factors())
def test_product_in_log_space_matches_brute_force(f, g):
    h = f.to_log() * g.to_log()
    assert h.log
    for a in configs(union(f, g)):
        expected = f.value(a) * g.value(a)
        assert np.exp(h.value(a)) == pytest.approx(expected, rel=1e-12, abs=1e-300)


@given(factors(), factors())
def test_product_is_commutative(f, g):
    assert (f * g).allclose(g * f)
    assert (f.to_log() * g.to_log()).allclose(g.to_log() * f.to_log())


@given(factors(), factors(), factors())
def test_product_is_associative(f, g, h):
    left = (f * g) * h
    right = f * (g * h)
    assert left.allclose(right)
    assert factor_product([f, g, h]).allclose(left)


@given(factors())
def test_product_with_constant_and_empty_product(f):
    assert (f * Factor.constant(1.0)).allclose(f)
    assert factor_product([f]).allclose(f)
    one = factor_product([])
    assert one.variables == () and float(one.values) == 1.0


def test_product_cardinality_mismatch_raises():
    f = Factor(["a", "b"], [2, 3], np.ones((2, 3)))
    g = Factor(["b"], [2], [1.0, 1.0])
    with pytest.raises(CardinalityError, match="'b'.*3.*2"):
        f * g
    assert issubclass(CardinalityError, PGMError) and issubclass(CardinalityError, ValueError)


def test_product_mixed_spaces_raises():
    f = Factor(["a"], [2], [1.0, 2.0])
    with pytest.raises(ModelError, match="log space"):
        factor_product([f, f.to_log()])


def test_memory_budget_raises_before_allocating():
    f = Factor(["a"], [2], [1.0, 2.0])
    g = Factor(["b"], [3], [1.0, 2.0, 3.0])
    with pytest.raises(MemoryBudgetError, match="memory budget"):
        factor_product([f, g], memory_budget=8)
    with pytest.raises(MemoryBudgetError):
        f.product(g, memory_budget=8)
    # 2**60 entries could never be allocated: the check must come first.
    huge = [Factor([f"v{i}"], [2], [1.0, 1.0]) for i in range(60)]
    with pytest.raises(MemoryBudgetError, match=r"2\^?|entries"):
        factor_product(huge)
    assert issubclass(MemoryBudgetError, MemoryError)


def test_memory_budget_must_be_positive():
    f = Factor(["a"], [2], [1.0, 2.0])
    with pytest.raises(PGMError, match="positive"):
        f.product(f, memory_budget=0)


def test_memory_budget_environment_variable(monkeypatch):
    monkeypatch.setenv("PGM_MEMORY_BUDGET", "16")
    f = Factor(["a"], [2], [1.0, 2.0])
    g = Factor(["b"], [3], [1.0, 2.0, 3.0])
    with pytest.raises(MemoryBudgetError):
        f * g
    assert (f * f).values.tolist() == [1.0, 4.0]  # 16 bytes fit


# ----------------------------------------------------------- sum / max out
@given(factors(min_vars=1), st.data())
def test_sum_out_matches_brute_force(f, data):
    drop = data.draw(st.lists(st.sampled_from(f.variables), unique=True, min_size=1))
    keep = [v for v in f.variables if v not in drop]
    s = f.sum_out(drop)
    s_log = f.to_log().sum_out(drop)
    assert list(s.variables) == keep and list(s_log.variables) == keep
    for a in configs(keep):
        expected = sum(f.value({**a, **b}) for b in configs(drop))
        assert s.value(a) == pytest.approx(expected, rel=1e-12, abs=1e-300)
        assert np.exp(s_log.value(a)) == pytest.approx(expected, rel=1e-12, abs=1e-300)


@given(factors(min_vars=1), st.data())
def test_max_out_matches_brute_force(f, data):
    drop = data.draw(st.lists(st.sampled_from(f.variables), unique=True, min_size=1))
    keep = [v for v in f.variables if v not in drop]
    m = f.max_out(drop)
    m_log = f.to_log().max_out(drop)
    for a in configs(keep):
        expected = max(f.value({**a, **b}) for b in configs(drop))
        assert m.value(a) == expected
        assert np.exp(m_log.value(a)) == pytest.approx(expected, rel=1e-12, abs=0)


@given(factors(min_vars=1), st.data())
def test_argmax_out_gives_maximizing_state(f, data):
    v = data.draw(st.sampled_from(f.variables))
    m, arg = f.argmax_out(v)
    rest = [u for u in f.variables if u != v]
    for a in configs(rest):
        idx = tuple(a[u] for u in rest)
        best = int(arg[idx])
        assert f.value({**a, v: best}) == m.value(a)
        assert m.value(a) == max(f.value({**a, v: s}) for s in range(CARD[v]))


@given(factors())
def test_sum_out_nothing_is_a_copy(f):
    g = f.sum_out([])
    assert g.allclose(f) and g.values is not f.values


@given(factors(min_vars=1), st.data())
def test_marginal_keeps_requested_order(f, data):
    keep = data.draw(st.lists(st.sampled_from(f.variables), unique=True, min_size=1))
    m = f.marginal(keep)
    assert list(m.variables) == keep
    drop = [v for v in f.variables if v not in keep]
    for a in configs(keep):
        assert m.value(a) == pytest.approx(sum(f.value({**a, **b}) for b in configs(drop)),
                                           rel=1e-12, abs=1e-300)


def test_sum_out_unknown_variable_raises():
    f = Factor(["a"], [2], [1.0, 2.0])
    with pytest.raises(UnknownVariableError, match="'zz'"):
        f.sum_out(["zz"])
    with pytest.raises(KeyError):
        f.max_out("zz")


# -------------------------------------------------------------------- reduce
@given(factors(), st.data())
def test_reduce_matches_brute_force(f, data):
    ev_vars = data.draw(st.lists(st.sampled_from(list(CARD)), unique=True))
    ev = {v: data.draw(st.integers(0, CARD[v] - 1)) for v in ev_vars}
    r = f.reduce(ev)
    keep = [v for v in f.variables if v not in ev]
    assert list(r.variables) == keep
    r_log = f.to_log().reduce(ev)
    for a in configs(keep):
        expected = f.value({**a, **ev})
        assert r.value(a) == expected
        assert r_log.value(a) == pytest.approx(float(safe_log(expected)), rel=1e-15, abs=0)


@pytest.mark.parametrize("bad", [2, -1, 7, 1.0, True, "0"])
def test_reduce_out_of_range_raises(bad):
    f = Factor(["a", "b"], [2, 3], np.ones((2, 3)))
    with pytest.raises(EvidenceError, match="'a'"):
        f.reduce({"a": bad})


def test_value_out_of_range_and_missing_variable():
    f = Factor(["a", "b"], [2, 3], np.arange(6.0))
    assert f.value({"a": 1, "b": 2, "zz": 9}) == 5.0
    with pytest.raises(EvidenceError, match="'b'"):
        f.value({"a": 0, "b": 3})
    with pytest.raises(UnknownVariableError, match="'b'"):
        f.value({"a": 0})


# ----------------------------------------------------------------- normalize
@given(factors(allow_zero=False))
def test_normalize_matches_brute_force(f):
    n = f.normalize()
    n_log = f.to_log().normalize()
    total = sum(f.value(a) for a in configs(f.variables))
    for a in configs(f.variables):
        assert n.value(a) == pytest.approx(f.value(a) / total, rel=1e-12)
        assert np.exp(n_log.value(a)) == pytest.approx(f.value(a) / total, rel=1e-12)
    assert n.values.sum() == pytest.approx(1.0, abs=1e-12)
    assert f.to_log().total() == pytest.approx(np.log(total), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("log", [False, True])
def test_normalize_all_zero_raises(log):
    f = Factor(["a", "b"], [2, 2], np.zeros((2, 2)))
    if log:
        f = f.to_log()
    with pytest.raises(EvidenceError, match="normalize"):
        f.normalize()


# ------------------------------------------------------------ conversions
@given(factors())
def test_log_prob_round_trip(f):
    back = f.to_log().to_prob()
    assert np.allclose(back.values, f.values, rtol=1e-12, atol=0)
    assert f.to_log().log and not back.log
    assert f.to_log().to_log() is not None and f.to_log().allclose(f)
    zeros = f.values == 0
    assert np.all(np.isneginf(f.to_log().values[zeros]))


@given(factors(min_vars=1), st.data())
def test_transpose(f, data):
    order = data.draw(st.permutations(list(f.variables)))
    t = f.transpose(order)
    assert list(t.variables) == list(order)
    for a in configs(f.variables):
        assert t.value(a) == f.value(a)
    assert t.allclose(f)


def test_transpose_rejects_non_permutation():
    f = Factor(["a", "b"], [2, 3], np.ones((2, 3)))
    with pytest.raises(UnknownVariableError):
        f.transpose(["a"])
    with pytest.raises(UnknownVariableError):
        f.transpose(["a", "c"])


# ------------------------------------------------------------- construction
def test_constructor_errors():
    with pytest.raises(ModelError, match="distinct"):
        Factor(["a", "a"], [2, 2], np.ones((2, 2)))
    with pytest.raises(CardinalityError, match=r"\['a', 'b'\]"):
        Factor(["a", "b"], [2], [1.0, 1.0])
    with pytest.raises(CardinalityError, match="'a'"):
        Factor(["a"], [0], [])
    with pytest.raises(CardinalityError, match="shape"):
        Factor(["a", "b"], [2, 3], np.ones(5))
    with pytest.raises(CardinalityError, match=r"\(3, 2\)"):
        Factor(["a", "b"], [2, 3], np.ones((3, 2)))  # transposed table: no silent reshape
    # a flat array of the right size is reshaped, C order
    f = Factor(["a", "b"], [2, 3], np.arange(6.0))
    assert f.value({"a": 1, "b": 0}) == 3.0


@pytest.mark.parametrize("bad", [-0.5, np.nan, np.inf, -np.inf])
def test_validate_rejects_bad_entries(bad):
    vals = np.ones((2, 2))
    vals[1, 0] = bad
    f = Factor(["a", "b"], [2, 2], vals)
    with pytest.raises(InvalidProbabilityError, match=r"'a': 1, 'b': 0") as info:
        f.validate("my table")
    assert "my table" in str(info.value) and "np.float64" not in str(info.value)
    assert issubclass(InvalidProbabilityError, ValueError)


def test_validate_log_space():
    Factor(["a"], [2], [-np.inf, 0.0], log=True).validate()
    for bad in (np.nan, np.inf):
        with pytest.raises(InvalidProbabilityError, match="log"):
            Factor(["a"], [2], [bad, 0.0], log=True).validate()


# ------------------------------------------------------------------- _math
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 4)),
              elements=st.floats(-700, 700) | st.just(-np.inf)),
       st.sampled_from([None, 0, 1, (0, 1)]))
def test_logsumexp_matches_scipy(a, axis):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = logsumexp(a, axis=axis)
    with np.errstate(all="ignore"):
        theirs = scipy.special.logsumexp(a, axis=axis)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-13)


def test_logsumexp_edge_cases():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert logsumexp(np.array([-np.inf, -np.inf])) == -np.inf
        assert logsumexp(np.array([np.inf, 0.0])) == np.inf
        assert logsumexp(np.array([])) == -np.inf
        assert safe_log(0.0) == -np.inf
    out = logsumexp(np.zeros((2, 3)), axis=1, keepdims=True)
    assert out.shape == (2, 1) and np.allclose(out, np.log(3))


def test_public_names():
    assert pgm.Factor is Factor and pgm.factor_product is factor_product
