"""``pgm learn DATA --structure MODEL -o fitted.bif``: fit the CPDs of a structure to data.

``DATA`` is a ``.csv`` (also ``.csv.gz``) or ``.parquet`` table with one column per
variable holding state names (an empty CSV cell is a missing value).  ``--structure`` is
a model file or example name whose graph (and, when it has CPDs, state names) is used;
its CPDs are replaced.  ``--method mle`` (the default) is maximum likelihood, ``bayes``
the Dirichlet posterior mean (``--prior bdeu`` with ``--ess``, ``k2``, or a number),
``em`` expectation maximization for missing values and latent variables (a structure
variable with no column; ``--latent H=2`` gives its number of states when the structure
does not).  The fitted network is written atomically to ``-o`` (``.bif``, ``.bif.gz``,
``.uai``).  Structure search (no ``--structure``) is not available yet.

JSON: ``{"ok", "model", "data", "method", "prior", "equivalent_sample_size", "rows",
"log_likelihood", "log_likelihood_per_row", "cpds": {X: {"rows", "parent_configurations",
"unseen"}}, "unseen": {X: [...]}, "em": {"iterations", "converged", "history",
"restarts"} (EM only), "out", "seconds"}``; ``seconds`` is the fitting time (data
encoding included, reading the model excluded).

Examples::

    pgm simulate asia -n 10000 -o asia.csv
    pgm learn asia.csv --structure asia -o fitted.bif
    pgm learn asia.csv --structure asia --method bayes --prior bdeu --ess 10 --json
"""

from __future__ import annotations

import argparse

from pgm.cli.options import (
    add_json_option,
    add_memory_budget_option,
    add_out_option,
    add_seed_option,
)

__all__ = ["add_parser", "run"]

METHODS = ("mle", "bayes", "em")
MODEL_SUFFIXES = (".bif", ".bif.gz", ".uai", ".uai.gz")
EM_FLAGS = ["--restarts", "--max-iterations", "--tolerance", "--latent", "--init"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``learn`` subcommand (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "learn",
        help="fit the CPDs of a network structure to a data table (MLE, Bayesian, EM)",
        description="Fit every CPD of a structure to a CSV or Parquet table: maximum "
                    "likelihood, Bayesian (Dirichlet prior) or EM for missing values and "
                    "latent variables; write the fitted network.",
    )
    p.add_argument("data", metavar="DATA", help="data table: .csv, .csv.gz or .parquet, one "
                                                "column per variable (state names)")
    p.add_argument("--structure", metavar="MODEL", default=None,
                   help="the structure: a model file (.bif, .uai, .py) or an example name; "
                        "its CPDs are replaced")
    p.add_argument("--method", choices=METHODS, default="mle",
                   help="mle (default), bayes (Dirichlet prior) or em (missing values, "
                        "latent variables)")
    p.add_argument("--prior", default=None, metavar="PRIOR",
                   help="bayes/em: bdeu (default for bayes), k2, or a pseudo-count per cell")
    p.add_argument("--ess", type=float, default=None, metavar="N",
                   help="equivalent sample size of the BDeu prior (default 10)")
    p.add_argument("--unseen", choices=("uniform", "error"), default="uniform",
                   help="parent configurations without data: uniform rows (default, with a "
                        "warning) or an error")
    p.add_argument("--latent", action="append", default=[], metavar="X=K",
                   help="em: latent variable X (no data column) with K states; repeatable")
    p.add_argument("--restarts", type=int, default=None, metavar="N",
                   help="em: random restarts (default 1)")
    p.add_argument("--max-iterations", type=int, default=None, metavar="N",
                   help="em: most iterations per restart (default 100)")
    p.add_argument("--tolerance", type=float, default=None, metavar="T",
                   help="em: stop when the log-likelihood rises by less than T nats per row "
                        "(default 1e-6)")
    p.add_argument("--init", choices=("auto", "random", "model"), default=None,
                   help="em: starting CPDs (default auto)")
    add_seed_option(p, "em: seed of the random starts")
    add_out_option(p, "where to write the fitted network (.bif, .bif.gz, .uai)")
    add_memory_budget_option(p, "largest allocation allowed (data codes, count tables)")
    add_json_option(p)
    p.set_defaults(run=run)
    return p


def _prior(text: str | None):
    if text is None:
        return None
    if text.lower() in ("bdeu", "k2"):
        return text.lower()
    from pgm.exceptions import ParameterError

    try:
        return float(text)
    except ValueError:
        raise ParameterError(f"--prior is bdeu, k2 or a pseudo-count per cell, got {text!r}") from None


def _latent(items) -> dict:
    from pgm.evidence import parse_assignment
    from pgm.validation import check_positive_int

    out = {}
    for item in items:
        for token in item.split(","):
            name, value = parse_assignment(token)
            try:
                k = int(value)
            except ValueError:
                k = value
            out[name] = check_positive_int(f"--latent {name}", k)
    return out


def _write_model(model, path: str) -> None:
    from pgm.io import write_bif, write_uai

    low = path.lower()
    if low.endswith((".bif", ".bif.gz")):
        write_bif(model, path)
    else:
        write_uai(model, path)


def run(args) -> int:
    """Run ``pgm learn``; returns the exit code (errors propagate as PGMError: exit 2)."""
    import time
    import warnings

    from pgm.cli.options import check_output_path, load_model, refuse_unused, seed_of, write_json
    from pgm.exceptions import ParameterError, UnseenParentsWarning
    from pgm.learning.data import read_table
    from pgm.learning.parameters import DEFAULT_EQUIVALENT_SAMPLE_SIZE, fit_parameters

    if args.structure is None:
        raise ParameterError("give the structure with --structure MODEL (learning the structure "
                             "from data is not available yet)")
    if args.out is not None:
        check_output_path(args.out, "-o/--out")
        if not args.out.lower().endswith(MODEL_SUFFIXES):
            raise ParameterError(f"-o {args.out}: write .bif, .bif.gz or .uai")
    if args.method != "em":
        refuse_unused(args, EM_FLAGS + (["--seed"] if args.seed is not None else []),
                      f"with --method {args.method}")
    if args.method == "mle":
        refuse_unused(args, ["--prior", "--ess"], "with --method mle (use --method bayes)")
    seed = seed_of(args)
    structure = load_model(args.structure)
    if not hasattr(structure, "get_cpd"):
        raise ParameterError(f"--structure needs a Bayesian network; {args.structure} is a "
                             f"{type(structure).__name__}")
    prior = _prior(args.prior)
    if args.method == "bayes" and prior is None:
        prior = "bdeu"
    ess = DEFAULT_EQUIVALENT_SAMPLE_SIZE if args.ess is None else args.ess
    if args.ess is not None and prior != "bdeu":
        raise ParameterError("--ess is the equivalent sample size of --prior bdeu")
    em_options = {}
    if args.method == "em":
        em_options = {"latent": _latent(args.latent) or None, "seed": seed}
        for flag, key in (("restarts", "n_restarts"), ("max_iterations", "max_iterations"),
                          ("tolerance", "tolerance"), ("init", "init")):
            if getattr(args, flag) is not None:
                em_options[key] = getattr(args, flag)
    data = read_table(args.data, memory_budget=args.memory_budget)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenParentsWarning)  # reported below instead
        res = fit_parameters(structure, data, method=args.method, prior=prior,
                             equivalent_sample_size=ess, unseen=args.unseen,
                             memory_budget=args.memory_budget, **em_options)
    seconds = time.perf_counter() - t0
    if args.out is not None:
        _write_model(res.model, args.out)
    out = {
        "ok": True, "model": str(args.structure), "data": str(args.data), "method": res.method,
        "prior": prior, "equivalent_sample_size": ess if prior == "bdeu" else None,
        "rows": res.n_rows, "log_likelihood": res.log_likelihood,
        "log_likelihood_per_row": res.log_likelihood / res.n_rows,
        "cpds": res.row_counts(),
        "unseen": {str(v): rows for v, rows in res.unseen.items()},
        **({"em": {"iterations": res.iterations, "converged": res.converged,
                   "history": res.history, "restarts": res.restarts, "seed": seed}}
           if res.method == "em" else {}),
        "out": args.out, "seconds": seconds,
    }
    if args.json:
        write_json(out)
        return 0
    n_unseen = sum(len(r) for r in res.unseen.values())
    lines = [f"fitted {len(res.model.nodes)} CPDs of {args.structure} to {res.n_rows} rows of "
             f"{args.data} ({res.method}) in {seconds:.2f} s; log-likelihood "
             f"{res.log_likelihood:.6g} ({res.log_likelihood / res.n_rows:.6g} per row)"]
    if res.method == "em":
        lines.append(f"EM: {res.iterations} iterations, "
                     f"{'converged' if res.converged else 'NOT converged (raise --max-iterations)'}")
    if n_unseen:
        lines.append(f"{n_unseen} parent configurations had no data (uniform rows) in "
                     f"{len(res.unseen)} CPDs: " + ", ".join(map(str, list(res.unseen)[:10])))
    if args.out is not None:
        lines.append(f"written to {args.out}")
    print("\n".join(lines))
    return 0
