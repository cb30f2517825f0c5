"""``pgm check MODEL``: validate a model; check a Bayesian network's normalization exactly.

* A **Bayesian network** is validated (structure, CPD shapes, entries) and its total
  probability computed exactly: exit 0 when it is a normalized distribution, 1 when
  not (the report names the CPDs at fault).
* A **Markov network / factor graph** is validated (every factor finite and
  non-negative) and its partition function ``Z`` reported (``log Z`` computed in log
  space, so it never overflows): exit 0 when ``Z`` is finite and positive.  With
  ``--expect-normalized`` it must also be 1 within ``--atol`` (else exit 1).
* Exit 2: the file cannot be read or the model is structurally broken (cycle,
  missing CPD, parents that disagree with the graph, ...).

Examples
--------
.. code-block:: console

    $ pgm check asia
    $ pgm check misconception --json
    $ pgm check tests/examples/sprinkler.py --atol 1e-6
"""

from __future__ import annotations

import argparse

from pgm.cli.options import add_json_option, add_model_argument

EXIT_OK, EXIT_NEGATIVE, EXIT_BAD_INPUT = 0, 1, 2


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``check`` (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "check",
        help="validate a model: exact normalization (Bayesian network) or partition function",
        description=(
            "Validate MODEL. A Bayesian network must be a normalized distribution: its total "
            "probability is computed exactly (exit 0 if normalized, 1 if not, naming the "
            "offending CPDs). A Markov network / factor graph is checked for valid factors and "
            "its partition function Z is reported (exit 0 when 0 < Z < inf; with "
            "--expect-normalized, Z must be 1). Exit 2 if the file is unreadable or the "
            "model structurally broken."
        ),
        epilog=("examples:  pgm check asia\n"
                "           pgm check misconception --json\n"
                "           pgm check misconception --expect-normalized   # exit 1: Z != 1"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_model_argument(p)
    add_json_option(p)
    p.add_argument("--atol", type=float, default=1e-6, metavar="X",
                   help="tolerance (>= 0) on the total and on every conditional's sum (default "
                        "1e-6, as BayesianNetwork.validate; model files often print 6-7 digits)")
    p.add_argument("--expect-normalized", action="store_true",
                   help="a factor graph passes only if its partition function is 1 within --atol "
                        "(a Bayesian network always must)")
    p.set_defaults(run=run)
    return p


def _structural_check(model) -> None:
    """Run :meth:`BayesianNetwork.validate` but let normalization faults through.

    A CPD that does not sum to one is the normalization report's business (exit 1),
    so :class:`NormalizationError` and :class:`InvalidProbabilityError` are not raised
    here; every other :class:`ModelError` (cycle, missing CPD, mismatch) is.  The
    factors of a factor graph must be finite and non-negative.
    """
    import sys

    from pgm.bayesian_network import BayesianNetwork
    from pgm.exceptions import InvalidProbabilityError, NormalizationError

    if isinstance(model, BayesianNetwork):
        try:
            # the largest finite tolerance: every finite sum passes (inf is not a tolerance)
            model.validate(atol=sys.float_info.max)
        except (NormalizationError, InvalidProbabilityError):
            pass
    else:
        for i, f in enumerate(model.factors):
            f.validate(f"factor {i} over {list(f.variables)}")


def describe_model(model) -> str:
    """One line naming the kind and size of a model."""
    from pgm.bayesian_network import BayesianNetwork

    if isinstance(model, BayesianNetwork):
        return (f"Bayesian network: {len(model)} variables, {len(model.edges)} edges, "
                f"{sum(c.values.size for c in model.cpds.values())} CPD entries")
    return f"factor graph: {len(model.variables)} variables, {len(model.factors)} factors"


def _check_factor_graph(model, args) -> tuple[dict, list[str], int]:
    import math

    logz = float(model.log_partition_function())
    z = math.exp(logz) if logz < 709 else float("inf")
    valid = math.isfinite(logz)
    normalized = valid and abs(z - 1.0) <= args.atol
    ok = normalized if args.expect_normalized else valid
    out = {"ok": ok, "kind": "factor graph", "log_partition_function": logz,
           "log10_partition_function": logz / math.log(10), "partition_function": z,
           "total_probability": z, "normalized": normalized,
           "expect_normalized": bool(args.expect_normalized), "atol": args.atol,
           "problems": []}
    lines = [f"partition function Z = {z:.15g} (log Z = {logz:.12g})"]
    if not valid:
        out["problems"].append({"kind": "partition function",
                                "message": "Z = 0: no configuration has positive weight"})
        lines.append("FAIL: Z = 0, the factors give no configuration positive weight")
    elif args.expect_normalized:
        lines.append("OK: normalized (Z = 1)" if normalized
                     else f"FAIL: not normalized (Z = {z:.6g}, expected 1 within {args.atol:g})")
    else:
        lines.append("OK: a valid Markov network"
                     + (" (normalized, Z = 1)" if normalized else
                        "; normalized, its distribution is the factor product divided by Z"))
    return out, lines, EXIT_OK if ok else EXIT_NEGATIVE


def run(args: argparse.Namespace) -> int:
    """Run ``pgm check``; returns the exit code (errors propagate as PGMError: exit 2)."""
    from pgm.bayesian_network import BayesianNetwork
    from pgm.cli.options import load_model, write_json
    from pgm.normalization import check_normalization
    from pgm.validation import check_float

    atol = check_float("--atol", args.atol, minimum=0)
    model = load_model(args.model)
    _structural_check(model)
    if isinstance(model, BayesianNetwork):
        report = check_normalization(model, atol=atol)
        out = {"kind": "Bayesian network", **report.to_dict(), "normalized": report.ok,
               "total_probability": report.total_probability}  # NaN: null with a reason
        lines = [report.summary(),
                 "OK: the model is a normalized distribution" if report.ok
                 else "FAIL: the model is not a normalized distribution"]
        code = EXIT_OK if report.ok else EXIT_NEGATIVE
    else:
        out, lines, code = _check_factor_graph(model, args)
    if args.json:
        write_json({"model": str(args.model), **out})
    else:
        print(f"{args.model}: {describe_model(model)}")
        print("\n".join(lines))
    return code
