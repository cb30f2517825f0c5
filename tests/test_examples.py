"""pgm.examples: every example network loads, validates and is normalized; names resolve."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from pgm.bayesian_network import BayesianNetwork
from pgm.examples import (
    BIF_EXAMPLES,
    DATA_DIR,
    MISCONCEPTION_Z,
    asia_network,
    available,
    example_path,
    load,
    resolve_model,
)
from pgm.exceptions import ModelLoadError
from pgm.factor_graph import FactorGraph

#: sha256 of the shipped files (those of the shared data folder's README)
SHA256 = {
    "asia": "7d5e7b8549834824c1b05f367eb7860fa3fca3adaf3649f0c7be6035af197197",
    "cancer": "dcfafbaadabcd1b8c9ec531e16721a19fc06829e980a3967d6345496ea081818",
    "earthquake": "77a41f1d509cea15eb7caf9dba932907837149e7145a2cc9d6c95c80849e62b0",
    "sachs": "ed1830fbde101ed50cce3c7a3c8cbf1d2f5225531cf35ff09fb3cec0af101bce",
    "survey": "676e1fe97efec18b31d1a0a3bcd9b7d52985129c60a78b69172c99e82902ef96",
    "alarm": "f5860caa7137b5817e0c4f169cce0f1451ce6c246b96f5ce4fb4a8167993be29",
    "child": "2bc3236dcbdbf9c9f1bbdeb060aa93c0bdee389d23a549b7248b9d89ed8a980c",
    "insurance": "92bcecd1b85387726af564bf1b50cd400ddbbea1b017303cc54d4654e50a8971",
}

#: (variables, free parameters) published by bnlearn
SIZES = {"asia": (8, 18), "cancer": (5, 10), "earthquake": (5, 10), "sachs": (11, 178),
         "survey": (6, 21), "alarm": (37, 509), "child": (20, 230), "insurance": (27, 1008)}


def test_available_names():
    names = available()
    assert names == sorted(names)
    assert set(names) == {*BIF_EXAMPLES, "sprinkler", "student", "misconception"}


@pytest.mark.parametrize("name", sorted(SHA256))
def test_shipped_files_are_the_bnlearn_files(name):
    path = example_path(name)
    assert path.parent == DATA_DIR and path.is_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SHA256[name]
    bn = load(name)
    n_vars, n_params = SIZES[name]
    assert len(bn.nodes) == n_vars
    free = sum(c.values.size - c.values.size // c.values.shape[-1] for c in bn.cpds.values())
    assert free == n_params


@pytest.mark.parametrize("name", available())
def test_every_example_loads_validates_and_is_normalized(name):
    model = load(name)
    assert isinstance(model, (BayesianNetwork, FactorGraph))
    if isinstance(model, BayesianNetwork):
        assert model.name == name
        model.validate()
        # as published, a few rows of sachs and alarm sum to 1 - 1e-7 (rounded tables):
        # normalized to the tolerance validate() uses, not to the default 1e-9
        rep = model.check_normalization(atol=1e-6)
        assert rep.ok, rep.summary()
        assert abs(rep.total_probability - 1.0) <= 1e-6
    else:
        z = model.partition_function()
        assert np.isfinite(z) and z > 0
    assert load(name) is not model          # a fresh copy every time


def test_misconception_partition_function():
    assert load("misconception").partition_function() == pytest.approx(MISCONCEPTION_Z,
                                                                        rel=1e-12)


def test_asia_known_marginal():
    from pgm.inference import marginals

    post = marginals(load("asia"))
    assert post["lung"][0] == pytest.approx(0.055, abs=1e-12)    # P(lung=yes)
    assert load("asia").state_names("lung") == ["yes", "no"]


def test_asia_bif_is_the_demo_network():
    """The BIF asia (the one source) has the numbers the demo's former Python definition
    had (Lauritzen & Spiegelhalter; bnlearn's asia.bif)."""
    bn = asia_network()
    assert bn.nodes == ["asia", "tub", "smoke", "lung", "bronc", "either", "xray", "dysp"]
    expected = {
        "asia": ([], [0.01, 0.99]),
        "tub": (["asia"], [[0.05, 0.95], [0.01, 0.99]]),
        "smoke": ([], [0.5, 0.5]),
        "lung": (["smoke"], [[0.1, 0.9], [0.01, 0.99]]),
        "bronc": (["smoke"], [[0.6, 0.4], [0.3, 0.7]]),
        "either": (["lung", "tub"], [[[1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]]),
        "xray": (["either"], [[0.98, 0.02], [0.05, 0.95]]),
        "dysp": (["bronc", "either"], [[[0.9, 0.1], [0.8, 0.2]], [[0.7, 0.3], [0.1, 0.9]]]),
    }
    for v, (parents, values) in expected.items():
        cpd = bn.get_cpd(v)
        assert list(cpd.parents) == parents
        np.testing.assert_array_equal(cpd.values, np.array(values))
        assert all(cpd.state_names[u] == ["yes", "no"] for u in (v, *parents))


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(ModelLoadError, match="unknown example network 'nope'; available: alarm"):
        load("nope")
    with pytest.raises(ModelLoadError, match="misconception"):
        example_path("misconception")       # built in Python, no file


def test_resolve_model(tmp_path, monkeypatch):
    from pgm.io import write_bif

    assert resolve_model("asia").name == "asia"
    assert isinstance(resolve_model("misconception"), FactorGraph)
    # an existing file wins over an example of the same name
    monkeypatch.chdir(tmp_path)
    write_bif(load("cancer"), tmp_path / "net.bif")
    assert sorted(resolve_model("net.bif").nodes) == sorted(load("cancer").nodes)
    assert sorted(resolve_model(tmp_path / "net.bif").nodes) == sorted(load("cancer").nodes)
    (tmp_path / "sprinkler").mkdir()           # a folder is not a model file
    assert resolve_model("sprinkler").name == "sprinkler"
    with pytest.raises(ModelLoadError, match=r"^missing\.bif: no such file \(nor an example "
                                             r"network: alarm, asia"):
        resolve_model("missing.bif")
