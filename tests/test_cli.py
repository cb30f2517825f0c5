"""The ``pgm`` command line: exit codes, JSON shapes, answers, the demo.

Most tests call :func:`pgm.cli.main` in-process (fast); one runs the installed
``pgm`` script in a subprocess.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import ex, run_cli

from pgm.cli import main
from pgm.cli.query import numeric_gap, resolve_variables
from pgm.examples import asia_network, misconception_network


# ------------------------------------------------------------------- check
@pytest.mark.parametrize("model", ["sprinkler.py", "asia.py", "normalized_loop.py"])
def test_check_normalized_model_exits_0(capsys, model):
    code, out, _ = run_cli(capsys, "check", ex(model))
    assert code == 0
    assert "OK" in out and "normalized" in out


def test_check_unnormalized_cpd_exits_1_and_names_it(capsys):
    code, out, _ = run_cli(capsys, "check", ex("broken_cpd.py"))
    assert code == 1
    assert "'rain'" in out and "1.1" in out and "FAIL" in out


def test_check_json_shape(capsys):
    code, out, _ = run_cli(capsys, "check", ex("broken_cpd.py"), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    assert data["total_probability"] == pytest.approx(1.05)
    assert [p["variable"] for p in data["problems"]] == ["rain"]
    assert data["problems"][0]["value"] == pytest.approx(1.1)
    code, out, _ = run_cli(capsys, "check", ex("sprinkler.py"), "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] is True and data["problems"] == []
    assert data["total_probability"] == pytest.approx(1.0, abs=1e-12)


def test_check_atol_loosens_the_verdict(capsys):
    assert run_cli(capsys, "check", ex("broken_cpd.py"), "--atol", "0.2")[0] == 0


def test_check_factor_graph_reports_partition_function(capsys):
    # a Markov network is valid with any Z > 0 (exit 0); --expect-normalized asks for Z = 1
    code, out, _ = run_cli(capsys, "check", ex("misconception.py"), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True and data["normalized"] is False
    assert data["total_probability"] == pytest.approx(7_201_840.0)
    assert data["log_partition_function"] == pytest.approx(math.log(7_201_840.0))
    code, out, _ = run_cli(capsys, "check", ex("misconception.py"), "--expect-normalized")
    assert code == 1 and "FAIL" in out


@pytest.mark.parametrize("model, message", [
    ("cycle.py", "CycleError"),
    ("missing_cpd.py", "MissingCPDError"),
    ("no_model.py", "defines no variable"),
    ("does_not_exist.py", "no such file"),
])
def test_check_bad_input_exits_2(capsys, model, message):
    code, _, err = run_cli(capsys, "check", ex(model))
    assert code == 2
    assert message in err


def test_check_bad_input_json_is_still_json(capsys):
    code, out, _ = run_cli(capsys, "check", ex("cycle.py"), "--json")
    assert code == 2
    data = json.loads(out)
    assert data["ok"] is False and "CycleError" in data["error"]


def test_check_unknown_format_exits_2(capsys, tmp_path):
    path = tmp_path / "model.xyz"
    path.write_text("nothing")
    assert run_cli(capsys, "check", str(path))[0] == 2


# ------------------------------------------------------------------- query
def test_query_markov_blanket(capsys):
    code, out, _ = run_cli(capsys, "query", ex("asia.py"), "--markov-blanket", "either", "--json")
    assert code == 0
    assert json.loads(out)["markov_blanket"] == {"either": ["bronc", "dysp", "lung", "tub", "xray"]}
    code, out, _ = run_cli(capsys, "query", ex("sprinkler.py"), "--markov-blanket", "cloudy")
    assert code == 0 and "{rain, sprinkler}" in out


def test_query_markov_blanket_factor_graph(capsys):
    code, out, _ = run_cli(capsys, "query", ex("misconception.py"), "--markov-blanket", "A", "--json")
    assert code == 0 and json.loads(out)["markov_blanket"] == {"A": ["B", "D"]}


@pytest.mark.parametrize("a, b, given, separated", [
    ("tub", "smoke", [], True),
    ("tub", "smoke", ["dysp"], False),
    ("xray", "dysp", ["either"], True),
    ("bronc", "lung", ["smoke"], True),
    ("bronc", "lung", ["smoke", "dysp"], False),
])
def test_query_independence_bayesian_network(capsys, a, b, given, separated):
    argv = ["query", ex("asia.py"), "--independent", a, b, "--numeric", "--json"]
    if given:
        argv += ["--given", *given]
    code, out, _ = run_cli(capsys, *argv)
    data = json.loads(out)["independence"]
    assert data["criterion"] == "d-separation"
    assert data["separated"] is separated
    assert data["independent"] is separated
    assert code == (0 if separated else 1)
    expected = asia_network().independence_gap([a], [b], given)
    assert data["numeric"]["gap"] == pytest.approx(expected, abs=1e-12)


def test_query_independence_sets_and_human_output(capsys):
    code, out, _ = run_cli(capsys, "query", ex("asia.py"), "--independent", "tub,asia", "smoke,bronc",
                           "--given", "lung")
    assert code == 0
    assert "{tub, asia} and {smoke, bronc} given {lung}: separated (d-separation)" in out


def test_query_independence_factor_graph(capsys):
    code, out, _ = run_cli(capsys, "query", ex("misconception.py"), "--independent", "A", "C",
                           "--given", "B", "D", "--numeric", "--json")
    data = json.loads(out)["independence"]
    assert code == 0 and data["criterion"] == "graph separation" and data["separated"]
    assert data["numeric"]["gap"] < 1e-12
    code, out, _ = run_cli(capsys, "query", ex("misconception.py"), "--independent", "A", "C",
                           "--given", "B")
    assert code == 1 and "NOT separated" in out


def test_query_unknown_variables_exit_2_and_are_named(capsys):
    code, _, err = run_cli(capsys, "query", ex("asia.py"), "--independent", "tub", "nope",
                           "--given", "ghost")
    assert code == 2
    assert "nope" in err and "ghost" in err
    code, _, err = run_cli(capsys, "query", ex("asia.py"), "--markov-blanket", "martian")
    assert code == 2 and "martian" in err


@pytest.mark.parametrize("argv", [
    ["--independent", "tub", "tub"],          # overlapping sets
    [],                                       # nothing asked
    ["--markov-blanket", "tub", "--given", "asia"],  # --given without --independent
])
def test_query_bad_arguments_exit_2(capsys, argv):
    assert run_cli(capsys, "query", ex("asia.py"), *argv)[0] == 2


def test_query_unreadable_model_exits_2(capsys):
    assert run_cli(capsys, "query", ex("cycle.txt"), "--markov-blanket", "a")[0] == 2


def test_resolve_variables_integer_names():
    from pgm import Factor, FactorGraph

    fg = FactorGraph([Factor([0, 1], [2, 2], [[1, 2], [3, 4]])])
    assert resolve_variables(fg, ["0", "1,2"]) == ([0, 1], ["2"])


def test_numeric_gap_matches_the_joint():
    fg = misconception_network()
    for xs, ys, zs in ((["A"], ["C"], ["B"]), (["A"], ["B"], []), (["B"], ["D"], ["A", "C"])):
        assert numeric_gap(fg, xs, ys, zs) == pytest.approx(fg.independence_gap(xs, ys, zs), abs=1e-12)


# ------------------------------------------------------------ help and demo
def test_no_command_prints_help_and_exits_2(capsys):
    code, out, _ = run_cli(capsys)
    assert code == 2 and "check" in out and "query" in out and "demo" in out


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for word in ("check", "query", "demo"):
        assert word in out


def test_help_subprocess_is_fast_and_lightweight():
    exe = shutil.which("pgm")
    cmd = [exe, "--help"] if exe else [sys.executable, "-m", "pgm.cli", "--help"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    elapsed = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stderr
    assert "demo" in proc.stdout
    assert elapsed < 5.0, f"pgm --help took {elapsed:.2f} s"
    # nothing heavy is imported for --help
    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys, pgm.cli as c\n"
         "try:\n    c.main(['--help'])\nexcept SystemExit:\n    pass\n"
         "print(sorted(m for m in ('matplotlib', 'numba', 'pgm.inference', 'pgm.models', 'scipy')"
         " if m in sys.modules))"],
        capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip().splitlines()[-1] == "[]", probe.stdout + probe.stderr


def test_demo_quick_writes_report_and_png(capsys, tmp_path):
    out_dir = tmp_path / "demo"
    code, out, _ = run_cli(capsys, "demo", "--quick", "--out", str(out_dir))
    assert code == 0, out
    report = out_dir / "report.md"
    png = out_dir / "networks.png"
    assert report.is_file() and png.is_file()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = report.read_text()
    for heading in ("## Models", "## Exact normalization", "## Markov blankets", "## Independence"):
        assert heading in text
    assert "'dysp'" in text  # the broken copy is caught and named
    assert str(out_dir.resolve()) in out
    assert not [p for p in out_dir.iterdir() if p.name.endswith(".tmp")]  # atomic writes


def test_demo_failed_check_exits_1(capsys, tmp_path, monkeypatch):
    from pgm.models.studies import demo
    from pgm.models.studies.report import Registry

    sections = Registry()

    @sections.section("bad", "Bad")
    def bad_section(ctx):
        ctx.check(False, "a claim that does not hold")
        return ctx.section(["nothing"])

    @sections.section("raises", "Raises")
    def raising_section(ctx):
        raise RuntimeError("boom")

    monkeypatch.setattr(demo, "SECTIONS", sections)
    code, out, _ = run_cli(capsys, "demo", "--quick", "--out", str(tmp_path))
    assert code == 1
    assert "a claim that does not hold" in out and "boom" in out
    assert "## Failed checks" in (tmp_path / "report.md").read_text()


# ------------------------------------------------------- files from PGM_DATA_DIR
def _shared(*parts: str) -> Path:
    from pgm.datasets import data_dir

    path = data_dir().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not found (set PGM_DATA_DIR)")
    return path


def test_check_and_query_a_bif_network(capsys):
    path = str(_shared("bif", "asia.bif.gz"))
    code, out, _ = run_cli(capsys, "check", path, "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    code, out, _ = run_cli(capsys, "query", path, "--markov-blanket", "either",
                           "--independent", "tub", "smoke", "--numeric", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["markov_blanket"]["either"] == ["bronc", "dysp", "lung", "tub", "xray"]
    assert data["independence"]["separated"] and data["independence"]["numeric"]["gap"] < 1e-12


def test_query_uai_model_with_integer_variables(capsys):
    path = str(_shared("uai", "2bitcomp_5.cnf.uai"))
    code, out, _ = run_cli(capsys, "query", path, "--markov-blanket", "0", "--json")
    assert code == 0
    blanket = json.loads(out)["markov_blanket"]["0"]
    assert blanket and all(v.isdigit() for v in blanket)
