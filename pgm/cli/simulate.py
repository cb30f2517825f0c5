"""``pgm simulate MODEL -n N -o data.csv``: samples of a Bayesian network, written as a table.

``--method forward`` (the default; no evidence), ``rejection`` (samples that disagree with
the evidence are dropped; the acceptance rate is reported, and evidence too improbable
for it is an error, exit 2) or ``weighted`` (likelihood weighting: a last column
``log_weight`` holds each sample's natural-log weight; the effective sample size is
reported).  Evidence is the shared grammar (``-e X=v``, ``--evidence-file FILE``, state
names or indices, :mod:`pgm.evidence`).  ``--seed`` defaults to
:data:`pgm.validation.DEFAULT_SEED` (0).

The output (``-o``) is a CSV file with one column per variable (in the model's order)
holding state names, written atomically; a ``.parquet`` name writes Parquet (needs
pyarrow).  ``--memory-budget BYTES`` bounds the sample array (refused before allocating).

JSON: ``{"ok", "model", "n", "method", "seed", "evidence": {X: state}, "acceptance_rate",
"ess", "out", "columns", "seconds"}``.

Examples::

    pgm simulate asia -n 1000 -o asia.csv
    pgm simulate alarm -n 5000 -e HR=HIGH --method weighted -o hr.csv --json
"""

from __future__ import annotations

import argparse

from pgm.cli.options import (
    add_evidence_options,
    add_json_option,
    add_memory_budget_option,
    add_model_argument,
    add_out_option,
    add_seed_option,
)

__all__ = ["add_parser", "run"]

METHODS = ("forward", "rejection", "weighted")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``simulate`` subcommand (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "simulate",
        help="draw samples of a Bayesian network (forward, rejection, likelihood weighting) "
             "into a CSV file",
        description="Draw N samples of a Bayesian network by forward (ancestral) sampling, "
                    "rejection sampling or likelihood weighting given evidence, and write them "
                    "as a table of state names.",
    )
    add_model_argument(p)
    p.add_argument("-n", "--samples", dest="n", type=int, required=True, metavar="N",
                   help="number of samples (at least 1)")
    add_evidence_options(p)
    p.add_argument("--method", choices=METHODS, default=None,
                   help="forward (no evidence), rejection or weighted (likelihood weighting); "
                        "default forward, or rejection when evidence is given")
    p.add_argument("--max-draws", type=int, default=None, metavar="N",
                   help="rejection: most forward samples drawn before giving up "
                        "(default max(100 N, 100000))")
    add_seed_option(p)
    add_out_option(p, "output table: .csv (state names) or .parquet", required=True)
    add_memory_budget_option(p, "largest allocation allowed (samples x variables)")
    add_json_option(p)
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    """Run ``pgm simulate``; returns the exit code (errors propagate as PGMError: exit 2)."""
    import time

    from pgm.cli.options import (
        check_output_path,
        collect_evidence,
        evidence_json,
        load_model,
        refuse_unused,
        seed_of,
        write_json,
    )
    from pgm.exceptions import ParameterError
    from pgm.files import atomic_write_bytes, atomic_write_text
    from pgm.inference.sampling import simulate
    from pgm.validation import check_positive_int

    n = check_positive_int("-n", args.n)
    seed = seed_of(args)
    check_output_path(args.out, "-o/--out")
    parquet = str(args.out).lower().endswith(".parquet")
    model = load_model(args.model)
    if not hasattr(model, "get_cpd"):
        raise ParameterError(f"pgm simulate needs a Bayesian network; {args.model} is a "
                             f"{type(model).__name__}")
    ev, source = collect_evidence(model, args, command="simulate")
    method = args.method or ("rejection" if ev else "forward")
    if method != "rejection":
        refuse_unused(args, ["--max-draws"], f"with --method {method}")
    if method == "forward" and ev:
        raise ParameterError("--method forward takes no evidence; use --method rejection or "
                             "--method weighted")
    max_draws = None if args.max_draws is None else check_positive_int("--max-draws",
                                                                       args.max_draws)
    t0 = time.perf_counter()
    res = simulate(model, n, ev, method, seed, max_draws=max_draws,
                   memory_budget=args.memory_budget)
    frame = res.to_frame()
    if parquet:
        import io

        buf = io.BytesIO()
        try:
            frame.to_parquet(buf, index=False)
        except ImportError as exc:
            raise ParameterError(f"writing Parquet needs pyarrow ({exc}); use a .csv name") from None
        atomic_write_bytes(args.out, buf.getvalue())
    else:
        atomic_write_text(args.out, frame.to_csv(index=False))
    seconds = time.perf_counter() - t0
    out = {
        "ok": True, "model": str(args.model), "n": len(res), "method": method, "seed": seed,
        "evidence": evidence_json(model, ev),
        **({"evidence_file": source} if source else {}),
        "acceptance_rate": res.acceptance_rate, "ess": res.ess, "n_draws": res.n_draws,
        "out": str(args.out), "columns": [str(c) for c in frame.columns], "seconds": seconds,
    }
    if args.json:
        write_json(out)
        return 0
    extra = ""
    if res.acceptance_rate is not None:
        extra = f", acceptance rate {res.acceptance_rate:.4g} ({res.n_draws} draws)"
    elif method == "weighted":
        extra = f", effective sample size {res.ess:.1f}"
    print(f"{len(res)} {method} samples of {args.model} (seed {seed}{extra}) written to "
          f"{args.out} in {seconds:.2f} s")
    return 0
