"""``pgm convert IN OUT``: read a model and write it in the format OUT's extension names.

``IN`` is a model file in any format :func:`pgm.io.load_model` reads (``.bif``,
``.xmlbif``/``.xml``, ``.net``, ``.xdsl``, ``.uai``, ``.py``; gzipped too) or an
example name (``asia``); ``OUT`` ends in ``.bif``, ``.xmlbif``/``.xml``, ``.net``,
``.xdsl`` or ``.uai``, optionally followed by ``.gz`` (``--format`` overrides the
extension).  Probabilities are written with ``repr``: converting back gives the same
tables.  The output file is replaced atomically.  ``--json`` prints ``{"ok", "model",
"out", "format", "variables"}``.  Errors (an unreadable input, an unknown output
extension, a factor graph written as a Bayesian-network format) are one line, exit 2.

Examples
--------
.. code-block:: console

    $ pgm convert asia asia.xdsl
    $ pgm convert alarm.bif.gz alarm.net --json
    $ pgm convert model.net model.xmlbif
"""

from __future__ import annotations

import argparse

from pgm.cli.options import add_json_option, add_memory_budget_option, add_model_argument

EXIT_OK, EXIT_BAD_INPUT = 0, 2
FORMATS = ("bif", "uai", "xmlbif", "net", "xdsl")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``convert`` (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "convert",
        help="convert a model between BIF, XMLBIF, Hugin NET, GeNIe XDSL and UAI",
        description=(
            "Read MODEL (a model file or an example name) and write it to OUT in the format "
            "OUT's extension names: .bif, .xmlbif or .xml, .net (Hugin), .xdsl (GeNIe) or "
            ".uai, each optionally .gz. Probabilities are written exactly (repr), so "
            "converting back gives the same tables."
        ),
        epilog=("examples:  pgm convert asia asia.xdsl\n"
                "           pgm convert alarm.bif.gz alarm.net --json\n"
                "           pgm convert model.net model.xmlbif.gz"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_model_argument(p)
    p.add_argument("out", metavar="OUT",
                   help="the output file: .bif, .xmlbif, .xml, .net, .xdsl or .uai (optionally .gz)")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="write this format whatever OUT's extension")
    add_json_option(p)
    add_memory_budget_option(p, "largest file or table the reader may allocate")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``pgm convert``; returns the exit code (errors propagate as PGMError: exit 2)."""
    from pgm.cli.options import check_output_path, load_model, write_json
    from pgm.exceptions import ModelLoadError
    from pgm.io import model_format, save_model

    check_output_path(args.out, "OUT")
    fmt = args.format or model_format(args.out)
    if fmt is None:
        raise ModelLoadError(f"{args.out}: unknown output format; name it .bif, .xmlbif, .xml, "
                             ".net, .xdsl or .uai (optionally .gz), or give --format")
    model = load_model(args.model)
    try:
        save_model(model, args.out, format=fmt)
    except OSError as exc:
        raise ModelLoadError(f"{args.out}: cannot write the file: {exc}") from None
    variables = list(getattr(model, "nodes", None) or model.variables)
    if args.json:
        write_json({"ok": True, "model": str(args.model), "out": str(args.out), "format": fmt,
                    "variables": len(variables)})
    else:
        print(f"{args.model} -> {args.out} ({fmt}, {len(variables)} variables)")
    return EXIT_OK
