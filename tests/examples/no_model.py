"""A Python file that defines no ``model`` (``pgm check`` exits 2)."""

network = None
