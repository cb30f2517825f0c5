"""``pgm sample``: Gibbs sampling with marginals and convergence diagnostics.

Examples::

    pgm sample model.py --samples 5000 --chains 4 --burn-in 500 --seed 1
    pgm sample alarm.bif --evidence HYPOVOLEMIA=TRUE --scan chromatic --json
"""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run", "parse_evidence"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``sample`` subcommand (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "sample",
        help="Gibbs-sample a model: marginals, R-hat and effective sample sizes",
        description="Draw samples with the compiled Gibbs sampler (several independent chains) "
                    "and print the estimated marginals with split R-hat and ESS per variable "
                    "(the worst over the indicators of its states).",
    )
    p.add_argument("model", help="model file (.py defining `model`, or a format pgm.io reads)")
    p.add_argument("--samples", "-n", type=int, default=1000, help="samples per chain (default 1000)")
    p.add_argument("--chains", "-c", type=int, default=4, help="independent chains (default 4)")
    p.add_argument("--burn-in", "-b", type=int, default=None,
                   help="sweeps discarded first (default max(50, samples/4))")
    p.add_argument("--thin", type=int, default=1, help="keep one sweep in THIN (default 1)")
    p.add_argument("--seed", "-s", type=int, default=None, help="random seed (default: fresh)")
    p.add_argument("--scan", choices=("systematic", "random", "chromatic"), default="systematic",
                   help="update order (default systematic)")
    p.add_argument("--evidence", "-e", nargs="+", action="extend", default=[], metavar="X=v",
                   help="clamp variable X to state v (a state name or index); repeatable")
    p.add_argument("--variables", nargs="+", default=None, metavar="X",
                   help="only report these variables")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)
    return p


def _lookup_variable(fg, name: str):
    for v in fg.variables:
        if str(v) == name:
            return v
    from pgm.exceptions import EvidenceError

    raise EvidenceError(f"evidence names unknown variable {name!r}")


def parse_evidence(fg, items) -> dict:
    """``["X=v", ...]`` to ``{variable: state index}``; ``v`` is a state name or an index."""
    from pgm.exceptions import EvidenceError
    from pgm.inference.compiled import ParameterError

    ev = {}
    for item in items:
        if "=" not in item:
            raise ParameterError(f"evidence {item!r} must have the form X=v")
        name, value = item.split("=", 1)
        var = _lookup_variable(fg, name.strip())
        value = value.strip()
        names = fg.state_names(var)
        if value in names:
            ev[var] = names.index(value)
        elif value.lstrip("-").isdigit():
            idx = int(value)
            if not 0 <= idx < fg.cardinality(var):
                raise EvidenceError(f"evidence {name}={value}: {var!r} has states "
                                    f"0..{fg.cardinality(var) - 1} ({', '.join(names)})")
            ev[var] = idx
        else:
            raise EvidenceError(f"evidence {name}={value}: {value!r} is not a state of {var!r} "
                                f"({', '.join(names)})")
    return ev


def run(args) -> int:
    """Run ``pgm sample``; returns the exit code."""
    import json
    import time

    from pgm.inference.compiled import ParameterError, as_factor_graph, compile_model
    from pgm.inference.gibbs import gibbs_sample
    from pgm.io import load_model

    model = load_model(args.model)
    fg = as_factor_graph(model)
    ev = parse_evidence(fg, args.evidence)
    show = fg.variables
    if args.variables:
        show = [_lookup_variable(fg, name) for name in args.variables]
    t0 = time.perf_counter()
    cm = compile_model(fg)
    # keep the samples (Geyer ESS) unless they would be big; else batch-means diagnostics
    small = abs(args.samples) * abs(args.chains) * cm.n_variables <= 2 * 10**8
    res = gibbs_sample(cm, args.samples, chains=args.chains, burn_in=args.burn_in, thin=args.thin,
                       scan=args.scan, evidence=ev, seed=args.seed, return_samples=small)
    seconds = time.perf_counter() - t0
    if res.n_samples < 4:
        raise ParameterError("need at least 4 samples per chain for the diagnostics")
    out = {
        "model": str(args.model),
        "samples": res.n_samples, "chains": res.chains, "burn_in": res.burn_in, "thin": res.thin,
        "scan": res.scan, "seed": res.seed,
        "evidence": {str(v): fg.state_names(v)[s] for v, s in ev.items()},
        "marginals": {str(v): dict(zip(fg.state_names(v), map(float, res.marginals[v])))
                      for v in show},
        "rhat": {str(v): res.rhat[v] for v in show},
        "ess": {str(v): res.ess[v] for v in show},
        "max_rhat": res.max_rhat, "min_ess": res.min_ess, "seconds": seconds,
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"Gibbs sampling of {args.model}: {res.chains} chains x {res.n_samples} samples "
          f"(burn-in {res.burn_in}, thin {res.thin}, {res.scan} scan, seed {res.seed}) "
          f"in {seconds:.2f} s")
    if ev:
        print("evidence: " + ", ".join(f"{v}={fg.state_names(v)[s]}" for v, s in ev.items()))
    width = max(len(str(v)) for v in show) if show else 8
    print(f"{'variable':<{width}}  {'R-hat':>6}  {'ESS':>8}  marginal")
    for v in show:
        states = "  ".join(f"{n}={p:.4f}" for n, p in zip(fg.state_names(v), res.marginals[v]))
        tag = "  (evidence)" if v in ev else ""
        print(f"{str(v):<{width}}  {res.rhat[v]:>6.3f}  {res.ess[v]:>8.0f}  {states}{tag}")
    if res.max_rhat > 1.01:
        print(f"warning: the largest R-hat is {res.max_rhat:.3f} > 1.01; the chains may not have "
              "mixed (run longer or use more burn-in)")
    return 0
