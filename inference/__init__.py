"""Inference algorithms on the :mod:`pgm` core: exact variable elimination and
(later) the Numba-compiled Gibbs/ICM engine.  Kernels compile lazily."""

from pgm.inference.variable_elimination import (
    eliminate,
    elimination_order,
    induced_width,
    log_partition_function,
)

__all__ = ["eliminate", "elimination_order", "induced_width", "log_partition_function"]
