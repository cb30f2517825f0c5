"""Every path that sizes an array from its input checks the memory budget first (issue 12,
item 3): huge sample, chain, hidden-unit, AIS-run and pixel counts are refused with a
:class:`~pgm.exceptions.MemoryBudgetError` naming the bytes asked and the budget, before
anything is allocated -- so each refusal here takes milliseconds -- under the same
``--memory-budget`` / ``memory_budget=`` / ``PGM_MEMORY_BUDGET`` that variable elimination
uses.  Each case also checks that a normal-size call still works.
"""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import png_header, run_cli

# imported here, so that the timed refusals below do not time the imports
import pgm.inference.gibbs  # noqa: F401
import pgm.inference.graphcut  # noqa: F401
import pgm.models.ising  # noqa: F401
import pgm.models.rbm  # noqa: F401
import pgm.models.rbm_likelihood  # noqa: F401
from pgm.exceptions import MemoryBudgetError
from pgm.factor import Factor
from pgm.factor_graph import FactorGraph

HUGE = 10**13


@pytest.fixture
def fast():
    """Assert the refusals came before any allocation: the traced peak of the test stays
    far below what the refused request asked for (memory is measured, not time)."""
    import tracemalloc

    tracemalloc.start()
    yield
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 256 * 2**20, f"traced peak {peak} bytes: something was allocated"


def refused(code: int, err: str) -> str:
    """The one stderr line of a refusal by the memory budget (exit 2)."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1, err
    assert "MemoryBudgetError" in lines[0] and "memory budget" in lines[0], err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def fg():
    return FactorGraph([Factor(["a", "b"], [2, 2], [[4.0, 1.0], [1.0, 4.0]]),
                        Factor(["b", "c"], [2, 3], np.ones((2, 3)))])


@pytest.fixture
def rbm_file(tmp_path):
    from pgm.models.rbm import RBM

    return str(RBM.random(16, 4, seed=0).save(tmp_path / "model.npz"))


@pytest.fixture
def rows_file(tmp_path):
    path = tmp_path / "rows.npy"
    np.save(path, (np.random.default_rng(0).random((40, 16)) > 0.5).astype(np.float32))
    return str(path)


# ------------------------------------------------------------------ Gibbs, annealing, ICM
@pytest.mark.parametrize("kwargs", [{"n_samples": HUGE}, {"n_samples": 100, "chains": 10**11},
                                    {"n_samples": HUGE, "return_samples": False}])
def test_gibbs_sample_refuses_huge_counts(fg, fast, kwargs):
    from pgm.inference.gibbs import gibbs_sample

    with pytest.raises(MemoryBudgetError, match=r"would need \d+ bytes .* budget of \d+ bytes"):
        gibbs_sample(fg, **kwargs)


def test_gibbs_sample_budget_argument_and_environment(fg, monkeypatch):
    from pgm.inference.gibbs import gibbs_sample

    assert gibbs_sample(fg, 200, chains=2, seed=0, memory_budget=2**20).samples.shape == (2, 200, 3)
    with pytest.raises(MemoryBudgetError, match="budget of 1000 bytes"):
        gibbs_sample(fg, 200, chains=2, memory_budget=1000)
    monkeypatch.setenv("PGM_MEMORY_BUDGET", "1000")
    with pytest.raises(MemoryBudgetError):
        gibbs_sample(fg, 200, chains=2)
    assert gibbs_sample(fg, 200, chains=2, memory_budget=2**20).n_samples == 200   # explicit wins


def test_anneal_and_icm_refuse_huge_counts(fg, fast):
    from pgm.inference import icm
    from pgm.inference.gibbs import anneal

    with pytest.raises(MemoryBudgetError):
        anneal(fg, [1.0, 0.5], chains=10**11)
    with pytest.raises(MemoryBudgetError):
        icm(fg, restarts=10**11)
    with pytest.raises(MemoryBudgetError):
        icm(fg, max_sweeps=10**12)


def test_anneal_and_icm_normal_sizes(fg):
    from pgm.inference import icm
    from pgm.inference.gibbs import anneal

    assert anneal(fg, [1.0, 0.5], chains=3, seed=0).state.shape == (3,)
    assert icm(fg, restarts=3, seed=0).converged


def test_pairwise_and_grid_models_refuse_huge_counts(fast):
    from pgm.inference.gibbs import anneal, gibbs_sample
    from pgm.inference.grid import GridIsing
    from pgm.inference.icm import icm
    from pgm.inference.pairwise import PairwiseBinaryModel

    m = PairwiseBinaryModel.from_edges(3, [(0, 1, 0.5), (1, 2, 0.5)])
    for call in (lambda: gibbs_sample(m, HUGE, scan="chromatic"),
                 lambda: gibbs_sample(m, 10, chains=10**11, scan="chromatic"),
                 lambda: anneal(m, [1.0], chains=10**11),
                 lambda: icm(m, restarts=10**11),
                 lambda: GridIsing((10**6, 10**6)),
                 lambda: PairwiseBinaryModel.grid((10**5, 10**5)),
                 lambda: GridIsing((8, 8)).random_spins(10**11),
                 lambda: GridIsing((8, 8)).icm(np.ones((8, 8), np.int8), 10**12)):
        with pytest.raises(MemoryBudgetError):
            call()
    assert gibbs_sample(m, 50, chains=2, scan="chromatic", seed=0).samples.shape == (2, 50, 3)
    assert PairwiseBinaryModel.grid((3, 4)).n_variables == 12


def test_cli_sample_refuses_huge_samples_and_chains(capsys, fast):
    line = refused(*run_cli(capsys, "sample", "asia", "--samples", str(HUGE))[::2])
    assert f"{HUGE} samples" in line
    line = refused(*run_cli(capsys, "sample", "asia", "--chains", str(10**11))[::2])
    assert f"{10**11} chains" in line
    refused(*run_cli(capsys, "sample", "asia", "--samples", "100", "--memory-budget", "1K")[::2])
    code, out, _ = run_cli(capsys, "sample", "asia", "--samples", "100", "--chains", "2",
                           "--memory-budget", "1M", "--json")
    assert code == 0 and '"ok": true' in out


def test_cli_memory_budget_overrides_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("PGM_MEMORY_BUDGET", "1000")
    refused(*run_cli(capsys, "sample", "asia", "--samples", "100")[::2])
    assert run_cli(capsys, "sample", "asia", "--samples", "100", "--memory-budget", "4M")[0] == 0


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1e400", "", "4Q"])
def test_cli_memory_budget_must_be_a_byte_count(capsys, value):
    code, _, err = run_cli(capsys, "sample", "asia", "--memory-budget", value)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--memory-budget" in err


def test_parse_bytes_is_shared():
    from pgm.cli.infer import parse_bytes as from_infer
    from pgm.cli.options import parse_bytes

    assert from_infer is parse_bytes
    assert parse_bytes("4G") == 4 * 2**30 and parse_bytes("1.5k") == 1536


# ------------------------------------------------------------------ RBM
def test_rbm_sizing_refuses_huge_layers_runs_and_chains(fast):
    from pgm.models.rbm import RBM, BernoulliRBM
    from pgm.models.rbm_likelihood import ais_log_partition

    with pytest.raises(MemoryBudgetError, match="100000000 hidden"):
        RBM.random(784, 10**8)
    X = (np.random.default_rng(0).random((20, 6)) > 0.5).astype(np.float32)
    with pytest.raises(MemoryBudgetError, match="100000000 hidden"):
        BernoulliRBM(n_components=10**8, n_iter=1).fit(X)
    with pytest.raises(MemoryBudgetError):
        BernoulliRBM(n_components=4, n_iter=1, batch_size=10**11, persistent=True).fit(X)
    rbm = RBM.random(6, 3, seed=0)
    with pytest.raises(MemoryBudgetError, match="AIS runs"):
        ais_log_partition(rbm, n_runs=10**9, betas=10)
    with pytest.raises(MemoryBudgetError, match="Gibbs chains"):
        rbm.sample(10**9, 1)
    with pytest.raises(MemoryBudgetError):
        rbm.sample(100, 1, memory_budget=100)


def test_rbm_normal_sizes_still_work():
    from pgm.models.rbm import RBM, BernoulliRBM
    from pgm.models.rbm_likelihood import ais_log_partition

    X = (np.random.default_rng(0).random((20, 6)) > 0.5).astype(np.float32)
    rbm = RBM.random(6, 3, seed=0, memory_budget=2**20)
    assert BernoulliRBM(n_components=4, n_iter=1, random_state=0).fit(X).rbm_.n_hidden == 4
    assert ais_log_partition(rbm, n_runs=10, betas=10, seed=0).n_runs == 10
    assert rbm.sample(5, 2, seed=0, memory_budget=2**20).shape == (5, 6)


def test_cli_rbm_train_refuses_huge_hidden_layer(capsys, tmp_path, rows_file, fast):
    line = refused(*run_cli(capsys, "rbm", "train", "--data", rows_file, "--hidden",
                            str(10**8), "-o", str(tmp_path / "out"), "--quiet")[::2])
    assert "100000000 hidden" in line
    assert not (tmp_path / "out").exists()


def test_cli_rbm_train_normal_size_works(capsys, tmp_path, rows_file):
    code, _, err = run_cli(capsys, "rbm", "train", "--data", rows_file, "--hidden", "4",
                           "--epochs", "1", "--batch-size", "10", "-o", str(tmp_path / "out"),
                           "--quiet", "--memory-budget", "64M")
    assert code == 0, err
    assert (tmp_path / "out" / "model.npz").exists()


def test_cli_rbm_train_checks_the_data_file_size(capsys, tmp_path, rows_file):
    line = refused(*run_cli(capsys, "rbm", "train", "--data", rows_file, "-o",
                            str(tmp_path / "o"), "--memory-budget", "1K")[::2])
    assert "reading" in line and "(40, 16)" in line


def test_cli_rbm_score_refuses_huge_runs(capsys, rbm_file, rows_file, fast):
    line = refused(*run_cli(capsys, "rbm", "score", rbm_file, "--data", rows_file,
                            "--method", "ais", "--runs", str(10**8))[::2])
    assert "100000000 AIS runs" in line
    code, out, err = run_cli(capsys, "rbm", "score", rbm_file, "--data", rows_file, "--method",
                             "ais", "--runs", "20", "--temperatures", "50", "--json")
    assert code == 0, err
    assert '"runs": 20' in out


def test_cli_rbm_sample_refuses_huge_chains(capsys, tmp_path, rbm_file, fast):
    line = refused(*run_cli(capsys, "rbm", "sample", rbm_file, "--chains", str(10**8),
                            "-o", str(tmp_path / "s.png"))[::2])
    assert "100000000 chains" in line
    assert not (tmp_path / "s.png").exists()
    code, _, err = run_cli(capsys, "rbm", "sample", rbm_file, "--chains", "4", "--steps", "2",
                           "-o", str(tmp_path / "s.png"))
    assert code == 0 and (tmp_path / "s.png").exists(), err


# ------------------------------------------------------------------ images and denoising
def test_image_builders_refuse_huge_sizes(fast):
    from pgm.models.images import builtin_image, shapes_image

    with pytest.raises(MemoryBudgetError, match="100000x100000"):
        shapes_image(100_000)
    with pytest.raises(MemoryBudgetError):
        builtin_image("shapes", size=100_000)
    with pytest.raises(MemoryBudgetError):
        shapes_image(256, memory_budget=1000)
    assert shapes_image(64, memory_budget=2**20).shape == (64, 64)


def test_cli_denoise_refuses_huge_size(capsys, fast):
    line = refused(*run_cli(capsys, "denoise", "--builtin", "shapes", "--size", "100000")[::2])
    assert "100000x100000" in line
    code, out, _ = run_cli(capsys, "denoise", "--builtin", "shapes", "--size", "64",
                           "--memory-budget", "16M", "--json")
    assert code == 0 and '"ok": true' in out


def test_graph_cut_refuses_a_4000x4000_image(fast):
    from pgm.inference.graphcut import graph_cut_bytes, graph_cut_map
    from pgm.inference.grid import GridIsing
    from pgm.models.ising import IsingDenoiser

    g = GridIsing((4000, 4000), coupling=1.0)
    assert graph_cut_bytes(g.n_sites, g.n_pairs) > 8 * 2**30
    with pytest.raises(MemoryBudgetError, match="flow graph"):
        graph_cut_map(g)
    y = np.ones((4000, 4000), dtype=np.int8)
    with pytest.raises(MemoryBudgetError, match="flow graph"):
        IsingDenoiser().graph_cut(y)
    with pytest.raises(MemoryBudgetError, match="flow graph"):
        IsingDenoiser(connectivity=8).denoise(y[:200, :200], "graphcut", memory_budget=2**20)
    small = IsingDenoiser().graph_cut(y[:32, :32], memory_budget=2**20)
    assert small.image.shape == (32, 32)


def test_graph_cut_estimate_covers_the_measured_peak():
    """The estimate is not below the traced peak of a real cut (4 and 8 neighbours)."""
    import tracemalloc

    from pgm.inference.graphcut import graph_cut_bytes, graph_cut_map
    from pgm.inference.grid import GridIsing

    rng = np.random.default_rng(0)
    for conn in (4, 8):
        g = GridIsing((100, 100), field=rng.normal(size=(100, 100)), coupling=0.7,
                      connectivity=conn)
        graph_cut_map(g)     # warm up (imports)
        tracemalloc.start()
        try:
            graph_cut_map(g)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak <= graph_cut_bytes(g.n_sites, g.n_pairs)


def test_denoisers_check_the_budget(fast):
    from pgm.models.ising import IsingDenoiser

    y = np.ones((64, 64), dtype=np.int8)
    m = IsingDenoiser()
    for method in ("icm", "gibbs", "anneal", "graphcut"):
        with pytest.raises(MemoryBudgetError):
            m.denoise(y, method, memory_budget=1000)
        assert m.denoise(y, method, memory_budget=2**22).image.shape == (64, 64)


def test_cli_denoise_graph_cut_over_budget(capsys, fast):
    line = refused(*run_cli(capsys, "denoise", "--builtin", "shapes", "--size", "64", "--method",
                            "graphcut", "--memory-budget", "1M")[::2])
    assert "flow graph" in line


_png_header = png_header


def test_read_image_checks_the_header_size_before_decoding(tmp_path, fast):
    from pgm.models.images import read_image, shapes_image, write_image

    path = _png_header(tmp_path / "big.png", 5000, 5000)
    with pytest.raises(MemoryBudgetError, match="5000x5000"):
        read_image(path, memory_budget=2**20)
    ok = write_image(tmp_path / "ok.png", shapes_image(64))
    assert read_image(ok, memory_budget=2**20).shape == (64, 64)


def test_cli_denoise_checks_the_image_header(capsys, tmp_path, fast):
    path = _png_header(tmp_path / "big.png", 5000, 5000)
    line = refused(*run_cli(capsys, "denoise", str(path), "--memory-budget", "1M")[::2])
    assert "5000x5000" in line


def test_other_input_sized_counts_are_checked(capsys, tmp_path, rbm_file, rows_file, fast):
    """Counts found by trying 10**11 for every integer option of every subcommand."""
    from pgm.models.rbm_likelihood import ais_betas

    with pytest.raises(MemoryBudgetError, match="AIS temperatures"):
        ais_betas(10**11)
    assert ais_betas(100).size == 101
    refused(*run_cli(capsys, "rbm", "score", rbm_file, "--data", rows_file, "--method", "ais",
                     "--temperatures", str(10**11))[::2])
    refused(*run_cli(capsys, "denoise", "--builtin", "shapes", "--size", "64", "--method",
                     "anneal", "--sweeps", str(10**11))[::2])
    refused(*run_cli(capsys, "infer", "asia", "--map", "--method", "icm", "--restarts",
                     str(10**11))[::2])
    refused(*run_cli(capsys, "rbm", "train", "--data", rows_file, "--persistent",
                     "--batch-size", str(10**11), "-o", str(tmp_path / "never"))[::2])
    assert not (tmp_path / "never").exists()
