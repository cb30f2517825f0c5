"""Learning on Dask (issue 13, "Beyond one machine"): every counting step run against a
real ``dask.distributed`` LocalCluster (two worker processes) gives exactly the pandas
answer (integer counts), and the floating-point ones agree to rounding."""

from __future__ import annotations

import numpy as np
import pytest

import pgm.examples
from pgm.exceptions import DataError, ParameterError
from pgm.learning import fit_parameters, log_likelihood

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def alarm_data():
    bn = pgm.examples.load("alarm")
    return bn, bn.simulate(20_000, seed=4).to_frame()


@pytest.mark.filterwarnings("ignore::pgm.exceptions.UnseenParentsWarning")
def test_mle_and_bayes_counts_equal_pandas_exactly(client, alarm_data):
    bn, frame = alarm_data
    ddf = dd.from_pandas(frame, npartitions=5)
    for method in ("mle", "bayes"):
        local = fit_parameters(bn, frame, method=method)
        dist = fit_parameters(bn, ddf, method=method)
        assert dist.n_rows == local.n_rows == len(frame)
        for v in bn.nodes:
            assert dist.counts[v].dtype == np.int64
            np.testing.assert_array_equal(dist.counts[v], local.counts[v])
            np.testing.assert_array_equal(dist.model.get_cpd(v).values,
                                          local.model.get_cpd(v).values)
        assert dist.log_likelihood == local.log_likelihood


def test_states_learned_from_dask_text_columns(client, tmp_path):
    bn = pgm.examples.load("asia")
    frame = bn.simulate(3000, seed=1).to_frame().astype(str)
    frame.to_csv(tmp_path / "asia.csv", index=False)
    ddf = dd.read_csv(tmp_path / "asia.csv", dtype=str, blocksize=20_000)
    assert ddf.npartitions > 1
    structure = pgm.BayesianNetwork(bn.edges)          # no CPDs: states from the data
    local = fit_parameters(structure, frame)
    dist = fit_parameters(structure, ddf)
    for v in bn.nodes:
        assert dist.model.state_names(v) == local.model.state_names(v) == ["no", "yes"]
        np.testing.assert_array_equal(dist.counts[v], local.counts[v])


def test_log_likelihood_and_em_on_dask(client):
    bn = pgm.examples.load("asia")
    frame = bn.simulate(4000, seed=2).to_frame()
    rng = np.random.default_rng(0)
    for col in ("smoke", "lung", "xray"):
        frame.loc[rng.random(len(frame)) < 0.2, col] = None
    ddf = dd.from_pandas(frame, npartitions=4)
    assert log_likelihood(bn, ddf) == pytest.approx(log_likelihood(bn, frame), rel=1e-12)
    local = fit_parameters(bn, frame, method="em", max_iterations=30)
    dist = fit_parameters(bn, ddf, method="em", max_iterations=30)
    assert dist.iterations == local.iterations and dist.converged == local.converged
    np.testing.assert_allclose(dist.history, local.history, rtol=1e-10)
    for v in bn.nodes:
        np.testing.assert_allclose(dist.model.get_cpd(v).values, local.model.get_cpd(v).values,
                                   atol=1e-9)


def test_dask_errors_are_the_pandas_errors(client):
    bn = pgm.examples.load("asia")
    frame = bn.simulate(500, seed=0).to_frame().astype(str)
    frame.loc[123, "smoke"] = "sometimes"
    ddf = dd.from_pandas(frame, npartitions=3)
    with pytest.raises(DataError, match="'sometimes'.*not a state of 'smoke'"):
        fit_parameters(bn, ddf)
    with pytest.raises(ParameterError, match="per_row"):
        log_likelihood(bn, dd.from_pandas(bn.simulate(50, seed=0).to_frame(), npartitions=2),
                       per_row=True)


def test_structure_scores_and_hill_climbing_on_dask(client):
    """The structure scores count on the partitions too: the same network score and the
    same learned DAG as on pandas."""
    from pgm.learning.scores import network_score
    from pgm.learning.search import hill_climb

    bn = pgm.examples.load("asia")
    frame = bn.simulate(3000, seed=5).to_frame()
    ddf = dd.from_pandas(frame, npartitions=3)
    for score in ("bic", "bdeu"):
        assert network_score(bn, ddf, score) == pytest.approx(network_score(bn, frame, score),
                                                              rel=1e-12)
    local = hill_climb(frame, score="bic", tabu_length=0)
    dist = hill_climb(ddf, score="bic", tabu_length=0)
    assert sorted(dist.dag.edges) == sorted(local.dag.edges)
    assert dist.score == pytest.approx(local.score, rel=1e-12)
