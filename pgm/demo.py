"""The ``pgm demo``: a tour of the toolkit on classic models, written to a folder.

The demo runs offline on models embedded here (the "Asia", "sprinkler" and
"student" Bayesian networks and Koller & Friedman's "misconception" Markov
network), checks what the toolkit claims about them, and writes ``report.md``
and ``networks.png`` into its output folder.

It is organised as a list of *sections*: functions ``section(ctx) -> list[str]``
returning Markdown lines for the report.  A section records anything the console
summary should show with :meth:`DemoContext.note` and every claim it verifies with
:meth:`DemoContext.check` (a failed check makes ``pgm demo`` exit 1).  Later work
appends sections (exact inference, Gibbs sampling, Ising, RBM) with the
:func:`section` decorator::

    from pgm.demo import section

    @section("Exact inference")
    def exact_inference(ctx):
        bn = ctx.models["asia"]
        ...
        return ["| query | answer |", ...]

Sections run in registration order and share ``ctx.models`` (built by the first
section); ``ctx.quick`` asks them to keep under a few seconds.

Examples
--------
>>> import tempfile
>>> result = run_demo(tempfile.mkdtemp(), quick=True, echo=None)
>>> result.ok, result.report.name
(True, 'report.md')
"""

from __future__ import annotations

import io
import itertools
import os
import platform
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from pgm.bayesian_network import BayesianNetwork
from pgm.cpd import TabularCPD
from pgm.exceptions import ModelError
from pgm.factor import Factor
from pgm.factor_graph import FactorGraph
from pgm.independence import independence_gap, separated

__all__ = [
    "DEFAULT_OUT_DIR",
    "DemoContext",
    "DemoResult",
    "SECTIONS",
    "Section",
    "asia_network",
    "atomic_write_bytes",
    "atomic_write_text",
    "misconception_network",
    "run_demo",
    "section",
    "sprinkler_network",
    "student_network",
]

#: where ``pgm demo`` writes when no ``--out`` is given
DEFAULT_OUT_DIR = "pgm-demo-output"


# ------------------------------------------------------------------ the models
def _cpd(variable: str, values: Any, parents: Sequence[str] = (),
         states: dict[str, list[str]] | None = None) -> TabularCPD:
    names = {v: states[v] for v in (variable, *parents)} if states else None
    return TabularCPD(variable, values, parents, names)


def asia_network() -> BayesianNetwork:
    """The "Asia" chest-clinic network of Lauritzen & Spiegelhalter (1988).

    Eight binary variables (states ``yes``, ``no``), the numbers of the bnlearn
    repository's ``asia.bif``.  ``either`` is the deterministic OR of ``tub`` and
    ``lung``.

    Examples
    --------
    >>> bn = asia_network()
    >>> sorted(bn.markov_blanket("either"))
    ['bronc', 'dysp', 'lung', 'tub', 'xray']
    """
    yn = ["yes", "no"]
    s = {v: yn for v in ("asia", "tub", "smoke", "lung", "bronc", "either", "xray", "dysp")}
    return BayesianNetwork.from_cpds([
        _cpd("asia", [0.01, 0.99], states=s),
        _cpd("tub", [[0.05, 0.95], [0.01, 0.99]], ["asia"], s),
        _cpd("smoke", [0.5, 0.5], states=s),
        _cpd("lung", [[0.1, 0.9], [0.01, 0.99]], ["smoke"], s),
        _cpd("bronc", [[0.6, 0.4], [0.3, 0.7]], ["smoke"], s),
        _cpd("either", [[[1.0, 0.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]], ["lung", "tub"], s),
        _cpd("xray", [[0.98, 0.02], [0.05, 0.95]], ["either"], s),
        _cpd("dysp", [[[0.9, 0.1], [0.8, 0.2]], [[0.7, 0.3], [0.1, 0.9]]], ["bronc", "either"], s),
    ], name="asia")


def sprinkler_network() -> BayesianNetwork:
    """The cloudy / sprinkler / rain / wet-grass network (Russell & Norvig; Murphy).

    Examples
    --------
    >>> sprinkler_network().d_separated("sprinkler", "rain", "cloudy")
    True
    """
    tf = ["false", "true"]
    s = {v: tf for v in ("cloudy", "sprinkler", "rain", "wet_grass")}
    return BayesianNetwork.from_cpds([
        _cpd("cloudy", [0.5, 0.5], states=s),
        _cpd("sprinkler", [[0.5, 0.5], [0.9, 0.1]], ["cloudy"], s),
        _cpd("rain", [[0.8, 0.2], [0.2, 0.8]], ["cloudy"], s),
        _cpd("wet_grass", [[[1.0, 0.0], [0.1, 0.9]], [[0.1, 0.9], [0.01, 0.99]]],
             ["sprinkler", "rain"], s),
    ], name="sprinkler")


def student_network() -> BayesianNetwork:
    """Koller & Friedman's "student" network (difficulty, intelligence, grade, SAT, letter).

    Examples
    --------
    >>> student_network().d_separated("difficulty", "intelligence")
    True
    """
    s = {"difficulty": ["easy", "hard"], "intelligence": ["low", "high"],
         "grade": ["A", "B", "C"], "sat": ["low", "high"], "letter": ["weak", "strong"]}
    return BayesianNetwork.from_cpds([
        _cpd("difficulty", [0.6, 0.4], states=s),
        _cpd("intelligence", [0.7, 0.3], states=s),
        _cpd("grade", [[[0.3, 0.4, 0.3], [0.05, 0.25, 0.7]],
                       [[0.9, 0.08, 0.02], [0.5, 0.3, 0.2]]], ["intelligence", "difficulty"], s),
        _cpd("sat", [[0.95, 0.05], [0.2, 0.8]], ["intelligence"], s),
        _cpd("letter", [[0.1, 0.9], [0.4, 0.6], [0.99, 0.01]], ["grade"], s),
    ], name="student")


#: the partition function of :func:`misconception_network` (Koller & Friedman, Fig. 4.2)
MISCONCEPTION_Z = 7_201_840.0


def misconception_network() -> FactorGraph:
    """Koller & Friedman's "misconception" Markov network: a loop A - B - C - D - A.

    Examples
    --------
    >>> round(misconception_network().partition_function()) == MISCONCEPTION_Z
    True
    """
    return FactorGraph([
        Factor(["A", "B"], [2, 2], [[30.0, 5.0], [1.0, 10.0]]),
        Factor(["B", "C"], [2, 2], [[100.0, 1.0], [1.0, 100.0]]),
        Factor(["C", "D"], [2, 2], [[1.0, 100.0], [100.0, 1.0]]),
        Factor(["D", "A"], [2, 2], [[100.0, 1.0], [1.0, 100.0]]),
    ])


# ----------------------------------------------------------- output plumbing
from pgm.files import atomic_write_bytes, atomic_write_text  # noqa: E402


@dataclass
class DemoContext:
    """State shared by the demo's sections.

    Attributes
    ----------
    out_dir : the output folder.
    quick : sections should keep to a few seconds.
    models : ``{name: model}``, filled by the first section.
    summary : lines for the console (see :meth:`note`).
    failures : descriptions of failed checks (see :meth:`check`).
    files : files written so far (see :meth:`write_bytes`).
    """

    out_dir: Path
    quick: bool = False
    models: dict[str, Any] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def note(self, line: str) -> None:
        """Add a line to the console summary."""
        self.summary.append(line)

    def check(self, condition: bool, claim: str) -> bool:
        """Record a verified claim; a false one is a failure of the demo."""
        if not condition:
            self.failures.append(claim)
        return bool(condition)

    def write_bytes(self, name: str, data: bytes) -> Path:
        """Write a file into the output folder atomically and remember it."""
        path = atomic_write_bytes(self.out_dir / name, data)
        self.files.append(path)
        return path

    def write_text(self, name: str, text: str) -> Path:
        """:meth:`write_bytes` for UTF-8 text."""
        return self.write_bytes(name, text.encode("utf-8"))


@dataclass(frozen=True)
class Section:
    """A titled step of the demo: ``run(ctx)`` returns the section's Markdown lines."""

    title: str
    run: Callable[[DemoContext], list[str]]


#: the demo's sections, in the order they run
SECTIONS: list[Section] = []


def section(title: str) -> Callable[[Callable[[DemoContext], list[str]]],
                                    Callable[[DemoContext], list[str]]]:
    """Decorator appending a function to :data:`SECTIONS` under ``title``."""
    def register(func: Callable[[DemoContext], list[str]]) -> Callable[[DemoContext], list[str]]:
        SECTIONS.append(Section(title, func))
        return func
    return register


def _set(vs: Iterable[Hashable]) -> str:
    vs = sorted(map(str, vs))
    return "{" + ", ".join(vs) + "}" if vs else "∅"


def _bns(ctx: DemoContext) -> dict[str, BayesianNetwork]:
    return {k: m for k, m in ctx.models.items() if isinstance(m, BayesianNetwork)}


# ------------------------------------------------------------------ sections
@section("Models")
def models_section(ctx: DemoContext) -> list[str]:
    """Build the models, validate them, and show that structural faults are caught."""
    ctx.models.update(asia=asia_network(), sprinkler=sprinkler_network(),
                      student=student_network(), misconception=misconception_network())
    lines = ["| model | kind | variables | edges / factors | parameters | validate() |",
             "|---|---|---|---|---|---|"]
    for name, m in ctx.models.items():
        if isinstance(m, BayesianNetwork):
            m.validate()
            params = sum(c.values.size for c in m.cpds.values())
            lines.append(f"| {name} | Bayesian network | {len(m)} | {len(m.edges)} edges | "
                         f"{params} | ok |")
        else:
            params = sum(f.size for f in m.factors)
            lines.append(f"| {name} | Markov network | {len(m.variables)} | "
                         f"{len(m.factors)} factors | {params} | — |")
    lines += ["", "Structural faults are rejected with a specific error naming the culprit:", ""]
    faults: list[tuple[str, BayesianNetwork]] = []
    cyclic = asia_network()
    cyclic.add_edge("dysp", "smoke")
    faults.append(("edge dysp → smoke added (a cycle)", cyclic))
    missing = BayesianNetwork(asia_network().edges)
    for v, cpd in asia_network().cpds.items():
        if v != "xray":
            missing.add_cpd(cpd)
    faults.append(("CPD of xray left out", missing))
    mismatch = asia_network()
    mismatch.add_edge("asia", "xray")
    faults.append(("edge asia → xray added without updating xray's CPD", mismatch))
    caught = 0
    for what, bn in faults:
        try:
            bn.validate()
            lines.append(f"- {what}: **not caught**")
        except ModelError as exc:
            caught += 1
            lines.append(f"- {what}: `{type(exc).__name__}`: {exc}")
    ctx.check(caught == len(faults), "validate() catches every structural fault")
    ctx.note(f"built {len(ctx.models)} models; {len(_bns(ctx))} Bayesian networks validated; "
             f"{caught}/{len(faults)} structural faults caught")
    return lines


@section("Exact normalization")
def normalization_section(ctx: DemoContext) -> list[str]:
    """Total probability of every network, and a broken copy that the check catches."""
    lines = ["Total probability `sum_x prod_k p(x_k | pa_k)`, computed exactly without assuming "
             "the CPDs are normalized:", "",
             "| model | total probability | method | normalized |", "|---|---|---|---|"]
    for name, bn in _bns(ctx).items():
        rep = bn.check_normalization()
        ctx.check(rep.ok, f"{name} is normalized")
        lines.append(f"| {name} | {rep.total_probability:.15g} | {rep.method} | "
                     f"{'yes' if rep.ok else 'NO'} |")
    fg = ctx.models["misconception"]
    z = fg.partition_function()
    ctx.check(abs(z - MISCONCEPTION_Z) <= 1e-9 * MISCONCEPTION_Z,
              f"misconception partition function is {MISCONCEPTION_Z:.0f}")
    lines += ["", f"Misconception network: partition function Z = {z:,.0f} "
              f"(Koller & Friedman give {MISCONCEPTION_Z:,.0f}).", ""]

    broken = ctx.models["asia"].copy()
    cpd = broken.get_cpd("dysp")
    values = cpd.values.copy()
    values[1, 0] = [0.8, 0.3]  # p(dysp | bronc=no, either=yes) now sums to 1.1
    broken.add_cpd(TabularCPD("dysp", values, cpd.parents, cpd.state_names))
    rep = broken.check_normalization()
    named = rep.worst is not None and rep.worst.variable == "dysp"
    ctx.check(not rep.ok and named, "the broken copy of asia is caught, naming dysp")
    lines += ["A deliberately broken copy of asia (one conditional of `dysp` edited to sum "
              "to 1.1):", "", "```", rep.summary(), "```"]
    ctx.note(f"normalization: {len(_bns(ctx))} networks sum to 1; misconception Z = {z:,.0f}; "
             f"broken copy caught ({rep.worst.message if rep.worst else 'no problem named'})")
    return lines


@section("Markov blankets")
def markov_blanket_section(ctx: DemoContext) -> list[str]:
    """Markov blankets, checked against the neighbours in the moral graph."""
    lines = []
    agree = True
    for name, model in ctx.models.items():
        graph = model.moral_graph() if isinstance(model, BayesianNetwork) else model.markov_graph()
        lines += [f"**{name}**", "", "| variable | Markov blanket |", "|---|---|"]
        for v in (model.nodes if isinstance(model, BayesianNetwork) else model.variables):
            mb = model.markov_blanket(v)
            agree &= mb == set(graph[v])
            lines.append(f"| {v} | {_set(mb)} |")
        lines.append("")
    ctx.check(agree, "every Markov blanket equals the node's neighbours in the moral graph")
    lines.append("Every blanket equals the variable's neighbours in the moralized graph: "
                 + ("yes." if agree else "**NO**."))
    mb = ctx.models["asia"].markov_blanket("either")
    ctx.note(f"Markov blanket of asia's 'either': {_set(mb)}")
    return lines


#: named statements about asia: (xs, ys, given, why)
ASIA_STATEMENTS = [
    (["tub"], ["smoke"], [], "independent causes"),
    (["tub"], ["smoke"], ["dysp"], "explaining away through the observed effect"),
    (["xray"], ["dysp"], ["either"], "common cause observed"),
    (["xray"], ["smoke"], ["lung"], "chain blocked"),
    (["bronc"], ["lung"], ["smoke"], "common cause observed"),
    (["bronc"], ["lung"], ["smoke", "dysp"], "… until a common effect is observed"),
    (["asia"], ["smoke"], ["either"], "v-structure opened at either"),
]


def _ancestral_moral_separated(bn: BayesianNetwork, xs, ys, zs) -> bool:
    """d-separation by Lauritzen's criterion: separation in the moralized ancestral graph."""
    keep = set(xs) | set(ys) | set(zs)
    for v in list(keep):
        keep |= nx.ancestors(bn.graph, v)
    return separated(nx.moral_graph(bn.graph.subgraph(keep)), xs, ys, zs)


@section("Independence: the graph's statements confirmed in the numbers")
def independence_section(ctx: DemoContext) -> list[str]:
    """d-separation statements, their independence gap, and an exhaustive sweep."""
    asia = ctx.models["asia"]
    joint = asia.joint()
    lines = ["Gap = max |P(x,y|z) − P(x|z)P(y|z)| from the exact joint; 0 means independent.", "",
             "| statement | d-separated | gap | note |", "|---|---|---|---|"]
    for xs, ys, zs, why in ASIA_STATEMENTS:
        sep = asia.d_separated(xs, ys, zs)
        gap = independence_gap(joint, xs, ys, zs)
        ctx.check(not sep or gap <= 1e-12, f"asia: {xs} ⟂ {ys} | {zs} holds in the numbers")
        given = f" \\| {_set(zs)}" if zs else ""
        lines.append(f"| {_set(xs)} ⟂ {_set(ys)}{given} | {'yes' if sep else 'no'} | "
                     f"{gap:.2e} | {why} |")

    max_given = 1 if ctx.quick else 2
    lines += ["", f"Exhaustive sweep: every pair of variables, every conditioning set of up to "
              f"{max_given} other variables. Soundness: each d-separated statement has gap ≈ 0. "
              "Cross-check: the linear-time Bayes-ball answer equals Lauritzen's criterion "
              "(separation in the moralized ancestral graph).", "",
              "| model | statements | d-separated | max gap when d-separated | "
              "d-connected but gap ≤ 1e-9 | Bayes ball = Lauritzen |", "|---|---|---|---|---|---|"]
    total = 0
    for name, bn in _bns(ctx).items():
        joint = bn.joint()
        n = n_sep = n_unfaithful = 0
        worst = 0.0
        same = True
        for x, y in itertools.combinations(bn.nodes, 2):
            rest = [v for v in bn.nodes if v not in (x, y)]
            for k in range(max_given + 1):
                for zs in itertools.combinations(rest, k):
                    n += 1
                    sep = bn.d_separated(x, y, zs)
                    same &= sep == _ancestral_moral_separated(bn, {x}, {y}, set(zs))
                    gap = independence_gap(joint, x, y, zs)
                    if sep:
                        n_sep += 1
                        worst = max(worst, gap)
                    elif gap <= 1e-9:
                        n_unfaithful += 1
        total += n
        ctx.check(worst <= 1e-12, f"{name}: every d-separation holds in the numbers")
        ctx.check(same, f"{name}: Bayes ball agrees with Lauritzen's criterion")
        lines.append(f"| {name} | {n} | {n_sep} | {worst:.1e} | {n_unfaithful} | "
                     f"{'yes' if same else '**NO**'} |")

    fg = ctx.models["misconception"]
    lines += ["", "Misconception network (graph separation in the Markov graph):", ""]
    for xs, ys, zs in ((["A"], ["C"], ["B", "D"]), (["B"], ["D"], ["A", "C"]),
                       (["A"], ["C"], ["B"])):
        sep = fg.is_separated(xs, ys, zs)
        gap = fg.independence_gap(xs, ys, zs)
        ctx.check(not sep or gap <= 1e-12, f"misconception: {xs} ⟂ {ys} | {zs} holds")
        lines.append(f"- {_set(xs)} ⟂ {_set(ys)} | {_set(zs)}: separated "
                     f"{'yes' if sep else 'no'}, gap {gap:.2e}")
    ctx.note(f"independence: {total} d-separation statements checked against exact gaps "
             f"and Lauritzen's criterion")
    return lines


@section("Bayesian network → factor graph")
def conversion_section(ctx: DemoContext) -> list[str]:
    """``to_factor_graph`` keeps the joint, Z = 1 and the Markov blankets."""
    lines = ["| model | max joint difference | Z of the factor graph | blankets equal |",
             "|---|---|---|---|"]
    for name, bn in _bns(ctx).items():
        fg = bn.to_factor_graph()
        a = bn.joint().transpose(bn.nodes).values
        b = fg.joint(normalized=False).transpose(bn.nodes).values
        diff = float(np.max(np.abs(a - b)))
        z = fg.partition_function()
        blankets = all(bn.markov_blanket(v) == fg.markov_blanket(v) for v in bn.nodes)
        ctx.check(diff <= 1e-15 and abs(z - 1) <= 1e-12 and blankets,
                  f"{name}: the factor graph has the same joint, Z = 1 and the same blankets")
        lines.append(f"| {name} | {diff:.1e} | {z:.15g} | {'yes' if blankets else '**NO**'} |")
    ctx.note(f"conversion: {len(_bns(ctx))} networks converted to factor graphs, joints equal")
    return lines


def _layout(graph: nx.Graph) -> dict:
    """Layered (roots on top, barycentre order) for a DAG; circular otherwise."""
    if not graph.is_directed():
        return nx.circular_layout(graph)
    x: dict = {}
    pos = {}
    for depth, layer in enumerate(nx.topological_generations(graph)):
        if depth:
            layer.sort(key=lambda n: float(np.mean([x[p] for p in graph.predecessors(n)])))
        for j, n in enumerate(layer):
            x[n] = j - (len(layer) - 1) / 2
            pos[n] = (x[n], -float(depth))
    return pos


def draw_networks(models: dict[str, Any]) -> bytes:
    """A PNG with one panel per model (Agg backend; no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(models)
    cols = min(n, 2)
    rows = (n + cols - 1) // cols
    fig = Figure(figsize=(6 * cols, 4.5 * rows), dpi=100)
    FigureCanvasAgg(fig)
    for i, (name, m) in enumerate(models.items()):
        ax = fig.add_subplot(rows, cols, i + 1)
        graph = m.graph if isinstance(m, BayesianNetwork) else m.markov_graph()
        pos = _layout(graph)
        nx.draw_networkx(graph, pos, ax=ax, node_color="#cfe2f3", edgecolors="#34495e",
                         node_size=1500, font_size=8,
                         **({"arrowsize": 14} if graph.is_directed() else {}))
        kind = "Bayesian network" if isinstance(m, BayesianNetwork) else "Markov network"
        ax.set_title(f"{name} ({kind})")
        ax.margins(0.15)
        ax.set_axis_off()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


@section("Figure")
def figure_section(ctx: DemoContext) -> list[str]:
    """Draw the models' graphs into ``networks.png``."""
    path = ctx.write_bytes("networks.png", draw_networks(ctx.models))
    ctx.note(f"figure: {path.name}")
    return [f"![the demo's networks]({path.name})"]


@section("Exact inference: variable elimination")
def exact_inference_section(ctx: DemoContext) -> list[str]:
    """Posterior marginals and the MAP of Asia by VE, checked against enumeration."""
    from pgm.inference import log_partition_function, map_assignment, marginals

    bn = ctx.models["asia"]
    evidence = {"xray": 0, "dysp": 0}  # state 0 is "yes"
    post = marginals(bn, evidence=evidence)
    joint = bn.joint()
    worst = 0.0
    for v in bn.nodes:
        if v in evidence:
            continue
        ref = joint.reduce(evidence).marginal([v]).normalize().values
        worst = max(worst, float(np.max(np.abs(ref - post[v]))))
    logp = log_partition_function(bn, evidence)
    ref_p = float(joint.reduce(evidence).values.sum())
    mpe, logv = map_assignment(bn)
    best = float(np.log(joint.values.max()))
    ctx.check(worst <= 1e-12, "VE marginals of asia equal brute-force enumeration")
    ctx.check(abs(np.exp(logp) - ref_p) <= 1e-14, "VE probability of evidence equals enumeration")
    ctx.check(abs(logv - best) <= 1e-12, "the MAP log-probability equals the enumerated maximum")
    ctx.note(f"exact inference: asia posteriors given xray=yes, dysp=yes match enumeration "
             f"to {worst:.0e}")
    lines = ["Asia with evidence `xray=yes, dysp=yes`: P(evidence) = "
             f"{np.exp(logp):.6g} (enumeration {ref_p:.6g}).", "",
             "| variable | P(yes \\| evidence) |", "|---|---|"]
    lines += [f"| {v} | {post[v][0]:.6f} |" for v in bn.nodes if v not in evidence]
    lines += ["", f"Largest difference from enumeration: {worst:.1e}. MPE: "
              f"`{mpe}` with log-probability {logv:.6f}."]
    return lines


@section("Compiled Gibbs sampling and ICM")
def sampling_section(ctx: DemoContext) -> list[str]:
    """The Numba engine on the loopy misconception network: Gibbs vs exact, and ICM."""
    from pgm.inference import gibbs_sample, icm_map

    fg = ctx.models.get("misconception") or misconception_network()
    exact = fg.joint()
    n = 2000 if ctx.quick else 20000
    res = gibbs_sample(fg, n, chains=4, burn_in=500, seed=0)
    lines = [f"4 chains x {n} samples, systematic scan, seed 0.", "",
             "| variable | Gibbs P(=1) | exact | ESS | split R-hat |", "|---|---|---|---|---|"]
    ok = True
    for v in fg.variables:
        p = float(exact.marginal([v]).values[1])
        q = float(res.marginals[v][1])
        ess = float(res.ess[v])
        tol = 5.0 * np.sqrt(max(p * (1 - p), 1e-4) / max(ess, 1.0)) + 1e-3
        ok &= abs(p - q) <= tol
        lines.append(f"| {v} | {q:.4f} | {p:.4f} | {ess:.0f} | {float(res.rhat[v]):.3f} |")
    ctx.check(ok, "Gibbs marginals agree with exact ones within 5 standard errors (from the ESS)")
    assignment, energy = icm_map(fg, seed=0)
    best = -float(np.log(exact.values.max() * fg.partition_function()))
    lines += ["", f"ICM with restarts: `{assignment}`, energy {energy:.4f} "
              f"(exact minimum {best:.4f})."]
    ctx.check(energy >= best - 1e-9, "ICM's energy is never below the exact minimum")
    ctx.note(f"sampling: Gibbs marginals of the misconception network match exact ones "
             f"(ESS about {min(float(e) for e in res.ess.values()):.0f})")
    return lines


@section("Ising image denoising (PRML Figure 8.30)")
def ising_section(ctx: DemoContext) -> list[str]:
    """ICM, Gibbs, annealing and graph cut on the built-in image."""
    from pgm.models.ising import ising_demo_section

    out = ising_demo_section(ctx.out_dir, quick=ctx.quick)
    for ok, claim in out["checks"]:
        ctx.check(ok, claim)
    ctx.files.extend(out["files"])
    ctx.note(out["summary"])
    return out["lines"]


@section("Restricted Boltzmann machine")
def rbm_section(ctx: DemoContext) -> list[str]:
    """CD-1 on scikit-learn's digits, exact and AIS likelihood, filters and samples."""
    from pgm.models.rbm import rbm_demo_section

    lines = rbm_demo_section(ctx.out_dir, quick=ctx.quick)
    for name in ("rbm_filters.png", "rbm_samples.png"):
        ctx.files.append(ctx.out_dir / name)
    ctx.note("RBM: trained on digits; filters and samples written")
    return lines


# ------------------------------------------------------------------- driver
@dataclass
class DemoResult:
    """What :func:`run_demo` produced."""

    out_dir: Path
    report: Path
    files: list[Path]
    summary: list[str]
    failures: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        """True when every check of every section held."""
        return not self.failures


def _header(quick: bool) -> list[str]:
    import scipy

    import pgm

    return ["# pgm demo report", "",
            f"pgm {pgm.__version__}, Python {platform.python_version()}, numpy {np.__version__}, "
            f"scipy {scipy.__version__}, networkx {nx.__version__}; "
            f"{'quick' if quick else 'full'} run on {time.strftime('%Y-%m-%d %H:%M:%S')}.", ""]


def run_demo(out_dir: str | os.PathLike = DEFAULT_OUT_DIR, *, quick: bool = False,
             sections: Sequence[Section] | None = None,
             echo: Callable[[str], Any] | None = print) -> DemoResult:
    """Run the demo's sections and write ``report.md`` (and figures) into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Output folder (created if missing; files in it are replaced atomically).
    quick : bool
        Ask every section for a short version.
    sections : sequence of Section, optional
        Default :data:`SECTIONS`.
    echo : callable, optional
        Called with one line per finished section (``None``: silent).

    Returns
    -------
    DemoResult

    Examples
    --------
    >>> import tempfile
    >>> res = run_demo(tempfile.mkdtemp(), quick=True, echo=None)
    >>> sorted(p.name for p in res.files)
    ['ising_denoising.png', 'networks.png', 'rbm_filters.png', 'rbm_samples.png', 'report.md']
    """
    t0 = time.perf_counter()
    ctx = DemoContext(Path(out_dir), quick=quick)
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    lines = _header(quick)
    for sec in SECTIONS if sections is None else sections:
        t = time.perf_counter()
        before = len(ctx.failures)
        try:
            body = sec.run(ctx)
        except Exception as exc:  # a broken section should not hide the others
            ctx.failures.append(f"section {sec.title!r} raised {type(exc).__name__}: {exc}")
            body = [f"**This section failed:** `{type(exc).__name__}: {exc}`"]
        dt = time.perf_counter() - t
        status = "ok" if len(ctx.failures) == before else "FAILED"
        lines += [f"## {sec.title}", "", *body, "", f"*{status}, {dt:.2f} s*", ""]
        if echo is not None:
            echo(f"[{status}] {sec.title} ({dt:.1f} s)")
    if ctx.failures:
        lines += ["## Failed checks", "", *(f"- {f}" for f in ctx.failures), ""]
    report = ctx.write_text("report.md", "\n".join(lines))
    return DemoResult(ctx.out_dir, report, list(ctx.files), list(ctx.summary),
                      list(ctx.failures), time.perf_counter() - t0)
