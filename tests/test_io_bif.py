"""BIF reading and writing: the 24 bnlearn networks, format features, errors, round trips."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given

from pgm import BayesianNetwork, ModelLoadError, ParseError, TabularCPD
from pgm.datasets import data_dir
from pgm.io import format_bif, load_model, read_bif, write_bif
from pgm.testing import bayesian_networks

# variable counts (from the data folder's README)
NETWORKS = {
    "alarm": 37, "andes": 223, "asia": 8, "barley": 48, "cancer": 5, "child": 20,
    "diabetes": 413, "earthquake": 5, "hailfinder": 56, "hepar2": 70, "insurance": 27,
    "link": 724, "mildew": 35, "munin": 1041, "munin1": 186, "munin2": 1003, "munin3": 1041,
    "munin4": 1038, "pathfinder": 109, "pigs": 441, "sachs": 11, "survey": 6, "water": 32,
    "win95pts": 76,
}
# free parameters (entries minus rows), where the README lists them
PARAMS = {"asia": 18, "alarm": 509, "barley": 114005, "mildew": 540150, "munin": 80592,
          "pathfinder": 72079, "link": 14211, "diabetes": 429409}


@pytest.fixture(scope="module")
def bif_dir() -> Path:
    d = data_dir() / "bif"
    if not d.is_dir():
        pytest.skip(f"BIF data folder {d} not found; set PGM_DATA_DIR to the shared data folder")
    return d


_CACHE: dict[str, BayesianNetwork] = {}


def _load(bif_dir: Path, name: str) -> BayesianNetwork:
    if name not in _CACHE:
        _CACHE[name] = read_bif(bif_dir / f"{name}.bif.gz")
    return _CACHE[name]


def assert_same_network(a: BayesianNetwork, b: BayesianNetwork, *, atol: float = 1e-12) -> None:
    """Same variables (names as text), edges, parent order, state names and tables."""
    assert [str(v) for v in b.nodes] == [str(v) for v in a.nodes]
    assert sorted(map(str, b.edges)) == sorted(map(str, a.edges))
    for v in a.nodes:
        ca, cb = a.get_cpd(v), b.get_cpd(str(v))
        assert [str(p) for p in cb.parents] == [str(p) for p in ca.parents]
        assert cb.values.shape == ca.values.shape
        np.testing.assert_allclose(cb.values, ca.values, rtol=0, atol=atol)
        assert b.state_names(str(v)) == a.state_names(v)


# ------------------------------------------------------------------ data files
@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_bnlearn_network_loads_and_validates(bif_dir: Path, name: str) -> None:
    bn = _load(bif_dir, name)
    assert len(bn) == NETWORKS[name]
    assert bn.name == "unknown"
    bn.validate()  # every conditional sums to 1 within 1e-6 (the files are good to ~3e-7)
    for v in bn.nodes:
        cpd = bn.get_cpd(v)
        assert cpd.state_names[v] == bn.state_names(v)
        assert list(bn.graph.predecessors(v)) == list(cpd.parents) or \
            set(bn.graph.predecessors(v)) == set(cpd.parents)
    if name in PARAMS:
        free = sum(c.values.size - c.values.size // c.cardinality for c in bn.cpds.values())
        assert free == PARAMS[name]


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_bnlearn_network_round_trips(bif_dir: Path, name: str, tmp_path: Path) -> None:
    bn = _load(bif_dir, name)
    out = tmp_path / f"{name}.bif.gz"
    write_bif(bn, out)
    back = read_bif(out)
    assert back.name == bn.name
    assert_same_network(bn, back, atol=0.0)


def test_asia_tables_in_cpd_layout(bif_dir: Path) -> None:
    bn = _load(bif_dir, "asia")
    either = bn.get_cpd("either")
    assert either.parents == ("lung", "tub")
    assert either.state_names["lung"] == ["yes", "no"]
    # (lung=no, tub=no) -> either=no with certainty; every other row -> either=yes
    assert either.values[1, 1].tolist() == [0.0, 1.0]
    assert either.values[0, 1].tolist() == [1.0, 0.0]
    dysp = bn.get_cpd("dysp")
    assert dysp.parents == ("bronc", "either")
    assert dysp.values[1, 0].tolist() == [0.7, 0.3]  # (no, yes) 0.7, 0.3
    assert bn.get_cpd("asia").values.tolist() == [0.01, 0.99]


def test_plain_and_gzip_files_agree(bif_dir: Path, tmp_path: Path) -> None:
    plain = tmp_path / "child.bif"
    with gzip.open(bif_dir / "child.bif.gz", "rb") as src, open(plain, "wb") as dst:
        shutil.copyfileobj(src, dst)
    assert_same_network(read_bif(plain), _load(bif_dir, "child"), atol=0.0)
    assert_same_network(load_model(plain), _load(bif_dir, "child"), atol=0.0)


@pytest.mark.slow
def test_values_agree_with_pgmpy(bif_dir: Path, tmp_path: Path) -> None:
    readwrite = pytest.importorskip("pgmpy.readwrite")
    for name in ("asia", "child"):
        plain = tmp_path / f"{name}.bif"
        plain.write_bytes(gzip.decompress((bif_dir / f"{name}.bif.gz").read_bytes()))
        theirs = readwrite.BIFReader(str(plain)).get_model()
        ours = _load(bif_dir, name)
        for cpd in theirs.get_cpds():
            mine = ours.get_cpd(cpd.variable)
            assert list(mine.parents) == list(cpd.variables[1:])
            # pgmpy: shape (child, *parents); ours: (*parents, child)
            np.testing.assert_allclose(np.moveaxis(cpd.values, 0, -1), mine.values, atol=1e-12)
            assert [str(s) for s in cpd.state_names[cpd.variable]] == ours.state_names(cpd.variable)


# -------------------------------------------------------------- format features
FEATURES = """// a comment before the network
/* a block
   comment */
network "My Net" {
  property author = someone ;
}
variable "dog-out" {
  type discrete [ 2 ] { "true", "false" };
  property position = (218, 195) ;
}
variable level {
  type discrete [ 3 ] { very low, n/a, high-ish };
}
variable c { type discrete [2] { 0, 1 }; }
probability ( "dog-out" ) { table 0.25 0.75 ; }
probability ( level | "dog-out" ) {
  default 0.2, 0.3, 0.5;
  ("true") 1e-1, 2.5E-1, .65;   // a comment in a block
}
probability ( c, level, "dog-out" ) {
  property note = "c's table" ;
  table 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4;
}
"""


def test_format_features() -> None:
    bn = read_bif(FEATURES)
    bn.validate()
    assert bn.name == "My Net"
    assert bn.nodes == ["dog-out", "level", "c"]
    assert bn.state_names("level") == ["very low", "n/a", "high-ish"]
    assert bn.state_names("dog-out") == ["true", "false"]
    level = bn.get_cpd("level")
    assert level.values.tolist() == [[0.1, 0.25, 0.65], [0.2, 0.3, 0.5]]  # row, then default
    c = bn.get_cpd("c")
    assert c.parents == ("level", "dog-out")
    # `table`: child slowest, then level, dog-out (last fastest)
    assert c.values[:, :, 0].ravel().tolist() == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    assert c.values[:, :, 1].ravel().tolist() == [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    assert_same_network(bn, read_bif(format_bif(bn)), atol=0.0)


def test_javabayes_style_without_commas() -> None:
    text = """network "Dog-Problem" { //5 variables
      property "credal-set constant-density-bounded 1.1" ;
    }
    variable "light-on" { //2 values
      type discrete[2] { "true" "false" };
      property "position = (218, 195)" ;
    }
    variable "bowel-problem" { type discrete[2] { "true" "false" }; }
    variable "dog-out" { type discrete[2] { "true" "false" }; }
    variable "family-out" { type discrete[2] { "true" "false" }; }
    probability ( "light-on" "family-out" ) { table 0.6 0.05 0.4 0.95 ; }
    probability ( "bowel-problem" ) { table 0.01 0.99 ; }
    probability ( "dog-out" "bowel-problem" "family-out" ) {
      table 0.99 0.97 0.9 0.3 0.01 0.03 0.1 0.7 ;
    }
    probability ( "family-out" ) { table 0.15 0.85 ; }
    """
    bn = read_bif(text)
    bn.validate()
    assert bn.name == "Dog-Problem"
    assert bn.get_cpd("light-on").values.tolist() == [[0.6, 0.4], [0.05, 0.95]]
    dog = bn.get_cpd("dog-out")
    assert dog.parents == ("bowel-problem", "family-out")
    assert dog.values[..., 0].tolist() == [[0.99, 0.97], [0.9, 0.3]]


def test_numeric_state_names_and_rows_in_any_order() -> None:
    text = """network n { }
    variable a { type discrete [ 3 ] { 0, 1, 2 }; }
    variable b { type discrete [ 2 ] { 10, 1e3 }; }
    probability ( a ) { table 0.2, 0.3, 0.5; }
    probability ( b | a ) { (2) 0.5, 0.5; (0) 1, 0; (1) 0.0, 1.0; }
    """
    bn = read_bif(text)
    assert bn.state_names("b") == ["10", "1e3"]
    assert bn.get_cpd("b").values.tolist() == [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]


def test_comments_anywhere_and_at_the_end() -> None:
    text = ("network n { }/* c */variable a { type discrete [ 2 ] { 1/2, 3/4 }; }\n"
            "probability ( a ) { table 0.5//half\n, 0.5/*half*/; } // the end")
    bn = read_bif(text)
    assert bn.state_names("a") == ["1/2", "3/4"]
    assert bn.get_cpd("a").values.tolist() == [0.5, 0.5]


def test_empty_input_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty.bif").write_text("// only a comment")
    with pytest.raises(ParseError, match="not a BIF file"):
        read_bif(tmp_path / "empty.bif")


def test_write_quotes_awkward_names(tmp_path: Path) -> None:
    bn = BayesianNetwork.from_cpds([
        TabularCPD("my var", [0.5, 0.5], state_names={"my var": ['say "hi"', "a, b"]}),
        TabularCPD("table", [[0.1, 0.9], [0.2, 0.8]], parents=["my var"],
                   state_names={"table": ["x{1}", "back\\slash"]}),
    ], name="weird name")
    write_bif(bn, tmp_path / "w.bif")
    back = read_bif(tmp_path / "w.bif")
    assert back.name == "weird name"
    assert_same_network(bn, back, atol=0.0)


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.25, 0.75])])
    target = tmp_path / "a.bif"
    target.write_text("old contents")
    write_bif(bn, target)
    assert [p.name for p in tmp_path.iterdir()] == ["a.bif"]
    assert read_bif(target).get_cpd("a").values.tolist() == [0.25, 0.75]


@given(bayesian_networks(max_nodes=5, max_cardinality=3))
def test_round_trip_property(bn: BayesianNetwork) -> None:
    back = read_bif(format_bif(bn))
    assert_same_network(bn, back, atol=0.0)
    back.validate()


# ------------------------------------------------------------------ errors
HEAD = "network n {\n}\nvariable a {\n  type discrete [ 2 ] { yes, no };\n}\n"
ROOT_A = "probability ( a ) {\n  table 0.5, 0.5;\n}\n"
VAR_B = "variable b {\n  type discrete [ 2 ] { on, off };\n}\n"
B_GIVEN_A = HEAD + VAR_B + ROOT_A + "probability ( b | a ) {\n"  # lines 1-12


@pytest.mark.parametrize("text, line, fragment", [
    (HEAD + "foo bar\n", 6, "expected 'network', 'variable' or 'probability'"),
    (B_GIVEN_A + "  (yes) 0.1, 0.9;\n  (maybe) 0.5, 0.5;\n}\n", 14, "unknown state 'maybe'"),
    (B_GIVEN_A + "  (yes) 0.1, 0.9;\n  (no) 0.5, 0.3, 0.2;\n}\n", 14, "has 3 probabilities, expected 2"),
    (HEAD + "probability ( a ) {\n  table 0.5, 0.25, 0.25;\n}\n", 7, "expected 2"),
    (HEAD + "probability ( a | z ) {\n  (yes) 0.5, 0.5;\n}\n", 6, "undeclared variable 'z'"),
    (HEAD + "variable a {\n  type discrete [ 2 ] { yes, no };\n}\n" + ROOT_A, 6, "declared twice"),
    (HEAD + VAR_B + ROOT_A, 6, "'b' has no probability block"),
    (B_GIVEN_A + "  (yes) 0.1, 0.9;\n}\n", 12, "no row for (a=no)"),
    (B_GIVEN_A + "  (yes) 0.1, 0.9;\n  (yes) 0.1, 0.9;\n}\n", 14, "repeats a parent assignment"),
    ("network n { }\nvariable a {\n  type discrete [ 3 ] { yes, no };\n}\n", 3,
     "declares 3 states but lists 2"),
    (HEAD + "probability ( a ) {\n  table -0.5, 1.5;\n}\n", 7, "negative probability"),
    (HEAD + "/* never closed\n" + ROOT_A, 6, "unterminated /* comment"),
    (HEAD + "probability ( a ) {\n  table 0.5, 0.5\n}\n", 8, "expected a probability"),
    (HEAD + ROOT_A + ROOT_A, 9, "second probability block"),
    (HEAD + "probability ( a ) {\n  table nan, 0.5;\n}\n", 7, "expected a probability"),
    (HEAD + "probability ( a ) {\n  table 0.5, 0.5;\n", 8, "end of file"),
    ("network n { }\nvariable a {\n  type continuous;\n}\n", 3, "only 'discrete'"),
    (HEAD + "variable b {\n  type discrete [ 2 ] { on, on };\n}\n", 7, "lists state 'on' twice"),
    (B_GIVEN_A + "  (yes, on) 0.1, 0.9;\n}\n", 13,
     "names 2 parent states, expected 1"),
    (B_GIVEN_A + "  table 0.1, 0.9, 0.2, 0.8;\n  (yes) 0.1, 0.9;\n}\n", 12, "mixes 'table'"),
])
def test_malformed_input_names_the_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = tmp_path / "bad.bif"
    path.write_text(text)
    with pytest.raises(ParseError) as info:
        read_bif(path)
    err = info.value
    assert fragment in str(err), str(err)
    assert err.line == line, str(err)
    assert err.path == str(path)
    assert f"line {line}" in str(err)


def test_missing_file_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no such file"):
        read_bif(tmp_path / "nope.bif")
    with pytest.raises(ModelLoadError, match="no such file"):
        load_model(tmp_path / "nope.bif.gz")
    odd = tmp_path / "model.xyz"
    odd.write_text("whatever")
    with pytest.raises(ModelLoadError, match="unknown model format"):
        load_model(odd)


def test_load_model_reads_bif_gz(bif_dir: Path) -> None:
    bn = load_model(bif_dir / "cancer.bif.gz")
    assert isinstance(bn, BayesianNetwork) and len(bn) == 5
