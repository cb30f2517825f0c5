"""A network whose node ``c`` has no CPD (``pgm check`` exits 2)."""

from pgm import BayesianNetwork, TabularCPD

model = BayesianNetwork([("a", "b"), ("b", "c")])
model.add_cpds(TabularCPD("a", [0.5, 0.5]), TabularCPD("b", [[0.9, 0.1], [0.2, 0.8]], ["a"]))
