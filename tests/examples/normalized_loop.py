"""A 3-variable loopy Markov network whose factors multiply to a normalized distribution."""

import numpy as np

from pgm import Factor, FactorGraph

_phi = np.array([[4.0, 1.0], [1.0, 4.0]])
_z = float(np.einsum("ab,bc,ca->", _phi, _phi, _phi))

model = FactorGraph([
    Factor(["x", "y"], [2, 2], _phi / _z),
    Factor(["y", "z"], [2, 2], _phi),
    Factor(["z", "x"], [2, 2], _phi),
])
