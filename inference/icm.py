"""Iterated conditional modes (ICM): greedy coordinate-wise MAP search.

Each sweep sets every free variable to the state of highest probability given
its Markov blanket (a variable moves only on a strict improvement), until a sweep
changes nothing.  The energy ``-log p~(x)`` (negative unnormalized
log-probability) never increases, and the result is a local minimum: no single
variable change lowers the energy.  Several random restarts keep the best.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pgm._config import check_allocation
from pgm.exceptions import EvidenceError
from pgm.inference.compiled import compile_model, variable_order
from pgm.validation import check_positive_int, resolve_seed

__all__ = ["IcmResult", "icm", "icm_map"]


@dataclass
class IcmResult:
    """Output of :func:`icm`.

    Attributes
    ----------
    variables : list
        The model's variables, in the order of ``state``.
    state : ndarray
        The local minimum as a vector (state indices; pairwise models: spin/unit values).
    energy : float
        Its energy (``-log p~``; add ``log Z`` for ``-log p``).
    energies : ndarray
        Energy of the start, then after each sweep (non-increasing), of the best restart.
    n_sweeps : int
        Sweeps run by the best restart.
    converged : bool
        True if the last sweep changed nothing (a local minimum), False if
        ``max_sweeps`` stopped it.
    restart_energies : ndarray
        Final energy of each restart.
    """

    variables: list
    state: np.ndarray
    energy: float
    energies: np.ndarray
    n_sweeps: int
    converged: bool
    restart_energies: np.ndarray

    @property
    def assignment(self) -> dict:
        """The local minimum as ``{variable: state}``."""
        return dict(zip(self.variables, self.state.tolist()))


def check_icm_allocation(restarts: int, n: int, itemsize: int, max_sweeps: int,
                         memory_budget: int | None = None) -> None:
    """Refuse (:class:`~pgm.exceptions.MemoryBudgetError`) ICM runs whose starting states
    (``restarts x n`` states and their random draws) or energy trace (``max_sweeps``
    floats a run) would exceed the memory budget."""
    check_allocation(restarts * n * (2 * itemsize + 8) + 8 * (max_sweeps + 1),
                     f"ICM: {restarts} restarts x {n} variables, {max_sweeps} sweeps",
                     memory_budget=memory_budget)


def icm(model, initial=None, *, max_sweeps: int = 100, seed: int | None = None,
        evidence: Mapping | None = None, restarts: int = 1,
        order: Sequence[Hashable] | None = None,
        memory_budget: int | None = None) -> IcmResult:
    """Iterated conditional modes from a given or random start.

    Parameters
    ----------
    model : FactorGraph, BayesianNetwork, CompiledModel or PairwiseBinaryModel
    initial : dict or array, optional
        Start state; default a random state of positive probability (drawn as in
        :func:`~pgm.inference.gibbs_sample`).  Evidence overrides it.
    max_sweeps : int
        Sweep limit.
    seed : int, optional
        Seed of the random starts.
    evidence : dict, optional
        Clamped variables.
    restarts : int
        Independent random starts (the first uses ``initial`` if given); the lowest
        final energy wins.
    order : sequence, optional
        Update order (default model order).
    memory_budget : int, optional
        Bytes the restarts' states and energy traces may take (default
        ``$PGM_MEMORY_BUDGET`` or 4 GiB); checked before they are allocated.

    Raises
    ------
    MemoryBudgetError
        ``restarts x variables`` or ``max_sweeps`` over the memory budget.
    EvidenceError
        Bad evidence, or no state of positive probability reachable.

    Examples
    --------
    >>> from pgm.factor import Factor
    >>> from pgm.factor_graph import FactorGraph
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[5.0, 1.0], [1.0, 2.0]])])
    >>> r = icm(fg, initial={"a": 1, "b": 0})
    >>> r.assignment, r.converged
    ({'a': 0, 'b': 0}, True)
    """
    max_sweeps = check_positive_int("max_sweeps", max_sweeps, 1)
    restarts = check_positive_int("restarts", restarts, 1)
    from pgm.inference.pairwise import PairwiseBinaryModel

    if isinstance(model, PairwiseBinaryModel):
        from pgm.inference.pairwise import icm_pairwise_model

        return icm_pairwise_model(model, initial, max_sweeps=max_sweeps, seed=seed,
                                   evidence=evidence, restarts=restarts,
                                   memory_budget=memory_budget)
    from pgm.inference import _kernels_generic as K

    cm = compile_model(model)
    check_icm_allocation(restarts, cm.n_variables, np.dtype(cm.state_dtype).itemsize, max_sweeps,
                         memory_budget)
    seed = resolve_seed(seed)
    ev, clamped, values = cm.split_evidence(evidence)
    free = cm.free_positions(clamped)
    upd = variable_order(cm, order, free)
    starts = []
    if initial is not None:
        starts.append(cm.initial_states(1, clamped, values, seed, initial=initial)[0])
    if restarts > len(starts):
        starts.extend(cm.initial_states(restarts - len(starts), clamped, values, seed))
    best = None
    finals = []
    for x0 in starts:
        x = np.ascontiguousarray(x0.copy())
        energies = np.empty(max_sweeps)
        e0 = cm.energy(x)
        t, converged = K.icm_run(cm.arrays, x, upd, max_sweeps, energies)
        traj = np.concatenate([[e0], energies[:t]])
        finals.append(traj[-1])
        if best is None or traj[-1] < best[0]:
            best = (traj[-1], x, traj, t, converged)
    e, x, traj, t, converged = best
    if not np.isfinite(e):
        raise EvidenceError("ICM ended in a state of probability zero; the evidence may be "
                            "impossible")
    return IcmResult(variables=list(cm.variables), state=x, energy=float(e), energies=traj,
                     n_sweeps=int(t), converged=bool(converged), restart_energies=np.array(finals))


def icm_map(model, evidence: Mapping | None = None, *, seed: int | None = 0, restarts: int = 10,
            max_sweeps: int = 200, memory_budget: int | None = None) -> tuple[dict, float]:
    """Approximate MAP assignment by ICM with random restarts: ``(assignment, energy)``.

    The entry point for ``pgm infer --map --method icm``; the energy is the negative
    unnormalized log-probability of the assignment.
    """
    r = icm(model, evidence=evidence, seed=seed, restarts=restarts, max_sweeps=max_sweeps,
            memory_budget=memory_budget)
    return r.assignment, r.energy
