"""Models from data: fitting the CPDs of a structure (maximum likelihood, Bayesian with
Dirichlet priors, EM with missing values and latent variables), the data log-likelihood
and batch prediction, on pandas, NumPy, CSV/Parquet files and Dask.

Modules: :mod:`~pgm.learning.data` (reading and encoding data once as state codes),
:mod:`~pgm.learning.counts` (sufficient statistics in one vectorized pass),
:mod:`~pgm.learning.parameters` (:func:`fit_parameters`, behind ``BayesianNetwork.fit``),
:mod:`~pgm.learning.em` (expectation maximization) and :mod:`~pgm.learning.prediction`
(``log_likelihood``, ``predict_proba``, ``predict``).  EM and prediction run exact
inference on :mod:`pgm.inference`'s junction tree, imported inside the functions that
use it (the core does not import pgm.inference when it loads).

Examples
--------
>>> import pgm.examples, pgm.learning
>>> asia = pgm.examples.load("asia")
>>> data = asia.simulate(20_000, seed=0).to_frame()
>>> fitted = pgm.learning.fit_parameters(asia, data).model
>>> bool(abs(fitted.get_cpd("smoke").values[0] - asia.get_cpd("smoke").values[0]) < 0.02)
True
"""

from pgm._lazy import lazy_exports

_EXPORTS = {
    "fit_parameters": "parameters", "FitResult": "parameters",
    "dirichlet_pseudo_counts": "parameters",
    "expectation_maximization": "em",
    "prepare_data": "data", "as_structure": "data", "Dataset": "data", "Structure": "data",
    "read_table": "data",
    "family_counts": "counts",
    "log_likelihood": "prediction", "predict_proba": "prediction", "predict": "prediction",
    "PCResult": "pc",
    "chi_square": "independence_tests", "g_square": "independence_tests",
    "DataTest": "independence_tests", "d_separation_oracle": "independence_tests",
    "DSeparationOracle": "independence_tests", "TestResult": "independence_tests",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
