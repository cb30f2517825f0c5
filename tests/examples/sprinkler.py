"""The sprinkler network as a model file: ``pgm check tests/examples/sprinkler.py``."""

from pgm import BayesianNetwork, TabularCPD

states = {v: ["false", "true"] for v in ("cloudy", "sprinkler", "rain", "wet_grass")}


def _names(*vs):
    return {v: states[v] for v in vs}


model = BayesianNetwork.from_cpds([
    TabularCPD("cloudy", [0.5, 0.5], state_names=_names("cloudy")),
    TabularCPD("sprinkler", [[0.5, 0.5], [0.9, 0.1]], ["cloudy"], _names("sprinkler", "cloudy")),
    TabularCPD("rain", [[0.8, 0.2], [0.2, 0.8]], ["cloudy"], _names("rain", "cloudy")),
    TabularCPD("wet_grass", [[[1.0, 0.0], [0.1, 0.9]], [[0.1, 0.9], [0.01, 0.99]]],
               ["sprinkler", "rain"], _names("wet_grass", "sprinkler", "rain")),
], name="sprinkler")
