"""Compiled Gibbs sampling and ICM: site updates per second.

* Chromatic (checkerboard) Gibbs on a 2-D Ising grid (512x512 and 2048x2048,
  periodic, beta = 0.44) with the grid kernel, against a plain NumPy checkerboard
  implementation (``np.roll`` neighbour sums, ``exp``, masked update; the usual
  vectorized way) in the same run.  Two fields: zero (the kernel uses its lookup
  table) and a random per-site field (one ``exp`` per site).
* The generic factor-graph kernels on a 3-state Potts grid and on the ALARM
  network (if ``pgm.io.read_bif`` and the data set are available).
* pgmpy's ``GibbsSampling`` on a small binary grid (if pgmpy is installed).
* ICM sweeps per second on a noisy binary image, against a NumPy checkerboard ICM.

Compile time is measured separately, in a fresh process with an empty Numba
cache (and the cache-load time in a second process); steady-state numbers come
after a warm-up call.  The machine may be shared: best-of-N timings are reported.

Usage::

    python benchmarks/bench_gibbs.py [--quick] [--json FILE] [--markdown]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    bench_parser,
    fmt_ratio,
    machine_info,
    optional_import,
    print_table,
    time_call,
    write_json,
)

BETA = 0.44


# ------------------------------------------------------------ compile time

_COMPILE_SNIPPET = r"""
import json, time
import numpy as np
t = {}
t0 = time.perf_counter()
from pgm.inference import GridIsing, gibbs_sample, icm, compile_model
from pgm.factor import Factor
from pgm.factor_graph import FactorGraph
t["import"] = time.perf_counter() - t0
g = GridIsing((16, 16), 0.0, 1.0, periodic=True)
s = g.random_spins(seed=0)
t0 = time.perf_counter(); g.gibbs(s, 1, seed=0); t["grid_gibbs"] = time.perf_counter() - t0
t0 = time.perf_counter(); g.icm(s, 5); t["grid_icm"] = time.perf_counter() - t0
fg = FactorGraph([Factor(["a", "b"], [3, 3], np.ones((3, 3))),
                  Factor(["b", "c"], [3, 3], np.ones((3, 3)))])
cm = compile_model(fg)
t0 = time.perf_counter(); gibbs_sample(cm, 10, chains=2, seed=0)
t["generic_gibbs"] = time.perf_counter() - t0
t0 = time.perf_counter(); icm(cm, seed=0); t["generic_icm"] = time.perf_counter() - t0
print(json.dumps(t))
"""


def bench_compile() -> list[dict]:
    """First-call times with an empty Numba cache, then with the cache filled."""
    import json

    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        runs = []
        for _ in range(2):
            out = subprocess.run([sys.executable, "-c", _COMPILE_SNIPPET], env=env,
                                 capture_output=True, text=True, check=True).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
    for key in runs[0]:
        rows.append({"step": key, "cold_cache_s": runs[0][key], "warm_cache_s": runs[1][key]})
    return rows


# --------------------------------------------------------------- Ising grid


def numpy_checkerboard_gibbs(s: np.ndarray, h: np.ndarray, J: float, beta: float, n_sweeps: int,
                             rng: np.random.Generator) -> None:
    """The usual vectorized NumPy checkerboard sweep (periodic boundary), in place."""
    H, W = s.shape
    ii, jj = np.indices((H, W))
    masks = [(ii + jj) % 2 == 0, (ii + jj) % 2 == 1]
    for _ in range(n_sweeps):
        for m in masks:
            nb = (np.roll(s, 1, 0) + np.roll(s, -1, 0) + np.roll(s, 1, 1) + np.roll(s, -1, 1))
            p = 1.0 / (1.0 + np.exp(-2.0 * beta * (h + J * nb)))
            new = np.where(rng.random((H, W)) < p, 1, -1).astype(s.dtype)
            s[m] = new[m]


def numpy_checkerboard_icm(s: np.ndarray, h: np.ndarray, J: float, max_sweeps: int) -> int:
    """NumPy checkerboard ICM (open boundary) in place; returns sweeps run."""
    H, W = s.shape
    ii, jj = np.indices((H, W))
    masks = [(ii + jj) % 2 == 0, (ii + jj) % 2 == 1]
    for t in range(max_sweeps):
        changed = 0
        for m in masks:
            p = np.pad(s, 1).astype(np.float32)
            nb = p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]
            f = h + J * nb
            new = np.where(f > 0, 1, np.where(f < 0, -1, s)).astype(s.dtype)
            upd = m & (new != s)
            changed += int(upd.sum())
            s[upd] = new[upd]
        if changed == 0:
            return t + 1
    return max_sweeps


def bench_grid(args) -> list[dict]:
    import numba

    from pgm.inference import GridIsing

    rows = []
    sizes = (256, 1024) if args.quick else (512, 2048)
    for n in sizes:
        for field_kind in ("zero", "random"):
            rng = np.random.default_rng(0)
            h = np.zeros((n, n)) if field_kind == "zero" else rng.normal(0, 0.5, (n, n))
            g = GridIsing((n, n), h, 1.0, periodic=True)
            s = g.random_spins(seed=1)
            sweeps = max(2, int(4e7 // (n * n))) if not args.quick else max(1, int(1e7 // (n * n)))
            counter = [0]

            def ours(g=g, s=s, sweeps=sweeps, counter=counter):
                counter[0] += 1
                g.gibbs(s, sweeps, beta=BETA, seed=counter[0])

            t = time_call(ours, repeat=3 if args.quick else 5, number=1)
            rate = sweeps * n * n / t.best
            sn = np.where(rng.random((n, n)) < 0.5, -1, 1).astype(np.int8)
            np_sweeps = 1 if n >= 1024 else 3
            tn = time_call(lambda sn=sn, h=h, k=np_sweeps, rng=rng:
                           numpy_checkerboard_gibbs(sn, h, 1.0, BETA, k, rng),
                           repeat=2 if args.quick else 3, number=1)
            np_rate = np_sweeps * n * n / tn.best
            rows.append({"grid": f"{n}x{n}", "field": field_kind, "table": g.uses_table,
                         "threads": numba.get_num_threads(),
                         "pgm_Mupd_s": rate / 1e6, "numpy_Mupd_s": np_rate / 1e6,
                         "speedup": rate / np_rate})
    return rows


# ---------------------------------------------------------- generic kernels


def potts_grid(n: int, k: int = 3, coupling: float = 0.8):
    from pgm.factor import Factor
    from pgm.factor_graph import FactorGraph

    rng = np.random.default_rng(0)
    pair = np.exp(coupling * np.eye(k))
    fg = FactorGraph()
    for i in range(n):
        for j in range(n):
            fg.add_factor(Factor([(i, j)], [k], np.exp(rng.normal(0, 0.3, k))))
            if j + 1 < n:
                fg.add_factor(Factor([(i, j), (i, j + 1)], [k, k], pair))
            if i + 1 < n:
                fg.add_factor(Factor([(i, j), (i + 1, j)], [k, k], pair))
    return fg


def _generic_rows(name: str, model, args) -> list[dict]:
    """Kernel-only updates/s (systematic: 4 chains in parallel; chromatic: 1 chain, colour
    classes in parallel) and the end-to-end time of ``gibbs_sample`` (diagnostics included)."""
    import numba

    from pgm.inference import _kernels_generic as K
    from pgm.inference import compile_model, gibbs_sample
    from pgm.inference.gibbs import use_site_parallel

    t0 = time.perf_counter()
    cm = compile_model(model)
    t_flatten = time.perf_counter() - t0
    none = np.zeros(0, dtype=np.int64)
    free = cm.free_positions(none)
    col_ptr, col_vars = cm.colouring(free)
    sweeps = 5 if args.quick else 20
    rows = []
    for scan, chains in (("systematic", 4), ("chromatic", 1)):
        x = cm.initial_states(chains, none, none, 1)
        out = np.empty((chains, 0, cm.n_variables), dtype=x.dtype)
        status = np.full(chains, -1, dtype=np.int64)
        counter = [0]
        if scan == "systematic" or not use_site_parallel(chains, free.size, len(col_ptr) - 1):
            order = free if scan == "systematic" else col_vars

            def run(order=order, x=x, out=out, status=status, counter=counter):
                counter[0] += 1
                K.gibbs_chains(cm.arrays, x, order, 0, np.uint64(counter[0]), 0, sweeps, 0, 1,
                               np.ones(1), out, status)
        else:
            def run(x=x, out=out, status=status, counter=counter):
                counter[0] += 1
                K.gibbs_chromatic(cm.arrays, x, col_ptr, col_vars, np.uint64(counter[0]), 0, sweeps,
                                  0, 1, np.ones(1), out, status, numba.config.NUMBA_NUM_THREADS)
        t = time_call(run, repeat=2 if args.quick else 3, number=1)
        par = scan == "chromatic" and use_site_parallel(chains, free.size, len(col_ptr) - 1)
        rows.append({"model": name, "vars": cm.n_variables, "factors": cm.n_factors,
                     "colours": len(col_ptr) - 1,
                     "scan": scan + (" (classes in parallel)" if par else ""), "chains": chains,
                     "flatten_s": t_flatten, "Mupd_s": sweeps * chains * cm.n_variables / t.best / 1e6})
    n_samples = 100 if args.quick else 500
    t0 = time.perf_counter()
    gibbs_sample(cm, n_samples, chains=4, burn_in=0, seed=0)
    rows.append({"model": name, "vars": cm.n_variables, "factors": cm.n_factors,
                 "scan": f"gibbs_sample e2e ({n_samples} x 4)", "chains": 4,
                 "e2e_s": time.perf_counter() - t0})
    return rows


def bench_generic(args) -> list[dict]:
    n = 48 if args.quick else 128
    rows = _generic_rows(f"potts{n}x{n} (k=3)", potts_grid(n), args)
    io = optional_import("pgm.io")
    if io is not None and hasattr(io, "read_bif"):
        try:
            from pgm.datasets import data_path

            bn = io.read_bif(data_path("bif", "alarm.bif.gz"))
            rows += _generic_rows("alarm (BN)", bn, args)
        except Exception as exc:  # data set missing: say so, keep going
            print(f"(alarm skipped: {exc})")
    return rows


# -------------------------------------------------------------------- pgmpy


def bench_pgmpy(args) -> list[dict]:
    import warnings

    warnings.filterwarnings("ignore")
    pgmpy = optional_import("pgmpy")
    if pgmpy is None:
        print("(pgmpy not installed: comparison skipped; pip install pgm[bench])")
        return []
    from pgmpy.factors.discrete import DiscreteFactor
    from pgmpy.models import DiscreteMarkovNetwork
    from pgmpy.sampling import GibbsSampling

    from pgm.inference import PairwiseBinaryModel, compile_model, gibbs_sample

    n = 3
    m = PairwiseBinaryModel.grid((n, n), 0.5, 0.1)
    fg = m.to_factor_graph()
    mn = DiscreteMarkovNetwork()
    name = {v: f"x{v[0]}_{v[1]}" for v in fg.variables}
    mn.add_nodes_from(name.values())
    for f in fg.factors:
        if len(f.variables) == 2:
            mn.add_edge(name[f.variables[0]], name[f.variables[1]])
        mn.add_factors(DiscreteFactor([name[v] for v in f.variables], list(f.cardinalities),
                                      f.to_prob().values.ravel()))
    t0 = time.perf_counter()
    sampler = GibbsSampling(mn)
    t_setup = time.perf_counter() - t0
    size = 200 if args.quick else 1000
    t0 = time.perf_counter()
    sampler.sample(size=size, seed=0)
    t_pgmpy = time.perf_counter() - t0
    cm = compile_model(fg)
    seeds = iter(range(10**6))
    t = time_call(lambda: gibbs_sample(cm, size, chains=1, burn_in=0, seed=next(seeds)),
                  repeat=3, number=1)
    nv = n * n
    ours = size * nv / t.best
    theirs = size * nv / t_pgmpy
    return [{"model": f"ising {n}x{n}", "samples": size, "pgmpy_setup_s": t_setup,
             "pgmpy_upd_s": theirs, "pgm_upd_s": ours, "speedup": ours / theirs}]


# ---------------------------------------------------------------------- ICM


def bench_icm(args) -> list[dict]:
    from pgm.inference import GridIsing

    rows = []
    for n in ((256,) if args.quick else (512, 2048)):
        rng = np.random.default_rng(0)
        clean = np.where(np.add.outer(np.arange(n), np.arange(n)) % 64 < 32, 1, -1).astype(np.int8)
        noisy = np.where(rng.random((n, n)) < 0.1, -clean, clean).astype(np.int8)
        h = 1.0 * noisy
        g = GridIsing((n, n), h, 1.0)
        sweeps = [0]

        def ours(noisy=noisy, g=g, sweeps=sweeps):
            s = noisy.copy()
            _, e, _ = g.icm(s, 100)
            sweeps[0] = len(e) - 1

        t = time_call(ours, repeat=5, number=1)
        np_sweeps = [0]

        def theirs(noisy=noisy, h=h, np_sweeps=np_sweeps):
            s = noisy.copy()
            np_sweeps[0] = numpy_checkerboard_icm(s, h.astype(np.float32), 1.0, 100)

        tn = time_call(theirs, repeat=2, number=1)
        rows.append({"grid": f"{n}x{n}", "sweeps": sweeps[0], "numpy_sweeps": np_sweeps[0],
                     "pgm_sweeps_s": sweeps[0] / t.best, "numpy_sweeps_s": np_sweeps[0] / tn.best,
                     "speedup": (sweeps[0] / t.best) / (np_sweeps[0] / tn.best)})
    return rows


def main() -> int:
    p = bench_parser(__doc__.splitlines()[0])
    p.add_argument("--no-compile", action="store_true", help="skip the compile-time measurement")
    p.add_argument("--no-pgmpy", action="store_true", help="skip the pgmpy comparison")
    args = p.parse_args()
    results = {}
    if not args.no_compile:
        print("== first-call (compile) time, fresh Numba cache vs filled cache")
        results["compile"] = bench_compile()
        print_table(results["compile"], markdown=args.markdown)
    print("\n== chromatic Gibbs on an Ising grid (million site updates / s)")
    results["grid"] = bench_grid(args)
    print_table(results["grid"], markdown=args.markdown)
    print("\n== generic factor-graph kernels (million variable updates / s)")
    results["generic"] = bench_generic(args)
    print_table(results["generic"], ["model", "vars", "factors", "colours", "scan", "chains",
                                     "flatten_s", "Mupd_s", "e2e_s"], markdown=args.markdown)
    if not args.no_pgmpy:
        print("\n== against pgmpy GibbsSampling (variable updates / s)")
        results["pgmpy"] = bench_pgmpy(args)
        if results["pgmpy"]:
            print_table(results["pgmpy"], markdown=args.markdown)
            print("speedup:", fmt_ratio(results["pgmpy"][0]["speedup"]))
    print("\n== ICM on a noisy binary image (sweeps / s, to convergence)")
    results["icm"] = bench_icm(args)
    print_table(results["icm"], markdown=args.markdown)
    if args.json:
        write_json(args.json, {"machine": machine_info(), "quick": args.quick, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
