"""pgm: probabilistic graphical models for discrete variables.

The core (this package) holds the representation (factors, CPDs, Bayesian networks,
factor graphs), structure queries (Markov blankets, d-separation) and checks
(validation, exact normalization).  Algorithms live in :mod:`pgm.inference` and
models in :mod:`pgm.models`; neither is imported here, so ``import pgm`` stays fast.

Examples
--------
>>> import pgm
>>> bn = pgm.BayesianNetwork.from_cpds([
...     pgm.TabularCPD("rain", [0.8, 0.2]),
...     pgm.TabularCPD("wet", [[0.9, 0.1], [0.2, 0.8]], parents=["rain"]),
... ])
>>> bn.check_normalization().ok
True
"""

from pgm import exceptions as _exceptions
from pgm.bayesian_network import BayesianNetwork
from pgm.cpd import TabularCPD
from pgm.exceptions import *  # noqa: F403  (the one exception hierarchy, all of it)
from pgm.factor import Factor, factor_product
from pgm.factor_graph import FactorGraph
from pgm.independence import d_separated, independence_gap, separated
from pgm.normalization import CPDProblem, NormalizationReport, check_normalization
from pgm.structure_index import StructureIndex

__version__ = "0.1.0"

__all__ = [
    "BayesianNetwork",
    "TabularCPD",
    "Factor",
    "FactorGraph",
    "factor_product",
    "check_normalization",
    "NormalizationReport",
    "CPDProblem",
    "d_separated",
    "separated",
    "independence_gap",
    "StructureIndex",
    "__version__",
    *_exceptions.__all__,
]
