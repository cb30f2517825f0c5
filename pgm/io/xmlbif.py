"""The XMLBIF 0.3 format (the XML version of BIF, written by JavaBayes, Weka, pgmpy, pyAgrum).

A file holds one ``NETWORK`` inside a ``BIF`` element: its ``NAME``, one
``VARIABLE`` per variable (its ``NAME`` and ``OUTCOME`` states) and one ``DEFINITION``
per variable (the child ``FOR``, its parents ``GIVEN`` in order, and the ``TABLE``)::

    <BIF VERSION="0.3">
    <NETWORK>
      <NAME>tiny</NAME>
      <VARIABLE TYPE="nature">
        <NAME>rain</NAME> <OUTCOME>yes</OUTCOME> <OUTCOME>no</OUTCOME>
      </VARIABLE>
      ...
      <DEFINITION>
        <FOR>wet</FOR> <GIVEN>rain</GIVEN>
        <TABLE>0.9 0.1  0.2 0.8</TABLE>
      </DEFINITION>
    </NETWORK>
    </BIF>

``TABLE`` lists one row per parent assignment, the parents in ``GIVEN`` order with the
last one varying fastest, each row the child's distribution: exactly
:class:`~pgm.cpd.TabularCPD`'s C-order layout ``(*parents, child)``.  (pgmpy's and
pyAgrum's writers agree; the tests read files both wrote.)

Tags are matched without regard to case; ``PROPERTY`` elements, comments and unknown
elements are skipped; ``PROBABILITY`` is accepted for ``DEFINITION``.  Only
``TYPE="nature"`` (chance) variables are read: decision and utility variables are
refused.  Numbers are ASCII decimals separated by whitespace (no ``nan``, ``1_0``).

The XML is parsed by the standard library's expat parser with line numbers kept:
malformed XML, a wrong count of numbers, an unknown or repeated variable or state, a
bad number or a missing definition raise :class:`~pgm.exceptions.ParseError` naming
the line and token.  Documents with a ``DOCTYPE`` or entity declaration are refused
outright (no entity expansion, no "billion laughs"), and every table is checked
against the memory budget before it is allocated.  Files ending in ``.gz`` (or
starting with the gzip magic bytes) are decompressed.

This module also holds the XML reading helpers used by :mod:`pgm.io.xdsl`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Hashable, Sequence
from xml.parsers import expat

import numpy as np

from pgm._config import check_allocation, memory_budget_bytes
from pgm.exceptions import ModelError, ParseError
from pgm.io.text import NUMBER, NUMBER_RE, read_floats, read_source, write_source

__all__ = ["read_xmlbif", "write_xmlbif", "format_xmlbif"]


# ------------------------------------------------------------ XML, with lines
class XMLElement:
    """One element of a parsed document: ``tag``, ``attrib``, the ``line`` of its start
    tag, its ``children`` and its character data (:attr:`text`, starting on
    :attr:`text_line`)."""

    __slots__ = ("tag", "attrib", "line", "children", "parts", "text_line")

    def __init__(self, tag: str, attrib: dict[str, str], line: int) -> None:
        self.tag = tag
        self.attrib = attrib
        self.line = line
        self.children: list[XMLElement] = []
        self.parts: list[str] = []
        self.text_line = line

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def find_all(self, tag: str) -> list[XMLElement]:
        return [c for c in self.children if c.tag == tag]

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<{self.tag} line {self.line}, {len(self.children)} children>"


_DECL_RE = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.I)


class _Refused(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message, self.line = message, line


def line_token(text: str, line: int, column: int = 0) -> str:
    """The word of ``text`` at ``line`` (1-based), ``column`` (0-based), for an error."""
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return "end of file"
    end = text.find("\n", start)
    rest = text[start:end if end >= 0 else len(text)][column:].strip()
    return rest.split()[0][:80] if rest else "end of line"


def parse_xml(text: str, path: str | None, what: str, *, upper: bool = False) -> XMLElement:
    """The root element of the XML ``text``; ``upper`` makes every tag upper case.

    A ``DOCTYPE`` or entity declaration is refused before parsing (no entity expansion
    attack gets to the parser), and refused again by the parser's handlers; malformed
    XML raises :class:`ParseError` with expat's line and the token there."""
    m = _DECL_RE.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise ParseError(f"{what}: DOCTYPE and entity declarations are not allowed (they "
                         "can expand to gigabytes)", path=path, line=line, token=m.group())
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root: list[XMLElement] = []
    stack: list[XMLElement] = []

    def start(tag: str, attrib: dict[str, str]) -> None:
        el = XMLElement(tag.upper() if upper else tag, attrib, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(el)
        else:
            root.append(el)
        stack.append(el)

    def end(tag: str) -> None:
        stack.pop()

    def data(s: str) -> None:
        if stack:
            el = stack[-1]
            if not el.parts:
                el.text_line = parser.CurrentLineNumber
            el.parts.append(s)

    def refuse(*args) -> None:
        raise _Refused("DOCTYPE and entity declarations are not allowed",
                       parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(text, True)
    except _Refused as exc:
        raise ParseError(f"{what}: {exc.message}", path=path, line=exc.line,
                         token="<!DOCTYPE") from None
    except expat.ExpatError as exc:
        message = expat.ErrorString(exc.code)
        raise ParseError(f"{what}: malformed XML: {message}", path=path, line=exc.lineno,
                         token=line_token(text, exc.lineno, exc.offset)) from None
    except UnicodeEncodeError as exc:  # a str with lone surrogates (never read from a file)
        line = text.count("\n", 0, exc.start) + 1
        raise ParseError(f"{what}: the text holds a character that is not Unicode text "
                         f"({exc.reason})", path=path, line=line,
                         token=repr(text[exc.start:exc.end])) from None
    if not root:  # pragma: no cover - expat reports "no element found"
        raise ParseError(f"{what}: no XML element", path=path, line=1)
    return root[0]


# ------------------------------------------------------------------ numbers
_DATA_RE = re.compile(rf"\s*+(?:{NUMBER}(?:\s++|\Z))*+")


def element_numbers(el: XMLElement, expected: int, *, path: str | None, child: str,
                    card: int, nrows: int, memory_budget: int | None, what: str) -> np.ndarray:
    """The numbers in ``el``'s text as a float array of ``expected`` entries, checked:
    ASCII decimals only, the right count, none negative, and the table within the memory
    budget before it is allocated (``what`` names the element in messages)."""
    text = el.text
    m = _DATA_RE.match(text)
    if m.end() != len(text):
        bad = text[m.end():].split()[0]
        line = el.text_line + text.count("\n", 0, m.end())
        raise ParseError(f"{what} of {child!r}: expected a probability (an ASCII decimal "
                         "number)", path=path, line=line, token=bad)
    spans = [(0, len(text))]
    room = (len(text) + 1) // 2
    if expected <= room and 8 * expected > memory_budget_bytes(memory_budget):
        check_allocation(8 * expected, f"{path or 'model text'}: line {el.line}: the table of "
                         f"variable {child!r} ({card} states x {nrows} parent assignments)",
                         memory_budget=memory_budget)
    vals, n = read_floats(text, spans, expected)
    if vals is None:
        raise ParseError(f"{what} of {child!r} has {n} probabilities, expected {expected} "
                         f"({card} states x {nrows} parent assignments)", path=path,
                         line=el.line, token=el.tag)
    if vals.size and vals.min() < 0:
        j = int(np.flatnonzero(vals < 0)[0])
        for k, num in enumerate(NUMBER_RE.finditer(text)):
            if k == j:
                line = el.text_line + text.count("\n", 0, num.start())
                raise ParseError(f"negative probability {float(vals[j])!r} in the {what} of "
                                 f"{child!r}", path=path, line=line, token=num.group())
    return vals


def build_network(name: str | None, states: dict[str, list[str]],
                  tables: dict[str, tuple[list[str], np.ndarray]]):
    """A BayesianNetwork with the variables of ``states`` (in order) and the tables of
    ``tables`` (``{child: (parents, values of shape (*parent cards, card))}``)."""
    from pgm.bayesian_network import BayesianNetwork
    from pgm.cpd import TabularCPD

    bn = BayesianNetwork(name=name)
    bn.graph.add_nodes_from(states)
    for v in states:
        parents, values = tables[v]
        names = {p: states[p] for p in parents}
        names[v] = states[v]
        cpd = TabularCPD(v, values, parents=parents, state_names=names)
        bn.graph.add_edges_from((p, v) for p in parents)
        bn.add_cpd(cpd)
    return bn


def table_shape(child: str, parents: Sequence[str], states: dict[str, list[str]]
                ) -> tuple[int, list[int], int]:
    """``(card, parent cards, number of parent assignments)``, the last a Python int."""
    pcards = [len(states[p]) for p in parents]
    return len(states[child]), pcards, math.prod(pcards)


# -------------------------------------------------------------------- writing
_BAD_XML_CHARS = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def xml_name(value: Hashable, what: str) -> str:
    """``value`` as XML text (escaped); refuses what XML cannot hold or would change
    (control characters, leading or trailing spaces, the empty name)."""
    s = str(value)
    if not s or s != s.strip() or _BAD_XML_CHARS.search(s):
        raise ModelError(f"{what} {s!r} cannot be written as XML text (empty, leading or "
                         "trailing spaces, or control characters)")
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def format_numbers(values: np.ndarray) -> str:
    """The numbers of ``values`` (any shape) with ``repr``: they read back exactly."""
    return " ".join(map(repr, np.asarray(values, dtype=float).ravel().tolist()))


def check_bayesian_network(model, fmt: str) -> None:
    from pgm.bayesian_network import BayesianNetwork

    if not isinstance(model, BayesianNetwork):
        raise TypeError(f"{fmt} holds Bayesian networks, not {type(model).__name__}")


# -------------------------------------------------------------------- reading
def _name(el: XMLElement, path: str | None, what: str) -> str:
    s = el.text.strip()
    if not s:
        raise ParseError(f"empty {what}", path=path, line=el.line, token=f"<{el.tag}>")
    return s


def _one(parent: XMLElement, tag: str, path: str | None, what: str) -> XMLElement:
    found = parent.find_all(tag)
    if len(found) != 1:
        raise ParseError(f"{what} needs exactly one <{tag}> (has {len(found)})", path=path,
                         line=parent.line, token=f"<{parent.tag}>")
    return found[0]


def _parse(text: str, path: str | None, memory_budget: int | None):
    root = parse_xml(text, path, "XMLBIF", upper=True)
    if root.tag == "BIF":
        networks = root.find_all("NETWORK")
        if len(networks) != 1:
            raise ParseError(f"expected one <NETWORK> in <BIF>, found {len(networks)}",
                             path=path, line=root.line, token="<BIF>")
        net = networks[0]
    elif root.tag == "NETWORK":
        net = root
    else:
        raise ParseError(f"not an XMLBIF file: the root element is <{root.tag}>, expected "
                         "<BIF>", path=path, line=root.line, token=f"<{root.tag}>")
    names = net.find_all("NAME")
    name = names[0].text.strip() if names else None
    states: dict[str, list[str]] = {}
    var_line: dict[str, int] = {}
    for el in net.children:
        if el.tag != "VARIABLE":
            continue
        kind = el.attrib.get("TYPE", el.attrib.get("type", "nature")).strip().lower()
        vname = _name(_one(el, "NAME", path, "a <VARIABLE>"), path, "variable name")
        if kind != "nature":
            raise ParseError(f"variable {vname!r} has TYPE={kind!r}: only chance variables "
                             "(TYPE=\"nature\") are supported", path=path, line=el.line,
                             token=f"<{el.tag}>")
        if vname in states:
            raise ParseError(f"variable {vname!r} is declared twice", path=path, line=el.line,
                             token=vname)
        outcomes = [_name(o, path, f"state name of {vname!r}") for o in el.find_all("OUTCOME")]
        if not outcomes:
            raise ParseError(f"variable {vname!r} has no <OUTCOME> states", path=path,
                             line=el.line, token=vname)
        if len(set(outcomes)) != len(outcomes):
            dup = next(s for s in outcomes if outcomes.count(s) > 1)
            raise ParseError(f"variable {vname!r} lists state {dup!r} twice", path=path,
                             line=el.line, token=dup)
        states[vname] = outcomes
        var_line[vname] = el.line
    if not states:
        raise ParseError("no <VARIABLE> in the network", path=path, line=net.line,
                         token=f"<{net.tag}>")
    tables: dict[str, tuple[list[str], np.ndarray]] = {}
    for el in net.children:
        if el.tag not in ("DEFINITION", "PROBABILITY"):
            continue
        fors = el.find_all("FOR")
        if len(fors) != 1:
            raise ParseError(f"a <{el.tag}> needs exactly one <FOR> (has {len(fors)}; joint "
                             "tables are not supported)", path=path, line=el.line,
                             token=f"<{el.tag}>")
        child = _name(fors[0], path, "<FOR> variable")
        parents = [_name(g, path, "<GIVEN> variable") for g in el.find_all("GIVEN")]
        for v, e in ((child, fors[0]), *zip(parents, el.find_all("GIVEN"))):
            if v not in states:
                raise ParseError(f"the definition of {child!r} names undeclared variable {v!r}",
                                 path=path, line=e.line, token=v)
        if child in tables:
            raise ParseError(f"variable {child!r} has a second definition", path=path,
                             line=el.line, token=child)
        if child in parents or len(set(parents)) != len(parents):
            raise ParseError(f"the definition of {child!r} repeats a variable in <GIVEN>",
                             path=path, line=el.line, token=child)
        table = _one(el, "TABLE", path, f"the definition of {child!r}")
        card, pcards, nrows = table_shape(child, parents, states)
        vals = element_numbers(table, nrows * card, path=path, child=child, card=card,
                               nrows=nrows, memory_budget=memory_budget, what="<TABLE>")
        tables[child] = (parents, vals.reshape(*pcards, card))
    for v in states:
        if v not in tables:
            raise ParseError(f"variable {v!r} has no <DEFINITION>", path=path,
                             line=var_line[v], token=v)
    return build_network(name, states, tables)


# -------------------------------------------------------------------- public
def read_xmlbif(path_or_text: str | os.PathLike, *, memory_budget: int | None = None):
    """Read a Bayesian network from an XMLBIF 0.3 file (``.xmlbif``, ``.xml``, ``.gz``) or text.

    Parameters
    ----------
    path_or_text : str or path-like
        A file name, or the XML text itself (a ``str`` holding ``<``).
    memory_budget : int, optional
        The budget (bytes) for the file and each table (default ``$PGM_MEMORY_BUDGET``
        or 4 GiB).

    Returns
    -------
    BayesianNetwork
        Variables in declaration order, with their ``OUTCOME`` state names; ``name`` is
        the network's ``NAME``.

    Raises
    ------
    ParseError
        Malformed XML, a DOCTYPE or entity declaration, an undeclared or repeated
        variable, a wrong number of probabilities, a bad or negative number, a variable
        without a definition: the message names the line and token.
    ModelLoadError
        If the file does not exist.
    MemoryBudgetError
        If the file or a table would pass the memory budget.

    Examples
    --------
    >>> bn = read_xmlbif('''<BIF VERSION="0.3"><NETWORK><NAME>tiny</NAME>
    ... <VARIABLE TYPE="nature"><NAME>rain</NAME><OUTCOME>yes</OUTCOME><OUTCOME>no</OUTCOME></VARIABLE>
    ... <VARIABLE TYPE="nature"><NAME>wet</NAME><OUTCOME>yes</OUTCOME><OUTCOME>no</OUTCOME></VARIABLE>
    ... <DEFINITION><FOR>rain</FOR><TABLE>0.2 0.8</TABLE></DEFINITION>
    ... <DEFINITION><FOR>wet</FOR><GIVEN>rain</GIVEN><TABLE>0.9 0.1 0.2 0.8</TABLE></DEFINITION>
    ... </NETWORK></BIF>''')
    >>> bn.name, bn.edges
    ('tiny', [('rain', 'wet')])
    >>> bn.get_cpd("wet").values.tolist()
    [[0.9, 0.1], [0.2, 0.8]]
    """
    text, path = read_source(path_or_text, text_markers="<", memory_budget=memory_budget)
    return _parse(text, path, memory_budget)


def format_xmlbif(model) -> str:
    """The XMLBIF 0.3 text of a Bayesian network (see :func:`write_xmlbif`).

    Examples
    --------
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.25, 0.75])], name="one")
    >>> print(format_xmlbif(bn))  # doctest: +ELLIPSIS
    <?xml version="1.0" encoding="UTF-8"?>
    <BIF VERSION="0.3">
    <NETWORK>
    <NAME>one</NAME>
    <VARIABLE TYPE="nature">
      <NAME>a</NAME>
      <OUTCOME>0</OUTCOME>
      <OUTCOME>1</OUTCOME>
    </VARIABLE>
    <DEFINITION>
      <FOR>a</FOR>
      <TABLE>0.25 0.75</TABLE>
    </DEFINITION>
    </NETWORK>
    </BIF>
    <BLANKLINE>
    """
    check_bayesian_network(model, "XMLBIF")
    order = model.nodes
    names = {v: xml_name(v, "variable name") for v in order}
    if len(set(names.values())) != len(names):
        raise ModelError("two variables have the same name once written as text")
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<BIF VERSION="0.3">', "<NETWORK>",
           f"<NAME>{xml_name(model.name or 'unknown', 'network name')}</NAME>"]
    for v in order:
        out.append('<VARIABLE TYPE="nature">')
        out.append(f"  <NAME>{names[v]}</NAME>")
        out.extend(f"  <OUTCOME>{xml_name(s, f'state name of {v!r}')}</OUTCOME>"
                   for s in model.state_names(v))
        out.append("</VARIABLE>")
    for v in order:
        cpd = model.get_cpd(v)
        out.append("<DEFINITION>")
        out.append(f"  <FOR>{names[v]}</FOR>")
        out.extend(f"  <GIVEN>{names[p]}</GIVEN>" for p in cpd.parents)
        if cpd.parents:
            rows = cpd.values.reshape(-1, cpd.cardinality)
            out.append("  <TABLE>")
            out.extend(f"    {format_numbers(r)}" for r in rows)
            out.append("  </TABLE>")
        else:
            out.append(f"  <TABLE>{format_numbers(cpd.values)}</TABLE>")
        out.append("</DEFINITION>")
    out += ["</NETWORK>", "</BIF>"]
    return "\n".join(out) + "\n"


def write_xmlbif(model, path: str | os.PathLike) -> None:
    """Write a Bayesian network as an XMLBIF 0.3 file (gzip-compressed for a ``.gz`` name).

    Every variable is a ``TYPE="nature"`` ``VARIABLE`` with its state names as
    ``OUTCOME`` (``0, 1, ...`` when it has none); each ``DEFINITION`` lists the CPD's
    parents in order and one table row per parent assignment (last parent fastest),
    the numbers written with ``repr`` (exact round trip).  The file is replaced
    atomically.  Names that XML text cannot hold unchanged (control characters,
    leading or trailing spaces) raise :class:`~pgm.exceptions.ModelError`.

    Examples
    --------
    >>> import tempfile, os
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.25, 0.75])])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_xmlbif(bn, os.path.join(d, "a.xmlbif"))
    ...     read_xmlbif(os.path.join(d, "a.xmlbif")).get_cpd("a").values.tolist()
    [0.25, 0.75]
    """
    write_source(path, format_xmlbif(model))
