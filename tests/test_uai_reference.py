"""Variable elimination and the junction tree against the UAI 2014 reference solutions
(``.PR`` and ``.MAR``).

A representative, fast subset of the models in ``$PGM_DATA_DIR/uai`` (one or more
of each family: Alchemy, CSP, DBN, Grids, Pedigree, Promedus, Segmentation; about
three seconds in all).  ``log10 Z`` with the model's evidence must match ``.PR`` to
its printed precision (the values are rounded to about six significant digits) and
every single-variable marginal must match ``.MAR`` to 1e-6 (evidence variables are
given there as point masses, as :func:`marginals` returns them).
``benchmarks/bench_exact_inference.py`` runs every model.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from pgm.datasets import data_dir

UAI_DIR = data_dir() / "uai"

#: fast models (seconds of CPU time for Z and all marginals, measured on the dev machine)
MODELS = [
    "Alchemy_11",       # 0.4 s, 440 variables, induced width 19
    "CSP_12",           # 0.1 s, cardinality 4
    "DBN_11",           # 1.0 s, width 20, 440 factors
    "Grids_12",         # 0.02 s
    "Pedigree_13",      # 0.3 s, 37 evidence variables, zeros in the tables
    "Promedus_15",      # 0.1 s, evidence
    "Promedus_22",
    "Promedus_30",      # 13 evidence variables
    "Promedus_33",
    "Segmentation_12",  # 0.2 s
    "Segmentation_14",
]

pytestmark = pytest.mark.skipif(
    not UAI_DIR.is_dir(),
    reason=f"UAI models not found in {UAI_DIR}; set PGM_DATA_DIR to the folder holding uai/",
)


def _pr_tolerance(path: Path) -> float:
    """max(1e-6, half a unit in the last printed decimal of the .PR value)."""
    token = path.read_text().split()[1]
    mantissa = token.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return max(1e-6, 0.5 * 10.0 ** (-decimals))


@pytest.fixture(scope="module")
def engines():
    from pgm.inference.variable_elimination import VariableElimination
    from pgm.io import read_evidence, read_uai

    cache = {}

    def get(name: str):
        if name not in cache:
            path = UAI_DIR / f"{name}.uai"
            if not path.is_file():
                pytest.skip(f"{path} is missing")
            model = read_uai(path)
            ev_path = UAI_DIR / f"{name}.uai.evid"
            ev = read_evidence(ev_path) if ev_path.is_file() else {}
            cache[name] = (model, VariableElimination(model), ev)
        return cache[name]

    return get


def _answers(engines, name: str, engine: str):
    """``(log Z with the evidence, {variable: marginal}, evidence)`` from ``engine``."""
    from pgm.inference.junction_tree import JunctionTree

    model, ve, ev = engines(name)
    if engine == "ve":
        return (lambda: ve.log_partition_function(ev)), (lambda: ve.marginals(evidence=ev)), ev
    jt = JunctionTree(model)
    return (lambda: jt.log_evidence(ev)), (lambda: jt.calibrate(ev).marginals()), ev


@pytest.mark.parametrize("engine", ["ve", "jt"])
@pytest.mark.parametrize("name", MODELS)
def test_log10_partition_function_matches_pr(name, engine, engines):
    from pgm.io import read_pr

    logz, _, ev = _answers(engines, name, engine)
    pr_path = UAI_DIR / f"{name}.uai.PR"
    expected = read_pr(pr_path)
    got = logz() / math.log(10)
    assert abs(got - expected) <= _pr_tolerance(pr_path), (got, expected)


@pytest.mark.parametrize("engine", ["ve", "jt"])
@pytest.mark.parametrize("name", MODELS)
def test_marginals_match_mar(name, engine, engines):
    from pgm.io import read_mar

    _, marginals, ev = _answers(engines, name, engine)
    mar_path = UAI_DIR / f"{name}.uai.MAR"
    if not mar_path.is_file():
        pytest.skip(f"{mar_path} is missing")
    expected = read_mar(mar_path)
    got = marginals()
    assert len(got) == len(expected)
    worst = max(float(np.abs(got[i] - expected[i]).max()) for i in range(len(expected)))
    assert worst <= 1e-6, worst
    for v, s in ev.items():  # evidence variables are point masses in both
        assert got[v][s] == 1.0 and expected[v][s] == pytest.approx(1.0)


def test_pr_tolerance_reads_the_printed_precision(tmp_path):
    p = tmp_path / "x.PR"
    p.write_text("PR\n169.408\n")
    assert _pr_tolerance(p) == pytest.approx(5e-4)
    p.write_text("PR\n10.8370798439\n")
    assert _pr_tolerance(p) == 1e-6
