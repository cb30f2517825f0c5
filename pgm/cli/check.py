"""``pgm check MODEL``: validate a model and check its normalization exactly.

Exit codes: 0 the model is a normalized distribution, 1 it is not (the report
names the CPDs at fault), 2 the file cannot be read or the model is structurally
broken (cycle, missing CPD, parents that disagree with the graph, ...).

Examples
--------
.. code-block:: console

    $ pgm check tests/examples/sprinkler.py
    $ pgm check asia.bif.gz --json --atol 1e-6
"""

from __future__ import annotations

import argparse

EXIT_OK, EXIT_NEGATIVE, EXIT_BAD_INPUT = 0, 1, 2


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``check`` (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "check",
        help="validate a model and compute its total probability exactly",
        description=(
            "Validate MODEL (structure, CPD shapes, entries) and compute its total probability "
            "exactly. Exit 0 if it is a normalized distribution, 1 if not (the offending CPDs "
            "are named), 2 if the file is unreadable or the model structurally broken."
        ),
    )
    p.add_argument("model", metavar="MODEL",
                   help="model file: a .py file defining `model`, or a format pgm.io reads")
    p.add_argument("--json", action="store_true", help="print a JSON report instead of text")
    p.add_argument("--atol", type=float, default=1e-6, metavar="X",
                   help="tolerance on the total and on every conditional's sum (default 1e-6, "
                        "as BayesianNetwork.validate; model files often print 6-7 digits)")
    p.set_defaults(run=run)
    return p


def _structural_check(model) -> None:
    """Run :meth:`BayesianNetwork.validate` but let normalization faults through.

    A CPD that does not sum to one is the normalization report's business (exit 1),
    so :class:`NormalizationError` and :class:`InvalidProbabilityError` are not raised
    here; every other :class:`ModelError` (cycle, missing CPD, mismatch) is.
    """
    from pgm.bayesian_network import BayesianNetwork
    from pgm.exceptions import InvalidProbabilityError, NormalizationError

    if isinstance(model, BayesianNetwork):
        try:
            model.validate(atol=float("inf"))
        except (NormalizationError, InvalidProbabilityError):
            pass


def describe_model(model) -> str:
    """One line naming the kind and size of a model."""
    from pgm.bayesian_network import BayesianNetwork

    if isinstance(model, BayesianNetwork):
        return (f"Bayesian network: {len(model)} variables, {len(model.edges)} edges, "
                f"{sum(c.values.size for c in model.cpds.values())} CPD entries")
    return f"factor graph: {len(model.variables)} variables, {len(model.factors)} factors"


def run(args: argparse.Namespace) -> int:
    """Run ``pgm check``; returns the exit code."""
    import json
    import sys

    from pgm.bayesian_network import BayesianNetwork
    from pgm.exceptions import PGMError
    from pgm.io import load_model
    from pgm.normalization import check_normalization

    try:
        model = load_model(args.model)
        _structural_check(model)
        report = check_normalization(model, atol=args.atol)
    except PGMError as exc:
        if args.json:
            print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}",
                              "total_probability": None, "problems": []}))
        print(f"pgm check: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

    if args.json:
        out = report.to_dict()
        out["model"] = str(args.model)
        print(json.dumps(out, indent=2))
    else:
        print(f"{args.model}: {describe_model(model)}")
        print(report.summary())
        if not isinstance(model, BayesianNetwork):
            print("(for a factor graph the total is its partition function Z; normalized means Z = 1)")
        print("OK: the model is a normalized distribution" if report.ok
              else "FAIL: the model is not a normalized distribution")
    return EXIT_OK if report.ok else EXIT_NEGATIVE

