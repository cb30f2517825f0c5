"""Compiled Gibbs sampler: statistical agreement with exact marginals, determinism,
diagnostics, annealing, the ``pgm sample`` command and bad input."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgm.bayesian_network import BayesianNetwork
from pgm.cpd import TabularCPD
from pgm.exceptions import EvidenceError, PGMError
from pgm.factor import Factor
from pgm.factor_graph import FactorGraph
from pgm.inference import anneal, compile_model, gibbs_sample
from pgm.inference.diagnostics import batch_diagnostics, ess, split_rhat
from pgm.testing import bayesian_networks, evidence, factor_graphs

Z = 5.0          # ~3e-7 two-sided per check: Bonferroni over a few thousand checks
FLOOR = 0.004    # absolute slack for the discreteness of the estimates
LOG_RANGE = (-2.5, 2.5)
N_SAMPLES = 4000
SETTINGS = settings(max_examples=15, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def exact_marginals(fg: FactorGraph, ev: dict) -> dict:
    joint = fg.joint(log=True).reduce(ev).normalize().to_prob()
    out = {}
    for v in fg.variables:
        if v in ev:
            p = np.zeros(fg.cardinality(v))
            p[ev[v]] = 1.0
        else:
            p = joint.marginal([v]).values
        out[v] = p
    return out


def assert_marginals_close(res, exact: dict, z: float = Z, floor: float = FLOOR) -> None:
    """|p_hat - p| <= z * sqrt(p (1 - p) / ESS) + floor, per variable and state."""
    for i, v in enumerate(res.variables):
        p = exact[v]
        for s in range(p.size):
            n_eff = max(res.state_ess[i, s], 1.0) if v not in res.evidence else np.inf
            tol = z * np.sqrt(p[s] * (1 - p[s]) / n_eff) + floor
            err = abs(res.marginals[v][s] - p[s])
            assert err <= tol, (f"{res.scan}: P({v}={s}) estimated {res.marginals[v][s]:.4f}, "
                                f"exact {p[s]:.4f}, tol {tol:.4f} (ESS {n_eff:.0f})")
        assert np.isfinite(res.rhat[v]) and np.isfinite(res.ess[v])


# ------------------------------------------------------------- statistics


@st.composite
def models_with_evidence(draw):
    fg = draw(factor_graphs(max_variables=5, max_cardinality=3, log_range=LOG_RANGE))
    ev = draw(evidence(fg, max_size=2)) if draw(st.booleans()) else {}
    return fg, ev


@SETTINGS
@given(models_with_evidence(), st.integers(0, 2**32 - 1))
def test_gibbs_marginals_match_exact_every_scan(case, seed):
    fg, ev = case
    exact = exact_marginals(fg, ev)
    cm = compile_model(fg)
    for scan in ("systematic", "random", "chromatic"):
        res = gibbs_sample(cm, N_SAMPLES, chains=4, burn_in=100, scan=scan, evidence=ev, seed=seed)
        assert res.samples.shape == (4, N_SAMPLES, len(fg.variables))
        assert res.samples.dtype == np.uint8
        for v, s in ev.items():
            assert np.all(res.samples[:, :, fg.variables.index(v)] == s)
        assert_marginals_close(res, exact)


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(bayesian_networks(max_nodes=5, min_probability=0.05), st.data())
def test_gibbs_on_bayesian_networks(bn, data):
    ev = data.draw(evidence(bn, max_size=2))
    fg = bn.to_factor_graph()
    res = gibbs_sample(bn, 1500, chains=4, scan="systematic", evidence=ev, seed=7)
    assert_marginals_close(res, exact_marginals(fg, ev))


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(bayesian_networks(max_nodes=5, max_cardinality=3), st.data())
def test_samples_have_positive_probability_with_zeros(bn, data):
    """Networks with zero entries: the chain only visits states of positive probability."""
    fg = bn.to_factor_graph()
    ev = data.draw(evidence(bn, max_size=2))
    if not np.isfinite(fg.joint(log=True).reduce(ev).total()):
        with pytest.raises(EvidenceError):
            gibbs_sample(bn, 10, chains=2, evidence=ev, seed=0)
        return
    res = gibbs_sample(bn, 200, chains=2, evidence=ev, seed=0, scan="chromatic")
    cm = compile_model(fg)
    assert np.all(np.isfinite(cm.log_weight(res.samples)))


def test_tempered_marginals():
    """beta samples p(x)^beta."""
    fg = FactorGraph([Factor(["a", "b"], [2, 2], [[4.0, 1.0], [1.0, 2.0]])])
    beta = 0.5
    tempered = FactorGraph([Factor(["a", "b"], [2, 2], np.array([[4.0, 1.0], [1.0, 2.0]]) ** beta)])
    res = gibbs_sample(fg, 4000, chains=4, seed=3, beta=beta)
    assert_marginals_close(res, exact_marginals(tempered, {}))


# ----------------------------------------------------------- determinism


def _loopy(n=12, k=3, seed=0) -> FactorGraph:
    rng = np.random.default_rng(seed)
    fg = FactorGraph()
    for i in range(n):
        fg.add_factor(Factor([f"x{i}"], [k], np.exp(rng.normal(size=k))))
        fg.add_factor(Factor([f"x{i}", f"x{(i + 1) % n}"], [k, k], np.exp(rng.normal(size=(k, k)))))
        if i % 3 == 0 and (i + 5) % n not in (i, (i + 1) % n, (i - 1) % n):
            fg.add_factor(Factor([f"x{i}", f"x{(i + 5) % n}"], [k, k],
                                 np.exp(rng.normal(size=(k, k)))))
    return fg


@pytest.mark.parametrize("scan,site_parallel", [("systematic", False), ("random", False),
                                                ("chromatic", False), ("chromatic", True)])
def test_same_seed_same_samples_any_thread_count(scan, site_parallel, monkeypatch):
    import numba

    from pgm.inference import gibbs as gibbs_module

    if site_parallel:   # force the colour-class-parallel kernel even on a small model
        monkeypatch.setattr(gibbs_module, "PARALLEL_MIN_UPDATES", 0)
    chains = 1 if site_parallel else 3
    cm = compile_model(_loopy())
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = gibbs_sample(cm, 100, chains=chains, seed=11, scan=scan).samples
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = gibbs_sample(cm, 100, chains=chains, seed=11, scan=scan).samples
        c = gibbs_sample(cm, 100, chains=chains, seed=12, scan=scan).samples
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    monkeypatch.setattr(gibbs_module, "PARALLEL_MIN_UPDATES", 10**9)
    assert np.array_equal(a, gibbs_sample(cm, 100, chains=chains, seed=11, scan=scan).samples)


def test_chromatic_equals_systematic_in_colour_order():
    fg = _loopy()
    cm = compile_model(fg)
    col_ptr, col_vars = cm.colouring(cm.free_positions(np.zeros(0, dtype=np.int64)))
    assert len(col_ptr) - 1 <= 4
    order = [cm.variables[i] for i in col_vars]
    a = gibbs_sample(cm, 200, chains=2, seed=5, scan="chromatic").samples
    b = gibbs_sample(cm, 200, chains=2, seed=5, scan="systematic", order=order).samples
    assert np.array_equal(a, b)


def test_grid_and_bipartite_get_two_colours():
    fg = FactorGraph()
    for i in range(4):
        for j in range(4):
            if j < 3:
                fg.add_factor(Factor([(i, j), (i, j + 1)], [2, 2], [[2.0, 1.0], [1.0, 2.0]]))
            if i < 3:
                fg.add_factor(Factor([(i, j), (i + 1, j)], [2, 2], [[2.0, 1.0], [1.0, 2.0]]))
    cm = compile_model(fg)
    col_ptr, _ = cm.colouring(cm.free_positions(np.zeros(0, dtype=np.int64)))
    assert len(col_ptr) - 1 == 2


def test_batches_thinning_and_continuation():
    cm = compile_model(_loopy(8))
    full = gibbs_sample(cm, 400, chains=2, seed=9, thin=3, burn_in=20)
    lean = gibbs_sample(cm, 400, chains=2, seed=9, thin=3, burn_in=20, return_samples=False)
    assert lean.samples is None
    for v in full.variables:
        assert np.array_equal(full.marginals[v], lean.marginals[v])
        assert np.isfinite(lean.rhat[v]) and lean.ess[v] > 0
    # thinning keeps every third sweep of the unthinned chain
    every = gibbs_sample(cm, 1200, chains=2, seed=9, thin=1, burn_in=20).samples
    assert np.array_equal(every[:, 2::3], full.samples)
    # continuing from final_state with the same seed is a valid (different) chain
    more = gibbs_sample(cm, 10, chains=2, seed=10, burn_in=0, initial=full.final_state)
    assert more.samples.shape == (2, 10, 8)


def test_initial_state_and_evidence_override():
    fg = _loopy(6, 2)
    init = {v: 1 for v in fg.variables}
    res = gibbs_sample(fg, 5, chains=2, burn_in=0, seed=0, initial=init, evidence={"x0": 0})
    assert np.all(res.samples[:, :, 0] == 0)


def test_result_summary_is_json_ready():
    res = gibbs_sample(_loopy(5, 2), 100, chains=2, seed=1)
    d = res.to_dict()
    json.dumps(d)
    assert set(d["marginals"]) == {f"x{i}" for i in range(5)}
    assert res.max_rhat >= 1.0 and res.min_ess > 0


# ------------------------------------------------------------ diagnostics


def test_diagnostics_iid_and_ar1():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 2000))
    assert abs(split_rhat(x) - 1) < 0.01
    assert 6000 < ess(x) < 10000
    rho = 0.8
    y = np.zeros((4, 4000))
    e = rng.normal(size=(4, 4000))
    for t in range(1, 4000):
        y[:, t] = rho * y[:, t - 1] + e[:, t]
    theory = 16000 * (1 - rho) / (1 + rho)
    assert 0.7 * theory < ess(y) < 1.3 * theory
    shifted = x + np.arange(4)[:, None]
    assert split_rhat(shifted) > 1.5


def test_diagnostics_never_nan():
    assert split_rhat(np.zeros((3, 50))) == 1.0
    assert ess(np.zeros((3, 50))) == 150.0
    diff = np.repeat(np.arange(3.0)[:, None], 50, axis=1)
    assert split_rhat(diff) == np.inf
    assert np.isfinite(ess(diff))
    assert split_rhat(np.zeros((2, 2))) == np.inf and ess(np.zeros((2, 2))) == 0.0
    r, e = batch_diagnostics(np.zeros((2, 8, 3)), 10)
    assert np.all(np.isfinite(r)) and np.all(np.isfinite(e))
    res = gibbs_sample(_loopy(4, 2), 2, chains=1, seed=0)
    assert not any(np.isnan(list(res.rhat.values()))) and not any(np.isnan(list(res.ess.values())))


# -------------------------------------------------------------- annealing


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(factor_graphs(max_variables=5, max_cardinality=3))
def test_anneal_finds_the_mode_of_small_models(fg):
    res = anneal(fg, np.geomspace(3.0, 0.02, 300), chains=4, seed=1)
    logj = fg.joint(normalized=False, log=True).values
    assert res.energy == pytest.approx(-logj.max(), abs=1e-9)
    assert res.energy == pytest.approx(-fg.log_unnormalized(res.assignment), abs=1e-9)


def test_anneal_with_evidence_and_bad_schedule():
    fg = _loopy(6, 3)
    res = anneal(fg, np.geomspace(2.0, 0.05, 100), evidence={"x1": 2}, seed=0)
    assert res.assignment["x1"] == 2
    for bad in ([], [1.0, 0.0], [1.0, np.nan], [-1.0]):
        with pytest.raises(PGMError, match="schedule|temperature"):
            anneal(fg, bad)


# -------------------------------------------------------------- bad input


def test_bad_parameters_raise():
    fg = _loopy(4, 2)
    for kwargs, word in [({"chains": 0}, "chains"), ({"n_samples": -5}, "n_samples"),
                         ({"thin": 0}, "thin"), ({"burn_in": -1}, "burn_in"),
                         ({"scan": "zigzag"}, "scan"), ({"beta": 0.0}, "beta"),
                         ({"beta": float("nan")}, "beta"), ({"chains": 2.5}, "chains")]:
        kw = {"n_samples": 10, **kwargs}
        with pytest.raises(PGMError, match=word):
            gibbs_sample(fg, **kw)
        with pytest.raises(ValueError):
            gibbs_sample(fg, **kw)


def test_bad_evidence_raises():
    fg = _loopy(4, 2)
    with pytest.raises(EvidenceError, match="nope"):
        gibbs_sample(fg, 10, evidence={"nope": 0})
    with pytest.raises(EvidenceError, match="x1"):
        gibbs_sample(fg, 10, evidence={"x1": 2})
    with pytest.raises(EvidenceError, match="x1"):
        gibbs_sample(fg, 10, evidence={"x1": -1})
    with pytest.raises(EvidenceError):
        gibbs_sample(fg, 10, evidence={"x1": 0.5})


def test_impossible_evidence_and_dead_variables():
    # b is a copy of a: evidence a=0, b=1 has probability zero
    bn = BayesianNetwork([("a", "b")])
    bn.add_cpd(TabularCPD("a", [0.5, 0.5]))
    bn.add_cpd(TabularCPD("b", [[1.0, 0.0], [0.0, 1.0]], parents=["a"]))
    with pytest.raises(EvidenceError, match="'b'|'a'"):
        gibbs_sample(bn, 10, evidence={"a": 0, "b": 1}, seed=0)
    res = gibbs_sample(bn, 200, evidence={"b": 1}, seed=0)
    assert res.marginals["a"].tolist() == [0.0, 1.0]
    # a factor that rules out every state of c
    fg = FactorGraph([Factor(["c"], [2], [0.0, 0.0]), Factor(["c", "d"], [2, 2], np.ones((2, 2)))])
    with pytest.raises(EvidenceError, match="'c'"):
        gibbs_sample(fg, 10, seed=0)
    # hard constraints: x0, x1, x2 pairwise different (3 states)
    neq = np.ones((3, 3)) - np.eye(3)
    tri = FactorGraph([Factor(["x0", "x1"], [3, 3], neq), Factor(["x1", "x2"], [3, 3], neq),
                       Factor(["x2", "x0"], [3, 3], neq)])
    res = gibbs_sample(tri, 300, chains=3, seed=4)
    s = res.samples
    assert np.all(s[..., 0] != s[..., 1]) and np.all(s[..., 1] != s[..., 2])
    assert np.all(s[..., 0] != s[..., 2])
    # two colours for three mutually different variables: impossible
    two = FactorGraph([Factor(["x0", "x1"], [2, 2], neq[:2, :2]),
                       Factor(["x1", "x2"], [2, 2], neq[:2, :2]),
                       Factor(["x2", "x0"], [2, 2], neq[:2, :2])])
    with pytest.raises(EvidenceError, match="positive probability"):
        gibbs_sample(two, 10, seed=0)


def test_bad_initial_state():
    fg = _loopy(4, 2)
    with pytest.raises(EvidenceError, match="x2"):
        gibbs_sample(fg, 10, initial=[0, 0, 5, 0])
    with pytest.raises(PGMError, match="shape"):
        gibbs_sample(fg, 10, initial=[0, 0])
    bn = BayesianNetwork([("a", "b")])
    bn.add_cpd(TabularCPD("a", [0.5, 0.5]))
    bn.add_cpd(TabularCPD("b", [[1.0, 0.0], [0.0, 1.0]], parents=["a"]))
    with pytest.raises(EvidenceError, match="probability zero"):
        gibbs_sample(bn, 10, initial={"a": 0, "b": 1})


# ------------------------------------------------------------------- CLI


MODEL_PY = '''
from pgm.factor import Factor
from pgm.factor_graph import FactorGraph
model = FactorGraph([Factor(["rain", "wet"], [2, 2], [[8.0, 2.0], [1.0, 9.0]])],
                    state_names={"rain": ["no", "yes"], "wet": ["dry", "wet"]})
'''


def _sample_cli(argv):
    from pgm.cli import sample

    parser = argparse.ArgumentParser(prog="pgm")
    sample.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.run(args)


def test_cli_sample(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_text(MODEL_PY)
    rc = _sample_cli(["sample", str(path), "--samples", "2000", "--chains", "2", "--seed", "1",
                      "--evidence", "wet=wet", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    p_yes = 9.0 / 11.0
    assert abs(out["marginals"]["rain"]["yes"] - p_yes) < 0.05
    assert out["evidence"] == {"wet": "wet"}
    assert set(out["rhat"]) == {"rain", "wet"}
    rc = _sample_cli(["sample", str(path), "--samples", "500", "--seed", "1", "--scan", "chromatic",
                      "--evidence", "rain=1"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "wet" in text and "R-hat" in text


def test_cli_sample_bad_input(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(MODEL_PY)
    with pytest.raises(EvidenceError, match="sunny"):
        _sample_cli(["sample", str(path), "--evidence", "rain=sunny"])
    with pytest.raises(EvidenceError, match="snow"):
        _sample_cli(["sample", str(path), "--evidence", "snow=1"])
    with pytest.raises(PGMError, match="X=v"):
        _sample_cli(["sample", str(path), "--evidence", "rain"])
    with pytest.raises(PGMError, match="chains"):
        _sample_cli(["sample", str(path), "--chains", "0"])


def test_cli_main_dispatch(tmp_path, capsys):
    from pgm import cli

    if "sample" not in cli.SUBCOMMANDS:
        pytest.skip("sample is not registered")
    try:
        cli.build_parser()
    except ImportError:
        pytest.skip("another subcommand module is missing")
    path = tmp_path / "m.py"
    path.write_text(MODEL_PY)
    assert cli.main(["sample", str(path), "--samples", "100", "--seed", "0"]) == 0
    assert cli.main(["sample", str(path), "--evidence", "rain=7"]) == 2
    assert "rain" in capsys.readouterr().err
