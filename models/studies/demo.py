"""The ``pgm demo``: a tour of the toolkit on classic models, written to a folder.

The demo runs offline on the example networks of :mod:`pgm.examples` (the "Asia",
"sprinkler" and "student" Bayesian networks and Koller & Friedman's "misconception"
Markov network), checks what the toolkit claims about them, and writes ``report.md``
and its figures into its output folder.

It is a :class:`~pgm.models.studies.report.Registry` of sections (the one report
framework of :mod:`pgm.models.studies.report`): functions ``section(ctx) -> Section``
that record anything the console summary should show with ``ctx.note``, every claim
they verify with ``ctx.check`` (a failed check makes ``pgm demo`` exit 1), and
return ``ctx.section(markdown_lines)``.  A section is added with the registry's
decorator::

    from pgm.models.studies.demo import SECTIONS

    @SECTIONS.section("exact", "Exact inference")
    def exact_inference(ctx):
        bn = ctx.models["asia"]
        ...
        return ctx.section(["| query | answer |", ...])

Sections run in registration order and share ``ctx.models`` (built by the first
section); ``ctx.quick`` asks them to keep under a few seconds.  The models' own
sections (Ising denoising, the RBM) are here too.

Examples
--------
>>> import tempfile
>>> result = run_demo(tempfile.mkdtemp(), quick=True, echo=None)
>>> result.ok, result.report.name
(True, 'report.md')
"""

from __future__ import annotations

import itertools
import os
import platform
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from pgm.bayesian_network import BayesianNetwork
from pgm.cpd import TabularCPD
from pgm.examples import (
    MISCONCEPTION_Z,
    asia_network,
    misconception_network,
    sprinkler_network,
    student_network,
)
from pgm.exceptions import ModelError
from pgm.independence import independence_gap, separated
from pgm.models.studies.report import Registry, ReportContext, Section, run_sections

__all__ = [
    "DEFAULT_OUT_DIR",
    "DemoContext",
    "DemoResult",
    "SECTIONS",
    "draw_networks",
    "run_demo",
]

#: where ``pgm demo`` writes when no ``--out`` is given
DEFAULT_OUT_DIR = "pgm-demo-output"


@dataclass(kw_only=True)
class DemoContext(ReportContext):
    """The demo's :class:`~pgm.models.studies.report.ReportContext`, plus ``models``:
    ``{name: model}``, filled by the first section."""

    models: dict[str, Any] = field(default_factory=dict)


#: the demo's sections, in the order they run
SECTIONS = Registry()


def _set(vs: Iterable[Hashable]) -> str:
    vs = sorted(map(str, vs))
    return "{" + ", ".join(vs) + "}" if vs else "∅"


def _bns(ctx: DemoContext) -> dict[str, BayesianNetwork]:
    return {k: m for k, m in ctx.models.items() if isinstance(m, BayesianNetwork)}


# ------------------------------------------------------------------ sections
@SECTIONS.section("models", "Models")
def models_section(ctx: DemoContext) -> Section:
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
    return ctx.section(lines)


@SECTIONS.section("normalization", "Exact normalization")
def normalization_section(ctx: DemoContext) -> Section:
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
    return ctx.section(lines)


@SECTIONS.section("blankets", "Markov blankets")
def markov_blanket_section(ctx: DemoContext) -> Section:
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
    return ctx.section(lines)


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


@SECTIONS.section("independence", "Independence: the graph's statements confirmed in the numbers")
def independence_section(ctx: DemoContext) -> Section:
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
    return ctx.section(lines)


@SECTIONS.section("conversion", "Bayesian network → factor graph")
def conversion_section(ctx: DemoContext) -> Section:
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
    return ctx.section(lines)


def draw_networks(fig, models: dict[str, Any]) -> None:
    """Draw one panel per model into the matplotlib figure ``fig``
    (:func:`pgm.plotting.plot_network`)."""
    from pgm.plotting import plot_network

    n = len(models)
    cols = min(n, 2)
    rows = (n + cols - 1) // cols
    fig.set_size_inches(6 * cols, 4.5 * rows)
    for i, (name, m) in enumerate(models.items()):
        ax = fig.add_subplot(rows, cols, i + 1)
        kind = "Bayesian network" if isinstance(m, BayesianNetwork) else "Markov network"
        plot_network(m, ax=ax, title=f"{name} ({kind})")


#: the evidence of the demo's posterior picture of asia
POSTERIOR_EVIDENCE = {"xray": "yes", "dysp": "yes"}


@SECTIONS.section("figure", "Figure")
def figure_section(ctx: DemoContext) -> Section:
    """Draw the models' graphs into ``networks.png`` and asia's posteriors given
    ``xray=yes, dysp=yes`` into ``asia_posteriors.png``."""
    from pgm.plotting import plot_posteriors

    name = ctx.figure("networks.png", lambda fig: draw_networks(fig, ctx.models), dpi=100)
    evidence = ", ".join(f"{k}={v}" for k, v in POSTERIOR_EVIDENCE.items())
    post = ctx.figure("asia_posteriors.png",
                      lambda fig: plot_posteriors(ctx.models["asia"], evidence=POSTERIOR_EVIDENCE,
                                                  query=["lung", "tub", "bronc"],
                                                  ax=fig.add_subplot(),
                                                  title=f"asia given {evidence}"),
                      figsize=(6.4, 5.6), dpi=110)
    ctx.note(f"figures: {name}, {post}")
    return ctx.section([f"![the demo's networks]({name})", "",
                        f"Posterior marginals of asia given `{evidence}` (junction tree): each "
                        "node's bars are P(state | evidence); observed nodes are framed in red, "
                        "the three diagnoses (query) are green.", "",
                        f"![asia's posteriors given {evidence}]({post})"],
                       figures=[name, post])


@SECTIONS.section("exact", "Exact inference: variable elimination")
def exact_inference_section(ctx: DemoContext) -> Section:
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
    return ctx.section(lines)


@SECTIONS.section("simulate", "Sampling from a Bayesian network: forward and likelihood weighting")
def simulate_section(ctx: DemoContext) -> Section:
    """Forward samples of Asia against exact marginals, and likelihood weighting against
    the exact posterior, each within 5 standard errors of its sample size."""
    from pgm.inference import marginals

    bn = ctx.models["asia"]
    n = 20000 if ctx.quick else 200000
    exact = marginals(bn)
    freq = bn.simulate(n, seed=0).marginals()
    evidence = {"smoke": "yes", "dysp": "yes"}
    post = marginals(bn, evidence=evidence)
    lw = bn.simulate(n, evidence, method="weighted", seed=0)
    est = lw.marginals()
    lines = [f"{n} forward samples; {n} likelihood-weighted samples given `smoke=yes, dysp=yes` "
             f"(effective sample size {lw.ess:.0f}).", "",
             "| variable | forward P(yes) | exact | LW P(yes \\| e) | exact |", "|---|---|---|---|---|"]
    ok_f = ok_w = True
    for v in bn.nodes:
        p, q = float(exact[v][0]), float(freq[v][0])
        ok_f &= abs(p - q) <= 5 * np.sqrt(max(p * (1 - p), 1e-6) / n) + 1e-12
        pe, qe = float(post[v][0]), float(est[v][0])
        ok_w &= abs(pe - qe) <= 5 * np.sqrt(max(pe * (1 - pe), 1e-6) / lw.ess) + 1e-12
        lines.append(f"| {v} | {q:.4f} | {p:.4f} | {qe:.4f} | {pe:.4f} |")
    ctx.check(ok_f, "forward-sampled marginals of asia agree with VE within 5 standard errors")
    ctx.check(ok_w, "likelihood-weighting posteriors agree with VE within 5 standard errors (ESS)")
    ctx.note(f"simulate: {n} forward and weighted samples of asia agree with exact inference")
    return ctx.section(lines)


@SECTIONS.section("learning", "Models from data: MLE, Bayesian and EM fits, batch prediction")
def learning_section(ctx: DemoContext) -> Section:
    """Fit alarm's CPDs to data sampled from it (MLE and BDeu), EM on Asia with a fifth of
    the values missing (log-likelihood never decreasing), and batch prediction checked
    against variable elimination row by row."""
    import warnings

    from pgm.examples import load
    from pgm.exceptions import UnseenParentsWarning
    from pgm.inference import marginals
    from pgm.learning import fit_parameters

    alarm = load("alarm")
    n = 20_000 if ctx.quick else 200_000
    data = alarm.simulate(n, seed=1).to_frame()
    t0 = time.perf_counter()
    with warnings.catch_warnings():  # alarm has parent configurations rare enough to miss
        warnings.simplefilter("ignore", UnseenParentsWarning)
        mle = fit_parameters(alarm, data)
    t_mle = time.perf_counter() - t0
    n_unseen = sum(len(r) for r in mle.unseen.values())
    bdeu = fit_parameters(alarm, data, method="bayes", prior="bdeu", equivalent_sample_size=10)
    worst = 0.0
    for v in alarm.nodes:  # rows with at least 1000 data rows: within 5 standard errors?
        true = alarm.get_cpd(v).values.reshape(-1, alarm.cardinality(v))
        est = mle.model.get_cpd(v).values.reshape(true.shape)
        rows = mle.counts[v].reshape(true.shape).sum(axis=1)
        big = rows >= 1000
        se = np.sqrt(np.maximum(true * (1 - true), 1e-4) / np.maximum(rows, 1)[:, None])
        if np.any(big):
            worst = max(worst, float(np.max((np.abs(est - true) / se)[big])))
    ctx.check(worst <= 5.0, "MLE CPD rows of alarm (>= 1000 rows of data) lie within 5 "
                            "standard errors of the generating CPDs")
    asia = ctx.models["asia"]
    m = 4000 if ctx.quick else 20_000
    full = asia.simulate(m, seed=2).to_frame()
    holes = full.copy()
    rng = np.random.default_rng(3)
    for col in holes.columns:
        holes.loc[rng.random(m) < 0.2, col] = None
    em = fit_parameters(asia, holes, method="em", max_iterations=200, seed=0)
    steps = np.diff(em.history)
    ctx.check(bool(np.all(steps >= -1e-9 * abs(em.history[-1]))),
              "EM's observed-data log-likelihood never decreases")
    ctx.check(em.converged, "EM converged within its iteration limit")
    rows = full.iloc[:200][["smoke", "xray", "dysp"]]
    t1 = time.perf_counter()
    proba = asia.predict_proba(rows, ["lung", "tub"])
    t_pred = time.perf_counter() - t1
    diff = 0.0
    for i in range(5):
        ev = {c: str(rows.iloc[i][c]) for c in rows.columns}
        exact = marginals(asia, ["lung", "tub"], evidence=ev)
        diff = max(diff, float(np.max(np.abs(proba.iloc[i][["lung"]].to_numpy() - exact["lung"]))),
                   float(np.max(np.abs(proba.iloc[i][["tub"]].to_numpy() - exact["tub"]))))
    ctx.check(diff < 1e-10, "predict_proba equals variable elimination row by row")
    lines = [
        f"alarm, {n} rows sampled from the network: maximum-likelihood fit in {t_mle:.2f} s "
        f"(log-likelihood {mle.log_likelihood / n:.4f} nats per row; BDeu with ESS 10: "
        f"{bdeu.log_likelihood / n:.4f}); the largest deviation of a well-populated CPD row "
        f"from the truth is {worst:.2f} standard errors; {n_unseen} parent configurations "
        "never occurred in the data (uniform rows, named in the fit result).",
        "",
        f"asia, {m} rows with 20% of the values deleted at random: EM ran {em.iterations} "
        f"iterations ({'converged' if em.converged else 'not converged'}), log-likelihood "
        f"{em.history[0]:.1f} -> {em.history[-1]:.1f}, never decreasing.",
        "",
        "| CPD | true | EM estimate |", "|---|---|---|",
    ]
    for v, given in (("smoke", ()), ("lung", (0,)), ("either", (1, 0))):
        true = asia.get_cpd(v).values[given][0]
        lines.append(f"| P({v}=yes{asia.describe_parent_assignment(v, given)}) | "
                     f"{true:.4f} | {em.model.get_cpd(v).values[given][0]:.4f} |")
    lines += ["", f"`predict_proba` of lung and tub for 200 rows observing smoke, xray and dysp "
                  f"in {t_pred * 1000:.1f} ms (each distinct row inferred once); the first five "
                  f"equal variable elimination to {max(diff, 1e-16):.0e}."]
    ctx.note(f"learning: alarm fitted from {n} rows; EM on asia in {em.iterations} iterations")
    return ctx.section(lines)


@SECTIONS.section("message-passing", "Junction tree, loopy belief propagation, blocked Gibbs")
def message_passing_section(ctx: DemoContext) -> Section:
    """The junction tree against VE on alarm (one build, many queries), loopy BP on a
    loopy Ising grid against the exact marginals, and blocked Gibbs on asia (whose
    deterministic `either` trapped single-site chains) against exact inference."""
    import warnings

    from pgm.examples import load
    from pgm.exceptions import EstimateWarning
    from pgm.inference import VariableElimination, belief_propagation, gibbs_sample
    from pgm.inference.junction_tree import JunctionTree

    alarm = load("alarm")
    t0 = time.perf_counter()
    jt = JunctionTree(alarm)
    t_build = time.perf_counter() - t0
    ve = VariableElimination(alarm)
    rng = np.random.default_rng(0)
    nodes = alarm.nodes
    worst, t_jt, t_ve, n_q = 0.0, 0.0, 0.0, 10
    for _ in range(n_q):
        picked = rng.choice(len(nodes), 3, replace=False)
        ev = {nodes[i]: int(rng.integers(alarm.cardinality(nodes[i]))) for i in picked}
        try:
            t1 = time.perf_counter()
            ref = ve.marginals(evidence=ev)
            t_ve += time.perf_counter() - t1
        except Exception:  # impossible evidence: skip
            continue
        t1 = time.perf_counter()
        got = jt.calibrate(ev).marginals()
        t_jt += time.perf_counter() - t1
        worst = max(worst, max(float(np.max(np.abs(got[v] - ref[v]))) for v in nodes))
    ctx.check(worst < 1e-6, "junction-tree posteriors equal variable elimination on alarm")
    # a loopy 8x8 Ising grid, weak couplings: BP near exact
    from pgm import Factor, FactorGraph

    side = 8
    grng = np.random.default_rng(1)
    factors = []
    for r in range(side):
        for c in range(side):
            h = grng.normal(0, 0.2)
            factors.append(Factor([(r, c)], [2], np.exp([-h, h])))
            for dr, dc in ((0, 1), (1, 0)):
                if r + dr < side and c + dc < side:
                    j = 0.25
                    factors.append(Factor([(r, c), (r + dr, c + dc)], [2, 2],
                                          np.exp([[j, -j], [-j, j]])))
    grid = FactorGraph(factors)
    bp = belief_propagation(grid)               # pairwise binary: one field per message
    exact = JunctionTree(grid).calibrate().marginals()
    bp_err = max(float(np.max(np.abs(bp.marginals[v] - exact[v]))) for v in grid.variables)
    ctx.check(bp.converged and bp_err < 0.02, "loopy BP on an 8x8 Ising grid is within 0.02 "
                                              "of the exact marginals")
    general = belief_propagation(grid, kernel="general")
    kernel_diff = max(float(np.max(np.abs(bp.marginals[v] - general.marginals[v])))
                      for v in grid.variables)
    ctx.check(kernel_diff < 1e-6, "BP's pairwise binary kernel equals its general kernel")
    from pgm.inference.pairwise import PairwiseBinaryModel

    big = PairwiseBinaryModel.grid((300, 300), coupling=0.25, field=grng.normal(0, 0.1, (300, 300)))
    with warnings.catch_warnings():             # a warm-up round: not converged, on purpose
        warnings.simplefilter("ignore", EstimateWarning)
        belief_propagation(big, max_iterations=1)
    t1 = time.perf_counter()
    big_bp = belief_propagation(big)
    t_big = time.perf_counter() - t1
    asia = ctx.models["asia"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimateWarning)
        plain = gibbs_sample(asia, 4000, chains=4, seed=0, blocking="none")
        blocked = gibbs_sample(asia, 4000, chains=4, seed=0)
    exact_asia = VariableElimination(asia).marginals()
    err = {name: max(float(np.max(np.abs(r.marginals[v] - exact_asia[v]))) for v in asia.nodes)
           for name, r in (("plain", plain), ("blocked", blocked))}
    ctx.check(err["blocked"] < 0.03, "blocked Gibbs on asia matches the exact marginals")
    lines = [
        f"alarm: the junction tree builds in {t_build * 1000:.1f} ms; {n_q} queries of all 37 "
        f"posteriors given 3 random observations took {t_jt / n_q * 1000:.2f} ms each "
        f"(variable elimination: {t_ve / n_q * 1000:.2f} ms); largest difference "
        f"{worst:.1e}.",
        "",
        f"8x8 Ising grid (coupling 0.25): loopy BP "
        f"{'converged' if bp.converged else 'did not converge'} in {bp.iterations} iterations, "
        f"largest marginal error {bp_err:.4f}; Bethe log Z "
        f"{bp.log_z:.4f} vs exact {JunctionTree(grid).log_evidence():.4f}; the general "
        f"kernel (a table per message) gives the same marginals to {kernel_diff:.0e}.",
        "",
        f"300x300 Ising grid (90,000 spins, 179,400 couplings) as a PairwiseBinaryModel: "
        f"loopy BP {'converged' if big_bp.converged else 'did not converge'} in "
        f"{big_bp.iterations} iterations, {t_big:.2f} s in all.",
        "",
        f"asia, 4 chains x 4000 samples: single-site Gibbs is off by {err['plain']:.3f} "
        f"(the deterministic `either` traps it); blocked Gibbs ({len(blocked.blocks)} block(s): "
        f"{', '.join('+'.join(map(str, b)) for b in blocked.blocks)}) by {err['blocked']:.4f}.",
    ]
    ctx.note(f"message passing: JT = VE on alarm; BP error {bp_err:.3f} on a loopy grid; "
             f"blocked Gibbs error {err['blocked']:.3f} on asia")
    return ctx.section(lines)


@SECTIONS.section("structure", "Structure learning and causal queries")
def structure_section(ctx: DemoContext) -> Section:
    """Hill climbing on data sampled from asia (SHD to the true equivalence class), and
    an interventional distribution by surgery checked against back-door adjustment."""
    from pgm.causal import adjustment_marginal, backdoor_sets, interventional_marginal
    from pgm.graphs import cpdag, shd
    from pgm.inference import marginals
    from pgm.learning.search import hill_climb

    asia = ctx.models["asia"]
    n = 20_000 if ctx.quick else 100_000
    data = asia.simulate(n, seed=3).to_frame()
    learned = hill_climb(data, score="bic")
    distance = shd(cpdag(learned.dag), cpdag(asia.graph))
    sets = backdoor_sets(asia, "either", "dysp")
    surgery = interventional_marginal(asia, "dysp", {"either": "yes"})["dysp"]
    adjusted = adjustment_marginal(asia, "dysp", {"either": "yes"}, sets[0])
    observed = marginals(asia, ["dysp"], evidence={"either": "yes"})["dysp"]
    ctx.check(float(np.max(np.abs(surgery - adjusted))) < 1e-12,
              "P(dysp | do(either=yes)) by surgery equals back-door adjustment")
    lines = [
        f"Hill climbing (BIC) on {n} rows sampled from asia found {learned.dag.number_of_edges()} "
        f"arcs in {learned.seconds:.2f} s; SHD between its equivalence class and the true one: "
        f"{distance}" + (" (asia's weak `asia -> tub` arc needs more data)." if distance else "."),
        "",
        f"Minimal back-door sets for either -> dysp: "
        f"{'; '.join('{' + ', '.join(sorted(map(str, z))) + '}' for z in sets)}. "
        f"P(dysp=yes | do(either=yes)) = {surgery[0]:.4f} by graph surgery and by adjustment "
        f"(observational P(dysp=yes | either=yes) = {observed[0]:.4f}).",
    ]
    ctx.note(f"structure: hill climbing SHD {distance} on asia; do() = adjustment")
    return ctx.section(lines)


@SECTIONS.section("sampling", "Compiled Gibbs sampling and ICM")
def sampling_section(ctx: DemoContext) -> Section:
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
    return ctx.section(lines)


@SECTIONS.section("ising", "Ising image denoising (PRML Figure 8.30)")
def ising_section(ctx: DemoContext, *, seed: int = 0) -> Section:
    """PRML Fig. 8.30 on the built-in image: ICM, Gibbs (MPM), annealing and graph cut.

    Adds 10% flip noise to :func:`~pgm.models.images.shapes_image`, restores it with
    ``beta=1, eta=2.1, h=0``, writes ``ising_denoising.png`` (clean, noisy, ICM, graph
    cut, Gibbs marginals) and checks the restorations.  ``ctx.quick`` uses a 128x128
    image and fewer sweeps (a second or two).
    """
    from pgm.models.images import add_flip_noise, pixel_accuracy, save_panels, shapes_image
    from pgm.models.ising import IsingDenoiser

    quick = ctx.quick
    size = 128 if quick else 256
    x = shapes_image(size)
    y = add_flip_noise(x, 0.1, seed=seed)
    model = IsingDenoiser(beta=1.0, eta=2.1, h=0.0)
    results = {
        "icm": model.icm(y),
        "gibbs": model.gibbs(y, n_samples=50 if quick else 200, burn_in=20 if quick else 50,
                             seed=seed),
        "anneal": model.anneal(y, None if not quick else np.geomspace(4.0, 0.05, 100), seed=seed),
        "graphcut": model.graph_cut(y),
    }
    noisy_acc = pixel_accuracy(y, x)
    lines = [
        f"Binary image denoising with an Ising MRF (PRML 8.3.3): the built-in {size}x{size} "
        f"image with 10% of its pixels flipped (seed {seed}), `beta=1, eta=2.1, h=0`.",
        "",
        "| method | pixels correct | energy | seconds |",
        "|---|---|---|---|",
        f"| noisy input | {noisy_acc:.2%} | {model.energy(y, y):.1f} | |",
    ]
    for name, r in results.items():
        lines.append(f"| {name} | {r.accuracy(x):.2%} | {r.energy:.1f} | {r.seconds:.3f} |")
    gc, icm = results["graphcut"], results["icm"]
    fig = ctx.add_file(save_panels(
        Path(ctx.out_dir) / "ising_denoising.png",
        [("clean", x), ("noisy (10%)", y), (f"ICM {icm.accuracy(x):.1%}", icm.image),
         (f"graph cut {gc.accuracy(x):.1%}", gc.image),
         ("Gibbs P(x=+1|y)", results["gibbs"].marginals)]))
    lines += ["", f"![Ising denoising]({fig.name})"]
    ctx.check(icm.accuracy(x) >= 0.95, "ICM restores at least 95% of the pixels")
    ctx.check(gc.accuracy(x) >= 0.98, "graph cut restores at least 98% of the pixels")
    ctx.check(gc.energy <= min(r.energy for r in results.values()) + 1e-6,
              "the graph-cut MAP has the lowest energy of all methods")
    ctx.check(icm.energy <= model.energy(y, y), "ICM does not raise the energy of its start y")
    ctx.note(f"Ising denoising: ICM {icm.accuracy(x):.1%}, graph cut {gc.accuracy(x):.1%} "
             f"of pixels restored (noisy input {noisy_acc:.1%})")
    return ctx.section(lines, figures=[fig.name],
                       rows=[{"method": k, **r.to_dict(x)} for k, r in results.items()])


@SECTIONS.section("rbm", "Restricted Boltzmann machine")
def rbm_section(ctx: DemoContext) -> Section:
    """CD-1 on scikit-learn's 8x8 digits, exact and AIS likelihood, filters and samples.

    A small RBM (16 hidden units) trained in a few seconds (``ctx.quick``: fewer
    epochs); writes ``rbm_filters.png`` and ``rbm_samples.png``.
    """
    from sklearn.datasets import load_digits

    from pgm.datasets import binarize
    from pgm.models import rbm_likelihood as L
    from pgm.models.rbm import RBM, BernoulliRBM, data_log_odds
    from pgm.models.tiles import save_tiles, tile_filters

    quick = ctx.quick
    out = Path(ctx.out_dir)
    X = binarize(load_digits().data / 16.0)
    train, val = X[:1500], X[1500:]
    epochs = 10 if quick else 30
    t0 = time.perf_counter()
    est = BernoulliRBM(n_components=16, n_iter=epochs, learning_rate=0.05, batch_size=20,
                       k=1, random_state=0)
    ll0 = L.average_log_likelihood(RBM.random(64, 16, seed=0, visible_bias=data_log_odds(train)),
                                   val).mean
    est.fit(train, X_val=val)
    secs = time.perf_counter() - t0
    rbm = est.rbm_
    exact = L.average_log_likelihood(rbm, val, method="exact")
    n_temps = 1000 if quick else 4000
    ais = L.ais_log_partition(rbm, data=train, n_runs=100, betas=L.ais_betas(n_temps), seed=0)
    tile_path = ctx.add_file(save_tiles(out / "rbm_filters.png",
                                        tile_filters(rbm.W, (8, 8), scale=4)))
    samples = rbm.sample(64, 200 if quick else 1000, seed=0)
    sample_path = ctx.add_file(save_tiles(out / "rbm_samples.png", samples.reshape(-1, 8, 8),
                                          scale=4))
    h = est.history_
    lines = [
        f"Binary RBM with 16 hidden units trained by CD-1 on {len(train)} binarized 8x8 "
        f"scikit-learn digits ({epochs} epochs, {secs:.1f} s, seed 0).",
        "",
        "| | value |",
        "|---|---|",
        f"| reconstruction error, training subset (first → last epoch) | "
        f"{h['train_recon'][0]:.2f} → {h['train_recon'][-1]:.2f} nats |",
        f"| reconstruction error, validation | {h['val_recon'][0]:.2f} → "
        f"{h['val_recon'][-1]:.2f} nats |",
        f"| free-energy gap (validation − training) | {h['free_energy_gap'][-1]:+.2f} |",
        f"| exact log Z (2^16 hidden states) | {exact.log_z:.4f} |",
        f"| AIS log Z (100 runs, {n_temps} temperatures) | {ais.log_z:.4f} ± "
        f"{3 * ais.log_z_std:.4f} |",
        f"| validation log-likelihood before → after training | {ll0:.2f} → {exact.mean:.2f} "
        "nats/image |",
        "",
        f"Filters: `{tile_path.name}`; 64 chains after {200 if quick else 1000} Gibbs steps: "
        f"`{sample_path.name}`.",
    ]
    ctx.note("RBM: trained on digits; filters and samples written")
    return ctx.section(lines, figures=[tile_path.name, sample_path.name])


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
             sections: Mapping[str, Callable[[DemoContext], Section]] | None = None,
             echo: Callable[[str], Any] | None = print) -> DemoResult:
    """Run the demo's sections and write ``report.md`` (and figures) into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Output folder (created if missing; files in it are replaced atomically).
    quick : bool
        Ask every section for a short version.
    sections : Registry or mapping ``{key: section function}``, optional
        Default :data:`SECTIONS`.  A section that raises is a failure of the demo
        (the others still run).
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
    ['asia_posteriors.png', 'ising_denoising.png', 'networks.png', 'rbm_filters.png',
     'rbm_samples.png', 'report.md']
    """
    t0 = time.perf_counter()
    ctx = DemoContext(out_dir=Path(out_dir), quick=quick)
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    lines = _header(quick)

    def done(sec: Section, status: str) -> None:
        lines.extend([f"## {sec.title}", "", *sec.lines, "",
                      f"*{status}, {sec.seconds:.2f} s*", ""])
        if echo is not None:
            echo(f"[{status}] {sec.title} ({sec.seconds:.1f} s)")

    run_sections(SECTIONS if sections is None else sections, ctx, catch=True, echo=done)
    if ctx.failures:
        lines += ["## Failed checks", "", *(f"- {f}" for f in ctx.failures), ""]
    report = ctx.write_text("report.md", "\n".join(lines))
    return DemoResult(ctx.out_dir, report, list(ctx.files), list(ctx.summary),
                      list(ctx.failures), time.perf_counter() - t0)
