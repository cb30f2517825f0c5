"""The digit-modelling study (seed Problem 5): experiments (a)-(h) and their report.

Each experiment is a section of the one report framework
(:mod:`pgm.models.studies.report`): a function ``experiment_x(ctx) -> Section``,
registered in :data:`EXPERIMENTS`, that trains what it needs, writes its PNG figures to
``OUT`` (through ``ctx.figure``, the toolkit's one figure writer) and returns Markdown
lines plus rows of final numbers.  :func:`run_digits_study` runs them all and writes
``OUT/report.md`` (figures inlined by relative path, reference points, one table of
final numbers); every number in it comes from a run of this code, none is hand-entered.

Resuming: everything a rerun can reuse is written atomically (:mod:`pgm.files`) and
keyed by the settings that produced it, so an interrupted run continues where it
stopped and a rerun with other settings (quick vs full, any field of
:class:`StudyConfig`, another data split) never picks up stale results:

* ``OUT/sections/<key>-<mode>-<digest>.json``: a finished experiment (its Markdown
  lines, table rows, figure names and seconds) plus the configuration and data digest
  it was computed with (checked on reading); a rerun skips it and still writes the
  full report.
* ``OUT/models/<name>-<mode>-<digest>.npz``: trained models (the digest covers their
  hyperparameters and the data); ``OUT/models/checkpoints/``: the same models
  mid-training, rewritten after every epoch, from which an interrupted training
  resumes (bit-identical to an uninterrupted one).
* ``OUT/models/<model>.loglik.json``: an RBM's ``log Z`` and its training and test
  log-likelihoods (with the AIS settings they came from), so AIS is never redone for a
  model already scored.

Experiments run one after another: each already keeps both cores of a 2-core machine
busy through BLAS (the full run, about 4 minutes, uses 1.76 cores on average), and two
BLAS-bound processes sharing two cores slowed each other several-fold when tried, so
running experiments side by side would gain at most about 10% there.

Data: the split of :func:`pgm.datasets.digits_split`, binarized at 0.5 by
:func:`pgm.datasets.binarize` (strictly above 0.5 is ink; all models see
the same binary digits).  Reconstruction errors are cross-entropies in nats per image
(mean-field reconstructions for the RBMs); log-likelihoods are nats per image, on the
test and on the training digits with the same ``log Z`` (exact for at most 20 hidden
units, else AIS).

Examples
--------
>>> path = run_digits_study("study-out", quick=True)     # doctest: +SKIP
>>> path.name                                            # doctest: +SKIP
'report.md'
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pgm.exceptions import EstimateWarning, ModelLoadError, ParameterError
from pgm.files import atomic_write_text
from pgm.models.studies.report import Registry, ReportContext, Section, run_sections

__all__ = ["StudyConfig", "StudyContext", "Section", "LogLikelihood", "EXPERIMENTS",
           "REFERENCES", "TABLE_COLUMNS", "run_digits_study", "study_config", "render_report",
           "reference_lines", "section_path", "load_section", "save_section",
           "overfitting_sentence", "versus_reference", "pretraining_verdict", "experiment_a",
           "experiment_b", "experiment_c", "experiment_d", "experiment_e", "experiment_f",
           "experiment_g", "experiment_h"]

#: columns of the final-numbers table
TABLE_COLUMNS = ("experiment", "model", "epochs", "train recon", "val recon",
                 "train log-lik", "test log-lik", "val accuracy", "val cross-entropy",
                 "test accuracy")

#: version of the files in ``OUT/sections`` (a change invalidates them)
SECTION_FORMAT = 3

#: version of the ``OUT/models/*.loglik.json`` files (2: with AIS reliability)
LOGLIK_FORMAT = 2

#: published validation cross-entropies (nats/image) of this study, after many epochs
REFERENCES = {"RBM-100": 77.0, "AE-100": 64.0}

#: relative distance to a reference still called "in its range" ("about 77")
REFERENCE_TOLERANCE = 0.05

#: exact log Z up to this many units in the smaller layer, AIS above
EXACT_UNITS = 20

#: resolution of the study's figures
FIGURE_DPI = 90

#: the experiments in report order (``{letter: experiment}``; each registers itself)
EXPERIMENTS = Registry()


@dataclass(frozen=True)
class StudyConfig:
    """Sizes of the study (see :func:`study_config`).

    Every field enters the key of the saved sections, so changing one makes a rerun
    recompute the experiments (models are keyed by their own hyperparameters only).
    ``likelihood_everywhere``: also score the CD-k RBMs of (b) with k > 1 (the RBM of
    (a) and every size of (g) are always scored).

    Examples
    --------
    >>> StudyConfig(True, rbm_epochs=1, ae_epochs=1, clf_epochs=1, cnn_epochs=1).tag
    'quick'
    """

    quick: bool
    rbm_epochs: int
    ae_epochs: int
    clf_epochs: int
    cnn_epochs: int
    cd_ks: tuple[int, ...] = (1, 5, 10, 20)
    hidden_sizes: tuple[int, ...] = (50, 100, 200, 500)
    gibbs_steps: int = 1000
    n_chains: int = 100
    ais_runs: int = 100
    ais_temperatures: int = 10000
    likelihood_everywhere: bool = True
    learning_rate: float = 0.1
    batch_size: int = 20
    seed: int = 0

    @property
    def tag(self) -> str:
        return "quick" if self.quick else "full"


def study_config(quick: bool = False) -> StudyConfig:
    """Full settings, or ``quick`` ones (few epochs, two hidden sizes, short chains: the
    whole quick study takes about 40 s on two CPU cores, 35 s measured).

    Examples
    --------
    >>> study_config(quick=True).hidden_sizes
    (50, 100)
    """
    if quick:
        return StudyConfig(True, rbm_epochs=3, ae_epochs=3, clf_epochs=3, cnn_epochs=2,
                           hidden_sizes=(50, 100), gibbs_steps=100, ais_runs=50,
                           ais_temperatures=500, likelihood_everywhere=False)
    return StudyConfig(False, rbm_epochs=50, ae_epochs=50, clf_epochs=50, cnn_epochs=30)


@dataclass(frozen=True)
class LogLikelihood:
    """Mean log-likelihood (nats/image) of an RBM on the training and the test digits,
    both with the same ``log_z``; ``how``: exact or the AIS settings; for AIS,
    ``reliable`` and ``effective_runs`` of :class:`~pgm.models.rbm_likelihood.AISResult`.

    Examples
    --------
    >>> print(LogLikelihood(-90.0, -95.0, 300.0, "AIS (100 runs)", False, 3.2).describe())
    ... # doctest: +NORMALIZE_WHITESPACE
    AIS (100 runs; one schedule, not run to convergence); unreliable: 3.2 effective runs,
    so the log-likelihoods may be too high
    >>> LogLikelihood(-90.0, -95.0, 300.0, "AIS (100 runs)", True, 30.0).describe()
    'AIS (100 runs; one schedule, not run to convergence), 30.0 effective runs'
    """

    train: float
    test: float
    log_z: float
    how: str
    reliable: bool = True
    effective_runs: float = math.nan

    def describe(self) -> str:
        """How ``log_z`` was obtained: for AIS the effective runs, that it ran one schedule
        (``pgm rbm score --converge`` runs the convergence protocol), and a warning when
        it was unreliable."""
        how = self.how
        if how.startswith("AIS"):
            how = how[:-1] + "; one schedule, not run to convergence)" if how.endswith(")") \
                else how + " (one schedule, not run to convergence)"
        if self.reliable:
            return how if math.isnan(self.effective_runs) else \
                f"{how}, {self.effective_runs:.1f} effective runs"
        return (f"{how}; unreliable: {self.effective_runs:.1f} effective runs, so the "
                "log-likelihoods may be too high")

    @property
    def gap(self) -> float:
        """``train - test``: how much better the model fits the digits it was trained on."""
        return self.train - self.test


@dataclass
class StudyContext(ReportContext):
    """Data, settings, output folder and the models trained so far (shared by experiments):
    the study's :class:`~pgm.models.studies.report.ReportContext` (``out_dir`` is ``out``,
    ``quick`` is ``cfg.quick``).

    ``models`` maps a model's key (its file name in ``OUT/models`` without ``.npz``)
    to the model; ``keys`` maps ``id(model)`` back to that key; ``data_digest``
    identifies the data (it enters every key).
    """

    out: Path
    cfg: StudyConfig
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    models: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    data_digest: str = ""
    log: Callable[[str], None] | None = None

    def say(self, line: str) -> None:
        """A one-line note: into the console summary and, when set, to :attr:`log`."""
        self.note(line)
        if self.log is not None:
            self.log(line)

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        self.out_dir = self.out
        self.quick = self.cfg.quick
        if not self.data_digest:
            self.data_digest = _array_digest(self.X_train, self.y_train, self.X_val,
                                             self.y_val, self.X_test, self.y_test)

    @classmethod
    def from_split(cls, out: str | os.PathLike, cfg: StudyConfig, split=None) -> StudyContext:
        """Binarized data of ``split`` (default :func:`pgm.datasets.digits_split`)."""
        from pgm.datasets import binarize, digits_split

        s = digits_split() if split is None else split
        return cls(Path(out), cfg, binarize(s.X_train), s.y_train, binarize(s.X_val), s.y_val,
                   binarize(s.X_test), s.y_test)


# ------------------------------------------------------------------ keys and files
def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def _jsonable(obj: Any) -> Any:
    """``obj`` as it reads back from JSON (tuples become lists), for comparisons."""
    return json.loads(json.dumps(obj, default=_json_default))


def _digest(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, default=_json_default)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _array_digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()[:12]


def _read_json(path: Path) -> dict | None:
    """The JSON object in ``path``; None when it is missing or unreadable (then redone)."""
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None


def _write_json(path: Path, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=1, default=_json_default) + "\n")


def _fingerprint(ctx: StudyContext) -> dict:
    """What a section's results depend on: the file format, the whole config, the data."""
    return _jsonable({"format": SECTION_FORMAT, "config": dataclasses.asdict(ctx.cfg),
                      "data": ctx.data_digest})


def section_path(ctx: StudyContext, key: str) -> Path:
    """``OUT/sections/<key>-<mode>-<digest of the fingerprint>.json``."""
    return ctx.out / "sections" / f"{key}-{ctx.cfg.tag}-{_digest(_fingerprint(ctx))}.json"


_SECTION_FIELDS = ("key", "title", "lines", "figures", "rows", "seconds")


def save_section(ctx: StudyContext, sec: Section) -> Path:
    """Write a finished experiment to :func:`section_path` (atomically), with the
    configuration and data digest it was computed with."""
    return _write_json(section_path(ctx, sec.key),
                       {"fingerprint": _fingerprint(ctx),
                        "section": {k: getattr(sec, k) for k in _SECTION_FIELDS}})


def load_section(ctx: StudyContext, key: str) -> Section | None:
    """The experiment ``key`` as an earlier run with the same configuration and data
    finished it, or None (no such file, another configuration, an unreadable file, or a
    figure that is gone): then it must be computed.

    Examples
    --------
    >>> import tempfile
    >>> ctx = StudyContext(Path(tempfile.mkdtemp()), study_config(True), *[np.zeros(1)] * 6)
    >>> load_section(ctx, "a") is None
    True
    >>> _ = save_section(ctx, Section("a", "(a) demo", ["text"], rows=[{"epochs": 3}]))
    >>> load_section(ctx, "a").lines
    ['text']
    """
    stored = _read_json(section_path(ctx, key))
    if stored is None or stored.get("fingerprint") != _fingerprint(ctx):
        return None
    d = stored.get("section")
    if not isinstance(d, dict) or set(d) != set(_SECTION_FIELDS) or d["key"] != key:
        return None
    sec = Section(**d, reused=True)
    if not all((ctx.out / f).is_file() for f in sec.figures):
        return None
    return sec


# ------------------------------------------------------------------ figures
def _curves(ctx: StudyContext, name: str, series: list[tuple[str, list, str]], ylabel: str,
            title: str = "") -> str:
    def draw(fig):
        ax = fig.subplots()
        for label, ys, style in series:
            ax.plot(np.arange(1, len(ys) + 1), ys, style, label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title)
        ax.legend(fontsize=8)
    return ctx.figure(name, draw, dpi=FIGURE_DPI)


def _tiles(ctx: StudyContext, name: str, picture: np.ndarray) -> str:
    from pgm.models.tiles import save_tiles

    return ctx.add_file(save_tiles(ctx.out / name, picture)).name


# ------------------------------------------------------------------ models
def _model_key(ctx: StudyContext, name: str, hyper: dict) -> str:
    """``<name>-<mode>-<digest of the hyperparameters and the data>``."""
    return f"{name}-{ctx.cfg.tag}-{_digest({'hyper': hyper, 'data': ctx.data_digest})}"


def _cached(ctx: StudyContext, key: str, train: Callable[[Path], Any],
            load: Callable[[Path], Any]):
    """The model ``key`` from memory, from ``OUT/models`` (an earlier run), or trained.

    ``train(checkpoint)`` trains with a per-epoch checkpoint in ``OUT/models/checkpoints``
    and resumes from it when an interrupted run left one; the finished model is saved
    to ``OUT/models/<key>.npz`` and the checkpoint removed.  A saved model or a
    checkpoint that cannot be read (:class:`~pgm.exceptions.ModelLoadError`: damaged,
    truncated, another format) is set aside with a one-line note and the model trained
    again.
    """
    if key in ctx.models:
        return ctx.models[key]
    path = ctx.out / "models" / f"{key}.npz"
    model = None
    if path.exists():
        try:
            model = load(path)
        except ModelLoadError as exc:   # a damaged file: train again
            ctx.say(f"the saved model {path} cannot be read ({exc}); training it again")
            model = None
    if model is None:
        ckpt = ctx.out / "models" / "checkpoints" / f"{key}.npz"
        try:
            model = train(ckpt)
        except ModelLoadError as exc:   # a damaged checkpoint: start that training afresh
            if not ckpt.exists():
                raise
            ctx.say(f"the checkpoint {ckpt} cannot be read ({exc}); training from the start")
            ckpt.unlink()
            model = train(ckpt)
        model.save(path)
        ckpt.unlink(missing_ok=True)
    ctx.models[key] = model
    ctx.keys[id(model)] = key
    return model


def _rbm(ctx: StudyContext, n_hidden: int = 100, k: int = 1):
    from pgm.models.rbm import BernoulliRBM

    cfg = ctx.cfg
    hyper = {"n_hidden": n_hidden, "k": k, "epochs": cfg.rbm_epochs, "lr": cfg.learning_rate,
             "batch": cfg.batch_size, "seed": cfg.seed}

    def train(ckpt: Path):
        return BernoulliRBM(n_components=n_hidden, n_iter=cfg.rbm_epochs, k=k,
                            learning_rate=cfg.learning_rate, batch_size=cfg.batch_size,
                            random_state=cfg.seed, checkpoint=ckpt,
                            resume=True).fit(ctx.X_train, X_val=ctx.X_val)
    return _cached(ctx, _model_key(ctx, f"rbm-h{n_hidden}-k{k}", hyper), train,
                   BernoulliRBM.load)


def _ae(ctx: StudyContext, n_hidden: int = 100, denoising: bool = False):
    from pgm.models.autoencoder import Autoencoder, DenoisingAutoencoder

    cls = DenoisingAutoencoder if denoising else Autoencoder
    cfg = ctx.cfg
    hyper = {"n_hidden": n_hidden, "epochs": cfg.ae_epochs, "lr": cfg.learning_rate,
             "batch": cfg.batch_size, "seed": cfg.seed}

    def train(ckpt: Path):
        return cls(n_hidden, n_epochs=cfg.ae_epochs, learning_rate=cfg.learning_rate,
                   batch_size=cfg.batch_size, random_state=cfg.seed, checkpoint=ckpt,
                   resume=True).fit(ctx.X_train, X_val=ctx.X_val)
    name = f"{'dae' if denoising else 'ae'}-h{n_hidden}"
    return _cached(ctx, _model_key(ctx, name, hyper), train, cls.load)


def _clf(ctx: StudyContext, init_name: str, init_model):
    from pgm.models.classifier import PretrainableClassifier

    cfg = ctx.cfg
    hyper = {"init": "random" if init_model is None else ctx.keys[id(init_model)],
             "epochs": cfg.clf_epochs, "lr": cfg.learning_rate, "batch": cfg.batch_size,
             "seed": cfg.seed}

    def train(ckpt: Path):
        return PretrainableClassifier(100, 10, n_epochs=cfg.clf_epochs,
                                      learning_rate=cfg.learning_rate,
                                      batch_size=cfg.batch_size, random_state=cfg.seed,
                                      checkpoint=ckpt, resume=True).fit(
            ctx.X_train, ctx.y_train, ctx.X_val, ctx.y_val, init=init_model)
    return _cached(ctx, _model_key(ctx, f"clf-{init_name}", hyper), train,
                   PretrainableClassifier.load)


def _log_likelihood(ctx: StudyContext, est) -> LogLikelihood:
    """Training and test log-likelihood of a fitted BernoulliRBM of :func:`_rbm`.

    ``log Z`` is exact for at most :data:`EXACT_UNITS` units in the smaller layer, else
    AIS with the configuration's runs and temperatures.  The result is kept in
    ``OUT/models/<model key>.loglik.json`` with the settings it came from, so a rerun
    (or a later experiment using the same model) does not compute it again.
    """
    from pgm.models import rbm_likelihood as L

    key = ctx.keys[id(est)]
    if ("loglik", key) in ctx.models:
        return ctx.models[("loglik", key)]
    rbm = est.rbm_
    cfg = ctx.cfg
    exact = min(rbm.n_visible, rbm.n_hidden) <= EXACT_UNITS
    settings = _jsonable({"model": key, "data": ctx.data_digest, "version": LOGLIK_FORMAT,
                          **({"method": "exact"} if exact else
                             {"method": "ais", "runs": cfg.ais_runs,
                              "temperatures": cfg.ais_temperatures, "seed": cfg.seed})})
    path = ctx.out / "models" / f"{key}.loglik.json"
    stored = _read_json(path)
    res = None
    if stored is not None and stored.get("settings") == settings:
        try:
            res = LogLikelihood(**stored["result"])
        except (KeyError, TypeError):
            res = None
    if res is None:
        reliable, ess = True, math.nan
        if exact:
            log_z, how = float(L.exact_log_partition(rbm)), "exact"
        else:
            with warnings.catch_warnings():      # said in the report instead
                warnings.simplefilter("ignore", EstimateWarning)
                ais = L.ais_log_partition(rbm, data=ctx.X_train, n_runs=cfg.ais_runs,
                                          betas=L.ais_betas(cfg.ais_temperatures), seed=cfg.seed)
            log_z = ais.log_z
            how = f"AIS ({cfg.ais_runs} runs, {cfg.ais_temperatures} temperatures)"
            reliable, ess = ais.reliable, ais.effective_runs
        res = LogLikelihood(
            train=L.average_log_likelihood(rbm, ctx.X_train, log_z=log_z).mean,
            test=L.average_log_likelihood(rbm, ctx.X_test, log_z=log_z).mean,
            log_z=float(log_z), how=how, reliable=reliable, effective_runs=ess)
        _write_json(path, {"settings": settings, "result": dataclasses.asdict(res)})
    ctx.models[("loglik", key)] = res
    return res


# ------------------------------------------------------------------ rows and phrases
def _recon_row(exp: str, model: str, hist: dict, ll: LogLikelihood | None = None) -> dict:
    return {"experiment": exp, "model": model, "epochs": len(hist["epoch"]),
            "train recon": hist["train_recon"][-1], "val recon": hist["val_recon"][-1],
            "train log-lik": math.nan if ll is None else ll.train,
            "test log-lik": math.nan if ll is None else ll.test}


def _clf_row(ctx: StudyContext, exp: str, model: str, clf) -> dict:
    h = clf.history_
    return {"experiment": exp, "model": model, "epochs": len(h["epoch"]),
            "val accuracy": h["val_accuracy"][-1], "val cross-entropy": h["val_loss"][-1],
            "test accuracy": clf.score(ctx.X_test, ctx.y_test)}


def versus_reference(ours: float, reference: float,
                     tolerance: float = REFERENCE_TOLERANCE) -> str:
    """How a cross-entropy (lower is better) compares with a published ``reference``.

    Examples
    --------
    >>> versus_reference(70.0, 77.0), versus_reference(78.0, 77.0)
    ('better than the reference (lower by 7.00)', "in the reference's range (within 5%)")
    >>> versus_reference(90.0, 77.0)
    'worse than the reference (higher by 13.00)'
    """
    if abs(ours - reference) <= tolerance * reference:
        return f"in the reference's range (within {tolerance:.0%})"
    if ours < reference:
        return f"better than the reference (lower by {reference - ours:.2f})"
    return f"worse than the reference (higher by {ours - reference:.2f})"


def pretraining_verdict(gain: float) -> str:
    """Words for ``gain`` = validation accuracy with RBM pretraining minus without.

    Examples
    --------
    >>> pretraining_verdict(0.01)
    'RBM pretraining beat random initialization'
    """
    if gain > 0:
        return "RBM pretraining beat random initialization"
    if gain == 0:
        return "RBM pretraining tied with random initialization"
    return "RBM pretraining did worse than random initialization"


def overfitting_sentence(points: list[tuple[int, LogLikelihood]]) -> str:
    """What the RBMs' training and test log-likelihoods show about over-fitting, in
    words computed from ``points`` (hidden units, :class:`LogLikelihood`).

    Two separate observations from the smallest to the largest RBM: the train-test gap
    (widening by more than 1 nat/image: over-fitting, the larger models fit their
    training digits increasingly better than unseen ones) and the training
    log-likelihood itself (falling by more than 1 nat/image: the larger models are
    worse density models even of their own training digits, which over-fitting does
    not explain); then the size with the best test log-likelihood.

    Examples
    --------
    >>> ll = lambda tr, te: LogLikelihood(tr, te, 0.0, "exact")
    >>> overfitting_sentence([(100, ll(-90, -95)), (500, ll(-80, -99))])[:13]
    'Over-fitting:'
    >>> overfitting_sentence([(100, ll(-90, -95)), (500, ll(-91, -96))])[:26]
    'No sign of over-fitting: f'
    """
    pts = sorted(points, key=lambda p: p[0])
    if len(pts) < 2:
        return ("Only one RBM size has a log-likelihood in this run, so over-fitting cannot "
                "be judged from it.")
    (p0, a), (p1, b) = pts[0], pts[-1]
    pb, best = max(pts, key=lambda p: p[1].test)
    if b.gap - a.gap > 1.0:
        parts = [f"Over-fitting: from {p0} to {p1} hidden units the train-test gap widens from "
                 f"{a.gap:.2f} to {b.gap:.2f} nats/image (the larger RBMs fit their training "
                 "digits increasingly better than unseen ones; the gap is a difference of "
                 "free energies, so an error in log Z does not touch it)."]
    else:
        parts = [f"No sign of over-fitting: from {p0} to {p1} hidden units the train-test gap "
                 f"goes from {a.gap:.2f} to {b.gap:.2f} nats/image."]
    d_train = b.train - a.train
    if d_train < -1.0:
        parts.append(f"The training log-likelihood falls as well ({a.train:.2f} to {b.train:.2f} "
                     "nats/image): the larger RBMs are also worse density models of their own "
                     "training digits (CD training for a fixed number of epochs; a looser AIS "
                     "estimate of log Z may add to it), which over-fitting does not explain.")
    elif d_train > 1.0:
        parts.append(f"The training log-likelihood rises ({a.train:.2f} to {b.train:.2f} "
                     "nats/image).")
    parts.append(f"The best test log-likelihood is at {pb} hidden units ({best.test:.2f} "
                 "nats/image).")
    return " ".join(parts)


# ---------------------------------------------------------------- experiments
@EXPERIMENTS.section("a", "(a) RBM with 100 hidden units, CD-1")
def experiment_a(ctx: StudyContext) -> Section:
    """(a) RBM, 100 hidden, CD-1: error curves, the 100 filters, log-likelihoods."""
    from pgm.models.tiles import tile_filters

    sec = Section("a", "(a) RBM with 100 hidden units, CD-1")
    est = _rbm(ctx, 100, 1)
    h = est.history_
    sec.figures.append(_curves(ctx, "a_rbm_curves.png",
                               [("training", h["train_recon"], "o-"),
                                ("validation", h["val_recon"], "s-")],
                               "reconstruction cross-entropy (nats/image)", "RBM-100, CD-1"))
    sec.figures.append(_tiles(ctx, "a_rbm_filters.png",
                              tile_filters(est.rbm_.W, (28, 28), n_cols=10)))
    ll = _log_likelihood(ctx, est)
    sec.rows.append(_recon_row("a", "RBM-100 CD-1", h, ll))
    ref = REFERENCES["RBM-100"]
    sec.lines += [
        f"{len(h['epoch'])} epochs, learning rate {ctx.cfg.learning_rate}, minibatches of "
        f"{ctx.cfg.batch_size}, momentum 0.5.  Final cross-entropy: training "
        f"{h['train_recon'][-1]:.2f}, validation {h['val_recon'][-1]:.2f} nats/image; the "
        f"published reference is about {ref:g} after many epochs: ours is "
        f"{versus_reference(h['val_recon'][-1], ref)}.",
        f"Log-likelihood {ll.test:.2f} nats/image on the test digits, {ll.train:.2f} on the "
        f"training digits (same log Z, {ll.describe()}).",
    ]
    return sec


@EXPERIMENTS.section("b", "(b) CD-k")
def experiment_b(ctx: StudyContext) -> Section:
    """(b) CD-k for k in cfg.cd_ks: curves on one figure, final errors (and likelihoods)."""
    sec = Section("b", "(b) CD-k, k = " + ", ".join(map(str, ctx.cfg.cd_ks)))
    series = []
    for k in ctx.cfg.cd_ks:
        est = _rbm(ctx, 100, k)
        h = est.history_
        series += [(f"CD-{k} training", h["train_recon"], "--"),
                   (f"CD-{k} validation", h["val_recon"], "-")]
        ll = None
        if ctx.cfg.likelihood_everywhere or k == 1:
            ll = _log_likelihood(ctx, est)
        sec.rows.append(_recon_row("b", f"RBM-100 CD-{k}", h, ll))
        sec.lines.append(f"- CD-{k}: validation cross-entropy {h['val_recon'][-1]:.2f}, test "
                         f"log-likelihood {_fmt(math.nan if ll is None else ll.test)}")
    sec.figures.append(_curves(ctx, "b_cdk_curves.png", series,
                               "reconstruction cross-entropy (nats/image)", "RBM-100, CD-k"))
    return sec


@EXPERIMENTS.section("c", "(c) Gibbs chains")
def experiment_c(ctx: StudyContext) -> Section:
    """(c) Gibbs chains from random visibles: the final samples as one image."""
    cfg = ctx.cfg
    sec = Section("c", f"(c) {cfg.n_chains} Gibbs chains, {cfg.gibbs_steps} steps")
    est = _rbm(ctx, 100, 1)
    samples = est.rbm_.sample(cfg.n_chains, cfg.gibbs_steps, seed=cfg.seed)
    from pgm.models.tiles import tile_images

    sec.figures.append(_tiles(ctx, "c_gibbs_samples.png",
                              tile_images(samples, (28, 28), n_cols=10)))
    sec.lines.append(f"RBM-100 (CD-1) of (a); chains start from uniformly random binary "
                     f"visibles; shown: P(v = 1 | h) after {cfg.gibbs_steps} block Gibbs steps.")
    return sec


def _clf_section(ctx: StudyContext, sec: Section, entries: list[tuple[str, object]],
                 fig: str) -> Section:
    clfs = [(label, _clf(ctx, name, model)) for (label, (name, model)) in entries]

    def draw(f):
        ax1, ax2 = f.subplots(1, 2)
        for label, clf in clfs:
            h = clf.history_
            ax1.plot(h["epoch"], h["val_accuracy"], "-", label=label)
            ax2.plot(h["epoch"], h["val_loss"], "-", label=label)
        ax1.set_xlabel("epoch")
        ax1.set_ylabel("validation accuracy")
        ax2.set_xlabel("epoch")
        ax2.set_ylabel("validation cross-entropy (nats)")
        ax1.legend(fontsize=8)
    sec.figures.append(ctx.figure(fig, draw, figsize=(10, 4), dpi=FIGURE_DPI))
    for label, clf in clfs:
        row = _clf_row(ctx, sec.key, f"classifier, {label}", clf)
        sec.rows.append({**row, "once": True})      # each classifier once in the table
        sec.lines.append(f"- {label}: validation accuracy {row['val accuracy']:.4f}, "
                         f"cross-entropy {row['val cross-entropy']:.4f}; test accuracy "
                         f"{row['test accuracy']:.4f}")
    return sec


@EXPERIMENTS.section("d", "(d) Classifier: RBM pretraining vs random initialization")
def experiment_d(ctx: StudyContext) -> Section:
    """(d) Classifier (100 sigmoid hidden): RBM-initialized vs random."""
    sec = Section("d", "(d) Classifier: RBM pretraining vs random initialization")
    sec.lines.append(f"100 sigmoid hidden units, softmax output, {ctx.cfg.clf_epochs} epochs "
                     "of SGD (momentum 0.5); first layer from the RBM of (a) or N(0, 0.1).")
    _clf_section(ctx, sec, [("random init", ("random", None)),
                            ("RBM init", ("rbm", _rbm(ctx, 100, 1)))],
                 "d_classifier_rbm_vs_random.png")
    gain = sec.rows[1]["val accuracy"] - sec.rows[0]["val accuracy"]
    sec.lines.append(f"- Final validation accuracy, RBM pretraining minus random "
                     f"initialization: {gain:+.4f}: {pretraining_verdict(gain)}.")
    return sec


def _ae_section(ctx: StudyContext, denoising: bool) -> Section:
    from pgm.models.tiles import tile_filters, tile_images

    name = "dae" if denoising else "ae"
    key = "f" if denoising else "e"
    title = ("(f) Denoising autoencoder (10% input drop-out)" if denoising
             else "(e) Autoencoder")
    sec = Section(key, title)
    ae = _ae(ctx, 100, denoising)
    h = ae.history_
    sec.figures.append(_curves(ctx, f"{key}_{name}_curves.png",
                               [("training", h["train_recon"], "o-"),
                                ("validation", h["val_recon"], "s-")],
                               "reconstruction cross-entropy (nats/image)", f"{name.upper()}-100"))
    sec.figures.append(_tiles(ctx, f"{key}_{name}_filters.png",
                              tile_filters(ae.W, (28, 28), n_cols=10)))
    Xv = ctx.X_val[:10]
    pics = np.concatenate([Xv, ae.reconstruct(Xv)])
    sec.figures.append(_tiles(ctx, f"{key}_{name}_reconstructions.png",
                              tile_images(pics, (28, 28), n_cols=10, scale=2)))
    sec.rows.append(_recon_row(key, f"{name.upper()}-100", h))
    ref = "" if denoising else (
        f"; the published reference is about {REFERENCES['AE-100']:g}: ours is "
        f"{versus_reference(h['val_recon'][-1], REFERENCES['AE-100'])}")
    sec.lines.append(f"Final cross-entropy: training {h['train_recon'][-1]:.2f}, validation "
                     f"{h['val_recon'][-1]:.2f} nats/image{ref}.  Reconstructions: top row "
                     "validation digits, bottom row their reconstructions.")
    return sec


@EXPERIMENTS.section("e", "(e) Autoencoder")
def experiment_e(ctx: StudyContext) -> Section:
    """(e) Autoencoder: curves, filters, reconstructions, classifier initialization."""
    sec = _ae_section(ctx, False)
    return _clf_section(ctx, sec, [("autoencoder init", ("ae", _ae(ctx, 100, False)))],
                        "e_classifier_ae.png")


@EXPERIMENTS.section("f", "(f) Denoising autoencoder (10% input drop-out)")
def experiment_f(ctx: StudyContext) -> Section:
    """(f) Denoising autoencoder, and all classifier initializations on one figure."""
    sec = _ae_section(ctx, True)
    return _clf_section(ctx, sec, [("random init", ("random", None)),
                                   ("RBM init", ("rbm", _rbm(ctx, 100, 1))),
                                   ("autoencoder init", ("ae", _ae(ctx, 100, False))),
                                   ("denoising AE init", ("dae", _ae(ctx, 100, True)))],
                        "f_classifier_all_inits.png")


@EXPERIMENTS.section("g", "(g) Hidden layer sizes")
def experiment_g(ctx: StudyContext) -> Section:
    """(g) Hidden sizes for the RBM, the autoencoder and the denoising autoencoder; the
    RBMs' training and test log-likelihoods at every size (over-fitting)."""
    cfg = ctx.cfg
    sec = Section("g", "(g) Hidden layer sizes " + ", ".join(map(str, cfg.hidden_sizes)))
    series: dict[str, list] = {"RBM": [], "AE": [], "DAE": []}
    lls: list[tuple[int, LogLikelihood]] = []
    for P in cfg.hidden_sizes:
        for kind, model in (("RBM", _rbm(ctx, P, 1)), ("AE", _ae(ctx, P, False)),
                            ("DAE", _ae(ctx, P, True))):
            h = model.history_
            series[kind].append((f"{P} hidden", h["val_recon"], "-"))
            ll = None
            if kind == "RBM":
                ll = _log_likelihood(ctx, model)
                lls.append((P, ll))
            sec.rows.append(_recon_row("g", f"{kind}-{P}", h, ll))

    def draw(fig):
        axes = fig.subplots(1, 3, sharey=True)
        for ax, (kind, ss) in zip(axes, series.items()):
            for label, ys, style in ss:
                ax.plot(np.arange(1, len(ys) + 1), ys, style, label=label)
            ax.set_title(kind)
            ax.set_xlabel("epoch")
        axes[0].set_ylabel("validation cross-entropy (nats/image)")
        axes[0].legend(fontsize=8)
    sec.figures.append(ctx.figure("g_hidden_sizes.png", draw, figsize=(12, 4), dpi=FIGURE_DPI))
    sec.lines += ["Final validation cross-entropy (nats/image), and the RBMs' log-likelihood "
                  "(nats/image) on the training and the test digits with the same log Z:", "",
                  "| hidden | RBM | AE | DAE | RBM train log-lik | RBM test log-lik | "
                  "train - test |", "|---|---|---|---|---|---|---|"]
    for i, (P, ll) in enumerate(lls):
        vals = [sec.rows[3 * i + j]["val recon"] for j in range(3)]
        sec.lines.append(f"| {P} | " + " | ".join(f"{v:.2f}" for v in vals)
                         + f" | {ll.train:.2f} | {ll.test:.2f} | {ll.gap:.2f} |")
    hows = sorted({ll.how for _, ll in lls})
    weak = [(P, ll) for P, ll in lls if not ll.reliable]
    caveat = "" if not weak else (
        "  The AIS estimate was unreliable (fewer than about 9 effective runs, so those "
        "log-likelihoods may be too high) for " + ", ".join(
            f"{P} ({ll.effective_runs:.1f} effective runs)" for P, ll in weak) + " hidden units.")
    if any(h.startswith("AIS") for h in hows):
        caveat += ("  AIS ran one schedule, not to convergence (`pgm rbm score MODEL --converge` "
                   "runs the convergence protocol).")
    sec.lines += ["", f"Log Z by {' / '.join(hows) or '-'}.{caveat}  " + overfitting_sentence(lls)]
    return sec


@EXPERIMENTS.section("h", "(h) Convolutional network baseline (Problem 1)")
def experiment_h(ctx: StudyContext) -> Section:
    """(h) The Problem 1 CNN (5x5 convolution, stride 1, 2 maps, 2x2 max-pool, softmax)."""
    from pgm.models.convnet import ConvNet

    cfg = ctx.cfg
    sec = Section("h", "(h) Convolutional network baseline (Problem 1)")
    hyper = {"kernel": 5, "stride": 1, "pool": 2, "epochs": cfg.cnn_epochs, "lr": 0.05,
             "momentum": 0.9, "batch": cfg.batch_size, "seed": cfg.seed}

    def train(ckpt: Path):
        return ConvNet((28, 28), kernel=5, stride=1, pool=2, n_epochs=cfg.cnn_epochs,
                       learning_rate=0.05, momentum=0.9, batch_size=cfg.batch_size,
                       random_state=cfg.seed, checkpoint=ckpt, resume=True).fit(
            ctx.X_train, ctx.y_train, ctx.X_val, ctx.y_val)
    net = _cached(ctx, _model_key(ctx, "cnn", hyper), train, ConvNet.load)
    h = net.history_
    sec.figures.append(_curves(ctx, "h_cnn_curves.png",
                               [("validation accuracy", h["val_accuracy"], "o-")],
                               "validation accuracy", "CNN: 5x5 conv, 2 maps, 2x2 max-pool"))
    row = _clf_row(ctx, "h", "CNN (k=5, s=1, 2 maps, p=2)", net)
    sec.rows.append(row)
    sec.lines.append(f"ReLU after the convolution, {cfg.cnn_epochs} epochs of SGD (learning "
                     f"rate 0.05, momentum 0.9).  Validation accuracy {row['val accuracy']:.4f}, "
                     f"test accuracy {row['test accuracy']:.4f} (compare the classifiers of "
                     "(d)-(f) in the table below).")
    return sec



# ------------------------------------------------------------------ report
def _fmt(v) -> str:
    if isinstance(v, float):
        return "–" if math.isnan(v) else (f"{v:.4f}" if abs(v) <= 1 else f"{v:.2f}")
    return str(v)


def _find_row(sections: list[Section], models: tuple[str, ...]) -> dict | None:
    for s in sections:
        for r in s.rows:
            if r.get("model") in models:
                return r
    return None


def reference_lines(sections: list[Section], cfg: StudyConfig) -> list[str]:
    """The issue's reference points beside this run's numbers, with a computed verdict.

    Examples
    --------
    >>> rows = [{"model": "RBM-100 CD-1", "val recon": 80.0, "epochs": 50}]
    >>> reference_lines([Section("a", "(a)", rows=rows)], study_config())[6][:40]
    '| RBM-100 (CD-1) validation cross-entrop'
    """
    out = ["## Reference points", "",
           "Published runs of this study beside this one (validation cross-entropy in "
           "nats/image, lower is better; \"in range\": within "
           f"{REFERENCE_TOLERANCE:.0%}).", "",
           "| quantity | published | ours | verdict |", "|---|---|---|---|"]
    for label, ref_key, models, exp in (
            ("RBM-100 (CD-1) validation cross-entropy", "RBM-100", ("RBM-100 CD-1", "RBM-100"),
             "(a)"),
            ("autoencoder-100 validation cross-entropy", "AE-100", ("AE-100",), "(e)")):
        ref = REFERENCES[ref_key]
        row = _find_row(sections, models)
        if row is None:
            out.append(f"| {label} | about {ref:g} | not run | {exp} not in this run |")
        else:
            out.append(f"| {label} | about {ref:g} | {row['val recon']:.2f} after "
                       f"{row['epochs']} epochs | {versus_reference(row['val recon'], ref)} |")
    rnd = _find_row(sections, ("classifier, random init",))
    pre = _find_row(sections, ("classifier, RBM init",))
    label = "validation accuracy, RBM pretraining minus random initialization"
    if rnd is None or pre is None:
        out.append(f"| {label} | not worse (>= 0) | not run | (d) not in this run |")
    else:
        gain = pre["val accuracy"] - rnd["val accuracy"]
        out.append(f"| {label} | not worse (>= 0) | {gain:+.4f} ({pre['val accuracy']:.4f} vs "
                   f"{rnd['val accuracy']:.4f}) | {pretraining_verdict(gain)} |")
    if cfg.quick:
        out += ["", "Quick run: a few epochs only, so the cross-entropies are not comparable "
                "with the references (which are after many epochs)."]
    return out + [""]


#: the data line of the report for the study's own split
MNIST_NOTE = ("3000 training / 1000 validation / 3000 test MNIST digits (300/100/300 per "
              "class, fixed seed)")


def render_report(sections: list[Section], cfg: StudyConfig, seconds: float,
                  data_note: str = MNIST_NOTE) -> str:
    """The Markdown report of :func:`run_digits_study` (``seconds``: this run's wall time;
    ``data_note``: what the data were).

    Examples
    --------
    >>> text = render_report([Section("h", "(h) demo", ["a line"])], study_config(True), 1.0)
    >>> "## (h) demo" in text and "## Final numbers" in text
    True
    """
    reused = [s.key for s in sections if s.reused]
    note = ("" if not reused else "; reused from an earlier run (OUT/sections): "
            + ", ".join(f"({k})" for k in reused))
    mode = ("quick (few epochs; numbers not comparable to the reference)" if cfg.quick
            else "full")
    out = ["# Digit-modelling study", "",
           f"Mode: {mode}.  Data: {data_note}, binarized at 0.5.", "",
           f"Time: {sum(s.seconds for s in sections):.1f} s computing the experiments; this "
           f"run {seconds:.1f} s{note}.", ""]
    for s in sections:
        out += [f"## {s.title}", ""] + s.lines + [""]
        out += [f"![{Path(f).stem}]({f})" for f in s.figures]
        out += ["", f"_{s.seconds:.1f} s_", ""]
    out += reference_lines(sections, cfg)
    out += ["## Final numbers", "",
            "Reconstruction errors: cross-entropy, nats/image; log-likelihoods: nats/image on "
            "the training and the test digits with the same log Z (RBMs; exact for ≤ "
            f"{EXACT_UNITS} hidden units, else AIS).", "",
            "| " + " | ".join(TABLE_COLUMNS) + " |", "|" + "---|" * len(TABLE_COLUMNS)]
    seen: set[str] = set()
    for s in sections:
        for r in s.rows:
            if r.get("once"):
                if r["model"] in seen:
                    continue
                seen.add(r["model"])
            out.append("| " + " | ".join(_fmt(r.get(c, math.nan)) for c in TABLE_COLUMNS) + " |")
    return "\n".join(out) + "\n"


def run_digits_study(out_dir: str | os.PathLike, quick: bool = False, *,
                     only: str | None = None, split=None,
                     log: Callable[[str], None] | None = None,
                     config: StudyConfig | None = None) -> Path:
    """Run experiments (a)-(h) (or those in ``only``, e.g. ``"ad"``); write ``report.md``.

    Experiments an earlier run finished with the same configuration and data are
    loaded from ``out_dir/sections`` instead of computed; models trained by an
    interrupted run are loaded from ``out_dir/models`` (a training cut short resumes
    from its checkpoint), and RBM log-likelihoods already computed are reused.
    ``config`` replaces :func:`study_config` (``quick`` is then ignored).  Returns the
    report's path.

    Examples
    --------
    >>> run_digits_study("study-out", quick=True, only="ad")     # doctest: +SKIP
    PosixPath('study-out/report.md')
    """
    cfg = study_config(quick) if config is None else config
    if only is not None and (not only or set(only) - set(EXPERIMENTS)):
        raise ParameterError(f"only takes letters among {''.join(EXPERIMENTS)}, got {only!r}")
    t0 = time.perf_counter()
    ctx = StudyContext.from_split(out_dir, cfg, split)
    ctx.log = log
    ctx.out.mkdir(parents=True, exist_ok=True)

    def echo(sec: Section, status: str) -> None:
        if log is not None:
            log(f"experiment ({sec.key}) reused from {section_path(ctx, sec.key)}"
                if status == "reused" else f"experiment ({sec.key}) done in {sec.seconds:.1f} s")

    sections = run_sections(EXPERIMENTS, ctx, only=only, reuse=load_section, keep=save_section,
                            echo=echo)
    note = MNIST_NOTE if split is None else (
        f"{len(ctx.y_train)} training / {len(ctx.y_val)} validation / {len(ctx.y_test)} test "
        "digits (a caller's split)")
    return atomic_write_text(ctx.out / "report.md",
                             render_report(sections, cfg, time.perf_counter() - t0, note))
