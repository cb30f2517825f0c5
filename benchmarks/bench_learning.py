"""Sampling and learning from data: pgm vs pgmpy vs pyAgrum (and pandas vs Dask), one run.

Five sections, each cross-checked before it is timed:

1. **Forward sampling**, samples/s on alarm, andes and munin: pgm's code array
   (:func:`pgm.inference.sampling.forward_sample`) and ``bn.simulate(n).to_frame()``
   (a categorical DataFrame) against pgmpy ``BayesianModelSampling.forward_sample``
   (a DataFrame) and pyAgrum ``BNDatabaseGenerator.drawSamples`` (its in-memory
   database of state indices; ``to_pandas`` is not timed).  Check: the sample
   frequencies of a few variables agree between libraries (max |z| of the difference).
2. **Parameter fitting** (MLE and BDeu with ESS 10), seconds on 10^4..10^6 rows sampled
   once from alarm, hailfinder and andes.  Every library gets the same pandas
   DataFrame with categorical columns; pyAgrum's ``BNLearner(df, bn)`` (building its
   database, "load") is timed apart from ``fitParameters`` ("learn"), and for
   <= 10^5 rows also ``BNLearner(csv)`` from a CSV file.  Check: the fitted CPDs agree
   (aligned by state names) over the parent rows that have data.
3. **EM** with 20% of the values missing (MCAR, fixed seed), 10^4 rows: seconds,
   iterations and the final observed-data log-likelihood of each library's model,
   computed by pgm (peer CPDs converted into a pgm network).
4. **predict_proba** on 10^4 rows of alarm with 5 columns hidden vs pgmpy
   ``predict_probability``; check: probabilities agree.
5. **Dask**: rows/s of MLE counting on pandas vs a Dask DataFrame (LocalCluster with 1
   and 2 single-threaded worker processes) built by ``from_delayed`` of partitions that
   each worker samples itself, so no process holds all rows; peak RSS of the pandas
   process and of each worker; check: Dask counts equal pandas counts exactly.

Run from the repository root (peers: ``pip install -e ".[bench]"``; ``dask[distributed]``
for section 5)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_learning.py --quick
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_learning.py \\
        --json /tmp/bench_learning.json --markdown
"""

from __future__ import annotations

import gzip
import logging
import math
import os
import resource
import shutil
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
    time_call,
    write_json,
)

SECTIONS = ("sampling", "fitting", "em", "predict", "dask")


# ------------------------------------------------------------------ helpers
def measure(fn, *, quick: bool, warm=None, slow: float = 2.0) -> float:
    """Best seconds per call of ``fn()``, warm-up excluded.

    One untimed call first (``warm()`` when given: a cheaper call that compiles and
    fills the caches).  A call that takes more than ``slow`` seconds is timed once
    more (best of two with the warm-up when no ``warm`` is given); faster ones go
    through :func:`time_call` (best of 3, quick, or 5 rounds).
    """
    t0 = time.perf_counter()
    (warm or fn)()
    first = time.perf_counter() - t0
    if warm is None and first > slow:
        t0 = time.perf_counter()
        fn()
        return min(first, time.perf_counter() - t0)
    if warm is not None:
        t0 = time.perf_counter()
        fn()
        once = time.perf_counter() - t0
        if once > slow:
            return once
    return time_call(fn, repeat=3 if quick else 5, warmup=0, min_time=0.2).best


def rate(n, seconds):
    return None if not seconds else n / seconds


def fmt_rate(r):
    if r is None:
        return "—"
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if r >= scale:
            return f"{r / scale:.3g} {unit}/s"
    return f"{r:.3g} /s"


def ratio(a, b):
    return None if (a is None or b is None or b == 0) else a / b


def quiet():
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)


class Networks:
    """pgm networks (bnlearn BIF files, or pgm.examples), their plain .bif copies for
    the peers, and the peers' own objects, loaded once."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self._pgm, self._pgmpy, self._gum = {}, {}, {}

    def plain(self, name: str) -> Path:
        from pgm.datasets import data_dir

        out = self.tmp / f"{name}.bif"
        if not out.is_file():
            gz = data_dir() / "bif" / f"{name}.bif.gz"
            if gz.is_file():
                with gzip.open(gz, "rb") as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            else:  # a packaged example, written out by pgm
                from pgm.io import write_bif

                write_bif(self.pgm(name), out)
        return out

    def pgm(self, name: str):
        if name not in self._pgm:
            from pgm.datasets import data_dir
            from pgm.io import read_bif

            gz = data_dir() / "bif" / f"{name}.bif.gz"
            if gz.is_file():
                self._pgm[name] = read_bif(gz)
            else:
                import pgm.examples

                self._pgm[name] = pgm.examples.load(name)
        return self._pgm[name]

    def pgmpy(self, name: str):
        if name not in self._pgmpy:
            from pgmpy.readwrite import BIFReader

            self._pgmpy[name] = BIFReader(str(self.plain(name))).get_model()
        return self._pgmpy[name]

    def gum(self, name: str):
        if name not in self._gum:
            import pyagrum as gum

            self._gum[name] = gum.loadBN(str(self.plain(name)))
        return self._gum[name]


def states_of(bn) -> dict:
    return {v: [str(s) for s in bn.state_names(v)] for v in bn.nodes}


def pgmpy_tables(model, bn) -> dict:
    """pgmpy CPDs as pgm-shaped tables ``(*pgm parents, child)``, states in pgm's order."""
    out = {}
    for v in bn.nodes:
        cpd = model.get_cpds(v)
        pc = bn.get_cpd(v)
        order = list(pc.parents) + [v]
        vals = np.asarray(cpd.values, dtype=np.float64)  # axes: cpd.variables
        axes = [list(cpd.variables).index(u) for u in order]
        vals = np.transpose(vals, axes)
        for k, u in enumerate(order):
            names = [str(s) for s in cpd.state_names[u]]
            idx = [names.index(s) for s in bn.state_names(u)]
            vals = np.take(vals, idx, axis=k)
        out[v] = vals
    return out


def gum_tables(gbn, bn) -> dict:
    """pyAgrum CPTs as pgm-shaped tables (``toarray`` axes are ``reversed(names)``)."""
    out = {}
    for v in bn.nodes:
        p = gbn.cpt(str(v))
        axes_names = list(reversed(p.names))
        vals = np.asarray(p.toarray(), dtype=np.float64)
        order = list(bn.get_cpd(v).parents) + [v]
        vals = np.transpose(vals, [axes_names.index(str(u)) for u in order])
        for k, u in enumerate(order):
            labels = list(gbn.variable(str(u)).labels())
            vals = np.take(vals, [labels.index(s) for s in bn.state_names(u)], axis=k)
        out[v] = vals
    return out


def pgm_tables(bn) -> dict:
    return {v: np.asarray(bn.get_cpd(v).values, dtype=np.float64) for v in bn.nodes}


def network_from_tables(bn, tables):
    from pgm.learning.data import as_structure
    from pgm.learning.parameters import build_network

    return build_network(as_structure(bn), states_of(bn), tables)


def table_diff(a: dict, b: dict, counts: dict | None = None) -> float:
    """Max |a - b| over all CPD entries (over the parent rows with data, given counts)."""
    worst = 0.0
    for v in a:
        x, y = a[v].reshape(-1, a[v].shape[-1]), b[v].reshape(-1, b[v].shape[-1])
        if counts is not None:
            seen = counts[v].reshape(x.shape).sum(axis=1) > 0
            x, y = x[seen], y[seen]
        if x.size:
            d = np.abs(x - y)
            worst = max(worst, float(np.nanmax(d)) if not np.all(np.isnan(d)) else math.inf)
            if np.any(np.isnan(d)):
                worst = math.inf
    return worst


# ============================================================ 1. sampling
def bench_sampling(args, nets: Networks, pgmpy_ok: bool, gum) -> list[dict]:
    from pgm.inference.sampling import forward_sample

    sizes = ({"alarm": 10_000, "andes": 5_000, "munin": 2_000} if args.quick else
             {"alarm": 100_000, "andes": 50_000, "munin": 20_000})
    rows = []
    for name, n in sizes.items():
        bn = nets.pgm(name)
        cols = list(bn.nodes)
        rng = np.random.default_rng(7)
        check_vars = [cols[i] for i in rng.choice(len(cols), size=3, replace=False)]
        row = {"network": name, "vars": len(cols), "n": n}
        t_codes = measure(lambda: forward_sample(bn, n, seed=1), quick=args.quick)
        t_frame = measure(lambda: bn.simulate(n, seed=1).to_frame(), quick=args.quick)
        row.update(pgm_codes_s=t_codes, pgm_frame_s=t_frame)
        ref = forward_sample(bn, n, seed=2)
        ref_freq = {v: np.bincount(ref[:, cols.index(v)], minlength=bn.cardinality(v)) / n
                    for v in check_vars}

        def zmax(freq: dict, m: int) -> float:
            z = 0.0
            for v in check_vars:
                p, q = ref_freq[v], freq[v]
                pooled = (p * n + q * m) / (n + m)
                se = np.sqrt(np.maximum(pooled * (1 - pooled), 1e-300) * (1 / n + 1 / m))
                ok = pooled > 0
                z = max(z, float(np.max(np.abs(p - q)[ok] / se[ok])) if ok.any() else 0.0)
            return z

        if pgmpy_ok:
            from pgmpy.sampling import BayesianModelSampling

            sampler = BayesianModelSampling(nets.pgmpy(name))
            t = measure(lambda: sampler.forward_sample(size=n, show_progress=False, seed=3),
                        quick=args.quick,
                        warm=lambda: sampler.forward_sample(size=min(n, 1000), show_progress=False,
                                                            seed=4))
            row["pgmpy_s"] = t
            df = sampler.forward_sample(size=n, show_progress=False, seed=5)
            row["pgmpy_z"] = zmax({v: np.array([np.mean(df[v].astype(str) == s)
                                                for s in bn.state_names(v)]) for v in check_vars},
                                  len(df))
        if gum is not None:
            gbn = nets.gum(name)
            gen = gum.BNDatabaseGenerator(gbn)
            gum.initRandom(3)
            t = measure(lambda: gen.drawSamples(n), quick=args.quick,
                        warm=lambda: gen.drawSamples(min(n, 1000)))
            row["pyagrum_s"] = t
            gen.drawSamples(n)
            order = list(gen.varOrderNames())
            freq = {}
            for v in check_vars:
                j = order.index(str(v))
                labels = list(gbn.variable(str(v)).labels())
                idx = np.fromiter((gen.samplesAt(i, j) for i in range(n)), dtype=np.int64, count=n)
                counts = np.bincount(idx, minlength=len(labels)) / n
                freq[v] = np.array([counts[labels.index(s)] for s in bn.state_names(v)])
            row["pyagrum_z"] = zmax(freq, n)
        row["check_vars"] = ", ".join(map(str, check_vars))
        rows.append(row)
        print(f"  {name}: pgm {fmt_rate(rate(n, t_codes))} (codes), "
              f"{fmt_rate(rate(n, t_frame))} (frame); pgmpy {fmt_rate(rate(n, row.get('pgmpy_s')))}"
              f"; pyAgrum {fmt_rate(rate(n, row.get('pyagrum_s')))}", flush=True)
    return rows


def sampling_table(rows):
    return [{"network": r["network"], "vars": r["vars"], "n": r["n"],
             "pgm codes": fmt_rate(rate(r["n"], r["pgm_codes_s"])),
             "pgm DataFrame": fmt_rate(rate(r["n"], r["pgm_frame_s"])),
             "pgmpy": fmt_rate(rate(r["n"], r.get("pgmpy_s"))),
             "pyAgrum": fmt_rate(rate(r["n"], r.get("pyagrum_s"))),
             "pgmpy/pgm (DataFrames)": fmt_ratio(ratio(r.get("pgmpy_s"), r["pgm_frame_s"])),
             "pyAgrum/pgm (codes)": fmt_ratio(ratio(r.get("pyagrum_s"), r["pgm_codes_s"])),
             "max abs z pgmpy": r.get("pgmpy_z"), "max abs z pyAgrum": r.get("pyagrum_z")}
            for r in rows]


# ============================================================ 2. fitting
def bench_fitting(args, nets: Networks, pgmpy_ok: bool, gum) -> list[dict]:
    from pgm.learning import fit_parameters

    networks = ["alarm", "hailfinder", "andes"]
    sizes = [10_000] if args.quick else [10_000, 100_000, 1_000_000]
    pgmpy_max = 10_000 if args.quick else 100_000
    csv_max = 10_000 if args.quick else 100_000
    rows = []
    for name in networks:
        bn = nets.pgm(name)
        full = bn.simulate(max(sizes), seed=11).to_frame()
        names = states_of(bn)
        for n in sizes:
            df = full.iloc[:n]
            for method in ("mle", "bayes"):
                kw = {} if method == "mle" else {"prior": "bdeu", "equivalent_sample_size": 10}
                row = {"network": name, "vars": len(bn), "rows": n,
                       "method": "MLE" if method == "mle" else "BDeu(10)"}
                res = fit_parameters(bn, df, method=method, **kw)
                counts = res.counts
                mine = pgm_tables(res.model)
                row["pgm_s"] = measure(lambda: fit_parameters(bn, df, method=method, **kw),
                                       quick=args.quick)
                row["unseen_rows"] = sum(len(u) for u in res.unseen.values())
                if pgmpy_ok and n <= pgmpy_max:
                    from pgmpy.parameter_estimator import DiscreteBayesianEstimator, DiscreteMLE

                    model = nets.pgmpy(name)

                    def make():
                        return (DiscreteMLE(state_names=names) if method == "mle" else
                                DiscreteBayesianEstimator(state_names=names, prior_type="BDeu",
                                                          equivalent_sample_size=10))
                    try:
                        fitted = model.copy().fit(df, estimator=make())
                        row["pgmpy_diff"] = table_diff(mine, pgmpy_tables(fitted, bn),
                                                       counts if method == "mle" else None)
                        row["pgmpy_s"] = measure(lambda: model.copy().fit(df, estimator=make()),
                                                 quick=args.quick)
                    except Exception as exc:  # a peer failing is a result
                        row["pgmpy_note"] = f"{type(exc).__name__}: {str(exc)[:70]}"
                elif pgmpy_ok:
                    row["pgmpy_note"] = f"not run above {pgmpy_max:,} rows"
                if gum is not None and n * len(bn) > 6e7:
                    row["pyagrum_note"] = ("not run: building its database from this DataFrame "
                                           "would take about a minute per learner")
                elif gum is not None:
                    gbn = nets.gum(name)

                    def learner(source):
                        lr = gum.BNLearner(source, gbn)
                        if method == "mle":
                            lr.useNoPrior()
                        else:
                            lr.useBDeuPrior(10.0)
                        return lr

                    try:
                        t0 = time.perf_counter()
                        lr = learner(df)
                        row["pyagrum_load_s"] = time.perf_counter() - t0
                        out = gum.BayesNet(gbn)
                        lr.fitParameters(out)
                        row["pyagrum_diff"] = table_diff(mine, gum_tables(out, bn),
                                                         counts if method == "mle" else None)
                        # a fresh learner per round: a learner caches its counts, so a second
                        # fitParameters on the same one would time a cache lookup
                        best = math.inf
                        for _ in range(1 if row["pyagrum_load_s"] > 2.0 else 3):
                            lr = learner(df)
                            t0 = time.perf_counter()
                            lr.fitParameters(gum.BayesNet(gbn))
                            best = min(best, time.perf_counter() - t0)
                        row["pyagrum_learn_s"] = best
                        if n <= csv_max:
                            csv = nets.tmp / f"{name}_{n}.csv"
                            if not csv.is_file():
                                df.to_csv(csv, index=False)
                            row["pyagrum_csv_load_s"] = measure(lambda: learner(str(csv)),
                                                                quick=args.quick)
                    except Exception as exc:
                        msg = str(exc)
                        row["pyagrum_note"] = (f"{type(exc).__name__}: a parent configuration never "
                                               "appears in the data (pyAgrum asks for a prior)"
                                               if "never appears" in msg
                                               else f"{type(exc).__name__}: {msg[:90]}")
                rows.append(row)
                print(f"  {name} {n:>9,} {row['method']:8}: pgm {fmt_seconds(row['pgm_s'])}, "
                      f"pgmpy {fmt_seconds(row.get('pgmpy_s'))}, pyAgrum load "
                      f"{fmt_seconds(row.get('pyagrum_load_s'))} + learn "
                      f"{fmt_seconds(row.get('pyagrum_learn_s'))}"
                      + "".join(f" [{k}: {row[k]}]" for k in ("pgmpy_note", "pyagrum_note")
                                if k in row), flush=True)
        del full
    return rows


def fitting_table(rows):
    out = []
    for r in rows:
        load, learn = r.get("pyagrum_load_s"), r.get("pyagrum_learn_s")
        total = None if load is None or learn is None else load + learn
        notes = [f"{k[:-5]}: {r[k]}" for k in ("pgmpy_note", "pyagrum_note") if k in r]
        out.append({"network": r["network"], "rows": r["rows"], "method": r["method"],
                    "pgm": fmt_seconds(r["pgm_s"]), "pgmpy": fmt_seconds(r.get("pgmpy_s")),
                    "pyAgrum learn": fmt_seconds(learn),
                    "pyAgrum load (DataFrame)": fmt_seconds(load),
                    "pyAgrum load (CSV)": fmt_seconds(r.get("pyagrum_csv_load_s")),
                    "pgmpy/pgm": fmt_ratio(ratio(r.get("pgmpy_s"), r["pgm_s"])),
                    "pyAgrum learn/pgm": fmt_ratio(ratio(learn, r["pgm_s"])),
                    "pyAgrum load+learn/pgm": fmt_ratio(ratio(total, r["pgm_s"])),
                    "max diff pgmpy": r.get("pgmpy_diff"), "max diff pyAgrum": r.get("pyagrum_diff"),
                    "notes": "; ".join(notes)})
    return out


# ============================================================ 3. EM
def with_missing(df, fraction: float, seed: int):
    """A copy of ``df`` with ``fraction`` of its cells set missing (MCAR) and the mask."""
    rng = np.random.default_rng(seed)
    mask = rng.random(df.shape) < fraction
    out = df.copy()
    for j, c in enumerate(out.columns):
        out.loc[mask[:, j], c] = np.nan
    return out, mask


def bench_em(args, nets: Networks, pgmpy_ok: bool, gum) -> list[dict]:
    from pgm.learning import fit_parameters

    tol = 1e-6  # pgm: nats per row; pyAgrum: the same total, tol * n, as an absolute difference
    # (network, Dirichlet alpha per cell or None, rows, peers run): pyAgrum needs a prior
    # on alarm (rare parent configurations) and takes seconds per iteration there, so it
    # runs on a smaller alarm set; pgmpy's DiscreteEM drops incomplete rows (asia only)
    if args.quick:
        cases = [("asia", None, 2_000, True), ("alarm", 1.0, 500, True)]
    else:
        cases = [("asia", None, 10_000, True), ("alarm", 1.0, 1_000, True),
                 ("alarm", 1.0, 10_000, False)]
    rows = []
    for name, alpha, n, peers in cases:
        bn = nets.pgm(name)
        df = bn.simulate(n, seed=21).to_frame()
        dfm, mask = with_missing(df, 0.2, seed=22)
        complete = int(np.sum(~mask.any(axis=1)))
        base = {"network": name, "rows": n, "missing": f"{mask.mean():.1%}",
                "complete_rows": complete, "prior": "none" if alpha is None else f"alpha={alpha:g}"}
        true_ll = bn.log_likelihood(dfm)
        rows.append({**base, "library": "true network", "log_likelihood": true_ll})
        kw = {} if alpha is None else {"prior": alpha}
        row = {**base, "library": "pgm"}
        try:
            res = fit_parameters(bn, dfm, method="em", max_iterations=200, tolerance=tol, **kw)
            hist = np.asarray(res.history)
            row.update(iterations=res.iterations, converged=res.converged,
                       log_likelihood=res.model.log_likelihood(dfm),
                       reported_ll=res.log_likelihood,
                       ll_decreased=bool(np.any(np.diff(hist) < -1e-6 * n)) if alpha is None else None)
            row["seconds"] = measure(lambda: fit_parameters(bn, dfm, method="em", max_iterations=200,
                                                            tolerance=tol, **kw), quick=args.quick)
        except Exception as exc:
            row["note"] = f"{type(exc).__name__}: {str(exc)[:90]}"
        rows.append(row)
        if not peers:
            rows.append({**base, "library": "pyAgrum", "note": "not run at this size (its EM takes "
                         "about 3 s per iteration per 1,000 alarm rows here)"})
        if gum is not None and peers:
            gbn = nets.gum(name)
            frame = dfm.astype(object).where(~mask, "?")
            row = {**base, "library": "pyAgrum"}
            try:
                def run():
                    lr = gum.BNLearner(frame, gbn)
                    if alpha is None:
                        lr.useNoPrior()
                    else:
                        lr.useSmoothingPrior(alpha)
                    lr.useEMWithDiffCriterion(tol * n, 0.0)  # noise 0: deterministic start
                    lr.EMsetMaxIter(200)
                    lr.EMsetMaxTime(60.0 if args.quick else 150.0)
                    out = gum.BayesNet(gbn)
                    for v in out.names():  # zero CPTs: EM starts from pyAgrum's own estimate,
                        out.cpt(v).fillWith(0.0)  # not from the true network's CPTs
                    lr.fitParameters(out)
                    return lr, out
                t0 = time.perf_counter()
                lr, out = run()
                row["seconds"] = time.perf_counter() - t0  # one run: it is slow
                row.update(iterations=lr.EMnbrIterations(), converged=lr.EMStateMessage(),
                           log_likelihood=network_from_tables(bn, gum_tables(out, bn))
                           .log_likelihood(dfm))
            except Exception as exc:
                row["note"] = f"{type(exc).__name__}: {str(exc)[:90]}"
            rows.append(row)
        if pgmpy_ok and peers:
            row = {**base, "library": "pgmpy"}
            if complete < 20 * len(bn):
                row["note"] = (f"not run: DiscreteEM drops every row with a missing value "
                               f"({complete} complete rows left)")
            else:
                from pgmpy.parameter_estimator import DiscreteEM

                model = nets.pgmpy(name)
                names = states_of(bn)
                data = dfm.astype(object).where(~mask, np.nan)
                try:
                    def run():
                        est = DiscreteEM(state_names=names, max_iter=200, atol=1e-8, seed=0,
                                         show_progress=False)
                        return model.copy().fit(data, estimator=est)
                    t0 = time.perf_counter()
                    fitted = run()
                    row["seconds"] = time.perf_counter() - t0
                    row.update(log_likelihood=network_from_tables(bn, pgmpy_tables(fitted, bn))
                               .log_likelihood(dfm),
                               note=f"complete-case MLE: DiscreteEM dropped the {n - complete} rows "
                                    "with a missing value")
                except Exception as exc:
                    row["note"] = f"{type(exc).__name__}: {str(exc)[:90]}"
            rows.append(row)
        for r in rows[-4:]:
            if r["network"] == name and r["rows"] == n:
                print(f"  {name} {r['library']:12}: LL {r.get('log_likelihood')}, "
                      f"{r.get('iterations', '')} it, {fmt_seconds(r.get('seconds'))} "
                      f"{r.get('note', '')}", flush=True)
    return rows


def em_table(rows):
    return [{"network": r["network"], "rows": r["rows"], "missing": r["missing"],
             "complete rows": r["complete_rows"], "prior": r["prior"], "library": r["library"],
             "seconds": fmt_seconds(r.get("seconds")), "iterations": r.get("iterations"),
             "converged": r.get("converged"),
             "log-likelihood (by pgm)": (None if r.get("log_likelihood") is None
                                         else round(float(r["log_likelihood"]), 2)),
             "note": r.get("note", "") + (" LL DECREASED during EM" if r.get("ll_decreased") else "")}
            for r in rows]


# ============================================================ 4. predict_proba
def bench_predict(args, nets: Networks, pgmpy_ok: bool) -> list[dict]:
    n = 1_000 if args.quick else 10_000
    bn = nets.pgm("alarm")
    df = bn.simulate(n, seed=31).to_frame()
    rng = np.random.default_rng(32)
    hidden = [str(v) for v in rng.choice(list(df.columns), size=5, replace=False)]
    obs = df.drop(columns=hidden)
    row = {"network": "alarm", "rows": n, "hidden": ", ".join(hidden),
           "distinct_rows": int(len(obs.drop_duplicates()))}
    proba = bn.predict_proba(obs, hidden)
    row["pgm_s"] = measure(lambda: bn.predict_proba(obs, hidden), quick=args.quick)
    if pgmpy_ok:
        model = nets.pgmpy("alarm")
        data = obs.astype(str)
        t0 = time.perf_counter()
        model.predict_probability(data.iloc[:20])  # warm-up
        row["pgmpy_warmup_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        q = model.predict_probability(data)
        row["pgmpy_s"] = time.perf_counter() - t0  # one run
        diff = 0.0
        for v in hidden:
            for s in bn.state_names(v):
                diff = max(diff, float(np.abs(q[f"{v}_{s}"].to_numpy(dtype=float)
                                              - proba[(v, str(s))].to_numpy()).max()))
        row["pgmpy_diff"] = diff
    print(f"  alarm predict_proba {n} rows: pgm {fmt_seconds(row['pgm_s'])}, pgmpy "
          f"{fmt_seconds(row.get('pgmpy_s'))}", flush=True)
    return [row]


def predict_table(rows):
    return [{"network": r["network"], "rows": r["rows"], "distinct evidence rows": r["distinct_rows"],
             "hidden": r["hidden"], "pgm": fmt_seconds(r["pgm_s"]),
             "pgmpy": fmt_seconds(r.get("pgmpy_s")),
             "pgmpy/pgm": fmt_ratio(ratio(r.get("pgmpy_s"), r["pgm_s"])),
             "max diff": r.get("pgmpy_diff")} for r in rows]


# ============================================================ 5. Dask
def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset this process's peak RSS (Linux: ``5 > /proc/self/clear_refs``), so that the
    peak measured next is that of the work that follows, not of the imports before it
    (``ru_maxrss`` cannot be reset)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _rss_bytes() -> int:
    kib = _status_kib("VmRSS")
    return (kib or 0) * 1024


def _maxrss_bytes() -> int:
    """Peak RSS since the last :func:`_reset_peak` (``VmHWM``), else ``ru_maxrss``."""
    kib = _status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: KiB
    return kib * 1024


def _warm_worker(bn) -> int:
    """Imports and first-call work on a worker, then its peak reset; returns its RSS."""
    quiet()
    from pgm.learning import fit_parameters

    fit_parameters(bn, _part(bn, 1000, 0))
    import gc

    gc.collect()
    _reset_peak()
    return _rss_bytes()


def _part(bn, rows: int, seed: int):
    """One partition, sampled where it runs."""
    return bn.simulate(rows, seed=seed).to_frame()


def _pandas_reference(bn, n: int, part_rows: int) -> dict:
    """In a fresh process: the same partitions concatenated into one pandas frame, then
    MLE counts; peak RSS growth over the process's state after imports."""
    quiet()
    import pandas as pd

    from pgm.learning import fit_parameters

    base = _warm_worker(bn)  # imports and first-call work out of the peak
    t0 = time.perf_counter()
    df = pd.concat([_part(bn, part_rows, k) for k in range(n // part_rows)], ignore_index=True)
    gen_s = time.perf_counter() - t0
    after_data = _maxrss_bytes()
    t0 = time.perf_counter()
    res = fit_parameters(bn, df)
    fit_s = time.perf_counter() - t0
    return {"gen_s": gen_s, "fit_s": fit_s, "frame_bytes": int(df.memory_usage(deep=True).sum()),
            "peak_after_data": after_data - base, "peak": _maxrss_bytes() - base,
            "counts": res.counts, "n_rows": res.n_rows}


def bench_dask(args, nets: Networks) -> list[dict]:
    import concurrent.futures
    import multiprocessing

    dd = optional_import("dask.dataframe")
    distributed = optional_import("dask.distributed")
    if dd is None or distributed is None:
        print("  dask[distributed] is not installed; section skipped")
        return []
    import dask

    from pgm.learning import fit_parameters

    bn = nets.pgm("alarm")
    part_rows = 250_000
    sizes = [250_000, 1_000_000] if args.quick else [1_000_000, 10_000_000]
    rows = []
    ctx = multiprocessing.get_context("spawn")
    meta = _part(bn, 1, 0).iloc[:0]
    for n in sizes:
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as pool:
            ref = pool.submit(_pandas_reference, bn, n, part_rows).result()
        rows.append({"rows": n, "engine": "pandas", "workers": 1, "fit_s": ref["fit_s"],
                     "gen_s": ref["gen_s"], "peak_bytes": ref["peak"],
                     "data_bytes": ref["frame_bytes"], "counts_equal": None})
        print(f"  pandas {n:,}: fit {fmt_seconds(ref['fit_s'])}, peak RSS growth "
              f"{ref['peak'] / 2**20:.0f} MiB (frame {ref['frame_bytes'] / 2**20:.0f} MiB)", flush=True)
        for workers in (1, 2):
            with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                          dashboard_address=None) as cluster, \
                    distributed.Client(cluster) as client:
                def frame():
                    return dd.from_delayed([dask.delayed(_part)(bn, part_rows, k)
                                            for k in range(n // part_rows)], meta=meta,
                                           verify_meta=False)
                base = client.run(_warm_worker, bn)
                t0 = time.perf_counter()
                res = fit_parameters(bn, frame())
                fit_s = time.perf_counter() - t0
                peak = client.run(_maxrss_bytes)
                del res.model
                equal = all(np.array_equal(res.counts[v], ref["counts"][v]) for v in ref["counts"])
                t0 = time.perf_counter()
                total = int(frame().map_partitions(len).compute().sum())
                gen_s = time.perf_counter() - t0
                growth = max(peak[w] - base[w] for w in peak)
                rows.append({"rows": n, "engine": "dask", "workers": workers, "fit_s": fit_s,
                             "gen_s": gen_s, "peak_bytes": growth,
                             "worker_peak_rss": max(peak.values()), "counts_equal": equal,
                             "n_rows": total})
                print(f"  dask {workers} worker(s) {n:,}: fit incl. sampling {fmt_seconds(fit_s)}, "
                      f"sampling only {fmt_seconds(gen_s)}, per-worker peak growth "
                      f"{growth / 2**20:.0f} MiB, counts equal: {equal}", flush=True)
    return rows


def dask_table(rows):
    out = []
    for r in rows:
        if r["engine"] == "pandas":
            note = (f"fit on an in-memory frame ({r['data_bytes'] / 2**20:.0f} MiB); "
                    f"sampling {fmt_seconds(r['gen_s'])}")
            fit_only = r["fit_s"]
        else:
            # the counting alone, when the difference is clearly above the noise
            fit_only = r["fit_s"] - r["gen_s"] if r["fit_s"] - r["gen_s"] > 0.15 * r["fit_s"] else None
            note = f"sampling on the workers alone {fmt_seconds(r['gen_s'])}"
        out.append({"rows": r["rows"], "engine": r["engine"], "workers": r["workers"],
                    "fit seconds": fmt_seconds(r["fit_s"]),
                    "rows/s": fmt_rate(rate(r["rows"], r["fit_s"])),
                    "rows/s, sampling subtracted": fmt_rate(rate(r["rows"], fit_only)),
                    "peak RSS growth": f"{r['peak_bytes'] / 2**20:.0f} MiB"
                                       + (" (largest worker)" if r["engine"] == "dask" else " (process)"),
                    "counts == pandas": r["counts_equal"], "note": note})
    return out


# ============================================================ main
def main() -> int:
    parser = bench_parser(__doc__.splitlines()[0])
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS),
                        help="which sections to run (default: all)")
    args = parser.parse_args()
    quiet()
    pgmpy_ok = optional_import("pgmpy") is not None
    gum = optional_import("pyagrum")
    for lib, ok in (("pgmpy", pgmpy_ok), ("pyagrum", gum is not None)):
        if not ok:
            print(f"{lib} is not installed (pip install -e '.[bench]'); its columns stay empty")
    payload: dict = {"machine": machine_info(list(__import__("_common").DEFAULT_LIBRARIES)
                                             + ["pandas", "dask", "distributed"]),
                     "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                            "PGM_DATA_DIR")},
                     "quick": args.quick}
    if gum is not None:
        payload["pyagrum_threads"] = gum.BNLearner(
            __import__("pandas").DataFrame({"a": ["0", "1"]})).getNumberOfThreads()
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        nets = Networks(Path(tmp))
        plan = [
            ("sampling", "1. forward sampling, samples/s",
             lambda: bench_sampling(args, nets, pgmpy_ok, gum), sampling_table),
            ("fitting", "2. parameter fitting, seconds per fit (the same categorical DataFrame for all)",
             lambda: bench_fitting(args, nets, pgmpy_ok, gum), fitting_table),
            ("em", "3. EM with 20% of values missing (MCAR)",
             lambda: bench_em(args, nets, pgmpy_ok, gum), em_table),
            ("predict", "4. predict_proba, alarm, 5 hidden columns",
             lambda: bench_predict(args, nets, pgmpy_ok), predict_table),
            ("dask", "5. MLE counts on pandas vs Dask (alarm, partitions sampled on the workers)",
             lambda: bench_dask(args, nets), dask_table),
        ]
        tables = {}
        for key, title, run, table in plan:
            if key not in args.sections:
                continue
            print(f"\n{title}", flush=True)
            t0 = time.perf_counter()
            result = run()
            payload[key] = result
            payload[f"{key}_seconds"] = time.perf_counter() - t0
            tables[key] = (title, table(result))
            if args.json:
                write_json(args.json, payload)
    print(f"\n==== tables (total {time.perf_counter() - t_start:.0f} s) ====")
    for key, (title, table) in tables.items():
        print(f"\n{title} ({payload[key + '_seconds']:.0f} s)\n")
        print_table(table, markdown=args.markdown)
    if args.json:
        write_json(args.json, payload)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
