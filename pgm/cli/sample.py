"""``pgm sample MODEL``: Gibbs sampling with marginals and convergence diagnostics.

``MODEL`` is a model file or an example name.  Evidence is the same as for
``pgm infer`` (one parser, :mod:`pgm.evidence`): ``-e/--evidence X=v`` (repeatable,
``X=v,Y=w`` too, a state name or index), ``--evidence-file FILE`` and a ``.uai``
model's ``MODEL.evid`` (unless ``--no-evidence``).  ``--seed`` defaults to
:data:`pgm.validation.DEFAULT_SEED` (0), as in every subcommand.

JSON: ``{"ok", "model", "samples", "chains", "burn_in", "thin", "scan", "seed",
"evidence": {X: state}, "marginals": {X: {state: p}}, "rhat", "ess", "max_rhat",
"min_ess", "warnings", "seconds"}``.  ``"warnings"`` lists the diagnostics for which
:func:`~pgm.inference.gibbs_sample` found the chains unreliable (its
:class:`~pgm.exceptions.EstimateWarning`; empty when none); the text output prints
that warning on a ``warning:`` line (or, short of it, a note when the largest R-hat
is over 1.01).

``--memory-budget BYTES`` (default ``$PGM_MEMORY_BUDGET`` or 4 GiB) bounds the chains and
the records: ``--samples`` x ``--chains`` x variables over it is refused (exit 2) before
anything is allocated; records that would not fit are summarized in batches instead.

Examples::

    pgm sample asia --samples 5000 --chains 4 --burn-in 500 --seed 1
    pgm sample alarm -e HYPOVOLEMIA=TRUE --scan chromatic --variables HR,CO --json
"""

from __future__ import annotations

import argparse

from pgm.cli.options import (
    add_evidence_options,
    add_json_option,
    add_memory_budget_option,
    add_model_argument,
    add_seed_option,
)

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``sample`` subcommand (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "sample",
        help="Gibbs-sample a model: marginals, R-hat and effective sample sizes",
        description="Draw samples with the compiled Gibbs sampler (several independent chains) "
                    "and print the estimated marginals with split R-hat and ESS per variable "
                    "(the worst over the indicators of its states).",
    )
    add_model_argument(p)
    p.add_argument("--samples", "-n", type=int, default=1000,
                   help="samples per chain, at least 4 (default 1000)")
    p.add_argument("--chains", "-c", type=int, default=4, help="independent chains (default 4)")
    p.add_argument("--burn-in", "-b", type=int, default=None,
                   help="sweeps discarded first, >= 0 (default max(50, samples/4))")
    p.add_argument("--thin", type=int, default=1, help="keep one sweep in THIN (default 1)")
    add_seed_option(p)
    p.add_argument("--scan", choices=("systematic", "random", "chromatic"), default="systematic",
                   help="update order (default systematic)")
    add_evidence_options(p)
    p.add_argument("--variables", nargs="+", default=None, metavar="X",
                   help="only report these variables (space- or comma-separated)")
    add_memory_budget_option(p, "largest allocation allowed (chains x samples x variables "
                                "of records)")
    add_json_option(p)
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    """Run ``pgm sample``; returns the exit code (errors propagate as PGMError: exit 2)."""
    import time
    import warnings

    import numpy as np

    from pgm._config import memory_budget_bytes
    from pgm.bayesian_network import BayesianNetwork
    from pgm.cli import options
    from pgm.exceptions import EstimateWarning, ParameterError
    from pgm.inference.compiled import as_factor_graph, compile_model
    from pgm.inference.gibbs import gibbs_sample, record_bytes
    from pgm.validation import check_nonnegative_int, check_positive_int

    n_samples = check_positive_int("--samples", args.samples, minimum=4)
    chains = check_positive_int("--chains", args.chains)
    burn_in = None if args.burn_in is None else check_nonnegative_int("--burn-in", args.burn_in)
    thin = check_positive_int("--thin", args.thin)
    seed = options.seed_of(args)
    if args.variables is not None and not options.split_names(args.variables):
        raise ParameterError(f"--variables names no variable (got {' '.join(args.variables)!r})")
    model = options.load_model(args.model)
    ev, source = options.collect_evidence(model, args, command="sample")
    fg = as_factor_graph(model)
    show = options.require_variables(model, args.variables) if args.variables else list(fg.variables)
    t0 = time.perf_counter()
    cm = compile_model(fg)
    cm.is_bayesian_network = isinstance(model, BayesianNetwork)   # its warning's advice
    # keep the samples (Geyer ESS) unless they would be big or over the memory budget;
    # else batch-means diagnostics
    kmax = int(cm.cardinalities.max()) if cm.n_variables else 1
    small = n_samples * chains * cm.n_variables <= 2 * 10**8 and record_bytes(
        chains, n_samples, cm.n_variables, kmax, np.dtype(cm.state_dtype).itemsize,
        True) <= memory_budget_bytes(args.memory_budget)
    with warnings.catch_warnings():   # printed below, on a "warning:" line
        warnings.simplefilter("ignore", EstimateWarning)
        res = gibbs_sample(cm, n_samples, chains=chains, burn_in=burn_in, thin=thin,
                           scan=args.scan, evidence=ev, seed=seed, return_samples=small,
                           memory_budget=args.memory_budget)
    seconds = time.perf_counter() - t0
    out = {
        "ok": True, "model": str(args.model),
        "samples": res.n_samples, "chains": res.chains, "burn_in": res.burn_in, "thin": res.thin,
        "scan": res.scan, "seed": res.seed,
        "evidence": options.evidence_json(model, ev),
        **({"evidence_file": source} if source else {}),
        "marginals": options.marginals_json(model, {v: res.marginals[v] for v in show}),
        "rhat": {str(v): res.rhat[v] for v in show},
        "ess": {str(v): res.ess[v] for v in show},
        "max_rhat": res.max_rhat, "min_ess": res.min_ess, "warnings": list(res.warnings),
        "seconds": seconds,
    }
    if args.json:
        options.write_json(out)
        return 0
    print(f"Gibbs sampling of {args.model}: {res.chains} chains x {res.n_samples} samples "
          f"(burn-in {res.burn_in}, thin {res.thin}, {res.scan} scan, seed {res.seed}) "
          f"in {seconds:.2f} s")
    if ev:
        print("evidence: " + ", ".join(f"{k}={s}" for k, s in out["evidence"].items())
              + (f"  (from {source})" if source else ""))
    width = max(len(str(v)) for v in show) if show else 8
    print(f"{'variable':<{width}}  {'R-hat':>6}  {'ESS':>8}  marginal")
    for v in show:
        states = "  ".join(f"{n}={p:.4f}" for n, p in out["marginals"][str(v)].items())
        tag = "  (evidence)" if v in ev else ""
        print(f"{str(v):<{width}}  {res.rhat[v]:>6.3f}  {res.ess[v]:>8.0f}  {states}{tag}")
    if res.warnings:
        print(f"warning: {res.extra['warning']}")
    elif res.max_rhat > 1.01:
        print(f"warning: the largest R-hat is {res.max_rhat:.3f} > 1.01; the chains may not have "
              "mixed (run longer or use more burn-in)")
    return 0
