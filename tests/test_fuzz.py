"""The fuzz suite (issue 12): hostile inputs through every reader, the evidence parser,
the model-file reader and the command line (:func:`pgm.cli.fuzz.fuzz_targets`).  Each
case must end in a valid result or a PGMError (the command line: exit 0/1/2 with one
stderr line), within its time limit and without a traced allocation past the memory
budget.  Bounded to about a minute of CI; ``benchmarks/fuzz_campaign.py --minutes N``
runs the same targets for as long as asked."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgm.cli.fuzz import fuzz_targets

BUDGET = 512 * 2**20            # the memory budget the cases run under
EXAMPLES_PER_TARGET = {"bif": 200, "uai": 150, "evidence": 150, "npz": 150, "cli": 400,
                       "csv": 100, "xmlbif": 100, "net": 100, "xdsl": 100}


@pytest.fixture(scope="module")
def targets(tmp_path_factory):
    old = os.environ.get("PGM_MEMORY_BUDGET")
    os.environ["PGM_MEMORY_BUDGET"] = str(BUDGET)
    yield fuzz_targets(tmp_path_factory.mktemp("fuzz"), seconds=30, memory_limit=2 * BUDGET)
    if old is None:
        os.environ.pop("PGM_MEMORY_BUDGET", None)
    else:
        os.environ["PGM_MEMORY_BUDGET"] = old


@pytest.mark.parametrize("name", sorted(EXAMPLES_PER_TARGET))
def test_hostile_inputs_end_in_a_result_or_a_pgm_error(targets, name):
    target = targets[name]

    @settings(max_examples=EXAMPLES_PER_TARGET[name], deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data):
        case = data.draw(target.cases)
        outcome = target.run(case)
        assert not outcome.failed, f"{target.describe(case)}: {outcome.kind}: {outcome.detail}"

    check()
