"""``pgm draw MODEL -o network.png``: a picture of a model, optionally with its posteriors.

Draws a Bayesian network's DAG or a factor graph's Markov graph
(:func:`pgm.plotting.plot_network`): evidence nodes (``-e X=v``, ``--evidence-file``, the
shared grammar of :mod:`pgm.evidence`) are red and show their observed state, ``--query``
nodes green.  ``--posteriors`` draws each node as a bar chart of its posterior given the
evidence, computed by the junction tree (:func:`pgm.plotting.plot_posteriors`; beyond
:data:`pgm.plotting.MAX_BAR_NODES` nodes, or with ``--style entropy``, nodes coloured by
the entropy of their posterior instead).

The output (``-o``) is PNG, SVG or PDF, chosen by its extension and written atomically
(:func:`pgm.files.save_figure`); ``--dpi`` sets the resolution of a PNG.  ``--layout``
picks the layout (default ``auto``: graphviz ``dot`` when installed, else a layered
drawing of a DAG, Kamada-Kawai for an undirected graph).

JSON: ``{"ok", "model", "out", "format", "variables", "edges", "evidence": {X: state},
"query", "posteriors", "style", "layout", "seconds"}``.

Examples::

    pgm draw asia -o asia.png
    pgm draw alarm -e HR=HIGH -e BP=LOW --posteriors --query HYPOVOLEMIA -o alarm.svg --json
"""

from __future__ import annotations

import argparse

from pgm.cli.options import (
    add_evidence_options,
    add_json_option,
    add_model_argument,
    add_out_option,
)

#: the formats ``-o`` may name
FORMATS = ("png", "svg", "pdf")

#: what --layout and --style accept (pgm.plotting.LAYOUTS / STYLES, kept here so that
#: ``pgm --help`` imports no matplotlib)
LAYOUT_CHOICES = ("auto", "dot", "layered", "kamada_kawai", "spring", "circular")
STYLE_CHOICES = ("auto", "bars", "entropy")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``pgm draw`` (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "draw",
        help="draw a model's graph (optionally each node's posterior) to PNG, SVG or PDF",
        description="Draw a Bayesian network (its DAG) or a factor graph (its Markov graph), "
                    "evidence and query variables coloured; with --posteriors each node shows "
                    "its posterior given the evidence as a bar chart.",
    )
    add_model_argument(p)
    add_evidence_options(p)
    p.add_argument("--query", nargs="+", metavar="X", default=[],
                   help="variables to highlight (space- or comma-separated)")
    p.add_argument("--posteriors", action="store_true",
                   help="draw each node's posterior given the evidence (junction tree)")
    p.add_argument("--style", choices=STYLE_CHOICES, default=None,
                   help="with --posteriors: bars, entropy (nodes coloured by posterior "
                        "entropy) or auto (bars up to 60 nodes; the default)")
    p.add_argument("--layout", choices=LAYOUT_CHOICES, default="auto",
                   help="graph layout (default auto: graphviz dot when installed, else "
                        "layered for a DAG, kamada_kawai for an undirected graph)")
    p.add_argument("--dpi", type=float, default=150.0, metavar="N",
                   help="resolution of a PNG in dots per inch (default 150)")
    add_out_option(p, "the picture: a .png, .svg or .pdf file", required=True,
                   metavar="FILE")
    add_json_option(p)
    p.set_defaults(run=run)
    return p


def _format(out: str) -> str:
    from pathlib import Path

    from pgm.exceptions import ParameterError

    fmt = Path(out).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        shown = f"'.{fmt}'" if fmt else "no extension"
        raise ParameterError(f"-o/--out {out} has {shown}; pgm draw writes .png, .svg or .pdf")
    return fmt


def _title(spec: str) -> str:
    from pathlib import Path

    name = Path(spec).name
    for ext in (".gz", ".bif", ".uai", ".py", ".npz", ".xml", ".net"):
        name = name.removesuffix(ext)
    return name or spec


def run(args) -> int:
    """Run ``pgm draw``; returns the exit code (errors propagate as PGMError: exit 2)."""
    import math
    import time

    from pgm.cli.options import (
        check_output_path,
        collect_evidence,
        evidence_json,
        load_model,
        refuse_unused,
        require_variables,
        write_json,
    )
    from pgm.evidence import model_variables
    from pgm.exceptions import ParameterError
    from pgm.files import save_figure
    from pgm.plotting import MAX_BAR_NODES, plot_network, plot_posteriors

    check_output_path(args.out, "-o/--out")
    fmt = _format(args.out)
    if not (math.isfinite(args.dpi) and 10 <= args.dpi <= 1200):
        raise ParameterError(f"--dpi must be between 10 and 1200, got {args.dpi:g}")
    if not args.posteriors:
        refuse_unused(args, ["--style"], "without --posteriors")
    model = load_model(args.model)
    evidence, source = collect_evidence(model, args, command="draw")
    query = require_variables(model, args.query) if args.query else []
    t0 = time.perf_counter()
    title = _title(str(args.model))
    n = len(model_variables(model))
    if args.posteriors:
        style = args.style or "auto"
        fig = plot_posteriors(model, evidence=evidence, query=query, style=style,
                              layout=args.layout, title=title)
        drawn = "bars" if style == "bars" or (style == "auto" and n <= MAX_BAR_NODES) \
            else "entropy"
    else:
        fig = plot_network(model, evidence=evidence, query=query, layout=args.layout,
                           title=title)
        drawn = "network"
    save_figure(fig, args.out, dpi=args.dpi if fmt == "png" else None)
    seconds = time.perf_counter() - t0
    edges = len(model.edges) if hasattr(model, "edges") else model.markov_graph().number_of_edges()
    out = {"ok": True, "model": str(args.model), "out": str(args.out), "format": fmt,
           "variables": n, "edges": edges, "evidence": evidence_json(model, evidence),
           **({"evidence_file": source} if source else {}),
           "query": [str(q) for q in query], "posteriors": bool(args.posteriors),
           "style": drawn, "layout": args.layout, "seconds": seconds}
    if args.json:
        write_json(out)
        return 0
    what = "posteriors" if args.posteriors else "network"
    print(f"{what} of {args.model} ({n} variables) drawn to {args.out} in {seconds:.2f} s")
    return 0
