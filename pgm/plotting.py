"""Pictures of models: the network, and the network with every node's posterior.

* :func:`plot_network` draws a :class:`~pgm.BayesianNetwork` (its DAG, with arrows) or a
  :class:`~pgm.FactorGraph` (its Markov graph), evidence and query variables coloured,
  with a legend; :meth:`BayesianNetwork.plot <pgm.BayesianNetwork.plot>` and
  :meth:`FactorGraph.plot <pgm.FactorGraph.plot>` call it.
* :func:`plot_posteriors` draws the network with each node as a small horizontal bar
  chart of its posterior (state names and percentages; in the style of pyAgrum's
  ``showInference``), observed nodes framed in red with the observed state's bar full.
  Beyond :data:`MAX_BAR_NODES` nodes the bars would be too small to read, so it draws
  the plain network with each node coloured by the normalized entropy of its posterior
  and labelled with its most probable state.  When no posteriors are given they are
  computed by the junction tree, pgm.inference's
  :class:`~pgm.inference.junction_tree.JunctionTree`, imported inside the function (this
  core module does not import pgm.inference at module level).

Nodes are boxes sized to their text.  The layout (``layout=``) is graphviz ``dot``
(through pygraphviz or pydot, when installed and the ``dot`` program runs; any failure
falls back), else a layered drawing for a DAG (layers by longest path from the roots,
Sugiyama-style barycentre ordering, long edges routed as curves between the boxes of
the layers they cross), and Kamada-Kawai (spring beyond 200 nodes) for an undirected
graph; ``"layered"``, ``"kamada_kawai"``, ``"spring"``, ``"circular"`` and a dict
``{node: (x, y)}`` ask for one.  The positions are spread so that no two boxes
overlap; the figure is sized to the drawing (at most :data:`MAX_FIGSIZE` inches) and
the fonts shrink when it is capped, or to fit a given ``ax`` or ``figsize``.

matplotlib is imported inside the functions; the figures come from
:func:`pgm.files.new_figure` (no pyplot state) and are written with
:func:`pgm.files.save_figure`.

Examples
--------
>>> from pgm.examples import asia_network
>>> fig = plot_network(asia_network(), evidence={"xray": "yes"}, query=["lung"])
>>> type(fig).__name__
'Figure'
>>> fig = plot_posteriors(asia_network(), evidence={"xray": "yes"})
>>> sorted(p.get_gid() for p in fig.axes[0].patches if p.get_gid() == "bar:lung:0")
['bar:lung:0']
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from pgm.evidence import model_variables, normalize_evidence, resolve_variable
from pgm.exceptions import EvidenceError, ParameterError, UnknownVariableError

__all__ = ["plot_network", "plot_posteriors", "network_layout", "LAYOUTS", "STYLES",
           "MAX_BAR_NODES", "MAX_FIGSIZE", "NODE_COLORS"]

#: the layouts ``layout=`` names (or give a dict ``{node: (x, y)}``)
LAYOUTS = ("auto", "dot", "layered", "kamada_kawai", "spring", "circular")

#: the styles of :func:`plot_posteriors`: bar charts, entropy colours, or bars up to
#: :data:`MAX_BAR_NODES` nodes
STYLES = ("auto", "bars", "entropy")

#: most nodes :func:`plot_posteriors` draws as bar charts with ``style="auto"``
MAX_BAR_NODES = 60

#: largest figure (inches) made when no ``figsize`` is given; fonts shrink beyond it
MAX_FIGSIZE = (30.0, 22.0)

#: fill colours of the nodes: observed, queried, other
NODE_COLORS = {"evidence": "#f6c3c3", "query": "#c9e8b8", "other": "#dde8f4"}

#: frame (and bar) colours of the nodes
FRAME_COLORS = {"evidence": "#a61c1c", "query": "#38761d", "other": "#3d5a80"}

_EDGE_COLOR = "#5f6b7a"
_BAR_COLOR = "#4a78b0"
_ENTROPY_CMAP = "YlGnBu"

# sizes in points at the natural scale (the data coordinates are points)
_FONT = 9.0          # node names in plot_network
_BAR_FONT = 7.0      # text of the bar charts
_BAR_WIDTH = 42.0    # full (100 %) bar
_MAX_STATE_CHARS = 14
_MAX_SCALE = 1.25    # largest magnification of the natural size


# ------------------------------------------------------------------ text metrics
def _text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of ``text`` at font ``size`` (matplotlib's own metrics)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(size=size, weight="bold" if bold else "normal")
    return float(TextToPath().get_text_width_height_descent(text, prop, ismath=False)[0])


def _plain(text: Any) -> str:
    """``text`` as a label matplotlib shows as written (no mathtext)."""
    return str(text).replace("$", r"\$")


def _short(text: str, limit: int = _MAX_STATE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------ model side
def _graph(model: Any) -> tuple[nx.Graph, bool]:
    """The graph to draw (a copy) and whether it is directed."""
    if hasattr(model, "markov_graph") and not hasattr(model, "get_cpd"):
        g = nx.Graph()
        g.add_nodes_from(model.variables)
        g.add_edges_from(model.markov_graph().edges)
        return g, False
    if hasattr(model, "get_cpd"):
        g = nx.DiGraph()
        g.add_nodes_from(model.nodes)
        g.add_edges_from(model.edges)
        return g, True
    raise ParameterError(f"cannot draw a {type(model).__name__}; give a BayesianNetwork or a "
                         "FactorGraph")


def _query(model: Any, query: Any) -> list[Hashable]:
    """The query variables, each resolved (an unknown one is an UnknownVariableError)."""
    if query is None:
        return []
    if isinstance(query, str) or not isinstance(query, Iterable):
        query = [query]
    variables = model_variables(model)
    out = []
    for q in query:
        try:
            out.append(resolve_variable(model, q, variables))
        except EvidenceError:
            raise UnknownVariableError(f"query names unknown variable {q!r} (the model has "
                                       f"{len(variables)} variables)") from None
    return list(dict.fromkeys(out))


def _kinds(graph: nx.Graph, evidence: Mapping, query: list) -> dict[Hashable, str]:
    return {v: "evidence" if v in evidence else "query" if v in query else "other"
            for v in graph}


# ------------------------------------------------------------------ layouts
@dataclass
class _Drawing:
    """Box centres and sizes (points) and the polyline of every edge."""

    pos: dict[Hashable, tuple[float, float]]
    size: dict[Hashable, tuple[float, float]]
    paths: dict[tuple, list[tuple[float, float]]] = field(default_factory=dict)
    layout: str = ""

    def extent(self) -> tuple[float, float, float, float]:
        xs = [x for n, (x, _) in self.pos.items() for x in
              (x - self.size[n][0] / 2, x + self.size[n][0] / 2)]
        ys = [y for n, (_, y) in self.pos.items() for y in
              (y - self.size[n][1] / 2, y + self.size[n][1] / 2)]
        for path in self.paths.values():
            xs += [p[0] for p in path]
            ys += [p[1] for p in path]
        if not xs:
            return 0.0, 1.0, 0.0, 1.0
        return min(xs), max(xs), min(ys), max(ys)


def _isotonic(t: list[float]) -> list[float]:
    """The non-decreasing sequence closest to ``t`` in least squares (pool adjacent
    violators)."""
    blocks: list[list[float]] = []
    for v in t:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    out: list[float] = []
    for s, c in blocks:
        out += [s / c] * int(c)
    return out


def _crossings(order_a: list, order_b: list, edges: list[tuple]) -> int:
    """Edge crossings between two adjacent layers."""
    ia = {n: i for i, n in enumerate(order_a)}
    ib = {n: i for i, n in enumerate(order_b)}
    pairs = np.array([(ia[u], ib[v]) for u, v in edges if u in ia and v in ib], dtype=float)
    if len(pairs) < 2:
        return 0
    du = pairs[:, 0][:, None] - pairs[:, 0][None, :]
    dv = pairs[:, 1][:, None] - pairs[:, 1][None, :]
    return int(np.sum(du * dv < 0) // 2)


def _layered(graph: nx.DiGraph, size: dict, gap_x: float, gap_y: float) -> _Drawing:
    """A Sugiyama-style layered drawing of a DAG: roots on top."""
    layer: dict[Hashable, int] = {}
    topo = list(nx.topological_sort(graph))
    for v in topo:
        layer[v] = max((layer[p] + 1 for p in graph.predecessors(v)), default=0)
    for v in reversed(topo):             # a root sits just above its nearest child
        if graph.in_degree(v) == 0 and graph.out_degree(v):
            layer[v] = min(layer[c] for c in graph.successors(v)) - 1
    # dummy nodes along edges that span several layers
    chains: dict[tuple, list] = {}
    g = nx.DiGraph()
    g.add_nodes_from(graph)
    dummy_w = max(4.0, gap_x / 2)
    sizes = dict(size)
    for u, v in graph.edges:
        chain = [u]
        for k in range(layer[u] + 1, layer[v]):
            d = ("__pgm_dummy__", u, v, k)
            layer[d] = k
            sizes[d] = (dummy_w, 0.0)
            chain.append(d)
        chain.append(v)
        chains[(u, v)] = chain
        nx.add_path(g, chain)
    depth = max(layer.values(), default=0) + 1
    layers: list[list] = [[] for _ in range(depth)]
    for n in list(graph) + [d for d in g if d not in graph]:
        layers[layer[n]].append(n)
    seg = [list(g.edges)]

    def total_crossings(ls):
        return sum(_crossings(ls[i], ls[i + 1], seg[0]) for i in range(len(ls) - 1))

    best, best_c = [list(x) for x in layers], total_crossings(layers)
    for sweep in range(16):
        down = sweep % 2 == 0
        rng = range(1, depth) if down else range(depth - 2, -1, -1)
        for i in rng:
            ref = {n: j for j, n in enumerate(layers[i - 1 if down else i + 1])}
            cur = {n: j for j, n in enumerate(layers[i])}

            def key(n, ref=ref, cur=cur, down=down):
                nb = [ref[m] for m in (g.predecessors(n) if down else g.successors(n)) if m in ref]
                return (float(np.mean(nb)) if nb else cur[n] * len(ref) / max(len(cur), 1),
                        cur[n])
            layers[i].sort(key=key)
        c = total_crossings(layers)
        if c < best_c:
            best, best_c = [list(x) for x in layers], c
    layers = best
    # x: packed, then pulled towards the neighbours (least squares, order and spacing kept)
    x: dict = {}
    for ls in layers:
        widths = [sizes[n][0] for n in ls]
        total = sum(widths) + gap_x * (len(ls) - 1)
        left = -total / 2
        for n, w in zip(ls, widths):
            x[n] = left + w / 2
            left += w + gap_x
    for sweep in range(8):
        rng = range(depth) if sweep % 2 == 0 else range(depth - 1, -1, -1)
        for i in rng:
            ls = layers[i]
            target = []
            for n in ls:
                nb = [x[m] for m in list(g.predecessors(n)) + list(g.successors(n))]
                target.append(0.5 * x[n] + 0.5 * float(np.mean(nb)) if nb else x[n])
            offsets = [0.0]
            for a, b in zip(ls, ls[1:]):
                offsets.append(offsets[-1] + (sizes[a][0] + sizes[b][0]) / 2 + gap_x)
            y = _isotonic([t - o for t, o in zip(target, offsets)])
            for n, yy, o in zip(ls, y, offsets):
                x[n] = yy + o
    # y: each layer as tall as its tallest box, roots on top
    pos: dict = {}
    top = 0.0
    for ls in layers:
        h = max((sizes[n][1] for n in ls), default=0.0)
        for n in ls:
            pos[n] = (x[n], top - h / 2)
        top -= h + gap_y
    paths = {e: [pos[n] for n in chain] for e, chain in chains.items()}
    return _Drawing({n: pos[n] for n in graph}, dict(size), paths, "layered")


def _graphviz(graph: nx.Graph, size: dict) -> dict | None:
    """``dot`` positions (points) through pygraphviz or pydot, or None when neither works."""
    import warnings

    g = nx.DiGraph() if graph.is_directed() else nx.Graph()
    names = {n: f"n{i}" for i, n in enumerate(graph)}      # names every dot file accepts
    for n in graph:
        w, h = size[n]
        g.add_node(names[n], width=f"{w / 72:.3f}", height=f"{h / 72:.3f}", shape="box",
                   fixedsize="true", label="")
    g.add_edges_from((names[u], names[v]) for u, v in graph.edges)
    prog = "dot" if graph.is_directed() else "neato"
    for layout in ("nx_agraph", "nx_pydot"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pos = getattr(nx, layout).graphviz_layout(g, prog=prog)
        except Exception:  # not installed, the dot program missing or failing
            continue
        back = {v: k for k, v in names.items()}
        if pos and len(pos) == len(g):
            return {back[k]: (float(p[0]), float(p[1])) for k, p in pos.items()}
    return None


def _spread(raw: Mapping, size: dict, pad: float, minimum: float = 0.0) -> dict:
    """``raw`` positions scaled uniformly so that no two boxes overlap (at least ``pad``
    apart along x or y), centred on 0."""
    nodes = list(raw)
    if not nodes:
        return {}
    p = np.array([raw[n] for n in nodes], dtype=float)
    p -= p.mean(axis=0)
    if len(nodes) == 1:
        return {nodes[0]: (0.0, 0.0)}
    w = np.array([size[n][0] for n in nodes])
    h = np.array([size[n][1] for n in nodes])
    dx = np.abs(p[:, None, 0] - p[None, :, 0])
    dy = np.abs(p[:, None, 1] - p[None, :, 1])
    rx = (w[:, None] + w[None, :]) / 2 + pad
    ry = (h[:, None] + h[None, :]) / 2 + pad
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.minimum(np.where(dx > 0, rx / dx, np.inf), np.where(dy > 0, ry / dy, np.inf))
    np.fill_diagonal(need, 0.0)
    finite = need[np.isfinite(need)]
    s = max(float(finite.max()) if finite.size else 1.0, minimum, 1e-9)
    if not np.isfinite(need).all():     # coincident points: nudge them apart
        p += np.random.default_rng(0).normal(scale=1e-3 * (np.ptp(p) or 1.0), size=p.shape)
        return _spread({n: tuple(q) for n, q in zip(nodes, p)}, size, pad, minimum)
    return {n: (float(q[0] * s), float(q[1] * s)) for n, q in zip(nodes, p)}


def network_layout(graph: nx.Graph, size: Mapping[Hashable, tuple[float, float]], *,
                   layout: Any = "auto", gap: float = 12.0) -> tuple[dict, str]:
    """Box centres ``{node: (x, y)}`` (points, y up) for boxes of ``size`` ``{node: (w, h)}``
    (points) and the name of the layout used.

    ``layout`` is one of :data:`LAYOUTS` or a dict ``{node: (x, y)}`` (scaled so that
    the boxes do not overlap).  ``"auto"`` is ``dot`` when graphviz runs, else
    ``"layered"`` for a DAG and ``"kamada_kawai"`` (``"spring"`` beyond 200 nodes) for
    an undirected graph.

    Examples
    --------
    >>> g = nx.DiGraph([("a", "b"), ("a", "c")])
    >>> pos, used = network_layout(g, {n: (30.0, 18.0) for n in g}, layout="layered")
    >>> used, pos["a"][1] > pos["b"][1] == pos["c"][1]
    ('layered', True)
    """
    drawing = _layout(graph, dict(size), layout, gap)
    return drawing.pos, drawing.layout


def _layout(graph: nx.Graph, size: dict, layout: Any, gap: float) -> _Drawing:
    from pgm.validation import check_choice

    if isinstance(layout, Mapping):
        missing = [n for n in graph if n not in layout]
        if missing:
            raise ParameterError(f"layout gives no position for {missing[0]!r}")
        try:
            raw = {n: (float(layout[n][0]), float(layout[n][1])) for n in graph}
        except (TypeError, ValueError, IndexError):
            raise ParameterError("a layout dict maps each node to (x, y)") from None
        return _Drawing(_spread(raw, size, gap), size, layout="given")
    check_choice("layout", layout, LAYOUTS)
    directed = graph.is_directed()
    if layout in ("auto", "dot"):
        pos = _graphviz(graph, size) if len(graph) > 1 else None
        if pos is not None:
            return _Drawing(_spread(pos, size, gap / 2, minimum=1.0), size, layout="dot")
        layout = "layered" if directed else ("kamada_kawai" if len(graph) <= 200 else "spring")
    if layout == "layered":
        if not directed or not nx.is_directed_acyclic_graph(graph):
            raise ParameterError("layout 'layered' needs a DAG; use 'kamada_kawai' or 'spring'")
        return _layered(graph, size, gap, 2.2 * gap)
    und = graph.to_undirected() if directed else graph
    if len(graph) <= 1:
        raw = {n: (0.0, 0.0) for n in graph}
    elif layout == "circular":
        raw = nx.circular_layout(und)
    elif layout == "kamada_kawai":
        raw = nx.kamada_kawai_layout(und)
    else:
        raw = nx.spring_layout(und, seed=0)
    return _Drawing(_spread(raw, size, 2 * gap), size, layout=layout)


# ------------------------------------------------------------------ drawing
def _clip(center: tuple, size: tuple, toward: tuple) -> tuple[float, float]:
    """Where the segment from a box's ``center`` to ``toward`` leaves the box."""
    cx, cy = center
    dx, dy = toward[0] - cx, toward[1] - cy
    hw, hh = size[0] / 2 + 1.0, size[1] / 2 + 1.0
    t = min(hw / abs(dx) if dx else math.inf, hh / abs(dy) if dy else math.inf)
    if not math.isfinite(t) or t >= 1:
        return center
    return cx + t * dx, cy + t * dy


def _edge_path(points: list[tuple]):
    """A smooth path through ``points`` (quadratic Bézier pieces between midpoints)."""
    from matplotlib.path import Path

    verts, codes = [points[0]], [Path.MOVETO]
    if len(points) == 2:
        verts.append(points[1])
        codes.append(Path.LINETO)
        return Path(verts, codes)
    for i in range(1, len(points) - 1):
        end = points[-1] if i == len(points) - 2 else (
            (points[i][0] + points[i + 1][0]) / 2, (points[i][1] + points[i + 1][1]) / 2)
        verts += [points[i], end]
        codes += [Path.CURVE3, Path.CURVE3]
    return Path(verts, codes)


def _draw_edges(ax, graph: nx.Graph, drawing: _Drawing, directed: bool, scale: float) -> None:
    from matplotlib.patches import FancyArrowPatch

    for u, v in graph.edges:
        pts = list(drawing.paths.get((u, v)) or [drawing.pos[u], drawing.pos[v]])
        if len(pts) < 2 or pts[0] == pts[-1]:
            continue
        pts[0] = _clip(drawing.pos[u], drawing.size[u], pts[1])
        pts[-1] = _clip(drawing.pos[v], drawing.size[v], pts[-2])
        ax.add_patch(FancyArrowPatch(
            path=_edge_path(pts), arrowstyle="-|>" if directed else "-",
            mutation_scale=9 * scale, linewidth=0.9 * scale, color=_EDGE_COLOR,
            shrinkA=0, shrinkB=0, zorder=1, gid=f"edge:{u}->{v}"))


def _box(ax, center: tuple, size: tuple, *, facecolor: str, edgecolor: str, linewidth: float,
         gid: str, zorder: float = 2):
    from matplotlib.patches import FancyBboxPatch

    w, h = size
    r = min(h / 2, 5.0)
    patch = FancyBboxPatch((center[0] - w / 2, center[1] - h / 2), w, h,
                           boxstyle=f"round,pad=0,rounding_size={r:.3f}", facecolor=facecolor,
                           edgecolor=edgecolor, linewidth=linewidth, zorder=zorder, gid=gid)
    ax.add_patch(patch)
    return patch


def _canvas(ax, figsize, extent: tuple, *, title: str | None, legend: bool,
            colorbar: bool = False):
    """The axes to draw into (a new figure sized to ``extent`` when ``ax`` is None) and the
    scale of fonts and line widths (1 at the natural size)."""
    from pgm.files import new_figure

    x0, x1, y0, y1 = extent
    margin = 8.0
    w_pt, h_pt = (x1 - x0) + 2 * margin, (y1 - y0) + 2 * margin
    extra_h = (0.4 if title else 0.0) + (0.45 if legend else 0.0) + (0.7 if colorbar else 0.0)
    if ax is None:
        if figsize is None:
            natural = (w_pt / 72 + 0.3, h_pt / 72 + 0.3 + extra_h)
            f = min(1.0, MAX_FIGSIZE[0] / natural[0], MAX_FIGSIZE[1] / natural[1])
            figsize = (max(natural[0] * f, 3.0), max(natural[1] * f, 2.0))
        else:
            figsize = _check_figsize(figsize)
        fig = new_figure(figsize)
        ax = fig.add_subplot()
        avail_w, avail_h = figsize[0] - 0.3, figsize[1] - 0.3 - extra_h
    else:
        fig = ax.figure
        if figsize is not None:
            fig.set_size_inches(*_check_figsize(figsize))
        box = ax.get_position()
        fw, fh = fig.get_size_inches()
        avail_w, avail_h = box.width * fw, box.height * fh - extra_h
    avail_w, avail_h = max(avail_w, 0.5) * 72, max(avail_h, 0.5) * 72
    scale = min(avail_w / w_pt, avail_h / h_pt)
    if scale > _MAX_SCALE:       # a small graph in a large frame: keep the text its size
        scale = _MAX_SCALE
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w, half_h = avail_w / scale / 2, avail_h / scale / 2
    ax.set_xlim(cx - half_w, cx + half_w)
    ax.set_ylim(cy - half_h, cy + half_h)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=max(min(11.0, 11.0 * max(scale, 0.6)), 6.0))
    return fig, ax, scale


def _check_figsize(figsize) -> tuple[float, float]:
    try:
        w, h = (float(v) for v in figsize)
    except (TypeError, ValueError):
        raise ParameterError(f"figsize must be (width, height) in inches, got {figsize!r}") from None
    if not (w > 0 and h > 0 and math.isfinite(w) and math.isfinite(h)):
        raise ParameterError(f"figsize must be two positive numbers, got {figsize!r}")
    return w, h


def _legend(ax, kinds: dict, scale: float, evidence_label: str = "observed",
            where: str = "center") -> None:
    from matplotlib.patches import Patch

    present = set(kinds.values())
    if not present & {"evidence", "query"}:
        return
    words = {"evidence": evidence_label, "query": "query", "other": "other"}
    handles = [Patch(facecolor=NODE_COLORS[k], edgecolor=FRAME_COLORS[k], label=words[k])
               for k in ("evidence", "query", "other") if k in present]
    ax.legend(handles=handles, loc=f"upper {where}", bbox_to_anchor=(0.5 * (where == "center"), 0.0),
              ncol=len(handles),
              frameon=False, fontsize=max(min(9.0, 9.0 * scale), 5.0), handlelength=1.5)


def _title(model: Any, default: str | None) -> str | None:
    name = getattr(model, "name", None)
    return default if default is not None else (str(name) if name else None)


def plot_network(model: Any, *, evidence: Mapping[Any, Any] | None = None,
                 query: Any = None, layout: Any = "auto", ax: Any = None,
                 figsize: tuple[float, float] | None = None, title: str | None = None):
    """Draw a Bayesian network (its DAG) or a factor graph (its Markov graph).

    Parameters
    ----------
    model : BayesianNetwork or FactorGraph
    evidence : dict, optional
        ``{variable: state}`` (names or indices): these nodes are filled red and show
        their observed state.
    query : variable or list of variables, optional
        Nodes filled green.
    layout : str or dict, default "auto"
        One of :data:`LAYOUTS` or ``{node: (x, y)}``; see :func:`network_layout`.
    ax : matplotlib Axes, optional
        Draw into it (the fonts are fitted to its size); else a new figure
        (:func:`pgm.files.new_figure`) sized to the drawing.
    figsize : (width, height), optional
        Size of the figure in inches (default: fitted to the drawing).
    title : str, optional
        Title (default the model's ``name``, if any).

    Returns
    -------
    matplotlib.figure.Figure
        Write it with :func:`pgm.files.save_figure`.  Every node is a patch with gid
        ``"node:NAME"`` and every edge one with gid ``"edge:U->V"``.

    Raises
    ------
    EvidenceError
        Evidence naming an unknown variable or state.
    UnknownVariableError
        A query variable the model lacks.
    ParameterError
        An unknown layout or a bad ``figsize``.

    Examples
    --------
    >>> from pgm.examples import sprinkler_network
    >>> fig = plot_network(sprinkler_network(), evidence={"rain": 1})
    >>> node = [p for p in fig.axes[0].patches if p.get_gid() == "node:rain"][0]
    >>> node.get_facecolor() == __import__("matplotlib").colors.to_rgba(NODE_COLORS["evidence"])
    True
    """
    graph, directed = _graph(model)
    ev = normalize_evidence(model, evidence)
    kinds = _kinds(graph, ev, _query(model, query))
    labels: dict[Hashable, list[str]] = {}
    size: dict[Hashable, tuple[float, float]] = {}
    for v in graph:
        lines = [_plain(v)]
        if v in ev:
            lines.append("= " + _plain(_short(str(model.state_names(v)[ev[v]]))))
        labels[v] = lines
        w = max(_text_width(s, _FONT, bold=(i == 0)) for i, s in enumerate(lines))
        size[v] = (w + 12.0, 1.35 * _FONT * len(lines) + 7.0)
    drawing = _layout(graph, size, layout, gap=12.0)
    fig, ax, scale = _canvas(ax, figsize, drawing.extent(), title=_title(model, title),
                             legend=any(k != "other" for k in kinds.values()))
    _draw_edges(ax, graph, drawing, directed, scale)
    for v in graph:
        k = kinds[v]
        _box(ax, drawing.pos[v], size[v], facecolor=NODE_COLORS[k], edgecolor=FRAME_COLORS[k],
             linewidth=(1.6 if k != "other" else 0.9) * scale, gid=f"node:{v}")
        x, y = drawing.pos[v]
        lines = labels[v]
        step = 1.35 * _FONT
        for i, s in enumerate(lines):
            yy = y + (len(lines) - 1) * step / 2 - i * step
            ax.text(x, yy, s, ha="center", va="center", fontsize=_FONT * scale,
                    fontweight="bold" if i == 0 and k != "other" else "normal", zorder=3,
                    color="#1d1d1d")
    _legend(ax, kinds, scale)
    return fig


# ------------------------------------------------------------------ posteriors
def _posteriors(model: Any, posteriors: Any, evidence: Mapping, graph: nx.Graph) -> dict:
    """``{variable: probability array}`` for every node, computed when not given."""
    if posteriors is None:
        from pgm.inference.junction_tree import JunctionTree

        return dict(JunctionTree(model).marginals(evidence))
    if not isinstance(posteriors, Mapping):
        raise ParameterError(f"posteriors must be a dict {{variable: probabilities}}, got "
                             f"{type(posteriors).__name__}")
    variables = list(graph)
    out = {}
    for key, p in posteriors.items():
        try:
            v = resolve_variable(model, key, variables)
        except EvidenceError:
            raise UnknownVariableError(f"posteriors name unknown variable {key!r}") from None
        a = np.asarray(p, dtype=float).ravel()
        card = int(model.cardinality(v))
        if a.shape != (card,):
            raise ParameterError(f"the posterior of {v!r} has {a.size} entries; {v!r} has "
                                 f"{card} states")
        if not np.isfinite(a).all() or (a < 0).any():
            raise ParameterError(f"the posterior of {v!r} holds negative or non-finite values")
        out[v] = a
    return out


def _entropy(p: np.ndarray) -> float:
    """Entropy of ``p`` over the log of its number of states (0 certain, 1 uniform)."""
    p = p / p.sum() if p.sum() > 0 else np.full(len(p), 1 / len(p))
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum() / math.log(len(p))) if len(p) > 1 else 0.0


def plot_posteriors(model: Any, posteriors: Mapping[Any, Any] | None = None,
                    evidence: Mapping[Any, Any] | None = None, *, query: Any = None,
                    style: str = "auto", layout: Any = "auto", ax: Any = None,
                    figsize: tuple[float, float] | None = None, title: str | None = None):
    """Draw the network with every node's posterior as a small bar chart.

    Each node is a box: its name on top, then one row per state with the state's name,
    a bar as long as its probability and the percentage.  Observed nodes are framed
    in red, their observed state's bar full; query nodes get a green header.

    Parameters
    ----------
    model : BayesianNetwork or FactorGraph
    posteriors : dict, optional
        ``{variable: probabilities}`` (e.g. a :class:`~pgm.results.Marginals`); variables
        left out are drawn as plain boxes.  Default: every variable's posterior given
        ``evidence``, by the junction tree (pgm.inference, imported here).
    evidence : dict, optional
        ``{variable: state}``: the observed nodes.
    query : variable or list, optional
        Nodes to highlight.
    style : {"auto", "bars", "entropy"}
        ``"entropy"`` draws plain boxes coloured by the normalized entropy of the
        posterior (0 certain, 1 uniform), each labelled with its most probable state;
        ``"auto"`` (default) draws bars up to :data:`MAX_BAR_NODES` nodes and entropy
        colours beyond, where bar charts become too small to read.
    layout, ax, figsize, title
        As in :func:`plot_network`.

    Returns
    -------
    matplotlib.figure.Figure
        Each node's frame is a patch with gid ``"node:NAME"``; each bar one with gid
        ``"bar:NAME:i"`` (state ``i``) whose width is the probability times the width of
        the bar's background (gid ``"track:NAME:i"``).

    Examples
    --------
    >>> from pgm.examples import sprinkler_network
    >>> fig = plot_posteriors(sprinkler_network(), {"rain": [0.25, 0.75]})
    >>> bars = {p.get_gid(): p for p in fig.axes[0].patches}
    >>> round(bars["bar:rain:1"].get_width() / bars["track:rain:1"].get_width(), 6)
    0.75
    """
    from pgm.validation import check_choice

    check_choice("style", style, STYLES)
    graph, directed = _graph(model)
    ev = normalize_evidence(model, evidence)
    kinds = _kinds(graph, ev, _query(model, query))
    post = _posteriors(model, posteriors, ev, graph)
    if style == "entropy" or (style == "auto" and len(graph) > MAX_BAR_NODES):
        return _plot_entropy(model, graph, directed, post, ev, kinds, layout, ax, figsize,
                             _title(model, title))
    font = _BAR_FONT
    row = 1.32 * font
    head = 1.55 * font
    pad = 3.0
    pct_w = _text_width("100.0%", font)
    states = {v: [_plain(_short(str(s))) for s in model.state_names(v)] for v in graph}
    size = {}
    for v in graph:
        name_w = _text_width(_plain(v), font + 0.5, bold=True)
        if v in post:
            state_w = max(_text_width(s, font) for s in states[v])
            w = max(name_w + 2 * pad, pad + state_w + 3 + _BAR_WIDTH + 3 + pct_w + pad + 1)
            h = head + row * len(states[v]) + pad
        else:
            w, h = name_w + 2 * pad, head + pad
        size[v] = (w, h)
    drawing = _layout(graph, size, layout, gap=14.0)
    fig, ax, scale = _canvas(ax, figsize, drawing.extent(), title=_title(model, title),
                             legend=any(k != "other" for k in kinds.values()))
    _draw_edges(ax, graph, drawing, directed, scale)
    from matplotlib.patches import Rectangle

    for v in graph:
        k = kinds[v]
        (x, y), (w, h) = drawing.pos[v], size[v]
        left, top = x - w / 2, y + h / 2
        lw = (1.8 if k == "evidence" else 1.3 if k == "query" else 0.8) * scale
        node = _box(ax, (x, y), (w, h), facecolor="white", edgecolor=FRAME_COLORS[k],
                    linewidth=lw, gid=f"node:{v}")
        header = Rectangle((left, top - head), w, head, facecolor=NODE_COLORS[k],
                           edgecolor="none", zorder=2.1, gid=f"header:{v}")
        ax.add_patch(header)
        header.set_clip_path(node)
        _box(ax, (x, y), (w, h), facecolor="none", edgecolor=FRAME_COLORS[k], linewidth=lw,
             gid=None, zorder=2.6).set_fill(False)
        ax.text(x, top - head / 2, _plain(v), ha="center", va="center", zorder=3,
                fontsize=(font + 0.5) * scale, fontweight="bold", color="#1d1d1d")
        if v not in post:
            continue
        p = post[v]
        width = max(_text_width(s, font) for s in states[v])
        bar_left = left + pad + width + 3
        color = FRAME_COLORS["evidence"] if k == "evidence" else _BAR_COLOR
        for i, (s, q) in enumerate(zip(states[v], p)):
            cy = top - head - row * (i + 0.5) - pad / 3
            observed = k == "evidence" and ev[v] == i
            ax.text(left + pad, cy, s, ha="left", va="center", fontsize=font * scale,
                    zorder=3, color="#1d1d1d", fontweight="bold" if observed else "normal")
            bh = 0.72 * row
            ax.add_patch(Rectangle((bar_left, cy - bh / 2), _BAR_WIDTH, bh, facecolor="#eef1f5",
                                   edgecolor="none", zorder=2.2, gid=f"track:{v}:{i}"))
            ax.add_patch(Rectangle((bar_left, cy - bh / 2), _BAR_WIDTH * float(q), bh,
                                   facecolor=color, edgecolor="none", zorder=2.3,
                                   gid=f"bar:{v}:{i}"))
            ax.text(bar_left + _BAR_WIDTH + 3, cy, f"{100 * float(q):.1f}%", ha="left",
                    va="center", fontsize=font * scale, zorder=3, color="#1d1d1d")
    _legend(ax, kinds, scale)
    return fig


def _plot_entropy(model, graph, directed, post, ev, kinds, layout, ax, figsize, title):
    """The network, each node coloured by the normalized entropy of its posterior."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize, to_hex, to_rgb

    cmap = colormaps[_ENTROPY_CMAP]
    labels, size, fill = {}, {}, {}
    for v in graph:
        lines = [_plain(v)]
        if v in ev:
            lines.append("= " + _plain(_short(str(model.state_names(v)[ev[v]]))))
            fill[v] = NODE_COLORS["evidence"]
        elif v in post:
            p = post[v]
            j = int(np.argmax(p))
            total = float(p.sum()) or 1.0
            lines.append(f"{_plain(_short(str(model.state_names(v)[j])))}: "
                         f"{100 * float(p[j]) / total:.0f}%")
            fill[v] = to_hex(cmap(0.08 + 0.72 * _entropy(p)))
        else:
            fill[v] = "#ffffff"
        labels[v] = lines
        w = max(_text_width(s, _FONT, bold=(i == 0)) for i, s in enumerate(lines))
        size[v] = (w + 10.0, 1.3 * _FONT * len(lines) + 6.0)
    drawing = _layout(graph, size, layout, gap=12.0)
    fig, ax, scale = _canvas(ax, figsize, drawing.extent(), title=title,
                             legend=any(k != "other" for k in kinds.values()), colorbar=True)
    _draw_edges(ax, graph, drawing, directed, scale)
    for v in graph:
        k = kinds[v]
        _box(ax, drawing.pos[v], size[v], facecolor=fill[v], edgecolor=FRAME_COLORS[k],
             linewidth=(1.8 if k != "other" else 0.7) * scale, gid=f"node:{v}")
        r, g, b = to_rgb(fill[v])
        ink = "#1d1d1d" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
        x, y = drawing.pos[v]
        step = 1.3 * _FONT
        for i, s in enumerate(labels[v]):
            ax.text(x, y + (len(labels[v]) - 1) * step / 2 - i * step, s, ha="center",
                    va="center", fontsize=_FONT * scale, zorder=3, color=ink,
                    fontweight="bold" if i == 0 else "normal")
    from matplotlib.colors import LinearSegmentedColormap

    shown = LinearSegmentedColormap.from_list(
        "pgm_entropy", [cmap(0.08 + 0.72 * t) for t in np.linspace(0, 1, 64)])
    sm = ScalarMappable(norm=Normalize(0.0, 1.0), cmap=shown)
    ax.apply_aspect()
    height = ax.get_position().height * fig.get_size_inches()[1]
    cax = ax.inset_axes([0.58, -(0.16 + 0.1) / height, 0.4, 0.1 / height])
    cb = fig.colorbar(sm, cax=cax, orientation="horizontal")
    cb.set_label("posterior entropy / log(number of states): 0 certain, 1 uniform",
                 fontsize=max(min(9.0, 9.0 * scale), 6.0))
    cb.ax.tick_params(labelsize=max(min(8.0, 8.0 * scale), 5.0))
    _legend(ax, kinds, scale, where="left")
    return fig
