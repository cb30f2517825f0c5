"""One evidence normalizer: the same evidence gives the same answer, or the same error,
through variable elimination, Gibbs, ICM and every command of the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli
from hypothesis import given
from hypothesis import strategies as st

from pgm.evidence import normalize_evidence, parse_evidence_items, read_evidence_file
from pgm.exceptions import EvidenceError, ModelLoadError
from pgm.io import load_model
from pgm.testing import bayesian_networks, evidence, factor_graphs

DATA = Path(os.environ.get("PGM_DATA_DIR", "../shared/data")).resolve()
CANCER = DATA / "bif" / "cancer.bif.gz"
needs_cancer = pytest.mark.skipif(not CANCER.is_file(), reason="shared BIF data not found")


# ------------------------------------------------------------------ the normalizer
@given(st.data())
def test_indices_and_state_names_normalize_to_the_same_indices(data):
    model = data.draw(st.one_of(bayesian_networks(max_nodes=5), factor_graphs(max_variables=5)))
    ev = data.draw(evidence(model))
    assert normalize_evidence(model, ev) == ev
    names = {v: model.state_names(v)[s] for v, s in ev.items()}
    assert normalize_evidence(model, names) == ev
    digits = {str(v): str(s) for v, s in ev.items()}
    if all(not n.isdigit() for v in ev for n in model.state_names(v)):
        assert normalize_evidence(model, digits) == ev


@pytest.mark.parametrize("bad, message", [
    ({"nope": 0}, "unknown variable 'nope'"),
    ({"a": 2}, "state index out of range"),
    ({"a": "maybe"}, "has no state 'maybe'; its states are off, on"),
    ({"a": True}, "not a bool"),
    ({"a": 1.0}, "not a float"),
    ({"a": None}, "not a NoneType"),
    (["a"], "must be a mapping"),
])
def test_bad_evidence_is_refused_naming_the_culprit(bad, message):
    from pgm import Factor, FactorGraph

    fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1, 2], [3, 4]])])
    fg.add_variable("a", 2, ["off", "on"])
    with pytest.raises(EvidenceError, match=message):
        normalize_evidence(fg, bad)


def test_command_line_items_and_files(tmp_path):
    from pgm import Factor, FactorGraph

    fg = FactorGraph([Factor([0, 1, 2], [2, 2, 3], np.ones((2, 2, 3)))])
    assert parse_evidence_items(fg, ["0=1", "1=0,2=2"]) == {0: 1, 1: 0, 2: 2}
    (tmp_path / "e.evid").write_text("2 0 1 2 2\n")
    (tmp_path / "e.json").write_text(json.dumps({"0": 1, "2": "2"}))
    (tmp_path / "e.txt").write_text("# comment\n0=1\n2=2  # trailing\n")
    for name in ("e.evid", "e.json", "e.txt"):
        assert read_evidence_file(fg, tmp_path / name) == {0: 1, 2: 2}, name
    (tmp_path / "latin.txt").write_bytes(b"0=\xe9\n")
    with pytest.raises(ModelLoadError, match="not UTF-8"):
        read_evidence_file(fg, tmp_path / "latin.txt")
    with pytest.raises(EvidenceError, match="e.json.*state index out of range"):
        (tmp_path / "e.json").write_text(json.dumps({"2": 3}))
        read_evidence_file(fg, tmp_path / "e.json")


# ------------------------------------------------------------ one answer everywhere
EQUIVALENT = [{"Xray": "positive"}, {"Xray": 0}, {"Xray": "0"}, {"Xray": np.int64(0)}]
BAD = [{"Xray": "maybe"}, {"Xray": 2}, {"Nope": "yes"}, {"Xray": True}]


@pytest.fixture(scope="module")
def cancer():
    return load_model(CANCER)


def _exact_cancer(cancer):
    from pgm.inference import marginals

    return marginals(cancer, evidence={"Xray": 0})["Cancer"]


@needs_cancer
@pytest.mark.parametrize("ev", EQUIVALENT, ids=lambda e: repr(e["Xray"]))
def test_equivalent_evidence_gives_the_same_answer_in_every_engine(cancer, ev):
    from pgm.inference import VariableElimination, gibbs_sample, icm_map, marginals

    exact = _exact_cancer(cancer)
    np.testing.assert_allclose(marginals(cancer, evidence=ev)["Cancer"], exact, rtol=1e-12)
    np.testing.assert_allclose(VariableElimination(cancer).query(["Cancer"], evidence=ev).values,
                               exact, rtol=1e-12)
    n, chains = 4000, 4
    res = gibbs_sample(cancer, n, chains=chains, burn_in=200, evidence=ev, seed=0)
    p = float(exact[0])
    # 6 standard errors of a mean of n*chains draws, inflated 4x for autocorrelation
    tol = 6 * np.sqrt(p * (1 - p) / (n * chains)) * 2
    assert abs(float(res.marginals["Cancer"][0]) - p) < tol
    assignment, _ = icm_map(cancer, evidence=ev, seed=0)
    assert assignment["Xray"] == 0


@needs_cancer
@pytest.mark.parametrize("ev", BAD, ids=repr)
def test_bad_evidence_gives_the_same_error_in_every_engine(cancer, ev):
    from pgm.inference import VariableElimination, gibbs_sample, icm_map, marginals

    with pytest.raises(EvidenceError) as expected:
        normalize_evidence(cancer, ev)
    for call in (lambda: marginals(cancer, evidence=ev),
                 lambda: VariableElimination(cancer).query(["Cancer"], evidence=ev),
                 lambda: gibbs_sample(cancer, 10, chains=1, evidence=ev, seed=0),
                 lambda: icm_map(cancer, evidence=ev, seed=0)):
        with pytest.raises(EvidenceError) as got:
            call()
        assert str(got.value) == str(expected.value)


CLI_FORMS = {  # the -e spelling of each EQUIVALENT / BAD evidence dict
    "positive": "Xray=positive", "0": "Xray=0", "maybe": "Xray=maybe", "2": "Xray=2",
    "Nope": "Nope=yes",
}
CLI_COMMANDS = {
    "infer": ["infer", "{model}", "--marginals", "Cancer", "--json"],
    "infer-map-ve": ["infer", "{model}", "--map", "--json"],
    "infer-map-icm": ["infer", "{model}", "--map", "--method", "icm", "--json"],
    "sample": ["sample", "{model}", "--samples", "2000", "--chains", "4", "--burn-in", "200",
               "--json"],
}


@needs_cancer
@pytest.mark.parametrize("command", sorted(CLI_COMMANDS))
@pytest.mark.parametrize("form", ["positive", "0"])
def test_the_command_line_takes_the_same_evidence(cancer, command, form, capsys):
    args = [a.format(model=CANCER) for a in CLI_COMMANDS[command]] + ["-e", CLI_FORMS[form]]
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    res = json.loads(out)
    assert res["ok"] is True and res["evidence"] == {"Xray": "positive"}
    if command == "infer":
        p = float(_exact_cancer(cancer)[0])
        assert res["marginals"]["Cancer"]["True"] == pytest.approx(p, rel=1e-9)
    elif command == "sample":
        p = float(_exact_cancer(cancer)[0])
        tol = 6 * np.sqrt(p * (1 - p) / 8000) * 2
        assert abs(res["marginals"]["Cancer"]["True"] - p) < tol
    else:
        assert res["map"].get("Xray", "positive") == "positive"   # observed: kept, or left out


@needs_cancer
@pytest.mark.parametrize("command", sorted(CLI_COMMANDS))
@pytest.mark.parametrize("form", ["maybe", "2", "Nope"])
def test_the_command_line_refuses_bad_evidence_with_the_api_message(cancer, command, form, capsys):
    value = CLI_FORMS[form].split("=", 1)
    with pytest.raises(EvidenceError) as expected:
        normalize_evidence(cancer, {value[0]: value[1]})
    args = [a.format(model=CANCER) for a in CLI_COMMANDS[command]] + ["-e", CLI_FORMS[form]]
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert str(expected.value) in err.strip().splitlines()[0]
