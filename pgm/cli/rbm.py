"""``pgm rbm``: train, score and sample binary restricted Boltzmann machines.

Examples::

    pgm rbm train --data digits --hidden 64 --epochs 20 -o runs/digits --json
    pgm rbm train --data mnist --hidden 500 --k 1 --epochs 10 -o runs/cd1 [--resume]
    pgm rbm score runs/cd1/model.npz --data mnist --method ais --json
    pgm rbm score runs/cd1/model.npz --method bracket --max-seconds 900 --json
    pgm rbm sample runs/cd1/model.npz --chains 100 --steps 1000 -o samples.png --json

``--data``: ``mnist`` (``$PGM_DATA_DIR/mnist``; validation: the test set),
``digits`` (scikit-learn's 8x8 digits scaled to [0, 1], offline) or a ``.npy`` /
``.npz`` file (an array of rows or images; an ``.npz`` may hold ``train`` and
``validation``/``test`` arrays).  Grey levels are thresholded at 0.5 unless
``--no-binarize``.

As everywhere in ``pgm``: ``-o/--out`` is the output path (a folder for ``train``,
a PNG for ``sample``), ``--seed`` defaults to :data:`pgm.validation.DEFAULT_SEED`,
``--json`` prints one strict JSON object with ``"ok"`` and ``"model"`` (``train``:
the final history row, the paths written and the seconds per epoch), counts and
rates are validated (exit 2), and ``--runs``, ``--temperatures``, ``--schedule`` and
``--seed`` are refused with ``score --method exact``, which does not use them.  ``--data`` files must
hold numeric 2-D rows (or 3-D images) of finite values in ``[0, 1]``; ``--memory-budget
BYTES`` (default ``$PGM_MEMORY_BUDGET`` or 4 GiB) bounds the data (read from the file's
header first), the weights (``--hidden``), the AIS runs (``--runs``) and the chains
(``--chains``): over it, exit 2 before anything is allocated.
"""

from __future__ import annotations

import argparse

from pgm.cli.options import (
    add_json_option,
    add_memory_budget_option,
    add_out_option,
    add_seed_option,
)

__all__ = ["add_parser", "run", "load_data"]

#: largest ``--sigma``: wider initial weights overflow the float32 logits (and mean nothing)
MAX_SIGMA = 1e3

#: ``score --schedule`` (:data:`pgm.models.rbm_likelihood.SCHEDULES`, not imported here:
#: building the parser stays light)
SCORE_SCHEDULES = ("paper", "sigmoid", "adaptive")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``pgm rbm`` and its subcommands (argparse only)."""
    p = subparsers.add_parser("rbm", help="train, score and sample binary RBMs",
                              description="Binary restricted Boltzmann machines: CD-k / PCD "
                                          "training, exact and AIS log-likelihoods, sampling.")
    sub = p.add_subparsers(dest="rbm_command", metavar="ACTION")

    def data_args(q, default=None):
        q.add_argument("--data", default=default, required=default is None,
                       help="mnist, digits, or a .npy/.npz file of rows in [0, 1]")
        q.add_argument("--binarize", action=argparse.BooleanOptionalAction, default=True,
                       help="threshold grey levels at 0.5 (default on)")
        q.add_argument("--limit", type=int, default=None, help="use only the first N rows")

    t = sub.add_parser("train", help="train an RBM by CD-k or PCD",
                       description="Train an RBM; writes model.npz, checkpoint.npz, "
                                   "history.csv/.json, filters.png and curves.png to --out.")
    data_args(t)
    t.add_argument("--hidden", type=int, default=100, help="hidden units (default 100)")
    t.add_argument("--k", type=int, default=1, help="Gibbs steps per update (default 1)")
    t.add_argument("--persistent", action="store_true", help="persistent CD")
    t.add_argument("--epochs", type=int, default=10, help="epochs in total (default 10)")
    t.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    t.add_argument("--batch-size", type=int, default=100, help="minibatch size (default 100)")
    t.add_argument("--schedule", choices=("constant", "linear"), default="constant",
                   help="learning-rate schedule: constant, or linear decay to zero at the last "
                        "epoch (default constant)")
    t.add_argument("--momentum", type=float, default=0.5, help="momentum (default 0.5)")
    t.add_argument("--final-momentum", type=float, default=None,
                   help="momentum from epoch 6 on (default: --momentum throughout)")
    t.add_argument("--weight-decay", type=float, default=2e-4, help="L2 on W (default 2e-4)")
    t.add_argument("--sigma", type=float, default=0.1,
                   help=f"initial weight std, in (0, {MAX_SIGMA:g}] (default 0.1)")
    t.add_argument("--val-fraction", type=float, default=0.1,
                   help="held-out fraction when the data has no validation set (default 0.1)")
    add_seed_option(t)
    add_out_option(t, "output folder", default="rbm-out", metavar="DIR")
    t.add_argument("--resume", action="store_true",
                   help="continue from OUT/checkpoint.npz up to --epochs")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    add_memory_budget_option(t, "largest allocation allowed (the data, the weights and the "
                                "minibatch buffers)")
    add_json_option(t)
    t.set_defaults(run=run)

    s = sub.add_parser("score", help="average log-likelihood (exact or AIS)")
    s.add_argument("model", help="a model .npz written by pgm rbm train")
    data_args(s, default="mnist")
    s.add_argument("--split", choices=("test", "train"), default="test",
                   help="mnist/digits split to score (default test)")
    s.add_argument("--method", choices=("exact", "ais", "raise", "bracket"), default="exact",
                   help="exact (enumerates the hidden or visible states; small RBMs), ais, "
                        "raise (reverse AIS from test images) or bracket (AIS and RAISE under "
                        "the convergence protocol; default exact)")
    s.add_argument("--runs", type=int, default=None,
                   help="AIS runs (default 100; with --converge the first step's, growing "
                        "1.5x per doubling up to 1,000)")
    s.add_argument("--images", type=int, default=None,
                   help="raise/bracket: test images RAISE starts from (default 200)")
    s.add_argument("--temperatures", type=int, default=None,
                   help="AIS/RAISE temperatures (default 14,500 as in Salakhutdinov & Murray; "
                        "with --converge the first step's, default 1,000)")
    s.add_argument("--schedule", choices=SCORE_SCHEDULES, default=None,
                   help="AIS/RAISE temperature schedule: paper (Salakhutdinov & Murray's "
                        "piecewise-linear split), sigmoid (dense near both ends) or adaptive "
                        "(placed by a 20-run x 500-temperature pilot so that each step carries "
                        "equal variance; its cost is reported); default paper")
    s.add_argument("--converge", action="store_true",
                   help="double the temperatures until log Z changes by less than --tolerance "
                        "over two doublings (always on with --method bracket)")
    s.add_argument("--tolerance", type=float, default=0.3,
                   help="--converge: nats (default 0.3)")
    s.add_argument("--max-seconds", type=float, default=900.0,
                   help="--converge: time limit in seconds (default 900)")
    add_seed_option(s, "seed of the AIS/RAISE runs")
    add_memory_budget_option(s, "largest allocation allowed (the data and the AIS runs)")
    add_json_option(s)
    s.set_defaults(run=run)

    g = sub.add_parser("sample", help="run Gibbs chains and tile the samples into a PNG")
    g.add_argument("model", help="a model .npz written by pgm rbm train")
    g.add_argument("--chains", type=int, default=100, help="Gibbs chains (default 100)")
    g.add_argument("--steps", type=int, default=1000, help="Gibbs steps (default 1000)")
    add_seed_option(g)
    g.add_argument("--shape", default=None, help="image shape HxW (default: square)")
    g.add_argument("--binary", action="store_true",
                   help="tile binary samples instead of P(v=1|h) of the last step")
    add_out_option(g, "the PNG to write", default="samples.png")
    add_memory_budget_option(g, "largest allocation allowed (the chains and the tiled image)")
    add_json_option(g)
    g.set_defaults(run=run)
    p.set_defaults(run=run)
    return p


# ------------------------------------------------------------------ data
def load_data(spec: str, *, binarize: bool = True, limit: int | None = None,
              split: str = "train", val_fraction: float = 0.1, seed: int = 0,
              memory_budget: int | None = None):
    """``(data, validation or None, image shape or None)`` for ``--data``.

    ``split="test"`` returns the test rows as ``data`` (mnist, digits' held-out part).
    A ``.npy`` / ``.npz`` file must hold numeric rows (2-D) or images (3-D) with finite
    values in ``[0, 1]`` (``uint8`` grey levels are scaled by 1/255); anything else is a
    :class:`~pgm.exceptions.ModelLoadError` naming the file.  An array's size (from its
    header) is checked against ``memory_budget`` before it is read.
    """
    import zipfile
    import zlib
    from pathlib import Path

    import numpy as np

    from pgm._config import check_allocation
    from pgm.datasets import binarize as binarize_rows
    from pgm.exceptions import ModelLoadError, ParameterError, PGMError
    from pgm.models.rbm import check_data

    if not 0 <= val_fraction < 1:
        raise ParameterError(f"--val-fraction must be in [0, 1), got {val_fraction}")
    damaged = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error)

    def rows(a, what="--data " + str(spec)):
        a = np.asarray(a)
        if a.ndim > 2 and a.size:
            a = a.reshape(a.shape[0], -1)
        if a.dtype == np.uint8:
            a = a / 255.0
        a = a[:limit] if limit is not None and a.ndim else a
        try:
            a = check_data(a, name=what, dtype=np.float32)
        except PGMError as exc:
            raise ModelLoadError(str(exc)) from None
        return binarize_rows(a) if binarize else a

    def check_size(shape, dtype, what):
        n = int(np.prod(shape, dtype=object))
        check_allocation(n * (np.dtype(dtype).itemsize + 16), f"reading {what} (shape {shape})",
                         memory_budget=memory_budget)

    def split_off(a):
        n_val = int(round(len(a) * val_fraction))
        if n_val == 0 or n_val >= len(a):
            return a, None
        perm = np.random.default_rng([seed, 99]).permutation(len(a))
        return a[np.sort(perm[n_val:])], a[np.sort(perm[:n_val])]

    if spec == "mnist":
        from pgm.datasets import load_mnist

        if split == "test":
            return rows(load_mnist("test", download=True)[0]), None, (28, 28)
        return (rows(load_mnist("train", download=True)[0]),
                rows(load_mnist("test", download=True)[0]), (28, 28))
    if spec == "digits":
        from sklearn.datasets import load_digits

        X = load_digits().data / 16.0
        n_test = 297   # the last 297 of 1797 digits are the held-out part
        train, test = X[:-n_test], X[-n_test:]
        if split == "test":
            return rows(test), None, (8, 8)
        return rows(train), rows(test), (8, 8)
    path = Path(spec)
    if not spec or not path.exists():
        raise ModelLoadError(f"--data {spec!r}: not 'mnist', 'digits' or an existing file")
    if path.is_dir():
        raise ModelLoadError(f"--data {spec}: a folder, not a .npy/.npz file")
    try:
        loaded = np.load(path, mmap_mode="r", allow_pickle=False)
    except damaged as exc:
        raise ModelLoadError(f"cannot read {path} as .npy/.npz: {exc}") from None
    if isinstance(loaded, np.ndarray):
        check_size(loaded.shape, loaded.dtype, str(path))
        try:
            arr = np.array(loaded)
        except damaged as exc:
            raise ModelLoadError(f"cannot read {path} as .npy: {exc}") from None
        shape = arr.shape[1:] if arr.ndim == 3 else None
        data, val = split_off(rows(arr))
        return (val if split == "test" and val is not None else data), \
            (None if split == "test" else val), shape
    if not hasattr(loaded, "files"):
        raise ModelLoadError(f"{path} is not a .npy/.npz array file")

    def member(key):
        what = f"{path}[{key!r}]"
        try:
            with loaded.zip.open(key + ".npy") as f:
                fmt = np.lib.format
                version = fmt.read_magic(f)
                header = fmt.read_array_header_1_0 if version == (1, 0) else \
                    fmt.read_array_header_2_0
                shape, _, dtype = header(f)
        except damaged as exc:
            raise ModelLoadError(f"cannot read {what}: {exc}") from None
        check_size(shape, dtype, what)
        try:
            return loaded[key]
        except damaged as exc:
            raise ModelLoadError(f"cannot read {what}: {exc}") from None

    with loaded:
        keys = list(loaded.files)
        if not keys:
            raise ModelLoadError(f"{path} holds no array")
        tkey = "train" if "train" in keys else keys[0]
        vkey = next((k for k in ("validation", "valid", "val", "test") if k in keys), None)
        arr = member(tkey)
        shape = arr.shape[1:] if arr.ndim == 3 else None
        if split == "test":
            return rows(member(vkey) if vkey else arr), None, shape
        if vkey:
            return rows(arr, f"--data {path}[{tkey!r}]"), \
                rows(member(vkey), f"--data {path}[{vkey!r}]"), shape
        data, val = split_off(rows(arr))
        return data, val, shape


def _shape(text: str | None):
    if text is None:
        return None
    from pgm.exceptions import ParameterError

    try:
        h, w = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise ParameterError(f"--shape must look like 28x28, got {text!r}") from None
    return h, w


# ------------------------------------------------------------------ actions
def _check_limit(args) -> None:
    from pgm.validation import check_positive_int

    if args.limit is not None:
        check_positive_int("--limit", args.limit)


def _check_train_args(args) -> None:
    from pgm.validation import check_float, check_positive_int, check_probability

    for flag in ("hidden", "k", "epochs", "batch_size"):
        check_positive_int("--" + flag.replace("_", "-"), getattr(args, flag))
    check_float("--lr", args.lr, minimum=0, include_minimum=False)
    check_probability("--momentum", args.momentum)
    if args.final_momentum is not None:
        check_probability("--final-momentum", args.final_momentum)
    check_float("--weight-decay", args.weight_decay, minimum=0)
    check_float("--sigma", args.sigma, minimum=0, include_minimum=False, maximum=MAX_SIGMA)
    check_float("--val-fraction", args.val_fraction, minimum=0, maximum=1, include_maximum=False)
    _check_limit(args)


def _train(args) -> int:
    import csv
    import io
    import json
    import sys

    from pgm._config import check_allocation
    from pgm.cli.options import check_output_folder, seed_of, write_json
    from pgm.exceptions import ParameterError
    from pgm.files import atomic_write_text
    from pgm.models.rbm import RBM, BernoulliRBM, plot_training_curves
    from pgm.models.tiles import image_shape, save_tiles, tile_filters

    _check_train_args(args)
    seed = seed_of(args)
    log = sys.stderr if args.json else sys.stdout
    out = check_output_folder(args.out, "-o/--out")
    X, Xv, shape = load_data(args.data, binarize=args.binarize, limit=args.limit,
                             val_fraction=args.val_fraction, seed=seed,
                             memory_budget=args.memory_budget)
    ckpt = out / "checkpoint.npz"
    est = BernoulliRBM(n_components=args.hidden, learning_rate=args.lr, batch_size=args.batch_size,
                       n_iter=args.epochs, k=args.k, persistent=args.persistent,
                       momentum=args.momentum, final_momentum=args.final_momentum,
                       learning_rate_schedule=args.schedule, weight_decay=args.weight_decay, sigma=args.sigma,
                       random_state=seed, checkpoint=ckpt, resume=args.resume,
                       verbose=not args.quiet)
    # refused over the budget before the output folder is created (fit checks it again)
    check_allocation(est.training_bytes(*X.shape), f"training an RBM of {X.shape[1]} visible x "
                     f"{args.hidden} hidden units", memory_budget=args.memory_budget)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(f"-o/--out {args.out}: cannot create the folder: {exc}") from None
    if args.resume and not ckpt.exists():
        print(f"pgm rbm train: no checkpoint in {out}; starting afresh", file=log)
    print(f"training an RBM: {X.shape[1]} visible, {args.hidden} hidden, "
          f"{'PCD' if args.persistent else 'CD'}-{args.k}, {len(X)} rows"
          + (f", {len(Xv)} validation rows" if Xv is not None else ""), file=log)
    est.fit(X, X_val=Xv, memory_budget=args.memory_budget)
    est.save(out / "model.npz")
    h = est.history_
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(list(h))
    for row in zip(*h.values()):
        w.writerow([f"{x:.6g}" if isinstance(x, float) else x for x in row])
    atomic_write_text(out / "history.csv", buf.getvalue())
    atomic_write_text(out / "history.json", json.dumps(
        {"params": est.run_description()["params"], "seed": est.seed_, "history": h}, indent=2,
        default=float) + "\n")
    written = [out / "model.npz", ckpt, out / "history.csv", out / "history.json"]
    rbm: RBM = est.rbm_
    try:
        img = shape or image_shape(rbm.n_visible)
        save_tiles(out / "filters.png", tile_filters(rbm.W, img, n_filters=min(rbm.n_hidden, 400),
                                                     scale=1 if img[0] >= 16 else 4))
        written.append(out / "filters.png")
    except ValueError as exc:
        print(f"pgm rbm train: no filters.png ({exc})", file=log)
    last = {k: v[-1] for k, v in h.items()} if h["epoch"] else {}
    if last:
        plot_training_curves(h, out / "curves.png")
        written.append(out / "curves.png")
        print(f"epoch {last['epoch']}: reconstruction error {last['train_recon']:.3f} "
              f"(validation {last['val_recon']:.3f}), free-energy gap "
              f"{last['free_energy_gap']:+.3f}", file=log)
    if args.json:
        seconds = [float(x) for x in h.get("seconds", [])]
        write_json({"ok": True, "model": str(out / "model.npz"), "out": str(out),
                    "written": [str(q) for q in written if q.exists()], "final": last,
                    "epochs": len(h["epoch"]), "seed": est.seed_,
                    "seconds_per_epoch": seconds,
                    "mean_seconds_per_epoch": sum(seconds) / len(seconds) if seconds else None})
    else:
        print(f"wrote {out / 'model.npz'}, history.csv/.json, filters.png, curves.png")
    return 0


def _schedule_words(schedule: str, pilot_cost: int) -> str:
    """``"paper schedule"``, or ``"adaptive schedule, pilot N temperatures x runs"``."""
    return f"{schedule} schedule" + (f", pilot {pilot_cost} temperatures x runs" if pilot_cost
                                     else "")


def _score(args) -> int:
    import math

    import numpy as np

    from pgm._config import check_allocation
    from pgm.cli.options import refuse_unused, seed_of, write_json
    from pgm.models import rbm_likelihood as L
    from pgm.models.rbm import RBM
    from pgm.validation import check_float, check_positive_int

    if args.method == "exact":
        refuse_unused(args, ["--runs", "--temperatures", "--schedule", "--seed", "--images"],
                      "with --method exact (AIS and RAISE only)")
        if args.converge:
            refuse_unused(args, ["--converge"], "with --method exact")
    converge = args.converge or args.method == "bracket"
    runs = check_positive_int("--runs", 100 if args.runs is None else args.runs, minimum=2)
    images = check_positive_int("--images", 200 if args.images is None else args.images,
                                minimum=2)
    if args.temperatures is not None:
        check_positive_int("--temperatures", args.temperatures, minimum=3)
    tol = check_float("--tolerance", args.tolerance, minimum=0, include_minimum=False)
    max_s = check_float("--max-seconds", args.max_seconds, minimum=0, include_minimum=False)
    _check_limit(args)
    seed = seed_of(args)
    rbm = RBM.load(args.model)
    X, _, _ = load_data(args.data, binarize=args.binarize, limit=args.limit, split=args.split,
                        memory_budget=args.memory_budget)
    res = {"ok": True, "model": str(args.model), "data": args.data, "split": args.split,
           "n": int(len(X)), "method": args.method}
    lines = []
    if args.method == "exact":
        est = L.average_log_likelihood(rbm, X, method="exact")
        res.update({"mean_log_likelihood": est.mean, "log_z": est.log_z, "std_error": est.std_error,
                    "lower": est.lower, "upper": est.upper, "log_z_std": 0.0, "reliable": True})
        lines += [f"log Z = {est.log_z:.4f} (exact)",
                  f"average log-likelihood of {est.n} rows: {est.mean:.4f} nats "
                  f"(standard error {est.std_error:.3f} over the rows)"]
    else:
        n_par = max(runs, images) if args.method != "ais" else runs
        # the runs' memory before the data a second time and the temperatures
        check_allocation(n_par * L.ais_run_bytes(rbm.n_visible, rbm.n_hidden, rbm.dtype.itemsize),
                         f"{n_par} {'AIS' if args.method == 'ais' else 'AIS/RAISE'} runs",
                         memory_budget=args.memory_budget)
        train, _, _ = load_data(args.data, binarize=args.binarize, split="train",
                                memory_budget=args.memory_budget)
        res["seed"] = seed
        # the protocol's default schedule (L.PROTOCOL_SCHEDULE) unless --schedule; one pass: paper
        schedule = args.schedule or (L.PROTOCOL_SCHEDULE if converge else "paper")
        res["schedule"] = schedule
        kw = dict(train_data=train, tolerance=tol, max_seconds=max_s, n_runs=runs, seed=seed,
                  start_temperatures=args.temperatures or 1000,
                  memory_budget=args.memory_budget, schedule=schedule)
        if args.method == "bracket":
            br = L.bracket_log_likelihood(rbm, X, raise_images=images, **kw)
            res.update(br.to_dict())
            res["mean_log_likelihood"] = br.ais.mean_log_likelihood if br.converged else None
            lines += [br.ais.describe(), br.raise_.describe(), br.statement]
        elif converge:
            if args.method == "raise":
                kw["n_runs"], kw["max_runs"] = min(100, images), images
            ce = L.converge_log_partition(rbm, method=args.method, data=X, **kw)
            res[args.method] = ce.to_dict()
            res.update({"converged": ce.converged, "sequence": ce.sequence,
                        "mean_log_likelihood": ce.mean_log_likelihood, "log_z": ce.log_z})
            lines += [ce.describe()]
        elif args.method == "ais":
            pilot = (L.schedule_pilot(rbm, data=train, seed=seed) if schedule == "adaptive"
                     else None)
            est = L.average_log_likelihood(rbm, X, method="ais", train_data=train, n_runs=runs,
                                           betas=L.ais_betas(args.temperatures, schedule,
                                                             pilot=pilot), seed=seed,
                                           memory_budget=args.memory_budget)
            K = L.ais_betas(args.temperatures).size - 1
            res["pilot_cost"] = pilot.cost if pilot is not None else 0
            res.update({"mean_log_likelihood": est.mean, "log_z": est.log_z,
                        "log_z_std": est.log_z_std, "std_error": est.std_error,
                        # an error bar (+-3 standard errors of Z), not a bound
                        "lower": est.lower, "upper": est.upper,
                        "reliable": bool(math.isfinite(est.upper)), "runs": runs,
                        "temperatures": K, "converged": None})
            lines += [f"AIS: {K} temperatures ({_schedule_words(schedule, res['pilot_cost'])}), "
                      f"{runs} runs, one pass (not checked for "
                      f"convergence; --converge runs the protocol); log Z = {est.log_z:.4f} "
                      f"(±{3 * est.log_z_std:.3f}, 3 standard errors: an error bar, not a bound)",
                      f"average log-likelihood of {est.n} rows: {est.mean:.4f} nats "
                      f"(AIS errs toward too-high values until it converges)"]
        else:   # raise, one pass
            r = L.raise_log_likelihood(rbm, X, train_data=train, n_images=images,
                                       betas=args.temperatures, seed=seed,
                                       memory_budget=args.memory_budget, schedule=schedule)
            K = r.betas.size - 1
            res["pilot_cost"] = r.pilot_cost
            ll = float(np.mean(-rbm.free_energy(X))) - r.log_z
            res.update({"mean_log_likelihood": ll, "log_z": r.log_z, "log_z_std": r.log_z_std,
                        "runs": r.n_runs, "temperatures": K, "converged": None,
                        "subset_mean_log_likelihood": r.mean_log_likelihood})
            lines += [f"RAISE (reverse AIS): {K} temperatures "
                      f"({_schedule_words(schedule, r.pilot_cost)}), {r.n_runs} test images, one pass "
                      f"(not checked for convergence); implied log Z = {r.log_z:.4f} "
                      f"(standard error {r.log_z_std:.3f})",
                      f"average log-likelihood of {len(X)} rows: {ll:.4f} nats (RAISE errs "
                      f"toward too-low values)"]
    if args.json:   # strict JSON: an unbounded end is null (with a reason)
        write_json(res)
    else:
        print("\n".join(lines))
    return 0


def _sample(args) -> int:
    import time

    from pgm._config import check_allocation
    from pgm.cli.options import check_output_path, seed_of, write_json
    from pgm.models.rbm import RBM
    from pgm.models.tiles import image_shape, save_tiles
    from pgm.validation import check_positive_int

    chains = check_positive_int("--chains", args.chains)
    steps = check_positive_int("--steps", args.steps)
    seed = seed_of(args)
    check_output_path(args.out, "-o/--out")
    rbm = RBM.load(args.model)
    img = image_shape(rbm.n_visible, _shape(args.shape))
    # the chains, then the tiled image (float64 and uint8 pixels with the borders)
    check_allocation(chains * (rbm.chain_bytes + 16 * rbm.n_visible),
                     f"{chains} chains and their tiled image", memory_budget=args.memory_budget)
    t0 = time.perf_counter()
    v = rbm.sample(chains, steps, seed=seed, mean=not args.binary,
                   memory_budget=args.memory_budget)
    path = save_tiles(args.out, v.reshape(len(v), *img), scale=1 if img[0] >= 16 else 4)
    if args.json:
        write_json({"ok": True, "model": str(args.model), "out": str(path), "chains": chains,
                    "steps": steps, "seed": seed, "binary": bool(args.binary),
                    "image_shape": list(img), "seconds": time.perf_counter() - t0})
    else:
        print(f"wrote {path} ({chains} chains, {steps} Gibbs steps)")
    return 0


def run(args) -> int:
    """Run ``pgm rbm ACTION``; returns the exit code."""
    import pgm.models.rbm  # noqa: F401  (sets OMP_WAIT_POLICY before any kernel runs)

    action = getattr(args, "rbm_command", None)
    if action == "train":
        return _train(args)
    if action == "score":
        return _score(args)
    if action == "sample":
        return _sample(args)
    import sys

    print("usage: pgm rbm {train,score,sample} ... (see pgm rbm --help)", file=sys.stderr)
    return 2
