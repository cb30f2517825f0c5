"""Markov-blanket and d-separation queries: pgm against networkx, pgmpy and pyAgrum.

Random DAGs (default 10,000 nodes, mean in-degree 2.5, parents drawn from the
previous 1,000 nodes) and, when :func:`pgm.io.load_model` reads ``.bif.gz``, the
bnlearn networks under ``$PGM_DATA_DIR/bif``.  Every library answers the same
queries in the same run; answers are cross-checked, then timed per query (the
best of several rounds, after an untimed warm-up).  Graph construction is not
timed: each library gets its own graph object built once.

d-separation queries come in two kinds, half each:

* ``random``: X, Y single random nodes, Z three random nodes (mostly d-connected:
  a good algorithm stops early);
* ``local``: X, Z = the parents of X, Y a random non-descendant (always
  d-separated by the local Markov property: the search must exhaust X's descendants).

Usage::

    python benchmarks/bench_structure_queries.py [--quick] [--json FILE] [--markdown]

Peers that are not installed (``pip install -e '.[bench]'``) are reported as such.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable, Hashable, Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    bench_parser,
    fmt_ratio,
    fmt_seconds,
    machine_info,
    optional_import,
    print_table,
    time_call,
    write_json,
)

import pgm  # noqa: E402

LIBS = ("pgm", "networkx", "pgmpy", "pyagrum")
BIF_QUICK = ("alarm", "andes")
BIF_FULL = ("alarm", "hepar2", "win95pts", "andes", "pathfinder", "pigs", "link", "munin")


# ------------------------------------------------------------------ graphs
def random_dag(n: int, mean_in_degree: float = 2.5, window: int = 1000,
               seed: int = 0) -> list[tuple[str, str]]:
    """Edges of a random DAG on ``X0..X{n-1}``.

    Node ``i`` gets ``U{0..2m}`` parents (``m = mean_in_degree``), drawn without
    replacement among the previous ``window`` nodes.
    """
    rng = np.random.default_rng(seed)
    kmax = int(round(2 * mean_in_degree))
    edges = []
    for i in range(1, n):
        lo = max(0, i - window)
        k = min(i - lo, int(rng.integers(0, kmax + 1)))
        for p in rng.choice(np.arange(lo, i), size=k, replace=False):
            edges.append((f"X{p}", f"X{i}"))
    return edges


def nx_markov_blanket(g: nx.DiGraph, v: Hashable) -> set:
    """The Markov blanket with networkx's public API."""
    out = set(g.predecessors(v))
    for c in g.successors(v):
        out.add(c)
        out.update(g.predecessors(c))
    out.discard(v)
    return out


def make_queries(g: nx.DiGraph, count: int, seed: int) -> list[tuple[str, str, tuple, str]]:
    """``count`` d-separation queries ``(x, y, z, kind)``, half random and half local."""
    rnd = random.Random(seed)
    nodes = list(g)
    out = []
    while len(out) < count:
        if len(out) % 2 == 0:
            x, y, *z = rnd.sample(nodes, 5)
            out.append((x, y, tuple(z), "random"))
        else:
            x = rnd.choice(nodes)
            parents = set(g.predecessors(x))
            excluded = nx.descendants(g, x) | parents | {x}
            if len(excluded) >= len(nodes):
                continue
            y = rnd.choice(nodes)
            while y in excluded:
                y = rnd.choice(nodes)
            out.append((x, y, tuple(sorted(parents)), "local"))
    return out


# ------------------------------------------------------------- the libraries
class Peer:
    """One library: how to build its graph and answer the two queries."""

    def __init__(self, name: str, version: str | None, build: Callable | None,
                 blanket: Callable | None, dsep: Callable | None, note: str = "") -> None:
        self.name, self.version, self.build, self.blanket, self.dsep = name, version, build, blanket, dsep
        self.note = note

    @property
    def available(self) -> bool:
        return self.build is not None


def peers() -> list[Peer]:
    out = [Peer("pgm", pgm.__version__, _pgm_network,
                lambda m, v: m.markov_blanket(v), lambda m, x, y, z: m.d_separated(x, y, z)),
           Peer("networkx", nx.__version__, lambda edges, nodes: _nx_graph(edges, nodes),
                nx_markov_blanket, lambda g, x, y, z: nx.is_d_separator(g, {x}, {y}, set(z)))]
    pgmpy_models = optional_import("pgmpy.models")
    if pgmpy_models is None:
        out.append(Peer("pgmpy", None, None, None, None, "not installed"))
    else:
        import pgmpy

        cls = getattr(pgmpy_models, "DiscreteBayesianNetwork", None) or pgmpy_models.BayesianNetwork

        def build_pgmpy(edges, nodes):
            m = cls()
            m.add_nodes_from(nodes)
            m.add_edges_from(edges)
            return m

        out.append(Peer("pgmpy", pgmpy.__version__, build_pgmpy,
                        lambda m, v: set(m.get_markov_blanket(v)),
                        lambda m, x, y, z: not m.is_dconnected(x, y, observed=list(z))))
    gum = optional_import("pyagrum") or optional_import("pyAgrum")
    if gum is None:
        out.append(Peer("pyagrum", None, None, None, None, "not installed"))
    else:
        def build_gum(edges, nodes):
            bn = gum.BayesNet()
            ids = {v: bn.add(gum.LabelizedVariable(str(v), str(v), 2)) for v in nodes}
            for a, b in edges:
                bn.addArc(ids[a], ids[b])
            return bn

        def gum_blanket(bn, v):
            mb = gum.MarkovBlanket(bn, str(v))
            names = {bn.variable(i).name() for i in mb.nodes()}
            names.discard(str(v))
            return names

        out.append(Peer("pyagrum", gum.__version__, build_gum, gum_blanket,
                        lambda bn, x, y, z: bn.isIndependent([str(x)], [str(y)], [str(u) for u in z])))
    return out


def _pgm_network(edges, nodes) -> pgm.BayesianNetwork:
    bn = pgm.BayesianNetwork()
    for v in nodes:
        bn.add_node(v)
    bn.add_edges_from(edges)
    return bn


def _nx_graph(edges, nodes) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(edges)
    return g


# ------------------------------------------------------------------- running
def bench_graph(label: str, edges: Sequence[tuple], nodes: Sequence, n_blanket: int, n_dsep: int,
                repeat: int, seed: int, libs: list[Peer]) -> list[dict]:
    """Time both queries on one graph with every available library; returns result rows."""
    ref = _nx_graph(edges, nodes)
    rnd = random.Random(seed)
    mb_nodes = [rnd.choice(list(nodes)) for _ in range(n_blanket)]
    queries = make_queries(ref, n_dsep, seed)
    kinds = {k: [q for q in queries if q[3] == k] for k in ("random", "local")}
    models, build_s = {}, {}
    for peer in libs:
        if peer.available:
            t0 = time.perf_counter()
            models[peer.name] = peer.build(list(edges), list(nodes))
            build_s[peer.name] = time.perf_counter() - t0

    # cross-check every answer against networkx before timing anything
    want_mb = [nx_markov_blanket(ref, v) for v in mb_nodes]
    want_ds = [nx.is_d_separator(ref, {x}, {y}, set(z)) for x, y, z, _ in queries]
    for peer in libs:
        if not peer.available:
            continue
        m = models[peer.name]
        got_mb = [{str(u) for u in peer.blanket(m, v)} for v in mb_nodes]
        if got_mb != [{str(u) for u in s} for s in want_mb]:
            raise AssertionError(f"{peer.name}: Markov blankets disagree with networkx on {label}")
        got_ds = [bool(peer.dsep(m, x, y, z)) for x, y, z, _ in queries]
        if got_ds != want_ds:
            bad = next(i for i, (a, b) in enumerate(zip(got_ds, want_ds)) if a != b)
            raise AssertionError(f"{peer.name}: d-separation disagrees with networkx on {label}, "
                                 f"query {queries[bad]}")

    rows = []
    cases = [("markov_blanket", mb_nodes, lambda p, m, qs: [p.blanket(m, v) for v in qs])]
    for kind, qs in kinds.items():
        cases.append((f"d_separation/{kind}", qs,
                      lambda p, m, qs: [p.dsep(m, x, y, z) for x, y, z, _ in qs]))
    for case, qs, batch in cases:
        row: dict = {"graph": label, "nodes": ref.number_of_nodes(), "edges": ref.number_of_edges(),
                     "query": case, "n_queries": len(qs)}
        if case.startswith("d_separation"):
            row["separated"] = sum(want_ds[i] for i, q in enumerate(queries) if q in qs)
        for peer in libs:
            if not peer.available:
                row[peer.name] = None
                continue
            m = models[peer.name]
            t = time_call(lambda p=peer, m=m, qs=qs, b=batch: b(p, m, qs), repeat=repeat, number=1)
            row[peer.name] = t.best / len(qs)
        for peer in libs[1:]:
            row[f"{peer.name}/pgm"] = (row[peer.name] / row["pgm"]
                                       if row.get(peer.name) is not None else None)
        row["build_s"] = {k: round(v, 4) for k, v in build_s.items()}
        rows.append(row)
    return rows


def load_bif_edges(name: str):
    """``(edges, nodes)`` of ``$PGM_DATA_DIR/bif/<name>.bif.gz``, or a reason string when unavailable."""
    from pgm.datasets import data_path
    from pgm.io import load_model

    try:
        path = data_path("bif", f"{name}.bif.gz")
        model = load_model(path)
    except pgm.PGMError as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    return list(model.edges), list(model.nodes)


def main(argv: Sequence[str] | None = None) -> int:
    p = bench_parser(__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, default=None, help="random DAG size (default 10000; quick 2000)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    n = args.nodes or (2000 if args.quick else 10_000)
    n_mb, n_ds, repeat = (200, 20, 2) if args.quick else (2000, 200, 5)

    libs = peers()
    print("libraries: " + ", ".join(f"{x.name} {x.version or '(' + x.note + ')'}" for x in libs))
    rows = []
    t0 = time.perf_counter()
    edges = random_dag(n, seed=args.seed)
    label = f"random DAG n={n}"
    print(f"{label}: {len(edges)} edges; {n_mb} blanket and {n_ds} d-separation queries")
    rows += bench_graph(label, edges, [f"X{i}" for i in range(n)], n_mb, n_ds, repeat,
                        args.seed, libs)

    skipped = {}
    for name in BIF_QUICK if args.quick else BIF_FULL:
        got = load_bif_edges(name)
        if isinstance(got, str):
            skipped[name] = got
            continue
        e, nodes = got
        rows += bench_graph(f"{name}.bif", e, nodes, min(n_mb, 4 * len(nodes)), n_ds, repeat,
                            args.seed, libs)
    if skipped:
        first = next(iter(skipped.values()))
        print(f"BIF networks skipped ({', '.join(skipped)}): {first}")

    cols = ["graph", "query", "n_queries"]
    table = []
    for r in rows:
        t = {c: r[c] for c in cols}
        for peer in libs:
            t[peer.name] = fmt_seconds(r[peer.name]) if r[peer.name] is not None else \
                (peer.note or "—")
        for peer in libs[1:]:
            t[f"{peer.name}/pgm"] = fmt_ratio(r.get(f"{peer.name}/pgm"))
        table.append(t)
    print("\nseconds per query (best of rounds; ratio > 1 means pgm is faster):\n")
    print_table(table, markdown=args.markdown)
    print(f"\ntotal wall time {time.perf_counter() - t0:.1f} s")
    if args.json:
        write_json(args.json, {"benchmark": "structure_queries", "quick": args.quick,
                               "machine": machine_info(), "skipped": skipped, "results": rows})
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
