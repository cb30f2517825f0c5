"""``pgm demo``: run the toolkit's tour offline and write a report folder.

``-o/--out DIR`` is the output folder; ``--json`` prints ``{"ok", "out", "report",
"files", "summary", "failures", "seconds"}`` (strict JSON; the progress lines then
go to stderr).

Exit codes: 0 every check held, 1 a check failed (the report lists it),
2 the output folder cannot be written.
"""

from __future__ import annotations

import argparse

from pgm.cli.options import add_json_option, add_out_option

EXIT_OK, EXIT_NEGATIVE, EXIT_BAD_INPUT = 0, 1, 2


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``demo`` (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "demo",
        help="run the offline tour on classic models and write report.md and a figure",
        description=(
            "Build classic models (Asia, sprinkler, student, a loopy Markov network), check "
            "them (validation, exact normalization, Markov blankets, d-separation confirmed "
            "in the numbers) and write report.md and networks.png into DIR."
        ),
    )
    add_out_option(p, "output folder (default pgm-demo-output/)", metavar="DIR")
    p.add_argument("--quick", action="store_true", help="a shorter run (a few seconds)")
    add_json_option(p)
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``pgm demo``; returns the exit code."""
    import sys

    from pgm.cli.options import check_output_folder, write_json
    from pgm.models.studies.demo import DEFAULT_OUT_DIR, run_demo

    out = DEFAULT_OUT_DIR if args.out is None else args.out
    check_output_folder(out, "-o/--out")
    log = sys.stderr if args.json else sys.stdout
    print(f"pgm demo: writing into {out}/ ({'quick' if args.quick else 'full'} run)", file=log)
    try:
        result = run_demo(out, quick=args.quick,
                          echo=lambda line: print(f"  {line}", file=log, flush=True))
    except OSError as exc:
        print(f"pgm demo: error: cannot write the output: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        write_json({"ok": result.ok, "out": str(result.out_dir.resolve()),
                    "report": str(result.report.resolve()),
                    "files": sorted(str(p) for p in result.files),
                    "summary": list(result.summary), "failures": list(result.failures),
                    "seconds": result.seconds})
        return EXIT_OK if result.ok else EXIT_NEGATIVE
    print("\nFound:")
    for line in result.summary:
        print(f"  - {line}")
    if result.failures:
        print("\nFailed checks:")
        for f in result.failures:
            print(f"  - {f}")
    print(f"\n{'OK' if result.ok else 'FAILED'} in {result.seconds:.1f} s; "
          f"report: {result.report.resolve()}")
    print(f"output folder: {result.out_dir.resolve()} "
          f"({', '.join(sorted(p.name for p in result.files))})")
    return EXIT_OK if result.ok else EXIT_NEGATIVE
