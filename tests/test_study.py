"""The study's MNIST split: class counts, determinism, disjointness, scaling."""

from __future__ import annotations

import re

import numpy as np
import pytest

from pgm.datasets import binarize, digits_split


@pytest.fixture(scope="module")
def split():
    from pgm.exceptions import ModelLoadError

    try:
        return digits_split()
    except ModelLoadError as exc:
        pytest.skip(f"MNIST not available: {exc}")


def test_counts_and_scaling(split):
    for X, y, n in ((split.X_train, split.y_train, 300), (split.X_val, split.y_val, 100),
                    (split.X_test, split.y_test, 300)):
        assert X.shape == (10 * n, 784) and X.dtype == np.float32
        assert np.bincount(y, minlength=10).tolist() == [n] * 10
        assert X.min() >= 0 and X.max() <= 1


def test_deterministic_and_disjoint(split):
    again = digits_split()
    np.testing.assert_array_equal(again.train_index, split.train_index)
    np.testing.assert_array_equal(again.X_test, split.X_test)
    assert not set(split.train_index) & set(split.val_index)
    assert len(set(split.train_index)) == 3000 and len(set(split.test_index)) == 3000
    other = digits_split(seed=1)
    assert not np.array_equal(other.train_index, split.train_index)


def test_binarize():
    # one comparison for the whole toolkit: strictly above the threshold is 1 (the
    # study's old copy used >=, pgm.models.images.binarize >; a value exactly at the
    # threshold is now 0 everywhere)
    b = binarize(np.array([[0.0, 0.49, 0.5, 0.51, 1.0]]))
    assert b.tolist() == [[0.0, 0.0, 0.0, 1.0, 1.0]] and b.dtype == np.float32
    from pgm.models.images import binarize as to_spins

    grey = np.array([[0.0, 0.49], [0.5, 0.51]])
    np.testing.assert_array_equal(to_spins(grey), 2 * binarize(grey) - 1)


def test_binarize_of_the_split_is_unchanged(split):
    """No MNIST pixel is exactly 0.5 (grey levels are k/255), so the strict comparison
    gives the study the same binary digits as the former >=."""
    for X in (split.X_train, split.X_val, split.X_test):
        assert not (X == np.float32(0.5)).any()
        np.testing.assert_array_equal(binarize(X), (X >= 0.5).astype(np.float32))


def _forbid(what: str):
    def forbidden(*args, **kwargs):
        raise AssertionError(f"{what} was recomputed")
    return forbidden


def _forbid_training_and_likelihoods(m) -> None:
    """Make every training run and every log Z computation fail (monkeypatch ``m``)."""
    from pgm.models import rbm_likelihood
    from pgm.models.autoencoder import Autoencoder
    from pgm.models.classifier import PretrainableClassifier
    from pgm.models.convnet import ConvNet
    from pgm.models.rbm import BernoulliRBM

    for cls in (BernoulliRBM, Autoencoder, PretrainableClassifier, ConvNet):
        m.setattr(cls, "fit", _forbid(f"{cls.__name__}.fit"))
    for name in ("ais_log_partition", "exact_log_partition"):
        m.setattr(rbm_likelihood, name, _forbid(name))


def _without_time(report: str) -> str:
    return "\n".join(line for line in report.splitlines() if not line.startswith("Time:"))


def _section(report: str, key: str) -> str:
    """Section ``key`` of a report, without its timing line."""
    start = report.index(f"## ({key})")
    text = report[start:report.index("\n## ", start + 1)]
    return "\n".join(line for line in text.splitlines() if not re.fullmatch(r"_[0-9.]+ s_", line))


def test_quick_digits_study_end_to_end(split, tmp_path, capsys, monkeypatch):
    """``pgm experiments digits --quick``: every section and figure, numbers from the run,
    and a rerun reuses the finished experiments, models and log-likelihoods instead of
    recomputing them, while a changed configuration does not."""
    import dataclasses

    from pgm.cli import main
    from pgm.models.convnet import ConvNet
    from pgm.models.studies import digits as E

    out = tmp_path / "study"
    assert main(["experiments", "digits", "--out", str(out), "--quick"]) == 0
    report = (out / "report.md").read_text()
    assert str(out / "report.md") in capsys.readouterr().out
    for key in "abcdefgh":
        assert f"## ({key})" in report
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    assert len(figures) >= 15
    for name in figures:
        assert (out / name).stat().st_size > 0
    assert "## Final numbers" in report and "| h | CNN" in report
    # RBM rows: train recon, val recon, train log-lik, test log-lik
    num = r"-?[0-9]+\.[0-9]+"
    assert re.search(rf"\| a \| RBM-100 CD-1 \| 3 \| {num} \| {num} \| -{num[2:]} \| "
                     rf"-{num[2:]} \|", report)
    assert re.search(rf"\| g \| RBM-50 \| 3 \| {num} \| {num} \| -{num[2:]} \| -{num[2:]} \|",
                     report)
    g = _section(report, "g")
    assert "| hidden | RBM | AE | DAE | RBM train log-lik | RBM test log-lik" in g
    assert re.search(r"(Over-fitting: from|No sign of over-fitting: from|Only one RBM size)", g)
    assert "The best test log-likelihood is at" in g or "Only one RBM size" in g
    refs = report[report.index("## Reference points"):report.index("## Final numbers")]
    assert "about 77" in refs and "about 64" in refs
    assert re.search(r"RBM pretraining (beat|tied with|did worse than) random initialization",
                     refs)
    assert re.search(r"\| classifier, random init \|", report)
    assert len(re.findall(r"\| classifier, random init \|", report)) == 1   # (d), not (f)
    assert not list((out / "models" / "checkpoints").glob("*.npz"))       # all finished
    assert len(list((out / "sections").glob("*-quick-*.json"))) == 8
    assert len(list((out / "models").glob("*.loglik.json"))) == 2          # RBM-100, RBM-50

    # A rerun recomputes nothing (no experiment, training or log Z) and writes the same
    # report, its reuse noted on the time line.
    with monkeypatch.context() as m:
        _forbid_training_and_likelihoods(m)
        for key in E.EXPERIMENTS:
            m.setitem(E.EXPERIMENTS, key, _forbid(f"experiment ({key})"))
        assert main(["experiments", "digits", "--out", str(out), "--quick"]) == 0
    again = (out / "report.md").read_text()
    assert _without_time(again) == _without_time(report)
    assert "reused from an earlier run (OUT/sections): (a), (b), (c), (d), (e), (f), (g), (h)" \
        in again

    # An experiment interrupted after its models were trained and scored (its section
    # file is missing) is redone from the saved models and log-likelihoods.
    for f in (out / "sections").glob("g-quick-*.json"):
        f.unlink()
    with monkeypatch.context() as m:
        _forbid_training_and_likelihoods(m)
        assert main(["experiments", "digits", "--out", str(out), "--quick", "--only", "g"]) == 0
    assert _section((out / "report.md").read_text(), "g") == g

    model, = (out / "models").glob("rbm-h100-k1-quick-*.npz")
    stamp = model.stat().st_mtime_ns
    assert main(["experiments", "digits", "--out", str(out), "--quick", "--only", "ad"]) == 0
    assert model.stat().st_mtime_ns == stamp                 # loaded, not retrained
    report2 = (out / "report.md").read_text()
    assert "## (a)" in report2 and "## (b)" not in report2
    assert "| (a) not in this run |" not in report2 and "(e) not in this run" in report2

    # Another configuration does not reuse the quick run's results.
    fits, fit = [], ConvNet.fit

    def counted(self, *args, **kwargs):
        fits.append(1)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(ConvNet, "fit", counted)
    cfg = dataclasses.replace(E.study_config(quick=True), cnn_epochs=1)
    E.run_digits_study(out, config=cfg, only="h")
    assert fits == [1]
    assert "| h | CNN (k=5, s=1, 2 maps, p=2) | 1 |" in (out / "report.md").read_text()


def _tiny_split(n_per_class: int = 4):
    """A random stand-in for the MNIST split (784 pixels, 10 classes): the study's code
    paths in seconds, without MNIST."""
    from pgm.datasets import DigitSplit

    rng = np.random.default_rng(0)

    def part(n):
        y = np.repeat(np.arange(10), n)
        return (rng.random((10 * n, 784)) < 0.2).astype(np.float32), y

    (Xa, ya), (Xb, yb), (Xc, yc) = part(n_per_class), part(n_per_class), part(n_per_class)
    idx = np.arange(10 * n_per_class)
    return DigitSplit(Xa, ya, Xb, yb, Xc, yc, idx, idx, idx)


def test_interrupted_study_resumes_from_checkpoints(tmp_path, monkeypatch):
    """A study killed in the middle of a classifier's training resumes from that
    classifier's checkpoint, keeps the models already trained, and ends with the same
    numbers as an uninterrupted run."""
    from pgm.models.classifier import PretrainableClassifier
    from pgm.models.rbm import BernoulliRBM
    from pgm.models.studies import digits as E

    split = _tiny_split()
    cfg = E.StudyConfig(True, rbm_epochs=2, ae_epochs=1, clf_epochs=3, cnn_epochs=1,
                        hidden_sizes=(16, 100), gibbs_steps=5, n_chains=4, ais_runs=10,
                        ais_temperatures=50, likelihood_everywhere=False, batch_size=10)
    ref = E.run_digits_study(tmp_path / "ref", config=cfg, only="d", split=split).read_text()

    out = tmp_path / "cut"
    calls, orig = [], PretrainableClassifier.loss_and_grad

    def interrupted(self, X, y):      # 4 batches/epoch: stop in epoch 2 of the 2nd classifier
        calls.append(1)
        if len(calls) == 3 * 4 + 4 + 2:
            raise KeyboardInterrupt
        return orig(self, X, y)

    with monkeypatch.context() as m:
        m.setattr(PretrainableClassifier, "loss_and_grad", interrupted)
        with pytest.raises(KeyboardInterrupt):
            E.run_digits_study(out, config=cfg, only="d", split=split)
    ckpt, = (out / "models" / "checkpoints").glob("clf-rbm-*.npz")
    assert PretrainableClassifier.load(ckpt).epoch_ == 1
    assert not list((out / "sections").glob("*.json"))
    with monkeypatch.context() as m:
        m.setattr(BernoulliRBM, "fit", _forbid("BernoulliRBM.fit"))
        report = E.run_digits_study(out, config=cfg, only="d", split=split).read_text()
    assert _section(report, "d") == _section(ref, "d")
    assert not list((out / "models" / "checkpoints").glob("*.npz"))
    assert "40 training / 40 validation / 40 test digits (a caller's split)" in report


def test_overfitting_sentence_follows_the_numbers():
    from pgm.models.studies.digits import LogLikelihood, overfitting_sentence

    def ll(train, test):
        return LogLikelihood(train, test, 0.0, "exact")

    up = overfitting_sentence([(50, ll(-100, -104)), (100, ll(-95, -99)), (200, ll(-90, -101))])
    assert up.startswith("Over-fitting: from 50 to 200 hidden units")
    assert "from 4.00 to 11.00" in up and "rises (-100.00 to -90.00" in up
    assert "best test log-likelihood is at 100 hidden units (-99.00" in up
    # the study's full run: the gap widens and the training likelihood falls too
    both = overfitting_sentence([(50, ll(-134.63, -142.89)), (500, ll(-159.08, -212.32))])
    assert both.startswith("Over-fitting") and "falls as well (-134.63 to -159.08" in both
    flat = overfitting_sentence([(100, ll(-100, -102)), (50, ll(-110, -111.5))])
    assert flat.startswith("No sign of over-fitting: from 50 to 100 hidden units")
    assert "from 1.50 to 2.00" in flat and "at 100 hidden units" in flat
    assert overfitting_sentence([(100, ll(-1, -2))]).startswith("Only one")


def test_section_files_are_keyed_by_configuration(tmp_path):
    import dataclasses

    from pgm.models.studies import digits as E

    cfg = E.study_config(quick=True)
    data = [np.zeros((2, 3), np.float32), np.zeros(2, np.int64)] * 3
    ctx = E.StudyContext(tmp_path, cfg, *data)
    sec = E.Section("h", "(h) demo", ["line"], rows=[{"experiment": "h", "epochs": 2,
                                                     "val accuracy": float("nan")}])
    E.save_section(ctx, sec)
    back = E.load_section(ctx, "h")
    assert back.reused and back.lines == ["line"] and back.rows[0]["epochs"] == 2
    other = E.StudyContext(tmp_path, dataclasses.replace(cfg, ais_runs=7), *data)
    assert E.load_section(other, "h") is None
    assert E.load_section(E.StudyContext(tmp_path, E.study_config(), *data), "h") is None
    data2 = [np.ones((2, 3), np.float32)] + data[1:]
    assert E.load_section(E.StudyContext(tmp_path, cfg, *data2), "h") is None
    E.save_section(ctx, dataclasses.replace(sec, figures=["gone.png"]))
    assert E.load_section(ctx, "h") is None                    # a figure is missing
    E.section_path(ctx, "h").write_text("{not json")
    assert E.load_section(ctx, "h") is None


def test_experiments_cli_rejects_bad_only(tmp_path):
    from pgm.cli import main

    assert main(["experiments", "digits", "--out", str(tmp_path), "--only", "xz"]) == 2


def test_report_framework_contract(tmp_path):
    """One framework for the demo and the study: registration order, checks, reuse,
    saving, errors caught only when asked, figures through the one figure writer."""
    from pgm.models.studies.report import Registry, ReportContext, Section, run_sections

    reg = Registry()

    @reg.section("fig", "A figure")
    def fig_section(ctx):
        name = ctx.figure("f.png", lambda fig: fig.subplots().plot([0, 1]), dpi=50)
        ctx.check(True, "holds")
        return ctx.section(["line"], figures=[name])

    @reg.section("bad", "A failed claim")
    def bad_section(ctx):
        ctx.check(False, "does not hold")
        return Section("bad", "A failed claim (computed title)")

    @reg.section("boom", "Raises")
    def boom_section(ctx):
        raise RuntimeError("boom")

    assert list(reg) == ["fig", "bad", "boom"]
    ctx = ReportContext(out_dir=tmp_path)
    with pytest.raises(RuntimeError, match="boom"):
        run_sections(reg, ctx)
    ctx, kept, seen = ReportContext(out_dir=tmp_path), [], []
    secs = run_sections(reg, ctx, catch=True, keep=lambda c, s: kept.append(s.key),
                        echo=lambda s, status: seen.append((s.key, status)))
    assert [s.title for s in secs] == ["A figure", "A failed claim (computed title)", "Raises"]
    assert seen == [("fig", "ok"), ("bad", "FAILED"), ("boom", "FAILED")] and kept == ["fig"]
    assert ctx.failures[0] == "does not hold" and "boom" in ctx.failures[1]
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG" and ctx.files == [tmp_path / "f.png"]
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]
    # a section an earlier run finished is reused, not run
    secs = run_sections(reg, ReportContext(out_dir=tmp_path), only=["fig", "nope"],
                        reuse=lambda c, key: Section(key, "old", reused=True) if key == "fig"
                        else None)
    assert [s.key for s in secs] == ["fig"] and secs[0].reused
