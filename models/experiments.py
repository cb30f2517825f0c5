"""The digit-modelling study (seed Problem 5): experiments (a)-(h) and their report.

Each experiment is a function ``experiment_x(ctx) -> Section`` that trains what it
needs (or loads it from ``OUT/models/`` when an earlier, interrupted run already
trained it: a rerun resumes without retraining), writes its PNG figures to ``OUT``
and returns Markdown lines plus rows of final numbers.  :func:`run_digits_study` runs
them all and writes ``OUT/report.md`` (figures inlined by relative path, one table of
final numbers); every number in it comes from that run.

Data: the split of :func:`pgm.study.digits_split`, binarized at 0.5 (all models see
the same binary digits).  Reconstruction errors are cross-entropies in nats per image
(mean-field reconstructions for the RBMs); log-likelihoods are nats per test image
(exact for at most 20 hidden units, else AIS).

Examples
--------
>>> path = run_digits_study("study-out", quick=True)     # doctest: +SKIP
>>> path.name                                            # doctest: +SKIP
'report.md'
"""

from __future__ import annotations

import io
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pgm.files import atomic_path, atomic_write_text

__all__ = ["StudyConfig", "StudyContext", "Section", "EXPERIMENTS", "run_digits_study",
           "study_config", "experiment_a", "experiment_b", "experiment_c", "experiment_d",
           "experiment_e", "experiment_f", "experiment_g", "experiment_h"]

#: columns of the final-numbers table
TABLE_COLUMNS = ("experiment", "model", "epochs", "train recon", "val recon",
                 "test log-lik", "val accuracy", "val cross-entropy", "test accuracy")


@dataclass(frozen=True)
class StudyConfig:
    """Sizes of the study (see :func:`study_config`)."""

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
    """Full settings, or ``quick`` ones (few epochs, two hidden sizes, short chains).

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


@dataclass
class Section:
    """One experiment's report: title, Markdown lines, figure names, table rows."""

    key: str
    title: str
    lines: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class StudyContext:
    """Data, settings, output folder and the models trained so far (shared by experiments)."""

    out: Path
    cfg: StudyConfig
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    models: dict = field(default_factory=dict)

    @classmethod
    def from_split(cls, out: str | os.PathLike, cfg: StudyConfig, split=None) -> StudyContext:
        """Binarized data of ``split`` (default :func:`pgm.study.digits_split`)."""
        from pgm.study import binarize, digits_split

        s = digits_split() if split is None else split
        return cls(Path(out), cfg, binarize(s.X_train), s.y_train, binarize(s.X_val), s.y_val,
                   binarize(s.X_test), s.y_test)


# ------------------------------------------------------------------ helpers
def _figure(path: Path, draw: Callable, figsize=(6.4, 4.0)) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    draw(fig)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.getvalue())
    return path.name


def _curves(path: Path, series: list[tuple[str, list, str]], ylabel: str,
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
    return _figure(path, draw)


def _tiles(path: Path, picture: np.ndarray) -> str:
    from pgm.models.tiles import save_tiles

    return save_tiles(path, picture).name


def _model_path(ctx: StudyContext, name: str) -> Path:
    return ctx.out / "models" / f"{name}-{ctx.cfg.tag}.npz"


def _cached(ctx: StudyContext, name: str, train: Callable, load: Callable):
    """The model ``name`` from memory, from ``OUT/models`` (resume), or trained and saved."""
    if name in ctx.models:
        return ctx.models[name]
    path = _model_path(ctx, name)
    model = load(path) if path.exists() else None
    if model is None:
        model = train()
        model.save(path)
    ctx.models[name] = model
    return model


def _rbm(ctx: StudyContext, n_hidden: int = 100, k: int = 1):
    from pgm.models.rbm import BernoulliRBM

    cfg = ctx.cfg

    def train():
        return BernoulliRBM(n_components=n_hidden, n_iter=cfg.rbm_epochs, k=k,
                            learning_rate=cfg.learning_rate, batch_size=cfg.batch_size,
                            random_state=cfg.seed).fit(ctx.X_train, X_val=ctx.X_val)
    return _cached(ctx, f"rbm-h{n_hidden}-k{k}", train, BernoulliRBM.load)


def _ae(ctx: StudyContext, n_hidden: int = 100, denoising: bool = False):
    from pgm.models.autoencoder import Autoencoder, DenoisingAutoencoder

    cls = DenoisingAutoencoder if denoising else Autoencoder
    cfg = ctx.cfg

    def train():
        return cls(n_hidden, n_epochs=cfg.ae_epochs, learning_rate=cfg.learning_rate,
                   batch_size=cfg.batch_size, random_state=cfg.seed).fit(ctx.X_train,
                                                                          X_val=ctx.X_val)
    return _cached(ctx, f"{'dae' if denoising else 'ae'}-h{n_hidden}", train, cls.load)


def _clf(ctx: StudyContext, init_name: str, init_model):
    from pgm.models.classifier import MLPClassifier

    cfg = ctx.cfg

    def train():
        return MLPClassifier(100, 10, n_epochs=cfg.clf_epochs, learning_rate=cfg.learning_rate,
                             batch_size=cfg.batch_size, random_state=cfg.seed).fit(
            ctx.X_train, ctx.y_train, ctx.X_val, ctx.y_val, init=init_model)
    return _cached(ctx, f"clf-{init_name}", train, MLPClassifier.load)


def _test_ll(ctx: StudyContext, est) -> tuple[float, str]:
    """Mean test log-likelihood of a fitted BernoulliRBM and how it was computed (cached)."""
    from pgm.models import rbm_likelihood as L

    key = ("test-ll", id(est))
    if key in ctx.models:
        return ctx.models[key]
    rbm = est.rbm_
    cfg = ctx.cfg
    if min(rbm.n_visible, rbm.n_hidden) <= 20:
        out = L.average_log_likelihood(rbm, ctx.X_test, method="exact").mean, "exact"
    else:
        res = L.average_log_likelihood(rbm, ctx.X_test, method="ais", train_data=ctx.X_train,
                                       n_runs=cfg.ais_runs,
                                       betas=L.ais_betas(cfg.ais_temperatures), seed=cfg.seed)
        out = res.mean, f"AIS ({cfg.ais_runs} runs, {cfg.ais_temperatures} temperatures)"
    ctx.models[key] = out
    return out


def _recon_row(exp: str, model: str, hist: dict, ll: float = math.nan) -> dict:
    return {"experiment": exp, "model": model, "epochs": len(hist["epoch"]),
            "train recon": hist["train_recon"][-1], "val recon": hist["val_recon"][-1],
            "test log-lik": ll}


def _clf_row(ctx: StudyContext, exp: str, model: str, clf) -> dict:
    h = clf.history_
    return {"experiment": exp, "model": model, "epochs": len(h["epoch"]),
            "val accuracy": h["val_accuracy"][-1], "val cross-entropy": h["val_loss"][-1],
            "test accuracy": clf.score(ctx.X_test, ctx.y_test)}


# ---------------------------------------------------------------- experiments
def experiment_a(ctx: StudyContext) -> Section:
    """(a) RBM, 100 hidden, CD-1: error curves, the 100 filters, test log-likelihood."""
    from pgm.models.tiles import tile_filters

    sec = Section("a", "(a) RBM with 100 hidden units, CD-1")
    est = _rbm(ctx, 100, 1)
    h = est.history_
    sec.figures.append(_curves(ctx.out / "a_rbm_curves.png",
                               [("training", h["train_recon"], "o-"),
                                ("validation", h["val_recon"], "s-")],
                               "reconstruction cross-entropy (nats/image)", "RBM-100, CD-1"))
    sec.figures.append(_tiles(ctx.out / "a_rbm_filters.png",
                              tile_filters(est.rbm_.W, (28, 28), n_cols=10)))
    ll, how = _test_ll(ctx, est)
    sec.rows.append(_recon_row("a", "RBM-100 CD-1", h, ll))
    sec.lines += [
        f"{len(h['epoch'])} epochs, learning rate {ctx.cfg.learning_rate}, minibatches of "
        f"{ctx.cfg.batch_size}, momentum 0.5.  Final cross-entropy: training "
        f"{h['train_recon'][-1]:.2f}, validation {h['val_recon'][-1]:.2f} nats/image "
        "(published reference: about 77 after many epochs).",
        f"Test log-likelihood {ll:.2f} nats/image ({how}).",
    ]
    return sec


def experiment_b(ctx: StudyContext) -> Section:
    """(b) CD-k for k in cfg.cd_ks: curves on one figure, final errors (and likelihoods)."""
    sec = Section("b", "(b) CD-k, k = " + ", ".join(map(str, ctx.cfg.cd_ks)))
    series = []
    for k in ctx.cfg.cd_ks:
        est = _rbm(ctx, 100, k)
        h = est.history_
        series += [(f"CD-{k} training", h["train_recon"], "--"),
                   (f"CD-{k} validation", h["val_recon"], "-")]
        ll = math.nan
        if ctx.cfg.likelihood_everywhere or k == 1:
            ll = _test_ll(ctx, est)[0]
        sec.rows.append(_recon_row("b", f"RBM-100 CD-{k}", h, ll))
        sec.lines.append(f"- CD-{k}: validation cross-entropy {h['val_recon'][-1]:.2f}, test "
                         f"log-likelihood {_fmt(ll)}")
    sec.figures.append(_curves(ctx.out / "b_cdk_curves.png", series,
                               "reconstruction cross-entropy (nats/image)", "RBM-100, CD-k"))
    return sec


def experiment_c(ctx: StudyContext) -> Section:
    """(c) Gibbs chains from random visibles: the final samples as one image."""
    cfg = ctx.cfg
    sec = Section("c", f"(c) {cfg.n_chains} Gibbs chains, {cfg.gibbs_steps} steps")
    est = _rbm(ctx, 100, 1)
    samples = est.rbm_.sample(cfg.n_chains, cfg.gibbs_steps, seed=cfg.seed)
    from pgm.models.tiles import tile_images

    sec.figures.append(_tiles(ctx.out / "c_gibbs_samples.png",
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
    sec.figures.append(_figure(ctx.out / fig, draw, figsize=(10, 4)))
    for label, clf in clfs:
        row = _clf_row(ctx, sec.key, f"classifier, {label}", clf)
        if ("row", id(clf)) not in ctx.models:      # each classifier once in the table
            ctx.models[("row", id(clf))] = True
            sec.rows.append(row)
        sec.lines.append(f"- {label}: validation accuracy {row['val accuracy']:.4f}, "
                         f"cross-entropy {row['val cross-entropy']:.4f}; test accuracy "
                         f"{row['test accuracy']:.4f}")
    return sec


def experiment_d(ctx: StudyContext) -> Section:
    """(d) Classifier (100 sigmoid hidden): RBM-initialized vs random."""
    sec = Section("d", "(d) Classifier: RBM pretraining vs random initialization")
    sec.lines.append(f"100 sigmoid hidden units, softmax output, {ctx.cfg.clf_epochs} epochs "
                     "of SGD (momentum 0.5); first layer from the RBM of (a) or N(0, 0.1).")
    _clf_section(ctx, sec, [("random init", ("random", None)),
                            ("RBM init", ("rbm", _rbm(ctx, 100, 1)))],
                 "d_classifier_rbm_vs_random.png")
    gain = sec.rows[1]["val accuracy"] - sec.rows[0]["val accuracy"]
    sec.lines.append(f"- RBM pretraining minus random initialization, final validation "
                     f"accuracy: {gain:+.4f} ({'not worse' if gain >= 0 else 'worse'}).")
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
    sec.figures.append(_curves(ctx.out / f"{key}_{name}_curves.png",
                               [("training", h["train_recon"], "o-"),
                                ("validation", h["val_recon"], "s-")],
                               "reconstruction cross-entropy (nats/image)", f"{name.upper()}-100"))
    sec.figures.append(_tiles(ctx.out / f"{key}_{name}_filters.png",
                              tile_filters(ae.W, (28, 28), n_cols=10)))
    Xv = ctx.X_val[:10]
    pics = np.concatenate([Xv, ae.reconstruct(Xv)])
    sec.figures.append(_tiles(ctx.out / f"{key}_{name}_reconstructions.png",
                              tile_images(pics, (28, 28), n_cols=10, scale=2)))
    sec.rows.append(_recon_row(key, f"{name.upper()}-100", h))
    ref = "" if denoising else " (published reference: about 64)"
    sec.lines.append(f"Final cross-entropy: training {h['train_recon'][-1]:.2f}, validation "
                     f"{h['val_recon'][-1]:.2f} nats/image{ref}.  Reconstructions: top row "
                     "validation digits, bottom row their reconstructions.")
    return sec


def experiment_e(ctx: StudyContext) -> Section:
    """(e) Autoencoder: curves, filters, reconstructions, classifier initialization."""
    sec = _ae_section(ctx, False)
    return _clf_section(ctx, sec, [("autoencoder init", ("ae", _ae(ctx, 100, False)))],
                        "e_classifier_ae.png")


def experiment_f(ctx: StudyContext) -> Section:
    """(f) Denoising autoencoder, and all classifier initializations on one figure."""
    sec = _ae_section(ctx, True)
    return _clf_section(ctx, sec, [("random init", ("random", None)),
                                   ("RBM init", ("rbm", _rbm(ctx, 100, 1))),
                                   ("autoencoder init", ("ae", _ae(ctx, 100, False))),
                                   ("denoising AE init", ("dae", _ae(ctx, 100, True)))],
                        "f_classifier_all_inits.png")


def experiment_g(ctx: StudyContext) -> Section:
    """(g) Hidden sizes for the RBM, the autoencoder and the denoising autoencoder."""
    cfg = ctx.cfg
    sec = Section("g", "(g) Hidden layer sizes " + ", ".join(map(str, cfg.hidden_sizes)))
    series = {"RBM": [], "AE": [], "DAE": []}
    for P in cfg.hidden_sizes:
        for kind, model in (("RBM", _rbm(ctx, P, 1)), ("AE", _ae(ctx, P, False)),
                            ("DAE", _ae(ctx, P, True))):
            h = model.history_
            series[kind].append((f"{P} hidden", h["val_recon"], "-"))
            ll = math.nan
            if kind == "RBM" and (cfg.likelihood_everywhere or P == 100):
                ll = _test_ll(ctx, model)[0]
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
    sec.figures.append(_figure(ctx.out / "g_hidden_sizes.png", draw, figsize=(12, 4)))
    sec.lines.append("Final validation cross-entropy (nats/image):")
    sec.lines.append("")
    sec.lines.append("| hidden | RBM | AE | DAE |")
    sec.lines.append("|---|---|---|---|")
    for i, P in enumerate(cfg.hidden_sizes):
        vals = [sec.rows[3 * i + j]["val recon"] for j in range(3)]
        sec.lines.append(f"| {P} | " + " | ".join(f"{v:.2f}" for v in vals) + " |")
    return sec


def experiment_h(ctx: StudyContext) -> Section:
    """(h) The Problem 1 CNN (5x5 convolution, stride 1, 2 maps, 2x2 max-pool, softmax)."""
    from pgm.models.convnet import ConvNet

    cfg = ctx.cfg
    sec = Section("h", "(h) Convolutional network baseline (Problem 1)")

    def train():
        return ConvNet((28, 28), kernel=5, stride=1, pool=2, n_epochs=cfg.cnn_epochs,
                       learning_rate=0.05, momentum=0.9, batch_size=cfg.batch_size,
                       random_state=cfg.seed).fit(ctx.X_train, ctx.y_train, ctx.X_val, ctx.y_val)
    net = _cached(ctx, "cnn", train, ConvNet.load)
    h = net.history_
    sec.figures.append(_curves(ctx.out / "h_cnn_curves.png",
                               [("validation accuracy", h["val_accuracy"], "o-")],
                               "validation accuracy", "CNN: 5x5 conv, 2 maps, 2x2 max-pool"))
    row = _clf_row(ctx, "h", "CNN (k=5, s=1, 2 maps, p=2)", net)
    sec.rows.append(row)
    sec.lines.append(f"ReLU after the convolution, {cfg.cnn_epochs} epochs of SGD (learning "
                     f"rate 0.05, momentum 0.9).  Validation accuracy {row['val accuracy']:.4f}, "
                     f"test accuracy {row['test accuracy']:.4f} (compare the classifiers of "
                     "(d)-(f) in the table below).")
    return sec


#: the experiments in report order
EXPERIMENTS: dict[str, Callable[[StudyContext], Section]] = {
    "a": experiment_a, "b": experiment_b, "c": experiment_c, "d": experiment_d,
    "e": experiment_e, "f": experiment_f, "g": experiment_g, "h": experiment_h}


def _fmt(v) -> str:
    if isinstance(v, float):
        return "–" if math.isnan(v) else (f"{v:.4f}" if abs(v) <= 1 else f"{v:.2f}")
    return str(v)


def render_report(sections: list[Section], cfg: StudyConfig, seconds: float) -> str:
    """The Markdown report of :func:`run_digits_study`."""
    out = ["# Digit-modelling study", "",
           f"Mode: {'quick (few epochs; numbers not comparable to the reference)' if cfg.quick else 'full'}; "
           f"total time {seconds:.1f} s.  Data: 3000 training / 1000 validation / 3000 test "
           "MNIST digits (300/100/300 per class, fixed seed), binarized at 0.5.", ""]
    for s in sections:
        out += [f"## {s.title}", ""] + s.lines + [""]
        out += [f"![{Path(f).stem}]({f})" for f in s.figures]
        out += ["", f"_{s.seconds:.1f} s_", ""]
    out += ["## Final numbers", "",
            "Reconstruction errors: cross-entropy, nats/image; test log-likelihood: nats/image "
            "(RBMs; exact for ≤ 20 hidden units, else AIS).  Published reference points: "
            "RBM-100 validation cross-entropy about 77, autoencoder-100 about 64.", "",
            "| " + " | ".join(TABLE_COLUMNS) + " |", "|" + "---|" * len(TABLE_COLUMNS)]
    for s in sections:
        for r in s.rows:
            out.append("| " + " | ".join(_fmt(r.get(c, math.nan)) for c in TABLE_COLUMNS) + " |")
    return "\n".join(out) + "\n"


def run_digits_study(out_dir: str | os.PathLike, quick: bool = False, *,
                     only: str | None = None, split=None,
                     log: Callable[[str], None] | None = None) -> Path:
    """Run experiments (a)-(h) (or those in ``only``, e.g. ``"ad"``); write ``report.md``.

    Models already trained in ``out_dir/models`` by an interrupted run are loaded, not
    retrained.  Returns the report's path.
    """
    cfg = study_config(quick)
    t0 = time.perf_counter()
    ctx = StudyContext.from_split(out_dir, cfg, split)
    ctx.out.mkdir(parents=True, exist_ok=True)
    sections = []
    for key, fn in EXPERIMENTS.items():
        if only is not None and key not in only:
            continue
        t = time.perf_counter()
        sec = fn(ctx)
        sec.seconds = time.perf_counter() - t
        sections.append(sec)
        if log is not None:
            log(f"experiment ({key}) done in {sec.seconds:.1f} s")
    return atomic_write_text(ctx.out / "report.md",
                             render_report(sections, cfg, time.perf_counter() - t0))
