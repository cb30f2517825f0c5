"""Structure learning from data: pgm vs pgmpy vs pyAgrum (hill climbing and PC), one run.

Data are sampled once per network (``bn.simulate(max rows, seed)``, a categorical pandas
DataFrame) from bnlearn networks (child, insurance, alarm, hailfinder, win95pts); the
first 10^3 / 10^4 / 10^5 rows are a case.  Every library learns from the same rows:
pgm and pgmpy from that DataFrame, pyAgrum from a CSV file written from it (its
``BNLearner(DataFrame)`` spends seconds building its database, and the load is not
timed anyway).

Methods (settings matched where the libraries allow; see the README section):

* **hill climbing, BIC** and **BDeu (ESS 10)**, empty start, no in-degree limit, tabu
  list of 10 moves: pgm ``hill_climb(df, score=..., tabu_length=10)`` (up to 10
  non-improving moves in a row, best DAG seen returned); pyAgrum
  ``BNLearner.useLocalSearchWithTabuList(10, 10)`` (the same rule) with
  ``useScoreBIC() + useNoPrior()`` / ``useScoreBDeu() + useBDeuPrior(9)``: pyAgrum's BDeu
  score carries an internal prior of ESS 1 and an external BDeu prior adds to it, so
  ESS 10 is 1 + 9 (checked below against pgm's local score); pgmpy
  ``HillClimbSearch(df).estimate(scoring_method="bic-d" / "bdeu", tabu_length=10)``
  (``BDeu`` ESS defaults to 10; pgmpy stops at the first non-improving step, so its tabu
  list only forbids undoing the last 10 moves).
* **PC-stable**, chi-square tests, alpha 0.05, no limit on the conditioning-set size:
  pgm ``pc(df, alpha=0.05)``; pgmpy ``PC(df).estimate(variant="stable",
  ci_test="chi_square", significance_level=0.05, max_cond_vars=<number of variables>,
  return_type="pdag")`` (its PDAG after Meek's rules); pyAgrum ``usePC()``,
  ``setPCStable(True)``, ``useChi2Test()``, ``setPCAlpha(0.05)``, ``learnPDAG()``.

Timing covers learning only: pgm's ``LearnedStructure.seconds`` / ``PCResult.seconds``
(data encoding excluded; the full call's wall time is kept as ``pgm_wall_s``), pyAgrum's
``learnDAG()`` / ``learnPDAG()`` on a learner already built from the CSV, pgmpy's
``estimate()`` on an estimator already built from the DataFrame.  A pgm or pyAgrum run
under one second is repeated (best of 3; a fresh pyAgrum learner each time, since it
caches counts); slower runs and every pgmpy run are timed once.  pyAgrum runs with one
thread by default (its two threads were 5-10x *slower* on this shared 2-core machine;
``--pyagrum-threads``).

Time limits per library: pgm's ``max_seconds`` (``--pgm-limit``, hill climbing); each
pyAgrum and pgmpy run happens in a forked process that is killed after
``--pyagrum-limit`` / ``--pgmpy-limit`` seconds (reported as "> limit", a lower bound).
A peer is not run on a case whose smaller version already ran out of time, and pgmpy
only up to ``PGMPY_MAX_ROWS`` rows (none on hailfinder and win95pts: minutes per case).

pyAgrum's scores are in log2 (converted here); its BIC and log-likelihood local scores
equal pgm's, and so does its BDeu for a family without parents; with parents its BDeu
differs from the textbook formula (pgm's) by up to a few nats per family whatever the
prior, so the BDeu rows compare searches of slightly different scores (the run prints
the largest difference it saw).

Cross-checks: every learned graph is compared to the true network by the structural
Hamming distance (:func:`pgm.graphs.shd`), DAG to true DAG ("SHD DAG", hill climbing only)
and CPDAG to true CPDAG ("SHD CPDAG": ``cpdag()`` of a learned DAG, the PC output as it is),
and every hill-climbing result is scored by pgm's scorer
(:func:`pgm.learning.scores.network_score`, the score that was searched, on the same
rows), so that a library that finds a better-scoring DAG shows it.

Run from the repository root (peers: ``pip install -e ".[bench]"``)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PGM_DATA_DIR=../shared/data \\
        python benchmarks/bench_structure_learning.py --quick
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PGM_DATA_DIR=../shared/data \\
        python benchmarks/bench_structure_learning.py --json /tmp/bench_sl.json --markdown
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import networkx as nx  # noqa: E402
from _common import (  # noqa: E402
    bench_parser,
    fmt_ratio,
    fmt_seconds,
    machine_info,
    optional_import,
    print_table,
    write_json,
)

#: (network, row counts) of a full run and of ``--quick``
FULL_CASES = [("child", (1_000, 10_000, 100_000)), ("insurance", (1_000, 10_000, 100_000)),
              ("alarm", (1_000, 10_000, 100_000)), ("hailfinder", (1_000, 10_000, 100_000)),
              ("win95pts", (1_000, 10_000))]
QUICK_CASES = [("child", (1_000, 10_000)), ("alarm", (1_000, 10_000))]
#: pgmpy is run up to this many rows (default 1,000): it takes minutes beyond
PGMPY_MAX_ROWS = {"child": 10_000, "insurance": 10_000, "hailfinder": 0, "win95pts": 0}
METHODS = ("hc-bic", "hc-bdeu", "pc")
METHOD_TITLE = {"hc-bic": "hill climbing, BIC", "hc-bdeu": "hill climbing, BDeu (ESS 10)",
                "pc": "PC-stable, chi-square, alpha 0.05"}
ESS = 10.0
TABU = 10
ALPHA = 0.05
SEED = 2026


def quiet():
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)


def ratio(a, b):
    return None if (a is None or b is None or b == 0) else a / b


def load_network(name: str):
    from pgm.datasets import data_dir
    from pgm.io import read_bif

    gz = data_dir() / "bif" / f"{name}.bif.gz"
    if gz.is_file():
        return read_bif(gz)
    import pgm.examples

    return pgm.examples.load(name)


def graph_from(nodes, directed=(), undirected=()) -> nx.DiGraph:
    """pgm's representation: a DiGraph, an undirected edge as two opposite arcs."""
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from(directed)
    for u, v in undirected:
        g.add_edge(u, v)
        g.add_edge(v, u)
    return g


def best_of(run, first_seconds: float, repeats: int) -> float:
    """``first_seconds`` or, when it is under a second, the best of it and more runs."""
    best = first_seconds
    if first_seconds < 1.0:
        for _ in range(repeats - 1):
            best = min(best, run())
    return best


# ------------------------------------------------------------------ pgm
def run_pgm(method: str, df, limit: float, repeats: int) -> dict:
    from pgm.learning.pc import pc
    from pgm.learning.search import hill_climb

    def once():
        if method == "pc":
            return pc(df, test="chi_square", alpha=ALPHA)
        return hill_climb(df, score="bic" if method == "hc-bic" else "bdeu",
                          equivalent_sample_size=ESS, tabu_length=TABU, max_seconds=limit)

    t0 = time.perf_counter()
    res = once()
    out = {"pgm_wall_s": time.perf_counter() - t0}
    out["pgm_s"] = best_of(lambda: once().seconds, res.seconds, repeats)
    if method == "pc":
        out["pgm_graph"] = res.cpdag
        out["pgm_tests"] = res.n_tests
    else:
        out["pgm_graph"] = res.dag
        out["pgm_iterations"] = res.stats.get("iterations")
        if res.stats.get("stopped") == "max_seconds":
            out["pgm_note"] = f"stopped at the {limit:g} s limit"
    return out


# ------------------------------------------------------------------ pyAgrum
def gum_learner(gum, csv: Path, method: str, threads: int):
    lr = gum.BNLearner(str(csv))
    lr.setNumberOfThreads(threads)
    if method == "pc":
        lr.usePC()
        lr.setPCStable(True)
        lr.useChi2Test()
        lr.setPCAlpha(ALPHA)
    else:
        if method == "hc-bic":
            lr.useScoreBIC()
            lr.useNoPrior()
        else:
            lr.useScoreBDeu()
            lr.useBDeuPrior(ESS - 1.0)  # + the BDeu score's internal ESS of 1
        lr.useLocalSearchWithTabuList(TABU, TABU)
    return lr


def _gum_work(method: str, csv: Path, threads: int, repeats: int):
    """In the forked process: learn (best of ``repeats`` when under a second)."""
    import pyagrum as gum

    def once():
        lr = gum_learner(gum, csv, method, threads)
        t0 = time.perf_counter()
        g = lr.learnPDAG() if method == "pc" else lr.learnDAG()
        return time.perf_counter() - t0, g, lr

    first, g, lr = once()
    name = lr.nameFromId
    nodes = [name(i) for i in range(lr.nbCols())]
    arcs = [(name(u), name(v)) for u, v in g.arcs()]
    edges = [(name(u), name(v)) for u, v in g.edges()] if method == "pc" else []
    return best_of(lambda: once()[0], first, repeats), (nodes, arcs, edges)


def check_gum_scores(gum, df, csv: Path, bn) -> dict:
    """Max |pyAgrum's local score (log2, here in nats) - pgm's| over the families of the
    true network whose variables show all their states in ``df`` (pyAgrum's states are
    those in the CSV): BIC, and BDeu (``useBDeuPrior(ESS - 1)`` vs ESS 10) for the
    families without parents and with parents."""
    from pgm.learning.data import prepare_data
    from pgm.learning.scores import ScoreCache
    from pgm.learning.search import empty_structure

    ds = prepare_data(empty_structure(df), df)
    complete = {c for c in df.columns if df[c].nunique() == len(df[c].cat.categories)}
    out = {}
    for method in ("hc-bic", "hc-bdeu"):
        cache = ScoreCache(ds, "bic" if method == "hc-bic" else "bdeu", equivalent_sample_size=ESS)
        lr = gum_learner(gum, csv, method, 1)
        for v in bn.nodes:
            parents = list(bn.graph.predecessors(v))
            if v in complete and all(p in complete for p in parents):
                theirs = lr.score(str(v), [str(p) for p in parents]) * math.log(2)
                key = f"{method[3:]}{'' if method == 'hc-bic' else ('_parents' if parents else '_root')}"
                out[key] = max(out.get(key, 0.0), abs(cache.local(v, parents) - theirs))
    return out


# ------------------------------------------------------------------ peers (forked, with a time limit)
def _pgmpy_work(method: str, df):
    """In the forked process: pgmpy's estimate() on an estimator built from ``df``."""
    from pgmpy.estimators import PC, HillClimbSearch

    if method == "pc":
        est = PC(df)
        t0 = time.perf_counter()
        g = est.estimate(variant="stable", ci_test="chi_square", significance_level=ALPHA,
                         max_cond_vars=len(df.columns), return_type="pdag", n_jobs=1,
                         show_progress=False)
    else:
        est = HillClimbSearch(df)
        t0 = time.perf_counter()
        g = est.estimate(scoring_method="bic-d" if method == "hc-bic" else "bdeu",
                         tabu_length=TABU, show_progress=False)
    seconds = time.perf_counter() - t0
    # a PDAG keeps an undirected edge as two opposite arcs, as pgm does
    return seconds, (list(df.columns), [(u, v) for u, v in g.edges()], [])


def _child(conn, work, args):
    try:
        quiet()
        conn.send(("ok", *work(*args)))
    except BaseException as exc:  # reported as the peer's result
        conn.send(("error", f"{type(exc).__name__}: {str(exc)[:80]}", traceback.format_exc()))
    finally:
        conn.close()


def run_forked(lib: str, work, args: tuple, limit: float) -> dict:
    """``work(*args) -> (seconds, (nodes, arcs, undirected edges))`` in a forked process,
    killed after ``limit`` seconds (plus 5 s for its start and the repeats)."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, work, args), daemon=True)
    t0 = time.perf_counter()
    proc.start()
    child.close()
    got = parent.recv() if parent.poll(limit + 5.0) else None
    if got is None:
        proc.kill()
        proc.join()
        return {f"{lib}_timeout": limit,
                f"{lib}_note": f"> {limit:g} s (stopped after {time.perf_counter() - t0:.0f} s)"}
    proc.join()
    if got[0] != "ok":
        return {f"{lib}_note": got[1]}
    if got[1] > limit:  # finished within the grace period, still over the limit
        return {f"{lib}_timeout": limit, f"{lib}_note": f"> {limit:g} s ({got[1]:.1f} s)"}
    return {f"{lib}_s": got[1], f"{lib}_graph": graph_from(*got[2])}


# ------------------------------------------------------------------ one case
def evaluate(row: dict, method: str, df, true_dag: nx.DiGraph, true_cpdag: nx.DiGraph) -> None:
    """SHDs and (hill climbing) pgm's score of each library's graph, in place."""
    from pgm.graphs import cpdag, pdag_to_dag, shd
    from pgm.learning.scores import network_score

    score = "bic" if method in ("hc-bic", "pc") else "bdeu"
    for lib in ("pgm", "pyagrum", "pgmpy"):
        g = row.pop(f"{lib}_graph", None)
        if g is None:
            continue
        if method == "pc":
            row[f"{lib}_edges"] = len({frozenset(e) for e in g.edges})
            row[f"{lib}_shd_cpdag"] = shd(g, true_cpdag)
            try:  # the BIC of a DAG in the learned class, when the PDAG has one
                row[f"{lib}_score"] = network_score(pdag_to_dag(g), df, "bic")
            except Exception:
                row[f"{lib}_score"] = None
                row[f"{lib}_note"] = (row.get(f"{lib}_note", "") + " no consistent extension").strip()
        else:
            row[f"{lib}_edges"] = g.number_of_edges()
            row[f"{lib}_shd_dag"] = shd(g, true_dag)
            row[f"{lib}_shd_cpdag"] = shd(cpdag(g), true_cpdag)
            row[f"{lib}_score"] = network_score(g, df, score, equivalent_sample_size=ESS)
    row["true_score"] = network_score(true_dag, df, score, equivalent_sample_size=ESS)


def run_case(args, gum, pgmpy_ok, name, bn, df, csv, method, skip: set) -> dict:
    from pgm.graphs import cpdag

    n = len(df)
    row = {"network": name, "vars": len(bn), "true_arcs": bn.graph.number_of_edges(), "rows": n,
           "method": method}
    repeats = 3
    row.update(run_pgm(method, df, args.pgm_limit, repeats))
    peers = []
    if gum is not None:
        peers.append(("pyagrum", _gum_work, (method, csv, args.pyagrum_threads, repeats),
                      args.pyagrum_limit, None))
    if pgmpy_ok and not args.no_pgmpy:
        cap = 1_000 if args.quick else PGMPY_MAX_ROWS.get(name, 1_000)
        peers.append(("pgmpy", _pgmpy_work, (method, df), args.pgmpy_limit, cap))
    for lib, work, wargs, limit, cap in peers:
        if (lib, name, method) in skip:
            row[f"{lib}_note"] = "not run (a smaller case ran out of time)"
        elif cap is not None and n > cap:
            row[f"{lib}_note"] = f"not run above {cap:,} rows" if cap else "not run (too slow)"
        else:
            row.update(run_forked(lib, work, wargs, limit))
            if f"{lib}_timeout" in row:
                skip.add((lib, name, method))
    evaluate(row, method, df, bn.graph, cpdag(bn.graph))
    print(f"  {name:10} {n:>7,} {method:7}: pgm {fmt_seconds(row['pgm_s'])} "
          f"(SHD {row.get('pgm_shd_cpdag')}), pyAgrum {fmt_seconds(row.get('pyagrum_s'))} "
          f"(SHD {row.get('pyagrum_shd_cpdag')}), pgmpy {fmt_seconds(row.get('pgmpy_s'))} "
          f"(SHD {row.get('pgmpy_shd_cpdag')})"
          + "".join(f" [{k}: {row[k]}]" for k in ("pgm_note", "pyagrum_note", "pgmpy_note")
                    if row.get(k)), flush=True)
    return row


# ------------------------------------------------------------------ tables
def _triple(r, key):
    vals = [r.get(f"{lib}_{key}") for lib in ("pgm", "pyagrum", "pgmpy")]
    return " / ".join("—" if v is None else str(v) for v in vals)


def _gap(r, lib):
    a, b = r.get(f"{lib}_score"), r.get("pgm_score")
    return None if a is None or b is None else round(a - b, 1)


def peer_cell(r, lib):
    if r.get(f"{lib}_s") is not None:
        return fmt_seconds(r[f"{lib}_s"])
    if r.get(f"{lib}_timeout"):
        return f"> {r[f'{lib}_timeout']:g} s"
    return "—"


def peer_ratio(r, lib):
    if r.get(f"{lib}_s") is not None:
        return fmt_ratio(ratio(r[f"{lib}_s"], r["pgm_s"]))
    if r.get(f"{lib}_timeout"):
        return "> " + fmt_ratio(ratio(r[f"{lib}_timeout"], r["pgm_s"]))
    return "—"


def method_table(rows, method):
    out = []
    for r in rows:
        if r["method"] != method:
            continue
        notes = [f"{k[:-5]}: {r[k]}" for k in ("pgm_note", "pyagrum_note", "pgmpy_note")
                 if r.get(k)]
        row = {"network": r["network"], "rows": r["rows"], "pgm": fmt_seconds(r["pgm_s"]),
               "pyAgrum": peer_cell(r, "pyagrum"), "pgmpy": peer_cell(r, "pgmpy"),
               "pyAgrum/pgm": peer_ratio(r, "pyagrum"), "pgmpy/pgm": peer_ratio(r, "pgmpy")}
        if method != "pc":
            row["SHD DAG pgm / pyA / pgmpy"] = _triple(r, "shd_dag")
        row["SHD CPDAG pgm / pyA / pgmpy"] = _triple(r, "shd_cpdag")
        row["edges pgm / pyA / pgmpy (true)"] = _triple(r, "edges") + f" ({r['true_arcs']})"
        if method != "pc":  # (a PC result's BIC depends on the extension picked: not shown)
            label = "BIC" if method == "hc-bic" else "BDeu"
            row[f"{label} − pgm's: pyA / pgmpy / true"] = " / ".join(
                "—" if v is None else f"{v:+g}" for v in
                (_gap(r, "pyagrum"), _gap(r, "pgmpy"),
                 None if r.get("pgm_score") is None else round(r["true_score"] - r["pgm_score"], 1)))
        row["notes"] = "; ".join(notes)
        out.append(row)
    return out


def aims(rows) -> dict:
    """Per aim, the cases where it holds and where it does not."""
    res = {"shd": [0, 0, []], "faster_than_pyagrum": [0, 0, []], "10x_pgmpy": [0, 0, []]}

    def tally(key, ok, label):
        res[key][0 if ok else 1] += 1
        if not ok:
            res[key][2].append(label)

    for r in rows:
        label = f"{r['network']} {r['rows']} {r['method']}"
        peers = [r.get(f"{lib}_shd_cpdag") for lib in ("pyagrum", "pgmpy")]
        peers = [p for p in peers if p is not None]
        if peers:
            tally("shd", r["pgm_shd_cpdag"] <= min(peers), label)
        t = r.get("pyagrum_s") or r.get("pyagrum_timeout")
        if t is not None:
            tally("faster_than_pyagrum", r["pgm_s"] < t, label)
        t = r.get("pgmpy_s") or r.get("pgmpy_timeout")
        if t is not None:
            # a timeout is a lower bound: it proves the aim only when it already is >= 10x
            tally("10x_pgmpy", t / r["pgm_s"] >= 10, label + (" (pgmpy stopped)" if
                                                             r.get("pgmpy_timeout") else ""))
    return {k: {"met": v[0], "missed": v[1], "missed_cases": v[2]} for k, v in res.items()}


# ------------------------------------------------------------------ main
def report(payload: dict, args) -> None:
    """The tables and the aims of a run (``payload`` as written to the JSON file)."""
    rows = payload["rows"]
    methods = [m for m in METHODS if any(r["method"] == m for r in rows)]
    print(f"\n==== tables (total {payload['seconds']:.0f} s) ====")
    for method in methods:
        print(f"\n{METHOD_TITLE[method]}: seconds learning; ratio > 1: pgm faster\n")
        print_table(method_table(rows, method), markdown=args.markdown)
    print("\naims (cases met / missed):")
    for k, v in payload["aims"].items():
        print(f"  {k}: {v['met']} met, {v['missed']} missed"
              + (f" ({'; '.join(v['missed_cases'])})" if v["missed_cases"] else ""))
    hc = [r for r in rows if r["method"] != "pc" and r.get("pgm_score") is not None]
    best = [r for r in hc if all(r.get(f"{lib}_score") is None or r["pgm_score"] >= r[f"{lib}_score"]
                                 - 1e-6 * abs(r["pgm_score"]) for lib in ("pyagrum", "pgmpy"))]
    print(f"  hill climbing: pgm's DAG has the best score (pgm's scorer) in {len(best)} of {len(hc)} "
          "cases")


def main() -> int:
    parser = bench_parser(__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--networks", nargs="+", default=None,
                        help="only these networks (of the run's list)")
    parser.add_argument("--pgm-limit", type=float, default=300.0,
                        help="pgm hill climbing max_seconds (default 300)")
    parser.add_argument("--pyagrum-limit", type=float, default=30.0,
                        help="seconds before a pyAgrum run is stopped (default 30)")
    parser.add_argument("--pgmpy-limit", type=float, default=None,
                        help="seconds before a pgmpy run is stopped (default 30, quick 10)")
    parser.add_argument("--pyagrum-threads", type=int, default=1)
    parser.add_argument("--no-pgmpy", action="store_true")
    parser.add_argument("--from-json", metavar="FILE", default=None,
                        help="print the tables of an earlier run's JSON file, run nothing")
    args = parser.parse_args()
    if args.from_json:
        import json

        with open(args.from_json, encoding="utf-8") as fh:
            report(json.load(fh), args)
        return 0
    if args.pgmpy_limit is None:
        args.pgmpy_limit = 10.0 if args.quick else 30.0
    quiet()
    pgmpy_ok = optional_import("pgmpy.estimators") is not None  # imported before the forks
    gum = optional_import("pyagrum")
    for lib, ok in (("pgmpy", pgmpy_ok), ("pyagrum", gum is not None)):
        if not ok:
            print(f"{lib} is not installed (pip install -e '.[bench]'); its columns stay empty")
    cases = QUICK_CASES if args.quick else FULL_CASES
    if args.networks:
        cases = [c for c in cases if c[0] in args.networks]
    payload: dict = {"machine": machine_info(list(__import__("_common").DEFAULT_LIBRARIES)
                                             + ["pandas"]),
                     "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                            "PGM_DATA_DIR")},
                     "quick": args.quick, "settings": {
                         "ess": ESS, "tabu": TABU, "alpha": ALPHA, "seed": SEED,
                         "pgm_limit_s": args.pgm_limit, "pyagrum_limit_s": args.pyagrum_limit,
                         "pgmpy_limit_s": args.pgmpy_limit, "pyagrum_threads": args.pyagrum_threads,
                         "pgmpy_max_rows": {c[0]: (1_000 if args.quick else
                                                   PGMPY_MAX_ROWS.get(c[0], 1_000)) for c in cases}},
                     "rows": []}
    t_start = time.perf_counter()
    # warm-up: imports and first calls out of the timings
    warm = load_network("asia") if (Path(os.environ.get("PGM_DATA_DIR", ".")) / "bif").is_dir() \
        else load_network("child")
    wdf = warm.simulate(500, seed=1).to_frame()
    from pgm.learning.pc import pc
    from pgm.learning.search import hill_climb

    hill_climb(wdf, score="bdeu")
    pc(wdf)
    rows = payload["rows"]
    skip: set = set()
    with tempfile.TemporaryDirectory() as tmp:
        for name, sizes in cases:
            bn = load_network(name)
            full = bn.simulate(max(sizes), seed=SEED).to_frame()
            print(f"\n{name}: {len(bn)} variables, {bn.graph.number_of_edges()} arcs", flush=True)
            for n in sizes:
                df = full.iloc[:n].reset_index(drop=True)
                csv = Path(tmp) / f"{name}_{n}.csv"
                df.to_csv(csv, index=False)
                if gum is not None and n == 10_000 and "score_check_nats" not in payload:
                    payload["score_check_nats"] = check_gum_scores(gum, df, csv, bn)
                    print("  pyAgrum vs pgm local scores, max |diff| in nats: "
                          + ", ".join(f"{k} {v:.2g}" for k, v in payload["score_check_nats"].items()),
                          flush=True)
                for method in args.methods:
                    rows.append(run_case(args, gum, pgmpy_ok, name, bn, df, csv, method, skip))
                    if args.json:
                        write_json(args.json, payload)
                csv.unlink()
    payload["seconds"] = time.perf_counter() - t_start
    payload["aims"] = aims(rows)
    report(payload, args)
    if args.json:
        write_json(args.json, payload)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
