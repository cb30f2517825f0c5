"""AIS temperature schedules: error of log Z at equal temperatures and at equal compute.

Schedules (:func:`pgm.models.rbm_likelihood.ais_betas`): ``paper`` (Salakhutdinov &
Murray 2008: 500 : 4,000 : 10,000 temperatures in [0, 0.5), [0.5, 0.9), [0.9, 1]),
``sigmoid`` (Grosse, Maddison & Salakhutdinov 2013, delta = 4: dense near both ends) and
``adaptive`` (a pilot of 20 runs x 500 temperatures measures the variance of the
log-weight increments per unit beta, v(beta); the K temperatures then carry equal
variance, beta_k = F^-1(k / K), F ∝ ∫ sqrt(v): :func:`~pgm.models.rbm_likelihood.schedule_pilot`).
The pilot's cost (20 x 500 = 10,000 temperature-runs, i.e. 100 temperatures of 100
runs) is counted: ``compute`` = K x runs (+ the pilot), and the row
``adaptive@compute`` runs the adaptive schedule with K - pilot / runs temperatures, the
same total compute as ``paper`` with K (where the pilot is over 2% of it: not at K =
8,000, where ``adaptive`` costs 1.25% more than ``paper``).

Models: two RBMs with 20 and 25 hidden units trained by CD-1 (5 epochs,
``pgm.models.rbm.BernoulliRBM``) on 10,000 MNIST training digits thresholded at 0.5
(28 x 28), whose exact log Z is enumerated; for them, over ``--seeds`` seeds of 100 runs
each: the mean absolute error of log Z, its mean signed error (AIS is too low in
expectation) and the mean effective runs, for AIS at K in (500, 2000, 8000) and RAISE
(100 test images) at K in (500, 2000).  And one 500-hidden-unit model
(``/tmp/pcd500/model.npz``, loaded as ``pgm rbm score`` loads it, if it exists; else
CD-1, 3 epochs on 10,000 images), base rate from the 60,000 training digits, at K in
(500, 2000) over 3 seeds: no exact answer, so the mean, the spread (standard deviation over seeds)
and the effective runs of log Z are what to compare (a higher mean is the less biased,
AIS being too low in expectation).

Usage::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PGM_DATA_DIR=/work/shared/data \\
        python benchmarks/bench_ais_schedules.py [--quick] [--json FILE] [--seeds N]
"""

from __future__ import annotations

import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _common import bench_parser, machine_info, print_table, write_json  # noqa: E402

import pgm.models.rbm as R  # noqa: E402  (sets OMP_WAIT_POLICY before any kernel runs)
from pgm.datasets import load_mnist  # noqa: E402
from pgm.exceptions import EstimateWarning  # noqa: E402
from pgm.models import rbm_likelihood as L  # noqa: E402

BIG_MODEL = "/tmp/pcd500/model.npz"
VARIANTS = ("paper", "sigmoid", "adaptive", "adaptive@compute")


def mnist(kind: str, limit: int | None = None, pool: bool = False) -> np.ndarray:
    images, _ = load_mnist(kind, limit=limit)
    B = images > 127
    if pool:   # --quick: 14 x 14, the maximum of each 2 x 2 block
        B = B.reshape(-1, 14, 2, 14, 2).max(axis=(2, 4))
    return B.reshape(len(B), -1).astype(np.float32)


def train(X: np.ndarray, hidden: int, epochs: int, seed: int):
    return R.BernoulliRBM(n_components=hidden, n_iter=epochs, learning_rate=0.1, batch_size=100,
                          random_state=seed).fit(X).rbm_


def temps_of(variant: str, K: int, runs: int, pilot_cost: int) -> int:
    return K - pilot_cost // runs if variant == "adaptive@compute" else K


def one(rbm, variant: str, K: int, runs: int, seed: int, bA, pilot, *, Xt=None) -> dict:
    """One AIS (``Xt`` None) or RAISE estimate; the compute counts the pilot."""
    sched = "adaptive" if variant.startswith("adaptive") else variant
    Kv = temps_of(variant, K, runs, pilot.cost)
    kw = {"schedule": sched, "pilot": pilot if sched == "adaptive" else None, "seed": seed,
          "betas": Kv}
    if Xt is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EstimateWarning)
            r = L.ais_log_partition(rbm, base_bias=bA, n_runs=runs, **kw)
        ess = r.effective_runs
    else:
        r = L.raise_log_likelihood(rbm, Xt, base_bias=bA, n_images=runs, **kw)
        ess = None
    return {"variant": variant, "K": K, "temperatures": Kv, "seed": seed, "log_z": r.log_z,
            "log_z_std": r.log_z_std, "effective_runs": ess,
            "compute": Kv * runs + (pilot.cost if sched == "adaptive" else 0)}


def summarize(raw: list[dict], exact: float | None) -> list[dict]:
    rows = []
    keys = sorted({(q["estimator"], q["K"]) for q in raw}, key=lambda t: (t[0], t[1]))
    for est, K in keys:
        for v in VARIANTS:
            qs = [q for q in raw if q["estimator"] == est and q["K"] == K and q["variant"] == v]
            if not qs:
                continue
            lz = np.array([q["log_z"] for q in qs])
            row = {"estimator": est, "K": K, "schedule": v, "temps": qs[0]["temperatures"],
                   "compute": qs[0]["compute"], "seeds": len(qs)}
            if exact is not None:
                row["mean_abs_err"] = float(np.mean(np.abs(lz - exact)))
                row["mean_err"] = float(np.mean(lz - exact))
            row["mean_log_z"] = float(lz.mean())
            row["sd_log_z"] = float(lz.std(ddof=1)) if lz.size > 1 else float("nan")
            ess = [q["effective_runs"] for q in qs if q["effective_runs"] is not None]
            row["mean_ess"] = float(np.mean(ess)) if ess else None
            rows.append(row)
    return rows


def run_model(name: str, rbm, bA, Ks, raise_Ks, seeds, runs, Xt, exact, log) -> dict:
    raw = []
    pilot_cost = 0
    for sd in seeds:
        pilot = L.schedule_pilot(rbm, base_bias=bA, seed=sd)
        pilot_cost = pilot.cost
        for est, Kset, data in (("ais", Ks, None), ("raise", raise_Ks, Xt)):
            for K in Kset:
                for v in VARIANTS:
                    # equal compute only where the pilot is over 2% of it
                    if v == "adaptive@compute" and pilot.cost < 0.02 * K * runs:
                        continue
                    raw.append({"estimator": est, **one(rbm, v, K, runs, sd, bA, pilot, Xt=data)})
        print(f"  {name}: seed {sd} done", file=log, flush=True)
    rows = [{"model": name, **r} for r in summarize(raw, exact)]
    return {"model": name, "hidden": rbm.n_hidden, "visible": rbm.n_visible, "exact_log_z": exact,
            "pilot_cost": pilot_cost, "rows": rows, "raw": raw}


def main() -> int:
    p = bench_parser(__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=None, help="seeds per cell (default 5; quick 2)")
    p.add_argument("--big-seeds", type=int, default=None,
                   help="seeds for the 500-unit model (default 3; quick 2)")
    args = p.parse_args()
    log = sys.stderr
    t0 = time.perf_counter()
    q = args.quick
    seeds = list(range(args.seeds or (2 if q else 5)))
    big_seeds = list(range(args.big_seeds or (2 if q else 3)))
    runs = 50 if q else 100
    # quick: K above the pilot's 10,000 / runs, so that the equal-compute row has some
    Ks = (400, 1600) if q else (500, 2000, 8000)
    raise_Ks = (400,) if q else (500, 2000)
    big_Ks = (1000,) if q else (500, 2000)
    X = mnist("train", limit=2000 if q else 10000, pool=q)
    Xt = mnist("test", limit=500, pool=q)
    results = []
    for hidden, mseed in ((10, 0), (12, 1)) if q else ((20, 0), (25, 1)):
        rbm = train(X, hidden, 3 if q else 5, mseed)
        te = time.perf_counter()
        exact = L.exact_log_partition(rbm)
        print(f"{hidden} hidden units: exact log Z {exact:.4f} ({time.perf_counter() - te:.0f} s)",
              file=log, flush=True)
        bA = L._base_bias(rbm, X, None)
        results.append(run_model(f"mnist-{hidden}h", rbm, bA, Ks, raise_Ks, seeds, runs, Xt,
                                 exact, log))
    if os.path.exists(BIG_MODEL):
        big = R.RBM.load(BIG_MODEL)    # as `pgm rbm score` loads it
        big_name, Xb = "pcd500 (/tmp/pcd500)", mnist("train")
    else:
        Xb = mnist("train", limit=10000)
        big, big_name = train(Xb, 500, 3, 0), "cd1-500 (3 epochs, 10,000 images)"
    big_runs = 20 if q else runs
    bA = L._base_bias(big, Xb, None)
    results.append(run_model(big_name, big, bA, big_Ks, (), big_seeds, big_runs, None, None, log))
    seconds = time.perf_counter() - t0
    cols_small = ["model", "estimator", "K", "schedule", "temps", "compute", "mean_abs_err",
                  "mean_err", "sd_log_z", "mean_ess"]
    cols_big = ["model", "estimator", "K", "schedule", "temps", "compute", "mean_log_z",
                "sd_log_z", "mean_ess"]
    for res in results:
        print(f"\n{res['model']}: {res['visible']} visible, {res['hidden']} hidden; exact log Z "
              f"{res['exact_log_z']}; pilot {res['pilot_cost']} temperature-runs")
        print_table(res["rows"], cols_small if res["exact_log_z"] is not None else cols_big,
                    markdown=args.markdown)
    print(f"\n{seconds:.0f} s in all")
    if args.json:
        write_json(args.json, {"machine": machine_info(), "quick": q, "seeds": seeds,
                               "big_seeds": big_seeds, "runs": runs, "seconds": seconds,
                               "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
