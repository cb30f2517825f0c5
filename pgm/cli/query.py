"""``pgm query MODEL``: structure queries (Markov blankets, independence).

* ``--markov-blanket X [Y ...]``: the Markov blanket of each variable.
* ``--independent A B [--given C D ...]``: is ``A`` independent of ``B`` given
  ``C, D``?  Structurally by d-separation for a Bayesian network and by graph
  separation for a factor graph; with ``--numeric`` also in the numbers, by the
  exact gap ``max |P(a,b|c) - P(a|c) P(b|c)|`` compared with ``--atol``.
  Each of ``A``, ``B`` (and each ``--given`` argument) may be a comma-separated
  set: ``--independent tub,lung bronc --given smoke``.

Exit codes: 0 answered (and independent, for ``--independent``), 1 not independent
(by the numbers with ``--numeric``, else by the graph), 2 unreadable model,
unknown variable or bad arguments.
"""

from __future__ import annotations

import argparse
from collections.abc import Hashable, Iterable

EXIT_OK, EXIT_NEGATIVE, EXIT_BAD_INPUT = 0, 1, 2


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``query`` (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "query",
        help="Markov blankets and (conditional) independence queries",
        description=(
            "Answer structure queries on MODEL (put MODEL first). A variable set is a\n"
            "comma-separated list (A,B). Independence is d-separation for a Bayesian\n"
            "network and graph separation for a factor graph; --numeric adds the exact gap.\n"
            "Exit 0 when answered (and independent), 1 when not independent, 2 on\n"
            "unreadable input or unknown variables."
        ),
        epilog=("examples:  pgm query asia.bif.gz --markov-blanket either\n"
                "           pgm query asia.bif.gz --independent tub smoke --given lung --numeric"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", metavar="MODEL",
                   help="model file: a .py file defining `model`, or a format pgm.io reads")
    p.add_argument("--markov-blanket", nargs="+", metavar="X", default=[],
                   help="print the Markov blanket of each variable X")
    p.add_argument("--independent", nargs=2, metavar=("A", "B"),
                   help="ask whether A and B (variables or comma-separated sets) are independent")
    p.add_argument("--given", nargs="*", metavar="C", default=[],
                   help="conditioning variables for --independent (also comma-separated)")
    p.add_argument("--numeric", action="store_true",
                   help="also compute the exact independence gap max|P(a,b|c)-P(a|c)P(b|c)|")
    p.add_argument("--atol", type=float, default=1e-9, metavar="X",
                   help="the gap up to which --numeric calls A and B independent (default 1e-9)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.set_defaults(run=run)
    return p


def _variables_of(model) -> list[Hashable]:
    return list(model.nodes) if hasattr(model, "nodes") else list(model.variables)


def resolve_variables(model, tokens: Iterable[str]) -> tuple[list[Hashable], list[str]]:
    """Map command-line names to the model's variables.

    A token that names a variable is taken whole; otherwise it is split on commas.
    A name that is not a variable but whose integer value is (models with integer
    variables, e.g. from UAI files) maps to that integer.  Returns ``(variables,
    unknown_names)``.
    """
    known = set(_variables_of(model))
    out: list[Hashable] = []
    unknown: list[str] = []
    for token in tokens:
        names = [token] if token in known else [n.strip() for n in token.split(",") if n.strip()]
        for name in names:
            if name in known:
                out.append(name)
            elif name.lstrip("-").isdigit() and int(name) in known:
                out.append(int(name))
            else:
                unknown.append(name)
    return list(dict.fromkeys(out)), unknown


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
    """Run ``pgm query``; returns the exit code."""
    import json
    import sys

    from pgm.bayesian_network import BayesianNetwork
    from pgm.exceptions import PGMError
    from pgm.io import load_model

    def fail(message: str) -> int:
        if args.json:
            print(json.dumps({"ok": False, "error": message}))
        print(f"pgm query: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT

    if not args.markov_blanket and not args.independent:
        return fail("nothing to ask: give --markov-blanket X and/or --independent A B")
    if args.given and not args.independent:
        return fail("--given needs --independent A B")
    try:
        model = load_model(args.model)
    except PGMError as exc:
        return fail(f"{type(exc).__name__}: {exc}")

    blanket_vars, unknown = resolve_variables(model, args.markov_blanket)
    xs = ys = zs = []
    if args.independent:
        xs, u1 = resolve_variables(model, [args.independent[0]])
        ys, u2 = resolve_variables(model, [args.independent[1]])
        zs, u3 = resolve_variables(model, args.given)
        unknown += u1 + u2 + u3
    if unknown:
        return fail(f"unknown variable(s): {', '.join(dict.fromkeys(unknown))} "
                    f"(the model has {len(_variables_of(model))} variables)")

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
                independent = gap <= args.atol
                ind["numeric"] = {"gap": gap, "atol": args.atol, "independent": independent}
                lines.append(f"independence gap max|P(x,y|z)-P(x|z)P(y|z)| = {gap:.3e}: "
                             f"{'independent' if independent else 'NOT independent'} "
                             f"within atol {args.atol:g}")
                if sep and not independent:
                    lines.append("warning: separated in the graph but dependent in the numbers "
                                 "(check the model)")
            ind["independent"] = independent
            result["independence"] = ind
            if not independent:
                code = EXIT_NEGATIVE
    except PGMError as exc:
        if lines and not args.json:  # keep the answers found before the failure
            print("\n".join(lines))
        return fail(f"{type(exc).__name__}: {exc}")

    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print("\n".join(lines))
    return code
