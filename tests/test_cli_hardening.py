"""Bad values at the command line end in one line on stderr and exit 2, never a
traceback or a wrong answer (issue 12, items 5 and 6).

Each case runs in-process through :func:`pgm.cli.main`: the exit code must be 2, stderr
exactly one non-empty line (``pgm CMD: error: ...``) with no ``Traceback``.  The cases
come from the issue (Pillow's decompression bombs, a non-UTF-8 evidence file, ``--seed
-1``, ``--figure DIR``, 1-D or string ``--data`` arrays, ``--atol nan``, an empty
``--independent`` set, ``--limit -5``) and from trying -1, 0, nan, inf, 1e300, '', a
folder and a missing file for every option of every subcommand.
"""

from __future__ import annotations

import numpy as np
import pytest
from cli_helpers import png_header, run_cli


def run(capsys, argv):
    return run_cli(capsys, *argv)


def one_error_line(code, err) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, err)
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("pgm ") and "error:" in lines[0], err
    return lines[0]


def _png_header(path, width, height):
    return str(png_header(path, width, height))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Hostile input files, by name."""
    from pgm.models.rbm import RBM

    d = tmp_path_factory.mktemp("hostile")
    f = {"dir": str(d / "folder"), "missing": str(d / "missing.file")}
    (d / "folder").mkdir()
    (d / "a_file").write_text("x\n")
    f["file"] = str(d / "a_file")
    (d / "latin1.evid").write_bytes(b"smoke=\xff\xfe\n")
    f["latin1_evidence"] = str(d / "latin1.evid")
    arrays = {"oned": np.arange(10.0), "zerod": np.float64(3.0),
              "strings": np.array([["a", "b"], ["c", "d"]]),
              "nan": np.full((5, 4), np.nan), "range": np.full((5, 4), 3.0),
              "empty": np.zeros((0, 4)), "empty3d": np.zeros((0, 3, 3)),
              "complex": np.ones((3, 3), dtype=complex)}
    for name, a in arrays.items():
        np.save(d / f"{name}.npy", a)
        f[name] = str(d / f"{name}.npy")
    np.savez(d / "strings_z.npz", train=arrays["strings"])
    f["strings_z"] = str(d / "strings_z.npz")
    np.savez(d / "oned_z.npz", train=np.ones((5, 4)), test=np.arange(3.0))
    f["oned_test_z"] = str(d / "oned_z.npz")
    np.savez(d / "nothing.npz")
    f["nothing_z"] = str(d / "nothing.npz")
    good = (np.random.default_rng(0).random((30, 16)) > 0.5).astype(np.float32)
    np.savez(d / "good.npz", train=good)
    raw = (d / "good.npz").read_bytes()
    (d / "truncated_data.npz").write_bytes(raw[: len(raw) // 2])
    f["truncated_data"] = str(d / "truncated_data.npz")
    np.save(d / "good.npy", good)
    f["good"] = str(d / "good.npy")
    with open(d / "good.npy", "rb") as src:
        (d / "short.npy").write_bytes(src.read()[:200])
    f["short_npy"] = str(d / "short.npy")
    model = RBM.random(16, 4, seed=0).save(d / "model.npz")
    f["model"] = str(model)
    mraw = model.read_bytes()
    (d / "truncated_model.npz").write_bytes(mraw[:300])
    f["truncated_model"] = str(d / "truncated_model.npz")
    (d / "resume").mkdir()
    (d / "resume" / "checkpoint.npz").write_bytes(mraw[:300])
    f["damaged_resume"] = str(d / "resume")
    f["bomb"] = _png_header(d / "bomb.png", 100_000, 100_000)     # over 2x Pillow's limit
    f["bomb_warning"] = _png_header(d / "warn.png", 10_000, 10_000)  # over Pillow's limit
    f["truncated_png"] = _png_header(d / "trunc.png", 300, 300)
    f["out"] = str(d / "out")
    return f


CASES = [
    # item 5: tracebacks
    ("denoise-bomb", lambda f: ["denoise", f["bomb"]], "decompression bomb"),
    ("denoise-bomb-warning", lambda f: ["denoise", f["bomb_warning"]], "decompression bomb"),
    ("denoise-truncated-png", lambda f: ["denoise", f["truncated_png"]], "ImageLoadError"),
    ("denoise-reference-bomb", lambda f: ["denoise", "--builtin", "shapes", "--size", "32",
                                          "--reference", f["bomb"]], "decompression bomb"),
    ("denoise-image-dir", lambda f: ["denoise", f["dir"]], "folder"),
    ("infer-latin1-evidence", lambda f: ["infer", "asia", "--evidence-file",
                                         f["latin1_evidence"]], "UTF-8"),
    ("sample-latin1-evidence", lambda f: ["sample", "asia", "--evidence-file",
                                          f["latin1_evidence"]], "UTF-8"),
    ("denoise-seed", lambda f: ["denoise", "--builtin", "shapes", "--seed", "-1"], "--seed"),
    ("rbm-train-seed", lambda f: ["rbm", "train", "--data", f["good"], "--seed", "-1", "-o",
                                  f["out"]], "--seed"),
    ("rbm-sample-seed", lambda f: ["rbm", "sample", f["model"], "--seed", "-1", "-o",
                                   f["out"] + ".png"], "--seed"),
    ("sample-seed", lambda f: ["sample", "asia", "--seed", "-1"], "--seed"),
    ("denoise-figure-dir", lambda f: ["denoise", "--builtin", "shapes", "--size", "32",
                                      "--figure", f["dir"]], "is a folder"),
    ("denoise-out-dir", lambda f: ["denoise", "--builtin", "shapes", "--size", "32", "-o",
                                   f["dir"]], "is a folder"),
    ("denoise-out-under-file", lambda f: ["denoise", "--builtin", "shapes", "--size", "32",
                                          "-o", f["file"] + "/x.png"], "is a file"),
    ("denoise-figure-empty", lambda f: ["denoise", "--builtin", "shapes", "--size", "32",
                                        "--figure", ""], "file name"),
    ("rbm-sample-out-dir", lambda f: ["rbm", "sample", f["model"], "-o", f["dir"]],
     "is a folder"),
    ("rbm-train-out-file", lambda f: ["rbm", "train", "--data", f["good"], "-o", f["file"]],
     "is a file"),
    ("rbm-train-out-empty", lambda f: ["rbm", "train", "--data", f["good"], "-o", ""],
     "folder name"),
    ("rbm-train-1d", lambda f: ["rbm", "train", "--data", f["oned"], "-o", f["out"]], "2-D"),
    ("rbm-train-0d", lambda f: ["rbm", "train", "--data", f["zerod"], "-o", f["out"]], "2-D"),
    ("rbm-train-strings", lambda f: ["rbm", "train", "--data", f["strings"], "-o", f["out"]],
     "numeric"),
    ("rbm-train-strings-npz", lambda f: ["rbm", "train", "--data", f["strings_z"], "-o",
                                         f["out"]], "numeric"),
    ("rbm-train-complex", lambda f: ["rbm", "train", "--data", f["complex"], "-o", f["out"]],
     "numeric"),
    ("rbm-train-nan", lambda f: ["rbm", "train", "--data", f["nan"], "-o", f["out"]],
     "non-finite"),
    ("rbm-train-range", lambda f: ["rbm", "train", "--data", f["range"], "-o", f["out"]],
     "outside [0, 1]"),
    ("rbm-train-empty", lambda f: ["rbm", "train", "--data", f["empty"], "-o", f["out"]],
     "empty"),
    ("rbm-train-empty-3d", lambda f: ["rbm", "train", "--data", f["empty3d"], "-o", f["out"]],
     "empty"),
    ("rbm-train-no-arrays", lambda f: ["rbm", "train", "--data", f["nothing_z"], "-o",
                                       f["out"]], "no array"),
    ("rbm-train-truncated-npz", lambda f: ["rbm", "train", "--data", f["truncated_data"], "-o",
                                           f["out"]], "ModelLoadError"),
    ("rbm-train-short-npy", lambda f: ["rbm", "train", "--data", f["short_npy"], "-o",
                                       f["out"]], "ModelLoadError"),
    ("rbm-train-data-dir", lambda f: ["rbm", "train", "--data", f["dir"], "-o", f["out"]],
     "folder"),
    ("rbm-train-data-missing", lambda f: ["rbm", "train", "--data", f["missing"], "-o",
                                          f["out"]], "not 'mnist'"),
    ("rbm-train-data-empty", lambda f: ["rbm", "train", "--data", "", "-o", f["out"]],
     "not 'mnist'"),
    ("rbm-score-1d-test", lambda f: ["rbm", "score", f["model"], "--data", f["oned_test_z"]],
     "2-D"),
    ("rbm-train-sigma-huge", lambda f: ["rbm", "train", "--data", f["good"], "--sigma", "1e300",
                                        "-o", f["out"]], "--sigma"),
    ("demo-out-file", lambda f: ["demo", "--quick", "-o", f["file"]], "is a file"),
    ("demo-out-empty", lambda f: ["demo", "--quick", "-o", ""], "folder name"),
    ("experiments-out-file", lambda f: ["experiments", "digits", "--quick", "-o", f["file"]],
     "is a file"),
    ("experiments-only-bad", lambda f: ["experiments", "digits", "-o", f["out"], "--only", "z"],
     "--only"),
    # item 4: damaged model files through the command line
    ("rbm-score-truncated-model", lambda f: ["rbm", "score", f["truncated_model"], "--data",
                                             f["good"]], "ModelLoadError"),
    ("rbm-sample-truncated-model", lambda f: ["rbm", "sample", f["truncated_model"], "-o",
                                              f["out"] + ".png"], "ModelLoadError"),
    ("rbm-score-model-dir", lambda f: ["rbm", "score", f["dir"], "--data", f["good"]],
     "ModelLoadError"),
    ("rbm-train-damaged-checkpoint", lambda f: ["rbm", "train", "--data", f["good"], "--hidden",
                                                "4", "-o", f["damaged_resume"], "--resume",
                                                "--quiet"], "ModelLoadError"),
    # item 6: wrong answers
    ("check-atol-nan", lambda f: ["check", "asia", "--atol", "nan"], "--atol"),
    ("check-atol-negative", lambda f: ["check", "asia", "--atol", "-1"], "--atol"),
    ("check-atol-inf", lambda f: ["check", "asia", "--atol", "inf"], "--atol"),
    ("query-atol-nan", lambda f: ["query", "asia", "--independent", "tub", "lung", "--numeric",
                                  "--atol", "nan"], "--atol"),
    ("query-empty-first-set", lambda f: ["query", "asia", "--independent", ",", "tub"],
     "names no variable"),
    ("query-empty-second-set", lambda f: ["query", "asia", "--independent", "tub", ""],
     "names no variable"),
    ("query-empty-given", lambda f: ["query", "asia", "--independent", "tub", "lung",
                                     "--given", ","], "names no variable"),
    ("query-empty-blanket", lambda f: ["query", "asia", "--markov-blanket", ","],
     "names no variable"),
    ("rbm-train-limit-negative", lambda f: ["rbm", "train", "--data", f["good"], "--limit", "-5",
                                            "-o", f["out"]], "--limit"),
    ("rbm-train-limit-zero", lambda f: ["rbm", "train", "--data", f["good"], "--limit", "0",
                                        "-o", f["out"]], "--limit"),
    ("rbm-score-limit-negative", lambda f: ["rbm", "score", f["model"], "--data", f["good"],
                                            "--limit", "-5"], "--limit"),
    ("sample-empty-variables", lambda f: ["sample", "asia", "--variables", ","],
     "names no variable"),
    ("infer-empty-evidence-item", lambda f: ["infer", "asia", "-e", ""], "names no evidence"),
    ("infer-empty-evidence-file", lambda f: ["infer", "asia", "--evidence-file", ""],
     "file name"),
    ("infer-empty-marginals", lambda f: ["infer", "asia", "--marginals", ","],
     "names no variable"),
    ("infer-digits-huge", lambda f: ["infer", "asia", "--digits", "100000000000"], "--digits"),
    # values from the sweep over every option
    ("sample-samples-negative", lambda f: ["sample", "asia", "--samples", "-1"], "--samples"),
    ("sample-thin-zero", lambda f: ["sample", "asia", "--thin", "0"], "--thin"),
    ("denoise-noise-nan", lambda f: ["denoise", "--builtin", "shapes", "--noise", "nan"],
     "--noise"),
    ("denoise-beta-inf", lambda f: ["denoise", "--builtin", "shapes", "--beta", "inf"], "--beta"),
    ("denoise-size-zero", lambda f: ["denoise", "--builtin", "shapes", "--size", "0"], "--size"),
    ("rbm-train-lr-nan", lambda f: ["rbm", "train", "--data", f["good"], "--lr", "nan", "-o",
                                    f["out"]], "--lr"),
    ("rbm-score-runs-zero", lambda f: ["rbm", "score", f["model"], "--data", f["good"],
                                       "--method", "ais", "--runs", "0"], "--runs"),
    ("rbm-sample-shape", lambda f: ["rbm", "sample", f["model"], "--shape", "nan", "-o",
                                    f["out"] + ".png"], "--shape"),
    ("memory-budget-zero", lambda f: ["denoise", "--builtin", "shapes", "--memory-budget", "0"],
     "--memory-budget"),
    ("memory-budget-nan", lambda f: ["rbm", "sample", f["model"], "--memory-budget", "nan"],
     "--memory-budget"),
]


@pytest.mark.parametrize("argv_of, needle", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_2(capsys, files, argv_of, needle):
    line = one_error_line(*run(capsys, argv_of(files))[::2])
    assert needle in line, line


def test_no_output_is_left_by_refused_commands(capsys, files, tmp_path):
    out = tmp_path / "never"
    code, _, _ = run(capsys, ["rbm", "train", "--data", files["oned"], "-o", str(out)])
    assert code == 2 and not out.exists()


def test_the_good_versions_still_work(capsys, files, tmp_path):
    """The same commands with sound values answer (exit 0)."""
    ok = [["check", "asia", "--atol", "1e-6"],
          ["query", "asia", "--independent", "tub", "smoke", "--given", "lung"],
          ["sample", "asia", "--samples", "40", "--chains", "2", "--variables", "lung"],
          ["denoise", "--builtin", "shapes", "--size", "32", "--seed", "1",
           "--figure", str(tmp_path / "fig.png"), "-o", str(tmp_path / "out.png")],
          ["rbm", "train", "--data", files["good"], "--hidden", "4", "--epochs", "1",
           "--limit", "20", "--quiet", "-o", str(tmp_path / "rbm")],
          ["rbm", "sample", files["model"], "--chains", "4", "--steps", "2", "-o",
           str(tmp_path / "s.png")]]
    for argv in ok:
        code, _, err = run(capsys, argv)
        assert code == 0, (argv, err)
    assert (tmp_path / "fig.png").exists() and (tmp_path / "out.png").exists()


def test_check_atol_zero_is_a_tolerance_not_an_error(capsys):
    """--atol 0 is a valid (strict) tolerance: answered, exit 0 or 1, never 2."""
    code, out, _ = run(capsys, ["check", "asia", "--atol", "0"])
    assert code in (0, 1) and out


def test_rbm_score_ais_default_runs(capsys, files):
    """``--method ais`` without ``--runs`` uses the documented default (100 runs); it used
    to hand ``n_runs=None`` to the estimator and fail."""
    code, out, err = run(capsys, ["rbm", "score", files["model"], "--data", files["good"],
                                  "--method", "ais", "--temperatures", "20", "--json"])
    assert code == 0, err
    assert '"runs": 100' in out


@pytest.mark.parametrize("name", ["a\nb", "a\x1eb", "a\u2028b", "a\rb"])
def test_line_breaks_in_user_values_keep_the_error_on_one_line(capsys, name):
    """Found by the fuzz campaign: a file name holding a line break split the error."""
    line = one_error_line(*run(capsys, ["infer", "asia", "--evidence-file", name])[::2])
    assert "no such evidence file" in line
