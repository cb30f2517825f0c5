"""The BIF format (Bayesian Interchange Format, as used by the bnlearn repository).

A BIF file holds one ``network`` block, one ``variable`` block per variable and one
``probability`` block per variable::

    network asia {
    }
    variable smoke {
      type discrete [ 2 ] { yes, no };
    }
    probability ( smoke ) {
      table 0.5, 0.5;
    }
    probability ( lung | smoke ) {
      (yes) 0.1, 0.9;
      (no) 0.01, 0.99;
    }

Conditional rows ``(s1, s2) p1, p2;`` give the child's distribution for one
assignment of the parents (named by state), ``default p1, p2;`` fills every row not
listed, and ``table`` lists the whole table with the *child varying slowest*, then
the parents in header order, the last one fastest (the JavaBayes / pgmpy
convention).  The reader maps every table to :class:`~pgm.cpd.TabularCPD`'s layout:
parents first, in the order of the ``probability ( child | p1, p2 )`` header, child
last.

Comments (``//`` and ``/* */``), ``property`` lines, quoted names (``"dog-out"``),
names with ``/``, ``-``, ``.`` or inner spaces, and the old JavaBayes style without
commas or ``|`` are accepted.  Files ending in ``.gz`` (or starting with the gzip
magic bytes) are decompressed.

The reader is one regular-expression pass over the text (a run of numbers is a
single token) followed by a small recursive-descent parser; a malformed file raises
:class:`~pgm.exceptions.ParseError` naming the line and token.  Tokenizing takes time
linear in the text on every input (no pattern backtracks over what it has read), and
memory is a small multiple of the file: tokens are kept as spans of the text, and a
table's numbers are converted by NumPy a piece at a time, straight from the text.
Numbers are ASCII decimals only (``0.5``, ``1e-3``; not ``1_0``, ``nan`` or non-ASCII
digits).  Every table is checked against the memory budget before it is allocated.
"""

from __future__ import annotations

import itertools
import math
import os
import re
from array import array
from collections.abc import Hashable

import numpy as np

from pgm._config import check_allocation, memory_budget_bytes
from pgm.exceptions import MemoryBudgetError, ModelError, ParseError
from pgm.io.text import NUMBER, read_floats, read_source, write_source

__all__ = ["read_bif", "write_bif", "format_bif"]

# ----------------------------------------------------------------- tokenizer
# Every quantifier below is possessive or unambiguous, so that a failed alternative
# costs at most one scan of what it tried: tokenizing is linear in the input on every
# input (a long run of digits followed by a letter used to backtrack quadratically).
_NUM = NUMBER  # ASCII decimal syntax only: no "1_0", "nan" or non-ASCII digits
_DELIM = r"[\s,;{}()\[\]|]"
_NUM_END = rf"(?={_DELIM}|//|/\*|\Z)"
_NUMS = rf"{_NUM}{_NUM_END}(?:(?:\s*+,\s*+|\s++){_NUM}{_NUM_END})*+"
_TOKEN_RE = re.compile(
    r"(?:\s++|//[^\n]*+|/\*.*?\*/)*+"  # skipped: whitespace and comments
    r"(?:"
    rf"(?P<nums>{_NUMS})"  # a run of numbers
    # fast path: a whole conditional row "(s1, s2) p1, p2;" without comments or quotes
    rf"|(?P<row>\([^()\"/;{{}}\[\]|]*+\)\s*+{_NUMS}\s*+;)"
    r'|(?P<str>"(?:[^"\\\n]++|\\.)*+")'
    r"|(?P<punct>[,;{}()\[\]|])"
    r'|(?P<word>(?:[^\s,;{}()\[\]|"/]++|/(?![/*]))++)'
    r"|(?P<bad>\S)"
    r"|(?P<end>\Z))",  # so that trailing comments are never re-read as tokens
    re.S,
)
_END = "end"
_KINDS = ("nums", "row", "str", "punct", "word", "bad", _END)
_KIND_CODE = {k: i for i, k in enumerate(_KINDS)}
_SAFE_NAME_RE = re.compile(r'(?:[^\s,;{}()\[\]|"/]|/(?![/*]))+')
_NUM_RE = re.compile(_NUM)
_COUNT_RE = re.compile(r"[0-9]+")


class _Tokens:
    """The tokens of a text, stored compactly (a kind code and a span per token, about
    17 bytes each) and sliced out of the text only when asked for.

    ``toks[i]`` is ``(kind, text, start)``; tokenizing stops after the first ``bad``
    token (the parser stops there too), then comes one ``end`` token.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.kinds = bytearray()
        self.starts = array("q")
        self.ends = array("q")
        kinds, starts, ends = self.kinds, self.starts, self.ends
        code = _KIND_CODE
        bad = code["bad"]
        for m in _TOKEN_RE.finditer(text):
            g = m.lastgroup
            k = code[g]
            if k == code[_END]:
                break
            kinds.append(k)
            s, e = m.span(g)
            starts.append(s)
            ends.append(e)
            if k == bad:
                break
        kinds.append(code[_END])
        starts.append(len(text))
        ends.append(len(text))

    def __len__(self) -> int:
        return len(self.kinds)

    def __getitem__(self, i: int) -> tuple[str, str, int]:
        s = self.starts[i]
        return _KINDS[self.kinds[i]], self.text[s:self.ends[i]], s

    def kind(self, i: int) -> str:
        return _KINDS[self.kinds[i]]

    def span(self, i: int) -> tuple[int, int]:
        return self.starts[i], self.ends[i]


def _tokenize(text: str) -> _Tokens:
    return _Tokens(text)


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s[1:-1])


# -------------------------------------------------------------------- parser
class _Parser:
    def __init__(self, text: str, path: str | None, memory_budget: int | None = None) -> None:
        self.text = text
        self.path = path
        self.memory_budget = memory_budget
        self.toks = _tokenize(text)
        self.i = 0

    # -- helpers
    def line_of(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def check_table(self, n_bytes: int, child: str, tok_index: int, card: int,
                    nrows: int) -> None:
        """Refuse, before it is allocated, a table of ``child`` over the memory budget
        (naming the file, line and variable); the line is only looked up then."""
        if n_bytes > memory_budget_bytes(self.memory_budget):
            pos = self.toks.span(min(tok_index, len(self.toks) - 1))[0]
            check_allocation(
                n_bytes, f"{self.path or 'BIF text'}: line {self.line_of(pos)}: the table of "
                f"variable {child!r} ({card} states x {nrows} parent assignments)",
                memory_budget=self.memory_budget)

    def error(self, message: str, tok_index: int | None = None, *,
              at: tuple[int, str] | None = None) -> ParseError:
        """A ParseError at token ``tok_index`` (default: the current one), or ``at`` a
        ``(position, text)`` inside a token (one number of a long run)."""
        if at is not None:
            return ParseError(message, path=self.path, line=self.line_of(at[0]), token=at[1])
        k = self.i if tok_index is None else tok_index
        kind, text, pos = self.toks[min(k, len(self.toks) - 1)]
        if kind == "bad" and text == "/" and self.text.startswith("/*", pos):
            message += " (unterminated /* comment)"
        if kind == "bad" and text == '"':
            message += " (unterminated quoted name)"
        return ParseError(message, path=self.path, line=self.line_of(pos),
                          token=text if kind != _END else "end of file")

    def peek(self) -> tuple[str, str, int]:
        return self.toks[self.i]

    def expect(self, text: str, what: str = "") -> None:
        kind, t, _ = self.toks[self.i]
        if t != text or kind not in ("punct", "word"):
            raise self.error(f"expected {text!r}{what}")
        self.i += 1

    def at(self, text: str) -> bool:
        kind, t, _ = self.toks[self.i]
        return t == text and kind in ("punct", "word")

    def name_atoms(self, closers: str) -> list[str]:
        """Atoms up to (not including) a closing punctuation in ``closers``.

        Words and quoted strings are atoms; ``","`` and ``"|"`` come back as separators.
        """
        atoms: list[str] = []
        while True:
            kind, t, _ = self.toks[self.i]
            if kind == "punct":
                if t in closers:
                    return atoms
                if t in ",|":
                    atoms.append(t)
                    self.i += 1
                    continue
                raise self.error(f"unexpected {t!r} in a list of names")
            if kind == "word":
                atoms.append(t)
            elif kind == "str":
                atoms.append('"' + _unquote(t))  # marked: never a separator
            elif kind == "nums":
                atoms.extend(t.replace(",", " , ").split())
            else:
                raise self.error("unexpected end of file in a list of names" if kind == _END
                                 else "unexpected token in a list of names")
            self.i += 1

    def split_names(self, atoms: list[str], start: int) -> list[str]:
        """Comma-separated items (inner words joined by one space), or one item per word."""
        if "," in atoms:
            items: list[str] = []
            cur: list[str] = []
            for a in atoms + [","]:
                if a == ",":
                    if not cur:
                        raise self.error("empty name in a comma-separated list", start)
                    items.append(" ".join(_strip_mark(x) for x in cur))
                    cur = []
                else:
                    cur.append(a)
            return items
        return [_strip_mark(a) for a in atoms]

    def skip_statement(self) -> None:
        """Skip tokens through the next ``;`` (for ``property`` lines)."""
        start = self.i
        while True:
            kind, t, _ = self.toks[self.i]
            if kind == _END:
                raise self.error("unterminated statement: missing ';'", start)
            if kind == "bad":
                raise self.error("unexpected character")
            self.i += 1
            if (kind == "punct" and t == ";") or kind == "row":
                return

    def block_name(self, what: str) -> str:
        """A name (word(s), quoted string or number) up to the ``{`` of a block."""
        start = self.i
        atoms = self.name_atoms("{")
        if not atoms or "," in atoms or "|" in atoms:
            raise self.error(f"expected a {what} name", start)
        return " ".join(_strip_mark(a) for a in atoms)

    def numbers(self) -> tuple[list[tuple[int, int]], int]:
        """Number tokens (commas allowed between them) up to ``;``: their spans in the
        text (never sliced out: a table can be megabytes long) and the first token."""
        start = self.i
        spans: list[tuple[int, int]] = []
        toks, text = self.toks, self.text
        while True:
            kind = toks.kind(self.i)
            if kind == "nums":
                spans.append(toks.span(self.i))
            elif kind == "punct" and text[toks.span(self.i)[0]] in ",;":
                if text[toks.span(self.i)[0]] == ";":
                    self.i += 1
                    return spans, start
            else:
                raise self.error("expected a probability (a number) or ';'")
            self.i += 1

    # -- grammar
    def parse(self):
        from pgm.bayesian_network import BayesianNetwork
        from pgm.cpd import TabularCPD

        name: str | None = None
        seen_network = False
        variables: dict[str, list[str]] = {}
        var_tok: dict[str, int] = {}
        blocks: dict[str, tuple[list[str], np.ndarray, int]] = {}
        while True:
            kind, t, _ = self.peek()
            if kind == _END:
                break
            if kind == "word" and t == "network":
                if seen_network:
                    raise self.error("a second 'network' block")
                seen_network = True
                self.i += 1
                name = self.block_name("network")
                self.expect("{")
                while not self.at("}"):
                    if self.at("property"):
                        self.skip_statement()
                    else:
                        raise self.error("expected 'property' or '}' in the network block")
                self.i += 1
            elif kind == "word" and t == "variable":
                self.i += 1
                start = self.i
                vname = self.block_name("variable")
                if vname in variables:
                    raise self.error(f"variable {vname!r} is declared twice", start)
                var_tok[vname] = start
                variables[vname] = self.variable_body(vname)
            elif kind == "word" and t == "probability":
                child, parents, values, start = self.probability_block(variables, blocks)
                blocks[child] = (parents, values, start)
            else:
                raise self.error("expected 'network', 'variable' or 'probability'")
        if not seen_network and not variables:
            raise self.error("no network, variable or probability block: not a BIF file", 0)
        for v in variables:
            if v not in blocks:
                raise self.error(f"variable {v!r} has no probability block", var_tok[v])
        cpds = []
        for v in variables:
            parents, values, _ = blocks[v]
            names = {p: variables[p] for p in parents}
            names[v] = variables[v]
            cpds.append(TabularCPD(v, values, parents=parents, state_names=names))
        bn = BayesianNetwork(name=name)
        bn.graph.add_nodes_from(variables)
        for cpd in cpds:
            bn.graph.add_edges_from((p, cpd.variable) for p in cpd.parents)
            bn.add_cpd(cpd)
        return bn

    def variable_body(self, vname: str) -> list[str]:
        self.expect("{", f" after 'variable {vname}'")
        states: list[str] | None = None
        while not self.at("}"):
            if self.at("property"):
                self.skip_statement()
                continue
            if not self.at("type"):
                raise self.error(f"expected 'type', 'property' or '}}' in variable {vname!r}")
            if states is not None:
                raise self.error(f"variable {vname!r} has two 'type' lines")
            self.i += 1
            kind, t, _ = self.peek()
            if t != "discrete":
                raise self.error(f"variable {vname!r}: only 'discrete' variables are supported")
            self.i += 1
            self.expect("[")
            kind, t, _ = self.peek()
            if kind != "nums" or not _COUNT_RE.fullmatch(t):
                raise self.error(f"expected the number of states of {vname!r}")
            if len(t) > 18:  # int() refuses over 4300 digits; no list of states is that long
                raise self.error(f"variable {vname!r}: too many states")
            n = int(t)
            count_tok = self.i
            self.i += 1
            self.expect("]")
            self.expect("{")
            start = self.i
            states = self.split_names(self.name_atoms("}"), start)
            self.expect("}")
            self.expect(";")
            if n < 1:
                raise self.error(f"variable {vname!r} has {n} states", count_tok)
            if len(states) != n:
                shown = states if len(states) <= 10 else [*states[:10], "..."]
                raise self.error(
                    f"variable {vname!r} declares {n} states but lists {len(states)}: {shown}",
                    start)
            if len(set(states)) != n:
                dup = next(s for s in states if states.count(s) > 1)
                raise self.error(f"variable {vname!r} lists state {dup!r} twice", start)
        self.i += 1
        if states is None:
            raise self.error(f"variable {vname!r} has no 'type discrete [ n ] {{ ... }};' line")
        return states

    def probability_block(self, variables: dict[str, list[str]],
                          blocks: dict) -> tuple[str, list[str], np.ndarray, int]:
        self.i += 1
        head = self.i
        self.expect("(", " after 'probability'")
        atoms = self.name_atoms(")")
        self.expect(")")
        if not atoms:
            raise self.error("empty probability header", head)
        if "|" in atoms:
            k = atoms.index("|")
            if "|" in atoms[k + 1:]:
                raise self.error("two '|' in a probability header", head)
            child_atoms, parent_atoms = atoms[:k], atoms[k + 1:]
            if "," in child_atoms or not child_atoms:
                raise self.error("expected one child variable before '|'", head)
            child = " ".join(_strip_mark(a) for a in child_atoms)
            parents = self.split_names(parent_atoms, head) if parent_atoms else []
        else:
            names = self.split_names(atoms, head)
            child, parents = names[0], names[1:]
        for v in (child, *parents):
            if v not in variables:
                raise self.error(f"probability block names undeclared variable {v!r} (variables "
                                 "must be declared before their probability block)", head)
        if child in blocks:
            raise self.error(f"variable {child!r} has a second probability block", head)
        if child in parents or len(set(parents)) != len(parents):
            raise self.error(f"probability header of {child!r} repeats a variable", head)
        card = len(variables[child])
        pcards = [len(variables[p]) for p in parents]
        nrows = math.prod(pcards)  # Python ints: 64 binary parents must not wrap around
        index = [{s: j for j, s in enumerate(variables[p])} for p in parents]
        strides = [math.prod(pcards[j + 1:]) for j in range(len(parents))]
        self.expect("{")
        table: np.ndarray | None = None
        default: np.ndarray | None = None
        # flat parent assignment of each row (Python ints past int64: such a table is
        # never allocated, but its rows still get their errors)
        rows: array | list[int] = array("q") if nrows < 2**63 else []
        row_tok = array("q")  # its token
        row_spans = _Spans()  # where the rows' numbers are in the text
        while not self.at("}"):
            kind, t, _ = self.peek()
            if kind == "word" and t == "property":
                self.skip_statement()
            elif kind == "word" and t in ("table", "default"):
                self.i += 1
                spans, start = self.numbers()
                if t == "table" and table is not None:
                    raise self.error(f"variable {child!r} has two 'table' entries", start - 1)
                if t == "default" and default is not None:
                    raise self.error(f"variable {child!r} has two 'default' entries", start - 1)
                expected = nrows * card if t == "table" else card
                if expected <= _room(spans):  # else: too few numbers, said below
                    self.check_table(8 * expected, child, start - 1, card, nrows)
                vals, n = read_floats(self.text, spans, expected)
                if vals is None:
                    if t == "table":
                        raise self.error(
                            f"table of {child!r} has {n} probabilities, expected "
                            f"{nrows * card} ({card} states x {nrows} parent assignments)",
                            start - 1)
                    raise self.error(
                        f"default of {child!r} has {n} probabilities, expected {card}", start - 1)
                self.check_negative(vals, spans)
                if t == "table":
                    # child slowest, then parents (last fastest) -> parents first, child last
                    table = np.moveaxis(vals.reshape(card, *pcards), 0, -1)
                else:
                    default = vals
            elif kind == "row" or (kind == "punct" and t == "("):
                start = self.i
                if kind == "row":  # "(s1, s2) p1, p2;" in one token
                    close = t.index(")")
                    inner = t[1:close]
                    if "," in inner:
                        states = [" ".join(x.split()) for x in inner.split(",")]
                        if "" in states:
                            raise self.error("empty name in a comma-separated list", start)
                    else:
                        states = inner.split()
                    pos = self.toks.span(start)[0]
                    spans = [(pos + close + 1, pos + len(t) - 1)]  # between ")" and ";"
                    self.i += 1
                else:
                    self.i += 1
                    atoms = self.name_atoms(")")
                    self.expect(")")
                    states = self.split_names(atoms, start) if atoms else []
                    spans, _ = self.numbers()
                if len(states) != len(parents):
                    raise self.error(
                        f"row of {child!r} names {len(states)} parent states, expected "
                        f"{len(parents)} ({', '.join(parents) or 'no parents'})", start)
                flat = 0
                for j, s in enumerate(states):
                    try:
                        flat += index[j][s] * strides[j]
                    except KeyError:
                        raise self.error(
                            f"unknown state {s!r} of parent {parents[j]!r} in a row of "
                            f"{child!r}; its states are {variables[parents[j]]}", start) from None
                n = sum(len(self.text[a:b].replace(",", " ").split()) for a, b in spans)
                if n != card:
                    raise self.error(
                        f"row ({', '.join(states)}) of {child!r} has {n} probabilities, "
                        f"expected {card}", start)
                rows.append(flat)
                row_tok.append(start)
                row_spans.extend(spans)
            else:
                raise self.error(
                    f"expected 'table', 'default', '(' or '}}' in the probability block of {child!r}")
        self.i += 1
        if table is not None:
            if rows or default is not None:
                raise self.error(
                    f"probability block of {child!r} mixes 'table' with rows or 'default'", head)
            return child, parents, table, head
        if isinstance(rows, list):
            seen: set[int] = set()
            for r, tk in zip(rows, row_tok):
                if r in seen:
                    raise self.error(f"row of {child!r} repeats a parent assignment", tk)
                seen.add(r)
            missing = next(r for r in itertools.count() if r not in seen)
            flat = None
        else:
            flat = np.frombuffer(rows, dtype=np.int64) if rows else np.zeros(0, dtype=np.int64)
            order = np.argsort(flat, kind="stable")
            dup = np.flatnonzero(flat[order][1:] == flat[order][:-1])
            if dup.size:  # the first row (in file order) that repeats an earlier one
                j = int(order[dup + 1].min())
                raise self.error(f"row of {child!r} repeats a parent assignment", row_tok[j])
            # the first parent assignment without a row, found without a table of nrows
            srt = flat[order]
            gaps = np.flatnonzero(srt != np.arange(srt.size))
            missing = int(gaps[0]) if gaps.size else srt.size
        if len(rows) < nrows and default is None:
            idx = []
            for c in reversed(pcards):
                missing, r = divmod(missing, c)
                idx.append(r)
            desc = ", ".join(f"{p}={variables[p][i]}" for p, i in zip(parents, reversed(idx)))
            raise self.error(
                f"probability block of {child!r} has no row for ({desc}) and no 'default'",
                head)
        self.check_table(8 * nrows * card + nrows, child, head, card, nrows)
        try:
            values = np.empty((nrows, card))
        except (MemoryError, ValueError):  # within the budget, but more than there is
            raise MemoryBudgetError(
                f"{self.path or 'BIF text'}: line {self.line_of(self.toks.span(head)[0])}: "
                f"cannot allocate the table of variable {child!r} ({card} states x {nrows} "
                "parent assignments)") from None
        if len(rows) < nrows:
            filled = np.zeros(nrows, dtype=bool)
            filled[flat] = True
            values[~filled] = default
        if rows:
            vals, _ = read_floats(self.text, row_spans, len(rows) * card)
            self.check_negative(vals, row_spans)
            values[flat] = vals.reshape(len(rows), card)
        return child, parents, values.reshape(*pcards, card), head

    def check_negative(self, vals: np.ndarray, spans: list[tuple[int, int]]) -> None:
        """Refuse a negative probability, naming the number and its line."""
        if not (vals.size and vals.min() < 0):
            return
        j = int(np.flatnonzero(vals < 0)[0])
        for a, b in spans:  # find the j-th number of the spans
            for m in _NUM_RE.finditer(self.text, a, b):
                if j == 0:
                    raise self.error(f"negative probability {float(vals.min())!r}",
                                     at=(m.start(), m.group()))
                j -= 1
        raise self.error(f"negative probability {float(vals.min())!r}")  # pragma: no cover


class _Spans:
    """``(start, end)`` pairs kept in one flat integer array (16 bytes a pair)."""

    def __init__(self) -> None:
        self.flat = array("q")

    def extend(self, spans) -> None:
        for a, b in spans:
            self.flat.append(a)
            self.flat.append(b)

    def __iter__(self):
        f = self.flat
        return zip(f[0::2], f[1::2])


def _room(spans) -> int:
    """The most numbers that ``spans`` can hold: each takes a character and a separator."""
    return sum((e - s + 1) // 2 for s, e in spans)


def _strip_mark(a: str) -> str:
    return a[1:] if a.startswith('"') else a


# -------------------------------------------------------------------- public
def read_bif(path_or_text: str | os.PathLike, *, memory_budget: int | None = None):
    """Read a Bayesian network from a BIF file (``.bif`` or ``.bif.gz``) or BIF text.

    Parameters
    ----------
    path_or_text : str or path-like
        A file name, or the BIF text itself (a ``str`` holding ``{`` or a newline).

    Returns
    -------
    BayesianNetwork
        Variables in declaration order, named as in the file, with their state names
        on every CPD that mentions them; ``name`` is the network block's name.

    Raises
    ------
    ParseError
        On malformed input, naming the line and token: an unexpected token, an unknown
        state in a conditional row, a wrong number of probabilities, an undeclared or
        duplicated variable, a missing probability block or row, a negative number.
    ModelLoadError
        If the file does not exist.
    MemoryBudgetError
        If the file, or a table it describes (a ``default`` row stands for every
        parent assignment: 40 binary parents make 2**40 rows), would pass the memory
        budget (``memory_budget`` bytes, else ``$PGM_MEMORY_BUDGET``, else 4 GiB).

    Examples
    --------
    >>> bn = read_bif('''network tiny { }
    ... variable rain { type discrete [ 2 ] { yes, no }; }
    ... variable wet { type discrete [ 2 ] { yes, no }; }
    ... probability ( rain ) { table 0.2, 0.8; }
    ... probability ( wet | rain ) { (yes) 0.9, 0.1; (no) 0.2, 0.8; }''')
    >>> bn.name, bn.edges
    ('tiny', [('rain', 'wet')])
    >>> bn.get_cpd("wet").values.tolist()
    [[0.9, 0.1], [0.2, 0.8]]
    """
    text, path = read_source(path_or_text, text_markers="{\n",  # "{" or a newline: BIF text
                             memory_budget=memory_budget)
    return _Parser(text, path, memory_budget).parse()


def _bif_name(name: Hashable) -> str:
    s = str(name)
    if s and _SAFE_NAME_RE.fullmatch(s) and s not in ("table", "default", "property"):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fmt(values: np.ndarray) -> str:
    return ", ".join(map(repr, values.tolist()))


def format_bif(model) -> str:
    """The BIF text of a Bayesian network (see :func:`write_bif`).

    Examples
    --------
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.25, 0.75])], name="one")
    >>> print(format_bif(bn))
    network one {
    }
    variable a {
      type discrete [ 2 ] { 0, 1 };
    }
    probability ( a ) {
      table 0.25, 0.75;
    }
    <BLANKLINE>
    """
    from pgm.bayesian_network import BayesianNetwork

    if not isinstance(model, BayesianNetwork):
        raise TypeError(f"BIF holds Bayesian networks, not {type(model).__name__}")
    order = model.nodes
    names = {v: _bif_name(v) for v in order}
    if len(set(names.values())) != len(names):
        raise ModelError("two variables have the same name once written as text")
    states = {v: [_bif_name(s) for s in model.state_names(v)] for v in order}
    out = [f"network {_bif_name(model.name or 'unknown')} {{", "}"]
    for v in order:
        out.append(f"variable {names[v]} {{")
        out.append(f"  type discrete [ {len(states[v])} ] {{ {', '.join(states[v])} }};")
        out.append("}")
    for v in order:
        cpd = model.get_cpd(v)
        if cpd.parents:
            out.append(f"probability ( {names[v]} | {', '.join(names[p] for p in cpd.parents)} ) {{")
            rows = cpd.values.reshape(-1, cpd.cardinality)
            combos = itertools.product(*(states[p] for p in cpd.parents))
            out.extend(f"  ({', '.join(c)}) {_fmt(r)};" for c, r in zip(combos, rows))
        else:
            out.append(f"probability ( {names[v]} ) {{")
            out.append(f"  table {_fmt(cpd.values)};")
        out.append("}")
    return "\n".join(out) + "\n"


def write_bif(model, path: str | os.PathLike) -> None:
    """Write a Bayesian network as a BIF file (gzip-compressed if ``path`` ends in ``.gz``).

    Roots get a ``table`` line, other variables one ``(parent states) p1, p2, ...;``
    row per parent assignment.  Probabilities are written with ``repr`` (exact
    round trip).  Names that are not plain BIF words (spaces, quotes, punctuation)
    are written in double quotes; variables without state names get ``0, 1, ...``.
    The file is replaced atomically (a temporary file, then :func:`os.replace`).

    Examples
    --------
    >>> import tempfile, os
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.25, 0.75])])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_bif(bn, os.path.join(d, "a.bif"))
    ...     read_bif(os.path.join(d, "a.bif")).get_cpd("a").values.tolist()
    [0.25, 0.75]
    """
    write_source(path, format_bif(model))
