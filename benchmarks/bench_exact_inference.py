"""Exact inference by variable elimination: UAI 2014 reference values, and pgmpy / pyAgrum.

(a) Every UAI model in ``$PGM_DATA_DIR/uai``: ``log10 Z`` with the model's evidence
    against the ``.PR`` reference (and, with ``--mar``, every marginal against
    ``.MAR``).  A model whose largest table exceeds the memory budget is reported as
    "does not fit" (the refusal is instant: the plan is known before allocating).
(b) Random single-variable posterior queries, each with 3 evidence variables, on
    bnlearn networks (``$PGM_DATA_DIR/bif``): the same queries for pgm's
    :class:`VariableElimination`, pgmpy's ``VariableElimination`` and pyAgrum's
    ``LazyPropagation`` (``pip install pgm[bench]``); answers are compared (max abs
    difference) and times reported.  Evidence states come from a forward sample of
    the network, so every query has positive probability.

Run from the repository root::

    python benchmarks/bench_exact_inference.py --quick
    python benchmarks/bench_exact_inference.py --json results/exact.json

``--quick`` runs the UAI models whose plan is small and 5 queries on the small networks.
"""

from __future__ import annotations

import gzip
import math
import shutil
import sys
import tempfile
import time
import warnings
import zlib
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

from pgm.datasets import data_dir  # noqa: E402
from pgm.exceptions import MemoryBudgetError  # noqa: E402

NETWORKS = ["asia", "alarm", "child", "insurance", "hailfinder", "win95pts", "andes",
            "pathfinder", "munin1"]
QUICK_NETWORKS = ["asia", "alarm", "child", "insurance", "hailfinder", "win95pts"]


# ============================================================== (a) UAI models
def _pr_tolerance(path: Path) -> float:
    token = path.read_text().split()[1]
    mantissa = token.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return max(1e-6, 0.5 * 10.0 ** (-decimals))


def bench_uai(args) -> list[dict]:
    from pgm.inference.variable_elimination import VariableElimination
    from pgm.io import read_evidence, read_mar, read_pr, read_uai

    folder = data_dir() / "uai"
    if not folder.is_dir():
        print(f"(a) skipped: {folder} not found (set PGM_DATA_DIR)")
        return []
    rows = []
    for path in sorted(folder.glob("*.uai")):
        name = path.name[:-4]
        model = read_uai(path)
        ev_path = Path(str(path) + ".evid")
        ev = read_evidence(ev_path) if ev_path.is_file() else {}
        pr_path = Path(str(path) + ".PR")
        row = {"model": name, "vars": len(model.variables), "factors": len(model.factors),
               "evidence": len(ev)}
        ve = VariableElimination(model, memory_budget=args.memory_budget)
        t0 = time.perf_counter()
        plan = ve.plan(evidence=ev)
        row.update(width=plan.induced_width, log2_max_table=round(plan.log2_max_table, 1),
                   order_s=round(time.perf_counter() - t0, 3))
        if args.quick and plan.total_table_entries > 2**22:
            row["status"] = "skipped (--quick)"
            rows.append(row)
            continue
        t0 = time.perf_counter()
        try:
            logz = ve.log_partition_function(ev)
        except MemoryBudgetError:
            row.update(seconds=round(time.perf_counter() - t0, 3), status="does not fit")
            rows.append(row)
            print(f"  {name}: does not fit (largest table 2^{plan.log2_max_table:.1f} entries)",
                  flush=True)
            continue
        row["seconds"] = round(time.perf_counter() - t0, 3)
        log10z = logz / math.log(10)
        row["log10_Z"] = log10z
        if pr_path.is_file():
            ref = read_pr(pr_path)
            tol = _pr_tolerance(pr_path)
            row.update(PR=ref, error=abs(log10z - ref), tolerance=tol,
                       status="ok" if abs(log10z - ref) <= tol else "MISMATCH")
        else:
            row["status"] = "no .PR"
        mar_path = Path(str(path) + ".MAR")
        if args.mar and mar_path.is_file():
            t0 = time.perf_counter()
            got = ve.marginals(evidence=ev)
            row["mar_seconds"] = round(time.perf_counter() - t0, 3)
            ref_m = read_mar(mar_path)
            row["mar_error"] = max(float(np.abs(got[i] - ref_m[i]).max()) for i in range(len(ref_m)))
        rows.append(row)
        print(f"  {name}: {row['status']} in {fmt_seconds(row['seconds'])}", flush=True)
    return rows


# ================================================ (b) pgm vs pgmpy vs pyAgrum
def _forward_sample(bn, rng: np.random.Generator) -> dict:
    """One joint sample (state indices) by ancestral sampling."""
    x: dict = {}
    for v in bn.topological_order():
        cpd = bn.get_cpd(v)
        p = cpd.values[tuple(x[u] for u in cpd.parents)]
        x[v] = int(rng.choice(len(p), p=p / p.sum()))
    return x


def make_queries(bn, name: str, n: int, n_evidence: int = 3, seed: int = 0) -> list[tuple]:
    """``n`` queries ``(variable, {evidence variable: state name})`` with P(evidence) > 0."""
    rng = np.random.default_rng(seed + zlib.crc32(name.encode()))
    nodes = list(bn.nodes)
    out = []
    for _ in range(n):
        chosen = rng.choice(len(nodes), size=n_evidence + 1, replace=False)
        q, ev_vars = nodes[chosen[0]], [nodes[i] for i in chosen[1:]]
        x = _forward_sample(bn, rng)
        out.append((q, {v: bn.state_names(v)[x[v]] for v in ev_vars}))
    return out


def load_agrum(gum, plain: Path, bn):
    """``(network, label function)``: the file as is or, when pyAgrum's BIF parser rejects
    it (state names such as ``Asy/Patch`` or ``<5`` in child), a copy written by pgm with
    the states renamed ``s0, s1, ...``.  ``label(variable, state name)`` gives pyAgrum's label.
    """
    try:
        return gum.loadBN(str(plain)), (lambda v, s: s)
    except Exception:  # pyAgrum raises its own FatalError on syntax it does not accept
        from pgm import BayesianNetwork, TabularCPD
        from pgm.io import write_bif

        cpds = []
        for v in bn.nodes:
            c = bn.get_cpd(v)
            states = {u: [f"s{i}" for i in range(k)] for u, k in zip(c.scope, c.values.shape)}
            cpds.append(TabularCPD(v, c.values, c.parents, states))
        fixed = plain.with_name(plain.stem + "_renamed_states.bif")
        write_bif(BayesianNetwork.from_cpds(cpds, name=bn.name), fixed)
        return gum.loadBN(str(fixed)), (lambda v, s: f"s{bn.state_names(v).index(s)}")


class _Runner:
    """One library's query function, with a per-network time limit."""

    def __init__(self, name, query, limit_s: float):
        self.name, self.query, self.limit = name, query, limit_s
        self.times: list[float] = []
        self.answers: list = []
        self.error: str | None = None

    def run(self, queries) -> None:
        start = time.perf_counter()
        try:
            self.query(*queries[0])  # warm-up (caches, lazy imports), not timed
            for q in queries:
                if time.perf_counter() - start > self.limit:
                    self.error = f"time limit after {len(self.times)} queries"
                    break
                t0 = time.perf_counter()
                ans = self.query(*q)
                self.times.append(time.perf_counter() - t0)
                self.answers.append(ans)
        except MemoryBudgetError:
            self.error = "does not fit"
        except Exception as exc:  # a library failing is a result, not a crash
            self.error = f"{type(exc).__name__}: {str(exc)[:80]}"


def bench_libraries(args) -> list[dict]:
    from pgm.inference.variable_elimination import VariableElimination
    from pgm.io import read_bif

    folder = data_dir() / "bif"
    if not folder.is_dir():
        print(f"(b) skipped: {folder} not found (set PGM_DATA_DIR)")
        return []
    pgmpy_ok = optional_import("pgmpy") is not None
    gum = optional_import("pyagrum")
    if not pgmpy_ok:
        print("(b) pgmpy is not installed (pip install pgm[bench]); its column stays empty")
    if gum is None:
        print("(b) pyagrum is not installed (pip install pgm[bench]); its column stays empty")
    networks = args.networks or (QUICK_NETWORKS if args.quick else NETWORKS)
    n_queries = args.queries or (5 if args.quick else 20)
    limit = args.time_limit or (20.0 if args.quick else 300.0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in networks:
            gz = folder / f"{name}.bif.gz"
            if not gz.is_file():
                print(f"  {name}: {gz} missing")
                continue
            plain = Path(tmp) / f"{name}.bif"
            with gzip.open(gz, "rb") as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst)
            bn = read_bif(gz)
            queries = make_queries(bn, name, n_queries, seed=args.seed)
            names = {v: bn.state_names(v) for v in bn.nodes}

            engine = VariableElimination(bn, memory_budget=args.memory_budget)
            runners = [_Runner("pgm", lambda q, ev, engine=engine: engine.marginal([q], ev).values,
                               limit)]
            if pgmpy_ok:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    from pgmpy.inference import VariableElimination as PgmpyVE
                    from pgmpy.readwrite import BIFReader

                    pmodel = BIFReader(str(plain)).get_model()
                pinfer = PgmpyVE(pmodel)

                def pgmpy_query(q, ev, pinfer=pinfer, names=names):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        f = pinfer.query([q], evidence=ev, show_progress=False)
                    order = [f.state_names[q].index(s) for s in names[q]]
                    return np.asarray(f.values)[order]

                runners.append(_Runner("pgmpy", pgmpy_query, limit))
            if gum is not None:
                gbn, lab = load_agrum(gum, plain, bn)
                lazy = gum.LazyPropagation(gbn)

                def agrum_query(q, ev, lazy=lazy, gbn=gbn, names=names, lab=lab):
                    lazy.eraseAllEvidence()
                    lazy.eraseAllTargets()
                    lazy.addTarget(q)
                    lazy.setEvidence({v: lab(v, s) for v, s in ev.items()})
                    lazy.makeInference()
                    labels = list(gbn.variable(q).labels())
                    post = lazy.posterior(q).toarray()
                    return np.asarray(post)[[labels.index(lab(q, s)) for s in names[q]]]

                runners.append(_Runner("pyAgrum", agrum_query, limit))
            for r in runners:
                r.run(queries)
            row = {"network": name, "vars": len(bn), "queries": len(queries)}
            base = runners[0]
            for r in runners:
                done = len(r.times)
                row[f"{r.name}_s"] = sum(r.times) / done if done else None
                row[f"{r.name}_done"] = done
                if r.error:
                    row[f"{r.name}_note"] = r.error
                if r is not base and done and base.times:
                    k = min(done, len(base.times))
                    row[f"{r.name}_diff"] = max(
                        float(np.abs(np.asarray(a) - np.asarray(b)).max())
                        for a, b in zip(base.answers[:k], r.answers[:k]))
                    row[f"{r.name}/pgm"] = (sum(r.times[:k]) / sum(base.times[:k])
                                            if sum(base.times[:k]) > 0 else None)
            rows.append(row)
            print(f"  {name}: " + ", ".join(
                f"{r.name} {fmt_seconds(row.get(r.name + '_s'))}/query"
                + (f" ({r.error})" if r.error else "") for r in runners), flush=True)
    return rows


def main() -> int:
    parser = bench_parser(__doc__.splitlines()[0])
    parser.add_argument("--skip-uai", action="store_true", help="skip part (a)")
    parser.add_argument("--skip-libraries", action="store_true", help="skip part (b)")
    parser.add_argument("--mar", action="store_true", help="(a) also check every .MAR marginal")
    parser.add_argument("--networks", nargs="+", metavar="NAME", help="(b) networks to run")
    parser.add_argument("--queries", type=int, default=None, help="(b) queries per network")
    parser.add_argument("--time-limit", type=float, default=None, metavar="S",
                        help="(b) seconds per library and network (default 300, quick 20)")
    parser.add_argument("--seed", type=int, default=0, help="(b) query seed")
    parser.add_argument("--memory-budget", type=float, default=None, metavar="BYTES",
                        help="pgm's memory budget (default: $PGM_MEMORY_BUDGET or 4 GiB)")
    args = parser.parse_args()
    if args.memory_budget is not None:
        args.memory_budget = int(args.memory_budget)
    payload: dict = {"machine": machine_info()}
    if not args.skip_uai:
        print("(a) UAI 2014 models: log10 Z with evidence vs .PR")
        uai = bench_uai(args)
        cols = ["model", "vars", "factors", "evidence", "width", "log2_max_table", "seconds",
                "log10_Z", "PR", "error", "status"] + (["mar_seconds", "mar_error"] if args.mar else [])
        print_table(uai, cols, markdown=args.markdown)
        solved = [r for r in uai if r.get("status") == "ok"]
        errs = [r["error"] for r in solved]
        skipped = sum(r.get("status") == "skipped (--quick)" for r in uai)
        no_fit = sum(r.get("status") == "does not fit" for r in uai)
        print(f"solved {len(solved)}/{len(uai)} within the .PR precision"
              + (f"; max |error| {max(errs):.2e}" if errs else "")
              + (f"; {no_fit} do not fit the memory budget" if no_fit else "")
              + (f"; {skipped} skipped (--quick)" if skipped else ""))
        payload["uai"] = uai
    if not args.skip_libraries:
        print("\n(b) single-variable posteriors with 3 evidence variables: pgm vs pgmpy vs pyAgrum")
        libs = bench_libraries(args)
        table = [{"network": r["network"], "vars": r["vars"], "queries": r["queries"],
                  "pgm/query": fmt_seconds(r.get("pgm_s")),
                  "pgmpy/query": fmt_seconds(r.get("pgmpy_s")),
                  "pyAgrum/query": fmt_seconds(r.get("pyAgrum_s")),
                  "pgmpy/pgm": fmt_ratio(r.get("pgmpy/pgm")),
                  "pyAgrum/pgm": fmt_ratio(r.get("pyAgrum/pgm")),
                  "max|diff| pgmpy": r.get("pgmpy_diff"), "max|diff| pyAgrum": r.get("pyAgrum_diff"),
                  "notes": "; ".join(f"{k[:-5]}: {v}" for k, v in r.items() if k.endswith("_note"))}
                 for r in libs]
        print_table(table, markdown=args.markdown)
        payload["libraries"] = libs
    if args.json:
        write_json(args.json, payload)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
