"""Causal queries (issue 14): interventions by graph surgery equal back-door adjustment,
the front-door criterion on the classic example, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgm
import pgm.examples
from pgm.causal import (
    adjustment_marginal,
    average_causal_effect,
    backdoor_sets,
    do,
    frontdoor_sets,
    interventional_marginal,
    is_backdoor_set,
    is_frontdoor_set,
)
from pgm.exceptions import QueryError, UnknownVariableError
from pgm.inference import marginals
from pgm.testing import bayesian_networks

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.data())
def test_surgery_equals_backdoor_adjustment(data):
    bn = data.draw(bayesian_networks(min_nodes=2, max_nodes=6, min_probability=0.02))
    nodes = list(bn.nodes)
    x, y = data.draw(st.sampled_from([(a, b) for a in nodes for b in nodes if a != b]))
    sets = backdoor_sets(bn, x, y, max_size=3)
    if not sets:
        return
    state = data.draw(st.integers(0, bn.cardinality(x) - 1))
    surgery = interventional_marginal(bn, y, {x: state})[y]
    for z in sets[:3]:
        np.testing.assert_allclose(adjustment_marginal(bn, y, {x: state}, z), surgery,
                                   atol=1e-10)
    # minimal sets: no proper subset is a back-door set
    for z in sets:
        for v in z:
            assert not is_backdoor_set(bn, x, y, z - {v})


def test_do_cuts_the_arcs_and_fixes_the_state():
    asia = pgm.examples.load("asia")
    cut = asia.do({"lung": "yes"})
    assert cut.parents("lung") == [] and asia.parents("lung") == ["smoke"]
    cut.validate()
    # intervening on lung leaves its cause alone; conditioning does not
    assert marginals(cut, ["smoke"])["smoke"] == pytest.approx(marginals(asia, ["smoke"])["smoke"])
    seen = marginals(asia, ["smoke"], evidence={"lung": "yes"})["smoke"]
    assert seen[0] > 0.9
    # interventional query with evidence runs through every exact method
    from pgm.inference.junction_tree import JunctionTree

    ve = interventional_marginal(asia, "dysp", {"lung": "yes"}, evidence={"smoke": "no"})["dysp"]
    jt = JunctionTree(cut).calibrate({"smoke": "no"}).marginal("dysp")
    np.testing.assert_allclose(ve, jt, atol=1e-12)


def test_front_door_classic():
    """X <- U -> Y with X -> M -> Y: {M} is the front-door set; {U} the back-door set;
    the effect by adjustment equals the one by surgery."""
    bn = pgm.BayesianNetwork.from_cpds([
        pgm.TabularCPD("U", [0.5, 0.5]),
        pgm.TabularCPD("X", [[0.8, 0.2], [0.3, 0.7]], ["U"]),
        pgm.TabularCPD("M", [[0.9, 0.1], [0.2, 0.8]], ["X"]),
        pgm.TabularCPD("Y", [[[0.9, 0.1], [0.6, 0.4]], [[0.5, 0.5], [0.1, 0.9]]], ["U", "M"]),
    ])
    assert is_frontdoor_set(bn, "X", "Y", ["M"])
    assert frontdoor_sets(bn, "X", "Y") == [frozenset({"M"})]
    assert backdoor_sets(bn, "X", "Y") == [frozenset({"U"})]
    assert not is_frontdoor_set(bn, "X", "Y", ["U"])
    ace = average_causal_effect(bn, "X", "Y", (1, 0), 1)
    direct = (interventional_marginal(bn, "Y", {"X": 1})["Y"][1]
              - interventional_marginal(bn, "Y", {"X": 0})["Y"][1])
    assert ace == pytest.approx(direct, abs=1e-12)


def test_errors():
    asia = pgm.examples.load("asia")
    with pytest.raises(UnknownVariableError):
        backdoor_sets(asia, "nope", "dysp")
    with pytest.raises(QueryError, match="disjoint"):
        is_backdoor_set(asia, "smoke", "dysp", ["smoke"])
    with pytest.raises(QueryError, match="at least one intervention"):
        do(asia, {})
    with pytest.raises(QueryError, match="not a back-door set"):
        adjustment_marginal(asia, "dysp", {"either": "yes"}, [])
