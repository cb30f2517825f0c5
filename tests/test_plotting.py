"""Pictures (issue 16): ``pgm.plotting`` and ``pgm draw``.

The drawings are checked on the artists they hold: every node is a patch with gid
``node:NAME``, every edge one with gid ``edge:U->V``, every posterior bar one with gid
``bar:NAME:i`` beside its full-width track ``track:NAME:i``.
"""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
from cli_helpers import run_cli
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

import pgm.plotting as P
from pgm import BayesianNetwork, Factor, FactorGraph, TabularCPD
from pgm.examples import asia_network, misconception_network, resolve_model
from pgm.exceptions import EvidenceError, ParameterError, UnknownVariableError
from pgm.files import new_figure, save_figure


def _patches(fig, prefix: str) -> dict:
    return {p.get_gid()[len(prefix):]: p for ax in fig.axes for p in ax.patches
            if (p.get_gid() or "").startswith(prefix)}


def _bar_fractions(fig, variable) -> np.ndarray:
    bars, tracks = _patches(fig, f"bar:{variable}:"), _patches(fig, f"track:{variable}:")
    return np.array([bars[str(i)].get_width() / tracks[str(i)].get_width()
                     for i in range(len(bars))])


def _random_network(n: int, seed: int = 0) -> BayesianNetwork:
    rng = np.random.default_rng(seed)
    card, cpds = {}, []
    for i in range(n):
        v = f"X{i}"
        card[v] = int(rng.integers(2, 4))
        parents = ([f"X{j}" for j in rng.choice(i, size=min(i, int(rng.integers(0, 4))),
                                                 replace=False)] if i else [])
        table = rng.dirichlet(np.ones(card[v]), size=tuple(card[p] for p in parents) or None)
        cpds.append(TabularCPD(v, table, parents=parents or None))
    return BayesianNetwork.from_cpds(cpds)


def _overlap(pos, size) -> bool:
    nodes = list(pos)
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            if (abs(pos[a][0] - pos[b][0]) < (size[a][0] + size[b][0]) / 2 - 1e-9
                    and abs(pos[a][1] - pos[b][1]) < (size[a][1] + size[b][1]) / 2 - 1e-9):
                return True
    return False


# ------------------------------------------------------------------ plot_network
def test_plot_network_draws_every_node_and_edge():
    bn = asia_network()
    fig = P.plot_network(bn)
    assert isinstance(fig, Figure)
    assert set(_patches(fig, "node:")) == set(bn.nodes)
    assert set(_patches(fig, "edge:")) == {f"{u}->{v}" for u, v in bn.edges}
    assert not fig.axes[0].get_legend()          # nothing highlighted: no legend


def test_evidence_and_query_colours_and_legend():
    fig = P.plot_network(asia_network(), evidence={"xray": "yes", "dysp": 0}, query="lung")
    nodes = _patches(fig, "node:")
    for v, kind in [("xray", "evidence"), ("dysp", "evidence"), ("lung", "query"),
                    ("asia", "other"), ("either", "other")]:
        assert nodes[v].get_facecolor() == to_rgba(P.NODE_COLORS[kind]), v
        assert nodes[v].get_edgecolor() == to_rgba(P.FRAME_COLORS[kind]), v
    legend = fig.axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["observed", "query", "other"]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "= yes" in texts                       # the observed state is shown


def test_factor_graph_and_methods():
    fg = misconception_network()
    fig = fg.plot(query=["A"])
    assert isinstance(fig, Figure)
    assert set(_patches(fig, "edge:")) == {f"{u}->{v}" for u, v in fg.markov_graph().edges}
    arrows = [p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("edge:")]
    assert {type(a.get_arrowstyle()).__name__ for a in arrows} == {"Curve"}    # no heads
    directed = _patches(asia_network().plot(), "edge:").values()
    assert {type(a.get_arrowstyle()).__name__ for a in directed} == {"CurveFilledB"}
    assert isinstance(asia_network().plot(layout="spring"), Figure)


def test_draws_into_a_given_axes():
    fig = new_figure((8, 4))
    ax1, ax2 = fig.subplots(1, 2)
    assert P.plot_network(asia_network(), ax=ax1, title="asia") is fig
    P.plot_network(misconception_network(), ax=ax2)
    assert ax1.get_title() == "asia" and _patches(fig, "node:lung")


@pytest.mark.parametrize("layout", [lay for lay in P.LAYOUTS] + ["dict"])
def test_every_layout_keeps_boxes_apart(layout):
    bn = resolve_model("alarm")
    g = nx.DiGraph(bn.edges)
    size = {n: (20.0 + 5 * len(str(n)), 18.0) for n in g}
    if layout == "dict":
        layout = nx.circular_layout(g)
    pos, used = P.network_layout(g, size, layout=layout)
    assert set(pos) == set(g) and not _overlap(pos, size)
    assert used in {"given", "dot", "layered", "kamada_kawai", "spring", "circular"}


def test_layered_layout_puts_parents_above_children():
    bn = resolve_model("alarm")
    g = nx.DiGraph(bn.edges)
    pos, used = P.network_layout(g, {n: (40.0, 18.0) for n in g}, layout="layered")
    assert used == "layered"
    assert all(pos[u][1] > pos[v][1] for u, v in g.edges)


def test_graphviz_failure_falls_back(monkeypatch):
    def broken(*args, **kwargs):
        raise FileNotFoundError("dot not found")

    monkeypatch.setattr(nx.nx_agraph, "graphviz_layout", broken)
    monkeypatch.setattr(nx.nx_pydot, "graphviz_layout", broken)
    g = nx.DiGraph([("a", "b"), ("b", "c")])
    assert P.network_layout(g, {n: (30.0, 18.0) for n in g}, layout="dot")[1] == "layered"
    assert P.network_layout(g.to_undirected(), {n: (30.0, 18.0) for n in g})[1] == "kamada_kawai"


def test_bad_arguments_are_pgm_errors():
    bn = asia_network()
    with pytest.raises(UnknownVariableError, match="nope"):
        P.plot_network(bn, query=["nope"])
    with pytest.raises(EvidenceError, match="maybe"):
        P.plot_network(bn, evidence={"xray": "maybe"})
    with pytest.raises(ParameterError, match="layout"):
        P.plot_network(bn, layout="grid")
    with pytest.raises(ParameterError, match="DAG"):
        P.plot_network(misconception_network(), layout="layered")
    with pytest.raises(ParameterError, match="figsize"):
        P.plot_network(bn, figsize=(0, 3))
    with pytest.raises(ParameterError, match="BayesianNetwork or a FactorGraph"):
        P.plot_network(nx.DiGraph())
    with pytest.raises(ParameterError, match="style"):
        P.plot_posteriors(bn, style="pie")


# ------------------------------------------------------------------ plot_posteriors
def test_bar_lengths_equal_the_given_posteriors():
    bn = asia_network()
    rng = np.random.default_rng(1)
    given = {v: rng.dirichlet(np.ones(bn.cardinality(v))) for v in bn.nodes if v != "asia"}
    fig = P.plot_posteriors(bn, given)
    for v, p in given.items():
        np.testing.assert_allclose(_bar_fractions(fig, v), p, atol=1e-12)
    assert not _patches(fig, "bar:asia:")        # left out: a plain box
    assert "asia" in _patches(fig, "node:")
    percents = {t.get_text() for t in fig.axes[0].texts}
    assert f"{100 * given['lung'][0]:.1f}%" in percents


def test_default_posteriors_equal_inference_marginals():
    from pgm.inference import marginals

    bn = asia_network()
    evidence = {"xray": "yes", "dysp": "yes"}
    fig = P.plot_posteriors(bn, evidence=evidence, query=["lung"])
    ref = marginals(bn, evidence=evidence)
    for v in bn.nodes:
        np.testing.assert_allclose(_bar_fractions(fig, v), ref[v], atol=1e-10)
    nodes = _patches(fig, "node:")
    assert nodes["xray"].get_edgecolor() == to_rgba(P.FRAME_COLORS["evidence"])
    assert nodes["lung"].get_edgecolor() == to_rgba(P.FRAME_COLORS["query"])
    assert _patches(fig, "header:")["xray"].get_facecolor() == to_rgba(
        P.NODE_COLORS["evidence"])
    full = _patches(fig, "bar:xray:")["0"]        # the observed state's bar is full, in red
    assert full.get_facecolor() == to_rgba(P.FRAME_COLORS["evidence"])


def test_default_posteriors_of_a_factor_graph():
    from pgm.inference import marginals

    fg = FactorGraph([Factor(["a", "b"], [2, 3], [[1, 2, 3], [4, 5, 6]]),
                      Factor(["b", "c"], [3, 2], [[1, 1], [2, 1], [1, 3]])])
    fig = P.plot_posteriors(fg, evidence={"c": 1})
    ref = marginals(fg, evidence={"c": 1})
    for v in "abc":
        np.testing.assert_allclose(_bar_fractions(fig, v), ref[v], atol=1e-10)


def test_posteriors_are_checked():
    bn = asia_network()
    with pytest.raises(ParameterError, match="2 states"):
        P.plot_posteriors(bn, {"lung": [0.2, 0.3, 0.5]})
    with pytest.raises(ParameterError, match="negative"):
        P.plot_posteriors(bn, {"lung": [1.5, -0.5]})
    with pytest.raises(UnknownVariableError, match="nope"):
        P.plot_posteriors(bn, {"nope": [0.5, 0.5]})


def test_large_networks_switch_to_entropy_colours(monkeypatch):
    bn = asia_network()
    monkeypatch.setattr(P, "MAX_BAR_NODES", 5)
    fig = P.plot_posteriors(bn, evidence={"xray": "yes"})
    assert not _patches(fig, "bar:")
    nodes = _patches(fig, "node:")
    assert nodes["xray"].get_facecolor() == to_rgba(P.NODE_COLORS["evidence"])
    certain = P.plot_posteriors(bn, {"lung": [1.0, 0.0], "tub": [0.5, 0.5]}, style="entropy")
    colours = _patches(certain, "node:")
    assert colours["lung"].get_facecolor() != colours["tub"].get_facecolor()
    assert len(certain.axes[0].child_axes) == 1   # the colour bar
    assert P.plot_posteriors(bn, style="bars") and _patches(
        P.plot_posteriors(bn, style="bars"), "bar:lung:")


def test_a_hundred_nodes_draw_and_save(tmp_path):
    bn = _random_network(100)
    fig = P.plot_posteriors(bn, evidence={"X99": 0})
    assert len(_patches(fig, "node:")) == 100 and not _patches(fig, "bar:")
    w, h = fig.get_size_inches()
    assert w <= P.MAX_FIGSIZE[0] + 1e-9 and h <= P.MAX_FIGSIZE[1] + 1e-9
    assert save_figure(fig, tmp_path / "big.png").read_bytes()[:4] == b"\x89PNG"
    assert len(_patches(P.plot_network(bn), "edge:")) == len(bn.edges)


# ------------------------------------------------------------------ pgm draw
@pytest.mark.parametrize("ext, magic", [("png", b"\x89PNG\r\n\x1a\n"), ("svg", b"<?xml"),
                                        ("pdf", b"%PDF")])
def test_pgm_draw_writes_each_format(capsys, tmp_path, ext, magic):
    out = tmp_path / f"asia.{ext}"
    code, stdout, err = run_cli(capsys, "draw", "asia", "-e", "xray=yes", "--query", "lung",
                                "-o", str(out))
    assert code == 0, err
    assert out.read_bytes().startswith(magic)
    assert str(out) in stdout


def test_pgm_draw_posteriors_json(capsys, tmp_path):
    out = tmp_path / "post.png"
    code, stdout, err = run_cli(capsys, "draw", "asia", "-e", "xray=yes", "-e", "dysp=yes",
                                "--posteriors", "--query", "lung,tub", "-o", str(out), "--json")
    assert code == 0, err
    data = json.loads(stdout)
    assert data["ok"] is True and data["out"] == str(out) and data["format"] == "png"
    assert data["evidence"] == {"xray": "yes", "dysp": "yes"}
    assert data["query"] == ["lung", "tub"] and data["style"] == "bars"
    assert out.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("argv, needle", [
    (["-o", "x.gif"], "'.gif'"),
    (["-o", "x"], "no extension"),
    (["--query", "nope", "-o", "x.png"], "'nope'"),
    (["-e", "nope=1", "-o", "x.png"], "'nope'"),
    (["--style", "bars", "-o", "x.png"], "--style"),
    (["--dpi", "0", "-o", "x.png"], "--dpi"),
])
def test_pgm_draw_errors_are_one_line(capsys, tmp_path, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run_cli(capsys, "draw", "asia", *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("pgm draw: error:")
    assert needle in err
    assert not list(tmp_path.iterdir())           # nothing written


def test_pgm_draw_error_json(capsys, tmp_path):
    code, stdout, _ = run_cli(capsys, "draw", "asia", "-o", str(tmp_path / "x.bmp"), "--json")
    assert code == 2 and json.loads(stdout)["ok"] is False
