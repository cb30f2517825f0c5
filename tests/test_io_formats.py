"""XMLBIF, Hugin NET and GeNIe XDSL (issue 16): the 24 bnlearn networks round trip
exactly through each; files written by pgmpy and pyAgrum read correctly (and ours read
correctly in them); malformed files are ParseErrors naming the line; ``pgm convert``."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import numpy as np
import pytest

from pgm import BayesianNetwork, MemoryBudgetError, ModelError, ModelLoadError, ParseError, TabularCPD
from pgm.cli import main
from pgm.datasets import data_dir
from pgm.io import (
    format_net,
    format_xdsl,
    format_xmlbif,
    load_model,
    model_format,
    read_bif,
    read_net,
    read_xdsl,
    read_xmlbif,
    save_model,
    write_net,
    write_xdsl,
    write_xmlbif,
)

FORMATS = {"xmlbif": (write_xmlbif, read_xmlbif, format_xmlbif),
           "net": (write_net, read_net, format_net),
           "xdsl": (write_xdsl, read_xdsl, format_xdsl)}
NETWORKS = ["alarm", "andes", "asia", "barley", "cancer", "child", "diabetes", "earthquake",
            "hailfinder", "hepar2", "insurance", "link", "mildew", "munin", "munin1", "munin2",
            "munin3", "munin4", "pathfinder", "pigs", "sachs", "survey", "water", "win95pts"]


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


def assert_same_network(a: BayesianNetwork, b: BayesianNetwork, *, atol: float = 0.0,
                        same_order: bool = True) -> None:
    """Same variables, edges, parent order, state names and tables (exactly by default)."""
    if same_order:
        assert [str(v) for v in b.nodes] == [str(v) for v in a.nodes]
    else:
        assert sorted(map(str, b.nodes)) == sorted(map(str, a.nodes))
    assert sorted(map(str, b.edges)) == sorted(map(str, a.edges))
    for v in a.nodes:
        ca, cb = a.get_cpd(v), b.get_cpd(str(v))
        assert [str(p) for p in cb.parents] == [str(p) for p in ca.parents], v
        assert cb.values.shape == ca.values.shape, v
        if atol == 0:
            assert np.array_equal(cb.values, ca.values), v
        else:
            np.testing.assert_allclose(cb.values, ca.values, rtol=0, atol=atol, err_msg=str(v))
        assert b.state_names(str(v)) == a.state_names(v), v


# ------------------------------------------------------------------ data files
@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("name", NETWORKS)
def test_bnlearn_network_round_trips_exactly(bif_dir: Path, tmp_path: Path, name: str,
                                             fmt: str) -> None:
    bn = _load(bif_dir, name)
    # every other network gzipped, so both paths of every format are covered
    ext = {"xmlbif": ".xmlbif", "net": ".net", "xdsl": ".xdsl"}[fmt]
    if NETWORKS.index(name) % 2:
        ext += ".gz"
    out = tmp_path / f"{name}{ext}"
    assert save_model(bn, out) == fmt
    if ext.endswith(".gz"):
        assert out.read_bytes()[:2] == b"\x1f\x8b"
    back = load_model(out)
    assert back.name == bn.name
    # XDSL is written in topological order (GeNIe wants parents first)
    assert_same_network(bn, back, same_order=fmt != "xdsl")


def test_plain_xml_extension_and_text_input(bif_dir: Path, tmp_path: Path) -> None:
    bn = _load(bif_dir, "child")  # state names such as "<5" and "12+": escaped in XML
    write_xmlbif(bn, tmp_path / "child.xml")
    assert_same_network(bn, load_model(tmp_path / "child.xml"))
    for fmt, (_, reader, formatter) in FORMATS.items():
        assert_same_network(bn, reader(formatter(bn)), same_order=fmt != "xdsl")


# ------------------------------------------------------------- other writers
def _plain(bif_dir: Path, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.bif"
    path.write_bytes(gzip.decompress((bif_dir / f"{name}.bif.gz").read_bytes()))
    return path


def _to_pgmpy(bn: BayesianNetwork):
    """Our network as a pgmpy DiscreteBayesianNetwork (pgmpy's BIF reader is slow)."""
    from pgmpy.factors.discrete import TabularCPD as PgmpyCPD
    from pgmpy.models import DiscreteBayesianNetwork

    model = DiscreteBayesianNetwork([(p, v) for v in bn.nodes for p in bn.get_cpd(v).parents])
    model.add_nodes_from(bn.nodes)
    for v in bn.nodes:
        cpd = bn.get_cpd(v)
        values = np.moveaxis(cpd.values, -1, 0).reshape(cpd.cardinality, -1)
        model.add_cpds(PgmpyCPD(v, cpd.cardinality, values, evidence=list(cpd.parents) or None,
                                evidence_card=[bn.cardinality(p) for p in cpd.parents] or None,
                                state_names={u: bn.state_names(u) for u in (v, *cpd.parents)}))
    return model


@pytest.mark.slow
def test_files_written_by_pgmpy_read_correctly(bif_dir: Path, tmp_path: Path) -> None:
    readwrite = pytest.importorskip("pgmpy.readwrite")
    # not child: pgmpy's XMLBIF writer rewrites state names such as "<7.5" and ">=7.5"
    # (both to "_7_5")
    for name in ("asia", "insurance"):
        ours = _load(bif_dir, name)
        theirs = _to_pgmpy(ours)
        readwrite.XMLBIFWriter(theirs).write(str(tmp_path / f"{name}.xmlbif"))
        readwrite.NETWriter(theirs).write(str(tmp_path / f"{name}.net"))
        readwrite.XDSLWriter(theirs).write(str(tmp_path / f"{name}.xdsl"))
        for ext in ("xmlbif", "net", "xdsl"):
            back = load_model(tmp_path / f"{name}.{ext}")
            # pgmpy writes the variables sorted, XDSL numbers with 16 decimals and NET
            # numbers with about 7 significant digits
            assert_same_network(ours, back, atol=1e-8 if ext == "net" else 1e-15,
                                same_order=False)


@pytest.mark.slow
def test_pgmpy_reads_our_files_correctly(bif_dir: Path, tmp_path: Path) -> None:
    readwrite = pytest.importorskip("pgmpy.readwrite")
    ours = _load(bif_dir, "alarm")
    readers = {"xmlbif": readwrite.XMLBIFReader, "net": readwrite.NETReader,
               "xdsl": readwrite.XDSLReader}
    for fmt, (writer, _, _) in FORMATS.items():
        path = tmp_path / f"alarm.{fmt}"
        writer(ours, path)
        model = readers[fmt](str(path)).get_model()
        for cpd in model.get_cpds():
            mine = ours.get_cpd(cpd.variable)
            assert list(mine.parents) == list(cpd.variables[1:]), (fmt, cpd.variable)
            # pgmpy: shape (child, *parents); ours: (*parents, child)
            np.testing.assert_array_equal(np.moveaxis(cpd.values, 0, -1), mine.values)
            assert [str(s) for s in cpd.state_names[cpd.variable]] == ours.state_names(cpd.variable)


def _agrum_values(gum, bn, name: str, ours: BayesianNetwork) -> np.ndarray:
    """pyAgrum's table of ``name`` in our layout ``(*our parents, child)``."""
    cpt = bn.cpt(name)
    mine = ours.get_cpd(name)
    out = np.empty(mine.values.shape)
    inst = gum.Instantiation(cpt)
    inst.setFirst()
    order = [cpt.variable(k).name() for k in range(cpt.nbrDim())]
    axes = [*mine.parents, name]
    while not inst.end():
        state = {order[k]: inst.val(k) for k in range(cpt.nbrDim())}
        out[tuple(state[a] for a in axes)] = cpt.get(inst)
        inst.inc()
    return out


def _to_agrum(gum, bn: BayesianNetwork):
    """Our network as a pyAgrum BayesNet, in double precision (pyAgrum's BIF reader
    refuses names such as "Asy/Patch" and keeps BIF numbers in single precision)."""
    theirs = gum.BayesNet(bn.name or "unknown")
    for v in bn.nodes:
        theirs.add(gum.LabelizedVariable(str(v), str(v), list(bn.state_names(v))))
    for v in bn.nodes:
        for p in bn.get_cpd(v).parents:
            theirs.addArc(str(p), str(v))
    for v in bn.nodes:
        cpd, cpt = bn.get_cpd(v), theirs.cpt(str(v))
        order = [cpt.variable(k).name() for k in range(cpt.nbrDim())]  # first fastest
        axes = [*map(str, cpd.parents), str(v)]
        flat = np.transpose(cpd.values, [axes.index(n) for n in reversed(order)]).ravel()
        cpt.fillWith(flat.tolist())
    return theirs


@pytest.mark.slow
def test_files_written_by_pyagrum_read_correctly(bif_dir: Path, tmp_path: Path) -> None:
    gum = pytest.importorskip("pyagrum")
    # not child: pyAgrum writes its state "<5" unescaped into XML (a file no XML parser
    # reads, ours included)
    for name in ("asia", "alarm", "insurance"):
        ours = _load(bif_dir, name)
        theirs = _to_agrum(gum, ours)
        # pyAgrum's XMLBIF is its ".bifxml"; its parents may come in another order
        for ext in ("bifxml", "net", "xdsl"):
            gum.saveBN(theirs, str(tmp_path / f"{name}.{ext}"))
        xmlbif = read_xmlbif(tmp_path / f"{name}.bifxml")
        net = read_net(tmp_path / f"{name}.net")
        xdsl = read_xdsl(tmp_path / f"{name}.xdsl")
        multi = 0
        for v in ours.nodes:
            # pyAgrum reads BIF numbers in single precision and writes some formats with
            # 6 significant digits: agreement to 1e-6
            expected = _agrum_values(gum, theirs, v, ours)
            for back in (xmlbif, net):
                cpd = back.get_cpd(v)
                assert sorted(cpd.parents) == sorted(ours.get_cpd(v).parents)
                got = cpd.values
                perm = [list(cpd.parents).index(p) for p in ours.get_cpd(v).parents]
                got = np.transpose(got, [*perm, len(perm)])
                np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
                np.testing.assert_allclose(got, ours.get_cpd(v).values, rtol=0, atol=1e-6)
                assert back.state_names(v) == ours.state_names(v)
            # pyAgrum 3.3's XDSL lists the *first* parent fastest (GeNIe and pgmpy: the
            # last): read as GeNIe files, its tables have the parent axes reversed
            cpd = xdsl.get_cpd(v)
            k = len(cpd.parents)
            values = cpd.values.reshape(*[cpd.values.shape[j] for j in reversed(range(k))],
                                        cpd.cardinality)
            values = np.transpose(values, [*reversed(range(k)), k])
            perm = [list(cpd.parents).index(p) for p in ours.get_cpd(v).parents]
            np.testing.assert_allclose(np.transpose(values, [*perm, k]), expected, rtol=0,
                                       atol=1e-6)
            multi += k >= 2 and not np.array_equal(values, cpd.values)
        assert multi > 0  # asia's dysp, at least: the layouts really differ


@pytest.mark.slow
def test_pyagrum_reads_our_files_correctly(bif_dir: Path, tmp_path: Path) -> None:
    gum = pytest.importorskip("pyagrum")
    ours = _load(bif_dir, "alarm")
    write_xmlbif(ours, tmp_path / "alarm.bifxml")
    write_net(ours, tmp_path / "alarm.net")
    for path in (tmp_path / "alarm.bifxml", tmp_path / "alarm.net"):
        theirs = gum.loadBN(str(path))
        for v in ours.nodes:  # pyAgrum's readers keep single precision
            np.testing.assert_allclose(_agrum_values(gum, theirs, v, ours),
                                       ours.get_cpd(v).values, rtol=0, atol=1e-7)
            assert list(theirs.variable(v).labels()) == ours.state_names(v)


# --------------------------------------------------------------- layouts
# GeNIe's own layout (as in the Asia network GeNIe ships): the child's states fastest,
# then the *last* parent; and a node type this reader refuses
GENIE = """<?xml version="1.0" encoding="ISO-8859-1"?>
<!-- written by GeNIe -->
<smile version="1.0" id="Asia" numsamples="10000" discsamples="10000">
  <nodes>
    <cpt id="either"><state id="no" /><state id="yes" /><probabilities>0.9 0.1</probabilities></cpt>
    <cpt id="bronc" diagtype="target"><state id="Absent" label="F1" /><state id="Present" />
      <probabilities>0.55 0.45</probabilities></cpt>
    <cpt id="dysp">
      <state id="Absent" />
      <state id="Present" />
      <parents>either bronc</parents>
      <property id="comment">dyspnoea</property>
      <probabilities>0.9 0.1 0.2 0.8 0.3 0.7 0.1 0.9</probabilities>
    </cpt>
  </nodes>
  <extensions>
    <genie version="1.0" app="GeNIe 2.0" name="Asia network">
      <node id="dysp"><name>Dyspnoea?</name><position>1 2 3 4</position></node>
    </genie>
  </extensions>
</smile>
"""


def test_xdsl_layout_is_genies() -> None:
    bn = read_xdsl(GENIE)
    assert bn.name == "Asia network" and bn.nodes == ["either", "bronc", "dysp"]
    dysp = bn.get_cpd("dysp")
    assert dysp.parents == ("either", "bronc")
    assert bn.state_names("bronc") == ["Absent", "Present"]
    # P(dysp=Present | either=no, bronc=Present) = 0.8; (yes, Absent) = 0.7
    assert dysp.values[0, 1].tolist() == [0.2, 0.8]
    assert dysp.values[1, 0].tolist() == [0.3, 0.7]


@pytest.mark.parametrize("kind", ["deterministic", "noisymax", "equation", "decision", "utility"])
def test_xdsl_refuses_other_node_types(kind: str) -> None:
    text = GENIE.replace('<cpt id="bronc"', f'<{kind} id="bronc"').replace(
        "<probabilities>0.55 0.45</probabilities></cpt>",
        f"<probabilities>0.55 0.45</probabilities></{kind}>")
    with pytest.raises(ParseError) as info:
        read_xdsl(text)
    assert info.value.line == 6 and "'bronc'" in str(info.value) and kind in str(info.value)


HUGIN = """% a Hugin file, with the features its exporters use
net
{
    node_size = (80 40);
    name = "Dog problem";
    HR_Desc = "";
}

discrete node light_on
{
    label = "Light on?";
    position = (218 195);
    states = ("true" "false");
    subtype = boolean;
}
node family_out { states = (yes no); }   % pyAgrum writes the states bare
node dog_out
{
    states = ("true" "false");
}
potential (family_out | ) { data = (0.15 0.85); }
potential ( light_on | family_out )
{
    data = ((0.6 0.4)    % family_out = yes
            (0.05 0.95));
}
potential (dog_out | light_on family_out)
{
    data = (( ( 0.99 0.01 ) ( 0.97 0.03 ) )
            ( ( 0.9 0.1 ) ( 0.3 0.7 ) ));
    experience = ((1 1) (1 1));
}
"""


def test_net_layout_and_features() -> None:
    bn = read_net(HUGIN)
    bn.validate()
    assert bn.name == "Dog problem" and bn.nodes == ["light_on", "family_out", "dog_out"]
    assert bn.state_names("family_out") == ["yes", "no"]
    dog = bn.get_cpd("dog_out")
    assert dog.parents == ("light_on", "family_out")
    assert dog.values[0, 1].tolist() == [0.97, 0.03]  # light_on=true, family_out=no
    assert dog.values[1, 0].tolist() == [0.9, 0.1]
    assert_same_network(bn, read_net(format_net(bn)))


@pytest.mark.parametrize("kind", ["decision", "utility", "continuous", "function"])
def test_net_refuses_other_node_kinds(kind: str) -> None:
    with pytest.raises(ParseError) as info:
        read_net(HUGIN.replace("node dog_out", f"{kind} node dog_out"))
    assert info.value.line == 17 and "'dog_out'" in str(info.value) and kind in str(info.value)


def test_xmlbif_refuses_decision_variables() -> None:
    text = format_xmlbif(read_net(HUGIN)).replace('<VARIABLE TYPE="nature">\n  <NAME>dog_out',
                                                  '<VARIABLE TYPE="decision">\n  <NAME>dog_out')
    with pytest.raises(ParseError, match="decision") as info:
        read_xmlbif(text)
    assert info.value.line == 15


def test_names_that_no_format_allows_round_trip() -> None:
    cpds = [TabularCPD("dog out", [0.25, 0.75], state_names={"dog out": ["a&b", '"q"']}),
            TabularCPD("2nd-var", [[0.5, 0.5], [0.1, 0.9]], parents=["dog out"],
                       state_names={"2nd-var": ["<5", "12+"], "dog out": ["a&b", '"q"']}),
            TabularCPD("2nd_var", [0.5, 0.5])]
    bn = BayesianNetwork.from_cpds(cpds, name="my net")
    for fmt, (_, reader, formatter) in FORMATS.items():
        back = reader(formatter(bn))
        assert back.name == "my net", fmt
        assert_same_network(bn, back, same_order=fmt != "xdsl")
    with pytest.raises(ModelError, match="control characters"):
        format_xmlbif(BayesianNetwork.from_cpds([TabularCPD("a\x00", [1.0])]))


# ------------------------------------------------------------- malformed files
@pytest.fixture(scope="module")
def asia() -> BayesianNetwork:
    from pgm.examples import load

    return load("asia")


def _line_of(text: str, needle: str, nth: int = 0) -> int:
    pos = -1
    for _ in range(nth + 1):
        pos = text.index(needle, pos + 1)
    return text.count("\n", 0, pos) + 1


# (format, what, old, new, the text whose line the error must name, token expected)
MALFORMED = [
    ("xmlbif", "bad number", "<TABLE>0.01 0.99</TABLE>", "<TABLE>0.01 0.9x</TABLE>", "0.9x", "0.9x"),
    ("xmlbif", "nan", "<TABLE>0.01 0.99</TABLE>", "<TABLE>0.01 nan</TABLE>", "nan", "nan"),
    ("xmlbif", "wrong count", "<TABLE>0.01 0.99</TABLE>", "<TABLE>0.01</TABLE>", "<TABLE>0.01", None),
    ("xmlbif", "unknown parent", "<GIVEN>asia</GIVEN>", "<GIVEN>asai</GIVEN>", "asai", "asai"),
    ("xmlbif", "negative", "<TABLE>0.01 0.99</TABLE>", "<TABLE>-0.01 0.99</TABLE>", "-0.01", "-0.01"),
    ("xmlbif", "unclosed tag", "<OUTCOME>yes</OUTCOME>", "<OUTCOME>yes</OUTCOM>", "</OUTCOM>", None),
    ("net", "bad number", "(0.01 0.99)", "(0.01 0.9x)", "0.9x", "0.9x"),
    ("net", "1_0", "(0.01 0.99)", "(0.01 1_0)", "1_0", "1_0"),
    ("net", "wrong count", "(0.01 0.99)", "(0.01)", "(0.01)", "data"),
    ("net", "unknown parent", "(tub | asia)", "(tub | asai)", "(tub | asai)", "asai"),
    ("net", "unbalanced", "(0.01 0.99)", "((0.01 0.99)", "((0.01", "data"),
    ("net", "unterminated string", '"yes" "no");\n}\n\nnode tub', '"yes" "no);\n}\n\nnode tub',
     '"no);', '"'),
    ("xdsl", "bad number", "<probabilities>0.01 0.99<", "<probabilities>0.01 0.9x<", "0.9x", "0.9x"),
    ("xdsl", "wrong count", "<probabilities>0.01 0.99<", "<probabilities>0.01<", "0.01<", None),
    ("xdsl", "unknown parent", "<parents>asia<", "<parents>asai<", "asai", "asai"),
    ("xdsl", "state twice", '<state id="no" />', '<state id="yes" />', None, None),
]


@pytest.mark.parametrize("fmt,what,old,new,where,token", MALFORMED, ids=[f"{m[0]}-{m[1]}" for m in MALFORMED])
def test_malformed_files_name_the_line(asia, tmp_path, fmt, what, old, new, where, token) -> None:
    writer, reader, formatter = FORMATS[fmt]
    text = formatter(asia)
    assert old in text, (fmt, old)
    bad = text.replace(old, new, 1)
    path = tmp_path / f"bad.{fmt}"
    path.write_text(bad)
    with pytest.raises(ParseError) as info:
        reader(path)
    err = info.value
    assert err.path == str(path) and str(path) in str(err)
    if where is not None:
        assert err.line == _line_of(bad, where), str(err)
    else:
        assert err.line is not None and 1 <= err.line <= bad.count("\n") + 1
    if token is not None:
        assert err.token == token, str(err)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_truncated_files_are_parse_errors(asia, fmt) -> None:
    text = FORMATS[fmt][2](asia)
    for cut in (len(text) // 3, len(text) // 2, len(text) - 12):
        with pytest.raises(ParseError) as info:
            FORMATS[fmt][1](text[:cut] + ("\n" if fmt == "net" else ""))
        assert info.value.line is not None


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<BIF VERSION="0.3"><NETWORK><NAME>&lol9;</NAME></NETWORK></BIF>
"""


@pytest.mark.parametrize("reader", [read_xmlbif, read_xdsl])
def test_xml_bombs_and_entities_are_refused(reader, tmp_path) -> None:
    t0 = time.perf_counter()
    with pytest.raises(ParseError, match="DOCTYPE") as info:
        reader(BOMB)
    assert info.value.line == 2 and time.perf_counter() - t0 < 1
    external = '<!DOCTYPE x SYSTEM "file:///etc/passwd">\n<smile id="x"><nodes/></smile>'
    with pytest.raises(ParseError, match="DOCTYPE"):
        reader(external)
    with pytest.raises(ParseError, match="undefined entity") as info:
        reader('<smile id="x">\n<nodes>&lol;</nodes></smile>')
    assert info.value.line == 2
    # a gzipped bomb is refused the same way
    (tmp_path / "bomb.xml.gz").write_bytes(gzip.compress(BOMB.encode()))
    with pytest.raises(ParseError, match="DOCTYPE"):
        reader(tmp_path / "bomb.xml.gz")


def test_tables_over_the_memory_budget_are_refused(asia) -> None:
    names = [f"p{i}" for i in range(12)]
    cpds = [TabularCPD(p, [0.5, 0.5]) for p in names]
    cpds.append(TabularCPD("c", np.full((2,) * 12 + (2,), 0.5), parents=names))
    bn = BayesianNetwork.from_cpds(cpds)
    for _, reader, formatter in FORMATS.values():
        text = formatter(bn)
        with pytest.raises(MemoryBudgetError, match="'c'"):
            reader(text, memory_budget=20000)
        assert reader(text).get_cpd("c").values.shape == (2,) * 13


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_huge_table_without_its_numbers_is_a_parse_error(fmt) -> None:
    names = [f"p{i}" for i in range(3)]
    cpds = [TabularCPD(p, [0.5, 0.5]) for p in names]
    cpds.append(TabularCPD("c", np.full((2, 2, 2, 2), 0.5), parents=names))
    text = FORMATS[fmt][2](BayesianNetwork.from_cpds(cpds))
    # give "c" 64 binary parents: 2**65 numbers expected, 16 given
    more = [f"q{i}" for i in range(61)]
    if fmt == "xmlbif":
        text = text.replace("<GIVEN>p2</GIVEN>", "<GIVEN>p2</GIVEN>" + "".join(
            f"<GIVEN>{q}</GIVEN>" for q in more)).replace("</NETWORK>", "".join(
                f'<VARIABLE TYPE="nature"><NAME>{q}</NAME><OUTCOME>a</OUTCOME><OUTCOME>b'
                f"</OUTCOME></VARIABLE><DEFINITION><FOR>{q}</FOR><TABLE>0.5 0.5</TABLE>"
                "</DEFINITION>" for q in more) + "</NETWORK>")
    elif fmt == "net":
        text = text.replace("c | p0 p1 p2", "c | p0 p1 p2 " + " ".join(more)) + "".join(
            f'node {q} {{ states = ("a" "b"); }}\npotential ({q}) {{ data = (0.5 0.5); }}\n'
            for q in more)
    else:
        text = text.replace("<parents>p0 p1 p2</parents>", "<parents>p0 p1 p2 "
                            + " ".join(more) + "</parents>").replace("  <nodes>", "  <nodes>" + "".join(
                                f'<cpt id="{q}"><state id="a"/><state id="b"/><probabilities>0.5 '
                                "0.5</probabilities></cpt>" for q in more), 1)
    t0 = time.perf_counter()
    with pytest.raises(ParseError, match="expected 36893488147419103232"):
        FORMATS[fmt][1](text)
    assert time.perf_counter() - t0 < 2


@pytest.mark.parametrize("make", [
    lambda n: "potential (a) { data = (" + "1" * n + "x); }",
    lambda n: 'node a { label = "' + '\\"' * (n // 2) + "; }",
    lambda n: "potential (a) { data = " + "(" * n + "; }",
    lambda n: "potential (a) { data = (" + "0.1 " * (n // 4) + "}",
    lambda n: "% " * (n // 2),
], ids=["digits", "escapes", "parens", "no-semicolon", "comments"])
def test_net_tokenizing_is_linear(make) -> None:
    text = 'net { }\nnode a { states = ("y" "n"); }\n'
    times = []
    for n in (20000, 200000):
        t0 = time.perf_counter()
        with pytest.raises(ParseError):
            read_net(text + make(n))
        times.append(time.perf_counter() - t0)
    assert times[1] < 2.0, times


# ------------------------------------------------------------- dispatch, CLI
def test_load_and_save_dispatch_on_the_extension(asia, tmp_path) -> None:
    assert [model_format(f"m{e}") for e in (".bif", ".uai.gz", ".xmlbif", ".XML", ".net.gz",
                                             ".xdsl", ".txt")] == \
        ["bif", "uai", "xmlbif", "xmlbif", "net", "xdsl", None]
    for ext in (".bif", ".bif.gz", ".xmlbif", ".xml.gz", ".net", ".net.gz", ".xdsl", ".xdsl.gz"):
        save_model(asia, tmp_path / f"a{ext}")
        assert_same_network(asia, load_model(tmp_path / f"a{ext}"),
                            same_order=not ext.startswith(".xdsl"))
    with pytest.raises(ModelLoadError, match="unknown model format"):
        save_model(asia, tmp_path / "a.txt")
    with pytest.raises(ModelLoadError, match="no such file"):
        load_model(tmp_path / "missing.xdsl")
    from pgm.examples import load

    with pytest.raises(ModelError, match="FactorGraph"):
        save_model(load("misconception"), tmp_path / "m.net")


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_convert_round_trips_through_every_format(bif_dir, tmp_path, capsys) -> None:
    for name in ("asia", "child", "hailfinder"):
        src = bif_dir / f"{name}.bif.gz"
        chain = [str(src)] + [str(tmp_path / f"{name}{e}")
                              for e in (".xmlbif", ".net", ".xdsl.gz", ".bif")]
        for a, b in zip(chain, chain[1:]):
            code, out, err = _cli(capsys, "convert", a, b, "--json")
            data = json.loads(out)
            assert code == 0 and err == ""
            assert data == {"ok": True, "model": a, "out": b, "format": model_format(b),
                            "variables": len(_load(bif_dir, name))}
        back = read_bif(chain[-1])
        # the XDSL step put the variables in topological order
        assert_same_network(_load(bif_dir, name), back, same_order=False)
        assert back.name == _load(bif_dir, name).name


def test_convert_errors_are_one_line_exit_2(tmp_path, capsys) -> None:
    code, out, err = _cli(capsys, "convert", "asia", str(tmp_path / "a.xdsl"))
    assert code == 0 and "asia ->" in out and (tmp_path / "a.xdsl").is_file()
    for argv in (["asia", str(tmp_path / "a.txt")], ["misconception", str(tmp_path / "m.net")],
                 ["missing.net", str(tmp_path / "b.bif")], ["asia", str(tmp_path)]):
        code, out, err = _cli(capsys, "convert", *argv)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "pgm convert: error:" in err
    code, out, err = _cli(capsys, "convert", "asia", str(tmp_path / "a.dat"), "--format", "net",
                          "--json")
    assert code == 0 and json.loads(out)["format"] == "net"
    from pgm.examples import load

    assert_same_network(load("asia"), read_net(tmp_path / "a.dat"))
    code, out, err = _cli(capsys, "convert", str(tmp_path / "a.xdsl"), str(tmp_path / "b.net"),
                          "--json")
    assert code == 0
    bad = tmp_path / "bad.net"
    bad.write_text('node a { states = ("y" "n"); }\npotential (a) { data = (0.5 x); }\n')
    code, out, err = _cli(capsys, "convert", str(bad), str(tmp_path / "c.bif"), "--json")
    data = json.loads(out)
    assert code == 2 and data["ok"] is False and "line 2" in data["error"]
    assert not (tmp_path / "c.bif").exists()
