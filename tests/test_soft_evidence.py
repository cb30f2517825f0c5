"""Soft (virtual) evidence (issue 15) through every method that takes it, and
``pgm infer --method jt`` giving the answers of variable elimination on every example."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_helpers import run_cli

import pgm
import pgm.examples
from pgm.evidence import normalize_soft_evidence, parse_evidence_items, with_soft_evidence
from pgm.exceptions import EvidenceError
from pgm.inference import VariableElimination
from pgm.inference.junction_tree import JunctionTree
from pgm.inference.sampling import lw_marginals


def _virtual_child(bn, variable, lik):
    """``bn`` plus a binary child of ``variable`` observed in state 0 with ``lik``."""
    lik = np.asarray(lik, dtype=float) / max(lik)
    table = np.stack([lik, 1 - lik], axis=-1)
    bigger = bn.copy()
    bigger.add_cpd(pgm.TabularCPD("virtual", table, parents=[variable]))
    bigger.add_edge(variable, "virtual")
    return bigger


def test_soft_evidence_is_a_virtual_child_in_ve_jt_and_lw():
    bn = pgm.examples.load("asia")
    lik = [0.9, 0.2]
    soft = {"xray": lik}
    hard = {"smoke": "yes"}
    reference = VariableElimination(_virtual_child(bn, "xray", lik), prune=False)
    exact = reference.marginals(list(bn.nodes), {**hard, "virtual": 0})
    scale = np.log(max(lik))
    log_p = reference.probability_of_evidence({**hard, "virtual": 0}, log=True) + scale
    ve = VariableElimination(with_soft_evidence(bn, soft), prune=False)
    cal = JunctionTree(bn).calibrate(hard, soft_evidence=soft)
    assert ve.log_partition_function(hard) == pytest.approx(log_p, abs=1e-12)
    assert cal.log_evidence == pytest.approx(log_p, abs=1e-12)
    n = 200_000
    est, ess = lw_marginals(bn, n, hard, soft_evidence=soft, seed=3)
    for v in bn.nodes:
        np.testing.assert_allclose(ve.marginals([v], hard)[v], exact[v], atol=1e-12)
        np.testing.assert_allclose(cal.marginal(v), exact[v], atol=1e-12)
        p = exact[v]
        assert np.all(np.abs(est[v] - p) <= 5 * np.sqrt(np.maximum(p * (1 - p), 1e-6) / ess) + 1e-12)


def test_parsing_and_validation():
    bn = pgm.examples.load("asia")
    soft = {}
    ev = parse_evidence_items(bn, ["xray~0.5,1", "smoke=yes,dysp~1,0,tub=no"], soft=soft)
    assert ev == {"smoke": 0, "tub": 1}
    assert {k: v.tolist() for k, v in soft.items()} == {"xray": [0.5, 1.0], "dysp": [1.0, 0.0]}
    with pytest.raises(EvidenceError, match="not available here"):
        parse_evidence_items(bn, ["xray~0.5,1"])
    with pytest.raises(EvidenceError, match="gives 3 likelihoods; 'xray' has 2 states"):
        normalize_soft_evidence(bn, {"xray": [1, 2, 3]})
    for bad in ([-1, 1], [0, 0], [np.nan, 1], ["a", 1]):
        with pytest.raises(EvidenceError, match="soft evidence of 'xray'"):
            normalize_soft_evidence(bn, {"xray": bad})


@pytest.mark.parametrize("name", pgm.examples.available())
def test_cli_jt_equals_ve_on_every_example(name, capsys):
    bn = pgm.examples.load(name)
    first = str(pgm.evidence.model_variables(bn)[-1])
    states = bn.state_names(first) if hasattr(bn, "state_names") else ["0"]
    args = ["infer", name, "--marginals", "-e", f"{first}={states[0]}", "--partition-function",
            "--json"]
    answers = {}
    for method in ("ve", "jt"):
        code, out, err = run_cli(capsys, *args, "--method", method)
        assert code == 0, err
        answers[method] = json.loads(out)
    a, b = answers["ve"], answers["jt"]
    # the BIF networks' CPDs sum to one only to their printed precision (~1e-7): VE's
    # barren-node pruning takes them as exact, the junction tree divides by their Z
    tol = 1e-9 if name in ("asia", "sprinkler", "student", "misconception") else 1e-7
    assert a["log_partition_function"] == pytest.approx(b["log_partition_function"], abs=tol)
    for v, probs in a["marginals"].items():
        for s, p in probs.items():
            assert b["marginals"][v][s] == pytest.approx(p, abs=tol)
    maps = {}
    for method in ("ve", "jt"):
        code, out, _ = run_cli(capsys, "infer", name, "--map", "--method", method, "--json")
        assert code == 0
        maps[method] = json.loads(out)["map_log_value"]
    assert maps["jt"] == pytest.approx(maps["ve"], abs=tol)


def test_cli_soft_evidence(capsys):
    code, out, _ = run_cli(capsys, "infer", "asia", "--marginals", "lung", "-e", "smoke=yes",
                           "-e", "xray~0.9,0.2", "--method", "jt", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["soft_evidence"] == {"xray": [0.9, 0.2]}
    code, out2, _ = run_cli(capsys, "infer", "asia", "--marginals", "lung", "-e", "smoke=yes",
                            "-e", "xray~0.9,0.2", "--json")
    ve_lung = json.loads(out2)["marginals"]["lung"]
    assert ve_lung["yes"] == pytest.approx(report["marginals"]["lung"]["yes"], abs=1e-12)
    code, _, err = run_cli(capsys, "infer", "asia", "-e", "xray=yes", "-e", "xray~1,2")
    assert code == 2 and "both evidence and soft evidence" in err
    code, _, err = run_cli(capsys, "sample", "asia", "-e", "xray~1,2")
    assert code == 2 and "not available here" in err


@pytest.mark.parametrize("name", ["asia", "sprinkler"])
def test_soft_evidence_in_gibbs_matches_exact(name):
    from pgm.inference import gibbs_sample
    from pgm.inference.compiled import compile_model

    bn = pgm.examples.load(name)
    v = list(bn.nodes)[-1]
    lik = [0.9, 0.2] + [0.5] * (bn.cardinality(v) - 2)
    soft = {v: lik}
    exact = VariableElimination(with_soft_evidence(bn, soft), prune=False).marginals()
    for model in (bn, compile_model(bn)):
        res = gibbs_sample(model, 20_000, chains=4, seed=2, soft_evidence=soft)
        for u in bn.nodes:       # within 5 standard errors of the effective sample size
            p = exact[u]
            se = np.sqrt(np.maximum(p * (1 - p), 1e-4) / res.ess[u])
            assert np.all(np.abs(res.marginals[u] - p) <= 5 * se), (u, res.marginals[u], p)


def test_soft_evidence_in_gibbs_is_refused_for_pairwise_models():
    from pgm.exceptions import ParameterError
    from pgm.inference import PairwiseBinaryModel, gibbs_sample

    m = PairwiseBinaryModel.from_edges(2, [(0, 1, 0.5)])
    with pytest.raises(ParameterError, match="add log"):
        gibbs_sample(m, 10, soft_evidence={0: [1.0, 2.0]})
    with pytest.raises(EvidenceError, match="soft evidence"):
        gibbs_sample(pgm.examples.load("asia"), 10, soft_evidence={"xray": [1.0]})
