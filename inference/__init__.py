"""Inference algorithms on the :mod:`pgm` core: exact variable elimination and the
Numba-compiled Gibbs/ICM/annealing engine.  Kernels compile lazily (importing this
package does not import Numba) and are cached on disk.

Modules: :mod:`~pgm.inference.orders` (elimination orders),
:mod:`~pgm.inference.elimination` (the log-space elimination engine),
:mod:`~pgm.inference.variable_elimination` (the exact queries),
:mod:`~pgm.inference.junction_tree` (a compiled junction tree, batched over many rows
of evidence: log evidence, posteriors and expected counts for EM);
:mod:`~pgm.inference.compiled`, :mod:`~pgm.inference.gibbs`, :mod:`~pgm.inference.icm`
and :mod:`~pgm.inference.diagnostics` (the generic compiled engine);
:mod:`~pgm.inference.grid` (Ising grids), :mod:`~pgm.inference.pairwise` (pairwise
binary models), :mod:`~pgm.inference.bipartite` (the RBM's engine) and
:mod:`~pgm.inference.graphcut` (exact MAP of submodular binary models), sharing
:mod:`~pgm.inference.binary`; :mod:`~pgm.inference.sampling` (forward, rejection and
likelihood-weighted samples of Bayesian networks, NumPy-vectorized);
:mod:`~pgm.inference.dseparation` (d-separation on CSR graphs);
:mod:`~pgm.inference.loopy_bp` (loopy belief propagation, sum- and max-product, with
the Bethe estimate of ``log Z``).  The ``_kernels_*``
modules hold only the Numba-compiled functions."""

import os as _os

# Numba's OpenMP workers spin after each parallel kernel and take the cores from the
# BLAS threads that the models' matrix products use (RBM training and AIS ran 3-6x
# slower on two cores).  Sleeping waits avoid it; this must be set before Numba's
# thread pool starts, and a user's own setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from pgm._lazy import lazy_exports

# ``icm`` is both a submodule and its main function: bind the function now, or the first
# import of the submodule would leave ``pgm.inference.icm`` naming the module (icm.py
# itself is light: its kernels load when it runs).
from pgm.inference.icm import IcmResult, icm, icm_map
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
            "probability_of_evidence", "max_table_size", "icm", "icm_map", "IcmResult"]

# --- compiled sampling / optimization engine (lazy: importing pgm.inference must not import numba)
_ENGINE = {
    "gibbs_sample": "gibbs", "anneal": "gibbs", "geometric_schedule": "gibbs",
    "GibbsResult": "gibbs", "AnnealResult": "gibbs",
    "compile_model": "compiled", "CompiledModel": "compiled",
    "split_rhat": "diagnostics", "ess": "diagnostics",
    "GridIsing": "grid", "gibbs_grid_ising": "grid", "icm_grid_ising": "grid",
    "grid_ising_energy": "grid",
    "PairwiseBinaryModel": "pairwise", "gibbs_pairwise": "pairwise",
    "BipartiteBinary": "bipartite", "sample_from_logits": "bipartite",
    "sample_bernoulli": "bipartite", "bipartite_log_partition": "bipartite",
    "graph_cut_map": "graphcut", "GraphCutResult": "graphcut",
    "d_separated_csr": "dseparation",
    "forward_sample": "sampling", "rejection_sample": "sampling",
    "likelihood_weighting": "sampling", "lw_marginals": "sampling", "SampleResult": "sampling",
    "simulate": "sampling", "effective_sample_size": "sampling",
    "JunctionTree": "junction_tree",
    "belief_propagation": "loopy_bp", "BPResult": "loopy_bp",
}
__all__ += list(_ENGINE)

__getattr__, __dir__ = lazy_exports(__name__, _ENGINE, globals())
