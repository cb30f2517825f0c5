"""The study's MNIST split: class counts, determinism, disjointness, scaling."""

from __future__ import annotations

import numpy as np
import pytest

from pgm.study import binarize, digits_split


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
    b = binarize(np.array([[0.0, 0.49, 0.5, 1.0]]))
    assert b.tolist() == [[0.0, 0.0, 1.0, 1.0]] and b.dtype == np.float32


def test_quick_digits_study_end_to_end(split, tmp_path, capsys):
    """``pgm experiments digits --quick``: every section and figure, numbers from the run,
    and a rerun resumes from the saved models instead of retraining."""
    import re

    from pgm.cli import main

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
    assert re.search(r"\| a \| RBM-100 CD-1 \| 3 \| [0-9.]+ \| [0-9.]+ \| -[0-9.]+ \|", report)
    model = out / "models" / "rbm-h100-k1-quick.npz"
    stamp = model.stat().st_mtime_ns
    assert main(["experiments", "digits", "--out", str(out), "--quick", "--only", "ad"]) == 0
    assert model.stat().st_mtime_ns == stamp                 # loaded, not retrained
    report2 = (out / "report.md").read_text()
    assert "## (a)" in report2 and "## (b)" not in report2


def test_experiments_cli_rejects_bad_only(tmp_path):
    from pgm.cli import main

    assert main(["experiments", "digits", "--out", str(tmp_path), "--only", "xz"]) == 2
