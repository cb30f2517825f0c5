"""A network with a directed cycle a -> b -> a (``pgm check`` exits 2)."""

from pgm import BayesianNetwork, TabularCPD

model = BayesianNetwork.from_cpds([
    TabularCPD("a", [[0.5, 0.5], [0.5, 0.5]], ["b"]),
    TabularCPD("b", [[0.5, 0.5], [0.5, 0.5]], ["a"]),
])
