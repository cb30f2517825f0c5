"""The Hugin NET format (the classic, non object-oriented one; written by Hugin, GeNIe,
bnlearn's ``write.net``, pgmpy and pyAgrum).

A file holds an optional ``net`` block of attributes, one ``node`` block per variable
and one ``potential`` block per variable::

    net
    {
        name = "tiny";
    }
    node rain
    {
        label = "Rain";
        position = (100 50);
        states = ("yes" "no");
    }
    discrete node wet { states = ("yes" "no"); }
    potential (rain) { data = (0.2 0.8); }
    potential (wet | rain)
    {
        data = ((0.9 0.1)     % rain = yes
                (0.2 0.8));   % rain = no
    }

``data`` lists the table with the parents in the order of the ``potential ( child |
p1 p2 )`` header, the last one varying fastest, and the child's states innermost:
exactly :class:`~pgm.cpd.TabularCPD`'s C-order layout ``(*parents, child)``.  The
parentheses inside ``data`` only group the numbers (Hugin ignores them too); they must
balance, and the count must be right.

Accepted: ``%`` comments, ``node`` and ``discrete node`` (chance nodes), attributes
in any order (unknown ones skipped), quoted or bare state names (pyAgrum writes
them bare), an empty parent list ``potential (a | )`` (pgmpy), ``potential`` blocks
before or after the nodes.  Refused with a :class:`~pgm.exceptions.ParseError`
naming the node and the line: ``continuous``, ``decision``, ``utility`` and
``function`` nodes, object-oriented ``class`` files, joint potentials over two
children, and potentials given only by ``model_data`` expressions.

The variable is named by the node's identifier, or by its ``pgm_name`` attribute
when it has one: :func:`write_net` writes a name that is not a Hugin identifier
(letters, digits, ``_``, not starting with a digit) as a made-up identifier plus
``pgm_name = "the name";``, so that every name survives a round trip.

Tokenizing is one regular-expression pass, linear in the text on every input; a
table's numbers are checked by one linear pattern and converted by NumPy a piece at
a time.  Numbers are ASCII decimals only (no ``nan``, ``1_0``).  Every table is
checked against the memory budget before it is allocated; ``.gz`` files are
decompressed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable

import numpy as np

from pgm._config import check_allocation, memory_budget_bytes
from pgm.exceptions import ModelError, ParseError
from pgm.io.text import NUMBER, NUMBER_RE, read_floats, read_source, write_source
from pgm.io.xmlbif import build_network, check_bayesian_network, table_shape

__all__ = ["read_net", "write_net", "format_net"]

_TOKEN_RE = re.compile(
    r"(?:\s++|%[^\n]*+)*+"  # skipped: whitespace and comments
    r"(?:"
    r'(?P<str>"(?:[^"\\\n]++|\\[^\n])*+")'  # a string ends on its line
    r"|(?P<punct>[{}()=;|,])"
    r'|(?P<word>[^\s{}()=;|,"%]++)'
    r"|(?P<bad>\S)"
    r"|(?P<end>\Z))",
    re.S,
)
#: the body of ``data = ...``: numbers, parentheses, whitespace and comments, possessive
_DATA_RE = re.compile(rf"(?:[\s()]++|%[^\n]*+|{NUMBER}(?=[\s();%,]|\Z)|,)*+")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNSUPPORTED_KINDS = ("continuous", "decision", "utility", "function", "instance")


class _Parser:
    def __init__(self, text: str, path: str | None, memory_budget: int | None) -> None:
        self.text = text
        self.path = path
        self.memory_budget = memory_budget
        self.pos = 0
        self.advance()

    # -- tokens
    def advance(self) -> None:
        """Read the token at ``self.pos``: ``self.kind``, ``self.tok``, ``self.start``."""
        m = _TOKEN_RE.match(self.text, self.pos)
        g = m.lastgroup
        self.kind = g
        self.start, self.pos = m.span(g)
        self.tok = m.group(g)

    def line_of(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def error(self, message: str, pos: int | None = None, token: str | None = None) -> ParseError:
        if pos is None:
            pos, token = self.start, self.tok
            if self.kind == "end":
                token = "end of file"
            elif self.kind == "bad" and self.tok == '"':
                message += " (unterminated string)"
        return ParseError(message, path=self.path, line=self.line_of(pos), token=token)

    def at(self, text: str) -> bool:
        return self.kind in ("punct", "word") and self.tok == text

    def expect(self, text: str, what: str = "") -> None:
        if not self.at(text):
            raise self.error(f"expected {text!r}{what}")
        self.advance()

    def word(self, what: str) -> str:
        if self.kind != "word":
            raise self.error(f"expected {what}")
        t = self.tok
        self.advance()
        return t

    # -- values
    def value(self) -> tuple[list[str], int]:
        """An attribute value: a string, a word, or a parenthesized list of them (nested
        to any depth, read without recursion): its atoms (strings unquoted) and depth."""
        atoms: list[str] = []
        depth = deepest = 0
        while True:
            if self.kind == "str":
                atoms.append(_unquote(self.tok))
            elif self.kind == "word":
                atoms.append(self.tok)
            elif self.at("("):
                depth += 1
                deepest = max(deepest, depth)
            elif self.at(")"):
                if depth == 0:
                    raise self.error("unbalanced ')'")
                depth -= 1
            elif self.at(",") and depth:
                pass
            elif self.at(";") and depth == 0 and (atoms or deepest):
                return atoms, deepest
            elif self.kind == "end":
                raise self.error("unexpected end of file in an attribute value (missing ';' "
                                 "or ')'?)")
            else:
                raise self.error("unexpected token in an attribute value")
            self.advance()

    def attributes(self, owner: str, on_data=None) -> dict[str, tuple[list[str], int, int]]:
        """``{ name = value; ... }``: ``{name: (atoms, depth, position)}``.  ``on_data``
        (for potentials) reads a ``data`` value straight from the text."""
        self.expect("{", f" to open {owner}")
        attrs: dict[str, tuple[list[str], int, int]] = {}
        while not self.at("}"):
            start = self.start
            key = self.word(f"an attribute name or '}}' in {owner}")
            self.expect("=", f" after attribute {key!r} in {owner}")
            if key == "data" and on_data is not None:
                on_data(start)
                attrs[key] = ([], 0, start)
            else:
                atoms, depth = self.value()
                attrs[key] = (atoms, depth, start)
            self.expect(";", f" after attribute {key!r} in {owner}")
        self.advance()
        return attrs

    # -- grammar
    def parse(self):
        name: str | None = None
        seen_net = False
        states: dict[str, list[str]] = {}
        ids: dict[str, str] = {}  # node identifier -> variable name
        node_pos: dict[str, int] = {}
        potentials: list[tuple[str, list[str], int, tuple[int, int]]] = []
        while self.kind != "end":
            start = self.start
            if self.at("net"):
                if seen_net:
                    raise self.error("a second 'net' block")
                seen_net = True
                self.advance()
                attrs = self.attributes("the net block")
                if "name" in attrs and attrs["name"][0]:
                    name = " ".join(attrs["name"][0])
            elif self.at("class"):
                raise self.error("object-oriented (class) NET files are not supported; "
                                 "export the network as a plain NET file")
            elif self.at("node") or self.at("discrete") or self.tok in _UNSUPPORTED_KINDS:
                kinds = []
                while not self.at("node"):
                    kinds.append(self.word("'node'"))
                    if len(kinds) > 3:
                        raise self.error("expected 'node'")
                self.advance()
                ident_pos = self.start
                ident = self.word("a node name")
                bad = [k for k in kinds if k not in ("discrete", "chance")]
                if bad:
                    raise self.error(f"node {ident!r} is a {' '.join(kinds)} node: only discrete "
                                     "chance nodes are supported", start, kinds[0])
                attrs = self.attributes(f"node {ident!r}")
                vname = " ".join(attrs["pgm_name"][0]) if "pgm_name" in attrs else ident
                if ident in ids or vname in states:
                    raise self.error(f"node {vname!r} is declared twice", ident_pos, ident)
                if "states" not in attrs:
                    raise self.error(f"node {ident!r} has no 'states' attribute", ident_pos,
                                     ident)
                sts, depth, spos = attrs["states"]
                if depth != 1 or not sts:
                    raise self.error(f"node {ident!r}: 'states' must be a list of names, e.g. "
                                     '("yes" "no")', spos, "states")
                if len(set(sts)) != len(sts):
                    dup = next(s for s in sts if sts.count(s) > 1)
                    raise self.error(f"node {ident!r} lists state {dup!r} twice", spos, dup)
                ids[ident] = vname
                states[vname] = sts
                node_pos[vname] = ident_pos
            elif self.at("potential"):
                potentials.append(self.potential())
            else:
                raise self.error("expected 'net', 'node' or 'potential'")
        if not states:
            raise self.error("no node: not a NET file")
        tables: dict[str, tuple[list[str], np.ndarray]] = {}
        for child_id, parent_ids, head, span in potentials:
            for v in (child_id, *parent_ids):
                if v not in ids:
                    raise self.error(f"potential names undeclared node {v!r}", head, v)
            child = ids[child_id]
            parents = [ids[p] for p in parent_ids]
            if child in tables:
                raise self.error(f"node {child_id!r} has a second potential", head, child_id)
            if child in parents or len(set(parents)) != len(parents):
                raise self.error(f"the potential of {child_id!r} repeats a node", head, child_id)
            card, pcards, nrows = table_shape(child, parents, states)
            values = self.table(span, nrows * card, child_id, card, nrows, head)
            tables[child] = (parents, values.reshape(*pcards, card))
        for v in states:
            if v not in tables:
                raise self.error(f"node {v!r} has no potential", node_pos[v], v)
        return build_network(name, states, tables)

    def potential(self) -> tuple[str, list[str], int, tuple[int, int]]:
        head = self.start
        self.advance()
        self.expect("(", " after 'potential'")
        names: list[str] = []
        parents: list[str] | None = None
        while not self.at(")"):
            if self.at("|"):
                if parents is not None:
                    raise self.error("two '|' in a potential header")
                parents = []
            elif self.kind == "word":
                (names if parents is None else parents).append(self.tok)
            else:
                raise self.error("expected a node name, '|' or ')' in a potential header")
            self.advance()
        self.advance()
        if len(names) != 1:
            raise self.error(f"a potential needs exactly one child before '|' (has "
                             f"{len(names)}: joint potentials are not supported)", head,
                             "potential")
        span: list[tuple[int, int]] = []

        def on_data(pos: int) -> None:
            a = self.start  # the first character of the value
            m = _DATA_RE.match(self.text, a)
            b = m.end()
            if b == a or self.text[a] != "(":
                raise self.error(f"the data of {names[0]!r} must be a parenthesized list "
                                 "of numbers")
            self.pos = b
            self.advance()
            if not self.at(";"):
                raise self.error(f"the data of {names[0]!r}: expected a probability (an ASCII "
                                 "decimal number), '(', ')' or ';'")
            span.append((a, b))

        if self.at(";"):  # a potential without a body
            self.advance()
            raise self.error(f"the potential of {names[0]!r} has no data", head, "potential")
        attrs = self.attributes(f"the potential of {names[0]!r}", on_data)
        if not span:
            what = ("only a 'model_data' expression, which is not supported"
                    if "model_data" in attrs else "no 'data'")
            raise self.error(f"the potential of {names[0]!r} has {what}", head, "potential")
        return names[0], parents or [], head, span[0]

    def table(self, span: tuple[int, int], expected: int, child: str, card: int, nrows: int,
              head: int) -> np.ndarray:
        a, b = span
        seg = self.text[a:b]
        if "%" in seg:  # comments blanked out, so that offsets stay those of the text
            seg = _COMMENT_RE.sub(lambda m: " " * len(m.group()), seg)
        depth = 0
        for m in re.finditer(r"[()]", seg):
            depth += 1 if m.group() == "(" else -1
            if depth < 0:
                break
        if depth != 0:
            raise self.error(f"the data of {child!r}: unbalanced parentheses", a, "data")
        clean = seg.translate(_PARENS_TO_SPACES)
        room = (len(clean) + 1) // 2
        if expected <= room and 8 * expected > memory_budget_bytes(self.memory_budget):
            check_allocation(8 * expected, f"{self.path or 'NET text'}: line {self.line_of(head)}: "
                             f"the table of node {child!r} ({card} states x {nrows} parent "
                             "assignments)", memory_budget=self.memory_budget)
        vals, n = read_floats(clean, [(0, len(clean))], expected)
        if vals is None:
            raise self.error(f"the data of {child!r} has {n} probabilities, expected {expected} "
                             f"({card} states x {nrows} parent assignments)", a, "data")
        if vals.size and vals.min() < 0:
            j = int(np.flatnonzero(vals < 0)[0])
            num = next(m for k, m in enumerate(NUMBER_RE.finditer(clean)) if k == j)
            raise self.error(f"negative probability {float(vals[j])!r} in the data of {child!r}",
                             a + num.start(), num.group())
        return vals


_PARENS_TO_SPACES = str.maketrans("(),", "   ")
_COMMENT_RE = re.compile(r"%[^\n]*+")


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s[1:-1], flags=re.S)


def _quote(s: str) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


# -------------------------------------------------------------------- public
def read_net(path_or_text: str | os.PathLike, *, memory_budget: int | None = None):
    """Read a Bayesian network from a Hugin NET file (``.net`` or ``.net.gz``) or text.

    Parameters
    ----------
    path_or_text : str or path-like
        A file name, or the NET text itself (a ``str`` holding ``{`` or a newline).
    memory_budget : int, optional
        The budget (bytes) for the file and each table (default ``$PGM_MEMORY_BUDGET``
        or 4 GiB).

    Returns
    -------
    BayesianNetwork
        Variables in the order of their ``node`` blocks, with their state names;
        ``name`` is the ``net`` block's ``name`` attribute (or None).

    Raises
    ------
    ParseError
        On malformed input, naming the line and token: an unexpected token, an
        unsupported node kind, an undeclared or repeated node, a wrong number of
        probabilities, unbalanced parentheses, a bad or negative number.
    ModelLoadError
        If the file does not exist.
    MemoryBudgetError
        If the file or a table would pass the memory budget.

    Examples
    --------
    >>> bn = read_net('''net { name = "tiny"; }
    ... node rain { states = ("yes" "no"); }
    ... node wet { states = ("yes" "no"); }
    ... potential (rain) { data = (0.2 0.8); }
    ... potential (wet | rain) { data = ((0.9 0.1) (0.2 0.8)); }''')
    >>> bn.name, bn.edges
    ('tiny', [('rain', 'wet')])
    >>> bn.get_cpd("wet").values.tolist()
    [[0.9, 0.1], [0.2, 0.8]]
    """
    text, path = read_source(path_or_text, text_markers="{\n", memory_budget=memory_budget)
    return _Parser(text, path, memory_budget).parse()


def _nested(values: np.ndarray, indent: str) -> str:
    """``values`` (shape ``(*parents, child)``) as nested parentheses, one row a line."""
    card = values.shape[-1]
    rows = values.reshape(-1, card).tolist()
    items = ["(" + " ".join(map(repr, r)) + ")" for r in rows]
    sep = "\n" + indent
    for size in reversed(values.shape[:-1]):
        items = ["(" + sep.join(items[i:i + size]) + ")" for i in range(0, len(items), size)]
    return items[0]


def format_net(model) -> str:
    """The Hugin NET text of a Bayesian network (see :func:`write_net`).

    Examples
    --------
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.25, 0.75])], name="one")
    >>> print(format_net(bn))
    net
    {
        name = "one";
    }
    <BLANKLINE>
    node a
    {
        label = "a";
        states = ("0" "1");
    }
    <BLANKLINE>
    potential (a)
    {
        data = (0.25 0.75);
    }
    <BLANKLINE>
    """
    check_bayesian_network(model, "NET")
    order = model.nodes
    idents: dict[Hashable, str] = {}
    used: set[str] = {str(v) for v in order if _IDENT_RE.fullmatch(str(v))}
    for v in order:
        s = str(v)
        if _IDENT_RE.fullmatch(s):
            idents[v] = s
            continue
        base = re.sub(r"[^A-Za-z0-9_]", "_", s)
        if not base or not _IDENT_RE.fullmatch(base):
            base = "v_" + base
        cand, k = base, 1
        while cand in used:
            cand, k = f"{base}_{k}", k + 1
        used.add(cand)
        idents[v] = cand
    for v in order:
        for s in [str(v), *model.state_names(v)]:
            if "\n" in s or "\r" in s:
                raise ModelError(f"name {s!r} of {v!r} holds a line break, which a NET string "
                                 "cannot")
    out = ["net", "{", f"    name = {_quote(model.name or 'unknown')};", "}", ""]
    for v in order:
        out += [f"node {idents[v]}", "{", f"    label = {_quote(v)};"]
        if idents[v] != str(v):
            out.append(f"    pgm_name = {_quote(v)};")
        out += [f"    states = ({' '.join(_quote(s) for s in model.state_names(v))});", "}", ""]
    for v in order:
        cpd = model.get_cpd(v)
        head = idents[v] + (" | " + " ".join(idents[p] for p in cpd.parents) if cpd.parents else "")
        out += [f"potential ({head})", "{",
                f"    data = {_nested(cpd.values, ' ' * 12)};", "}", ""]
    return "\n".join(out)


def write_net(model, path: str | os.PathLike) -> None:
    """Write a Bayesian network as a Hugin NET file (gzip-compressed for a ``.gz`` name).

    A ``net`` block with the network's name, one ``node`` per variable (its ``label``
    and quoted ``states``; ``0, 1, ...`` when it has none) and one ``potential`` per
    variable, the table nested by parent (last parent innermost), one row a line, the
    numbers written with ``repr`` (exact round trip).  A name that is not a Hugin
    identifier gets a made-up one, the name itself kept in ``pgm_name``.  The file is
    replaced atomically.

    Examples
    --------
    >>> import tempfile, os
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> bn = BayesianNetwork.from_cpds([TabularCPD("my var", [0.25, 0.75])])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_net(bn, os.path.join(d, "a.net"))
    ...     back = read_net(os.path.join(d, "a.net"))
    >>> back.nodes, back.get_cpd("my var").values.tolist()
    (['my var'], [0.25, 0.75])
    """
    write_source(path, format_net(model))
