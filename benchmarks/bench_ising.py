"""Ising image denoising (PRML 8.3.3): speed of the compiled grid kernels and restoration quality.

Speed, for square images of side 512 and 2048 (``--quick``: 128 and 512) with 10% flip
noise, ``beta=1, eta=2.1, h=0``:

* ICM: ``IsingDenoiser.icm`` (compiled checkerboard kernel, to convergence) against a
  plain NumPy checkerboard ICM with the same colour order and tie rule (the two must
  give the same image; checked);
* Gibbs: seconds per sweep of the raw compiled kernel (``GridIsing.gibbs``, many sweeps
  in one call), of ``IsingDenoiser.gibbs`` (end to end: one kernel call per batch,
  the running spin sums kept inside the kernel, marginals, batch-means errors and
  MPM image) and of a plain NumPy checkerboard Gibbs sampler that keeps the same
  running sums;
* graph cut: ``IsingDenoiser.graph_cut`` (``scipy.sparse.csgraph.maximum_flow``, Dinic).

Quality: pixels restored on the built-in image (several noise seeds) and on binarized
MNIST test digits, for ICM, Gibbs (MPM), annealing and graph cut.

Usage::

    python benchmarks/bench_ising.py [--quick] [--json FILE] [--markdown] [--sizes 512 2048]
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    bench_parser,
    fmt_ratio,
    fmt_seconds,
    machine_info,
    print_table,
    time_call,
    write_json,
)
from scipy.special import expit  # noqa: E402

from pgm.exceptions import ModelLoadError  # noqa: E402
from pgm.models.images import add_flip_noise, mnist_digits, shapes_image  # noqa: E402
from pgm.models.ising import IsingDenoiser  # noqa: E402

BETA, ETA, H = 1.0, 2.1, 0.0


# ------------------------------------------------------------ NumPy baseline
def _neighbour_sum(s: np.ndarray) -> np.ndarray:
    out = np.zeros(s.shape, dtype=np.float64)
    out[1:] += s[:-1]
    out[:-1] += s[1:]
    out[:, 1:] += s[:, :-1]
    out[:, :-1] += s[:, 1:]
    return out


def _colours(shape) -> list[np.ndarray]:
    i, j = np.indices(shape)
    return [(i + j) % 2 == c for c in (0, 1)]


def numpy_icm(y: np.ndarray, max_sweeps: int = 100) -> tuple[np.ndarray, int]:
    """Checkerboard ICM in NumPy: colour 0 then colour 1, a spin moves on a strict gain."""
    s = y.astype(np.int8).copy()
    field = ETA * y - H
    masks = _colours(y.shape)
    for t in range(max_sweeps):
        changed = 0
        for m in masks:
            f = field + BETA * _neighbour_sum(s)
            new = np.where(f > 0, 1, np.where(f < 0, -1, s)).astype(np.int8)
            move = m & (new != s)
            s[move] = new[move]
            changed += int(move.sum())
        if changed == 0:
            return s, t + 1
    return s, max_sweeps


def numpy_gibbs(y: np.ndarray, n_sweeps: int, seed: int = 0) -> np.ndarray:
    """Checkerboard Gibbs in NumPy with running sums of the spins; returns P(x=+1)."""
    rng = np.random.default_rng(seed)
    s = y.astype(np.int8).copy()
    field = ETA * y - H
    masks = _colours(y.shape)
    acc = np.zeros(y.shape, dtype=np.int64)
    for _ in range(n_sweeps):
        for m in masks:
            p = expit(2.0 * (field + BETA * _neighbour_sum(s)))
            new = np.where(rng.random(y.shape) < p, 1, -1).astype(np.int8)
            s[m] = new[m]
        acc += s
    return (acc / n_sweeps + 1) / 2


# -------------------------------------------------------------------- speed
def bench_speed(sizes, quick: bool) -> list[dict]:
    model = IsingDenoiser(BETA, ETA, H)
    rows: list[dict] = []
    for n in sizes:
        rows += _bench_size(model, n, quick)
        print(f"  done {n}x{n}", file=sys.stderr)
    return rows


def _bench_size(model: IsingDenoiser, n: int, quick: bool) -> list[dict]:
    rows = []
    x = shapes_image(n)
    y = add_flip_noise(x, 0.1, seed=0)
    big = n >= 2048
    rep = 1 if big else (2 if quick else 3)
    sweeps = 20 if quick else (40 if big else 100)
    # ICM
    r_icm = model.icm(y)
    t_icm = time_call(lambda: model.icm(y), repeat=rep, number=1)
    s_np, np_sweeps = numpy_icm(y)
    t_np_icm = time_call(lambda: numpy_icm(y), repeat=rep, number=1, warmup=0)
    same = bool((s_np == r_icm.image).all())
    t_build = time_call(lambda: model.grid(y), repeat=rep, number=1)
    g = model.grid(y)
    t_kicm = time_call(lambda: g.icm(y.copy(), 100), repeat=rep, number=1)
    rows.append({"case": f"ICM {n}x{n} (icm())", "pgm": t_icm.best, "numpy": t_np_icm.best,
                 "speedup": t_np_icm.best / t_icm.best, "sweeps": r_icm.n_sweeps,
                 "note": ("same image" if same else f"DIFFERENT image ({np_sweeps} numpy sweeps)")
                 + f"; GridIsing() build {fmt_seconds(t_build.best)}"})
    rows.append({"case": f"ICM {n}x{n} (kernel)", "pgm": t_kicm.best, "numpy": t_np_icm.best,
                 "speedup": t_np_icm.best / t_kicm.best, "sweeps": r_icm.n_sweeps,
                 "note": "GridIsing.icm on a prebuilt grid"})
    # Gibbs: raw kernel, model (with marginals), NumPy
    s = y.copy()
    t_raw = time_call(lambda: g.gibbs(s, sweeps, seed=1), repeat=rep, number=1)
    t_model = time_call(lambda: model.gibbs(y, n_samples=sweeps, burn_in=0, seed=1),
                        repeat=rep, number=1)
    t_np = time_call(lambda: numpy_gibbs(y, sweeps), repeat=rep, number=1, warmup=0)
    for label, t in (("kernel", t_raw), ("gibbs()", t_model)):
        rows.append({"case": f"Gibbs sweep {n}x{n} ({label})", "pgm": t.best / sweeps,
                     "numpy": t_np.best / sweeps, "speedup": t_np.best / t.best,
                     "sweeps": sweeps,
                     "note": f"{n * n * sweeps / t.best / 1e6:.0f} M spin updates/s"})
    # graph cut
    t0 = time.perf_counter()
    gc = model.graph_cut(y)
    t_gc = time.perf_counter() - t0
    rows.append({"case": f"graph cut {n}x{n}", "pgm": t_gc, "numpy": None, "speedup": None,
                 "sweeps": None,
                 "note": f"accuracy {gc.accuracy(x):.4f} (ICM {r_icm.accuracy(x):.4f})"})
    return rows


# ------------------------------------------------------------------ quality
def _methods(model, y, seed, quick):
    return {
        "icm": model.icm(y),
        "gibbs": model.gibbs(y, n_samples=100 if quick else 200, burn_in=50, seed=seed),
        "anneal": model.anneal(y, np.geomspace(4.0, 0.05, 150 if quick else 300), seed=seed),
        "graphcut": model.graph_cut(y),
    }


def bench_quality(quick: bool) -> list[dict]:
    model = IsingDenoiser(BETA, ETA, H)
    rows = []
    x = shapes_image(256)
    acc: dict[str, list[float]] = {}
    for seed in range(2 if quick else 5):
        y = add_flip_noise(x, 0.1, seed=seed)
        acc.setdefault("noisy", []).append(float((y == x).mean()))
        for k, r in _methods(model, y, seed, quick).items():
            acc.setdefault(k, []).append(r.accuracy(x))
    rows.append({"images": f"built-in shapes 256x256 ({len(acc['noisy'])} noise seeds)",
                 **{k: float(np.mean(v)) for k, v in acc.items()},
                 "min_icm": float(np.min(acc["icm"])), "min_graphcut": float(np.min(acc["graphcut"]))})
    try:
        digits, _ = mnist_digits(20 if quick else 100)
    except ModelLoadError as exc:
        print(f"  MNIST skipped: {exc}", file=sys.stderr)
        return rows
    acc = {}
    for i, d in enumerate(digits):
        y = add_flip_noise(d, 0.1, seed=i)
        acc.setdefault("noisy", []).append(float((y == d).mean()))
        for k, r in _methods(model, y, i, quick).items():
            acc.setdefault(k, []).append(r.accuracy(d))
    rows.append({"images": f"MNIST test digits 0..{len(digits) - 1} (28x28)",
                 **{k: float(np.mean(v)) for k, v in acc.items()},
                 "min_icm": float(np.min(acc["icm"])), "min_graphcut": float(np.min(acc["graphcut"]))})
    return rows


def main() -> int:
    p = bench_parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=None,
                   help="image sides (default 512 2048; --quick: 128 512)")
    args = p.parse_args()
    sizes = args.sizes or ([128, 512] if args.quick else [512, 2048])
    info = machine_info()
    import numba

    info["numba_threads"] = numba.config.NUMBA_NUM_THREADS
    print(f"machine: {info['cpu']}, {info['cores']} cores, numba threads "
          f"{info['numba_threads']}")
    speed = bench_speed(sizes, args.quick)
    shown = [{**r, "pgm": fmt_seconds(r["pgm"]), "numpy": fmt_seconds(r["numpy"]),
              "speedup": fmt_ratio(r["speedup"])} for r in speed]
    print("\nSpeed (best of repeats; Gibbs: seconds per sweep)")
    print_table(shown, ["case", "pgm", "numpy", "speedup", "sweeps", "note"],
                markdown=args.markdown)
    quality = bench_quality(args.quick)
    print("\nPixels restored (beta=1, eta=2.1, h=0, 10% flips; mean over images)")
    print_table(quality, ["images", "noisy", "icm", "gibbs", "anneal", "graphcut", "min_icm",
                          "min_graphcut"], markdown=args.markdown)
    if args.json:
        write_json(args.json, {"machine": info, "parameters": {"beta": BETA, "eta": ETA, "h": H,
                                                               "noise": 0.1},
                               "speed": speed, "quality": quality})
    return 0


if __name__ == "__main__":
    sys.exit(main())
