"""Pairwise binary kernels (grid, CSR, bipartite) against the generic factor-graph engine."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from pgm.exceptions import CardinalityError, EvidenceError, ModelError, PGMError
from pgm.inference import (
    BipartiteBinary,
    GridIsing,
    PairwiseBinaryModel,
    anneal,
    compile_model,
    gibbs_grid_ising,
    gibbs_pairwise,
    gibbs_sample,
    grid_ising_energy,
    icm_grid_ising,
    sample_bernoulli,
    sample_from_logits,
)

Z, FLOOR = 5.0, 0.004


def _random_states(m: PairwiseBinaryModel, rows: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.choice(m.values, size=(rows, m.n_variables)).astype(np.int8)


def _index(m: PairwiseBinaryModel, x: np.ndarray) -> dict:
    """Values to the factor graph's state indices."""
    idx = (x + 1) // 2 if m.domain == "ising" else x
    return {v: int(s) for v, s in zip(m.variables, idx)}


def _exact_upper(m: PairwiseBinaryModel, beta: float = 1.0) -> np.ndarray:
    """Exact p(x_i = upper value) by enumeration (beta-tempered)."""
    vals = m.values
    states = np.array(list(itertools.product(vals.tolist(), repeat=m.n_variables)), dtype=float)
    e = m.energy(states)
    w = np.exp(-beta * (e - e.min()))
    w /= w.sum()
    return w @ (states == vals[1])


def _assert_upper_close(res, exact: np.ndarray) -> None:
    for i, v in enumerate(res.variables):
        p = exact[i]
        tol = Z * np.sqrt(p * (1 - p) / max(res.state_ess[i, 1], 1.0)) + FLOOR
        assert abs(res.marginals[v][1] - p) <= tol, (v, res.marginals[v][1], p, tol)


MODELS = {
    "grid4": lambda dom: PairwiseBinaryModel.grid(
        (3, 4), 0.35, np.random.default_rng(1).normal(0, 0.4, (3, 4)), domain=dom),
    "grid8": lambda dom: PairwiseBinaryModel.grid(
        (3, 3), 0.25, np.random.default_rng(2).normal(0, 0.4, (3, 3)), connectivity=8,
        diagonal_coupling=-0.15, domain=dom),
    "torus": lambda dom: PairwiseBinaryModel.grid(
        (2, 4), 0.3, 0.1, periodic=True, domain=dom),
    "torus8": lambda dom: PairwiseBinaryModel.grid(
        (4, 2), -0.2, np.linspace(-0.5, 0.5, 8).reshape(4, 2), connectivity=8, periodic=True,
        domain=dom),
    "sparse": lambda dom: PairwiseBinaryModel.from_edges(
        9, [(i, j, w) for (i, j), w in zip(
            [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 8), (8, 3), (1, 5)],
            np.random.default_rng(3).normal(0, 0.5, 11))],
        np.random.default_rng(4).normal(0, 0.5, 9), domain=dom),
}
CASES = [(name, dom) for name in MODELS for dom in ("ising", "boltzmann")]


def _as_csr(m: PairwiseBinaryModel) -> PairwiseBinaryModel:
    return PairwiseBinaryModel(m.fields, m.couplings, domain=m.domain, variables=m.variables)


# --------------------------------------------------- energies & conditionals


@pytest.mark.parametrize("name,dom", CASES)
def test_energies_and_conditionals_match_factor_graph(name, dom):
    m = MODELS[name](dom)
    fg = m.to_factor_graph()
    cm = compile_model(fg)
    x = _random_states(m, 20, seed=5)
    e = m.energy(x)
    for row, ei in zip(x, e):
        a = _index(m, row)
        assert ei == pytest.approx(-fg.log_unnormalized(a), abs=1e-12)
        assert cm.energy(cm.encode(a)) == pytest.approx(ei, abs=1e-12)
    assert np.allclose(_as_csr(m).energy(x), e)
    # kernel energies (Ising form + offset)
    from pgm.inference.pairwise import ising_energy_fn

    im, offset = m.to_ising()
    spins = x if dom == "ising" else (2 * x - 1).astype(np.int8)
    assert np.allclose(ising_energy_fn(m)(spins) + offset, e)
    assert np.allclose(ising_energy_fn(_as_csr(m))(spins) + offset, e)
    assert np.allclose(im.energy(spins) + offset, e)
    # conditionals
    p = m.conditional_probability(x[:3])
    for r in range(3):
        a = _index(m, x[r])
        for i, v in enumerate(m.variables):
            assert p[r, i] == pytest.approx(fg.local_conditional(v, a)[1], abs=1e-12)
            assert p[r, i] == pytest.approx(cm.conditional(v, cm.encode(a))[1], abs=1e-12)


def test_grid_local_fields_and_couplings():
    g = GridIsing((6, 6), np.arange(36.0).reshape(6, 6) / 36, 0.7, connectivity=8,
                  diagonal_coupling=0.2, periodic=True)
    m = PairwiseBinaryModel.grid((5 + 1, 6), 0.1)  # a different, valid grid
    assert m.couplings.nnz == 2 * (6 * 5 + 5 * 6)
    s = g.random_spins(seed=3)
    J = PairwiseBinaryModel.from_edges(36, zip(*g.edges())).couplings
    assert np.allclose(g.local_fields(s).ravel(), g.field.ravel() + J @ s.ravel())
    assert g.energy(s) == pytest.approx(
        -(g.field.ravel() @ s.ravel()) - 0.5 * s.ravel() @ (J @ s.ravel()))
    assert grid_ising_energy(s, g.field, 0.7, connectivity=8, diagonal_coupling=0.2,
                             periodic=True) == pytest.approx(g.energy(s))


# ------------------------------------------------------------- marginals


@pytest.mark.parametrize("name,dom", CASES)
def test_pairwise_marginals_match_exact_and_generic(name, dom):
    m = MODELS[name](dom)
    exact = _exact_upper(m)
    fast = gibbs_sample(m, 4000, chains=4, seed=21)
    assert fast.samples.dtype == np.int8
    assert set(np.unique(fast.samples).tolist()) <= set(m.values.tolist())
    _assert_upper_close(fast, exact)
    if m.is_grid:   # the CSR kernel on the same couplings
        _assert_upper_close(gibbs_sample(_as_csr(m), 4000, chains=4, seed=22), exact)
    generic = gibbs_sample(m.to_factor_graph(), 3000, chains=4, seed=23, scan="chromatic")
    _assert_upper_close(generic, exact)
    # the two estimates agree with each other within their combined error
    for i, v in enumerate(m.variables):
        se = np.sqrt(exact[i] * (1 - exact[i]) * (1 / fast.state_ess[i, 1]
                                                  + 1 / generic.state_ess[i, 1]))
        assert abs(fast.marginals[v][1] - generic.marginals[v][1]) <= Z * se + 2 * FLOOR


def test_tempered_and_clamped_grid():
    m = MODELS["grid4"]("ising")
    beta = 0.6
    res = gibbs_sample(m, 4000, chains=4, seed=2, beta=beta)
    _assert_upper_close(res, _exact_upper(m, beta))
    ev = {(0, 0): 1, (2, 3): -1}
    res = gibbs_sample(m, 3000, chains=4, seed=3, evidence=ev)
    assert np.all(res.samples[:, :, 0] == 1) and np.all(res.samples[:, :, 11] == -1)
    fg = m.to_factor_graph()
    joint = fg.joint(log=True).reduce({(0, 0): 1, (2, 3): 0}).normalize().to_prob()
    exact = np.array([1.0 if v == (0, 0) else 0.0 if v == (2, 3) else
                      joint.marginal([v]).values[1] for v in m.variables])
    _assert_upper_close(res, exact)


# ------------------------------------------------------------ determinism


@pytest.mark.parametrize("conn,periodic,table", [(4, False, True), (4, True, False),
                                                  (8, False, False), (8, True, True)])
def test_grid_kernels_deterministic_across_threads_and_paths(conn, periodic, table, monkeypatch):
    import numba

    from pgm.inference import gibbs as gibbs_module

    rng = np.random.default_rng(0)
    field = 0.3 * np.sign(rng.normal(size=(40, 36))) if table else rng.normal(0, 0.3, (40, 36))
    g = GridIsing((40, 36), field, 0.4, connectivity=conn, periodic=periodic)
    assert g.uses_table == table
    s0 = g.random_spins(2, seed=1)
    before = numba.get_num_threads()
    outs = []
    try:
        for threads, threshold in [(1, 10**9), (2, 10**9), (2, 0)]:
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            monkeypatch.setattr(gibbs_module, "PARALLEL_MIN_UPDATES", threshold)
            s = s0.copy()
            g.gibbs(s, 7, beta=0.8, seed=5)
            outs.append(s)
    finally:
        numba.set_num_threads(before)
    for o in outs[1:]:
        assert np.array_equal(outs[0], o)
    # splitting the sweeps with sweep_offset gives the same chain
    s = s0.copy()
    g.gibbs(s, 3, beta=0.8, seed=5)
    g.gibbs(s, 4, beta=0.8, seed=5, sweep_offset=3)
    assert np.array_equal(s, outs[0])
    # a different seed gives a different chain
    s = s0.copy()
    g.gibbs(s, 7, beta=0.8, seed=6)
    assert not np.array_equal(s, outs[0])


def test_table_and_exp_paths_agree():
    rng = np.random.default_rng(1)
    field = 0.5 * np.sign(rng.normal(size=(64, 64)))
    g_table = GridIsing((64, 64), field, 0.3)
    g_exp = GridIsing((64, 64), field, 0.3)
    g_exp._idx = np.zeros((0, 0), dtype=np.uint8)          # force one exp per site
    assert g_table.uses_table and not g_exp.uses_table
    a = g_table.random_spins(seed=0)
    b = a.copy()
    g_table.gibbs(a, 20, seed=3)
    g_exp.gibbs(b, 20, seed=3)
    assert np.mean(a == b) > 0.999


def test_csr_kernels_deterministic(monkeypatch):
    import numba

    from pgm.inference import gibbs as gibbs_module

    m = PairwiseBinaryModel.from_edges(
        200, [(i, (i * 7 + 3) % 200, 0.2) for i in range(200) if (i * 7 + 3) % 200 != i],
        np.linspace(-1, 1, 200))
    before = numba.get_num_threads()
    outs = []
    try:
        for threads, threshold in [(1, 10**9), (2, 10**9), (2, 0)]:
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            monkeypatch.setattr(gibbs_module, "PARALLEL_MIN_UPDATES", threshold)
            outs.append(gibbs_sample(m, 50, chains=1, seed=4).samples)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(outs[0], outs[1]) and np.array_equal(outs[0], outs[2])
    s = np.ones((2, 200), dtype=np.int8)
    gibbs_pairwise(m, s, 5, seed=1, evidence={0: -1})
    assert np.all(s[:, 0] == -1)


def test_grid_clamp_keeps_sites():
    g = GridIsing((16, 16), 0.0, 0.5, connectivity=8)
    s = g.random_spins(3, seed=0)
    mask = np.zeros((16, 16), dtype=bool)
    mask[4:8, 4:8] = True
    vals = np.ones((16, 16), dtype=np.int8)
    g.gibbs(s, 10, seed=1, clamp=mask, clamp_values=vals)
    assert np.all(s[:, mask] == 1)
    gibbs_grid_ising(s, 0.0, 0.5, connectivity=8, n_sweeps=3, seed=2, clamp=mask)
    assert np.all(s[:, mask] == 1)


# --------------------------------------------------------------- bipartite


def test_bernoulli_kernels():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (64, 500)).astype(np.float32)
    x, p = sample_from_logits(logits, seed=1, step=0, return_prob=True)
    assert x.dtype == np.float32 and set(np.unique(x).tolist()) <= {0.0, 1.0}
    assert np.allclose(p, 1 / (1 + np.exp(-logits.astype(float))), atol=1e-6)
    # calibration: mean of (x - p) is ~ N(0, sum p(1-p)) / n
    sd = np.sqrt((p * (1 - p)).sum()) / p.size
    assert abs((x - p).mean()) < 5 * sd
    y = sample_from_logits(logits, seed=1, step=0)
    assert np.array_equal(x, y)
    assert not np.array_equal(x, sample_from_logits(logits, seed=1, step=1))
    s = sample_from_logits(logits.astype(np.float64), seed=1, spins=True, beta=0.5)
    assert set(np.unique(s).tolist()) <= {-1.0, 1.0}
    assert abs(s.mean() - np.tanh(0.5 * logits.astype(float)).mean()) < 0.02
    q = sample_bernoulli(p, seed=1)
    assert np.array_equal(q, x)          # same streams: u < sigmoid(l) either way
    assert sample_bernoulli(np.array([0.0, 1.0]), seed=0).tolist() == [0.0, 1.0]
    with pytest.raises(PGMError):
        sample_bernoulli(np.array([1.5]), seed=0)


def test_sample_from_logits_may_reuse_the_logits_buffer():
    logits = np.random.default_rng(3).normal(0, 2, (20, 300)).astype(np.float32)
    want, p = sample_from_logits(logits, seed=4, step=2, return_prob=True)
    own = logits.copy()
    got, q = sample_from_logits(own, seed=4, step=2, return_prob=True, overwrite_logits=True)
    assert np.array_equal(got, want) and np.array_equal(q, p)
    assert np.shares_memory(q, own)              # the probabilities replaced the logits
    view = np.asfortranarray(logits)              # not C-contiguous: left alone
    sample_from_logits(view, seed=4, step=2, overwrite_logits=True)
    assert np.array_equal(view, logits)


def test_bernoulli_thread_independent():
    import numba

    logits = np.random.default_rng(2).normal(size=(33, 70))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = sample_from_logits(logits, seed=9, step=3)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = sample_from_logits(logits, seed=9, step=3)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("dom", ["boltzmann", "ising"])
def test_bipartite_matches_its_pairwise_model(dom):
    rng = np.random.default_rng(5)
    bb = BipartiteBinary(rng.normal(0, 0.7, (4, 3)), rng.normal(0, 0.5, 4), rng.normal(0, 0.5, 3),
                         domain=dom, dtype=np.float64)
    pm = bb.to_pairwise()
    vals = pm.values
    states = np.array(list(itertools.product(vals.tolist(), repeat=7)), dtype=float)
    v, h = states[:, :4], states[:, 4:]
    assert np.allclose(bb.energy(v, h), pm.energy(states))
    # free energy = -log sum_h exp(-E)
    vs = np.array(list(itertools.product(vals.tolist(), repeat=4)), dtype=float)
    hs = np.array(list(itertools.product(vals.tolist(), repeat=3)), dtype=float)
    brute = [-np.log(np.exp(-bb.energy(np.repeat(x[None], len(hs), 0), hs)).sum()) for x in vs]
    assert np.allclose(bb.free_energy(vs), brute)
    # block Gibbs: many independent chains (rows) -> marginals of the pairwise model
    exact = _exact_upper(pm)
    v0 = rng.choice(vals, size=(4000, 4)).astype(np.float64)
    vv, hh = bb.gibbs(v0, n_steps=30, seed=3)
    est = np.concatenate([(vv == vals[1]).mean(0), (hh == vals[1]).mean(0)])
    sd = np.sqrt(exact * (1 - exact) / 4000)
    assert np.all(np.abs(est - exact) <= Z * sd + FLOOR)
    # the pairwise model is bipartite: two colours
    col_ptr, _ = pm.colouring()
    assert len(col_ptr) - 1 == 2


# -------------------------------------------------------------- annealing


def test_anneal_grid_finds_ground_state():
    m = PairwiseBinaryModel.grid((12, 12), 1.0, 0.05)          # ferromagnet: all +1
    res = anneal(m, np.geomspace(3.0, 0.05, 200), chains=2, seed=0)
    assert res.energy == pytest.approx(m.energy(np.ones(144)))
    assert res.state.shape == (144,) and np.all(res.state == 1)
    mb = PairwiseBinaryModel.grid((3, 3), 1.0, -0.2, domain="boltzmann")
    res = anneal(mb, np.geomspace(2.0, 0.05, 200), chains=2, seed=0)
    fg = mb.to_factor_graph()
    assert res.energy == pytest.approx(-fg.joint(normalized=False, log=True).values.max())
    csr = _as_csr(MODELS["sparse"]("ising"))
    res = anneal(csr, np.geomspace(2.0, 0.05, 200), chains=2, seed=0)
    assert res.energy == pytest.approx(
        -csr.to_factor_graph().joint(normalized=False, log=True).values.max())


# -------------------------------------------------------------- bad input


def test_bad_pairwise_inputs():
    with pytest.raises(PGMError, match="even"):
        GridIsing((3, 4), periodic=True)
    with pytest.raises(PGMError, match="connectivity"):
        GridIsing((4, 4), connectivity=6)
    with pytest.raises(CardinalityError, match="field"):
        GridIsing((4, 4), field=np.zeros((3, 4)))
    with pytest.raises(ModelError, match="field"):
        GridIsing((4, 4), field=np.nan)
    g = GridIsing((4, 4))
    with pytest.raises(PGMError, match="int8"):
        g.gibbs(np.ones((4, 4)), 1)
    with pytest.raises(PGMError, match="shape"):
        g.gibbs(np.ones((5, 4), dtype=np.int8), 1)
    with pytest.raises(PGMError, match="beta"):
        g.gibbs(np.ones((4, 4), dtype=np.int8), 2, beta=[1.0, 2.0, 3.0])
    with pytest.raises(PGMError, match="beta"):
        g.gibbs(np.ones((4, 4), dtype=np.int8), 1, beta=-1.0)
    with pytest.raises(PGMError, match="n_sweeps"):
        g.gibbs(np.ones((4, 4), dtype=np.int8), -1)
    with pytest.raises(ModelError, match="symmetric"):
        PairwiseBinaryModel([0, 0], [[0, 1.0], [0.5, 0]])
    with pytest.raises(ModelError, match="diagonal"):
        PairwiseBinaryModel([0, 0], [[1.0, 0], [0, 0]])
    with pytest.raises(CardinalityError):
        PairwiseBinaryModel([0, 0, 0], sp.eye(2))
    with pytest.raises(PGMError, match="domain"):
        PairwiseBinaryModel([0.0], domain="potts")
    m = MODELS["grid4"]("ising")
    with pytest.raises(EvidenceError, match="values"):
        gibbs_sample(m, 10, evidence={(0, 0): 0})
    with pytest.raises(EvidenceError, match="unknown"):
        gibbs_sample(m, 10, evidence={(9, 9): 1})
    with pytest.raises(PGMError, match="random"):
        gibbs_sample(m, 10, scan="random")
    with pytest.raises(PGMError, match="chains"):
        gibbs_sample(m, 10, chains=0)
    with pytest.raises(EvidenceError):
        gibbs_sample(m, 10, initial=np.zeros(12, dtype=int))
    with pytest.raises(CardinalityError):
        BipartiteBinary(np.zeros((3, 2)), np.zeros(2), np.zeros(2))
    with pytest.raises(PGMError, match="n_steps"):
        BipartiteBinary(np.zeros((3, 2)), np.zeros(3), np.zeros(2)).gibbs(np.zeros((1, 3)), 0)
    s = np.ones((4, 4), dtype=np.int8)
    with pytest.raises(PGMError, match="max_sweeps"):
        icm_grid_ising(s, max_sweeps=0)


# ------------------------------------------------- levels, recording, regressions


def test_levels_constructor_and_lazy_table_detection():
    rng = np.random.default_rng(3)
    y = np.where(rng.random((30, 40)) < 0.5, -1, 1).astype(np.int8)
    field = 0.7 * y - 0.2
    g_field = GridIsing((30, 40), field, 0.5)
    g_lv = GridIsing((30, 40), coupling=0.5, levels=[0.7 * -1.0 - 0.2, 0.7 * 1.0 - 0.2],
                     level_index=(y > 0).view(np.uint8))
    assert g_field.uses_table and g_lv.uses_table
    np.testing.assert_array_equal(g_lv.field, field)
    a = g_field.random_spins(2, seed=0)
    b = a.copy()
    g_field.gibbs(a, 6, seed=2)
    g_lv.gibbs(b, 6, seed=2)
    assert np.array_equal(a, b)
    assert g_lv.energy(a) == pytest.approx(g_field.energy(a))
    # a random field: no table (detection stops early), bit-identical exp fallback
    g_rand = GridIsing((30, 40), rng.normal(0, 1, (30, 40)), 0.5)
    assert not g_rand.uses_table
    with pytest.raises(PGMError):
        GridIsing((30, 40), 1.0, levels=[0.0], level_index=np.zeros((30, 40), np.uint8))
    with pytest.raises(PGMError):
        GridIsing((30, 40), levels=[0.0, 1.0], level_index=np.full((30, 40), 2, np.uint8))


@pytest.mark.parametrize("table", [True, False])
def test_in_kernel_counts_and_samples_match_step_by_step(table, monkeypatch):
    from pgm.inference import gibbs as gibbs_module

    rng = np.random.default_rng(5)
    field = 0.4 * np.sign(rng.normal(size=(20, 18))) if table else rng.normal(0, 0.4, (20, 18))
    g = GridIsing((20, 18), field, 0.3)
    s0 = g.random_spins(3, seed=4)
    burn, n_rec, thin = 4, 5, 2
    ref = s0.copy()
    g.gibbs(ref, burn, seed=9)
    recs = []
    for r in range(n_rec):
        g.gibbs(ref, thin, seed=9, sweep_offset=burn + r * thin)
        recs.append(ref.copy())
    recs = np.stack(recs, axis=1)                     # (chains, records, H, W)
    for threshold in (10**9, 0):                      # chain-parallel and row-parallel kernels
        monkeypatch.setattr(gibbs_module, "PARALLEL_MIN_UPDATES", threshold)
        s = s0.copy()
        counts = np.zeros(s.shape, np.int32)
        samples = np.empty((3, n_rec, 20 * 18), np.int8)
        g.gibbs(s, burn + n_rec * thin, seed=9, counts=counts, samples=samples,
                record_from=burn, thin=thin)
        assert np.array_equal(s, ref)
        assert np.array_equal(counts, recs.sum(axis=1))
        assert np.array_equal(samples, recs.reshape(3, n_rec, -1))
    with pytest.raises(PGMError, match="counts"):
        g.gibbs(s, 2, counts=np.zeros(s.shape, np.int64))


def test_clamp_without_values_holds_current_spins():
    g = GridIsing((12, 12), 0.0, 0.8)
    s = g.random_spins(3, seed=1)
    mask = np.zeros((12, 12), dtype=bool)
    mask[::3, ::2] = True
    held = s[0][mask].copy()
    g.gibbs(s, 10, seed=3, clamp=mask)
    for c in range(3):
        assert np.array_equal(s[c][mask], held)


def test_anneal_one_chain_with_1d_initial():
    """Regression: a 1-D ``initial`` with one chain gave a read-only broadcast view."""
    for m in (PairwiseBinaryModel.grid((4, 5), 0.5, 0.1),
              PairwiseBinaryModel.from_edges(3, [(0, 1, 0.5), (1, 2, -0.5)])):
        init = np.ones(m.n_variables, dtype=np.int8)
        res = anneal(m, [2.0, 1.0, 0.5], chains=1, seed=0, initial=init,
                     evidence={m.variables[0]: -1})
        assert res.state[0] == -1
        assert np.all(init == 1)                       # the caller's array is untouched
