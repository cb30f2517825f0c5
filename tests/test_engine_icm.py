"""Iterated conditional modes: local minima checked by brute force, monotone energy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgm.exceptions import EvidenceError, PGMError
from pgm.factor import Factor
from pgm.factor_graph import FactorGraph
from pgm.inference import GridIsing, PairwiseBinaryModel, compile_model, icm, icm_grid_ising, icm_map
from pgm.testing import bayesian_networks, evidence, factor_graphs

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def energy_of(fg: FactorGraph, assignment: dict) -> float:
    return -fg.log_unnormalized(assignment)


def assert_local_minimum(fg: FactorGraph, assignment: dict, ev: dict) -> None:
    """No single free variable change lowers the energy (brute force)."""
    e = energy_of(fg, assignment)
    for v in fg.variables:
        if v in ev:
            continue
        for s in range(fg.cardinality(v)):
            other = dict(assignment)
            other[v] = s
            assert energy_of(fg, other) >= e - 1e-9, (v, s)


def assert_monotone(energies: np.ndarray) -> None:
    assert np.all(np.diff(energies) <= 1e-9 * np.maximum(1, np.abs(energies[1:])))


@SETTINGS
@given(factor_graphs(max_variables=6, max_cardinality=3), st.data())
def test_icm_ends_in_local_minimum(fg, data):
    ev = data.draw(evidence(fg, max_size=2))
    seed = data.draw(st.integers(0, 2**32 - 1))
    res = icm(fg, evidence=ev, seed=seed, restarts=data.draw(st.integers(1, 3)))
    assert res.converged
    for v, s in ev.items():
        assert res.assignment[v] == s
    assert res.energy == pytest.approx(energy_of(fg, res.assignment), abs=1e-9)
    assert res.energies[-1] == pytest.approx(res.energy)
    assert_monotone(res.energies)
    assert_local_minimum(fg, res.assignment, ev)


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(bayesian_networks(max_nodes=6, max_cardinality=3), st.data())
def test_icm_on_bayesian_networks_with_zeros(bn, data):
    fg = bn.to_factor_graph()
    ev = data.draw(evidence(bn, max_size=2))
    if not np.isfinite(fg.joint(log=True).reduce(ev).total()):
        with pytest.raises(EvidenceError):
            icm(bn, evidence=ev, seed=0)
        return
    res = icm(bn, evidence=ev, seed=1)
    assert np.isfinite(res.energy)
    assert_monotone(res.energies)
    assert_local_minimum(fg, res.assignment, ev)


def test_icm_from_given_start_records_every_sweep():
    # a chain a - b - c that prefers agreement, started from a disagreeing state
    agree = np.array([[3.0, 1.0], [1.0, 3.0]])
    fg = FactorGraph([Factor(["a", "b"], [2, 2], agree), Factor(["b", "c"], [2, 2], agree),
                      Factor(["c"], [2], [1.0, 4.0])])
    res = icm(fg, initial={"a": 0, "b": 1, "c": 0})
    assert res.energies[0] == pytest.approx(energy_of(fg, {"a": 0, "b": 1, "c": 0}))
    assert res.n_sweeps == len(res.energies) - 1 and res.converged
    assert_monotone(res.energies)
    assert res.energies[0] > res.energies[-1]
    assert_local_minimum(fg, res.assignment, {})
    # one sweep only: not converged
    short = icm(fg, initial={"a": 0, "b": 1, "c": 0}, max_sweeps=1)
    assert short.n_sweeps == 1
    a, e = icm_map(fg, seed=0)
    assert e == pytest.approx(energy_of(fg, a))
    assert a == {"a": 1, "b": 1, "c": 1}


def test_icm_custom_order_and_compiled_model():
    rng = np.random.default_rng(0)
    fg = FactorGraph()
    for i in range(8):
        fg.add_factor(Factor([f"x{i}", f"x{(i + 1) % 8}"], [3, 3], np.exp(rng.normal(size=(3, 3)))))
    cm = compile_model(fg)
    res = icm(cm, seed=3, order=[f"x{i}" for i in reversed(range(8))], restarts=4)
    assert len(res.restart_energies) == 4 and res.energy == res.restart_energies.min()
    assert_local_minimum(fg, res.assignment, {})


# ------------------------------------------------------------- pairwise


@pytest.mark.parametrize("conn,periodic,dom", [(4, False, "ising"), (8, False, "ising"),
                                                (4, True, "boltzmann"), (8, True, "ising")])
def test_pairwise_grid_icm_local_minimum(conn, periodic, dom):
    rng = np.random.default_rng(conn + periodic)
    m = PairwiseBinaryModel.grid((4, 6), 0.6, rng.normal(0, 1, (4, 6)), connectivity=conn,
                                 periodic=periodic, domain=dom)
    csr = PairwiseBinaryModel(m.fields, m.couplings, domain=dom, variables=m.variables)
    fg = m.to_factor_graph()
    for model in (m, csr):
        res = icm(model, seed=5, restarts=3)
        assert res.converged
        assert_monotone(res.energies)
        x = res.state
        assert res.energy == pytest.approx(float(m.energy(x)))
        idx = {v: int(s if dom == "boltzmann" else (s + 1) // 2) for v, s in zip(m.variables, x)}
        assert res.energy == pytest.approx(energy_of(fg, idx))
        assert_local_minimum(fg, idx, {})
    # evidence is respected
    res = icm(m, seed=0, evidence={(0, 0): m.values[0].item()})
    assert res.state[0] == m.values[0]


def test_grid_icm_denoises_and_is_monotone():
    rng = np.random.default_rng(0)
    clean = np.ones((64, 64), dtype=np.int8)
    clean[16:48, 16:48] = -1
    noisy = np.where(rng.random(clean.shape) < 0.1, -clean, clean).astype(np.int8)
    s, energies, ok = icm_grid_ising(noisy.copy(), field=1.0 * noisy, coupling=1.0)
    assert ok
    assert_monotone(energies)
    assert (s != clean).mean() < 0.5 * (noisy != clean).mean()
    g = GridIsing((64, 64), 1.0 * noisy, 1.0)
    assert energies[-1] == pytest.approx(g.energy(s))
    f = g.local_fields(s)
    assert np.all(f * s >= 0)           # every spin agrees with its local field: local minimum
    # the row-parallel kernel gives the same result as the serial one
    from pgm.inference import grid as pairwise_module

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pairwise_module, "ICM_PARALLEL_MIN_SITES", 0)
        sp_, energies_p, ok_p = icm_grid_ising(noisy.copy(), field=1.0 * noisy, coupling=1.0)
    assert ok_p and np.array_equal(sp_, s) and np.allclose(energies_p, energies)
    # clamped sites stay put
    mask = np.zeros((64, 64), dtype=bool)
    mask[0, :] = True
    s2 = -np.ones((64, 64), dtype=np.int8)
    g.icm(s2, clamp=mask)
    assert np.all(s2[0] == -1)


def test_icm_bad_input():
    fg = FactorGraph([Factor(["a", "b"], [2, 2], np.ones((2, 2)))])
    with pytest.raises(PGMError, match="max_sweeps"):
        icm(fg, max_sweeps=0)
    with pytest.raises(PGMError, match="restarts"):
        icm(fg, restarts=0)
    with pytest.raises(ValueError):
        icm(fg, restarts=0)
    with pytest.raises(EvidenceError, match="'z'"):
        icm(fg, evidence={"z": 0})
    with pytest.raises(EvidenceError, match="'a'"):
        icm(fg, evidence={"a": 3})
    with pytest.raises(EvidenceError, match="'a'"):
        icm(fg, initial={"a": 2, "b": 0})
    dead = FactorGraph([Factor(["a"], [2], [0.0, 0.0])])
    with pytest.raises(EvidenceError, match="'a'"):
        icm(dead)
