"""Inference algorithms on the :mod:`pgm` core: exact variable elimination and the
Numba-compiled Gibbs/ICM/annealing engine.  Kernels compile lazily (importing this
package does not import Numba) and are cached on disk."""

import os as _os

# Numba's OpenMP workers spin after each parallel kernel and take the cores from the
# BLAS threads that the models' matrix products use (RBM training and AIS ran 3-6x
# slower on two cores).  Sleeping waits avoid it; this must be set before Numba's
# thread pool starts, and a user's own setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from pgm.inference.variable_elimination import (
    EliminationPlan,
    VariableElimination,
    eliminate,
    elimination_order,
    induced_width,
    log_partition_function,
    map_assignment,
    marginal,
    marginals,
    max_table_size,
    probability_of_evidence,
)

__all__ = ["eliminate", "elimination_order", "induced_width", "log_partition_function"]
__all__ += ["VariableElimination", "EliminationPlan", "marginal", "marginals", "map_assignment",
            "probability_of_evidence", "max_table_size"]

# --- compiled sampling / optimization engine (lazy: importing pgm.inference must not import numba)
_ENGINE = {
    "gibbs_sample": "gibbs", "anneal": "gibbs", "geometric_schedule": "gibbs",
    "GibbsResult": "gibbs", "AnnealResult": "gibbs",
    "icm": "icm", "icm_map": "icm", "IcmResult": "icm",
    "compile_model": "compiled", "CompiledModel": "compiled",
    "split_rhat": "diagnostics", "ess": "diagnostics",
    "PairwiseBinaryModel": "pairwise", "GridIsing": "pairwise", "BipartiteBinary": "pairwise",
    "gibbs_grid_ising": "pairwise", "icm_grid_ising": "pairwise", "grid_ising_energy": "pairwise",
    "gibbs_pairwise": "pairwise", "sample_from_logits": "pairwise", "sample_bernoulli": "pairwise",
    "bipartite_log_partition": "_kernels_rbm",
    "momentum_step": "sgd", "momentum_descent": "sgd",
}
__all__ += list(_ENGINE)


def __getattr__(name):
    module = _ENGINE.get(name)
    if module is None:
        raise AttributeError(f"module 'pgm.inference' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"pgm.inference.{module}"), name)
    globals()[name] = value
    return value
