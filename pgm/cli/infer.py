"""``pgm infer MODEL``: exact inference by variable elimination.

* ``--partition-function`` (the default when nothing else is asked): ``ln Z`` and
  ``log10 Z`` with the evidence applied (``log P(evidence)`` for a Bayesian network).
* ``--marginals [VARS ...]``: posterior marginals of VARS (default: every variable).
* ``--map``: the most probable assignment of the unobserved variables (MPE).
* ``--plan``: only the elimination plan (induced width, largest table), nothing run.

Evidence comes from ``X=value`` arguments (state names or indices; for UAI models,
whose variables are the integers ``0 .. n-1``, ``3=1`` sets variable 3 to state 1),
from ``--evidence FILE`` (a UAI ``.evid`` file, a JSON object, or ``X=value`` lines)
and, for a ``.uai`` model, from ``MODEL.evid`` beside it unless ``--no-evidence``.

Exit codes: 0 answered, 2 unreadable model or evidence, unknown variable, evidence
of probability zero, or a table over the memory budget.

Examples
--------
.. code-block:: console

    $ pgm infer asia.bif.gz --marginals lung either smoke=yes
    $ pgm infer Grids_11.uai --partition-function --json
    $ pgm infer alarm.bif.gz --map --evidence alarm_evidence.txt
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Hashable, Iterable

EXIT_OK, EXIT_NEGATIVE, EXIT_BAD_INPUT = 0, 1, 2

#: the heuristics of :data:`pgm.inference.variable_elimination.HEURISTICS` (not imported
#: here, so that ``pgm --help`` stays fast)
HEURISTIC_NAMES = ("auto", "min-fill", "weighted-min-fill", "min-degree", "min-weight")

_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 10**3, "kib": 2**10, "m": 2**20, "mb": 10**6,
          "mib": 2**20, "g": 2**30, "gb": 10**9, "gib": 2**30, "t": 2**40, "tb": 10**12,
          "tib": 2**40}


def parse_bytes(text: str) -> int:
    """A byte count: ``4294967296``, ``4e9``, ``512M``, ``4G``, ``4GiB``, ``1.5GB``.

    Examples
    --------
    >>> parse_bytes("4G"), parse_bytes("1e6"), parse_bytes("2 MB")
    (4294967296, 1000000, 2000000)
    """
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    if not m or m.group(2).lower() not in _UNITS:
        raise argparse.ArgumentTypeError(
            f"invalid byte count {text!r}; use e.g. 4294967296, 4e9, 512M or 4G")
    value = float(m.group(1)) * _UNITS[m.group(2).lower()]
    if not value >= 1:
        raise argparse.ArgumentTypeError(f"the memory budget must be at least 1 byte, got {text!r}")
    return int(value)


class _IntermixedParser(argparse.ArgumentParser):
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


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``infer`` (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "infer",
        help="exact inference: partition function, marginals, MAP (variable elimination)",
        description=(
            "Exact inference on MODEL by variable elimination in log space: the partition "
            "function (probability of evidence), posterior marginals and the MAP assignment. "
            "Exit 0 when answered, 2 on unreadable input, unknown variables, impossible "
            "evidence or a table over the memory budget."
        ),
        epilog=("examples:  pgm infer asia.bif.gz --marginals lung either smoke=yes\n"
                "           pgm infer Grids_11.uai --partition-function --json\n"
                "           pgm infer alarm.bif.gz --map HR=HIGH --memory-budget 1G"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.__class__ = _IntermixedParser
    p.add_argument("model", metavar="MODEL",
                   help="model file: .bif, .bif.gz, .uai or a .py file defining `model`")
    p.add_argument("assignments", nargs="*", metavar="X=value", default=[],
                   help="evidence: a variable and a state name or index")
    p.add_argument("--evidence", metavar="FILE",
                   help="evidence file: UAI .evid, a JSON object {variable: state}, "
                        "or X=value lines")
    p.add_argument("--no-evidence", action="store_true",
                   help="ignore the MODEL.evid file a .uai model otherwise uses")
    p.add_argument("--partition-function", action="store_true",
                   help="print ln Z and log10 Z (with the evidence); the default action")
    p.add_argument("--marginals", nargs="*", metavar="VAR", default=None,
                   help="print the posterior marginals of VARs (default: all variables)")
    p.add_argument("--map", action="store_true",
                   help="print the most probable assignment of the unobserved variables")
    p.add_argument("--method", choices=("ve", "icm"), default="ve",
                   help="MAP method: exact variable elimination (default) or ICM with random "
                        "restarts on the compiled engine (approximate, for models too wide for VE)")
    p.add_argument("--restarts", type=int, default=10, metavar="N",
                   help="ICM restarts for --method icm (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed for --method icm (default 0)")
    p.add_argument("--plan", action="store_true",
                   help="print the elimination plan (induced width, largest table) only")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--memory-budget", type=parse_bytes, default=None, metavar="BYTES",
                   help="largest table allowed, e.g. 4G (default: $PGM_MEMORY_BUDGET or 4 GiB)")
    p.add_argument("--heuristic", choices=HEURISTIC_NAMES, default="auto",
                   help="elimination-order heuristic (default: auto)")
    p.add_argument("--digits", type=int, default=6, metavar="N",
                   help="significant digits of the text output (default 6)")
    p.set_defaults(run=run)
    return p


# ------------------------------------------------------------------ helpers
def _variables_of(model) -> list[Hashable]:
    return list(model.nodes) if hasattr(model, "nodes") else list(model.variables)


def resolve_variable(model, name: str, known: set | None = None) -> Hashable:
    """The model variable a command-line name refers to (integers for UAI models)."""
    from pgm.exceptions import UnknownVariableError

    known = set(_variables_of(model)) if known is None else known
    if name in known:
        return name
    text = name.strip()
    if text in known:
        return text
    if re.fullmatch(r"-?[0-9]+", text) and int(text) in known:
        return int(text)
    raise UnknownVariableError(f"variable {name!r} is not in the model")


def _split_assignment(token: str) -> tuple[str, str]:
    from pgm.exceptions import EvidenceError

    if "=" not in token:
        raise EvidenceError(f"evidence {token!r} is not of the form X=value")
    name, value = token.split("=", 1)
    if not name.strip() or not value.strip():
        raise EvidenceError(f"evidence {token!r} is not of the form X=value")
    return name.strip(), value.strip()


def parse_assignments(model, tokens: Iterable[str]) -> dict:
    """``{variable: state}`` from ``X=value`` tokens (values stay strings or ints)."""
    from pgm.exceptions import EvidenceError, UnknownVariableError

    known = set(_variables_of(model))
    out: dict = {}
    for token in tokens:
        for part in (t for t in re.split(r"[,\s]+", token) if t):
            name, value = _split_assignment(part)
            try:
                var = resolve_variable(model, name, known)
            except UnknownVariableError:
                raise EvidenceError(f"evidence names unknown variable {name!r}") from None
            out[var] = value
    return out


def read_evidence_file(model, path: str) -> dict:
    """Evidence from a UAI ``.evid`` file, a JSON object, or ``X=value`` lines."""
    import json
    from pathlib import Path

    from pgm.exceptions import EvidenceError, ModelLoadError, UnknownVariableError

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelLoadError(f"{p}: no such evidence file") from None
    except OSError as exc:
        raise ModelLoadError(f"{p}: cannot read the evidence file: {exc}") from exc
    stripped = text.strip()
    if p.suffix.lower() == ".evid" or re.fullmatch(r"[0-9\s]*", stripped):
        from pgm.io import read_evidence

        ev = read_evidence(str(p)) if stripped else {}
        known = set(_variables_of(model))
        for v in ev:
            if v not in known:
                raise EvidenceError(f"{p}: evidence names variable {v}, but the model has "
                                    f"{len(known)} variables")
        return ev
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise EvidenceError(f"{p}: invalid JSON evidence: {exc}") from None
        if not isinstance(data, dict):
            raise EvidenceError(f"{p}: JSON evidence must be an object {{variable: state}}")
        out = {}
        for name, value in data.items():
            try:
                var = resolve_variable(model, str(name))
            except UnknownVariableError:
                raise EvidenceError(f"{p}: evidence names unknown variable {name!r}") from None
            out[var] = value if isinstance(value, (int, str)) and not isinstance(value, bool) \
                else str(value)
        return out
    lines = [ln.split("#", 1)[0] for ln in text.splitlines()]
    return parse_assignments(model, [ln for ln in lines if ln.strip()])


def _state_label(model, ve, v, s: int):
    return ve._p.state_names(v)[s] if ve._p.has_state_names(v) else int(s)


def _fmt(x: float, digits: int) -> str:
    return f"{x:.{digits}g}"


# ---------------------------------------------------------------------- run
def run(args: argparse.Namespace) -> int:
    """Run ``pgm infer``; returns the exit code (errors propagate as PGMError: exit 2)."""
    import json
    import math
    from pathlib import Path

    from pgm.bayesian_network import BayesianNetwork
    from pgm.inference.variable_elimination import VariableElimination
    from pgm.io import load_model

    model = load_model(args.model)
    model_path = Path(args.model)

    # marginals given as `--marginals A B X=1`: argparse puts X=1 with the variables
    marg_tokens = None
    assignments = list(args.assignments)
    if args.marginals is not None:
        marg_tokens = []
        for tok in args.marginals:
            (assignments if "=" in tok else marg_tokens).append(tok)

    evidence: dict = {}
    source = None
    if args.evidence:
        evidence.update(read_evidence_file(model, args.evidence))
        source = args.evidence
    elif not args.no_evidence and model_path.name.lower().endswith((".uai", ".uai.gz")):
        default = Path(str(model_path) + ".evid")
        if not default.is_file() and model_path.name.lower().endswith(".gz"):
            default = Path(str(model_path)[:-3] + ".evid")
        if default.is_file():
            evidence.update(read_evidence_file(model, str(default)))
            source = str(default)
    evidence.update(parse_assignments(model, assignments))

    ve = VariableElimination(model, heuristic=args.heuristic, memory_budget=args.memory_budget)
    ev = ve._p.evidence(evidence)  # validates names and states (EvidenceError naming them)
    variables = _variables_of(model)
    want_pf = args.partition_function or (marg_tokens is None and not args.map and not args.plan)
    is_bn = isinstance(model, BayesianNetwork)
    digits = max(1, args.digits)

    result: dict = {"model": str(args.model),
                    "evidence": {str(v): _state_label(model, ve, v, s) for v, s in ev.items()}}
    if source:
        result["evidence_file"] = source

    if args.plan:
        query = None
        if marg_tokens is not None:
            query = [resolve_variable(model, t) for tok in marg_tokens
                     for t in tok.split(",") if t] or variables
        plan = ve.plan(query, ev)
        result["plan"] = {"induced_width": plan.induced_width,
                          "max_table_entries": plan.max_table_entries,
                          "max_table_bytes": plan.max_table_bytes,
                          "log2_max_table": round(plan.log2_max_table, 3),
                          "total_table_entries": plan.total_table_entries,
                          "variables": plan.variables, "factors": plan.factors}
    if want_pf:
        logz = ve.log_partition_function(ev)
        result["log_partition_function"] = logz
        result["log10_partition_function"] = logz / math.log(10)
    if marg_tokens is not None:
        names = [t for tok in marg_tokens for t in tok.split(",") if t]
        query = [resolve_variable(model, n) for n in names] if names else variables
        margs = ve.marginals(query, ev)
        result["marginals"] = {str(v): [float(x) for x in p] for v, p in margs.items()}
        labels = {str(v): [str(_state_label(model, ve, v, i)) for i in range(len(p))]
                  for v, p in margs.items()}
    if args.map:
        if args.method == "icm":
            from pgm.inference import icm_map

            assignment, energy = icm_map(model, ev, seed=args.seed, restarts=args.restarts)
            value = -float(energy)
            result["map_method"] = "icm"
        else:
            assignment, value = ve.map_assignment(ev)
            result["map_method"] = "variable elimination"
        result["map"] = {str(v): _state_label(model, ve, v, s) for v, s in assignment.items()
                         if v not in ev}
        result["map_log_value"] = value

    if args.json:
        print(json.dumps(result, indent=2))
        return EXIT_OK

    from pgm.cli.check import describe_model

    print(f"{args.model}: {describe_model(model)}")
    if ev:
        shown = ", ".join(f"{k}={v}" for k, v in list(result["evidence"].items())[:10])
        more = f", ... ({len(ev)} in all)" if len(ev) > 10 else ""
        print(f"evidence: {shown}{more}" + (f"  (from {source})" if source else ""))
    else:
        print("evidence: none")
    if "plan" in result:
        pl = result["plan"]
        print(f"plan: induced width {pl['induced_width']}, largest table 2^{pl['log2_max_table']:.1f} "
              f"= {pl['max_table_entries']} entries ({pl['max_table_bytes'] / 2**20:.4g} MiB), "
              f"{pl['variables']} variables and {pl['factors']} factors after pruning")
    if want_pf:
        what = "log P(evidence)" if is_bn else "log Z"
        print(f"{what} = {_fmt(result['log_partition_function'], digits)} (natural), "
              f"{_fmt(result['log10_partition_function'], digits)} (log10)")
    if marg_tokens is not None:
        print("marginals:")
        for name, probs in result["marginals"].items():
            cells = "  ".join(f"{lab}={_fmt(x, digits)}" for lab, x in zip(labels[name], probs))
            print(f"  {name}: {cells}")
    if args.map:
        print(f"MAP by {result['map_method']} (log value {_fmt(result['map_log_value'], digits)}):")
        print("  " + ", ".join(f"{k}={v}" for k, v in result["map"].items()))
    return EXIT_OK
