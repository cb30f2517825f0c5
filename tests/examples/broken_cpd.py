"""The sprinkler network with one conditional of ``rain`` summing to 1.1 (``pgm check`` exits 1)."""

from pgm import BayesianNetwork, TabularCPD

model = BayesianNetwork.from_cpds([
    TabularCPD("cloudy", [0.5, 0.5]),
    TabularCPD("sprinkler", [[0.5, 0.5], [0.9, 0.1]], ["cloudy"]),
    TabularCPD("rain", [[0.8, 0.2], [0.2, 0.9]], ["cloudy"]),
    TabularCPD("wet_grass", [[[1.0, 0.0], [0.1, 0.9]], [[0.1, 0.9], [0.01, 0.99]]],
               ["sprinkler", "rain"]),
])
