"""The UAI competition formats: models (``.uai``), evidence (``.evid``), solutions (``.PR``, ``.MAR``).

A ``.uai`` file is a whitespace-separated stream::

    MARKOV            (or BAYES)
    3                 number of variables
    2 2 3             their cardinalities
    2                 number of factors
    1 0               scope of factor 0: size, then variable indices
    2 0 1             scope of factor 1
    2                 table of factor 0: entry count, then the entries
     0.4 0.6
    4                 table of factor 1 (last scope variable changes fastest)
     0.1 0.9 0.8 0.2

**Variable names.**  UAI variables have no names; the readers name them by their
integer index ``0 .. n-1`` (plain ``int``), so evidence read by :func:`read_evidence`
(``{variable index: state index}``) and the marginals of :func:`read_mar` (a list
indexed by variable) line up with the model directly.  State names are the default
``"0", "1", ...``.

For ``BAYES`` files the last scope variable of each table is the child and the
others its parents, in scope order: the table, C order over the scope, is exactly
:class:`~pgm.cpd.TabularCPD`'s layout ``(*parents, child)``.

Parsing is bulk: the header is read token by token, the numeric stream after it is
converted by NumPy a piece at a time, straight from the text.  Numbers must be in
ASCII decimal syntax (``1``, ``0.25``, ``1e-3``; not ``1_0``, ``nan`` or non-ASCII
digits, all of which Python's ``int``/``float`` accept).  Malformed input raises
:class:`~pgm.exceptions.ParseError` with the line and token.
"""

from __future__ import annotations

import os
import re
from array import array
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path

import numpy as np

from pgm._config import check_allocation, memory_budget_bytes
from pgm.exceptions import ModelError, ParseError
from pgm.io.text import INTEGER_RE, NUMBER, NUMBER_RE, float_pieces, read_source, write_source

__all__ = [
    "read_uai",
    "read_uai_factor_graph",
    "write_uai",
    "format_uai",
    "read_evidence",
    "write_evidence",
    "read_pr",
    "read_mar",
]


_WORD_RE = re.compile(r"\S++")
#: a run of data that holds only ASCII decimal numbers and whitespace
_DATA_RE = re.compile(rf"\s*+(?:{NUMBER}(?:\s++|\Z))*+")
_PR_RE = re.compile(rf"{NUMBER}|[-+]?+(?i:inf)")
_LINE_BREAK_RE = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class _Tokens:
    """Whitespace tokens of a text, read lazily: the header's tokens are kept as spans
    (16 bytes each), the bulk of numbers after it is converted straight from the text a
    piece at a time; lines are computed only for error messages."""

    def __init__(self, text: str, path: str | None) -> None:
        self.text = text
        self.path = path
        self._it = _WORD_RE.finditer(text)
        self.starts = array("q")
        self.ends = array("q")
        self._more = True

    def has(self, k: int) -> bool:
        """Whether the text has a token ``k`` (reading tokens up to it)."""
        starts, ends = self.starts, self.ends
        while len(starts) <= k and self._more:
            m = next(self._it, None)
            if m is None:
                self._more = False
            else:
                starts.append(m.start())
                ends.append(m.end())
        return k < len(starts)

    def get(self, k: int) -> str | None:
        """Token ``k``, or None past the end of the text."""
        return self.text[self.starts[k]:self.ends[k]] if self.has(k) else None

    def error(self, message: str, k: int) -> ParseError:
        if not self.has(k):  # maybe past the kept tokens: count on without keeping them
            n = len(self.starts)
            pos = self.ends[-1] if n else 0
            for m in _WORD_RE.finditer(self.text, pos):
                if n == k:
                    line = self.text.count("\n", 0, m.start()) + 1
                    return ParseError(message, path=self.path, line=line, token=m.group())
                n += 1
            end = len(self.text.rstrip())
            line = self.text.count("\n", 0, end) + 1
            return ParseError(message, path=self.path, line=line, token="end of file")
        line = self.text.count("\n", 0, self.starts[k]) + 1
        return ParseError(message, path=self.path, line=line, token=self.get(k))

    def int_at(self, k: int, what: str, minimum: int = 0) -> int:
        t = self.get(k)
        if t is None:
            raise self.error(f"unexpected end of file: expected {what}", k)
        # ASCII digits only: int() would also take "1_0" and non-ASCII digits
        if not INTEGER_RE.fullmatch(t):
            raise self.error(f"expected {what} (an integer)", k)
        if len(t) > 18:
            raise self.error(f"{what} is too large", k)
        v = int(t)
        if v < minimum:
            raise self.error(f"{what} must be >= {minimum}, got {v}", k)
        return v

    def floats(self, start: int, what: str) -> np.ndarray:
        """Every token from ``start`` to the end, as floats (ASCII decimal syntax only)."""
        text = self.text
        pos = self.starts[start] if self.has(start) else len(text)
        parts = []
        for piece in float_pieces(text, [(pos, len(text))], commas=False):
            if not _DATA_RE.fullmatch(piece):
                break
            parts.append(np.array(piece.split(), dtype=float))
        else:
            return np.concatenate(parts) if parts else np.zeros(0)
        for j, m in enumerate(_WORD_RE.finditer(text, pos)):  # find the culprit
            if not NUMBER_RE.fullmatch(m.group()):
                raise self.error(f"expected a number in {what}", start + j)
        raise AssertionError("unreachable")  # pragma: no cover


def _parse_model(text: str, path: str | None, memory_budget: int | None = None):
    """``(kind, cards, scopes, tables)`` of a UAI model text."""
    t = _Tokens(text, path)
    if not t.has(0):
        raise ParseError("empty UAI file", path=path, line=1)
    kind = t.get(0).upper()
    if kind not in ("MARKOV", "BAYES"):
        raise t.error("expected the preamble 'MARKOV' or 'BAYES'", 0)
    n = t.int_at(1, "the number of variables")
    cards = [t.int_at(2 + i, f"the cardinality of variable {i}", 1) for i in range(n)]
    p = 2 + n
    nf = t.int_at(p, "the number of factors")
    p += 1
    scopes: list[tuple[int, ...]] = []
    scope_tok: list[int] = []
    for f in range(nf):
        k = t.int_at(p, f"the scope size of factor {f}")
        scope = tuple(t.int_at(p + 1 + j, f"a variable index of factor {f}") for j in range(k))
        for j, v in enumerate(scope):
            if v >= n:
                raise t.error(f"factor {f} names variable {v}, but there are only {n} "
                              f"(indices 0..{n - 1})", p + 1 + j)
        if len(set(scope)) != k:
            raise t.error(f"factor {f} repeats a variable in its scope {list(scope)}", p)
        scopes.append(scope)
        scope_tok.append(p)
        p += 1 + k
    start = p
    arr = t.floats(start, "the factor tables")
    tables: list[np.ndarray] = []
    q = 0
    for f, scope in enumerate(scopes):
        expected = 1
        for v in scope:
            expected *= cards[v]
        if q >= arr.size:
            raise t.error(f"missing the table of factor {f} (of {nf})", start + q)
        cnt = arr[q]
        if cnt != expected:
            shown = int(cnt) if cnt.is_integer() else float(cnt)
            raise t.error(
                f"table of factor {f} over {list(scope)} declares {shown} entries; "
                f"the cardinalities {[cards[v] for v in scope]} give {expected}", start + q)
        if 8 * expected > memory_budget_bytes(memory_budget):
            check_allocation(8 * expected, f"{path or 'UAI text'}: line "
                             f"{text.count(chr(10), 0, t.starts[scope_tok[f]]) + 1}: the table "
                             f"of factor {f} ({expected} entries)", memory_budget=memory_budget)
        if q + 1 + expected > arr.size:
            raise t.error(f"table of factor {f} ends early: expected {expected} entries",
                          start + arr.size)
        vals = arr[q + 1:q + 1 + expected]
        bad = ~np.isfinite(vals) | (vals < 0)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise t.error(f"table of factor {f} has an invalid entry {float(vals[j])!r} "
                          "(entries must be finite and non-negative)", start + q + 1 + j)
        tables.append(vals)
        q += 1 + expected
    if q != arr.size:
        raise t.error(f"unexpected data after the last of the {nf} tables", start + q)
    return kind, cards, scopes, tables, scope_tok, t


def _factor_graph(cards, scopes, tables):
    from pgm.factor import Factor
    from pgm.factor_graph import FactorGraph

    fg = FactorGraph()
    for i, c in enumerate(cards):
        fg.add_variable(i, c)
    for scope, vals in zip(scopes, tables):
        fg.add_factor(Factor(scope, [cards[v] for v in scope], vals))
    return fg


def _model_name(path: str | None) -> str | None:
    if path is None:
        return None
    name = Path(path).name
    for ext in (".gz", ".uai"):
        if name.lower().endswith(ext):
            name = name[: -len(ext)]
    return name


def read_uai(path_or_text: str | os.PathLike, *, memory_budget: int | None = None):
    """Read a UAI model: a FactorGraph for ``MARKOV``, a BayesianNetwork for ``BAYES``.

    Variables are named by their integer index ``0 .. n-1``.  For ``BAYES`` files the
    last variable of each table's scope is the child; every variable must be the
    child of exactly one table.  ``.gz`` files are decompressed.

    Parameters
    ----------
    path_or_text : str or path-like
        A file name, or the UAI text itself (a ``str`` holding a newline).

    Raises
    ------
    ParseError
        Malformed input (bad preamble, a scope variable out of range, a wrong entry
        count, a negative or non-finite entry, missing or extra data, a number not in
        ASCII decimal syntax such as ``1_0``, ``nan`` or non-ASCII digits), naming the line.
    MemoryBudgetError
        If the file or one of its tables would pass the memory budget (``memory_budget``
        bytes, else ``$PGM_MEMORY_BUDGET``, else 4 GiB).

    Examples
    --------
    >>> fg = read_uai('''MARKOV
    ... 2
    ... 2 2
    ... 1
    ... 2 0 1
    ... 4
    ... 1.0 2.0 3.0 4.0
    ... ''')
    >>> fg.variables, round(fg.partition_function(), 9)
    ([0, 1], 10.0)
    """
    text, path = read_source(path_or_text, memory_budget=memory_budget)
    kind, cards, scopes, tables, scope_tok, t = _parse_model(text, path, memory_budget)
    if kind == "MARKOV":
        return _factor_graph(cards, scopes, tables)
    from pgm.bayesian_network import BayesianNetwork
    from pgm.cpd import TabularCPD

    cpds: dict[int, TabularCPD] = {}
    for f, (scope, vals) in enumerate(zip(scopes, tables)):
        if not scope:
            raise t.error(f"BAYES table {f} has an empty scope (it needs a child variable)",
                          scope_tok[f])
        child = scope[-1]
        if child in cpds:
            raise t.error(f"BAYES tables give variable {child} (the last in the scope) "
                          "two conditional distributions", scope_tok[f])
        cpds[child] = TabularCPD(child, vals.reshape([cards[v] for v in scope]),
                                 parents=scope[:-1])
    missing = [v for v in range(len(cards)) if v not in cpds]
    if missing:
        raise t.error(f"BAYES file has no table with variable {missing[0]} as its child "
                      "(last scope variable)", scope_tok[-1] if scope_tok else 1)
    bn = BayesianNetwork(name=_model_name(path))
    bn.graph.add_nodes_from(range(len(cards)))
    for v in range(len(cards)):
        bn.graph.add_edges_from((p, v) for p in cpds[v].parents)
        bn.add_cpd(cpds[v])
    return bn


def read_uai_factor_graph(path_or_text: str | os.PathLike, *,
                          memory_budget: int | None = None):
    """Read a UAI model (``MARKOV`` or ``BAYES``) as a FactorGraph, one factor per table.

    Examples
    --------
    >>> fg = read_uai_factor_graph('''BAYES
    ... 1
    ... 2
    ... 1
    ... 1 0
    ... 2 0.3 0.7
    ... ''')
    >>> fg.factors[0].values.tolist()
    [0.3, 0.7]
    """
    text, path = read_source(path_or_text, memory_budget=memory_budget)
    _, cards, scopes, tables, _, _ = _parse_model(text, path, memory_budget)
    return _factor_graph(cards, scopes, tables)


def _fmt(values: np.ndarray) -> str:
    return " ".join(map(repr, np.asarray(values, dtype=float).ravel().tolist()))


def format_uai(model) -> str:
    """The UAI text of a model (see :func:`write_uai`); variables in ``model.variables`` order.

    Examples
    --------
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> print(format_uai(BayesianNetwork.from_cpds([TabularCPD("a", [0.25, 0.75])])))
    BAYES
    1
    2
    1
    1 0
    <BLANKLINE>
    2
    0.25 0.75
    <BLANKLINE>
    """
    from pgm.bayesian_network import BayesianNetwork
    from pgm.factor_graph import FactorGraph

    if isinstance(model, BayesianNetwork):
        variables = model.nodes
        index = {v: i for i, v in enumerate(variables)}
        cards = [model.cardinality(v) for v in variables]
        cpds = [model.get_cpd(v) for v in variables]
        scopes = [cpd.scope for cpd in cpds]
        tables = [cpd.values for cpd in cpds]
        kind = "BAYES"
    elif isinstance(model, FactorGraph):
        variables = model.variables
        index = {v: i for i, v in enumerate(variables)}
        cards = [model.cardinality(v) for v in variables]
        factors = [f.to_prob() for f in model.factors]
        scopes = [f.variables for f in factors]
        tables = [f.values for f in factors]
        kind = "MARKOV"
    else:
        raise TypeError(f"cannot write a {type(model).__name__} as UAI; "
                        "expected a BayesianNetwork or FactorGraph")
    out = [kind, str(len(variables)), " ".join(map(str, cards)), str(len(scopes))]
    out.extend(" ".join([str(len(s)), *(str(index[v]) for v in s)]) for s in scopes)
    for vals in tables:
        out.append("")
        out.append(str(int(np.size(vals))))
        out.append(_fmt(vals))
    return "\n".join(out) + "\n"


def write_uai(model, path: str | os.PathLike) -> list[Hashable]:
    """Write a model in the UAI format (``BAYES`` for a BayesianNetwork, else ``MARKOV``).

    Variable ``i`` of the file is ``model.variables[i]``; state names are not stored
    (UAI has none).  Entries are written with ``repr`` (exact round trip); log-space
    factors are written as probabilities.  Gzip-compressed if ``path`` ends in
    ``.gz``; the file is replaced atomically.

    Returns
    -------
    list
        The model's variables in file-index order, to map indices back to names.

    Examples
    --------
    >>> import tempfile, os
    >>> from pgm import Factor, FactorGraph
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     names = write_uai(fg, os.path.join(d, "m.uai"))
    ...     back = read_uai(os.path.join(d, "m.uai"))
    >>> names, back.variables, back.factors[0].values.tolist()
    (['a', 'b'], [0, 1], [[1.0, 2.0], [3.0, 4.0]])
    """
    write_source(path, format_uai(model), encoding="ascii")
    return list(model.variables)


# ------------------------------------------------------------------ evidence
def read_evidence(path_or_text: str | os.PathLike) -> dict[int, int]:
    """Read a UAI evidence file: ``{variable index: state index}``.

    The UAI 2014 format is ``n v1 x1 ... vn xn`` (a lone ``0`` means no evidence);
    with several samples, one per line, the first is returned.  The older format,
    a first line holding only the number of samples, is recognized too.

    Examples
    --------
    >>> read_evidence("2 5 1 7 0\\n")
    {5: 1, 7: 0}
    >>> read_evidence("0\\n")
    {}
    """
    text, path = read_source(path_or_text)
    t = _Tokens(text, path)
    if not t.has(0):
        return {}
    start = 0
    # the first token alone on its line (the lines of str.splitlines), more on later lines?
    brk = _LINE_BREAK_RE.search(text, t.ends[0])
    if brk and not text[t.ends[0]:brk.start()].strip() and t.has(1):
        # old format: number of samples, then samples; fall back if it does not fit
        n_samples = t.int_at(0, "the number of samples")
        if n_samples >= 1 and t.has(1):
            n = t.int_at(1, "the number of evidence variables")
            if t.has(1 + 2 * n):
                start = 1
    n = t.int_at(start, "the number of evidence variables")
    out: dict[int, int] = {}
    for j in range(n):
        k = start + 1 + 2 * j
        v = t.int_at(k, f"evidence variable {j + 1} of {n}")
        x = t.int_at(k + 1, f"the state of evidence variable {v}")
        if v in out and out[v] != x:
            raise t.error(f"variable {v} is given two evidence values", k)
        out[v] = x
    return out


def write_evidence(evidence: Mapping[Hashable, int], path: str | os.PathLike,
                   variables: Sequence[Hashable] | None = None) -> None:
    """Write evidence in the UAI 2014 format ``n v1 x1 ...``.

    Keys are variable indices, or names of ``variables`` (e.g. the list returned by
    :func:`write_uai`), which are then written as their positions.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_evidence({"b": 1}, os.path.join(d, "e.evid"), variables=["a", "b"])
    ...     read_evidence(os.path.join(d, "e.evid"))
    {1: 1}
    """
    pos = {v: i for i, v in enumerate(variables)} if variables is not None else None
    parts = [str(len(evidence))]
    for v, x in evidence.items():
        if pos is not None:
            if v not in pos:
                raise ModelError(f"evidence variable {v!r} is not among the model's variables")
            idx = pos[v]
        elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            idx = int(v)
        else:
            raise ModelError(f"evidence variable {v!r} is not an index; pass variables=...")
        parts += [str(idx), str(int(x))]
    write_source(path, " ".join(parts) + "\n", encoding="ascii")


# ---------------------------------------------------------------- solutions
def read_pr(path_or_text: str | os.PathLike) -> float:
    """Read a UAI ``.PR`` solution: the log10 of the partition function (with evidence).

    Examples
    --------
    >>> read_pr("PR\\n-3.16462\\n")
    -3.16462
    """
    text, path = read_source(path_or_text)
    t = _Tokens(text, path)
    if not t.has(0) or t.get(0).upper() != "PR":
        raise t.error("expected 'PR' at the start of a .PR file", 0)
    if not t.has(1):
        raise t.error("expected the log10 partition function after 'PR'", 1)
    if not _PR_RE.fullmatch(t.get(1)):  # ASCII decimal syntax, or -inf (Z = 0)
        raise t.error("expected a number (log10 of the partition function)", 1)
    return float(t.get(1))


def read_mar(path_or_text: str | os.PathLike) -> list[np.ndarray]:
    """Read a UAI ``.MAR`` solution: one marginal vector per variable, by index.

    Examples
    --------
    >>> [m.tolist() for m in read_mar("MAR\\n2 2 0.25 0.75 1 1.0\\n")]
    [[0.25, 0.75], [1.0]]
    """
    text, path = read_source(path_or_text)
    t = _Tokens(text, path)
    if not t.has(0) or t.get(0).upper() != "MAR":
        raise t.error("expected 'MAR' at the start of a .MAR file", 0)
    n = t.int_at(1, "the number of variables")
    arr = t.floats(2, "the marginals")
    out: list[np.ndarray] = []
    q = 0
    for i in range(n):
        if q >= arr.size:
            raise t.error(f"missing the marginal of variable {i} (of {n})", 2 + q)
        c = arr[q]
        if c != int(c) or c < 1:
            raise t.error(f"expected the cardinality of variable {i}", 2 + q)
        c = int(c)
        if q + 1 + c > arr.size:
            raise t.error(f"marginal of variable {i} ends early", 2 + arr.size)
        out.append(arr[q + 1:q + 1 + c].copy())
        q += 1 + c
    if q != arr.size:
        raise t.error("unexpected data after the last marginal", 2 + q)
    return out
