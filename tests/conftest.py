"""Shared test configuration: Hypothesis profiles.

Profiles
--------
``ci`` (the default): 60 examples, no deadline, derandomized so runs are reproducible.
``dev``: fewer examples for quick local iteration.
``thorough``: many random examples, for hunting bugs.

Select one with ``HYPOTHESIS_PROFILE=thorough pytest`` or ``pytest --hypothesis-profile=dev``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])

settings.register_profile("ci", max_examples=60, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("dev", max_examples=20, derandomize=True, **_COMMON)
settings.register_profile("thorough", max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
