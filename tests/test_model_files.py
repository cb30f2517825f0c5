"""Model files: the one ``.npz`` reader (:func:`pgm.files.read_npz_model`) against damaged
files (truncated, bytes changed, ``meta`` rewritten, arrays of the wrong dtype or shape),
through every model's loader, ``resume`` and the ``pgm rbm`` command; the study's cache
retraining a damaged model; a checkpoint with more epochs than asked for; the permissions
of atomically written files; a model ``.py`` that calls ``sys.exit``."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pgm.exceptions import ModelLoadError, ParameterError, PGMError
from pgm.files import atomic_write_text, check_npz_schema, read_npz_model, write_npz_model
from pgm.models.autoencoder import Autoencoder
from pgm.models.classifier import PretrainableClassifier
from pgm.models.convnet import ConvNet
from pgm.models.rbm import RBM, BernoulliRBM

RNG = np.random.default_rng(0)
X = (RNG.random((20, 6)) < 0.4).astype(np.float32)          # 6 features
Y = RNG.integers(0, 3, 20)
IMAGES = (RNG.random((12, 36)) < 0.4).astype(np.float32)    # 6x6 images


def _train(kind: str, checkpoint=None, n_epochs: int = 2, **kw):
    """A small fitted model of ``kind`` (two epochs, seed 0)."""
    if kind in ("rbm", "rbm-plain"):
        return BernoulliRBM(n_components=3, n_iter=n_epochs, batch_size=5, persistent=True,
                            random_state=0, checkpoint=checkpoint, **kw).fit(X)
    if kind == "autoencoder":
        return Autoencoder(3, n_epochs=n_epochs, batch_size=5, random_state=0,
                           checkpoint=checkpoint, **kw).fit(X)
    if kind == "classifier":
        return PretrainableClassifier(3, 3, n_epochs=n_epochs, batch_size=5, random_state=0,
                                      checkpoint=checkpoint, **kw).fit(X, Y)
    return ConvNet((6, 6), kernel=3, pool=2, n_maps=2, n_classes=3, n_epochs=n_epochs,
                   batch_size=4, random_state=0, checkpoint=checkpoint, **kw).fit(IMAGES, Y[:12])


KINDS = ("rbm", "rbm-plain", "autoencoder", "classifier", "convnet")
LOADERS = {"rbm": (RBM.load, BernoulliRBM.load), "rbm-plain": (RBM.load, BernoulliRBM.load),
           "autoencoder": (Autoencoder.load,), "classifier": (PretrainableClassifier.load,),
           "convnet": (ConvNet.load,)}


class Saved(dict):
    """``{kind: bytes of a saved model}`` that prints short (Hypothesis prints arguments)."""

    def __repr__(self) -> str:
        return f"<saved models {sorted(self)}>"


@pytest.fixture(scope="module")
def saved():
    """:class:`Saved` models and a folder for the damaged copies."""
    d = Path(tempfile.mkdtemp(prefix="pgm-model-files-"))
    out = Saved()
    for kind in KINDS:
        model = _train(kind)
        path = d / f"{kind}.npz"
        (model.rbm_ if kind == "rbm-plain" else model).save(path)
        out[kind] = path.read_bytes()
    return out, d


def _arrays_of(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**20) | st.floats() | st.text(max_size=6)
    | st.sampled_from(["float32", "float64", "pgm-rbm", "pgm-autoencoder", "relu", "random"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=6)

META_KEYS = ("format", "version", "seed", "epoch", "step", "dtype", "params", "history", "init",
             "image_shape", "kind", "n_features_in")
PARAM_KEYS = ("n_hidden", "n_components", "n_classes", "dtype", "kernel", "pool", "n_maps",
              "n_epochs", "n_iter", "batch_size", "learning_rate", "score_method", "momentum")

array_dtypes = st.sampled_from([np.float32, np.float64, np.float16, np.int64, np.uint8,
                                np.bool_, np.complex64, np.dtype("U3"), np.dtype("M8[s]")])


class Damaged(bytes):
    """Bytes of a damaged file that print as how they were damaged (not 50 kB of bytes)."""

    how = ""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes: {self.how}>"


def _damaged(data: bytes, how: str) -> Damaged:
    out = Damaged(data)
    out.how = how if len(how) < 300 else how[:300] + "..."
    return out


@st.composite
def damages(draw, data: bytes):
    """``data`` (a saved model) damaged one way or another (:class:`Damaged`)."""
    how = draw(st.sampled_from(["truncate", "bytes", "meta-key", "meta-param", "meta-whole",
                                "array-replace", "array-drop", "array-reshape"]))
    if how == "truncate":
        n = draw(st.integers(0, len(data) - 1))
        return _damaged(data[:n], f"cut to {n} bytes")
    if how == "bytes":
        out = bytearray(data)
        changes = draw(st.lists(st.tuples(st.integers(0, len(out) - 1), st.integers(0, 255)),
                                min_size=1, max_size=6))
        for i, v in changes:
            out[i] = v
        return _damaged(bytes(out), f"bytes (offset, new value) {changes}")
    arrays = _arrays_of(data)
    meta = json.loads(str(arrays["meta"]))
    if how == "meta-key":
        key = draw(st.sampled_from(META_KEYS))
        if draw(st.booleans()):
            meta[key] = value = draw(json_values)
            what = f"meta[{key!r}] = {value!r}"
        else:
            meta.pop(key, None)
            what = f"meta without {key!r}"
    elif how == "meta-param":
        if not isinstance(meta.get("params"), dict):
            meta["params"] = {}
        key = draw(st.sampled_from(PARAM_KEYS))
        meta["params"][key] = value = draw(json_values)
        what = f"meta['params'][{key!r}] = {value!r}"
    elif how == "meta-whole":
        if draw(st.booleans()):
            value = draw(json_values)
            arrays["meta"] = np.array(json.dumps(value))
        else:
            arrays["meta"] = value = draw(hnp.arrays(array_dtypes, hnp.array_shapes(min_dims=0)))
        return _damaged(_npz_bytes(arrays), f"meta replaced by {value!r}")
    else:
        names = sorted(k for k in arrays if k != "meta")
        name = draw(st.sampled_from(names))
        if how == "array-replace":
            arrays[name] = value = draw(hnp.arrays(
                array_dtypes, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)))
            what = f"{name} = {value!r}"
        elif how == "array-drop":
            del arrays[name]
            what = f"no {name}"
        else:
            a = arrays[name]
            i = draw(st.integers(0, 5))
            arrays[name] = [a.T, a[:-1], a.ravel(), a[..., None], np.concatenate([a, a]),
                            a.astype(np.int32)][i]
            what = f"{name} changed by way {i}"
    arrays["meta"] = np.array(json.dumps(meta, allow_nan=True))
    return _damaged(_npz_bytes(arrays), what)


def _check_valid(model) -> None:
    """A model that loaded must be usable: consistent, finite arrays that compute."""
    if isinstance(model, RBM):
        D, H = model.W.shape
        assert model.visible_bias.shape == (D,) and model.hidden_bias.shape == (H,)
        assert model.is_finite()
        assert np.isfinite(model.free_energy(np.zeros((2, D)))).all()
        return
    if isinstance(model, BernoulliRBM):
        _check_valid(model.rbm_)
        D = model.rbm_.n_visible
        assert model.transform(np.zeros((2, D))).shape == (2, model.rbm_.n_hidden)
        assert model.chains_ is None or model.chains_.shape == (model.batch_size, D)
    elif isinstance(model, Autoencoder):
        D = model.n_visible
        assert np.isfinite(model.reconstruction_error(np.zeros((2, D)))).all()
        model.loss_and_grad(np.zeros((2, D)))
    elif isinstance(model, ConvNet):
        model.loss_and_grad(np.zeros((2, model.n_features_in_)), [0, 1 % model.n_classes])
    else:
        D = model.n_features_in_
        model.loss_and_grad(np.zeros((2, D)), [0, 1 % model.n_classes])
    params = model._params() if isinstance(model, BernoulliRBM) else model.params
    assert [u.shape for u in model.velocity_] == [p.shape for p in params]
    assert isinstance(model.epoch_, int) and all(
        isinstance(x, float) for col in model.history_.values() for x in col)


def _examples(n: int) -> int:
    """``n`` examples under the suite's ``ci``/``dev`` profiles (derandomized there), the
    profile's own count under a larger one (``HYPOTHESIS_PROFILE=thorough``)."""
    default = settings.default.max_examples
    return min(n, default) if default <= 60 else default


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=_examples(40))          # x5 kinds
@given(data=st.data())
def test_a_damaged_model_file_loads_valid_or_raises_model_load_error(saved, kind, data):
    files, d = saved
    path = d / f"damaged-{kind}.npz"
    path.write_bytes(data.draw(damages(files[kind]), label="damaged file"))
    for load in LOADERS[kind]:
        try:
            model = load(path)
        except ModelLoadError as exc:
            assert str(path) in str(exc)
            continue
        _check_valid(model)


@pytest.mark.parametrize("kind", ("rbm", "autoencoder"))
@settings(max_examples=_examples(20))
@given(data=st.data())
def test_resuming_from_a_damaged_checkpoint_trains_or_raises_a_pgm_error(saved, kind, data):
    files, d = saved
    path = d / f"ckpt-{kind}.npz"
    path.write_bytes(data.draw(damages(files[kind]), label="damaged checkpoint"))
    try:
        model = _train(kind, checkpoint=path, n_epochs=3, resume=True)
    except PGMError:     # ModelLoadError, or a checkpoint of another run (rewritten meta)
        return
    assert model.epoch_ == 3


def test_undamaged_files_load_and_keep_their_arrays(saved):
    files, d = saved
    for kind in KINDS:
        path = d / f"intact-{kind}.npz"
        path.write_bytes(files[kind])
        for load in LOADERS[kind]:
            _check_valid(load(path))


# --------------------------------------------------------------- the reader itself
def _file(tmp_path, arrays, meta=None, name="m.npz"):
    meta = {"format": "demo", "version": 1} if meta is None else meta
    return write_npz_model(tmp_path / name, arrays, meta)


SCHEMA = {"W": (np.floating, ("D", "H")), "b": (np.floating, ("D",)),
          "c": (np.floating, ("H",)), "velocity_W": (np.floating, ("D", "H"))}


@pytest.mark.parametrize("meta, match", [
    ([1, 2], "not a JSON object"),
    ("demo", "not a JSON object"),
    ({"format": "demo"}, "version None, not a non-negative integer"),
    ({"format": "demo", "version": "1"}, "version '1'"),
    ({"format": "demo", "version": 1.0}, "version 1.0"),
    ({"format": "demo", "version": True}, "version True"),
    ({"format": "demo", "version": -1}, "version -1"),
    ({"format": "demo", "version": 2}, "newer than this pgm"),
    ({"format": ["demo"], "version": 1}, "a format of type list"),
    ({"version": 1}, "no format"),
    ({"format": "other", "version": 1}, "format 'other'"),
])
def test_the_reader_checks_the_meta(tmp_path, meta, match):
    p = _file(tmp_path, {"W": np.eye(2)}, meta)
    with pytest.raises(ModelLoadError, match=match) as info:
        read_npz_model(p, "demo", ("W",), version=1)
    assert str(p) in str(info.value)


def test_the_reader_refuses_meta_that_is_not_a_json_string(tmp_path):
    for meta in (np.array(3.0), np.array(["{}", "{}"]), np.array("{not json"),
                 np.array("[" * 100000)):
        p = tmp_path / "m.npz"
        np.savez(p, W=np.eye(2), meta=meta)
        with pytest.raises(ModelLoadError, match="no readable 'meta'"):
            read_npz_model(p, "demo", ("W",), version=1)
    np.savez(p, W=np.eye(2))
    with pytest.raises(ModelLoadError, match="no readable 'meta'"):
        read_npz_model(p, "demo", ("W",), version=1)


@pytest.mark.parametrize("arrays, match", [
    ({"W": np.ones((2, 3), np.int64), "b": np.ones(2), "c": np.ones(3)},
     "'W' has dtype int64, expected a floating-point array"),
    ({"W": np.ones(6), "b": np.ones(2), "c": np.ones(3)}, "expected 2 dimensions"),
    ({"W": np.ones((2, 3)), "b": np.ones(3), "c": np.ones(3)},
     r"'b' has shape \(3,\), expected \(D,\) with D=2 \(from 'W'\)"),
    ({"W": np.ones((2, 3)), "b": np.ones(2), "c": np.ones(3), "velocity_W": np.ones((3, 2))},
     "'velocity_W' has shape"),
    ({"W": np.ones((0, 3)), "b": np.ones(0), "c": np.ones(3)}, "D at least 1"),
    ({"W": np.full((2, 3), np.nan), "b": np.ones(2), "c": np.ones(3)}, "NaN or infinite"),
    ({"W": np.array([["a", "b"]]), "b": np.ones(1), "c": np.ones(2)}, "dtype <U1"),
    ({"W": np.ones((2, 3)), "c": np.ones(3)}, "lacks the array 'b'"),
])
def test_the_reader_checks_dtypes_and_shapes(tmp_path, arrays, match):
    p = _file(tmp_path, arrays)
    with pytest.raises(ModelLoadError, match=match) as info:
        read_npz_model(p, "demo", ("W", "b", "c"), version=1, schema=SCHEMA)
    assert str(p) in str(info.value)


def test_the_reader_accepts_a_good_file_and_optional_arrays(tmp_path):
    p = _file(tmp_path, {"W": np.ones((2, 3), np.float32), "b": np.ones(2), "c": np.ones(3)})
    arrays, meta = read_npz_model(p, "demo", ("W", "b", "c"), version=1, schema=SCHEMA)
    assert arrays["W"].dtype == np.float32 and meta == {"format": "demo", "version": 1}
    f = np.asfortranarray(np.arange(6.0).reshape(2, 3))       # Fortran order reads back
    p = _file(tmp_path, {"W": f, "b": np.ones(2), "c": np.ones(3)}, name="f.npz")
    assert np.array_equal(read_npz_model(p, "demo", ("W",), version=1)[0]["W"], f)
    assert check_npz_schema({"K": np.ones((4, 2))}, {"K": (np.floating, (4, None))}, "x") == {}
    with pytest.raises(ModelLoadError, match=r"expected \(5, any\)"):
        check_npz_schema({"K": np.ones((4, 2))}, {"K": (np.floating, (5, None))}, "x")


def test_the_reader_refuses_damaged_containers(tmp_path):
    good = _file(tmp_path, {"W": np.ones((20, 30))}).read_bytes()
    p = tmp_path / "d.npz"
    cases = {"empty": b"", "text": b"hello", "truncated": good[:len(good) // 2],
             "tail cut": good[:-10],
             "data changed": good[:200] + bytes([good[200] ^ 0xFF]) + good[201:]}
    for what, data in cases.items():
        p.write_bytes(data)
        with pytest.raises(ModelLoadError, match="cannot read demo file") as info:
            read_npz_model(p, "demo", ("W",), version=1)
        assert str(p) in str(info.value), what
    d = tmp_path / "dir.npz"
    d.mkdir()
    with pytest.raises(ModelLoadError, match="cannot read"):
        read_npz_model(d, "demo", ("W",), version=1)
    with pytest.raises(ModelLoadError, match="not found"):
        read_npz_model(tmp_path / "missing.npz", "demo", ("W",), version=1)


def _npy(a: np.ndarray, shape: tuple | None = None) -> bytes:
    """``a`` as ``.npy`` bytes, its header claiming ``shape`` (default its own)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": np.lib.format.dtype_to_descr(a.dtype),
                                               "fortran_order": False,
                                               "shape": a.shape if shape is None else shape})
    buf.write(np.ascontiguousarray(a).tobytes())
    return buf.getvalue()


@pytest.mark.parametrize("shape", [(10**13,), (90, 30), (2**40, 2**40), (-1, 4)])
def test_an_array_header_cannot_ask_for_more_than_the_file_holds(tmp_path, shape):
    """A header whose shape was changed must not allocate what it claims."""
    p = tmp_path / "h.npz"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("W.npy", _npy(np.ones((20, 30)), shape))
        zf.writestr("meta.npy", _npy(np.array(json.dumps({"format": "demo", "version": 1}))))
    with pytest.raises(ModelLoadError, match="more than the file holds|invalid shape") as info:
        read_npz_model(p, "demo", ("W",), version=1)
    assert str(p) in str(info.value)
    with zipfile.ZipFile(p, "w") as zf:                 # the same, well formed, reads
        zf.writestr("W.npy", _npy(np.ones((20, 30))))
        zf.writestr("meta.npy", _npy(np.array(json.dumps({"format": "demo", "version": 1}))))
    assert read_npz_model(p, "demo", ("W",), version=1)[0]["W"].shape == (20, 30)


def test_the_reader_refuses_members_that_are_not_arrays(tmp_path):
    p = tmp_path / "x.npz"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("W.npy", _npy(np.ones(2)))
        zf.writestr("notes.txt", "hello")
    with pytest.raises(ModelLoadError, match="'notes.txt', which is not an array"):
        read_npz_model(p, "demo", ("W",), version=1)
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("W.npy", b"not an npy file at all")
    with pytest.raises(ModelLoadError, match="cannot read"):
        read_npz_model(p, "demo", ("W",), version=1)
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("W.npy", _npy(np.array([1, 2], dtype=object)[:0].astype("i8")))
        zf.writestr("O.npy", _npy_object())
    with pytest.raises(ModelLoadError, match="unsupported dtype|cannot read"):
        read_npz_model(p, "demo", ("W",), version=1)


def _npy_object() -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|O", "fortran_order": False,
                                               "shape": (1,)})
    buf.write(b"\x80\x04N.")                            # a pickle; never unpickled
    return buf.getvalue()


# ------------------------------------------------------------ models: consistency
def test_model_loaders_check_shapes_against_hyperparameters(tmp_path, saved):
    files, _ = saved
    arrays = _arrays_of(files["autoencoder"])
    meta = json.loads(str(arrays["meta"]))
    meta["params"]["n_hidden"] = 4
    arrays["meta"] = np.array(json.dumps(meta))
    p = tmp_path / "ae.npz"
    p.write_bytes(_npz_bytes(arrays))
    with pytest.raises(ModelLoadError, match="n_hidden is 4"):
        Autoencoder.load(p)
    arrays = _arrays_of(files["rbm"])
    meta = json.loads(str(arrays["meta"]))
    meta["params"]["n_components"] = 5
    arrays["meta"] = np.array(json.dumps(meta))
    p.write_bytes(_npz_bytes(arrays))
    with pytest.raises(ModelLoadError, match="n_components is 5"):
        BernoulliRBM.load(p)
    RBM.load(p)                                         # the plain parameters are fine
    meta["params"]["n_components"] = 3
    meta["params"]["dtype"] = "int8"
    arrays["meta"] = np.array(json.dumps(meta))
    p.write_bytes(_npz_bytes(arrays))
    with pytest.raises(ModelLoadError, match="hyperparameters are invalid: dtype"):
        BernoulliRBM.load(p)
    arrays = _arrays_of(files["rbm"])
    arrays["velocity_hidden_bias"] = np.zeros(4, np.float32)
    p.write_bytes(_npz_bytes(arrays))
    with pytest.raises(ModelLoadError, match="velocity_hidden_bias"):
        BernoulliRBM.load(p)
    arrays = _arrays_of(files["rbm"])
    arrays["W"] = arrays["W"].astype(np.float64) * 1e300
    p.write_bytes(_npz_bytes(arrays))
    with pytest.raises(ModelLoadError, match="does not fit in float32"):
        RBM.load(p)


# ------------------------------------------------------------------ the command line
def _damaged_copy(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """``pgm rbm train`` on the digits for 2 epochs: its output folder."""
    from pgm.cli import main

    out = tmp_path_factory.mktemp("rbm-run")
    assert main(["rbm", "train", "--data", "digits", "--hidden", "4", "--epochs", "2",
                 "--batch-size", "50", "--out", str(out), "--quiet", "--seed", "0"]) == 0
    return out


@pytest.mark.parametrize("damage", ["truncate", "meta", "shape"])
@pytest.mark.parametrize("action", ["score", "sample"])
def test_cli_score_and_sample_of_a_damaged_model_exit_2_with_one_line(
        tmp_path, capsys, digits_run, damage, action):
    capsys.readouterr()
    model = tmp_path / "model.npz"
    if damage == "truncate":
        _damaged_copy(digits_run / "model.npz", model)
    else:
        arrays = _arrays_of((digits_run / "model.npz").read_bytes())
        if damage == "meta":
            arrays["meta"] = np.array('{"format": "pgm-rbm", "version": "one"}')
        else:
            arrays["hidden_bias"] = np.zeros(7, np.float32)
        model.write_bytes(_npz_bytes(arrays))
    extra = (["--data", "digits"] if action == "score" else
             ["--chains", "2", "--steps", "2", "-o", str(tmp_path / "s.png")])
    code, out, err = run_cli(capsys, "rbm", action, str(model), *extra)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "ModelLoadError" in err and str(model) in err
    assert "Traceback" not in err


def test_cli_train_resume_from_a_damaged_checkpoint_exits_2(tmp_path, capsys, digits_run):
    out = tmp_path / "run"
    out.mkdir()
    _damaged_copy(digits_run / "checkpoint.npz", out / "checkpoint.npz")
    capsys.readouterr()
    code, _, err = run_cli(capsys, "rbm", "train", "--data", "digits", "--hidden", "4",
                           "--epochs", "3", "--batch-size", "50", "--out", str(out), "--quiet",
                           "--seed", "0", "--resume")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "ModelLoadError" in err
    assert "checkpoint.npz" in err and not (out / "model.npz").exists()


def test_cli_resume_with_fewer_epochs_than_the_checkpoint_is_refused(tmp_path, capsys,
                                                                       digits_run):
    out = tmp_path / "run"
    out.mkdir()
    (out / "checkpoint.npz").write_bytes((digits_run / "checkpoint.npz").read_bytes())
    capsys.readouterr()
    code, _, err = run_cli(capsys, "rbm", "train", "--data", "digits", "--hidden", "4",
                           "--epochs", "1", "--batch-size", "50", "--out", str(out), "--quiet",
                           "--seed", "0", "--resume")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "ParameterError" in err and "has 2 epochs, more than n_iter=1" in err
    assert not (out / "model.npz").exists()


# ------------------------------------------------------------ resume: too many epochs
@pytest.mark.parametrize("kind", ["rbm", "autoencoder", "classifier", "convnet"])
def test_resume_refuses_a_checkpoint_with_more_epochs_than_asked(tmp_path, kind):
    ckpt = tmp_path / "ckpt.npz"
    full = _train(kind, checkpoint=ckpt, n_epochs=3)
    name = "n_iter" if kind == "rbm" else "n_epochs"
    with pytest.raises(ParameterError, match=f"has 3 epochs, more than {name}=2"):
        _train(kind, checkpoint=ckpt, n_epochs=2, resume=True)
    again = _train(kind, checkpoint=ckpt, n_epochs=3, resume=True)      # as many: no training
    assert again.epoch_ == 3
    np.testing.assert_equal(again.history_, full.history_)


# --------------------------------------------------------------- the study's cache
def _study_context(out: Path):
    from pgm.models.studies import digits as E

    cfg = E.StudyConfig(True, rbm_epochs=1, ae_epochs=1, clf_epochs=1, cnn_epochs=1,
                        hidden_sizes=(4,), gibbs_steps=2, n_chains=2, ais_runs=2,
                        ais_temperatures=10, likelihood_everywhere=False, batch_size=10)
    lines: list[str] = []
    ctx = E.StudyContext(out, cfg, X, Y, X, Y, X, Y, log=lines.append)
    return E, ctx, lines


@pytest.mark.parametrize("which", ["ae", "rbm"])
def test_the_study_retrains_a_damaged_cached_model(tmp_path, which):
    E, ctx, lines = _study_context(tmp_path)
    make = (lambda c: E._ae(c, n_hidden=4)) if which == "ae" else (lambda c: E._rbm(c, 4))
    first = make(ctx)
    path, = (tmp_path / "models").glob("*.npz")
    assert lines == []
    for damage in (lambda b: b[: len(b) // 3], lambda b: b"junk", lambda b: b[:-1]):
        path.write_bytes(damage(path.read_bytes()))
        E2, ctx2, lines2 = _study_context(tmp_path)
        again = make(ctx2)
        assert len(lines2) == 1 and "cannot be read" in lines2[0] and "training it again" in \
            lines2[0] and "\n" not in lines2[0]
        assert ctx2.summary == lines2
        assert np.array_equal(again.W if which == "ae" else again.components_,
                              first.W if which == "ae" else first.components_)
        type(first).load(path)                             # rewritten, readable
    _, ctx3, lines3 = _study_context(tmp_path)
    make(ctx3)
    assert lines3 == []                                    # a good cache is just loaded


def test_the_study_restarts_training_from_a_damaged_checkpoint(tmp_path):
    E, ctx, lines = _study_context(tmp_path)
    first = E._ae(ctx, n_hidden=4)
    key = ctx.keys[id(first)]
    (tmp_path / "models" / f"{key}.npz").unlink()
    ckpt = tmp_path / "models" / "checkpoints" / f"{key}.npz"
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    ckpt.write_bytes(b"PK\x03\x04 damaged")
    _, ctx2, lines2 = _study_context(tmp_path)
    again = E._ae(ctx2, n_hidden=4)
    assert len(lines2) == 1 and "checkpoint" in lines2[0] and "from the start" in lines2[0]
    assert np.array_equal(again.W, first.W) and not ckpt.exists()


def test_a_study_run_retrains_damaged_cached_models_and_says_so(tmp_path):
    """Section (e) of the study on a tiny stand-in split: a rerun whose cached autoencoder
    and classifier files were damaged retrains them (one note each) and reports the same."""
    from test_study import _section, _tiny_split

    from pgm.models.studies import digits as E

    split = _tiny_split()
    cfg = E.StudyConfig(True, rbm_epochs=1, ae_epochs=1, clf_epochs=1, cnn_epochs=1,
                        hidden_sizes=(16,), gibbs_steps=5, n_chains=4, ais_runs=10,
                        ais_temperatures=50, likelihood_everywhere=False, batch_size=10)
    ref = E.run_digits_study(tmp_path, config=cfg, only="e", split=split).read_text()
    models = sorted((tmp_path / "models").glob("*.npz"))
    assert len(models) == 2                            # the autoencoder and the classifier
    for path in models:
        path.write_bytes(path.read_bytes()[:-7])
    for f in (tmp_path / "sections").glob("*.json"):   # else the finished section is reused
        f.unlink()
    notes: list[str] = []
    again = E.run_digits_study(tmp_path, config=cfg, only="e", split=split,
                               log=notes.append).read_text()
    retrained = [n for n in notes if "cannot be read" in n]
    assert len(retrained) == 2 and all("training it again" in n for n in retrained)
    assert _section(again, "e") == _section(ref, "e")


# ------------------------------------------------------------------- permissions
@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_atomic_writes_keep_the_permissions_of_a_plain_open(tmp_path, umask):
    old = os.umask(umask)
    try:
        plain = tmp_path / "plain.txt"
        plain.write_text("x")
        expected = stat.S_IMODE(plain.stat().st_mode)
        assert expected == 0o666 & ~umask
        for path in (atomic_write_text(tmp_path / "a.txt", "x"),
                     write_npz_model(tmp_path / "m.npz", {"W": np.eye(2)},
                                     {"format": "demo", "version": 1})):
            assert stat.S_IMODE(path.stat().st_mode) == expected, oct(path.stat().st_mode)
        # replacing a file keeps its mode, as open(path, "w") would
        target = tmp_path / "kept.txt"
        target.write_text("old")
        target.chmod(0o640)
        atomic_write_text(target, "new")
        assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_text() == "new"
    finally:
        os.umask(old)
    assert not list(tmp_path.glob(".*tmp*"))


# ------------------------------------------------------------- a .py that exits
@pytest.mark.parametrize("code, shown", [("3", "sys.exit(3)"), ("", "sys.exit()"),
                                         ("'bye'", "sys.exit('bye')")])
def test_a_model_file_that_exits_is_a_load_error(tmp_path, capsys, code, shown):
    from pgm.io import load_model

    p = tmp_path / "exits.py"
    p.write_text(f"import sys\nsys.exit({code})\n")
    with pytest.raises(ModelLoadError, match=re.escape(f"called {shown}")):
        load_model(p)
    status, out, err = run_cli(capsys, "check", str(p))
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "ModelLoadError" in err and shown in err
