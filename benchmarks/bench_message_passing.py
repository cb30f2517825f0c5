"""Message passing: junction tree, loopy belief propagation, blocked vs plain Gibbs.

(1) Junction tree: all posteriors per query.  pgm's :class:`JunctionTree`
    (``jt.calibrate(evidence).marginals()``) against pyAgrum's ``LazyPropagation``
    (erase, set evidence, ``makeInference``, the posterior of every variable) and
    pgmpy's ``BeliefPropagation`` (``query(non-evidence variables, evidence,
    joint=False)``, run in a subprocess with a memory and time limit, because its
    triangulation allocates clique tables of many GiB on most bnlearn networks).
    Build time and seconds per query (20 queries of 3 evidence variables from
    ``bench_exact_inference.make_queries``) on the nine networks of
    ``bench_exact_inference.NETWORKS``; every posterior is cross-checked against pgm's
    variable elimination first.  Where pgm is slower than pyAgrum, the queries are run
    once more under cProfile and the heaviest functions are reported.
(2) Loopy belief propagation (:func:`pgm.inference.loopy_bp.belief_propagation`):
    (a) Ising grids (random couplings J ~ U(0.2, 0.3), fields h ~ U(-0.1, 0.1), open
        boundary) of 15x15 (exact answers from pgm's junction tree), 100x100, 500x500
        and 1000x1000 against PGMax (``pip install pgmax``; JAX on the CPU, float32):
        build seconds, seconds per iteration, iterations and seconds to convergence,
        marginal error against the exact answer or against each other.  pgm runs the
        grid as a ``PairwiseBinaryModel`` (the pairwise binary kernel, one field per
        message) and, up to ``--general-max-side``, also as a ``FactorGraph`` of 2x2
        tables on the general kernel (``kernel="general"``), for the ratio between them.
    (b) pyAgrum's ``LoopyBeliefPropagation`` takes Bayesian networks only (not its
        ``MarkovRandomField``), so it is compared on the bnlearn networks with evidence:
        seconds per query, iterations and marginal error against variable elimination.
    (c) The UAI 2014 ``Grids_*`` and ``Promedus_*`` models with their evidence: error of
        pgm's BP marginals against the ``.MAR`` reference (mean and max over the
        non-evidence variables); an undamped run that does not converge is rerun with
        damping 0.5.
(3) Blocked vs single-site Gibbs (``gibbs_sample(..., blocking="auto" | "none")``): max
    abs marginal error against variable elimination after the same wall time, on
    asia, alarm and a network of OR/AND/XOR nodes with 0/1 CPDs.

Run from the repository root, with OpenBLAS left to detect the CPU itself::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_message_passing.py --quick
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_message_passing.py \\
        --json /tmp/bench_mp.json --markdown

Compilation (Numba, JAX's jit) and the first query are warm-ups, never timed.
"""

from __future__ import annotations

import cProfile
import gzip
import json
import math
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    bench_parser,
    fmt_ratio,
    fmt_seconds,
    machine_info,
    optional_import,
    print_table,
    write_json,
)
from bench_exact_inference import NETWORKS, _forward_sample, load_agrum, make_queries  # noqa: E402

from pgm.datasets import data_dir  # noqa: E402

QUICK_NETWORKS = ["asia", "alarm", "child", "insurance"]
LIBRARIES = ("pgm", "numpy", "numba", "pgmpy", "pyagrum", "pgmax", "jax")


# ================================================================= helpers
class Networks:
    """bnlearn networks loaded once: pgm's network, the plain BIF file, pyAgrum's copy."""

    def __init__(self, tmp: str):
        self.tmp = Path(tmp)
        self.folder = data_dir() / "bif"
        self._cache: dict = {}

    def available(self, name: str) -> bool:
        return (self.folder / f"{name}.bif.gz").is_file()

    def get(self, name: str):
        if name not in self._cache:
            from pgm.io import read_bif

            gz = self.folder / f"{name}.bif.gz"
            plain = self.tmp / f"{name}.bif"
            with gzip.open(gz, "rb") as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst)
            self._cache[name] = {"bn": read_bif(gz), "plain": plain}
        return self._cache[name]

    def agrum(self, gum, name: str):
        entry = self.get(name)
        if "gbn" not in entry:
            entry["gbn"], entry["lab"] = load_agrum(gum, entry["plain"], entry["bn"])
        return entry["gbn"], entry["lab"]


def _max_diff(answers, reference, skip) -> float:
    """Largest |difference| over the queries, non-evidence variables only."""
    worst = 0.0
    for ans, ref, ev in zip(answers, reference, skip):
        for v, p in ref.items():
            if v in ev or v not in ans:
                continue
            worst = max(worst, float(np.abs(np.asarray(ans[v]) - np.asarray(p)).max()))
    return worst


def _agrum_order(gbn, bn, lab):
    """Per variable, the indices that put pyAgrum's posterior in pgm's state order."""
    out = {}
    for v in bn.nodes:
        labels = list(gbn.variable(v).labels())
        out[v] = [labels.index(lab(v, s)) for s in bn.state_names(v)]
    return out


def _timed_passes(fn, queries, rounds: int, limit: float):
    """``(answers, seconds per query)``: a warm-up query, then one pass over the queries,
    stopped after ``limit`` seconds (at least one query); when the whole pass took under
    2 s, ``rounds - 1`` more passes and the best mean.  A warm-up query slower than
    ``limit`` is the measurement (munin1's all-posterior query in pyAgrum: about a minute)."""
    t0 = time.perf_counter()
    first = fn(queries[0])
    if time.perf_counter() - t0 > limit:
        return [first], time.perf_counter() - t0
    answers, t0 = [], time.perf_counter()
    for q in queries:
        answers.append(fn(q))
        if time.perf_counter() - t0 > limit:
            break
    elapsed = time.perf_counter() - t0
    best = elapsed / len(answers)
    if len(answers) == len(queries) and elapsed < 2.0:
        for _ in range(rounds - 1):
            t1 = time.perf_counter()
            for q in queries:
                fn(q)
            best = min(best, (time.perf_counter() - t1) / len(queries))
    return answers, best


def _profile(fn, queries, top: int = 8) -> list[dict]:
    """cProfile ``fn`` over the queries: the heaviest functions by own time, per query."""
    prof = cProfile.Profile()
    prof.enable()
    for q in queries:
        fn(q)
    prof.disable()
    st = pstats.Stats(prof)
    total = sum(v[2] for v in st.stats.values()) or 1.0
    rows = []
    for (file, line, func), (_, ncalls, tt, ct, _) in sorted(
            st.stats.items(), key=lambda kv: -kv[1][2])[:top]:
        short = "/".join(Path(file).parts[-2:]) if file != "~" else "builtin"
        rows.append({"function": f"{short}:{line}({func})", "calls/query": ncalls / len(queries),
                     "own/query": tt / len(queries), "cum/query": ct / len(queries),
                     "own share": f"{100 * tt / total:.0f}%"})
    return rows


# ================================================= (1) pgmpy worker process
def pgmpy_worker(name: str, plain: str, n_queries: int, seed: int, limit: float, out: str) -> int:
    """Run pgmpy's BeliefPropagation on one network; write build time, times, answers."""
    warnings.simplefilter("ignore")
    from pgm.io import read_bif

    result: dict = {"stage": "import"}

    def dump():
        Path(out).write_text(json.dumps(result))

    try:
        from pgmpy.inference import BeliefPropagation
        from pgmpy.readwrite import BIFReader

        bn = read_bif(plain)
        queries = make_queries(bn, name, n_queries, seed=seed)
        model = BIFReader(plain).get_model()
        result["stage"] = "constructor + calibrate()"
        dump()
        t0 = time.perf_counter()
        bp = BeliefPropagation(model)
        bp.calibrate()
        result["build_s"] = time.perf_counter() - t0
        result["stage"] = "query"
        dump()
        names = {v: bn.state_names(v) for v in bn.nodes}
        nodes = list(model.nodes())

        def query(ev):
            res = bp.query(variables=[v for v in nodes if v not in ev], evidence=ev, joint=False,
                           show_progress=False)
            return {v: np.asarray(f.values)[[f.state_names[v].index(s) for s in names[v]]].tolist()
                    for v, f in res.items()}

        query(queries[0][1])  # warm-up
        result["times"], result["answers"] = [], []
        start = time.perf_counter()
        for _, ev in queries:
            if time.perf_counter() - start > limit:
                result["note"] = f"time limit ({limit:g} s) after {len(result['times'])} queries"
                break
            t0 = time.perf_counter()
            ans = query(ev)
            result["times"].append(time.perf_counter() - t0)
            result["answers"].append(ans)
            dump()
        result["stage"] = "done"
    except BaseException as exc:  # noqa: BLE001 - a failure is a result
        result["error"] = f"{type(exc).__name__} in {result['stage']}: {str(exc)[:120]}"
    dump()
    return 0


def run_pgmpy(name: str, plain: Path, n_queries: int, seed: int, limit: float,
              mem_gib: float, grace: float = 60.0) -> dict:
    """pgmpy in a subprocess (its clique tables can need TiB); ``{}`` when not installed."""
    if optional_import("pgmpy") is None:
        return {"error": "not installed"}
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = fh.name
    cmd = [sys.executable, __file__, "--pgmpy-worker", name, str(plain), str(n_queries),
           str(seed), str(limit), out]

    def limit_memory():
        import resource

        cap = int(mem_gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    try:
        subprocess.run(cmd, timeout=limit + grace, preexec_fn=limit_memory,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        res = json.loads(Path(out).read_text() or "{}")
    except subprocess.TimeoutExpired:
        res = json.loads(Path(out).read_text() or "{}")
        res["error"] = f"killed after {limit + grace:g} s in {res.get('stage', '?')}"
    except (OSError, ValueError) as exc:
        res = {"error": f"worker failed: {exc}"}
    finally:
        if os.path.exists(out):
            os.unlink(out)
    return res


# ======================================================== (1) junction tree
def bench_junction_tree(args, nets: Networks) -> dict:
    from pgm.inference import VariableElimination
    from pgm.inference.junction_tree import JunctionTree

    gum = optional_import("pyagrum")
    networks = args.networks or (QUICK_NETWORKS if args.quick else NETWORKS)
    n_queries = args.queries or (5 if args.quick else 20)
    rounds = 1 if args.quick else 3
    limit = args.time_limit or (10.0 if args.quick else 30.0)
    rows, profiles = [], {}
    for name in networks:
        if not nets.available(name):
            print(f"  {name}: missing under {nets.folder}")
            continue
        entry = nets.get(name)
        bn, plain = entry["bn"], entry["plain"]
        queries = make_queries(bn, name, n_queries, seed=args.seed)
        evs = [ev for _, ev in queries]
        ve = VariableElimination(bn)
        reference, t0 = [], time.perf_counter()
        for ev in evs:       # the cross-check covers the queries answered within the limit
            reference.append(dict(ve.marginals(evidence=ev)))
            if time.perf_counter() - t0 > limit:
                break
        row = {"network": name, "vars": len(bn), "queries": len(evs), "checked": len(reference)}

        # pgm
        t0 = time.perf_counter()
        jt = JunctionTree(bn)
        row["pgm_build"] = time.perf_counter() - t0
        row["cliques"] = len(jt.cliques)
        row["max_clique"] = max(len(c) for c in jt.cliques)
        row["max_clique_entries"] = int(max(jt.clique_sizes))

        def pgm_query(ev, jt=jt):
            return jt.calibrate(ev).marginals()

        answers, row["pgm_s"] = _timed_passes(pgm_query, evs, rounds, limit)
        row["pgm_done"] = len(answers)
        row["pgm_diff"] = _max_diff(answers, reference, evs)

        # pyAgrum
        if gum is not None:
            gbn, lab = nets.agrum(gum, name)
            order = _agrum_order(gbn, bn, lab)
            t0 = time.perf_counter()
            lazy = gum.LazyPropagation(gbn)
            lazy.makeInference()
            row["pyAgrum_build"] = time.perf_counter() - t0
            nodes = list(bn.nodes)

            def agrum_query(ev, lazy=lazy, lab=lab, order=order, nodes=nodes):
                lazy.eraseAllEvidence()
                lazy.setEvidence({v: lab(v, s) for v, s in ev.items()})
                lazy.makeInference()
                return {v: lazy.posterior(v).toarray()[order[v]] for v in nodes}

            answers, row["pyAgrum_s"] = _timed_passes(agrum_query, evs, rounds, limit)
            row["pyAgrum_done"] = len(answers)
            row["pyAgrum_diff"] = _max_diff(answers, reference, evs)
            row["pyAgrum/pgm"] = row["pyAgrum_s"] / row["pgm_s"]
            if row["pyAgrum/pgm"] < 1.0 and not args.no_profile:
                profiles[name] = _profile(pgm_query, evs[:row["pgm_done"]])
        else:
            row["pyAgrum_note"] = "not installed"

        # pgmpy (subprocess)
        # --quick: pgmpy only where its junction tree fits (elsewhere it fails after a minute)
        if not args.no_pgmpy and (not args.quick or name in ("asia", "child")):
            res = run_pgmpy(name, plain, n_queries, args.seed, limit, args.pgmpy_memory,
                            grace=20.0 if args.quick else 60.0)
            row["pgmpy_build"] = res.get("build_s")
            times = res.get("times") or []
            if times:
                row["pgmpy_s"] = sum(times) / len(times)
                row["pgmpy_done"] = len(times)
                row["pgmpy/pgm"] = row["pgmpy_s"] / row["pgm_s"]
                row["pgmpy_diff"] = _max_diff(res["answers"], reference[:len(times)], evs)
            note = res.get("error") or res.get("note")
            if note:
                row["pgmpy_note"] = note
        rows.append(row)
        print(f"  {name}: pgm {fmt_seconds(row['pgm_s'])}/query, pyAgrum "
              f"{fmt_seconds(row.get('pyAgrum_s'))}, pgmpy {fmt_seconds(row.get('pgmpy_s'))}"
              + (f" ({row['pgmpy_note']})" if row.get("pgmpy_note") else ""), flush=True)
    return {"rows": rows, "profiles": profiles}


def _short(note: str) -> str:
    """``MemoryError in query: Unable to allocate 692. GiB for ...`` -> ``... (692. GiB)``."""
    if "Unable to allocate" in note:
        size = note.split("Unable to allocate", 1)[1].split(" for ")[0].strip()
        return note.split(":", 1)[0] + f" ({size} array)"
    return note[:60]


def print_junction_tree(res: dict, markdown: bool) -> None:
    table = [{"network": r["network"], "vars": r["vars"],
              "queries pgm/pyAgrum/pgmpy/checked": "/".join(
                  str(r.get(k, "—")) for k in ("pgm_done", "pyAgrum_done", "pgmpy_done",
                                                "checked")),
              "largest clique": f"{r['max_clique']} vars, {r['max_clique_entries']:,}",
              "build pgm": fmt_seconds(r["pgm_build"]),
              "build pyAgrum": fmt_seconds(r.get("pyAgrum_build")),
              "build pgmpy": fmt_seconds(r.get("pgmpy_build")),
              "pgm/query": fmt_seconds(r["pgm_s"]),
              "pyAgrum/query": fmt_seconds(r.get("pyAgrum_s")),
              "pgmpy/query": fmt_seconds(r.get("pgmpy_s")),
              "pyAgrum/pgm": fmt_ratio(r.get("pyAgrum/pgm")),
              "pgmpy/pgm": fmt_ratio(r.get("pgmpy/pgm")),
              "max|diff| pgm": f"{r['pgm_diff']:.1e}",
              "max|diff| pyAgrum": (f"{r['pyAgrum_diff']:.1e}" if "pyAgrum_diff" in r else "—"),
              "max|diff| pgmpy": (f"{r['pgmpy_diff']:.1e}" if "pgmpy_diff" in r else "—"),
              "pgmpy note": _short(r.get("pgmpy_note", ""))}
             for r in res["rows"]]
    print_table(table, markdown=markdown)
    for name, prof in res["profiles"].items():
        print(f"\ncProfile of pgm's query on {name} (per query, heaviest own time first):")
        print_table([{k: (fmt_seconds(v) if k in ("own/query", "cum/query") else v)
                      for k, v in p.items()} for p in prof], markdown=markdown)


# ============================== (1b) junction tree: incremental repropagation
def bench_repropagation(args, nets: Networks | None = None) -> list[dict]:
    """Calibrate after changing ONE of 3 evidence variables: incremental vs full.

    Per network and query (``make_queries``, 3 evidence variables): the tree is
    calibrated with the evidence (untimed), then with one evidence variable moved to
    another state of nonzero probability, timed, either reusing the messages that the
    change leaves valid (``calibrate(ev)``, the default) or propagating from scratch
    (``calibrate(ev, incremental=False)``); the best of ``rounds`` per query (one where a
    calibration takes over 0.5 s: munin1), the mean over the queries.  ``recomputed`` is
    the mean fraction of the directed messages computed by the incremental call.
    """
    from pgm.exceptions import EvidenceError
    from pgm.inference.junction_tree import JunctionTree

    if nets is None:
        with tempfile.TemporaryDirectory() as tmp:
            return bench_repropagation(args, Networks(tmp))
    networks = args.networks or (["asia", "alarm", "child"] if args.quick else NETWORKS)
    if args.quick:
        networks = [n for n in networks if n != "munin1"]
    n_queries = args.queries or (5 if args.quick else 20)
    rounds = 3 if args.quick else 5
    limit = args.time_limit or (10.0 if args.quick else 30.0)
    rows = []
    for name in networks:
        if not nets.available(name):
            print(f"  {name}: missing under {nets.folder}")
            continue
        bn = nets.get(name)["bn"]
        jt = JunctionTree(bn)
        queries = [ev for _, ev in make_queries(bn, name, n_queries, seed=args.seed)]

        def timed(ev, moved, incremental):
            jt.calibrate(ev)                              # the state the change starts from
            t0 = time.perf_counter()
            cal = jt.calibrate(moved, incremental=incremental)
            return time.perf_counter() - t0, cal

        jt.calibrate(queries[0])                          # warm-up
        inc_s, full_s, frac, diff = [], [], [], 0.0
        start = time.perf_counter()
        for ev in queries:
            if time.perf_counter() - start > limit:
                break
            v = next(iter(ev))                            # move it to another possible state
            states = bn.state_names(v)
            for k in range(1, len(states)):
                moved = {**ev, v: states[(states.index(ev[v]) + k) % len(states)]}
                try:
                    best_inc, inc = timed(ev, moved, True)
                except EvidenceError:
                    continue
                break
            else:
                continue
            best_full, full = timed(ev, moved, False)
            for _ in range(rounds - 1 if best_full < 0.5 else 0):   # munin1: one round
                best_inc = min(best_inc, timed(ev, moved, True)[0])
                best_full = min(best_full, timed(ev, moved, False)[0])
            inc_s.append(best_inc)
            full_s.append(best_full)
            frac.append(inc.messages_recomputed / max(jt.n_messages, 1))
            diff = max(diff, abs(inc.log_evidence - full.log_evidence),
                       *(float(np.abs(x - y).max()) for x, y in zip(inc.beliefs, full.beliefs)))
        if not inc_s:
            print(f"  {name}: no query with a possible one-variable change")
            continue
        row = {"network": name, "vars": len(bn), "cliques": len(jt.cliques),
               "messages": jt.n_messages, "queries": len(inc_s),
               "full_s": float(np.mean(full_s)), "incremental_s": float(np.mean(inc_s)),
               "recomputed": float(np.mean(frac)), "max_diff": diff}
        row["full/incremental"] = row["full_s"] / row["incremental_s"]
        rows.append(row)
        print(f"  {name}: full {fmt_seconds(row['full_s'])}, incremental "
              f"{fmt_seconds(row['incremental_s'])} ({fmt_ratio(row['full/incremental'])}), "
              f"{100 * row['recomputed']:.0f}% of messages recomputed", flush=True)
    return rows


def print_repropagation(rows, markdown: bool) -> None:
    print_table([{"network": r["network"], "vars": r["vars"], "cliques": r["cliques"],
                  "messages": r["messages"], "queries": r["queries"],
                  "full/query": fmt_seconds(r["full_s"]),
                  "incremental/query": fmt_seconds(r["incremental_s"]),
                  "full/incremental": fmt_ratio(r["full/incremental"]),
                  "messages recomputed": f"{100 * r['recomputed']:.1f}%",
                  "max|diff|": f"{r['max_diff']:.1e}"} for r in rows], markdown=markdown)


# ================================================== (2a) Ising grids vs PGMax
def _grid_params(L: int, seed: int):
    rng = np.random.default_rng(seed + L)
    return (rng.uniform(-0.1, 0.1, (L, L)), rng.uniform(0.2, 0.3, (L, L - 1)),
            rng.uniform(0.2, 0.3, (L - 1, L)))


def pgm_grid(h, Jr, Jd):
    """A FactorGraph: variable ``i * L + j`` in {0: -1, 1: +1}, unary ``exp(h s)``,
    pairwise ``exp(J s s')`` (log-space tables)."""
    from pgm import Factor, FactorGraph

    L = h.shape[0]
    s = np.array([-1.0, 1.0])
    ss = np.outer(s, s)
    fs = [Factor([i * L + j], [2], h[i, j] * s, log=True) for i in range(L) for j in range(L)]
    fs += [Factor([i * L + j, i * L + j + 1], [2, 2], Jr[i, j] * ss, log=True)
           for i in range(L) for j in range(L - 1)]
    fs += [Factor([i * L + j, (i + 1) * L + j], [2, 2], Jd[i, j] * ss, log=True)
           for i in range(L - 1) for j in range(L)]
    return FactorGraph(fs)


def _import_pgmax():
    jax = optional_import("jax")
    if jax is None or optional_import("pgmax") is None:
        return None
    import types

    if not hasattr(jax.lib, "xla_bridge"):
        # pgmax 0.6.1 calls jax.lib.xla_bridge.get_backend(), removed from recent JAX
        import jax.extend.backend

        jax.lib.xla_bridge = types.SimpleNamespace(get_backend=jax.extend.backend.get_backend)
    from pgmax import factor, fgraph, fgroup, infer, vgroup

    return types.SimpleNamespace(jax=jax, factor=factor, fgraph=fgraph, fgroup=fgroup,
                                 infer=infer, vgroup=vgroup)


def pgmax_grid(px, h, Jr, Jd):
    L = h.shape[0]
    variables = px.vgroup.NDVarArray(num_states=2, shape=(L, L))
    fg = px.fgraph.FactorGraph(variable_groups=variables)
    pairs = [[variables[i, j], variables[i, j + 1]] for i in range(L) for j in range(L - 1)]
    pairs += [[variables[i, j], variables[i + 1, j]] for i in range(L - 1) for j in range(L)]
    J = np.concatenate([Jr.ravel(), Jd.ravel()])
    ss = np.array([[1.0, -1.0], [-1.0, 1.0]])
    fg.add_factors(px.fgroup.PairwiseFactorGroup(variables_for_factors=pairs,
                                                 log_potential_matrix=J[:, None, None] * ss))
    bp = px.infer.build_inferer(fg.bp_state, backend="bp")
    run = px.jax.jit(bp.run_with_diffs, static_argnames=("num_iters", "damping",
                                                              "temperature"))
    evidence = np.stack([-h, h], axis=-1)

    def solve(num_iters: int):
        arrays = bp.init(evidence_updates={variables: evidence})
        arrays, deltas = run(arrays, num_iters=num_iters, damping=0.0, temperature=1.0)
        marg = np.asarray(px.infer.get_marginals(bp.get_beliefs(arrays))[variables])
        return marg[..., 1], np.asarray(deltas)

    return solve


def _best(fn, reps: int) -> float:
    best = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def pgm_pairwise_grid(h, Jr, Jd):
    """The same grid as a :class:`~pgm.inference.pairwise.PairwiseBinaryModel` built from
    the arrays (variable ``i * L + j``, Ising spins): how a user holding couplings builds it."""
    import scipy.sparse as sp

    from pgm.inference.pairwise import PairwiseBinaryModel

    L = h.shape[0]
    idx = np.arange(L * L).reshape(L, L)
    r = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    c = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    w = np.concatenate([Jr.ravel(), Jd.ravel()])
    J = sp.csr_matrix((np.concatenate([w, w]), (np.concatenate([r, c]), np.concatenate([c, r]))),
                      shape=(L * L, L * L))
    return PairwiseBinaryModel(h.ravel(), J)


def _bp_timings(run, factors: int, reps: int) -> dict:
    """Iterations and seconds to convergence, and seconds per iteration (the slope between
    runs of 1 and k iterations) of ``run(k)`` (``k=None``: to convergence)."""
    r = run()
    out = {"iters": r.iterations, "converged": r.converged, "conv_s": _best(run, reps)}
    k2 = int(min(101, max(11, 2e6 // factors)))
    t1, t2 = _best(lambda: run(1), reps), _best(lambda: run(k2), reps)
    out.update(iter_s=max(t2 - t1, 0.0) / (k2 - 1), overhead_s=t1, slope_iterations=k2)
    return out, r


def bench_grids(args) -> list[dict]:
    from pgm.inference.compiled import compile_model
    from pgm.inference.junction_tree import JunctionTree
    from pgm.inference.loopy_bp import belief_propagation

    sizes = args.grid_sizes or ([15, 100] if args.quick else [15, 100, 500, 1000])
    tol, nmax = args.grid_tolerance, 100
    reps = 1 if args.quick else 2
    px = None if args.no_pgmax else _import_pgmax()
    if px is None and not args.no_pgmax:
        print("  PGMax is not installed (pip install pgmax); its columns stay empty")
    # compile pgm's kernels on a tiny grid (not timed)
    small = _grid_params(3, 0)
    belief_propagation(compile_model(pgm_grid(*small)), kernel="general")
    belief_propagation(pgm_pairwise_grid(*small))
    rows = []
    for L in sizes:
        h, Jr, Jd = _grid_params(L, args.seed)
        row = {"grid": f"{L}x{L}", "variables": L * L, "factors": L * L + 2 * L * (L - 1)}
        t0 = time.perf_counter()
        model = pgm_pairwise_grid(h, Jr, Jd)
        row["pgm_build"] = time.perf_counter() - t0

        def pgm_run(k=None, model=model, kernel="auto"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if k is None:
                    return belief_propagation(model, tolerance=tol, max_iterations=1000,
                                              kernel=kernel)
                return belief_propagation(model, tolerance=1e-300, max_iterations=k, kernel=kernel)

        t, r = _bp_timings(pgm_run, row["factors"], reps)
        row.update({f"pgm_{k}": v for k, v in t.items()})
        assert r.kernel == "pairwise"
        pgm_m = np.array([r.marginals[i][1] for i in range(L * L)]).reshape(L, L)
        del model
        if L <= args.general_max_side:   # the factor-graph route: a table per message
            t0 = time.perf_counter()
            fg = pgm_grid(h, Jr, Jd)
            cm = compile_model(fg)
            row["fg_build"] = time.perf_counter() - t0
            auto = pgm_run(model=cm)
            row["fg_auto_vs_pairwise"] = float(np.abs(
                np.array([auto.marginals[i][1] for i in range(L * L)]).reshape(L, L) - pgm_m).max())
            t, g = _bp_timings(lambda k=None: pgm_run(k, model=cm, kernel="general"),
                               row["factors"], reps)
            row.update({f"general_{k}": v for k, v in t.items()})
            row["general_vs_pairwise"] = float(np.abs(
                np.array([g.marginals[i][1] for i in range(L * L)]).reshape(L, L) - pgm_m).max())
            row["general/pairwise per iter"] = (row["general_iter_s"] / row["pgm_iter_s"]
                                                if row["pgm_iter_s"] > 0 else None)
            exact = None
            if L <= 20:
                em = JunctionTree(fg).marginals()
                exact = np.array([em[i][1] for i in range(L * L)]).reshape(L, L)
                row["pgm_err_exact"] = float(np.abs(pgm_m - exact).max())
            del fg, cm, auto, g
        else:
            exact = None
        if px is not None:
            t0 = time.perf_counter()
            solve = pgmax_grid(px, h, Jr, Jd)
            row["pgmax_build"] = time.perf_counter() - t0
            _, deltas = solve(nmax)                     # compile + run; finds the iterations
            below = np.flatnonzero(deltas < tol)
            n_conv = int(below[0]) + 1 if below.size else nmax
            row.update(pgmax_iters=n_conv, pgmax_converged=bool(below.size))
            marg, _ = solve(n_conv)                     # compile for n_conv
            row["pgmax_conv_s"] = _best(lambda: solve(n_conv), reps)
            k2 = row["pgm_slope_iterations"]
            solve(1), solve(k2)                         # compile
            t1, t2 = _best(lambda: solve(1), reps), _best(lambda: solve(k2), reps)
            row["pgmax_iter_s"] = max(t2 - t1, 0.0) / (k2 - 1)
            row["pgmax_overhead_s"] = t1
            row["pgmax_vs_pgm"] = float(np.abs(marg - pgm_m).max())
            if exact is not None:
                row["pgmax_err_exact"] = float(np.abs(marg - exact).max())
            row["pgmax/pgm per iter"] = (row["pgmax_iter_s"] / row["pgm_iter_s"]
                                         if row["pgm_iter_s"] > 0 else None)
            row["pgmax/pgm to conv"] = row["pgmax_conv_s"] / row["pgm_conv_s"]
            del solve
        rows.append(row)
        print(f"  grid {L}x{L}: pgm {fmt_seconds(row['pgm_iter_s'])}/iter, "
              f"{row['pgm_iters']} iters in {fmt_seconds(row['pgm_conv_s'])} (general kernel "
              f"{fmt_seconds(row.get('general_iter_s'))}/iter); PGMax "
              f"{fmt_seconds(row.get('pgmax_iter_s'))}/iter, {row.get('pgmax_iters')} iters in "
              f"{fmt_seconds(row.get('pgmax_conv_s'))}", flush=True)
    return rows


def print_grids(rows, markdown: bool) -> None:
    def err(r, k):
        return f"{r[k]:.1e}" if k in r else "—"

    print_table([{"grid": r["grid"], "factors": r["factors"],
                  "build pgm": fmt_seconds(r["pgm_build"]),
                  "build pgm (factor graph)": fmt_seconds(r.get("fg_build")),
                  "build PGMax": fmt_seconds(r.get("pgmax_build")),
                  "pgm/iter": fmt_seconds(r["pgm_iter_s"]),
                  "pgm general/iter": fmt_seconds(r.get("general_iter_s")),
                  "PGMax/iter": fmt_seconds(r.get("pgmax_iter_s")),
                  "pgm iters": r["pgm_iters"], "PGMax iters": r.get("pgmax_iters"),
                  "pgm to conv": fmt_seconds(r["pgm_conv_s"]),
                  "PGMax to conv": fmt_seconds(r.get("pgmax_conv_s")),
                  "pgm fixed cost": fmt_seconds(r["pgm_overhead_s"]),
                  "PGMax fixed cost": fmt_seconds(r.get("pgmax_overhead_s")),
                  "PGMax/pgm per iter": fmt_ratio(r.get("pgmax/pgm per iter")),
                  "PGMax/pgm to conv": fmt_ratio(r.get("pgmax/pgm to conv")),
                  "general/pairwise per iter": fmt_ratio(r.get("general/pairwise per iter")),
                  "err pgm": err(r, "pgm_err_exact"), "err PGMax": err(r, "pgmax_err_exact"),
                  "max|pgm-PGMax|": err(r, "pgmax_vs_pgm"),
                  "max|general-pairwise|": err(r, "general_vs_pairwise")} for r in rows],
                markdown=markdown)


# ============================================ (2b) BIF networks vs pyAgrum LBP
def bench_lbp_bif(args, nets: Networks) -> list[dict]:
    from pgm.inference import VariableElimination
    from pgm.inference.compiled import compile_model
    from pgm.inference.loopy_bp import belief_propagation

    gum = optional_import("pyagrum")
    networks = args.networks or (["asia", "alarm", "child"] if args.quick else NETWORKS)
    n_q = 3 if args.quick else 5
    limit = 3.0 if args.quick else 10.0         # pyAgrum's setMaxTime per query
    rows = []
    for name in networks:
        if not nets.available(name):
            continue
        bn = nets.get(name)["bn"]
        evs = [ev for _, ev in make_queries(bn, name, n_q, seed=args.seed)]
        ve = VariableElimination(bn)
        reference = [dict(ve.marginals(evidence=ev)) for ev in evs]
        row = {"network": name, "vars": len(bn), "queries": len(evs)}
        cm = compile_model(bn)

        def pgm_query(ev, cm=cm):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return belief_propagation(cm, ev, tolerance=1e-8, max_iterations=1000)

        pgm_query(evs[0])
        res, times = [], []
        for ev in evs:
            t0 = time.perf_counter()
            res.append(pgm_query(ev))
            times.append(time.perf_counter() - t0)
        row["pgm_s"] = sum(times) / len(times)
        row["pgm_iters"] = float(np.mean([r.iterations for r in res]))
        row["pgm_converged"] = sum(r.converged for r in res)
        row["pgm_err"] = _max_diff([r.marginals for r in res], reference, evs)
        if gum is not None:
            gbn, lab = nets.agrum(gum, name)
            order = _agrum_order(gbn, bn, lab)
            lbp = gum.LoopyBeliefPropagation(gbn)
            lbp.setEpsilon(1e-8)
            lbp.setMinEpsilonRate(1e-12)
            lbp.setMaxIter(1000)
            lbp.setMaxTime(limit)
            nodes = list(bn.nodes)

            def agrum_query(ev, lbp=lbp, lab=lab, order=order, nodes=nodes):
                lbp.eraseAllEvidence()
                lbp.setEvidence({v: lab(v, s) for v, s in ev.items()})
                lbp.makeInference()
                return ({v: lbp.posterior(v).toarray()[order[v]] for v in nodes},
                        lbp.nbrIterations(), lbp.messageApproximationScheme())

            agrum_query(evs[0])
            res, times = [], []
            for ev in evs:
                t0 = time.perf_counter()
                res.append(agrum_query(ev))
                times.append(time.perf_counter() - t0)
            row["pyAgrum_s"] = sum(times) / len(times)
            row["pyAgrum_iters"] = float(np.mean([r[1] for r in res]))
            row["pyAgrum_stop"] = sorted({r[2] for r in res})
            row["pyAgrum_err"] = _max_diff([r[0] for r in res], reference, evs)
            row["pyAgrum/pgm"] = row["pyAgrum_s"] / row["pgm_s"]
        rows.append(row)
        print(f"  {name}: pgm {fmt_seconds(row['pgm_s'])}/query err {row['pgm_err']:.1e}; "
              f"pyAgrum {fmt_seconds(row.get('pyAgrum_s'))} err {row.get('pyAgrum_err')}",
              flush=True)
    return rows


def print_lbp_bif(rows, markdown: bool) -> None:
    print_table([{"network": r["network"], "vars": r["vars"], "queries": r["queries"],
                  "pgm/query": fmt_seconds(r["pgm_s"]),
                  "pyAgrum/query": fmt_seconds(r.get("pyAgrum_s")),
                  "pyAgrum/pgm": fmt_ratio(r.get("pyAgrum/pgm")),
                  "pgm iters": round(r["pgm_iters"], 1),
                  "pyAgrum iters": (round(r["pyAgrum_iters"], 1) if "pyAgrum_iters" in r
                                    else None),
                  "pgm converged": f"{r['pgm_converged']}/{r['queries']}",
                  "max err pgm": f"{r['pgm_err']:.1e}",
                  "max err pyAgrum": (f"{r['pyAgrum_err']:.1e}" if "pyAgrum_err" in r else "—"),
                  "pyAgrum stop": "; ".join(r.get("pyAgrum_stop", []))}
                 for r in rows], markdown=markdown)


# ===================================================== (2c) UAI Grids, Promedus
def pgmax_model(px, model, evidence: dict):
    """Any discrete factor graph as a PGMax model (one ``EnumFactor`` per factor, zero
    entries as log-potential -1e10, hard evidence as a log unary of 0 / -1e10); returns
    ``solve(num_iters, damping) -> (marginals in variable order, deltas)``."""
    variables = list(model.variables)
    index = {v: i for i, v in enumerate(variables)}
    card = np.array([model.cardinality(v) for v in variables])
    vs = px.vgroup.VarDict(num_states=card, variable_names=tuple(range(len(variables))))
    fg = px.fgraph.FactorGraph(variable_groups=vs)
    factors = []
    for f in model.factors:
        values = np.asarray(f.values, dtype=float)
        with np.errstate(divide="ignore"):
            logp = values if f.log else np.log(values)
        logp = np.where(np.isfinite(logp), logp, -1e10).ravel()
        configs = np.array(list(np.ndindex(*values.shape)), dtype=np.int32).reshape(
            -1, len(f.variables))
        factors.append(px.factor.EnumFactor(variables=[vs[index[v]] for v in f.variables],
                                            factor_configs=configs, log_potentials=logp))
    fg.add_factors(factors)
    bp = px.infer.build_inferer(fg.bp_state, backend="bp")
    run = px.jax.jit(bp.run_with_diffs, static_argnames=("num_iters", "damping",
                                                              "temperature"))
    updates = {}
    for v, s in evidence.items():
        u = np.full(card[index[v]], -1e10)
        u[s] = 0.0
        updates[vs[index[v]]] = u

    def solve(num_iters: int, damping: float):
        arrays = bp.init(evidence_updates=updates) if updates else bp.init()
        arrays, deltas = run(arrays, num_iters=num_iters, damping=damping, temperature=1.0)
        marg = px.infer.get_marginals(bp.get_beliefs(arrays))[vs]
        return [np.asarray(marg[i]) for i in range(len(variables))], np.asarray(deltas)

    return solve


def bench_lbp_uai(args) -> list[dict]:
    from pgm.evidence import normalize_evidence
    from pgm.inference.loopy_bp import belief_propagation
    from pgm.io import read_evidence, read_mar, read_uai

    folder = data_dir() / "uai"
    if not folder.is_dir():
        print(f"  skipped: {folder} not found")
        return []
    paths = sorted(folder.glob("Grids_*.uai")) + sorted(folder.glob("Promedus_*.uai"))
    if args.quick:
        paths = [p for p in paths if p.stem in ("Grids_11", "Grids_15", "Promedus_11",
                                                "Promedus_24")]
    px = None if args.no_pgmax else _import_pgmax()
    rows = []
    for path in paths:
        mar_path = Path(str(path) + ".MAR")
        if not mar_path.is_file():
            continue
        model = read_uai(path)
        ev_path = Path(str(path) + ".evid")
        ev = read_evidence(ev_path) if ev_path.is_file() else {}
        ref = read_mar(mar_path)
        solve = None
        if px is not None:
            t0 = time.perf_counter()
            solve = pgmax_model(px, model, normalize_evidence(model, ev))
            pgmax_build = time.perf_counter() - t0
        for damping in (0.0, 0.5):
            def pgm_run(k=1000, tol=1e-8):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return belief_propagation(model, ev, damping=damping, tolerance=tol,
                                              max_iterations=k)

            t0 = time.perf_counter()
            r = pgm_run()
            secs = time.perf_counter() - t0
            errs = [float(np.abs(r.marginals[v] - ref[i]).max())
                    for i, v in enumerate(model.variables) if v not in ev]
            row = {"model": path.stem, "vars": len(model.variables),
                   "factors": len(model.factors), "evidence": len(ev), "damping": damping,
                   "seconds": secs, "iterations": r.iterations, "kernel": r.kernel,
                   "converged": r.converged,
                   "mean_err": float(np.mean(errs)) if errs else 0.0,
                   "max_err": max(errs) if errs else 0.0}
            k = max(int(r.iterations), 2)
            t1 = _best(lambda: pgm_run(1, 1e-300), 3)
            t2 = _best(lambda: pgm_run(k, 1e-300), 2)
            row["pgm_iter_s"] = max(t2 - t1, 0.0) / (k - 1)
            if solve is not None:     # PGMax: the same iterations and damping
                row["pgmax_build"] = pgmax_build
                marg, _ = solve(k, damping)             # compile + run
                solve(1, damping)
                t1 = _best(lambda: solve(1, damping), 3)
                t2 = _best(lambda: solve(k, damping), 2)
                row["pgmax_iter_s"] = max(t2 - t1, 0.0) / (k - 1)
                perr = [float(np.abs(marg[i] - ref[i]).max())
                        for i, v in enumerate(model.variables) if v not in ev]
                row["pgmax_mean_err"] = float(np.mean(perr)) if perr else 0.0
                row["pgmax_max_err"] = max(perr) if perr else 0.0
                row["pgmax/pgm per iter"] = (row["pgmax_iter_s"] / row["pgm_iter_s"]
                                             if row["pgm_iter_s"] > 0 else None)
            rows.append(row)
            if r.converged:
                break
        last = rows[-1]
        print(f"  {path.stem}: {last['iterations']} iterations (damping {last['damping']}), "
              f"mean err {last['mean_err']:.2e}, max {last['max_err']:.2e}; "
              f"pgm {fmt_seconds(last['pgm_iter_s'])}/iter, PGMax "
              f"{fmt_seconds(last.get('pgmax_iter_s'))}/iter", flush=True)
    return rows


def print_lbp_uai(rows, markdown: bool) -> None:
    def err(r, k):
        return f"{r[k]:.2e}" if k in r else "—"

    print_table([{"model": r["model"], "vars": r["vars"], "evidence": r["evidence"],
                  "damping": r["damping"], "pgm seconds": fmt_seconds(r["seconds"]),
                  "iterations": r["iterations"], "converged": r["converged"],
                  "pgm kernel": r.get("kernel"),
                  "pgm/iter": fmt_seconds(r.get("pgm_iter_s")),
                  "PGMax/iter": fmt_seconds(r.get("pgmax_iter_s")),
                  "PGMax/pgm per iter": fmt_ratio(r.get("pgmax/pgm per iter")),
                  "mean |err| pgm": err(r, "mean_err"), "max |err| pgm": err(r, "max_err"),
                  "mean |err| PGMax": err(r, "pgmax_mean_err"),
                  "max |err| PGMax": err(r, "pgmax_max_err")}
                 for r in rows], markdown=markdown)


# ======================================================= (3) blocked Gibbs
def deterministic_network(seed: int = 7):
    """Six random binary roots, seven OR/AND/XOR nodes with 0/1 CPDs, four noisy sensors."""
    from pgm import BayesianNetwork, TabularCPD

    rng = np.random.default_rng(seed)
    ops = {"or": lambda a, b: a | b, "and": lambda a, b: a & b, "xor": lambda a, b: a ^ b}
    gates = [("d0", "or", "r0", "r1"), ("d1", "and", "r1", "r2"), ("d2", "xor", "r2", "r3"),
             ("d3", "or", "d0", "d2"), ("d4", "xor", "d1", "r4"), ("d5", "and", "d3", "r5"),
             ("d6", "xor", "d4", "d5")]
    cpds = []
    for i in range(6):
        p = float(rng.uniform(0.2, 0.8))
        cpds.append(TabularCPD(f"r{i}", [1 - p, p]))
    for name, op, a, b in gates:
        table = np.zeros((2, 2, 2))
        for x in (0, 1):
            for y in (0, 1):
                table[x, y, ops[op](x, y)] = 1.0
        cpds.append(TabularCPD(name, table, parents=[a, b]))
    for k, d in enumerate(("d2", "d3", "d5", "d6")):
        cpds.append(TabularCPD(f"o{k}", [[0.9, 0.1], [0.1, 0.9]], parents=[d]))
    return BayesianNetwork.from_cpds(cpds, name="deterministic")


def bench_gibbs_blocking(args, nets: Networks) -> list[dict]:
    import inspect

    from pgm.inference import VariableElimination, gibbs_sample

    if "blocking" not in inspect.signature(gibbs_sample).parameters:
        print("  skipped: gibbs_sample has no blocking parameter yet")
        return []
    budgets = [0.5, 1.0] if args.quick else [1.0, 3.0]
    cases = []
    for name in (["asia"] if args.quick else ["asia", "alarm"]):
        if nets.available(name):
            bn = nets.get(name)["bn"]
            cases.append((name, bn, make_queries(bn, name, 1, seed=args.seed)[0][1]))
    det = deterministic_network()
    x = _forward_sample(det, np.random.default_rng(args.seed))
    cases.append(("deterministic (6 roots, 7 gates)", det,
                  {v: det.state_names(v)[x[v]] for v in ("o0", "d6", "d4")}))
    rows = []
    for name, bn, ev in cases:
        exact = dict(VariableElimination(bn).marginals(evidence=ev))
        for blocking in ("auto", "none"):
            def run(n, bn=bn, ev=ev, blocking=blocking):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    res = gibbs_sample(bn, n, chains=4, burn_in=max(50, n // 4), evidence=ev,
                                       seed=args.seed + 1, return_samples=False,
                                       blocking=blocking)
                    return res, time.perf_counter() - t0

            run(100)                                   # compile, warm up
            _, ta = run(500)
            _, tb = run(2500)
            slope = max((tb - ta) / 2000, 1e-9)
            base = max(ta - 500 * slope, 0.0)
            for budget in budgets:
                n = max(100, int((budget - base) / slope))
                res, secs = run(n)
                err = max(float(np.abs(res.marginals[v] - p).max())
                          for v, p in exact.items() if v not in ev)
                rows.append({"network": name, "vars": len(bn), "evidence": ", ".join(ev),
                             "blocking": blocking, "budget_s": budget, "seconds": secs,
                             "samples/chain": n,
                             "blocks": len(res.blocks),
                             "largest block": max((len(b) for b in res.blocks), default=0),
                             "max_err": err, "warned": bool(res.warnings)})
            print(f"  {name} blocking={blocking}: "
                  + ", ".join(f"{r['budget_s']:g} s -> err {r['max_err']:.3f}"
                              for r in rows[-len(budgets):]), flush=True)
    return rows


def print_gibbs(rows, markdown: bool) -> None:
    print_table([{"network": r["network"], "evidence": r["evidence"], "blocking": r["blocking"],
                  "budget": f"{r['budget_s']:g} s", "seconds": fmt_seconds(r["seconds"]),
                  "samples/chain": r["samples/chain"],
                  "blocks (largest)": f"{r['blocks']} ({r['largest block']})",
                  "max |err|": f"{r['max_err']:.3f}", "R-hat warning": r["warned"]}
                 for r in rows], markdown=markdown)


# ====================================================================== main
SECTIONS = ("jt", "repropagation", "grids", "lbp-bif", "lbp-uai", "gibbs")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--pgmpy-worker":
        name, plain, nq, seed, limit, out = sys.argv[2:8]
        return pgmpy_worker(name, plain, int(nq), int(seed), float(limit), out)
    parser = bench_parser(__doc__.splitlines()[0])
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--networks", nargs="+", metavar="NAME", help="(1, 2b) networks")
    parser.add_argument("--queries", type=int, default=None, help="(1) queries per network")
    parser.add_argument("--time-limit", type=float, default=None, metavar="S",
                        help="(1) seconds of queries per library and network (default 30, quick 10)")
    parser.add_argument("--pgmpy-memory", type=float, default=12.0, metavar="GIB",
                        help="(1) address-space limit of pgmpy's process")
    parser.add_argument("--no-pgmpy", action="store_true")
    parser.add_argument("--no-pgmax", action="store_true")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--general-max-side", type=int, default=500, metavar="L",
                        help="grids up to LxL also run as a FactorGraph on the general BP "
                             "kernel (default 500; its build takes about 85 s at 1000)")
    parser.add_argument("--grid-sizes", nargs="+", type=int, metavar="L",
                        help="(2a) grid sides (default 15 100 500 1000; quick 15 100)")
    parser.add_argument("--grid-tolerance", type=float, default=1e-6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    payload: dict = {"machine": machine_info(LIBRARIES), "command": sys.argv[1:],
                     "openblas_env": {k: os.environ.get(k) for k in
                                      ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        nets = Networks(tmp)
        if "jt" in args.sections:
            print("(1) junction tree: all posteriors per query (3 evidence variables)")
            res = bench_junction_tree(args, nets)
            print_junction_tree(res, args.markdown)
            payload["junction_tree"] = res
        if "repropagation" in args.sections:
            print("\n(1b) junction tree: recalibration after one of 3 evidence variables changes")
            rows = bench_repropagation(args, nets)
            print_repropagation(rows, args.markdown)
            payload["repropagation"] = rows
        if "grids" in args.sections:
            print("\n(2a) loopy BP on Ising grids: pgm vs PGMax")
            rows = bench_grids(args)
            print_grids(rows, args.markdown)
            payload["grids"] = rows
        if "lbp-bif" in args.sections:
            print("\n(2b) loopy BP on bnlearn networks with 3 evidence variables: pgm vs pyAgrum")
            rows = bench_lbp_bif(args, nets)
            print_lbp_bif(rows, args.markdown)
            payload["lbp_bif"] = rows
        if "lbp-uai" in args.sections:
            print("\n(2c) loopy BP on UAI 2014 Grids and Promedus: error against .MAR")
            rows = bench_lbp_uai(args)
            print_lbp_uai(rows, args.markdown)
            payload["lbp_uai"] = rows
        if "gibbs" in args.sections:
            print("\n(3) blocked vs single-site Gibbs: max |marginal error| after a wall time")
            rows = bench_gibbs_blocking(args, nets)
            print_gibbs(rows, args.markdown)
            payload["gibbs"] = rows
    payload["total_seconds"] = time.perf_counter() - start
    print(f"\ntotal {payload['total_seconds']:.0f} s")
    if args.json:
        write_json(args.json, payload)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
