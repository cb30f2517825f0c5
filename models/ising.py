"""Binary image denoising with an Ising Markov random field (Bishop, PRML section 8.3.3).

The latent clean image ``x`` and the observed noisy image ``y`` are spins in
``{-1, +1}^(H x W)`` with the energy

    ``E(x, y) = h sum_i x_i - beta sum_{i~j} x_i x_j - eta sum_i x_i y_i``,

each pair of neighbouring pixels counted once (4 neighbours by default, or 8 with
the diagonals, which get the same ``beta``), and ``p(x, y) ∝ exp(-E(x, y))``.  For a
fixed ``y`` the posterior ``p(x | y)`` is an Ising model with field ``eta y_i - h``
and coupling ``beta``.

Solvers (each returns a :class:`DenoiseResult` with the image, its energy and the
wall time):

* :meth:`IsingDenoiser.icm`: iterated conditional modes from ``x = y``;
* :meth:`IsingDenoiser.gibbs`: posterior marginals ``P(x_i = +1 | y)`` and the MPM image;
* :meth:`IsingDenoiser.anneal`: simulated annealing (then ICM to a local minimum);
* :meth:`IsingDenoiser.graph_cut`: the exact MAP by a minimum s-t cut (``beta >= 0``).

ICM, Gibbs and annealing run on the compiled checkerboard kernels of
:mod:`pgm.inference.grid` (:class:`~pgm.inference.grid.GridIsing`; the posterior
is also a :class:`~pgm.inference.pairwise.PairwiseBinaryModel` for
:func:`~pgm.inference.gibbs.anneal`); the graph cut is
:func:`pgm.inference.graphcut.graph_cut_map` (a minimum cut by
:func:`scipy.sparse.csgraph.maximum_flow`).

Examples
--------
>>> from pgm.models.images import shapes_image, add_flip_noise
>>> x = shapes_image(64)
>>> y = add_flip_noise(x, 0.1, seed=0)
>>> model = IsingDenoiser(beta=1.0, eta=2.1)
>>> res = model.graph_cut(y)
>>> res.accuracy(x) > 0.97, res.energy <= model.energy(x, y)
(True, True)
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pgm.exceptions import ModelError, PGMError
from pgm.models.images import ImageError, as_spins, pixel_accuracy

__all__ = ["METHODS", "DenoiseResult", "IsingDenoiser"]

#: solver names accepted by :meth:`IsingDenoiser.denoise` (and ``pgm denoise --method``)
METHODS = ("icm", "gibbs", "anneal", "graphcut")

@dataclass
class DenoiseResult:
    """Output of a denoising solver.

    Attributes
    ----------
    image : ndarray of int8, shape (H, W)
        The restored image (spins).
    energy : float
        ``E(image, y)``.
    seconds : float
        Wall time of the solver.
    method : str
        ``"icm"``, ``"gibbs"``, ``"anneal"`` or ``"graphcut"``.
    marginals : ndarray of float, shape (H, W), optional
        Gibbs only: estimated ``P(x_i = +1 | y)``; ``image`` is the MPM image.
    marginal_stderr : ndarray of float, shape (H, W), optional
        Gibbs only: batch-means standard error of ``marginals`` (None if fewer
        than two batches).
    energies : ndarray, optional
        ICM: energy of the start and after each sweep (non-increasing).
    converged : bool, optional
        ICM: a sweep changed nothing.
    n_sweeps : int, optional
        Sweeps run (ICM, Gibbs including burn-in, annealing schedule length).
    info : dict
        Solver-specific details (graph cut: the capacity scale and the cut value).
    """

    image: np.ndarray
    energy: float
    seconds: float
    method: str
    marginals: np.ndarray | None = None
    marginal_stderr: np.ndarray | None = None
    energies: np.ndarray | None = None
    converged: bool | None = None
    n_sweeps: int | None = None
    info: dict = field(default_factory=dict)

    def accuracy(self, reference) -> float:
        """Fraction of pixels equal to ``reference`` (the clean image)."""
        return pixel_accuracy(self.image, reference)

    def to_dict(self, reference=None) -> dict:
        """A JSON-friendly summary: method, energy, seconds (and accuracy given ``reference``)."""
        out: dict[str, Any] = {"method": self.method, "energy": float(self.energy),
                               "seconds": float(self.seconds)}
        out["accuracy"] = None if reference is None else self.accuracy(reference)
        if self.n_sweeps is not None:
            out["n_sweeps"] = int(self.n_sweeps)
        if self.converged is not None:
            out["converged"] = bool(self.converged)
        return out


def _number(name: str, value, *, minimum: float | None = None) -> float:
    if isinstance(value, (bool, np.bool_)):
        raise ModelError(f"{name} must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ModelError(f"{name} must be finite, got {value!r}")
    if minimum is not None and v < minimum:
        raise ModelError(f"{name} must be >= {minimum}, got {value!r}")
    return v


def _check_pixels(yy: np.ndarray, bytes_per_pixel: int, what: str,
                  memory_budget: int | None) -> None:
    """Refuse a solver whose working arrays (``bytes_per_pixel`` a pixel) exceed the budget."""
    from pgm._config import check_allocation

    H, W = yy.shape
    check_allocation(H * W * bytes_per_pixel, f"{what} on a {H}x{W} image",
                     memory_budget=memory_budget)


def _int_arg(name: str, value, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise PGMError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise PGMError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


class IsingDenoiser:
    """The Ising image-denoising MRF of PRML 8.3.3.

    Parameters
    ----------
    beta : float
        Coupling of neighbouring latent pixels (``beta >= 0`` favours smooth images;
        negative values are allowed except for :meth:`graph_cut`).
    eta : float
        Coupling of each latent pixel to its observed pixel.
    h : float
        Bias: positive ``h`` favours ``x_i = -1``.
    connectivity : {4, 8}
        Neighbourhood: the 4 axis neighbours, or also the 4 diagonal ones.

    Examples
    --------
    >>> m = IsingDenoiser(beta=1.0, eta=2.1, h=0.0)
    >>> y = np.array([[1, 1, 1], [1, -1, 1], [1, 1, 1]], dtype=np.int8)
    >>> m.local_energy_difference(y, y, (1, 1))     # 2h - 2 beta (4) - 2 eta (-1)
    -3.8
    >>> m.icm(y).image.tolist()
    [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
    """

    def __init__(self, beta: float = 1.0, eta: float = 2.1, h: float = 0.0,
                 connectivity: int = 4) -> None:
        self.beta = _number("beta", beta)
        self.eta = _number("eta", eta)
        self.h = _number("h", h)
        if isinstance(connectivity, bool) or connectivity not in (4, 8):
            raise ModelError(f"connectivity must be 4 or 8, got {connectivity!r}")
        self.connectivity = int(connectivity)

    def __repr__(self) -> str:
        return (f"IsingDenoiser(beta={self.beta:g}, eta={self.eta:g}, h={self.h:g}, "
                f"connectivity={self.connectivity})")

    # ---------------------------------------------------------------- inputs
    @staticmethod
    def _y(y) -> np.ndarray:
        return as_spins(y, "observed image y")

    def _xy(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        yy = self._y(y)
        xx = as_spins(x, "latent image x")
        if xx.shape != yy.shape:
            raise ImageError(f"x has shape {xx.shape} but y has shape {yy.shape}")
        return xx, yy

    @property
    def offsets(self) -> list[tuple[int, int]]:
        """Neighbour offsets ``(dr, dc)`` of a pixel (4 or 8 of them)."""
        axis = [(-1, 0), (1, 0), (0, -1), (0, 1)]
        diag = [(-1, -1), (-1, 1), (1, -1), (1, 1)]
        return axis + diag if self.connectivity == 8 else axis

    def field(self, y) -> np.ndarray:
        """The posterior's Ising field ``eta * y - h`` (float64, shape of ``y``)."""
        return self.eta * self._y(y).astype(np.float64) - self.h

    # ---------------------------------------------------------------- energy
    def pair_sum(self, x) -> int:
        """``sum_{i~j} x_i x_j`` over neighbouring pairs, each pair once."""
        a = as_spins(x, "image")   # int8: products of spins fit, sums in int64

        def dot(u, v):
            return int(np.multiply(u, v).sum(dtype=np.int64))

        s = dot(a[:, :-1], a[:, 1:]) + dot(a[:-1, :], a[1:, :])
        if self.connectivity == 8:
            s += dot(a[:-1, :-1], a[1:, 1:]) + dot(a[:-1, 1:], a[1:, :-1])
        return s

    def energy(self, x, y) -> float:
        """``E(x, y) = h sum x_i - beta sum_{i~j} x_i x_j - eta sum x_i y_i``.

        Examples
        --------
        >>> x = np.ones((2, 2), dtype=np.int8)
        >>> IsingDenoiser(beta=1.0, eta=2.0, h=0.5).energy(x, x)   # 0.5*4 - 4 - 2*4
        -10.0
        """
        xx, yy = self._xy(x, y)
        return self._energy_spins(xx, yy)

    def _energy_spins(self, xx: np.ndarray, yy: np.ndarray) -> float:
        """:meth:`energy` of validated int8 spin images (the integer sums in one compiled pass)."""
        from pgm.models._kernels_ising import spin_sums

        sx, sxy, pairs = spin_sums(np.ascontiguousarray(xx), np.ascontiguousarray(yy),
                                   self.connectivity)
        return float(self.h * int(sx) - self.beta * int(pairs) - self.eta * int(sxy))

    def neighbour_sums(self, x) -> np.ndarray:
        """``sum_{j in ne(i)} x_j`` for every pixel (int32; pixels outside count 0)."""
        a = as_spins(x, "image")
        H, W = a.shape
        p = np.zeros((H + 2, W + 2), dtype=np.int32)
        p[1:-1, 1:-1] = a
        out = np.zeros((H, W), dtype=np.int32)
        for dr, dc in self.offsets:
            out += p[1 + dr:1 + dr + H, 1 + dc:1 + dc + W]
        return out

    def local_energy_difference(self, x, y, k) -> float:
        """``E(x_k = +1) - E(x_k = -1) = 2h - 2 beta sum_{j in ne(k)} x_j - 2 eta y_k``.

        Computed from the neighbourhood of pixel ``k`` only (PRML Problem 4a).

        Parameters
        ----------
        x, y : spin images
        k : (row, col) or int
            The pixel, as coordinates or a flat (row-major) index.

        Examples
        --------
        >>> m = IsingDenoiser(beta=0.5, eta=1.0, h=0.25)
        >>> x = np.array([[1, -1], [1, 1]], dtype=np.int8)
        >>> m.local_energy_difference(x, x, (0, 0))     # 0.5 - 2*0.5*(-1+1) - 2*1
        -1.5
        """
        xx, yy = self._xy(x, y)
        H, W = xx.shape
        if isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)):
            if not 0 <= k < H * W:
                raise ImageError(f"pixel index {k} is outside 0..{H * W - 1}")
            r, c = divmod(int(k), W)
        else:
            try:
                r, c = (int(v) for v in k)
            except (TypeError, ValueError):
                raise ImageError(f"pixel must be (row, col) or a flat index, got {k!r}") from None
            if not (0 <= r < H and 0 <= c < W):
                raise ImageError(f"pixel {(r, c)} is outside the {H}x{W} image")
        s = 0
        for dr, dc in self.offsets:
            rr, cc = r + dr, c + dc
            if 0 <= rr < H and 0 <= cc < W:
                s += int(xx[rr, cc])
        return float(2 * self.h - 2 * self.beta * s - 2 * self.eta * int(yy[r, c]))

    def local_energy_differences(self, x, y) -> np.ndarray:
        """:meth:`local_energy_difference` for every pixel at once (float64, shape of ``y``)."""
        xx, yy = self._xy(x, y)
        return 2 * self.h - 2 * self.beta * self.neighbour_sums(xx) - 2 * self.eta * yy

    def conditional_probabilities(self, x, y) -> np.ndarray:
        """``P(x_k = +1 | x_rest, y) = 1 / (1 + exp(E(x_k=+1) - E(x_k=-1)))`` per pixel."""
        from scipy.special import expit

        return expit(-self.local_energy_differences(x, y))

    # ----------------------------------------------------------- conversions
    def to_pairwise_model(self, y):
        """The posterior ``p(x | y)`` as an engine grid model.

        A :class:`~pgm.inference.pairwise.PairwiseBinaryModel` (Ising domain, variables
        ``(row, col)``) with field ``eta * y - h`` and coupling ``beta``; its energy is
        ``E(x, y)``.
        """
        from pgm.inference.pairwise import PairwiseBinaryModel

        yy = self._y(y)
        return PairwiseBinaryModel.grid(yy.shape, coupling=self.beta, field=self.field(yy),
                                        connectivity=self.connectivity)

    def grid(self, y):
        """The posterior as a :class:`~pgm.inference.grid.GridIsing` (checkerboard kernels)."""
        return self._grid_spins(self._y(y))

    def _grid_spins(self, yy: np.ndarray, memory_budget: int | None = None):
        """:meth:`grid` of a validated int8 spin image: the field ``eta * y - h`` has two
        levels, handed over with the level of each pixel (no scan of the field)."""
        from pgm.inference.grid import GridIsing

        return GridIsing(yy.shape, coupling=self.beta, connectivity=self.connectivity,
                         levels=[-self.eta - self.h, self.eta - self.h],
                         level_index=(yy > 0).view(np.uint8), memory_budget=memory_budget)

    def to_factor_graph(self, y, *, max_pixels: int | None = 4096):
        """The posterior ``p(x | y)`` as a :class:`~pgm.factor_graph.FactorGraph` (small images).

        Variables are ``(row, col)`` tuples with two states: state 0 is ``x = -1``,
        state 1 is ``x = +1``.  One unary log-factor ``(eta y_i - h) x_i`` per pixel and
        one pairwise log-factor ``beta x_i x_j`` per neighbouring pair, so that
        ``log_unnormalized(x) = -E(x, y)`` (with ``beta = 0`` there are no pairwise
        factors).  Built by :meth:`PairwiseBinaryModel.to_factor_graph
        <pgm.inference.pairwise.PairwiseBinaryModel.to_factor_graph>` from
        :meth:`to_pairwise_model`.

        Parameters
        ----------
        max_pixels : int or None
            Refuse larger images (one Python object per factor); None: no limit.

        Examples
        --------
        >>> y = np.array([[1, -1]], dtype=np.int8)
        >>> fg = IsingDenoiser().to_factor_graph(y)
        >>> fg, fg.variables
        (FactorGraph(2 variables, 3 factors), [(0, 0), (0, 1)])
        """
        yy = self._y(y)
        if max_pixels is not None and yy.size > max_pixels:
            raise ModelError(f"to_factor_graph: the image has {yy.size} pixels, over max_pixels="
                             f"{max_pixels}; use the grid solvers, or pass max_pixels=None")
        return self.to_pairwise_model(yy).to_factor_graph()

    @staticmethod
    def assignment(x) -> dict[Hashable, int]:
        """A spin image as a factor-graph assignment ``{(row, col): 0 or 1}``."""
        a = as_spins(x, "image")
        return {(r, c): int(v > 0) for (r, c), v in np.ndenumerate(a)}

    @staticmethod
    def image_from_assignment(assignment, shape: tuple[int, int]) -> np.ndarray:
        """The inverse of :meth:`assignment` (states 0/1 -> spins -1/+1)."""
        out = np.empty(shape, dtype=np.int8)
        for r in range(shape[0]):
            for c in range(shape[1]):
                out[r, c] = 1 if int(assignment[(r, c)]) == 1 else -1
        return out

    # --------------------------------------------------------------- solvers
    def icm(self, y, *, initial=None, max_sweeps: int = 100,
            memory_budget: int | None = None) -> DenoiseResult:
        """Iterated conditional modes: every pixel takes its locally best value, until stable.

        Starts from ``initial`` (default ``y``); checkerboard sweeps on the compiled
        grid kernel (:meth:`GridIsing.icm <pgm.inference.grid.GridIsing.icm>`).  The
        energy never increases; the result is a local minimum (``converged``) unless
        ``max_sweeps`` stopped it.  Every solver takes ``memory_budget`` (bytes; default
        ``$PGM_MEMORY_BUDGET`` or 4 GiB) and refuses an image whose working arrays would
        exceed it (:class:`~pgm.exceptions.MemoryBudgetError`) before allocating them.

        Examples
        --------
        >>> y = -np.ones((5, 5), dtype=np.int8); y[2, 2] = 1
        >>> r = IsingDenoiser().icm(y)
        >>> int(r.image.sum()), r.converged
        (-25, True)
        """
        yy = self._y(y)
        max_sweeps = _int_arg("max_sweeps", max_sweeps, 1)
        _check_pixels(yy, 32, "ICM", memory_budget)
        x0 = yy if initial is None else self._xy(initial, yy)[0]
        t0 = time.perf_counter()
        g = self._grid_spins(yy, memory_budget)
        s = np.array(x0, dtype=np.int8, order="C")
        s, energies, converged = g.icm(s, max_sweeps)
        energy = self._energy_spins(s, yy)
        seconds = time.perf_counter() - t0
        return DenoiseResult(image=s, energy=energy, seconds=seconds, method="icm",
                             energies=np.asarray(energies), converged=bool(converged),
                             n_sweeps=int(len(energies) - 1))

    def gibbs(self, y, n_samples: int = 200, burn_in: int = 50, seed: int | None = 0, *,
              chains: int = 1, thin: int = 1, initial=None, n_batches: int | None = None,
              memory_budget: int | None = None) -> DenoiseResult:
        """Posterior marginals ``P(x_i = +1 | y)`` by checkerboard Gibbs sampling, and the MPM image.

        Each chain starts at ``initial`` (default ``y``), runs ``burn_in`` sweeps, then
        records ``n_samples`` states, one every ``thin`` sweeps; the marginals average
        over all chains and records.  The MPM (maximum posterior marginal) image has
        ``x_i = +1`` where ``P > 1/2`` (``y_i`` on a tie).  The sweeps run on the
        compiled grid kernel (:meth:`GridIsing.gibbs <pgm.inference.grid.GridIsing.gibbs>`,
        all chains at once, counter-based random streams: same seed, same result).

        ``marginal_stderr`` is the batch-means standard error: the records of each
        chain are split into ``n_batches`` consecutive batches (default
        ``min(20, max(2, n_samples // 10))``) whose means are treated as independent
        (valid when a batch is much longer than the autocorrelation time).

        Examples
        --------
        >>> y = np.ones((6, 6), dtype=np.int8)
        >>> r = IsingDenoiser(beta=0.5, eta=1.0).gibbs(y, n_samples=100, seed=1)
        >>> bool((r.marginals > 0.5).all()), int(r.image.sum())
        (True, 36)
        """
        from pgm.models import _kernels_ising as KI
        from pgm.validation import resolve_seed

        yy = self._y(y)
        n_samples = _int_arg("n_samples", n_samples, 1)
        burn_in = _int_arg("burn_in", burn_in, 0)
        chains = _int_arg("chains", chains, 1)
        thin = _int_arg("thin", thin, 1)
        if n_batches is None:
            n_batches = min(20, max(2, n_samples // 10))
        n_batches = min(_int_arg("n_batches", n_batches, 1), n_samples)
        # the grid, the sums, the batch moments, the marginals; per chain the spins and
        # the int32 batch sums
        _check_pixels(yy, 64 + 6 * chains, f"Gibbs sampling with {chains} chains",
                      memory_budget)
        x0 = yy if initial is None else self._xy(initial, yy)[0]
        useed = resolve_seed(seed)
        t0 = time.perf_counter()
        g = self._grid_spins(yy, memory_budget)
        H, W = yy.shape
        s = np.empty((chains, H, W), dtype=np.int8)
        s[...] = x0
        total = np.zeros((H, W), dtype=np.int64)
        bm_sum = np.zeros((H, W))      # sums over (chain, batch) of the batch means of P(+1)
        bm_sq = np.zeros((H, W))
        with_means = n_batches * chains >= 2
        bacc = np.zeros((chains, H, W), dtype=np.int32)
        sweep = 0
        k = 0
        # one kernel call per batch (burn-in included in the first): the kernel adds the
        # spins of every recorded sweep to bacc, and fold_batch folds the batch sums
        # the sizes of np.array_split(range(n_samples), n_batches), without the range
        q, r = divmod(n_samples, n_batches)
        for b, size in enumerate(q + (1 if i < r else 0) for i in range(n_batches)):
            nb = burn_in if b == 0 else 0
            if b:
                bacc.fill(0)
            g.gibbs(s, nb + size * thin, seed=useed, sweep_offset=sweep, counts=bacc,
                    record_from=nb, thin=thin)
            sweep += nb + size * thin
            KI.fold_batch(bacc, size, total, bm_sum, bm_sq, with_means)
            k += chains
        p = np.empty((H, W))
        mpm = np.empty((H, W), dtype=np.int8)
        stderr = np.empty((H, W)) if k >= 2 else np.empty((0, 0))
        KI.finish_marginals(total, chains * n_samples, yy, bm_sum, bm_sq, k, p, mpm, stderr)
        energy = self._energy_spins(mpm, yy)
        seconds = time.perf_counter() - t0
        stderr = stderr if k >= 2 else None
        return DenoiseResult(image=mpm, energy=energy, seconds=seconds,
                             method="gibbs", marginals=p, marginal_stderr=stderr,
                             n_sweeps=int(sweep),
                             info={"chains": chains, "n_samples": n_samples, "burn_in": burn_in,
                                   "thin": thin, "seed": useed, "n_batches": n_batches})

    def anneal(self, y, schedule: Sequence[float] | None = None, seed: int | None = 0, *,
               chains: int = 1, polish: bool = True,
               memory_budget: int | None = None) -> DenoiseResult:
        """Simulated annealing: Gibbs sweeps of ``p(x | y)^(1/T)`` at falling temperatures ``T``.

        Every chain starts at ``y`` and runs one checkerboard sweep per temperature of
        the schedule, all in one call of the compiled grid kernel
        (:meth:`GridIsing.gibbs <pgm.inference.grid.GridIsing.gibbs>` with one
        inverse temperature per sweep); with ``polish`` ICM then takes each chain to a
        local minimum.  The chain of lowest energy wins.

        Parameters
        ----------
        schedule : sequence of float, optional
            One temperature per sweep; default
            :func:`~pgm.inference.gibbs.geometric_schedule` ``(4.0, 0.05, 300)``.
        seed : int, optional
            Same seed, same result.
        chains : int
            Independent runs (swept together).
        polish : bool
            Finish with ICM (the energy can only fall).

        Examples
        --------
        >>> y = -np.ones((8, 8), dtype=np.int8); y[3, 3] = 1
        >>> int(IsingDenoiser().anneal(y, [2.0, 1.0, 0.5, 0.1], seed=0).image.max())
        -1
        """
        from pgm.inference.gibbs import check_schedule, geometric_schedule
        from pgm.validation import resolve_seed

        yy = self._y(y)
        chains = _int_arg("chains", chains, 1)
        _check_pixels(yy, 32 + 2 * chains, f"annealing with {chains} chains", memory_budget)
        temps = geometric_schedule(4.0, 0.05, 300) if schedule is None else \
            check_schedule(schedule)
        useed = resolve_seed(seed)
        t0 = time.perf_counter()
        g = self._grid_spins(yy, memory_budget)
        s = np.empty((chains, *yy.shape), dtype=np.int8)
        s[...] = yy
        g.gibbs(s, len(temps), beta=1.0 / temps, seed=useed)
        before = np.atleast_1d(g.energy(s))
        n_icm = 0
        if polish:
            s, energies, _ = g.icm(s, 100)
            n_icm = len(energies) - 1
        best = int(np.argmin(np.atleast_1d(g.energy(s))))
        x = s[best].copy()
        energy = self._energy_spins(x, yy)
        seconds = time.perf_counter() - t0
        return DenoiseResult(image=x, energy=energy, seconds=seconds, method="anneal",
                             n_sweeps=int(len(temps)),
                             info={"chains": chains, "seed": useed, "polish_sweeps": n_icm,
                                   "energy_before_polish": float(before[best]),
                                   "t_start": float(temps[0]), "t_end": float(temps[-1])})

    def graph_cut(self, y, *, scale: float | None = None,
                  memory_budget: int | None = None) -> DenoiseResult:
        """The exact MAP image ``argmin_x E(x, y)`` by a minimum s-t cut (needs ``beta >= 0``).

        Construction (Greig, Porteous & Seheult 1989; Kolmogorov & Zabih 2004): one
        node per pixel plus a source ``s`` (side of ``x = +1``) and a sink ``t``.  With
        ``u_i = E_i(+1) - E_i(-1) = 2h - 2 eta y_i``, an edge ``i -> t`` of capacity
        ``u_i`` when ``u_i > 0`` (paid when ``x_i = +1``) and ``s -> i`` of capacity
        ``-u_i`` when ``u_i < 0``; each neighbouring pair gets edges both ways of
        capacity ``2 beta`` (since ``-beta x_i x_j = -beta + 2 beta [x_i != x_j]``).  Then
        ``E(x, y) = cut(x) + const``, so a minimum cut is a MAP image.

        Solved by :func:`pgm.inference.graphcut.graph_cut_map` on :meth:`grid`.
        :func:`scipy.sparse.csgraph.maximum_flow` (Dinic) needs integer capacities:
        they are multiplied by ``scale`` (default ``min(1e6, 2^30 / largest)``) and
        rounded.  The cut is then exact whenever the scaled capacities are integers
        (e.g. parameters with at most 6 decimals); otherwise its energy is within
        ``(pixels + neighbour pairs) / scale`` of the minimum (``info["rounding_bound"]``:
        each edge's rounding error is at most ``0.5 / scale``).
        The cut is read from the residual graph: the pixels reachable from the
        source by a breadth-first search are ``+1``.

        Raises
        ------
        ModelError
            ``beta < 0``: the energy is not submodular and a cut does not solve it
            (use ICM, Gibbs or annealing).

        Examples
        --------
        >>> y = np.array([[1, 1, 1], [1, -1, 1], [1, 1, -1]], dtype=np.int8)
        >>> IsingDenoiser(beta=1.0, eta=1.5).graph_cut(y).image.tolist()
        [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
        """
        from pgm.exceptions import ParameterError
        from pgm.inference.graphcut import graph_cut_map

        yy = self._y(y)
        if self.beta < 0:
            raise ModelError(
                f"graph cut needs beta >= 0 (got beta={self.beta:g}): with a negative coupling the "
                "energy is not submodular and a minimum cut does not minimize it; use "
                "method 'icm', 'gibbs' or 'anneal'"
            )
        if scale is not None:
            scale = _number("scale", scale)
        t0 = time.perf_counter()
        try:
            res = graph_cut_map(self._grid_spins(yy, memory_budget), scale=scale,
                                memory_budget=memory_budget)
        except ParameterError as exc:   # a bad scale: the denoiser's parameters are ModelErrors
            raise ModelError(str(exc)) from None
        x = res.spins
        seconds = time.perf_counter() - t0
        energy = self.energy(x, yy)
        return DenoiseResult(image=x, energy=energy, seconds=seconds, method="graphcut",
                             info=res.info)

    def denoise(self, y, method: str = "icm", **kwargs) -> DenoiseResult:
        """Run the solver named ``method`` (one of :data:`METHODS`) with ``kwargs``.

        Examples
        --------
        >>> y = np.ones((4, 4), dtype=np.int8)
        >>> IsingDenoiser().denoise(y, "graphcut").method
        'graphcut'
        """
        solvers = {"icm": self.icm, "gibbs": self.gibbs, "anneal": self.anneal,
                   "graphcut": self.graph_cut, "graph_cut": self.graph_cut}
        if method not in solvers:
            raise PGMError(f"unknown denoising method {method!r}; choose one of "
                           f"{', '.join(METHODS)}")
        return solvers[method](y, **kwargs)

