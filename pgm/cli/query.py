"""``pgm query MODEL``: structure queries (Markov blankets, independence).

* ``--markov-blanket X [Y ...]``: the Markov blanket of each variable.
* ``--independent A B [--given C D ...]``: is ``A`` independent of ``B`` given
  ``C, D``?  Structurally by d-separation for a Bayesian network and by graph
  separation for a factor graph; with ``--numeric`` also in the numbers, by the
  exact gap ``max |P(a,b|c) - P(a|c) P(b|c)|`` compared with ``--atol``.
  Each of ``A``, ``B`` may be a comma-separated set, and ``--given`` (like
  ``--markov-blanket``) takes a space- or comma-separated list:
  ``--independent tub,lung bronc --given smoke either``.

Causal queries on a Bayesian network (:mod:`pgm.causal`):

* ``--do X=x [Y=y ...] --marginals V [...] [-e Z=z ...]``: ``P(V | do(X=x), Z=z)``, by
  variable elimination on the mutilated network (arcs into X cut, X fixed).
* ``--adjustment-sets X Y``: the minimal back-door adjustment sets for the effect of X
  on Y (and the minimal front-door sets of up to three variables).

``MODEL`` is a model file or an example name (``pgm query asia --markov-blanket
either`` works from any folder).

Exit codes: 0 answered (and independent, for ``--independent``), 1 not independent
(by the numbers with ``--numeric``, else by the graph), 2 unreadable model,
unknown variable or bad arguments.
"""

from __future__ import annotations

import argparse
from collections.abc import Hashable, Iterable

from pgm.cli.options import add_json_option, add_model_argument
from pgm.cli.options import resolve_variables as _resolve

EXIT_OK, EXIT_NEGATIVE, EXIT_BAD_INPUT = 0, 1, 2

#: the default of ``--atol`` (the largest gap ``--numeric`` calls independent)
DEFAULT_ATOL = 1e-9


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``query`` (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "query",
        help="Markov blankets and (conditional) independence queries",
        description=(
            "Answer structure queries on MODEL (a file or an example name such as asia).\n"
            "Variable lists are space- or comma-separated (A,B); A and B of --independent\n"
            "are one argument each, so a set there is comma-separated. Independence is\n"
            "d-separation for a Bayesian network and graph separation for a factor graph;\n"
            "--numeric adds the exact gap. Exit 0 when answered (and independent), 1 when\n"
            "not independent, 2 on unreadable input, unknown variables or bad arguments."
        ),
        epilog=("examples:  pgm query asia --markov-blanket either\n"
                "           pgm query asia --markov-blanket either,lung smoke\n"
                "           pgm query asia --independent tub smoke --given lung --numeric"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_model_argument(p)
    p.add_argument("--markov-blanket", nargs="+", metavar="X", default=[],
                   help="print the Markov blanket of each variable X (space- or comma-separated)")
    p.add_argument("--independent", nargs=2, metavar=("A", "B"),
                   help="ask whether A and B (variables or comma-separated sets) are independent")
    p.add_argument("--given", nargs="+", metavar="C", default=[],
                   help="conditioning variables for --independent (space- or comma-separated)")
    p.add_argument("--numeric", action="store_true",
                   help="also compute the exact independence gap max|P(a,b|c)-P(a|c)P(b|c)|")
    p.add_argument("--atol", type=float, default=None, metavar="X",
                   help="with --numeric: the gap (>= 0) up to which A and B are called "
                        f"independent (default {DEFAULT_ATOL:g})")
    p.add_argument("--do", nargs="+", metavar="X=x", default=[],
                   help="intervene: set X to x by graph surgery (with --marginals)")
    p.add_argument("--marginals", nargs="+", metavar="V", default=[],
                   help="with --do: the variables whose interventional distribution to print")
    p.add_argument("-e", "--evidence", action="append", default=[], metavar="Z=z",
                   help="with --do: evidence observed after the intervention")
    p.add_argument("--adjustment-sets", nargs=2, metavar=("X", "Y"),
                   help="the minimal back-door (and front-door) adjustment sets for X -> Y")
    add_json_option(p)
    p.set_defaults(run=run)
    return p


def _causal(args: argparse.Namespace, model) -> int:
    """``--do`` / ``--adjustment-sets``."""
    from pgm.causal import backdoor_sets, frontdoor_sets, interventional_marginal
    from pgm.cli.options import marginals_json, require_variables, write_json
    from pgm.evidence import parse_evidence_items
    from pgm.exceptions import ParameterError

    if not hasattr(model, "get_cpd"):
        raise ParameterError(f"causal queries need a Bayesian network; {args.model} is a "
                             f"{type(model).__name__}")
    result: dict = {"ok": True, "model": str(args.model)}
    lines: list[str] = []
    if args.do:
        if not args.marginals:
            raise ParameterError("--do needs --marginals V (the variables to answer for)")
        intervention = parse_evidence_items(model, args.do)
        evidence = parse_evidence_items(model, args.evidence)
        targets = require_variables(model, args.marginals)
        post = interventional_marginal(model, targets, intervention, evidence)
        shown = ", ".join(f"{v}={model.state_names(v)[s]}" for v, s in intervention.items())
        given = ", ".join(f"{v}={model.state_names(v)[s]}" for v, s in evidence.items())
        result["do"] = {str(v): model.state_names(v)[s] for v, s in intervention.items()}
        result["evidence"] = {str(v): model.state_names(v)[s] for v, s in evidence.items()}
        result["marginals"] = marginals_json(model, post)
        lines.append(f"P(. | do({shown}){', ' + given if given else ''}):")
        for v, p in post.items():
            cells = "  ".join(f"{st}={x:.6g}" for st, x in zip(model.state_names(v), p))
            lines.append(f"  {v}: {cells}")
    elif args.marginals or args.evidence:
        raise ParameterError("--marginals and -e go with --do here (see pgm infer for "
                             "observational marginals)")
    if args.adjustment_sets:
        x, y = require_variables(model, args.adjustment_sets[:1])[0], \
            require_variables(model, args.adjustment_sets[1:])[0]
        back = backdoor_sets(model, x, y)
        front = frontdoor_sets(model, x, y) if not back else []
        result["adjustment_sets"] = {"treatment": str(x), "outcome": str(y),
                                     "backdoor": [sorted(map(str, z)) for z in back],
                                     "frontdoor": [sorted(map(str, z)) for z in front]}
        if back:
            lines.append(f"minimal back-door sets for {x} -> {y}: "
                         + "; ".join(_fmt(sorted(z, key=_order)) for z in back))
        else:
            lines.append(f"no back-door set for {x} -> {y}"
                         + (": front-door sets " + "; ".join(_fmt(sorted(z, key=_order))
                                                            for z in front) if front else ""))
    if args.json:
        write_json(result)
    else:
        print("\n".join(lines))
    return EXIT_OK


def resolve_variables(model, tokens: Iterable[str]) -> tuple[list[Hashable], list[str]]:
    """Map command-line names (space- or comma-separated) to the model's variables.

    :func:`pgm.cli.options.resolve_variables`: a token that names a variable is taken
    whole, else split on commas; a name may be the ``str()`` of a variable (integer
    variables of UAI models).  Returns ``(variables, unknown_names)``.
    """
    return _resolve(model, tokens)


def numeric_gap(model, xs: Iterable[Hashable], ys: Iterable[Hashable],
                given: Iterable[Hashable] = ()) -> float:
    """Exact ``max |P(x,y|z) - P(x|z) P(y|z)|`` from the marginal over ``xs, ys, given``.

    The marginal is computed by variable elimination (min-fill order), so this works
    on models far too large for the full joint as long as the query's own table fits.

    Examples
    --------
    >>> import pgm
    >>> bn = pgm.BayesianNetwork.from_cpds([
    ...     pgm.TabularCPD("a", [0.3, 0.7]), pgm.TabularCPD("b", [0.6, 0.4]),
    ...     pgm.TabularCPD("c", [[[1, 0], [0, 1]], [[0, 1], [1, 0]]], parents=["a", "b"])])
    >>> numeric_gap(bn, ["a"], ["b"]) < 1e-15, numeric_gap(bn, ["a"], ["b"], ["c"]) > 0.1
    (True, True)
    """
    import numpy as np

    from pgm.bayesian_network import BayesianNetwork
    from pgm.factor import Factor, factor_product
    from pgm.independence import independence_gap
    from pgm.inference.variable_elimination import eliminate, elimination_order

    fg = model.to_factor_graph() if isinstance(model, BayesianNetwork) else model
    keep = set(xs) | set(ys) | set(given)
    card = fg.cardinalities
    factors = [f.to_log() for f in fg.factors]
    others = [v for v in card if v not in keep]
    order = elimination_order([f.variables for f in factors], card, others)
    rest = eliminate(factors, order)
    covered = {v for f in rest for v in f.variables}
    rest += [Factor([v], [card[v]], np.zeros(card[v]), log=True) for v in keep - covered]
    marginal = factor_product(rest).normalize()
    return independence_gap(marginal, xs, ys, given)


def _order(v: Hashable) -> tuple:
    """Sort key: integers numerically, then everything else by name."""
    return (0, v, "") if isinstance(v, int) else (1, 0, str(v))


def _fmt(vs: Iterable[Hashable]) -> str:
    return "{" + ", ".join(map(str, vs)) + "}"


def run(args: argparse.Namespace) -> int:
    """Run ``pgm query``; returns the exit code (errors propagate as PGMError: exit 2)."""
    from pgm.bayesian_network import BayesianNetwork
    from pgm.cli.options import load_model, refuse_unused, split_names, write_json
    from pgm.evidence import model_variables
    from pgm.exceptions import ParameterError, UnknownVariableError
    from pgm.validation import check_float

    if args.do or args.adjustment_sets or args.marginals or args.evidence:
        if args.markov_blanket or args.independent:
            raise ParameterError("ask a causal query (--do, --adjustment-sets) or a structure "
                                 "query (--markov-blanket, --independent), not both at once")
        return _causal(args, load_model(args.model))
    if not args.markov_blanket and not args.independent:
        raise ParameterError("nothing to ask: give --markov-blanket X, --independent A B, "
                             "--do X=x --marginals Y or --adjustment-sets X Y")
    if not args.independent:
        refuse_unused(args, ["--given", "--numeric"], "without --independent A B")
    if not args.numeric:
        refuse_unused(args, ["--atol"], "without --numeric")
    atol = DEFAULT_ATOL if args.atol is None else check_float("--atol", args.atol, minimum=0)
    model = load_model(args.model)
    # a list that names nothing ("," or "") is a mistake, not the empty set
    lists = {"--markov-blanket": args.markov_blanket}
    if args.independent:
        lists.update({"--independent A": args.independent[:1],
                      "--independent B": args.independent[1:], "--given": args.given})
    for flag, tokens in lists.items():
        if tokens and not split_names(tokens, model_variables(model)):
            raise ParameterError(f"{flag} names no variable (got {' '.join(tokens)!r}); give "
                                 "one or more names, space- or comma-separated")

    blanket_vars, unknown = resolve_variables(model, args.markov_blanket)
    xs = ys = zs = []
    if args.independent:
        xs, u1 = resolve_variables(model, [args.independent[0]])
        ys, u2 = resolve_variables(model, [args.independent[1]])
        zs, u3 = resolve_variables(model, args.given)
        unknown += u1 + u2 + u3
    if unknown:
        raise UnknownVariableError(
            f"unknown variable(s): {', '.join(dict.fromkeys(unknown))} "
            f"(the model has {len(model_variables(model))} variables)")

    result: dict = {"ok": True, "model": str(args.model)}
    lines: list[str] = []
    code = EXIT_OK
    try:
        if blanket_vars:
            result["markov_blanket"] = {}
            for v in blanket_vars:
                mb = sorted(model.markov_blanket(v), key=_order)
                result["markov_blanket"][str(v)] = [str(u) for u in mb]
                lines.append(f"Markov blanket of {v}: {_fmt(mb)} ({len(mb)} variables)")
        if args.independent:
            is_bn = isinstance(model, BayesianNetwork)
            criterion = "d-separation" if is_bn else "graph separation"
            sep = model.d_separated(xs, ys, zs) if is_bn else model.is_separated(xs, ys, zs)
            ind: dict = {"xs": [str(v) for v in xs], "ys": [str(v) for v in ys],
                         "given": [str(v) for v in zs], "criterion": criterion, "separated": sep}
            given = f" given {_fmt(zs)}" if zs else ""
            lines.append(f"{_fmt(xs)} and {_fmt(ys)}{given}: "
                         f"{'separated' if sep else 'NOT separated'} ({criterion})")
            independent = sep
            if args.numeric:
                gap = numeric_gap(model, xs, ys, zs)
                independent = gap <= atol
                ind["numeric"] = {"gap": gap, "atol": atol, "independent": independent}
                lines.append(f"independence gap max|P(x,y|z)-P(x|z)P(y|z)| = {gap:.3e}: "
                             f"{'independent' if independent else 'NOT independent'} "
                             f"within atol {atol:g}")
                if sep and not independent:
                    lines.append("warning: separated in the graph but dependent in the numbers "
                                 "(check the model)")
            ind["independent"] = independent
            result["independence"] = ind
            if not independent:
                code = EXIT_NEGATIVE
    except Exception:
        if lines and not args.json:  # keep the answers found before the failure
            print("\n".join(lines))
        raise

    if args.json:
        write_json(result)
    else:
        print("\n".join(lines))
    return code
