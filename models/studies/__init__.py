"""Applications on top of the toolkit: studies that write a report folder.

* :mod:`pgm.models.studies.report`: the one report framework (sections register
  themselves in a :class:`~pgm.models.studies.report.Registry`; a context with
  ``note`` / ``check`` / ``write_bytes`` / ``figure``; one return contract,
  :class:`~pgm.models.studies.report.Section`).
* :mod:`pgm.models.studies.demo`: ``pgm demo``, the offline tour on the example
  networks of :mod:`pgm.examples`, plus the Ising and RBM sections.
* :mod:`pgm.models.studies.digits`: ``pgm experiments digits``, the digit-modelling
  study (RBMs, autoencoders, classifiers, a CNN on an MNIST split).

Nothing is imported here: each study loads its models when it runs.
"""
