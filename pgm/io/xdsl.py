"""The GeNIe / SMILE XDSL format (``.xdsl``): the chance nodes of a Bayesian network.

A file is one ``smile`` element holding a ``nodes`` list (parents before children)
and an optional ``extensions`` block (GeNIe's layout, skipped)::

    <smile version="1.0" id="tiny">
      <nodes>
        <cpt id="rain">
          <state id="yes" />
          <state id="no" />
          <probabilities>0.2 0.8</probabilities>
        </cpt>
        <cpt id="wet">
          <state id="yes" />
          <state id="no" />
          <parents>rain</parents>
          <probabilities>0.9 0.1 0.2 0.8</probabilities>
        </cpt>
      </nodes>
    </smile>

``probabilities`` lists the child's states fastest, then the parents of the
space-separated ``parents`` list with the last one varying fastest: exactly
:class:`~pgm.cpd.TabularCPD`'s C-order layout ``(*parents, child)`` (GeNIe's and
pgmpy's convention).  pyAgrum 3.3's XDSL writer lists the *first* parent fastest
instead (it reads its own files back the same way), so the tables of its nodes with
two or more parents come out with the parents' axes in reverse order of speed; the
tests check this explicitly.

Only ``cpt`` nodes are read: ``deterministic``, ``noisymax``, ``noisyadder``,
``equation``, ``decision``, ``utility`` and other node types are refused with a
:class:`~pgm.exceptions.ParseError` naming the node, its type and the line.  The
variable is named by the node's ``id`` (or by a ``<property id="pgm_name">``, which
:func:`write_xdsl` adds when a name is not a SMILE identifier).  XML is read as in
:mod:`pgm.io.xmlbif`: expat with line numbers, DOCTYPE and entity declarations
refused, tables checked against the memory budget before they are allocated, ASCII
decimal numbers only, ``.gz`` files decompressed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable

import numpy as np

from pgm.exceptions import ModelError, ParseError
from pgm.io.text import read_source, write_source
from pgm.io.xmlbif import (
    build_network,
    check_bayesian_network,
    element_numbers,
    format_numbers,
    parse_xml,
    table_shape,
    xml_name,
)

__all__ = ["read_xdsl", "write_xdsl", "format_xdsl"]

_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PROPERTY = "pgm_name"


def _parse(text: str, path: str | None, memory_budget: int | None):
    root = parse_xml(text, path, "XDSL")
    if root.tag != "smile":
        raise ParseError(f"not an XDSL file: the root element is <{root.tag}>, expected "
                         "<smile>", path=path, line=root.line, token=f"<{root.tag}>")
    lists = root.find_all("nodes")
    if len(lists) != 1:
        raise ParseError(f"expected one <nodes> in <smile>, found {len(lists)}", path=path,
                         line=root.line, token="<smile>")
    name = root.attrib.get("id")
    for ext in root.find_all("extensions"):  # GeNIe's name of the network, where given
        for genie in ext.find_all("genie"):
            name = genie.attrib.get("name", name)
    states: dict[str, list[str]] = {}
    names: dict[str, str] = {}  # node id -> variable name
    nodes = []
    for el in lists[0].children:
        ident = el.attrib.get("id", "").strip()
        if el.tag != "cpt":
            what = f"node {ident!r}" if ident else "a node"
            raise ParseError(f"{what} is a <{el.tag}> node: only <cpt> (chance) nodes are "
                             "supported", path=path, line=el.line, token=f"<{el.tag}>")
        if not ident:
            raise ParseError("a <cpt> without an id", path=path, line=el.line, token="<cpt>")
        vname = ident
        for prop in el.find_all("property"):
            if prop.attrib.get("id") == _PROPERTY and prop.text:
                vname = prop.text
        if ident in names or vname in states:
            raise ParseError(f"node {vname!r} is declared twice", path=path, line=el.line,
                             token=ident)
        sts = [s.attrib.get("id", "") for s in el.find_all("state")]
        if not sts:
            raise ParseError(f"node {ident!r} has no <state>", path=path, line=el.line,
                             token=ident)
        if "" in sts or len(set(sts)) != len(sts):
            bad = "" if "" in sts else next(s for s in sts if sts.count(s) > 1)
            raise ParseError(f"node {ident!r}: a state without an id or listed twice ({bad!r})",
                             path=path, line=el.line, token=bad or "<state>")
        names[ident] = vname
        states[vname] = sts
        nodes.append((el, ident, vname))
    if not nodes:
        raise ParseError("no node in <nodes>", path=path, line=lists[0].line, token="<nodes>")
    tables: dict[str, tuple[list[str], np.ndarray]] = {}
    for el, ident, vname in nodes:
        plists = el.find_all("parents")
        if len(plists) > 1:
            raise ParseError(f"node {ident!r} has two <parents> lists", path=path,
                             line=plists[1].line, token="<parents>")
        parent_ids = plists[0].text.split() if plists else []
        for p in parent_ids:
            if p not in names:
                raise ParseError(f"node {ident!r} names undeclared parent {p!r}", path=path,
                                 line=plists[0].text_line, token=p)
        parents = [names[p] for p in parent_ids]
        if vname in parents or len(set(parents)) != len(parents):
            raise ParseError(f"the parents of {ident!r} repeat a node or name the node itself",
                             path=path, line=plists[0].line, token=ident)
        probs = el.find_all("probabilities")
        if len(probs) != 1:
            raise ParseError(f"node {ident!r} needs exactly one <probabilities> (has "
                             f"{len(probs)})", path=path, line=el.line, token=ident)
        card, pcards, nrows = table_shape(vname, parents, states)
        vals = element_numbers(probs[0], nrows * card, path=path, child=ident, card=card,
                               nrows=nrows, memory_budget=memory_budget,
                               what="<probabilities>")
        tables[vname] = (parents, vals.reshape(*pcards, card))
    return build_network(name, states, tables)


# -------------------------------------------------------------------- public
def read_xdsl(path_or_text: str | os.PathLike, *, memory_budget: int | None = None):
    """Read a Bayesian network from a GeNIe XDSL file (``.xdsl``, ``.xdsl.gz``) or text.

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
        Variables in the order of the ``nodes`` list, named by their ids, with their
        state ids as state names; ``name`` is the GeNIe extension's network ``name``,
        else the ``smile`` element's ``id``.

    Raises
    ------
    ParseError
        Malformed XML, a DOCTYPE or entity declaration, a node that is not a ``cpt``,
        an undeclared parent, a repeated node or state, a wrong number of
        probabilities, a bad or negative number: the message names the line and token.
    ModelLoadError
        If the file does not exist.
    MemoryBudgetError
        If the file or a table would pass the memory budget.

    Examples
    --------
    >>> bn = read_xdsl('''<smile version="1.0" id="tiny"><nodes>
    ... <cpt id="rain"><state id="yes"/><state id="no"/><probabilities>0.2 0.8</probabilities></cpt>
    ... <cpt id="wet"><state id="yes"/><state id="no"/><parents>rain</parents>
    ... <probabilities>0.9 0.1 0.2 0.8</probabilities></cpt>
    ... </nodes></smile>''')
    >>> bn.name, bn.edges
    ('tiny', [('rain', 'wet')])
    >>> bn.get_cpd("wet").values.tolist()
    [[0.9, 0.1], [0.2, 0.8]]
    """
    text, path = read_source(path_or_text, text_markers="<", memory_budget=memory_budget)
    return _parse(text, path, memory_budget)


def _identifiers(model) -> dict[Hashable, str]:
    """A SMILE identifier per variable: the name itself when it is one, else a unique
    made-up one (the name is then kept in a ``pgm_name`` property)."""
    order = model.nodes
    used = {str(v) for v in order if _IDENT_RE.fullmatch(str(v))}
    out: dict[Hashable, str] = {}
    for v in order:
        s = str(v)
        if _IDENT_RE.fullmatch(s):
            out[v] = s
            continue
        base = re.sub(r"[^A-Za-z0-9_]", "_", s)
        if not _IDENT_RE.fullmatch(base):
            base = "v_" + base
        cand, k = base, 1
        while cand in used:
            cand, k = f"{base}_{k}", k + 1
        used.add(cand)
        out[v] = cand
    return out


def format_xdsl(model) -> str:
    """The XDSL text of a Bayesian network (see :func:`write_xdsl`).

    Examples
    --------
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.25, 0.75])], name="one")
    >>> print(format_xdsl(bn))  # doctest: +ELLIPSIS
    <?xml version="1.0" encoding="UTF-8"?>
    <smile version="1.0" id="one" numsamples="10000" discsamples="10000">
      <nodes>
        <cpt id="a">
          <state id="0" />
          <state id="1" />
          <probabilities>0.25 0.75</probabilities>
        </cpt>
      </nodes>
      <extensions>
    ...
    </smile>
    <BLANKLINE>
    """
    check_bayesian_network(model, "XDSL")
    ids = _identifiers(model)
    try:
        order = model.topological_order()  # GeNIe wants parents before children
    except ModelError:
        order = model.nodes
    net_id = model.name if model.name and _IDENT_RE.fullmatch(model.name) else None
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<smile version="1.0" id="{xml_name(net_id or "Network", "network name")}" '
           'numsamples="10000" discsamples="10000">', "  <nodes>"]
    for v in order:
        cpd = model.get_cpd(v)
        out.append(f'    <cpt id="{ids[v]}">')
        out.extend(f'      <state id="{xml_name(s, f"state name of {v!r}")}" />'
                   for s in model.state_names(v))
        if cpd.parents:
            out.append(f"      <parents>{' '.join(ids[p] for p in cpd.parents)}</parents>")
        out.append(f"      <probabilities>{format_numbers(cpd.values)}</probabilities>")
        if ids[v] != str(v):
            out.append(f'      <property id="{_PROPERTY}">{xml_name(v, "variable name")}'
                       "</property>")
        out.append("    </cpt>")
    out.append("  </nodes>")
    title = xml_name(model.name or "Network", "network name")
    out += ["  <extensions>", f'    <genie version="1.0" app="pgm" name="{title}">']
    for k, v in enumerate(order):
        x, y = 40 + 160 * (k % 8), 40 + 100 * (k // 8)
        out += [f'      <node id="{ids[v]}">', f"        <name>{xml_name(v, 'variable name')}</name>",
                '        <interior color="e5f6f7" />', '        <outline color="000080" />',
                '        <font color="000000" name="Arial" size="8" />',
                f"        <position>{x} {y} {x + 120} {y + 40}</position>", "      </node>"]
    out += ["    </genie>", "  </extensions>", "</smile>"]
    return "\n".join(out) + "\n"


def write_xdsl(model, path: str | os.PathLike) -> None:
    """Write a Bayesian network as a GeNIe XDSL file (gzip-compressed for a ``.gz`` name).

    One ``cpt`` per variable in topological order, its states (``0, 1, ...`` when it
    has none), its ``parents`` in the CPD's order and its ``probabilities`` (child
    fastest, then the last parent), written with ``repr`` (exact round trip), and a
    GeNIe ``extensions`` block laying the nodes out on a grid.  A variable name that
    is not a SMILE identifier is written as a made-up id with the name kept in a
    ``pgm_name`` property and as the node's GeNIe ``name``; state names are written
    as they are (GeNIe itself wants identifiers there).  The file is replaced
    atomically.

    Examples
    --------
    >>> import tempfile, os
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.25, 0.75])])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_xdsl(bn, os.path.join(d, "a.xdsl"))
    ...     read_xdsl(os.path.join(d, "a.xdsl")).get_cpd("a").values.tolist()
    [0.25, 0.75]
    """
    write_source(path, format_xdsl(model))
