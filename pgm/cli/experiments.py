"""``pgm experiments``: reproducible studies that write figures and a Markdown report.

Examples::

    pgm experiments digits -o study --quick
    pgm experiments digits -o study --quick --json  # {"ok", "report", "seconds", ...}
    pgm experiments digits --out study            # full run; rerun to resume
    pgm experiments digits --out study --only ad  # just experiments (a) and (d)
"""

from __future__ import annotations

import argparse

from pgm.cli.options import add_json_option, add_out_option

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``pgm experiments`` (argparse only)."""
    p = subparsers.add_parser("experiments", help="run a study and write its report",
                              description="Run a study end to end: figures (PNG) and "
                                          "report.md in --out.")
    sub = p.add_subparsers(dest="study", metavar="STUDY")
    d = sub.add_parser("digits", help="RBM / autoencoder / classifier / CNN study on MNIST "
                                      "(experiments (a)-(h))",
                       description="The digit-modelling study on a 3000/1000/3000 MNIST split "
                                   "($PGM_DATA_DIR/mnist).  Finished experiments (OUT/sections), "
                                   "trained models and their log-likelihoods (OUT/models) and "
                                   "per-epoch checkpoints (OUT/models/checkpoints) are kept, "
                                   "keyed by the settings: rerunning the same command resumes "
                                   "an interrupted run without redoing finished work.")
    add_out_option(d, "output folder (required)", required=True, metavar="DIR")
    d.add_argument("--quick", action="store_true",
                   help="few epochs, two hidden sizes, short chains (about 40 s on "
                        "two CPU cores)")
    d.add_argument("--only", default=None,
                   help="run only these experiments, e.g. 'abd' (default all of a-h)")
    add_json_option(d)
    d.set_defaults(run=run)
    p.set_defaults(run=lambda args: (p.print_help(), 2)[1])
    return p


def run(args) -> int:
    """Run the chosen study; prints the report's path (``--json``: ``{"ok", "report", ...}``)."""
    import sys
    import time

    from pgm.exceptions import ParameterError

    if args.only is not None and (not args.only or set(args.only) - set("abcdefgh")):
        raise ParameterError(f"--only takes letters among a-h, got {args.only!r}")
    from pgm.cli.options import check_output_folder, write_json

    check_output_folder(args.out, "-o/--out")
    from pgm.models.studies.digits import run_digits_study

    t0 = time.perf_counter()
    path = run_digits_study(args.out, quick=args.quick, only=args.only,
                            log=lambda msg: print(msg, file=sys.stderr))
    if args.json:
        write_json({"ok": True, "study": "digits", "out": str(args.out), "report": str(path),
                    "quick": bool(args.quick), "only": args.only,
                    "seconds": time.perf_counter() - t0})
    else:
        print(path)
    return 0
