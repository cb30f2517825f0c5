"""``pgm infer MODEL``: exact inference by variable elimination.

* ``--partition-function`` (the default when nothing else is asked): ``ln Z`` and
  ``log10 Z`` with the evidence applied (``log P(evidence)`` for a Bayesian network).
* ``--marginals [VARS ...]``: posterior marginals of VARS (default: every variable).
* ``--map``: the most probable assignment of the unobserved variables (MPE).
* ``--plan``: only the elimination plan (induced width, largest table), nothing run.

``MODEL`` is a model file or an example name (``asia``).  Evidence comes from
``-e/--evidence X=v`` (repeatable, ``X=v,Y=w`` too; state names or indices; for UAI
models, whose variables are the integers ``0 .. n-1``, ``-e 3=1`` sets variable 3 to
state 1), from ``--evidence-file FILE`` (a UAI ``.evid`` file, a JSON object, or
``X=v`` lines) and, for a ``.uai`` model, from ``MODEL.evid`` beside it unless
``--no-evidence`` -- the same parser as every other command (:mod:`pgm.evidence`).
Positional ``X=v`` arguments are a documented shorthand for ``-e X=v`` (so are
``X=v`` tokens among the ``--marginals`` names).  ``--evidence FILE`` (before
``--evidence-file``) still reads the file, with a deprecation warning.

``--marginals --method lw [-n N] [--seed S]`` estimates the marginals of a Bayesian
network by likelihood weighting instead (:func:`pgm.inference.sampling.lw_marginals`;
the JSON adds ``"marginals_method"``, ``"samples"``, ``"ess"`` and ``"seed"``).

Flags that do nothing in the mode asked for are refused (exit 2): ``--method``,
``--restarts``, ``--seed``, ``-n`` without ``--map`` (or ``--marginals --method lw``);
``--restarts`` and ``--seed`` with ``--method ve``; anything but the evidence,
``--marginals``, ``--heuristic``, ``--memory-budget`` and ``--json`` with ``--plan``;
``--digits`` with ``--json``.

JSON: ``{"ok", "model", "evidence": {X: state}, "log_partition_function",
"log10_partition_function", "marginals": {X: {state: p}}, "map": {X: state},
"map_log_value", "map_method", "plan"}`` (the keys of what was asked).

Exit codes: 0 answered, 2 unreadable model or evidence, unknown variable, evidence
of probability zero, a table over the memory budget, or bad or no-op flags.

Examples
--------
.. code-block:: console

    $ pgm infer asia --marginals lung,either -e smoke=yes
    $ pgm infer Grids_11.uai --partition-function --json
    $ pgm infer alarm --map --evidence-file alarm_evidence.txt
"""

from __future__ import annotations

import argparse

from pgm.cli.options import (
    CLIParser,
    add_evidence_options,
    add_json_option,
    add_memory_budget_option,
    add_model_argument,
    add_seed_option,
    parse_bytes,  # noqa: F401  (re-exported: its home was here)
)

EXIT_OK, EXIT_NEGATIVE, EXIT_BAD_INPUT = 0, 1, 2

DEFAULT_RESTARTS = 10
DEFAULT_LW_SAMPLES = 10_000
DEFAULT_DIGITS = 6
#: most significant digits worth printing (a float64 round-trips with 17)
MAX_DIGITS = 17

#: the heuristics of :data:`pgm.inference.variable_elimination.HEURISTICS` (not imported
#: here, so that ``pgm --help`` stays fast)
HEURISTIC_NAMES = ("auto", "min-fill", "weighted-min-fill", "min-degree", "min-weight")

class _IntermixedParser(CLIParser):
    """Accepts ``X=value`` evidence after options too (``pgm infer M --map X=1``).

    Plain argparse binds the optional positional list right after MODEL and then
    rejects later positionals; intermixed parsing collects them wherever they are.
    """

    _inside = False

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        if self._inside:
            return super().parse_known_args(args, namespace)
        self._inside = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inside = False


#: the --method choices
METHODS = ("ve", "jt", "bp", "icm", "lw")
BP_FLAGS = ["--damping", "--max-iterations", "--tolerance", "--schedule"]
#: methods that answer every question exactly
EXACT_METHODS = ("ve", "jt")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``infer`` (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "infer",
        help="exact inference: partition function, marginals, MAP (variable elimination)",
        description=(
            "Exact inference on MODEL (a file or an example name) by variable elimination in "
            "log space: the partition function (probability of evidence), posterior marginals "
            "and the MAP assignment. Evidence: -e X=v (repeatable), --evidence-file FILE, a "
            ".uai model's MODEL.evid (unless --no-evidence), or X=v positionals (a shorthand "
            "for -e). Exit 0 when answered, 2 on unreadable input, unknown variables, "
            "impossible evidence, a table over the memory budget, or flags that do nothing "
            "in the mode asked for."
        ),
        epilog=("examples:  pgm infer asia --marginals lung,either -e smoke=yes\n"
                "           pgm infer asia --marginals lung either smoke=yes   # X=v shorthand\n"
                "           pgm infer Grids_11.uai --partition-function --json\n"
                "           pgm infer alarm --map -e HR=HIGH --memory-budget 1G\n"
                "           pgm infer alarm --map --method icm --restarts 20 --seed 1\n"
                "           pgm infer alarm --plan --marginals HR"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.__class__ = _IntermixedParser
    add_model_argument(p)
    p.add_argument("assignments", nargs="*", metavar="X=v", default=[],
                   help="evidence shorthand: the same as -e X=v")
    add_evidence_options(p)
    p.add_argument("--partition-function", action="store_true",
                   help="print ln Z and log10 Z (with the evidence); the default action")
    p.add_argument("--marginals", nargs="*", metavar="VAR", default=None,
                   help="print the posterior marginals of VARs, space- or comma-separated "
                        "(default: all variables)")
    p.add_argument("--map", action="store_true",
                   help="print the most probable assignment of the unobserved variables")
    p.add_argument("--method", choices=METHODS, default=None,
                   help="ve: exact variable elimination (the default); jt: the exact junction "
                        "tree (one calibration for all marginals; max-product for --map); "
                        "icm (--map only): ICM with random restarts on the compiled engine "
                        "(approximate, for models too wide for exact MAP); lw (--marginals "
                        "only): likelihood weighting of a Bayesian network, approximate, with "
                        "its effective sample size; bp: loopy belief propagation "
                        "(approximate: marginals, the Bethe estimate of ln Z, max-product MAP; "
                        "the JSON says whether it converged)")
    p.add_argument("-n", "--samples", type=int, default=None, metavar="N",
                   help=f"likelihood-weighting samples, --method lw only (default {DEFAULT_LW_SAMPLES})")
    p.add_argument("--damping", type=float, default=None, metavar="D",
                   help="bp: message damping in [0, 1) (default 0)")
    p.add_argument("--max-iterations", type=int, default=None, metavar="N",
                   help="bp: most iterations (default 1000)")
    p.add_argument("--tolerance", type=float, default=None, metavar="T",
                   help="bp: converged when no message changes by more than T (default 1e-8)")
    p.add_argument("--schedule", choices=("flooding", "residual"), default=None,
                   help="bp: message schedule (default flooding)")
    p.add_argument("--restarts", type=int, default=None, metavar="N",
                   help=f"ICM restarts, --method icm only (default {DEFAULT_RESTARTS})")
    add_seed_option(p, "seed of --method icm")
    p.add_argument("--plan", action="store_true",
                   help="print the elimination plan (induced width, largest table) only; "
                        "takes the evidence, --marginals (the query), --heuristic, "
                        "--memory-budget and --json, and nothing else")
    add_json_option(p)
    add_memory_budget_option(p, "largest table allowed")
    p.add_argument("--heuristic", choices=HEURISTIC_NAMES, default="auto",
                   help="elimination-order heuristic (default: auto)")
    p.add_argument("--digits", type=int, default=None, metavar="N",
                   help=f"significant digits of the text output, 1 to {MAX_DIGITS} "
                        f"(default {DEFAULT_DIGITS})")
    p.set_defaults(run=run)
    return p


def _fmt(x: float, digits: int) -> str:
    return f"{x:.{digits}g}"


def _refuse_noop_flags(args: argparse.Namespace) -> None:
    from pgm.cli.options import refuse_unused
    from pgm.exceptions import ParameterError

    if args.plan:
        refuse_unused(args, ["--partition-function", "--map", "--method", "--restarts", "--seed",
                             "--samples", "--digits", *BP_FLAGS],
                      "with --plan (it only prints the elimination plan)")
        return
    if args.method != "bp":
        refuse_unused(args, BP_FLAGS, f"with --method {args.method or 've'} (see --method bp)")
    if args.method == "lw":
        if args.map or args.marginals is None:
            raise ParameterError("--method lw estimates --marginals (likelihood weighting); "
                                 "--map takes --method ve, jt or icm")
        refuse_unused(args, ["--partition-function", "--restarts"],
                      "with --method lw (it estimates --marginals only)")
    elif args.method == "icm":
        if not args.map:
            raise ParameterError("--method icm does nothing without --map (it finds the MAP "
                                 "only); give --map, or use --method ve or jt")
        refuse_unused(args, ["--samples"], "with --method icm (see --method lw)")
    else:
        refuse_unused(args, ["--restarts", "--seed", "--samples"],
                      f"with --method {args.method or 've'} (see --method icm and lw)")
    if args.json:
        refuse_unused(args, ["--digits"], "with --json (JSON has every digit)")


# ---------------------------------------------------------------------- run
def run(args: argparse.Namespace) -> int:
    """Run ``pgm infer``; returns the exit code (errors propagate as PGMError: exit 2)."""
    import math

    from pgm.bayesian_network import BayesianNetwork
    from pgm.cli import options
    from pgm.evidence import model_variables, with_soft_evidence
    from pgm.exceptions import ParameterError
    from pgm.inference.variable_elimination import VariableElimination
    from pgm.validation import check_positive_int

    _refuse_noop_flags(args)
    digits = check_positive_int("--digits", DEFAULT_DIGITS if args.digits is None else args.digits)
    if digits > MAX_DIGITS:
        raise ParameterError(f"--digits must be an integer in [1, {MAX_DIGITS}] (a float64 has "
                             f"{MAX_DIGITS} significant digits), got {digits}")
    restarts = check_positive_int("--restarts",
                                  DEFAULT_RESTARTS if args.restarts is None else args.restarts)
    seed = options.seed_of(args)
    model = options.load_model(args.model)

    # marginals given as `--marginals A B X=1`: argparse puts X=1 with the variables
    marg_tokens = None
    assignments = list(args.assignments)
    if args.marginals is not None:
        marg_tokens = []
        for tok in args.marginals:
            (assignments if "=" in tok else marg_tokens).append(tok)

    soft: dict = {}
    ev, source = options.collect_evidence(model, args, assignments, command="infer", soft=soft)
    if soft and args.plan:
        raise ParameterError("--plan takes hard evidence only (soft evidence X~... changes no plan)")
    variables = model_variables(model)
    query = None
    if marg_tokens is not None:
        if marg_tokens and not options.split_names(marg_tokens, variables):
            raise ParameterError(f"--marginals names no variable (got {' '.join(marg_tokens)!r}); "
                                 "give names, or --marginals alone for all")
        named = options.split_names(marg_tokens)
        query = options.require_variables(model, marg_tokens) if named else variables
    want_pf = args.partition_function or (marg_tokens is None and not args.map and not args.plan)
    is_bn = isinstance(model, BayesianNetwork)
    exact = args.method if args.method in EXACT_METHODS else "ve"
    # soft evidence X~l: a unary factor per variable (virtual evidence) for VE and ICM; the
    # junction tree and likelihood weighting take the likelihoods directly
    target = with_soft_evidence(model, soft) if soft else model
    ve = VariableElimination(target, heuristic=args.heuristic, memory_budget=args.memory_budget)
    jt = None
    if exact == "jt" and not args.plan:
        from pgm.inference.junction_tree import JunctionTree

        jt = JunctionTree(model, heuristic=args.heuristic, memory_budget=args.memory_budget)

    result: dict = {"ok": True, "model": str(args.model), "evidence": options.evidence_json(model, ev)}
    if soft:
        result["soft_evidence"] = {str(v): lik.tolist() for v, lik in soft.items()}
    if source:
        result["evidence_file"] = source
    if not args.plan:
        result["method"] = args.method or "ve"

    if args.plan:
        plan = ve.plan(query, ev)
        result["plan"] = {"induced_width": plan.induced_width,
                          "max_table_entries": plan.max_table_entries,
                          "max_table_bytes": plan.max_table_bytes,
                          "log2_max_table": round(plan.log2_max_table, 3),
                          "total_table_entries": plan.total_table_entries,
                          "variables": plan.variables, "factors": plan.factors}
    calibration = None
    bp = bp_max = None
    if args.method == "bp" and not args.plan:
        from pgm.inference.loopy_bp import belief_propagation

        options_bp = {k: v for k, v in (("damping", args.damping),
                                         ("max_iterations", args.max_iterations),
                                         ("tolerance", args.tolerance),
                                         ("schedule", args.schedule)) if v is not None}
        import warnings

        from pgm.exceptions import EstimateWarning

        with warnings.catch_warnings():  # reported in the output instead
            warnings.simplefilter("ignore", EstimateWarning)
            if want_pf or query is not None:
                bp = belief_propagation(model, ev, soft_evidence=soft or None,
                                        memory_budget=args.memory_budget, **options_bp)
            bp_max = (belief_propagation(model, ev, soft_evidence=soft or None, mode="max",
                                         memory_budget=args.memory_budget, **options_bp)
                      if args.map else None)
        first = bp or bp_max
        result["converged"] = bool(first.converged)
        result["iterations"] = int(first.iterations)
        result["max_change"] = float(first.max_change)
        result["kernel"] = first.kernel
        if bp is not None and bp_max is not None:
            result["map_converged"] = bool(bp_max.converged)
    if jt is not None and (want_pf or query is not None):
        calibration = jt.calibrate(ev, soft_evidence=soft or None)
    if want_pf:
        logz = (calibration.log_evidence if calibration is not None
                else bp.log_z if bp is not None else ve.log_partition_function(ev))
        result["log_partition_function"] = logz
        result["log10_partition_function"] = logz / math.log(10)
    if query is not None and not args.plan and args.method == "lw":
        from pgm.inference.sampling import lw_marginals

        if not is_bn:
            raise ParameterError(f"--method lw needs a Bayesian network; {args.model} is a "
                                 f"{type(model).__name__}")
        n_lw = check_positive_int("--samples", DEFAULT_LW_SAMPLES if args.samples is None
                                  else args.samples)
        est, ess = lw_marginals(model, n_lw, ev, variables=query, seed=seed,
                                memory_budget=args.memory_budget, soft_evidence=soft or None)
        result["marginals"] = options.marginals_json(model, est)
        result["marginals_method"] = "likelihood weighting"
        result["samples"], result["ess"], result["seed"] = n_lw, ess, seed
    elif query is not None and not args.plan:
        found = (calibration.marginals(query) if calibration is not None
                 else {v: bp.marginals[v] for v in query} if bp is not None
                 else ve.marginals(query, ev))
        result["marginals"] = options.marginals_json(model, found)
    if args.map:
        if args.method == "icm":
            from pgm.inference import icm_map

            assignment, energy = icm_map(target, ev, seed=seed, restarts=restarts,
                                         memory_budget=args.memory_budget)
            value = -float(energy)
            result["map_method"] = "icm"
            result["seed"], result["restarts"] = seed, restarts
        elif bp_max is not None:
            assignment, value = bp_max.map_assignment, bp_max.log_z
            result["map_method"] = "loopy belief propagation (max-product)"
        elif jt is not None:
            assignment, value = jt.map_assignment(ev, soft_evidence=soft or None)
            result["map_method"] = "junction tree (max-product)"
        else:
            assignment, value = ve.map_assignment(ev)
            result["map_method"] = "variable elimination"
        result["map"] = options.evidence_json(model, {v: s for v, s in assignment.items() if v not in ev})
        result["map_log_value"] = value

    if args.json:
        options.write_json(result)
        return EXIT_OK

    from pgm.cli.check import describe_model

    print(f"{args.model}: {describe_model(model)}")
    if ev:
        shown = ", ".join(f"{k}={v}" for k, v in list(result["evidence"].items())[:10])
        more = f", ... ({len(ev)} in all)" if len(ev) > 10 else ""
        print(f"evidence: {shown}{more}" + (f"  (from {source})" if source else ""))
    elif not soft:
        print("evidence: none")
    if soft:
        print("soft evidence: " + ", ".join(
            f"{k}~{','.join(f'{x:g}' for x in lik)}" for k, lik in result["soft_evidence"].items()))
    if "plan" in result:
        pl = result["plan"]
        print(f"plan: induced width {pl['induced_width']}, largest table 2^{pl['log2_max_table']:.1f} "
              f"= {pl['max_table_entries']} entries ({pl['max_table_bytes'] / 2**20:.4g} MiB), "
              f"{pl['variables']} variables and {pl['factors']} factors after pruning")
    if want_pf:
        what = "log P(evidence)" if is_bn else "log Z"
        if args.method == "jt":
            what += " by the junction tree"
        elif args.method == "bp":
            what += " (Bethe estimate)"
        print(f"{what} = {_fmt(result['log_partition_function'], digits)} (natural), "
              f"{_fmt(result['log10_partition_function'], digits)} (log10)")
    if "converged" in result:
        state = "converged" if result["converged"] else "did NOT converge (try --damping 0.5)"
        kind = " (pairwise binary kernel)" if result["kernel"] == "pairwise" else ""
        print(f"loopy belief propagation{kind} {state} after {result['iterations']} iterations "
              f"(last message change {result['max_change']:.3g})")
    if "marginals" in result:
        print("marginals:" if "ess" not in result else
              f"marginals by likelihood weighting ({result['samples']} samples, seed "
              f"{result['seed']}, effective sample size {result['ess']:.1f}):")
        for name, probs in result["marginals"].items():
            cells = "  ".join(f"{lab}={_fmt(x, digits)}" for lab, x in probs.items())
            print(f"  {name}: {cells}")
    if args.map:
        print(f"MAP by {result['map_method']} (log value {_fmt(result['map_log_value'], digits)}):")
        print("  " + ", ".join(f"{k}={v}" for k, v in result["map"].items()))
    return EXIT_OK
