"""Blocked Gibbs: factors with zeros (deterministic CPDs) are sampled as blocks, and
``gibbs_sample`` warns (EstimateWarning) when its chains disagree.

Tolerances come from the effective sample size: ``|p_hat - p| <= Z sqrt(p (1 - p) /
ESS) + FLOOR`` per variable and state, fixed seeds throughout.
"""

from __future__ import annotations

import argparse
import functools
import json
import warnings

import numpy as np
import pytest

from pgm.bayesian_network import BayesianNetwork
from pgm.cpd import TabularCPD
from pgm.examples import load
from pgm.exceptions import EstimateWarning, PGMError
from pgm.factor import Factor
from pgm.factor_graph import FactorGraph
from pgm.inference import compile_model, gibbs_sample, marginals

Z = 5.0
FLOOR = 0.005
NONE = np.zeros(0, dtype=np.int64)


def assert_close_to_exact(res, exact: dict, z: float = Z, floor: float = FLOOR) -> None:
    for i, v in enumerate(res.variables):
        if v in res.evidence:
            continue
        p = np.asarray(exact[v])
        for s in range(p.size):
            n_eff = max(float(res.state_ess[i, s]), 1.0)
            tol = z * np.sqrt(p[s] * (1 - p[s]) / n_eff) + floor
            err = abs(res.marginals[v][s] - p[s])
            assert err <= tol, (f"{res.scan}: P({v}={s}) = {res.marginals[v][s]:.4f}, exact "
                                f"{p[s]:.4f}, tol {tol:.4f} (ESS {n_eff:.0f}), blocks {res.blocks}")


def sample_quietly(*args, **kwargs):
    """gibbs_sample with EstimateWarning turned into an error (the chains must agree)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimateWarning)
        return gibbs_sample(*args, **kwargs)


@pytest.fixture(scope="module")
def asia():
    return load("asia")


# -------------------------------------------------------------- asia


@pytest.mark.parametrize("scan", ["systematic", "random", "chromatic"])
@pytest.mark.parametrize("ev", [{}, {"xray": "yes"}, {"dysp": "yes", "asia": "yes"}],
                         ids=["no-evidence", "xray", "dysp-asia"])
def test_asia_blocked_matches_exact(asia, scan, ev):
    res = sample_quietly(asia, 4000, chains=4, burn_in=200, scan=scan, evidence=ev, seed=3)
    assert res.blocks == [("tub", "lung", "either")]
    assert res.warnings == [] and res.extra["unblocked_factors"] == []
    assert_close_to_exact(res, marginals(asia, evidence=ev))


def test_blocking_none_on_asia_warns_and_is_wrong(asia):
    with pytest.warns(EstimateWarning, match="either") as record:
        res = gibbs_sample(asia, 2000, chains=8, seed=0, blocking="none")
    msg = str(record[0].message)
    assert "R-hat" in msg and "blocking='auto'" in msg and "(lung, tub, either)" in msg
    assert res.blocks == [] and res.warnings and res.extra["warning"] == msg
    assert any("reachable" in w and "either=" in w for w in res.warnings)
    # the issue: far from P(lung=yes) = 0.055
    assert abs(res.marginals["lung"][0] - 0.055) > 0.05
    assert res.rhat["either"] > 1.1


def test_warning_for_a_network_with_evidence_suggests_likelihood_weighting(asia):
    with pytest.warns(EstimateWarning) as record:
        res = gibbs_sample(asia, 1000, chains=8, seed=0, evidence={"xray": "yes"},
                           blocking="none")
    msg = str(record[0].message)
    assert "likelihood weighting" in msg
    assert 'bn.simulate(n, evidence, method="weighted")' in msg and "--method lw" in msg
    assert res.warnings
    # a factor graph (no network) is not told about likelihood weighting
    with pytest.warns(EstimateWarning) as record:
        gibbs_sample(asia.to_factor_graph(), 1000, chains=8, seed=0, evidence={"xray": "yes"},
                     blocking="none")
    assert "likelihood weighting" not in str(record[0].message)


@pytest.mark.parametrize("name", ["sprinkler", "misconception"])
def test_no_warning_on_well_mixed_models(name):
    model = load(name)
    res = sample_quietly(model, 3000, chains=4, seed=1)
    assert res.warnings == [] and "warning" not in res.extra
    assert_close_to_exact(res, marginals(model))


# --------------------------------------------------- random deterministic networks


def deterministic_network(seed: int, n_roots: int = 3, n_gates: int = 4,
                          n_noisy: int = 2) -> BayesianNetwork:
    """Random binary roots, OR/XOR/AND children (0/1 CPDs) of two earlier nodes, and noisy
    children of earlier nodes."""
    rng = np.random.default_rng(seed)
    gates = {"or": np.logical_or, "xor": np.logical_xor, "and": np.logical_and}
    bn = BayesianNetwork()
    nodes = []
    cpds = []
    for i in range(n_roots):
        p = rng.uniform(0.1, 0.9)
        cpds.append(TabularCPD(f"r{i}", [1 - p, p]))
        nodes.append(f"r{i}")
    for i in range(n_gates):
        a, b = rng.choice(len(nodes), size=2, replace=False)
        kind = list(gates)[int(rng.integers(3))]
        out = gates[kind](np.arange(2)[:, None], np.arange(2)[None, :]).astype(int)
        table = np.zeros((2, 2, 2))
        for x in range(2):
            for y in range(2):
                table[x, y, out[x, y]] = 1.0
        name = f"{kind}{i}"
        cpds.append(TabularCPD(name, table, parents=[nodes[a], nodes[b]]))
        nodes.append(name)
    for i in range(n_noisy):
        a = int(rng.integers(len(nodes)))
        p = rng.uniform(0.05, 0.95, size=2)
        cpds.append(TabularCPD(f"n{i}", np.stack([1 - p, p], axis=1), parents=[nodes[a]]))
        nodes.append(f"n{i}")
    bn.graph.add_nodes_from(nodes)
    for cpd in cpds:
        for parent in cpd.parents:
            bn.add_edge(parent, cpd.variable)
        bn.add_cpd(cpd)
    bn.validate()
    return bn


@pytest.mark.parametrize("seed", range(6))
def test_random_deterministic_networks_match_exact(seed):
    bn = deterministic_network(seed)
    rng = np.random.default_rng(100 + seed)
    ev = {}
    if seed % 2:   # evidence on a gate output and on a noisy leaf
        gates = [v for v in bn.nodes if v[0] in "oxa"]
        ev = {gates[int(rng.integers(len(gates)))]: 1, f"n{seed % 2}": 0}
    exact = marginals(bn, evidence=ev)
    scan = ("systematic", "random", "chromatic")[seed % 3]
    res = sample_quietly(bn, 3000, chains=4, burn_in=200, seed=seed, evidence=ev, scan=scan)
    assert res.blocks, "the gates must be blocked"
    assert res.extra["unblocked_factors"] == []
    blocked = {v for b in res.blocks for v in b}
    for scope in res.extra["hard_factors"]:   # each hard factor lies within one block
        free = [v for v in scope if v not in ev]
        assert any(set(free) <= set(b) for b in res.blocks), (scope, res.blocks)
        assert set(free) <= blocked
    assert_close_to_exact(res, exact)


# ----------------------------------------------------------------- block detection


def _eq(a, b) -> Factor:
    return Factor([a, b], [2, 2], [[1.0, 0.0], [0.0, 1.0]])


def test_asia_blocks_with_and_without_evidence(asia):
    cm = compile_model(asia)
    pos = {v: cm.position(v) for v in cm.variables}

    def blocks(ev):
        e, clamped, values = cm.split_evidence(ev)
        return cm.blocking(clamped, values).names(cm)

    assert blocks({}) == [("tub", "lung", "either")]
    assert blocks({"xray": "yes", "smoke": "no"}) == [("tub", "lung", "either")]
    # either observed: its table over (tub, lung) still has zeros
    assert blocks({"either": "yes"}) == [("tub", "lung")]
    # one free variable left in the factor: nothing to block
    assert blocks({"tub": "yes", "lung": "no"}) == []
    # either and lung observed: P(either | tub, lung) keeps tub only
    hard = cm.hard_factors(np.array([pos["either"], pos["lung"]]), np.array([0, 0]))
    assert hard.tolist() == []


def test_blocks_are_connected_groups_of_hard_factors():
    # a = b = c (hard), c - d soft, e = f (hard), g alone
    fg = FactorGraph([_eq("a", "b"), _eq("b", "c"), Factor(["c", "d"], [2, 2], [[2.0, 1], [1, 2]]),
                      _eq("e", "f"), Factor(["g"], [2], [0.0, 1.0]),
                      Factor(["d", "g"], [2, 2], [[0.0, 1.0], [1.0, 1.0]])])
    cm = compile_model(fg)
    blk = cm.blocking(NONE, NONE)
    # unary zero on g is not hard (one variable); (d, g) has a zero: hard
    assert blk.names(cm) == [("a", "b", "c"), ("d", "g"), ("e", "f")]
    assert [cm.variables[int(v)] for f in blk.hard.tolist()
            for v in cm.arrays[5][cm.arrays[4][f]:cm.arrays[4][f + 1]]] == \
        ["a", "b", "b", "c", "e", "f", "d", "g"]
    assert blk.unblocked.tolist() == []
    # evidence on g: (d, g) keeps only d free
    e, clamped, values = cm.split_evidence({"g": 1})
    assert cm.blocking(clamped, values).names(cm) == [("a", "b", "c"), ("e", "f")]


@pytest.mark.parametrize("limit", [2, 4, 8, 64, 4096])
def test_block_size_limit_is_respected(limit):
    n = 14   # 2^14 joint states > 4096: the chain of equalities must be split
    fg = FactorGraph([_eq(f"x{i}", f"x{i + 1}") for i in range(n - 1)]
                     + [Factor(["x0"], [2], [1.0, 3.0])])
    cm = compile_model(fg)
    blk = cm.blocking(NONE, NONE, max_block_states=limit)
    for b in blk.blocks:
        assert 2 ** len(b) <= limit
        assert np.all(np.diff(b) > 0)
    covered = sorted(int(v) for b in blk.blocks for v in b)
    assert len(covered) == len(set(covered))
    if limit < 4:
        assert blk.blocks == [] and blk.unblocked.size == n - 1
    else:
        assert blk.unblocked.size == len(blk.hard) - sum(len(b) - 1 for b in blk.blocks)
        assert blk.unblocked.size > 0   # 14 variables never fit
    # the sampler reports the blocks it used and samples only consistent states
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimateWarning)
        res = gibbs_sample(cm, 50, chains=2, seed=0, max_block_states=limit)
    assert res.blocks == blk.names(cm)
    assert np.all(np.isfinite(cm.log_weight(res.samples)))


def test_full_chain_in_one_block_is_exact():
    """All 10 copies in one block (1024 states): the chain jumps between 0...0 and 1...1."""
    n = 10
    fg = FactorGraph([_eq(f"x{i}", f"x{i + 1}") for i in range(n - 1)]
                     + [Factor(["x0"], [2], [1.0, 3.0])])
    res = sample_quietly(fg, 3000, chains=4, seed=2)
    assert res.blocks == [tuple(f"x{i}" for i in range(n))]
    for v in res.variables:
        assert abs(res.marginals[v][1] - 0.75) < 5 * np.sqrt(0.75 * 0.25 / res.ess[v]) + FLOOR
    with pytest.warns(EstimateWarning, match="reducible"):
        gibbs_sample(fg, 500, chains=4, seed=2, blocking="none")


# ------------------------------------------------------------- kernel correctness


def test_block_conditional_equals_brute_force():
    from pgm.inference import _kernels_blocked as KB

    rng = np.random.default_rng(4)
    vals = rng.uniform(0.2, 2.0, size=(2, 3, 2))
    vals[0, 1, 1] = vals[1, 2, 0] = 0.0
    fg = FactorGraph([Factor(["a", "b", "c"], [2, 3, 2], vals),
                      Factor(["c", "d"], [2, 3], rng.uniform(0.1, 1, (2, 3))),
                      Factor(["b", "d"], [3, 3], rng.uniform(0.1, 1, (3, 3))),
                      Factor(["a"], [2], [0.3, 0.7])])
    cm = compile_model(fg)
    bvars = np.array([cm.position("a"), cm.position("b"), cm.position("c")], dtype=np.int64)
    _, _, sf_ptr, sf_fac = cm.sites(bvars, [bvars])
    joint = fg.joint().values   # axes a, b, c, d
    for d in range(3):
        x = np.zeros(4, dtype=np.uint8)
        x[cm.position("d")] = d
        for beta in (1.0, 0.5):
            got = KB.block_conditional(cm.arrays, bvars, sf_fac, x, beta)
            want = joint[..., d].ravel() ** beta
            np.testing.assert_allclose(got, want / want.sum(), rtol=1e-12)


def test_no_hard_factor_gives_the_single_site_samples():
    rng = np.random.default_rng(0)
    fg = FactorGraph([Factor([f"x{i}", f"x{(i + 1) % 6}"], [3, 3], rng.uniform(0.2, 2, (3, 3)))
                      for i in range(6)])
    cm = compile_model(fg)
    for scan in ("systematic", "random", "chromatic"):
        a = gibbs_sample(cm, 200, chains=3, seed=8, scan=scan)
        b = gibbs_sample(cm, 200, chains=3, seed=8, scan=scan, blocking="none")
        assert a.blocks == [] and np.array_equal(a.samples, b.samples)


def test_blocked_chromatic_is_systematic_in_site_colour_order_and_thread_safe(asia):
    import numba

    cm = compile_model(asia)
    free = cm.free_positions(NONE)
    blk = cm.blocking(NONE, NONE)
    order = [cm.variables[int(v)] for v in cm.site_colouring(free, blk.blocks)]
    a = gibbs_sample(cm, 300, chains=3, seed=5, scan="chromatic").samples
    b = gibbs_sample(cm, 300, chains=3, seed=5, scan="systematic", order=order).samples
    assert np.array_equal(a, b)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        c = gibbs_sample(cm, 300, chains=3, seed=5, scan="random").samples
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(c, gibbs_sample(cm, 300, chains=3, seed=5, scan="random").samples)
    # batches (no samples kept) count the same states
    with warnings.catch_warnings():   # short run: batch-means R-hat may pass 1.1
        warnings.simplefilter("ignore", EstimateWarning)
        lean = gibbs_sample(cm, 300, chains=3, seed=5, scan="random", return_samples=False)
        full = gibbs_sample(cm, 300, chains=3, seed=5, scan="random")
    for v in cm.variables:
        assert np.array_equal(lean.marginals[v], full.marginals[v])
    assert np.array_equal(lean.extra["chain_counts"], full.extra["chain_counts"])


def test_bad_blocking_parameters():
    fg = FactorGraph([_eq("a", "b")])
    with pytest.raises(PGMError, match="blocking"):
        gibbs_sample(fg, 10, blocking="yes")
    with pytest.raises(PGMError, match="max_block_states"):
        gibbs_sample(fg, 10, max_block_states=0)


# ------------------------------------------------------------------------ CLI


def _sample_cli(argv):
    from pgm.cli import sample

    parser = argparse.ArgumentParser(prog="pgm")
    sample.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.run(args)


def test_cli_sample_prints_the_api_warning(capsys, monkeypatch):
    from pgm.inference import gibbs

    rc = _sample_cli(["sample", "asia", "--samples", "1000", "--chains", "4", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["warnings"] == []
    assert abs(out["marginals"]["lung"]["yes"] - 0.055) < 0.03
    monkeypatch.setattr(gibbs, "gibbs_sample", functools.partial(gibbs.gibbs_sample,
                                                                 blocking="none"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimateWarning)   # the CLI prints it instead
        rc = _sample_cli(["sample", "asia", "--samples", "1000", "--chains", "8",
                          "-e", "xray=yes"])
    text = capsys.readouterr().out
    assert rc == 0
    assert "warning: gibbs_sample: the chains disagree" in text and "--method lw" in text
