"""Koller & Friedman's loopy "misconception" Markov network, Z = 7,201,840 (not normalized)."""

from pgm import Factor, FactorGraph

model = FactorGraph([
    Factor(["A", "B"], [2, 2], [[30.0, 5.0], [1.0, 10.0]]),
    Factor(["B", "C"], [2, 2], [[100.0, 1.0], [1.0, 100.0]]),
    Factor(["C", "D"], [2, 2], [[1.0, 100.0], [100.0, 1.0]]),
    Factor(["D", "A"], [2, 2], [[100.0, 1.0], [1.0, 100.0]]),
])
