"""Evidence, one way everywhere: ``{variable: state}`` to ``{variable: state index}``.

Variable elimination, the compiled engine (Gibbs, ICM, annealing) and every command of
the command line pass evidence through :func:`normalize_evidence`, so the same evidence
works, or fails with the same message, wherever it is given.

* A **state** is a state name (``"yes"``), a state index (``1``, a NumPy integer), or
  the decimal text of an index (``"1"``, as the command line and JSON files give it).
  Booleans and floats are refused: ``True`` and ``1.0`` are not states.
* A **variable** is a key of the model; a string that is not a key also matches the
  variable whose ``str()`` it is (so ``"3"`` names variable ``3`` of a UAI model).
* Errors are :class:`~pgm.exceptions.EvidenceError`, naming the variable and listing
  its valid states.

The command line's forms live here too: :func:`parse_evidence_items` reads
``X=v`` items (``-e X=v``, also ``X=v,Y=w``), :func:`read_evidence_file` reads a UAI
``.evid`` file, a JSON object or ``X=v`` lines.

Examples
--------
>>> import pgm
>>> bn = pgm.BayesianNetwork.from_cpds([
...     pgm.TabularCPD("rain", [0.8, 0.2], state_names={"rain": ["no", "yes"]})])
>>> normalize_evidence(bn, {"rain": "yes"}), normalize_evidence(bn, {"rain": 0})
({'rain': 1}, {'rain': 0})
>>> normalize_evidence(bn, {"rain": "maybe"})
Traceback (most recent call last):
...
pgm.exceptions.EvidenceError: evidence rain='maybe': 'rain' has no state 'maybe'; its states are no, yes
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from pgm.exceptions import EvidenceError, ModelLoadError

__all__ = [
    "model_variables",
    "resolve_variable",
    "normalize_evidence",
    "state_index",
    "parse_assignment",
    "parse_evidence_items",
    "read_evidence_file",
    "normalize_soft_evidence",
    "with_soft_evidence",
]


def model_variables(model: Any) -> list[Hashable]:
    """The variables of a Bayesian network (``nodes``) or a factor graph (``variables``)."""
    return list(model.nodes) if hasattr(model, "nodes") else list(model.variables)


def resolve_variable(model: Any, name: Any, known: Iterable[Hashable] | None = None) -> Hashable:
    """The variable of ``model`` that ``name`` refers to; :class:`EvidenceError` if none.

    ``name`` is a variable itself, or (a string) the ``str()`` of exactly one variable.

    Examples
    --------
    >>> from pgm import Factor, FactorGraph
    >>> resolve_variable(FactorGraph([Factor([0, 1], [2, 2], [[1, 2], [3, 4]])]), "1")
    1
    """
    variables = model_variables(model) if known is None else known
    variables = variables if isinstance(variables, set | frozenset | dict) else list(variables)
    try:
        if name in variables:
            return name
    except TypeError:  # an unhashable name
        raise EvidenceError(f"evidence names unknown variable {name!r}") from None
    if isinstance(name, str):
        text = name.strip()
        matches = [v for v in variables if str(v) == text]
        if len(matches) == 1:
            return matches[0]
    raise EvidenceError(f"evidence names unknown variable {name!r}")


def _is_index(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def state_index(model: Any, variable: Hashable, value: Any) -> int:
    """The index of state ``value`` (a name, an index or its decimal text) of ``variable``."""
    card = int(model.cardinality(variable))
    names = [str(s) for s in model.state_names(variable)]
    listing = ", ".join(names)
    if _is_index(value):
        if 0 <= int(value) < card:
            return int(value)
        raise EvidenceError(f"evidence {variable}={value}: state index out of range; "
                            f"{variable!r} has states 0..{card - 1} ({listing})")
    if isinstance(value, str):
        text = value.strip()
        if text in names:
            return names.index(text)
        if re.fullmatch(r"[0-9]+", text):
            if int(text) < card:
                return int(text)
            raise EvidenceError(f"evidence {variable}={value}: state index out of range; "
                                f"{variable!r} has states 0..{card - 1} ({listing})")
        raise EvidenceError(f"evidence {variable}={value!r}: {variable!r} has no state {text!r}; "
                            f"its states are {listing}")
    raise EvidenceError(f"evidence {variable}={value!r}: a state is a name or an index, "
                        f"not a {type(value).__name__}; the states of {variable!r} are {listing}")


def normalize_evidence(model: Any, evidence: Mapping[Any, Any] | None) -> dict[Hashable, int]:
    """``{variable: state index}`` from evidence given by state names or indices.

    Parameters
    ----------
    model : BayesianNetwork or FactorGraph
        Anything with ``nodes`` or ``variables``, ``cardinality(v)`` and ``state_names(v)``.
    evidence : mapping or None
        ``{variable: state}``; ``None`` is no evidence.

    Raises
    ------
    EvidenceError
        Evidence that is not a mapping, names an unknown variable, or gives a value
        that is not a state of its variable (the message lists the valid states).

    Examples
    --------
    >>> from pgm import Factor, FactorGraph
    >>> fg = FactorGraph([Factor(["a"], [3], [1, 2, 3])])
    >>> normalize_evidence(fg, {"a": "2"}), normalize_evidence(fg, None)
    ({'a': 2}, {})
    """
    if evidence is None:
        return {}
    if not isinstance(evidence, Mapping):
        raise EvidenceError(f"evidence must be a mapping {{variable: state}}, got "
                            f"{type(evidence).__name__}")
    known = set(model_variables(model))
    out: dict[Hashable, int] = {}
    for name, value in evidence.items():
        var = resolve_variable(model, name, known)
        out[var] = state_index(model, var, value)
    return out


def parse_assignment(token: str) -> tuple[str, str]:
    """``"X=v"`` to ``("X", "v")``; :class:`EvidenceError` unless both sides are non-empty.

    Examples
    --------
    >>> parse_assignment(" smoke = yes ")
    ('smoke', 'yes')
    """
    if "=" not in token:
        raise EvidenceError(f"evidence {token!r} is not of the form X=value")
    name, value = token.split("=", 1)
    if not name.strip() or not value.strip():
        raise EvidenceError(f"evidence {token!r} is not of the form X=value")
    return name.strip(), value.strip()


def parse_evidence_items(model: Any, items: Iterable[str], *,
                         soft: dict | None = None) -> dict[Hashable, int]:
    """Evidence from command-line items ``"X=v"`` (each may hold several: ``"X=v,Y=w"``).

    Soft (virtual) evidence is written ``X~0.8,0.2`` (one likelihood per state, in state
    order; the numbers after ``~`` run until the next ``Y=v`` or ``Y~...``).  It is put
    into ``soft`` (``{variable: likelihood array}``) when a dict is given, and refused
    with :class:`EvidenceError` otherwise (a command that cannot use it says so).

    Examples
    --------
    >>> from pgm import Factor, FactorGraph
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1, 2], [3, 4]])])
    >>> parse_evidence_items(fg, ["a=1,b=0"])
    {'a': 1, 'b': 0}
    >>> soft = {}
    >>> parse_evidence_items(fg, ["b~0.8,0.2,a=0"], soft=soft), soft["b"].tolist()
    ({'a': 0}, [0.8, 0.2])
    """
    raw: dict[Any, str] = {}
    raw_soft: dict[Any, list[str]] = {}
    current = None
    for item in items:
        current = None
        for part in str(item).split(","):
            if not part.strip():
                continue
            if "~" in part and ("=" not in part or part.index("~") < part.index("=")):
                name, first = part.split("~", 1)
                if not name.strip():
                    raise EvidenceError(f"soft evidence {part!r} is not of the form X~l1,l2,...")
                if soft is None:
                    raise EvidenceError(f"soft evidence {str(item)!r} (X~likelihoods) is not "
                                        "available here; give X=v")
                current = resolve_variable(model, name.strip())
                raw_soft[current] = [first.strip()] if first.strip() else []
            elif "=" in part or current is None:
                name, value = parse_assignment(part)
                raw[resolve_variable(model, name)] = value
                current = None
            else:
                raw_soft[current].append(part.strip())
    if soft is not None:
        soft.update(normalize_soft_evidence(model, raw_soft))
    return normalize_evidence(model, raw)


def normalize_soft_evidence(model: Any, soft: Mapping[Any, Any] | None) -> dict[Hashable, np.ndarray]:
    """``{variable: likelihoods}`` validated: one finite, non-negative number per state, not
    all zero (numbers may be given as text).  Raises :class:`EvidenceError` naming the variable.

    Examples
    --------
    >>> from pgm import Factor, FactorGraph
    >>> fg = FactorGraph([Factor(["a"], [2], [1.0, 1.0])])
    >>> normalize_soft_evidence(fg, {"a": ["0.5", 1]})["a"].tolist()
    [0.5, 1.0]
    """
    out: dict[Hashable, np.ndarray] = {}
    if not soft:
        return out
    if not isinstance(soft, Mapping):
        raise EvidenceError(f"soft evidence must be a mapping {{variable: likelihoods}}, got "
                            f"{type(soft).__name__}")
    for name, values in soft.items():
        v = resolve_variable(model, name)
        card = model.cardinality(v)
        try:
            lik = np.array([float(x) for x in values], dtype=np.float64)
        except (TypeError, ValueError):
            raise EvidenceError(f"soft evidence of {v!r} must be numbers, one per state, got "
                                f"{values!r}") from None
        if lik.shape != (card,):
            raise EvidenceError(f"soft evidence of {v!r} gives {lik.size} likelihoods; {v!r} has "
                                f"{card} states ({', '.join(map(str, model.state_names(v)))})")
        if not np.all(np.isfinite(lik)) or np.any(lik < 0) or not np.any(lik > 0):
            raise EvidenceError(f"soft evidence of {v!r} must be finite, non-negative and not "
                                f"all zero, got {lik.tolist()}")
        out[v] = lik
    return out


def with_soft_evidence(model: Any, soft: Mapping[Any, Any] | None):
    """The model as a factor graph with one unary factor per soft-evidence variable (its
    likelihoods): the virtual-evidence semantics, usable by any exact or sampling method.

    For a Bayesian network the factor graph's ``Z`` is the probability of the soft
    evidence.

    Examples
    --------
    >>> import pgm
    >>> bn = pgm.BayesianNetwork.from_cpds([pgm.TabularCPD("a", [0.25, 0.75])])
    >>> fg = with_soft_evidence(bn, {"a": [1.0, 0.0]})
    >>> len(fg.factors)
    2
    """
    from pgm.factor import Factor

    lik = normalize_soft_evidence(model, soft)
    fg = model.to_factor_graph() if hasattr(model, "to_factor_graph") else model.copy()
    for v, a in lik.items():
        fg.add_factor(Factor([v], [len(a)], a))
    return fg


def read_evidence_file(model: Any, path: str | os.PathLike) -> dict[Hashable, int]:
    """Evidence from a UAI ``.evid`` file, a JSON object ``{variable: state}`` or ``X=v`` lines.

    Lines may carry ``#`` comments.  Raises :class:`~pgm.exceptions.ModelLoadError` when
    the file cannot be read (or is not UTF-8 text) and :class:`EvidenceError` when its
    content is not evidence of ``model``.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelLoadError(f"{p}: no such evidence file") from None
    except UnicodeDecodeError as exc:
        raise ModelLoadError(f"{p}: the evidence file is not UTF-8 text ({exc.reason} at byte "
                             f"{exc.start})") from None
    except OSError as exc:
        raise ModelLoadError(f"{p}: cannot read the evidence file: {exc.strerror or exc}") from None
    stripped = text.strip()
    if p.suffix.lower() == ".evid" or re.fullmatch(r"[0-9\s]*", stripped):
        from pgm.io.uai import read_evidence

        raw = read_evidence(text + "\n") if stripped else {}  # a newline marks it as text
        known = set(model_variables(model))
        for v in raw:
            if v not in known:
                raise EvidenceError(f"{p}: evidence names variable {v}, but the model has "
                                    f"{len(known)} variables")
        return _with_path(p, lambda: normalize_evidence(model, raw))
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise EvidenceError(f"{p}: invalid JSON evidence: {exc}") from None
        if not isinstance(data, dict):
            raise EvidenceError(f"{p}: JSON evidence must be an object {{variable: state}}")
        return _with_path(p, lambda: normalize_evidence(model, data))
    lines = [ln.split("#", 1)[0] for ln in text.splitlines()]
    return _with_path(p, lambda: parse_evidence_items(model, [ln for ln in lines if ln.strip()]))


def _with_path(path: Path, thunk):
    try:
        return thunk()
    except EvidenceError as exc:
        raise EvidenceError(f"{path}: {exc}") from None
