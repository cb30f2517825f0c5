"""UAI reading and writing: the 38 UAI 2014 models, evidence, solutions, errors, round trips."""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given

from pgm import BayesianNetwork, Factor, FactorGraph, ModelLoadError, ParseError, TabularCPD
from pgm.datasets import data_dir
from pgm.io import (
    format_uai,
    load_model,
    read_evidence,
    read_mar,
    read_pr,
    read_uai,
    read_uai_factor_graph,
    write_evidence,
    write_uai,
)
from pgm.testing import bayesian_networks, factor_graphs

# name: (variables, factors, evidence variables, has .MAR), from the data folder's README
MODELS = {
    "2bitcomp_5.cnf": (125, 310, 0, False), "Alchemy_11": (440, 860, 0, True),
    "CSP_11": (82, 462, 0, True), "CSP_12": (67, 271, 0, True), "CSP_13": (100, 710, 0, True),
    "DBN_11": (40, 440, 0, True), "DBN_12": (42, 483, 0, True), "DBN_13": (44, 528, 0, True),
    "DBN_14": (40, 440, 0, True), "DBN_15": (42, 483, 0, True), "DBN_16": (44, 528, 0, True),
    "Grids_11": (100, 300, 0, True), "Grids_12": (100, 280, 0, True),
    "Grids_13": (100, 300, 0, True), "Grids_14": (100, 300, 0, True),
    "Grids_15": (400, 1160, 0, True), "Grids_16": (400, 1160, 0, True),
    "Grids_17": (400, 1160, 0, True), "Grids_18": (400, 1160, 0, True),
    "Pedigree_11": (385, 385, 37, True), "Pedigree_12": (385, 385, 37, True),
    "Pedigree_13": (385, 385, 37, True), "Promedus_11": (461, 461, 8, True),
    "Promedus_12": (534, 534, 3, True), "Promedus_15": (385, 385, 4, True),
    "Promedus_22": (400, 400, 3, True), "Promedus_24": (200, 200, 4, True),
    "Promedus_30": (306, 306, 13, True), "Promedus_33": (378, 378, 2, True),
    "Segmentation_11": (228, 845, 0, True), "Segmentation_12": (229, 851, 0, True),
    "Segmentation_13": (235, 882, 0, True), "Segmentation_14": (226, 845, 0, True),
    "Segmentation_15": (232, 863, 0, True), "Segmentation_16": (231, 864, 0, True),
    "c432.isc.cnf": (196, 514, 0, False), "linkage_16": (402, 402, 0, True),
    "linkage_21": (437, 437, 0, True),
}


@pytest.fixture(scope="module")
def uai_dir() -> Path:
    d = data_dir() / "uai"
    if not d.is_dir():
        pytest.skip(f"UAI data folder {d} not found; set PGM_DATA_DIR to the shared data folder")
    return d


def assert_same_factor_graph(a: FactorGraph, b: FactorGraph) -> None:
    """``b`` is ``a`` written as UAI and read back: variable i of b is a.variables[i]."""
    va = a.variables
    assert b.variables == list(range(len(va)))
    assert [b.cardinality(i) for i in b.variables] == [a.cardinality(v) for v in va]
    assert len(b.factors) == len(a.factors)
    for fa, fb in zip(a.factors, b.factors):
        assert [va[i] for i in fb.variables] == list(fa.variables)
        np.testing.assert_array_equal(fb.values, fa.to_prob().values)


def assert_same_bayesian_network(a: BayesianNetwork, b: BayesianNetwork) -> None:
    va = a.nodes
    assert b.nodes == list(range(len(va)))
    assert sorted((va[p], va[c]) for p, c in b.edges) == sorted(a.edges)
    for i, v in enumerate(va):
        ca, cb = a.get_cpd(v), b.get_cpd(i)
        assert [va[p] for p in cb.parents] == list(ca.parents)
        np.testing.assert_array_equal(cb.values, ca.values)


# ------------------------------------------------------------------ data files
@pytest.mark.parametrize("name", sorted(MODELS))
def test_uai_model_loads(uai_dir: Path, name: str, tmp_path: Path) -> None:
    n_vars, n_factors, n_evidence, has_mar = MODELS[name]
    path = uai_dir / f"{name}.uai"
    fg = read_uai(path)
    assert isinstance(fg, FactorGraph)
    assert fg.variables == list(range(n_vars))
    assert len(fg.factors) == n_factors
    for f in fg.factors:
        assert all(isinstance(v, int) for v in f.variables)
        assert f.values.shape == tuple(fg.cardinality(v) for v in f.variables)
        assert np.all(f.values >= 0)

    evidence = read_evidence(path.with_name(path.name + ".evid"))
    assert len(evidence) == n_evidence
    assert fg.check_evidence(evidence) == evidence  # indices and states in range

    log10_z = read_pr(path.with_name(path.name + ".PR"))
    assert np.isfinite(log10_z)

    if has_mar:
        mar = read_mar(path.with_name(path.name + ".MAR"))
        assert [m.size for m in mar] == [fg.cardinality(v) for v in fg.variables]
        np.testing.assert_allclose([m.sum() for m in mar], 1.0, atol=1e-4)
        for v, x in evidence.items():  # evidence variables are clamped in the marginals
            assert mar[v][x] == pytest.approx(1.0, abs=1e-6)

    # round trip through a gzip file, via load_model
    out = tmp_path / f"{name}.uai.gz"
    assert write_uai(fg, out) == fg.variables
    assert_same_factor_graph(fg, load_model(out))


def test_grid_structure(uai_dir: Path) -> None:
    # Grids_12 is a plain 10x10 grid (180 edges); Grids_11 wraps around (a torus, 200 edges)
    for name, edges, degrees in (("Grids_12", 180, {2, 3, 4}), ("Grids_11", 200, {4})):
        fg = read_uai(uai_dir / f"{name}.uai")
        sizes = [len(f.variables) for f in fg.factors]
        assert sizes.count(1) == 100 and sizes.count(2) == edges
        assert {len(fg.markov_blanket(v)) for v in fg.variables} == degrees


# ----------------------------------------------------- small handwritten models
TINY_MARKOV = """MARKOV
3
2 3 2
3
1 0
2 1 0
2 1 2

2
 2.0 1.0
6
 1.0 2.0
 3.0 4.0
 5.0 6.0
6
 0.5 1.5
 2.5 3.5
 4.5 5.5
"""


def test_tiny_markov_joint_matches_hand_computation() -> None:
    fg = read_uai(TINY_MARKOV)
    assert fg.variables == [0, 1, 2]
    assert fg.cardinalities == {0: 2, 1: 3, 2: 2}
    unary = [2.0, 1.0]
    f10 = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]  # [x1][x0]: last scope variable fastest
    f12 = [[0.5, 1.5], [2.5, 3.5], [4.5, 5.5]]  # [x1][x2]
    expected = np.zeros((2, 3, 2))
    for x0, x1, x2 in itertools.product(range(2), range(3), range(2)):
        expected[x0, x1, x2] = unary[x0] * f10[x1][x0] * f12[x1][x2]
    joint = fg.joint(normalized=False)
    assert joint.variables == (0, 1, 2)
    np.testing.assert_allclose(joint.values, expected, rtol=1e-14)
    assert fg.partition_function() == pytest.approx(expected.sum(), rel=1e-14)


TINY_BAYES = """BAYES
3
2 2 3
3
1 0
2 0 1
3 0 1 2
2
 0.3 0.7
4
 0.9 0.1
 0.2 0.8
12
 0.1 0.2 0.7
 0.3 0.3 0.4
 0.5 0.25 0.25
 1.0 0.0 0.0
"""


def test_tiny_bayes_reads_as_network_and_factor_graph() -> None:
    bn = read_uai(TINY_BAYES)
    assert isinstance(bn, BayesianNetwork)
    bn.validate()
    assert bn.nodes == [0, 1, 2]
    assert sorted(bn.edges) == [(0, 1), (0, 2), (1, 2)]
    c2 = bn.get_cpd(2)
    assert c2.parents == (0, 1)
    assert c2.values[1, 0].tolist() == [0.5, 0.25, 0.25]  # x0=1, x1=0
    assert bn.get_cpd(1).values.tolist() == [[0.9, 0.1], [0.2, 0.8]]
    fg = read_uai_factor_graph(TINY_BAYES)
    assert isinstance(fg, FactorGraph) and len(fg.factors) == 3
    assert fg.partition_function() == pytest.approx(1.0, abs=1e-14)
    assert bn.joint().allclose(fg.joint(normalized=False))
    assert_same_bayesian_network(bn, read_uai(format_uai(bn)))


def test_bayes_child_is_last_scope_variable_not_table_order() -> None:
    text = "BAYES\n2\n2 2\n2\n2 1 0\n1 1\n4 0.6 0.4 0.1 0.9\n2 0.5 0.5\n"
    bn = read_uai(text)
    assert bn.get_cpd(0).parents == (1,)
    assert bn.get_cpd(0).values.tolist() == [[0.6, 0.4], [0.1, 0.9]]
    assert bn.nodes == [0, 1]


def test_variables_in_no_factor_are_kept() -> None:
    fg = read_uai("MARKOV\n3\n2 2 4\n1\n1 1\n2 1.0 3.0\n")
    assert fg.variables == [0, 1, 2]
    assert fg.cardinality(2) == 4
    assert fg.partition_function() == pytest.approx(4.0 * 2 * 4)


def test_write_uai_maps_names_to_indices(tmp_path: Path) -> None:
    fg = FactorGraph([Factor(["b", "a"], [3, 2], np.arange(1.0, 7.0).reshape(3, 2)),
                      Factor(["a"], [2], [0.5, 2.0]).to_log()])
    names = write_uai(fg, tmp_path / "m.uai")
    assert names == ["b", "a"]
    back = read_uai(tmp_path / "m.uai")
    assert_same_factor_graph(fg, back)
    assert back.factors[1].values.tolist() == pytest.approx([0.5, 2.0], rel=1e-15)
    write_evidence({"a": 1}, tmp_path / "m.uai.evid", variables=names)
    assert read_evidence(tmp_path / "m.uai.evid") == {1: 1}


@given(factor_graphs(max_variables=5))
def test_factor_graph_round_trip_property(fg: FactorGraph) -> None:
    assert_same_factor_graph(fg, read_uai(format_uai(fg)))


@given(bayesian_networks(max_nodes=5))
def test_bayesian_network_round_trip_property(bn: BayesianNetwork) -> None:
    back = read_uai(format_uai(bn))
    assert_same_bayesian_network(bn, back)
    back.validate()


def test_bayesian_network_as_markov_file_keeps_the_joint() -> None:
    bn = BayesianNetwork.from_cpds([
        TabularCPD("r", [0.8, 0.2]),
        TabularCPD("w", [[0.9, 0.1], [0.2, 0.8]], parents=["r"]),
    ])
    fg = read_uai(format_uai(bn.to_factor_graph()))
    np.testing.assert_allclose(fg.joint(normalized=False).values, bn.joint().values, rtol=1e-15)


# ------------------------------------------------------------ evidence & solutions
@pytest.mark.parametrize("text, expected", [
    ("0\n", {}),
    ("0", {}),
    ("2 5 1 7 0\n", {5: 1, 7: 0}),
    ("2 5 1 7 0\n1 3 2\n", {5: 1, 7: 0}),          # several samples: the first
    ("1\n2 5 1 7 0\n", {5: 1, 7: 0}),              # older format: sample count first
    ("2\n5 1\n7 0\n", {5: 1, 7: 0}),               # one sample spread over lines
    ("", {}),
])
def test_read_evidence_formats(tmp_path: Path, text: str, expected: dict) -> None:
    path = tmp_path / "e.evid"
    path.write_text(text)
    assert read_evidence(path) == expected


def test_write_evidence_round_trip(tmp_path: Path) -> None:
    write_evidence({3: 1, 0: 2}, tmp_path / "e.evid")
    assert (tmp_path / "e.evid").read_text() == "2 3 1 0 2\n"
    assert read_evidence(tmp_path / "e.evid") == {3: 1, 0: 2}
    write_evidence({}, tmp_path / "none.evid")
    assert read_evidence(tmp_path / "none.evid") == {}


def test_read_solution_files(tmp_path: Path) -> None:
    (tmp_path / "m.PR").write_text("PR\n-22.1005\n")
    assert read_pr(tmp_path / "m.PR") == -22.1005
    (tmp_path / "m.MAR").write_text("MAR\n3 2 0.1 0.9 1 1.0 3 0.2 0.3 0.5\n")
    mar = read_mar(tmp_path / "m.MAR")
    assert [m.tolist() for m in mar] == [[0.1, 0.9], [1.0], [0.2, 0.3, 0.5]]


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("text, line, fragment", [
    ("MARKOFF\n1\n2\n", 1, "expected the preamble"),
    ("MARKOV\n2\n2 x\n", 3, "cardinality of variable 1"),
    ("MARKOV\n2\n2 0\n", 3, "cardinality of variable 1 must be >= 1"),
    ("MARKOV\n2\n2 2\n1\n2 0 2\n4\n1 1 1 1\n", 5, "names variable 2"),
    ("MARKOV\n2\n2 2\n1\n2 0 0\n4\n1 1 1 1\n", 5, "repeats a variable"),
    ("MARKOV\n2\n2 2\n1\n2 0 1\n3\n1 1 1\n", 6, "declares 3 entries"),
    ("MARKOV\n2\n2 2\n1\n2 0 1\n4\n1 1 -1 1\n", 7, "invalid entry -1.0"),
    ("MARKOV\n2\n2 2\n1\n2 0 1\n4\n1 1 nan 1\n", 7, "expected a number"),
    ("MARKOV\n2\n2 2\n1\n2 0 1\n4\n1 1 1\n", 7, "ends early"),
    ("MARKOV\n2\n2 2\n1\n2 0 1\n4\n1 1 1 1\n5\n", 8, "unexpected data after the last"),
    ("MARKOV\n2\n2 2\n1\n2 0 1\n4\n1 1 one 1\n", 7, "expected a number"),
    ("MARKOV\n2\n2 2\n2\n1 0\n1 1\n2\n1 1\n", 8, "missing the table of factor 1"),
    ("MARKOV\n2\n2 2\n", 3, "end of file"),
    ("BAYES\n2\n2 2\n2\n1 0\n1 0\n2\n0.5 0.5\n2\n0.5 0.5\n", 6, "two conditional distributions"),
    ("BAYES\n2\n2 2\n1\n1 0\n2\n0.5 0.5\n", 5, "no table with variable 1"),
])
def test_malformed_uai_names_the_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = tmp_path / "bad.uai"
    path.write_text(text)
    with pytest.raises(ParseError) as info:
        read_uai(path)
    err = info.value
    assert fragment in str(err), str(err)
    assert err.line == line, str(err)
    assert err.path == str(path)


@pytest.mark.parametrize("name, text, fragment", [
    ("e.evid", "2 5 1 7\n", "end of file"),
    ("e.evid", "1 5 x\n", "state of evidence variable 5"),
    ("e.evid", "2 5 1 5 0\n", "two evidence values"),
    ("m.PR", "MAR\n1\n", "expected 'PR'"),
    ("m.PR", "PR\n", "expected the log10"),
    ("m.MAR", "MAR\n2 2 0.5 0.5\n", "missing the marginal of variable 1"),
    ("m.MAR", "MAR\n1 3 0.5 0.5\n", "ends early"),
])
def test_malformed_evidence_and_solutions(tmp_path: Path, name: str, text: str,
                                          fragment: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    reader = {"e.evid": read_evidence, "m.PR": read_pr, "m.MAR": read_mar}[name]
    with pytest.raises(ParseError, match="line"):
        try:
            reader(path)
        except ParseError as exc:
            assert fragment in str(exc), str(exc)
            raise


def test_missing_files(tmp_path: Path) -> None:
    for reader in (read_uai, read_evidence, read_pr, read_mar):
        with pytest.raises(ModelLoadError, match="no such file"):
            reader(tmp_path / "nope.uai")
    with pytest.raises(ModelLoadError, match="no such file"):
        load_model(tmp_path / "nope.uai")


def test_load_model_uai_and_gz(tmp_path: Path) -> None:
    (tmp_path / "t.uai").write_text(TINY_MARKOV)
    (tmp_path / "t.uai.gz").write_bytes(gzip.compress(TINY_MARKOV.encode()))
    (tmp_path / "b.uai").write_text(TINY_BAYES)
    a, b = load_model(tmp_path / "t.uai"), load_model(tmp_path / "t.uai.gz")
    assert_same_factor_graph(a, b)
    assert isinstance(load_model(tmp_path / "b.uai"), BayesianNetwork)
