"""``pgm learn DATA --structure MODEL -o fitted.bif``: fit the CPDs of a structure to data;
``pgm learn DATA --search hill-climb|pc|chow-liu|tan``: learn the structure too.

``DATA`` is a ``.csv`` (also ``.csv.gz``) or ``.parquet`` table with one column per
variable holding state names (an empty CSV cell is a missing value).  ``--structure`` is
a model file or example name whose graph (and, when it has CPDs, state names) is used;
its CPDs are replaced.  ``--method mle`` (the default) is maximum likelihood, ``bayes``
the Dirichlet posterior mean (``--prior bdeu`` with ``--ess``, ``k2``, or a number),
``em`` expectation maximization for missing values and latent variables (a structure
variable with no column; ``--latent H=2`` gives its number of states when the structure
does not).  The fitted network is written atomically to ``-o`` in the format its
extension names (:func:`pgm.io.save_model`: ``.bif``, ``.uai``, ``.xmlbif``, ``.net``,
``.xdsl``, each also ``.gz``).

With ``--search`` the structure is learned first (complete data): ``hill-climb``
(:func:`pgm.learning.search.hill_climb`, ``--score``, ``--max-parents``, ``--tabu``,
``--restarts``, ``--max-iterations``, ``--max-seconds``; ``--structure`` is the start),
``pc`` (PC-stable, ``--alpha``), ``chow-liu`` or ``tan`` (``--class``, ``--root``); then
its CPDs are fitted with ``--method mle|bayes``.  ``--true MODEL`` adds the structural
Hamming distance to the true DAG and between the CPDAGs, and the skeleton's precision
and recall; ``seconds`` is the search time (data reading excluded).

JSON: ``{"ok", "model", "data", "method", "prior", "equivalent_sample_size", "rows",
"log_likelihood", "log_likelihood_per_row", "cpds": {X: {"rows", "parent_configurations",
"unseen"}}, "unseen": {X: [...]}, "em": {"iterations", "converged", "history",
"restarts"} (EM only), "out", "seconds"}``; ``seconds`` is the fitting time (data
encoding included, reading the model excluded).

Examples::

    pgm simulate asia -n 10000 -o asia.csv
    pgm learn asia.csv --structure asia -o fitted.bif
    pgm learn asia.csv --structure asia --method bayes --prior bdeu --ess 10 --json
"""

from __future__ import annotations

import argparse

from pgm.cli.options import (
    add_json_option,
    add_memory_budget_option,
    add_out_option,
    add_seed_option,
)

__all__ = ["add_parser", "run"]

METHODS = ("mle", "bayes", "em")
SEARCHES = ("hill-climb", "pc", "chow-liu", "tan")
SCORE_NAMES = ("bic", "aic", "loglik", "bdeu", "k2", "bds")
SEARCH_FLAGS = ["--score", "--max-parents", "--tabu", "--alpha", "--class", "--root", "--true",
                "--max-seconds"]
EM_FLAGS = ["--restarts", "--max-iterations", "--tolerance", "--latent", "--init"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``learn`` subcommand (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "learn",
        help="learn a network from a data table: the CPDs of a given structure (MLE, "
             "Bayesian, EM) or the structure too (hill climbing, PC, Chow-Liu, TAN)",
        description="Fit every CPD of a structure to a CSV or Parquet table: maximum "
                    "likelihood, Bayesian (Dirichlet prior) or EM for missing values and "
                    "latent variables; write the fitted network.",
    )
    p.add_argument("data", metavar="DATA", help="data table: .csv, .csv.gz or .parquet, one "
                                                "column per variable (state names)")
    p.add_argument("--structure", metavar="MODEL", default=None,
                   help="the structure: a model file (.bif, .uai, .py) or an example name; "
                        "its CPDs are replaced (with --search hill-climb: the starting DAG)")
    p.add_argument("--search", choices=SEARCHES, default=None,
                   help="learn the structure: hill-climb (score-based, tabu), pc (PC-stable, "
                        "constraint-based), chow-liu (a tree), tan (tree-augmented naive Bayes "
                        "for --class)")
    p.add_argument("--score", choices=SCORE_NAMES, default=None,
                   help="hill-climb: the score (default bic; --ess for bdeu and bds)")
    p.add_argument("--max-parents", type=int, default=None, metavar="K",
                   help="hill-climb: largest in-degree")
    p.add_argument("--tabu", type=int, default=None, metavar="N",
                   help="hill-climb: tabu list length (default 10; 0: plain hill climbing)")
    p.add_argument("--max-seconds", type=float, default=None, metavar="S",
                   help="hill-climb: stop searching after S seconds")
    p.add_argument("--alpha", type=float, default=None, metavar="A",
                   help="pc: significance level of the independence tests (default 0.05)")
    p.add_argument("--class", dest="class_variable", default=None, metavar="C",
                   help="tan: the class variable")
    p.add_argument("--root", default=None, metavar="X",
                   help="chow-liu / tan: the root of the tree")
    p.add_argument("--true", default=None, metavar="MODEL",
                   help="with --search: the true network, to report the structural Hamming "
                        "distance (SHD) and the skeleton's precision and recall")
    p.add_argument("--method", choices=METHODS, default="mle",
                   help="mle (default), bayes (Dirichlet prior) or em (missing values, "
                        "latent variables)")
    p.add_argument("--prior", default=None, metavar="PRIOR",
                   help="bayes/em: bdeu (default for bayes), k2, or a pseudo-count per cell")
    p.add_argument("--ess", type=float, default=None, metavar="N",
                   help="equivalent sample size of the BDeu prior (default 10)")
    p.add_argument("--unseen", choices=("uniform", "error"), default="uniform",
                   help="parent configurations without data: uniform rows (default, with a "
                        "warning) or an error")
    p.add_argument("--latent", action="append", default=[], metavar="X=K",
                   help="em: latent variable X (no data column) with K states; repeatable")
    p.add_argument("--restarts", type=int, default=None, metavar="N",
                   help="em: random restarts (default 1); hill-climb: random restarts "
                        "(default 0)")
    p.add_argument("--max-iterations", type=int, default=None, metavar="N",
                   help="em: most iterations per restart (default 100); hill-climb: most moves")
    p.add_argument("--tolerance", type=float, default=None, metavar="T",
                   help="em: stop when the log-likelihood rises by less than T nats per row "
                        "(default 1e-6)")
    p.add_argument("--init", choices=("auto", "random", "model"), default=None,
                   help="em: starting CPDs (default auto)")
    add_seed_option(p, "em: seed of the random starts")
    add_out_option(p, "where to write the fitted network (.bif, .uai, .xmlbif, .net, .xdsl; "
                      "each also .gz)")
    add_memory_budget_option(p, "largest allocation allowed (data codes, count tables)")
    add_json_option(p)
    p.set_defaults(run=run)
    return p


def _prior(text: str | None):
    if text is None:
        return None
    if text.lower() in ("bdeu", "k2"):
        return text.lower()
    from pgm.exceptions import ParameterError

    try:
        return float(text)
    except ValueError:
        raise ParameterError(f"--prior is bdeu, k2 or a pseudo-count per cell, got {text!r}") from None


def _latent(items) -> dict:
    from pgm.evidence import parse_assignment
    from pgm.validation import check_positive_int

    out = {}
    for item in items:
        for token in item.split(","):
            name, value = parse_assignment(token)
            try:
                k = int(value)
            except ValueError:
                k = value
            out[name] = check_positive_int(f"--latent {name}", k)
    return out


def _check_out(path: str) -> None:
    """``-o``: a file name whose extension names a model format (:func:`pgm.io.model_format`)."""
    from pgm.cli.options import check_output_path
    from pgm.exceptions import ParameterError
    from pgm.io import model_format

    check_output_path(path, "-o/--out")
    if model_format(path) is None:
        raise ParameterError(f"-o {path}: write .bif, .bif.gz or .uai (or .xmlbif, .xml, .net, "
                             ".xdsl, each also .gz)")


def _structure_report(learned_dag, true_model) -> dict:
    """SHD to the true DAG and to its CPDAG; precision and recall of the skeleton."""
    from pgm.graphs import cpdag, shd

    true_dag = true_model.graph
    got = {frozenset(e) for e in learned_dag.edges}
    want = {frozenset(e) for e in true_dag.edges}
    hit = len(got & want)
    return {"shd_dag": int(shd(learned_dag, true_dag)),
            "shd_cpdag": int(shd(cpdag(learned_dag), cpdag(true_dag))),
            "skeleton_precision": hit / len(got) if got else 1.0,
            "skeleton_recall": hit / len(want) if want else 1.0,
            "edges": len(got), "true_edges": len(want)}


def _run_search(args) -> int:
    """``pgm learn DATA --search ...``: learn a structure, fit its CPDs, report."""
    import time
    import warnings

    from pgm.cli.options import load_model, refuse_unused, seed_of, write_json
    from pgm.exceptions import ParameterError, UnseenParentsWarning
    from pgm.io import save_model
    from pgm.learning.data import read_table
    from pgm.learning.parameters import DEFAULT_EQUIVALENT_SAMPLE_SIZE, fit_parameters
    from pgm.learning.search import chow_liu, hill_climb, tree_augmented_naive_bayes

    if args.method == "em":
        raise ParameterError("--search needs complete data; fit the learned structure with "
                             "--method mle or bayes")
    if args.out is not None:
        _check_out(args.out)
    refuse_unused(args, ["--latent", "--tolerance", "--init"], "with --search")
    if args.search != "hill-climb":
        refuse_unused(args, ["--score", "--max-parents", "--tabu", "--restarts",
                             "--max-iterations", "--max-seconds", "--structure"],
                      f"with --search {args.search}")
    if args.search != "pc":
        refuse_unused(args, ["--alpha"], f"with --search {args.search}")
    if args.search not in ("chow-liu", "tan"):
        refuse_unused(args, ["--root"], f"with --search {args.search}")
    if args.search != "tan":
        refuse_unused(args, ["--class"], f"with --search {args.search}")
    elif args.class_variable is None:
        raise ParameterError("--search tan needs --class C (the class variable)")
    score = args.score or "bic"
    ess = DEFAULT_EQUIVALENT_SAMPLE_SIZE if args.ess is None else args.ess
    if args.ess is not None and score not in ("bdeu", "bds") and _prior(args.prior) != "bdeu":
        raise ParameterError("--ess is the equivalent sample size of --score bdeu/bds or "
                             "--prior bdeu")
    prior = _prior(args.prior)
    if args.method == "bayes" and prior is None:
        prior = "bdeu"
    if args.method == "mle":
        refuse_unused(args, ["--prior"], "with --method mle (use --method bayes)")
    true_model = load_model(args.true) if args.true is not None else None
    start = load_model(args.structure) if args.structure is not None else None
    data = read_table(args.data, memory_budget=args.memory_budget)
    t0 = time.perf_counter()
    if args.search == "hill-climb":
        options = {k: v for k, v in (("max_parents", args.max_parents),
                                     ("tabu_length", args.tabu),
                                     ("max_iterations", args.max_iterations),
                                     ("max_seconds", args.max_seconds),
                                     ("restarts", args.restarts)) if v is not None}
        learned = hill_climb(data, score=score, equivalent_sample_size=ess, start=start,
                             seed=seed_of(args), memory_budget=args.memory_budget, **options)
        dag = learned.dag
    elif args.search == "chow-liu":
        learned = chow_liu(data, root=args.root, memory_budget=args.memory_budget)
        dag = learned.dag
    elif args.search == "tan":
        learned = tree_augmented_naive_bayes(data, args.class_variable, root=args.root,
                                             memory_budget=args.memory_budget)
        dag = learned.dag
    else:
        from pgm.learning.pc import pc

        learned = pc(data, alpha=0.05 if args.alpha is None else args.alpha)
        dag = learned.dag
    seconds = time.perf_counter() - t0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenParentsWarning)
        res = fit_parameters(dag, data, method=args.method, prior=prior,
                             equivalent_sample_size=ess, unseen=args.unseen,
                             memory_budget=args.memory_budget)
    if args.out is not None:
        save_model(res.model, args.out)
    out = {"ok": True, "model": None, "data": str(args.data), "search": args.search,
           "score_name": getattr(learned, "score_name", None),
           "score": getattr(learned, "score", None), "seconds": seconds,
           "stats": getattr(learned, "stats", {}),
           "edges": [[str(u), str(v)] for u, v in dag.edges],
           "method": res.method, "rows": res.n_rows, "log_likelihood": res.log_likelihood,
           "out": args.out}
    if true_model is not None:
        out["true"] = {"model": str(args.true), **_structure_report(dag, true_model)}
    if args.json:
        write_json(out)
        return 0
    lines = [f"learned {dag.number_of_edges()} arcs over {dag.number_of_nodes()} variables from "
             f"{res.n_rows} rows by {args.search} in {seconds:.2f} s"
             + (f" ({out['score_name']} {out['score']:.6g})" if out["score"] is not None else "")]
    if true_model is not None:
        t = out["true"]
        lines.append(f"against {args.true}: SHD {t['shd_dag']} (DAG), {t['shd_cpdag']} (CPDAG); "
                     f"skeleton precision {t['skeleton_precision']:.3f}, recall "
                     f"{t['skeleton_recall']:.3f}")
    if args.out is not None:
        lines.append(f"CPDs fitted ({res.method}) and written to {args.out}")
    print("\n".join(lines))
    return 0


def run(args) -> int:
    """Run ``pgm learn``; returns the exit code (errors propagate as PGMError: exit 2)."""
    import time
    import warnings

    from pgm.cli.options import load_model, refuse_unused, seed_of, write_json
    from pgm.exceptions import ParameterError, UnseenParentsWarning
    from pgm.io import save_model
    from pgm.learning.data import read_table
    from pgm.learning.parameters import DEFAULT_EQUIVALENT_SAMPLE_SIZE, fit_parameters

    if args.search is None:
        refuse_unused(args, SEARCH_FLAGS, "without --search")
        if args.structure is None:
            raise ParameterError("give the structure with --structure MODEL, or learn it with "
                                 "--search hill-climb|pc|chow-liu|tan")
    else:
        return _run_search(args)
    if args.out is not None:
        _check_out(args.out)
    if args.method != "em":
        refuse_unused(args, EM_FLAGS + (["--seed"] if args.seed is not None else []),
                      f"with --method {args.method}")
    if args.method == "mle":
        refuse_unused(args, ["--prior", "--ess"], "with --method mle (use --method bayes)")
    seed = seed_of(args)
    structure = load_model(args.structure)
    if not hasattr(structure, "get_cpd"):
        raise ParameterError(f"--structure needs a Bayesian network; {args.structure} is a "
                             f"{type(structure).__name__}")
    prior = _prior(args.prior)
    if args.method == "bayes" and prior is None:
        prior = "bdeu"
    ess = DEFAULT_EQUIVALENT_SAMPLE_SIZE if args.ess is None else args.ess
    if args.ess is not None and prior != "bdeu":
        raise ParameterError("--ess is the equivalent sample size of --prior bdeu")
    em_options = {}
    if args.method == "em":
        em_options = {"latent": _latent(args.latent) or None, "seed": seed}
        for flag, key in (("restarts", "n_restarts"), ("max_iterations", "max_iterations"),
                          ("tolerance", "tolerance"), ("init", "init")):
            if getattr(args, flag) is not None:
                em_options[key] = getattr(args, flag)
    data = read_table(args.data, memory_budget=args.memory_budget)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenParentsWarning)  # reported below instead
        res = fit_parameters(structure, data, method=args.method, prior=prior,
                             equivalent_sample_size=ess, unseen=args.unseen,
                             memory_budget=args.memory_budget, **em_options)
    seconds = time.perf_counter() - t0
    if args.out is not None:
        save_model(res.model, args.out)
    out = {
        "ok": True, "model": str(args.structure), "data": str(args.data), "method": res.method,
        "prior": prior, "equivalent_sample_size": ess if prior == "bdeu" else None,
        "rows": res.n_rows, "log_likelihood": res.log_likelihood,
        "log_likelihood_per_row": res.log_likelihood / res.n_rows,
        "cpds": res.row_counts(),
        "unseen": {str(v): rows for v, rows in res.unseen.items()},
        **({"em": {"iterations": res.iterations, "converged": res.converged,
                   "history": res.history, "restarts": res.restarts, "seed": seed}}
           if res.method == "em" else {}),
        "out": args.out, "seconds": seconds,
    }
    if args.json:
        write_json(out)
        return 0
    n_unseen = sum(len(r) for r in res.unseen.values())
    lines = [f"fitted {len(res.model.nodes)} CPDs of {args.structure} to {res.n_rows} rows of "
             f"{args.data} ({res.method}) in {seconds:.2f} s; log-likelihood "
             f"{res.log_likelihood:.6g} ({res.log_likelihood / res.n_rows:.6g} per row)"]
    if res.method == "em":
        lines.append(f"EM: {res.iterations} iterations, "
                     f"{'converged' if res.converged else 'NOT converged (raise --max-iterations)'}")
    if n_unseen:
        lines.append(f"{n_unseen} parent configurations had no data (uniform rows) in "
                     f"{len(res.unseen)} CPDs: " + ", ".join(map(str, list(res.unseen)[:10])))
    if args.out is not None:
        lines.append(f"written to {args.out}")
    print("\n".join(lines))
    return 0
