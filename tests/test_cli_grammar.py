"""One grammar for every ``pgm`` subcommand (issue 11, "One CLI grammar").

Evidence (``-e X=v``, ``--evidence-file``, ``MODEL.evid``, ``--no-evidence``), variable
lists (space- or comma-separated), ``-o/--out``, ``--seed`` with one default, ``--json``
everywhere (strict, with ``"ok"`` and ``"model"``), no-op flags and bad values refused
with exit 2 and one line on stderr, ``pgm check`` on Markov networks, and ``MODEL`` as
an example name.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import ex, run_cli

from pgm.cli import build_parser, main
from pgm.cli.options import (
    marginals_json,
    resolve_variables,
    split_names,
    write_json,
)
from pgm.validation import DEFAULT_SEED


def _refuse_constant(name):
    raise AssertionError(f"non-strict JSON constant {name}")


def strict(text: str) -> dict:
    """Parse ``text`` as strict JSON (no NaN / Infinity) holding one object with ``ok``."""
    data = json.loads(text, parse_constant=_refuse_constant)
    assert isinstance(data, dict) and isinstance(data["ok"], bool), text
    assert next(iter(data)) == "ok"
    return data


def error_text(err: str) -> str:
    """The message of a one-line ``pgm CMD: error: MESSAGE``."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("pgm ") and ": error: " in lines[0], err
    return lines[0].split(": error: ", 1)[1]


@pytest.fixture
def tiny_uai(tmp_path):
    """A three-variable UAI Markov network with a ``.evid`` file beside it."""
    from pgm import Factor, FactorGraph
    from pgm.io import write_evidence, write_uai

    rng = np.random.default_rng(3)
    fg = FactorGraph([Factor([0, 1], [2, 3], rng.random((2, 3)) + 0.1),
                      Factor([1, 2], [3, 2], rng.random((3, 2)) + 0.1)])
    path = tmp_path / "tiny.uai"
    write_uai(fg, path)
    write_evidence({1: 2}, tmp_path / "tiny.uai.evid")
    return fg, path


def _leaf_parsers():
    """``{"infer": parser, "rbm train": parser, ...}`` for every runnable subcommand."""
    out = {}

    def walk(parser, prefix):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            out[prefix] = parser
            return
        for name, child in subs[0].choices.items():
            walk(child, f"{prefix} {name}".strip())

    walk(build_parser(), "")
    return out


# ------------------------------------------------------------------ JSON
def test_write_json_is_strict_with_reasons(capsys):
    text = write_json({"model": "m", "a": float("nan"), "b": [1.0, float("inf")],
                       "c": np.float32(0.5), "d": np.int64(3), "e": np.array([1, 2])})
    assert capsys.readouterr().out.strip() == text
    data = strict(text)
    assert list(data)[:2] == ["ok", "model"] and data["ok"] is True
    assert data["a"] is None and data["b"] == [1.0, None] and data["c"] == 0.5
    assert data["d"] == 3 and data["e"] == [1, 2]
    assert set(data["null_reasons"]) == {"a", "b[1]"}
    assert "NaN" in data["null_reasons"]["a"] and "infinity" in data["null_reasons"]["b[1]"]


def test_marginals_shape_is_variable_then_state():
    from pgm.examples import load

    bn = load("asia")
    assert marginals_json(bn, {"lung": [0.1, 0.9]}) == {"lung": {"yes": 0.1, "no": 0.9}}


CHEAP = [
    ["check", "asia", "--json"],
    ["check", "misconception", "--json"],
    ["query", "asia", "--markov-blanket", "either", "--json"],
    ["query", "asia", "--independent", "tub", "smoke", "--numeric", "--json"],
    ["infer", "asia", "--marginals", "lung", "-e", "smoke=yes", "--map", "--json"],
    ["infer", "asia", "--plan", "--json"],
    ["sample", "sprinkler", "--samples", "50", "--chains", "2", "--json"],
    ["denoise", "--builtin", "shapes", "--size", "32", "--json"],
]


@pytest.mark.parametrize("argv", CHEAP, ids=lambda a: " ".join(a[:2]))
def test_every_cheap_command_prints_strict_json_with_ok_and_model(capsys, argv):
    code, out, _ = run_cli(capsys, *argv)
    data = strict(out)
    assert code == 0 and data["ok"] is True
    if argv[0] != "denoise":
        assert data["model"] == argv[1]


def test_failures_in_json_mode_are_json_too(capsys):
    code, out, err = run_cli(capsys, "infer", "asia", "-e", "smoke=maybe", "--json")
    data = strict(out)
    assert code == 2 and data["ok"] is False and data["model"] == "asia"
    assert "maybe" in data["error"] and "maybe" in error_text(err)


def test_rbm_train_sample_score_json(capsys, tmp_path):
    run = tmp_path / "run"
    code, out, _ = run_cli(capsys, "rbm", "train", "--data", "digits", "--hidden", "4",
                           "--epochs", "1", "--limit", "200", "-o", str(run), "--quiet", "--json")
    data = strict(out)
    assert code == 0 and data["model"] == str(run / "model.npz")
    assert data["final"]["epoch"] == 1 and len(data["seconds_per_epoch"]) == 1
    assert str(run / "model.npz") in data["written"]
    png = tmp_path / "s.png"
    code, out, _ = run_cli(capsys, "rbm", "sample", str(run / "model.npz"), "--chains", "4",
                           "--steps", "5", "-o", str(png), "--json")
    data = strict(out)
    assert code == 0 and data["out"] == str(png) and png.is_file()
    code, out, _ = run_cli(capsys, "rbm", "score", str(run / "model.npz"), "--data", "digits",
                           "--limit", "50", "--json")
    assert code == 0 and strict(out)["method"] == "exact"


def test_demo_json(capsys, tmp_path):
    code, out, err = run_cli(capsys, "demo", "--quick", "-o", str(tmp_path / "d"), "--json")
    data = strict(out)
    assert code == 0 and data["ok"] is True and Path(data["report"]).is_file()
    assert "writing into" in err  # progress goes to stderr in JSON mode


def test_every_subcommand_has_json_and_the_shared_seed_and_out():
    leaves = _leaf_parsers()
    assert {"check", "query", "infer", "demo", "sample", "denoise", "rbm train", "rbm score",
            "rbm sample", "experiments digits"} <= set(leaves)
    for name, parser in leaves.items():
        options = {s for a in parser._actions for s in a.option_strings}
        assert "--json" in options, name
        assert "--output" not in options, name
        for action in parser._actions:
            if action.dest == "seed":
                assert action.default is None and f"default {DEFAULT_SEED}" in action.help, name
            if "--out" in action.option_strings:
                assert "-o" in action.option_strings, name
    for name in ("demo", "denoise", "rbm train", "rbm sample", "experiments digits"):
        assert "--out" in {s for a in leaves[name]._actions for s in a.option_strings}, name
    for name in ("infer", "sample"):
        options = {s for a in leaves[name]._actions for s in a.option_strings}
        assert {"-e", "--evidence", "--evidence-file", "--no-evidence"} <= options, name


# ------------------------------------------------------------------ evidence
@pytest.mark.parametrize("evidence", ["smoke=maybe", "martian=yes", "smoke=7", "smoke"])
def test_bad_evidence_gives_the_same_message_in_infer_and_sample(capsys, evidence):
    messages = []
    for command in (["infer", "asia"], ["infer", "asia", "--map", "--method", "icm"],
                    ["sample", "asia", "--samples", "10"]):
        code, _, err = run_cli(capsys, *command, "-e", evidence)
        assert code == 2
        messages.append(error_text(err))
    assert len(set(messages)) == 1, messages
    assert any(f"'{part}'" in messages[0] for part in evidence.split("="))


def test_same_evidence_same_answer_infer_and_sample(capsys, tmp_path):
    evfile = tmp_path / "ev.json"
    evfile.write_text('{"wet_grass": "true"}')
    _, out, _ = run_cli(capsys, "infer", "sprinkler", "--evidence-file", str(evfile),
                        "--marginals", "rain", "--json")
    exact = strict(out)
    _, out, _ = run_cli(capsys, "sample", "sprinkler", "-e", "wet_grass=1", "--samples", "3000",
                        "--variables", "rain", "--json")
    approx = strict(out)
    assert exact["evidence"] == approx["evidence"] == {"wet_grass": "true"}
    assert set(exact["marginals"]["rain"]) == set(approx["marginals"]["rain"]) == {"false", "true"}
    assert approx["marginals"]["rain"]["true"] == pytest.approx(
        exact["marginals"]["rain"]["true"], abs=0.05)


def test_infer_positional_shorthand_and_comma_items(capsys):
    _, a, _ = run_cli(capsys, "infer", "asia", "--marginals", "lung", "-e", "smoke=yes,xray=yes",
                      "--json")
    _, b, _ = run_cli(capsys, "infer", "asia", "--marginals", "lung", "smoke=yes", "xray=0",
                      "--json")
    _, c, _ = run_cli(capsys, "infer", "asia", "-e", "smoke=yes", "-e", "xray=yes",
                      "--marginals", "lung", "--json")
    assert strict(a)["marginals"] == strict(b)["marginals"] == strict(c)["marginals"]
    assert strict(a)["evidence"] == {"smoke": "yes", "xray": "yes"}


def test_uai_evid_file_is_used_by_infer_and_sample(capsys, tiny_uai):
    _, path = tiny_uai
    for command in (["infer", str(path)], ["sample", str(path), "--samples", "20"]):
        code, out, _ = run_cli(capsys, *command, "--json")
        data = strict(out)
        assert code == 0 and data["evidence"] == {"1": "2"}
        assert data["evidence_file"].endswith("tiny.uai.evid")
        code, out, _ = run_cli(capsys, *command, "--no-evidence", "--json")
        assert strict(out)["evidence"] == {}


def test_evidence_file_replaces_the_evid_file_and_no_evidence_with_it_is_refused(capsys, tiny_uai,
                                                                                 tmp_path):
    _, path = tiny_uai
    ev = tmp_path / "other.json"
    ev.write_text('{"0": 1}')
    for command in (["infer", str(path)], ["sample", str(path), "--samples", "20"]):
        code, out, _ = run_cli(capsys, *command, "--evidence-file", str(ev), "-e", "2=0", "--json")
        assert code == 0 and strict(out)["evidence"] == {"0": "1", "2": "0"}
        code, _, err = run_cli(capsys, *command, "--evidence-file", str(ev), "--no-evidence")
        assert code == 2 and "--no-evidence does nothing" in error_text(err)


def test_infer_old_evidence_file_flag_still_works_with_a_warning(capsys, tmp_path):
    ev = tmp_path / "ev.txt"
    ev.write_text("# comment\nsmoke=yes\n")
    code, out, err = run_cli(capsys, "infer", "asia", "--evidence", str(ev), "--json")
    assert code == 0 and strict(out)["evidence"] == {"smoke": "yes"}
    assert "deprecated" in err and "--evidence-file" in err


def test_non_utf8_evidence_file_is_exit_2(capsys, tmp_path):
    ev = tmp_path / "ev.txt"
    ev.write_bytes(b"smoke=\xff\xfe\n")
    for command in (["infer", "asia"], ["sample", "asia"]):
        code, _, err = run_cli(capsys, *command, "--evidence-file", str(ev))
        assert code == 2 and "UTF-8" in error_text(err)


# ------------------------------------------------------------------ variable lists
def test_split_names_and_resolve():
    from pgm import Factor, FactorGraph

    assert split_names(["a,b", "c", "d ,e"]) == ["a", "b", "c", "d", "e"]
    fg = FactorGraph([Factor([0, 1], [2, 2], [[1, 2], [3, 4]])])
    assert resolve_variables(fg, ["0,1", "1", "7"]) == ([0, 1], ["7"])


def test_comma_lists_equal_space_lists(capsys):
    pairs = [
        (["query", "asia", "--markov-blanket", "either,lung", "smoke"],
         ["query", "asia", "--markov-blanket", "either", "lung", "smoke"]),
        (["query", "asia", "--independent", "tub", "smoke", "--given", "lung,either"],
         ["query", "asia", "--independent", "tub", "smoke", "--given", "lung", "either"]),
        (["infer", "asia", "--marginals", "lung,either", "tub"],
         ["infer", "asia", "--marginals", "lung", "either", "tub"]),
        (["sample", "sprinkler", "--samples", "20", "--variables", "rain,cloudy"],
         ["sample", "sprinkler", "--samples", "20", "--variables", "rain", "cloudy"]),
    ]
    for comma, space in pairs:
        _, a, _ = run_cli(capsys, *comma, "--json")
        _, b, _ = run_cli(capsys, *space, "--json")
        a, b = strict(a), strict(b)
        a.pop("seconds", None), b.pop("seconds", None)
        assert a == b, comma


# ------------------------------------------------------------------ refused flags and values
@pytest.mark.parametrize("argv, flag", [
    (["infer", "asia", "--map", "--restarts", "3"], "--restarts"),
    (["infer", "asia", "--map", "--method", "ve", "--seed", "1"], "--seed"),
    (["infer", "asia", "--restarts", "3"], "--restarts"),
    (["infer", "asia", "--method", "icm"], "--method"),
    (["infer", "asia", "--plan", "--map"], "--map"),
    (["infer", "asia", "--plan", "--partition-function"], "--partition-function"),
    (["infer", "asia", "--json", "--digits", "3"], "--digits"),
    (["query", "asia", "--markov-blanket", "tub", "--atol", "0.1"], "--atol"),
    (["query", "asia", "--markov-blanket", "tub", "--numeric"], "--numeric"),
    (["denoise", "--builtin", "shapes", "--size", "32", "--samples", "5"], "--samples"),
    (["denoise", "--builtin", "shapes", "--size", "32", "--sweeps", "5"], "--sweeps"),
])
def test_flags_that_do_nothing_are_refused(capsys, argv, flag):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert strict(out)["ok"] is False if "--json" in argv else not out
    message = error_text(err)
    assert flag in message and "does nothing" in message


def test_rbm_score_exact_refuses_ais_flags(capsys, tmp_path):
    code, _, err = run_cli(capsys, "rbm", "score", str(tmp_path / "none.npz"), "--runs", "5")
    assert code == 2 and "--runs" in error_text(err)


@pytest.mark.parametrize("argv, flag", [
    (["check", "asia", "--atol", "nan"], "--atol"),
    (["check", "asia", "--atol", "-1"], "--atol"),
    (["query", "asia", "--independent", "tub", "smoke", "--numeric", "--atol", "nan"], "--atol"),
    (["infer", "asia", "--map", "--method", "icm", "--restarts", "0"], "--restarts"),
    (["infer", "asia", "--digits", "0"], "--digits"),
    (["sample", "asia", "--chains", "0"], "--chains"),
    (["sample", "asia", "--samples", "-5"], "--samples"),
    (["sample", "asia", "--burn-in", "-1"], "--burn-in"),
    (["sample", "asia", "--seed", "-1"], "--seed"),
    (["denoise", "--builtin", "shapes", "--method", "anneal", "--sweeps", "0"], "--sweeps"),
    (["denoise", "--builtin", "shapes", "--beta", "nan"], "--beta"),
    (["rbm", "train", "--data", "digits", "--lr", "nan"], "--lr"),
    (["rbm", "train", "--data", "digits", "--epochs", "0"], "--epochs"),
])
def test_bad_values_exit_2_with_one_line(capsys, argv, flag):
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert flag in error_text(err)


def test_usage_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["infer", "asia", "--no-such-flag"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("pgm infer: error: ")
    assert error_text(err).startswith("unrecognized arguments: --no-such-flag")


# ------------------------------------------------------------------ check
def test_check_factor_graph_passes_and_reports_log_z(capsys):
    from pgm.examples import MISCONCEPTION_Z

    code, out, _ = run_cli(capsys, "check", "misconception")
    assert code == 0 and "log Z" in out and "OK" in out
    code, out, _ = run_cli(capsys, "check", "misconception", "--json")
    data = strict(out)
    assert code == 0 and data["ok"] is True and data["kind"] == "factor graph"
    assert data["log_partition_function"] == pytest.approx(math.log(MISCONCEPTION_Z))
    assert data["normalized"] is False
    code, out, _ = run_cli(capsys, "check", "misconception", "--expect-normalized", "--json")
    assert code == 1 and strict(out)["ok"] is False
    assert run_cli(capsys, "check", ex("normalized_loop.py"), "--expect-normalized")[0] == 0


def test_check_uai_markov_network(capsys, tiny_uai):
    fg, path = tiny_uai
    code, out, _ = run_cli(capsys, "check", str(path), "--json")
    data = strict(out)
    assert code == 0
    assert data["log_partition_function"] == pytest.approx(fg.log_partition_function())


def test_check_bayesian_network_still_checks_normalization(capsys):
    assert run_cli(capsys, "check", ex("broken_cpd.py"))[0] == 1
    code, out, _ = run_cli(capsys, "check", ex("broken_cpd.py"), "--json")
    data = strict(out)
    assert code == 1 and data["ok"] is False and data["normalized"] is False


# ------------------------------------------------------------------ example names
def test_model_may_be_an_example_name_from_any_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "query", "asia", "--markov-blanket", "either")
    assert code == 0 and "{bronc, dysp, lung, tub, xray}" in out
    assert run_cli(capsys, "check", "sprinkler")[0] == 0
    code, out, _ = run_cli(capsys, "infer", "student", "--marginals", "grade", "--json")
    assert code == 0 and set(strict(out)["marginals"]["grade"]) == {"A", "B", "C"}
    code, _, err = run_cli(capsys, "check", "no-such-network")
    assert code == 2 and "no such file" in err and "asia" in err


def test_a_file_wins_over_an_example_name(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "asia").write_text("not a model")
    code, _, err = run_cli(capsys, "check", "asia")
    assert code == 2 and "format" in err
