"""Conversion to and from pgmpy, pyAgrum and networkx (issue 16): each direction keeps the
joint distribution exactly, and the peer's *own* inference on a converted model gives
pgm's answers (so a layout mistake cannot cancel itself out in a round trip)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgm.examples
from pgm.exceptions import ArgumentTypeError, ModelError
from pgm.inference import marginals
from pgm.interop import from_networkx, from_pgmpy, from_pyagrum, to_networkx, to_pgmpy, to_pyagrum
from pgm.testing import bayesian_networks, factor_graphs

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same_joint(a, b) -> None:
    ja = a.joint()
    jb = b.joint().transpose([v if v in b.joint().variables else str(v) for v in ja.variables])
    np.testing.assert_allclose(jb.values, ja.values, rtol=1e-12, atol=1e-15)


@SETTINGS
@given(st.one_of(bayesian_networks(max_nodes=5), factor_graphs(max_variables=4)))
def test_networkx_round_trip_is_exact(model):
    back = from_networkx(to_networkx(model))
    _same_joint(model, back)
    assert [back.state_names(v) for v in back.variables] == [
        [str(s) for s in model.state_names(v)] for v in model.variables]


@SETTINGS
@given(st.one_of(bayesian_networks(max_nodes=5, min_probability=0.01),
                 factor_graphs(max_variables=4)))
def test_pgmpy_round_trip_and_its_own_inference(model):
    pytest.importorskip("pgmpy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.inference import VariableElimination as PgmpyVE

        converted = to_pgmpy(model)
        back = from_pgmpy(converted)
        ours = marginals(model)
        infer = PgmpyVE(converted)
        for v, p in ours.items():
            f = infer.query([str(v)], show_progress=False)
            order = [f.state_names[str(v)].index(s) for s in
                     [str(x) for x in model.state_names(v)]]
            got = np.asarray(f.values, dtype=float)[order]   # pgmpy leaves a lone variable
            np.testing.assert_allclose(got / got.sum(), p, atol=1e-10)  # unnormalized
    _same_joint(model, back)


@SETTINGS
@given(st.one_of(bayesian_networks(max_nodes=5, min_probability=0.01),
                 factor_graphs(max_variables=4)))
def test_pyagrum_round_trip_and_its_own_inference(model):
    gum = pytest.importorskip("pyagrum")
    converted = to_pyagrum(model)
    back = from_pyagrum(converted)
    _same_joint(model, back)
    ours = marginals(model)
    engine = (gum.LazyPropagation(converted) if hasattr(model, "get_cpd")
              else gum.ShaferShenoyMRFInference(converted))
    engine.makeInference()
    for v, p in ours.items():
        post = engine.posterior(str(v))
        labels = [str(x) for x in model.state_names(v)]
        got = [post[{str(v): s}] for s in labels]
        np.testing.assert_allclose(got, p, atol=1e-10)


def test_asia_through_every_library_keeps_names_and_structure():
    asia = pgm.examples.load("asia")
    for to, back in ((to_networkx, from_networkx), (to_pgmpy, from_pgmpy),
                     (to_pyagrum, from_pyagrum)):
        if to is to_pgmpy:
            pytest.importorskip("pgmpy")
        if to is to_pyagrum:
            pytest.importorskip("pyagrum")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b = back(to(asia))
        assert sorted(b.edges) == sorted(asia.edges)
        for v in asia.nodes:
            assert b.state_names(v) == asia.state_names(v)
            np.testing.assert_array_equal(_aligned(b.get_cpd(v), asia.get_cpd(v)),
                                          asia.get_cpd(v).values)


def _aligned(cpd, like):
    """``cpd``'s table with its parent axes in ``like``'s parent order."""
    perm = [cpd.parents.index(p) for p in like.parents] + [len(cpd.parents)]
    return np.transpose(cpd.values, perm)


def test_errors():
    with pytest.raises(ArgumentTypeError):
        to_networkx("asia")
    with pytest.raises(ArgumentTypeError):
        from_networkx([("a", "b")])
    import networkx as nx

    with pytest.raises(ModelError, match="factors"):
        from_networkx(nx.Graph([("a", "b")]))
