"""The Ising image-denoising MRF (issue 5, PRML 8.3.3): energies, solvers, factor graph, CLI."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgm.cli import main
from pgm.exceptions import ModelError, ModelLoadError, PGMError
from pgm.models import METHODS, IsingDenoiser
from pgm.models.images import ImageError, add_flip_noise, mnist_digits, shapes_image

# ------------------------------------------------------------------ helpers
params = st.floats(-3.0, 3.0, allow_nan=False).map(lambda v: round(v, 3))
nonneg = st.floats(0.0, 3.0, allow_nan=False).map(lambda v: round(v, 3))
connectivity = st.sampled_from([4, 8])


@st.composite
def spin_image(draw, max_side=5):
    H = draw(st.integers(1, max_side))
    W = draw(st.integers(1, max_side))
    bits = draw(st.lists(st.booleans(), min_size=H * W, max_size=H * W))
    return np.where(np.array(bits).reshape(H, W), 1, -1).astype(np.int8)


def neighbour_pairs(H, W, conn):
    """Every unordered pair of neighbouring pixels once, written out by hand."""
    pairs = []
    for r, c in itertools.product(range(H), range(W)):
        nbrs = [(r, c + 1), (r + 1, c)] + ([(r + 1, c + 1), (r + 1, c - 1)] if conn == 8 else [])
        pairs += [((r, c), q) for q in nbrs if 0 <= q[0] < H and 0 <= q[1] < W]
    return pairs


def all_states(H, W):
    """Every spin image of shape (H, W): array (2^(HW), H, W)."""
    n = H * W
    bits = (np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1
    return (2 * bits - 1).astype(np.int8).reshape(-1, H, W)


def brute_energies(model, y):
    """E(x, y) of every state x, from the definition (vectorized over states)."""
    H, W = y.shape
    X = all_states(H, W).astype(np.float64)
    e = model.h * X.sum(axis=(1, 2)) - model.eta * (X * y).sum(axis=(1, 2))
    for (r1, c1), (r2, c2) in neighbour_pairs(H, W, model.connectivity):
        e -= model.beta * X[:, r1, c1] * X[:, r2, c2]
    return X.astype(np.int8), e


# --------------------------------------------------------------- energies
@given(x=spin_image(), data=st.data(), beta=params, eta=params, h=params, conn=connectivity)
def test_local_energy_difference_equals_difference_of_energies(x, data, beta, eta, h, conn):
    """Problem 4a: E(x_k=+1) - E(x_k=-1) from the neighbourhood equals the full difference."""
    H, W = x.shape
    y = np.where(np.array(data.draw(st.lists(st.booleans(), min_size=H * W, max_size=H * W)))
                 .reshape(H, W), 1, -1).astype(np.int8)
    k = data.draw(st.tuples(st.integers(0, H - 1), st.integers(0, W - 1)))
    m = IsingDenoiser(beta, eta, h, conn)
    xp, xm = x.copy(), x.copy()
    xp[k], xm[k] = 1, -1
    full = m.energy(xp, y) - m.energy(xm, y)
    assert m.local_energy_difference(x, y, k) == pytest.approx(full, abs=1e-9)
    assert m.local_energy_difference(x, y, k[0] * W + k[1]) == pytest.approx(full, abs=1e-9)
    vec = m.local_energy_differences(x, y)
    assert vec.shape == x.shape
    assert vec[k] == pytest.approx(full, abs=1e-9)


@given(x=spin_image(4), beta=params, eta=params, h=params, conn=connectivity)
def test_energy_matches_definition_and_factor_graph(x, beta, eta, h, conn):
    """energy() against the hand-written definition and the factor graph's -log p~."""
    y = -x[::-1].copy() if x.shape[0] > 1 else x.copy()
    m = IsingDenoiser(beta, eta, h, conn)
    pairs = neighbour_pairs(*x.shape, conn)
    direct = h * x.sum() - beta * sum(int(x[p]) * int(x[q]) for p, q in pairs) \
        - eta * int((x.astype(int) * y).sum())
    assert m.energy(x, y) == pytest.approx(direct, abs=1e-9)
    fg = m.to_factor_graph(y)
    assert set(fg.variables) == set(itertools.product(range(x.shape[0]), range(x.shape[1])))
    assert len(fg.factors) == x.size + (len(pairs) if beta != 0 else 0)  # no factor for beta=0
    assert -fg.log_unnormalized(m.assignment(x)) == pytest.approx(m.energy(x, y), abs=1e-9)


@given(x=spin_image(4), beta=params, eta=params, h=params, conn=connectivity, data=st.data())
def test_conditionals_match_factor_graph(x, beta, eta, h, conn, data):
    H, W = x.shape
    y = np.where(np.array(data.draw(st.lists(st.booleans(), min_size=H * W, max_size=H * W)))
                 .reshape(H, W), 1, -1).astype(np.int8)
    m = IsingDenoiser(beta, eta, h, conn)
    fg = m.to_factor_graph(y)
    a = m.assignment(x)
    p = m.conditional_probabilities(x, y)
    for r, c in itertools.product(range(H), range(W)):
        assert fg.local_conditional((r, c), a)[1] == pytest.approx(p[r, c], abs=1e-12)


def test_assignment_round_trip_and_states():
    x = np.array([[1, -1], [-1, 1]], dtype=np.int8)
    a = IsingDenoiser.assignment(x)
    assert a == {(0, 0): 1, (0, 1): 0, (1, 0): 0, (1, 1): 1}
    assert (IsingDenoiser.image_from_assignment(a, x.shape) == x).all()


# ------------------------------------------------------------ exact MAP
@settings(max_examples=25)
@given(y=spin_image(4), eta=st.floats(0.01, 3.0).map(lambda v: round(v, 3)), conn=connectivity)
def test_map_is_y_without_coupling_and_bias(y, eta, conn):
    """Problem 4b: beta = h = 0, eta > 0 -> the MAP is x = y (enumeration and graph cut)."""
    m = IsingDenoiser(beta=0.0, eta=eta, h=0.0, connectivity=conn)
    X, e = brute_energies(m, y)
    assert np.flatnonzero(e == e.min()).size == 1
    assert (X[np.argmin(e)] == y).all()
    assert (m.graph_cut(y).image == y).all()
    assert (m.icm(y).image == y).all()


def test_map_is_y_without_coupling_large():
    y = add_flip_noise(shapes_image(128), 0.3, seed=3)
    res = IsingDenoiser(beta=0.0, eta=0.7, h=0.0).graph_cut(y)
    assert (res.image == y).all()


@settings(max_examples=30)
@given(beta=nonneg, eta=params, h=params, conn=connectivity, shape=st.sampled_from([(3, 3), (3, 4)]),
       seed=st.integers(0, 2**16))
def test_graph_cut_is_exact_map(beta, eta, h, conn, shape, seed):
    """Graph cut = enumerated MAP (energy), and no worse than ICM and annealing."""
    y = np.where(np.random.default_rng(seed).random(shape) < 0.5, -1, 1).astype(np.int8)
    m = IsingDenoiser(beta, eta, h, conn)
    X, e = brute_energies(m, y)
    gc = m.graph_cut(y)
    assert gc.energy == pytest.approx(e.min(), abs=1e-9)
    assert gc.energy == pytest.approx(m.energy(gc.image, y), abs=1e-12)
    assert gc.info["cut_energy"] == pytest.approx(gc.energy, abs=gc.info["rounding_bound"] + 1e-9)
    if np.flatnonzero(np.isclose(e, e.min(), atol=1e-9)).size == 1:
        assert (gc.image == X[np.argmin(e)]).all()
    assert m.icm(y).energy >= gc.energy - 1e-9
    assert m.anneal(y, np.geomspace(3.0, 0.05, 40), seed=seed).energy >= gc.energy - 1e-9


def test_graph_cut_exact_with_awkward_parameters():
    """Parameters with many decimals: rounded capacities, energy still the enumerated minimum."""
    rng = np.random.default_rng(7)
    for _ in range(5):
        y = np.where(rng.random((3, 4)) < 0.5, -1, 1).astype(np.int8)
        m = IsingDenoiser(beta=float(rng.uniform(0, 2)), eta=float(rng.uniform(-2, 2)),
                          h=float(rng.uniform(-1, 1)))
        _, e = brute_energies(m, y)
        gc = m.graph_cut(y)
        assert gc.energy - e.min() <= gc.info["rounding_bound"]
        assert gc.energy == pytest.approx(e.min(), abs=1e-9)


# ----------------------------------------------------------------- solvers
@pytest.mark.parametrize("conn", [4, 8])
def test_icm_reaches_a_local_minimum(conn):
    x = shapes_image(64)
    y = add_flip_noise(x, 0.15, seed=1)
    m = IsingDenoiser(beta=0.8, eta=1.3, h=0.1, connectivity=conn)
    r = m.icm(y)
    assert r.converged
    assert np.all(np.diff(r.energies) <= 1e-6)
    assert r.energies[0] == pytest.approx(m.energy(y, y), abs=1e-3)
    assert r.energy == pytest.approx(r.energies[-1], abs=1e-3)
    d = m.local_energy_differences(r.image, y)   # no single flip lowers the energy
    assert np.all(d[r.image == 1] <= 1e-9) and np.all(d[r.image == -1] >= -1e-9)
    gc = m.graph_cut(y)
    assert gc.energy <= r.energy + 1e-9


def test_gibbs_marginals_match_exact_marginals():
    """Gibbs marginals vs the exact marginals of fg.joint(), within 5 batch-means std errors.

    The tolerance is statistical: 8 chains x 20 batches of 200 recorded sweeps; the
    batch means are nearly independent (the integrated autocorrelation time of this
    3x3 model is about 10 sweeps), so 5 standard errors bound the error with
    overwhelming probability (plus 0.003 for the error of the standard-error estimate).
    """
    y = np.array([[1, -1, 1], [1, 1, -1], [-1, 1, 1]], dtype=np.int8)
    m = IsingDenoiser(beta=0.6, eta=0.5, h=0.2)
    joint = m.to_factor_graph(y).joint()
    exact = np.array([[joint.marginal([(r, c)]).values[1] for c in range(3)] for r in range(3)])
    res = m.gibbs(y, n_samples=4000, burn_in=100, seed=5, chains=8)
    assert res.marginal_stderr is not None and res.marginal_stderr.max() < 0.02
    err = np.abs(res.marginals - exact)
    assert np.all(err <= 5 * res.marginal_stderr + 0.003), (err, res.marginal_stderr)
    mpm = np.where(exact > 0.5, 1, -1)
    assert (res.image == mpm).all() or np.abs(exact - 0.5).min() < 0.02


def test_gibbs_is_reproducible_and_validates():
    y = add_flip_noise(shapes_image(32), 0.1, seed=0)
    m = IsingDenoiser()
    a = m.gibbs(y, n_samples=20, burn_in=5, seed=3)
    b = m.gibbs(y, n_samples=20, burn_in=5, seed=3)
    assert np.array_equal(a.marginals, b.marginals)
    with pytest.raises(PGMError, match="n_samples"):
        m.gibbs(y, n_samples=0)
    with pytest.raises(PGMError, match="burn_in"):
        m.gibbs(y, burn_in=-1)


def test_quality_on_builtin_image():
    """PRML Fig. 8.30: beta=1, eta=2.1, h=0, 10% flips -> ICM >= 96%, graph cut >= 99%."""
    x = shapes_image()
    y = add_flip_noise(x, 0.1, seed=0)
    m = IsingDenoiser(beta=1.0, eta=2.1, h=0.0)
    icm, gc = m.icm(y), m.graph_cut(y)
    assert icm.accuracy(x) >= 0.96
    assert gc.accuracy(x) >= 0.99
    gibbs = m.gibbs(y, n_samples=60, burn_in=20, seed=0)
    anneal = m.anneal(y, np.geomspace(4.0, 0.05, 150), seed=0)
    assert gibbs.accuracy(x) >= 0.99
    assert anneal.accuracy(x) >= 0.985
    assert gc.energy <= min(icm.energy, anneal.energy, gibbs.energy) + 1e-9
    assert gc.energy <= m.energy(x, y)


def test_quality_on_mnist_digits():
    try:
        digits, _ = mnist_digits(8)
    except ModelLoadError as exc:
        pytest.skip(f"MNIST not available: {exc}")
    m = IsingDenoiser(beta=1.0, eta=2.1, h=0.0)
    noisy, icm, gc = [], [], []
    for i, x in enumerate(digits):
        y = add_flip_noise(x, 0.1, seed=i)
        noisy.append((y == x).mean())
        icm.append(m.icm(y).accuracy(x))
        gc.append(m.graph_cut(y).accuracy(x))
    assert np.mean(icm) > np.mean(noisy) + 0.03
    assert np.mean(gc) >= 0.95


def test_denoise_dispatch():
    y = add_flip_noise(shapes_image(32), 0.1, seed=0)
    m = IsingDenoiser()
    for method in METHODS:
        kw = {"n_samples": 5, "burn_in": 2} if method == "gibbs" else {}
        r = m.denoise(y, method, **kw)
        assert r.method == method and r.image.shape == y.shape and r.seconds >= 0
        assert r.energy == pytest.approx(m.energy(r.image, y))
        assert set(r.to_dict(y)) >= {"accuracy", "energy", "seconds", "method"}
    with pytest.raises(PGMError, match="unknown denoising method"):
        m.denoise(y, "bp")


# ------------------------------------------------------------------ errors
def test_bad_parameters_and_inputs():
    with pytest.raises(ModelError, match="connectivity"):
        IsingDenoiser(connectivity=6)
    with pytest.raises(ModelError, match="beta"):
        IsingDenoiser(beta=float("nan"))
    with pytest.raises(ModelError, match="eta"):
        IsingDenoiser(eta="a lot")
    m = IsingDenoiser()
    with pytest.raises(ImageError, match="2-D"):
        m.icm(np.ones((2, 2, 2), dtype=np.int8))
    with pytest.raises(ImageError, match="-1/\\+1"):
        m.graph_cut(np.array([[0, 1], [1, 1]]))
    with pytest.raises(ImageError, match="shape"):
        m.energy(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ImageError, match="outside"):
        m.local_energy_difference(np.ones((2, 2)), np.ones((2, 2)), (2, 0))
    with pytest.raises(ModelError, match="max_pixels"):
        m.to_factor_graph(np.ones((100, 100)))


def test_graph_cut_rejects_negative_beta():
    y = np.ones((4, 4), dtype=np.int8)
    with pytest.raises(ModelError, match="not submodular.*icm"):
        IsingDenoiser(beta=-0.5).graph_cut(y)
    # the other solvers accept an antiferromagnetic coupling
    r = IsingDenoiser(beta=-0.5, eta=0.1).icm(y)
    assert r.converged


# --------------------------------------------------------------------- CLI
def test_cli_denoise_json_and_files(tmp_path, capsys):
    out, fig = tmp_path / "out.png", tmp_path / "fig.png"
    rc = main(["denoise", "--builtin", "shapes", "--size", "96", "--noise", "0.1",
               "--method", "graphcut", "-o", str(out), "--figure", str(fig), "--json"])
    assert rc == 0
    report = json.loads(capsys.readouterr().out)
    assert report["method"] == "graphcut" and report["accuracy"] > 0.97
    assert {"energy", "seconds"} <= set(report)
    assert out.exists() and fig.exists()
    assert not list(tmp_path.glob(".*.tmp"))
    # the written image reads back as the restored spins; denoise it again as a file
    rc = main(["denoise", str(out), "--method", "icm", "--reference", str(out)])
    text = capsys.readouterr().out
    assert rc == 0 and "accuracy: 100.00%" in text


def test_cli_denoise_gibbs_figure(tmp_path, capsys):
    fig = tmp_path / "g.png"
    rc = main(["denoise", "--builtin", "shapes", "--size", "48", "--method", "gibbs",
               "--samples", "10", "--burn-in", "5", "--figure", str(fig)])
    assert rc == 0 and fig.exists()
    assert "accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--builtin", "shapes", "--noise", "1.5"], "noise rate"),
    (["/no/such/image.png"], "not found"),
    (["--builtin", "shapes", "--beta", "-1", "--method", "graphcut"], "submodular"),
    (["--builtin", "nope"], "unknown built-in"),
    ([], "IMAGE"),
])
def test_cli_denoise_errors(argv, message, capsys):
    assert main(["denoise", *argv, "--size", "32"]) == 2
    assert message in capsys.readouterr().err


def test_cli_unreadable_image(tmp_path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    assert main(["denoise", str(bad)]) == 2
    assert "cannot read image" in capsys.readouterr().err


def test_fast_paths_match_reference_formulas():
    """The compiled energy / marginals / two-level grid equal the plain NumPy definitions."""
    y = add_flip_noise(shapes_image(48), 0.1, seed=2)
    for conn in (4, 8):
        m = IsingDenoiser(beta=0.7, eta=1.3, h=0.2, connectivity=conn)
        x = add_flip_noise(y, 0.2, seed=3)
        sx = int(x.sum(dtype=np.int64))
        sxy = int(np.multiply(x, y).sum(dtype=np.int64))
        assert m.energy(x, y) == float(m.h * sx - m.beta * m.pair_sum(x) - m.eta * sxy)
        np.testing.assert_array_equal(m.grid(y).field, m.field(y))
        r = m.gibbs(y, n_samples=30, burn_in=3, seed=1, chains=2, thin=2)
        assert r.n_sweeps == 3 + 60
        assert r.marginals.min() >= 0 and r.marginals.max() <= 1
        assert r.energy == m.energy(r.image, y)
        # the same run through the public GridIsing API, sweep by sweep
        g = m.grid(y)
        s = np.stack([y, y]).astype(np.int8)
        g.gibbs(s, 3, seed=1)
        acc = np.zeros(y.shape, np.int64)
        for t in range(30):
            g.gibbs(s, 2, seed=1, sweep_offset=3 + 2 * t)
            acc += s.sum(axis=0)
        np.testing.assert_array_equal(r.marginals, (acc / 60 + 1.0) / 2.0)


def test_anneal_single_chain():
    y = add_flip_noise(shapes_image(32), 0.1, seed=0)
    r = IsingDenoiser().anneal(y, np.geomspace(3, 0.1, 20), seed=0, chains=1)
    assert r.image.shape == y.shape and r.energy <= IsingDenoiser().energy(y, y)
