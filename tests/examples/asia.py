"""The Asia network (8 variables) from the demo's embedded models."""

from pgm.examples import asia_network

model = asia_network()
