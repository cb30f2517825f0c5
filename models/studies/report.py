"""The one report framework of the studies (``pgm demo``, ``pgm experiments digits``).

A study is a :class:`Registry` of *sections*: functions ``section(ctx) -> Section``
that register themselves, in report order, with the registry's decorator::

    from pgm.models.studies.report import Registry, Section

    SECTIONS = Registry()

    @SECTIONS.section("exact", "Exact inference")
    def exact_inference(ctx):
        ctx.check(answer_ok, "VE equals enumeration")       # a verified claim
        ctx.note("exact inference: ...")                      # a console line
        name = ctx.figure("f.png", lambda fig: fig.subplots().plot([0, 1]))
        return ctx.section(["| query | answer |", ...], figures=[name])

The one return contract is :class:`Section`: its key and title, Markdown lines, the
figure files it wrote (names relative to the output folder), rows of final numbers
for a summary table, and (filled in by :func:`run_sections`) the seconds it took.
A section records claims with :meth:`ReportContext.check` (a false one is a failure
of the run), console lines with :meth:`ReportContext.note`, and writes files through
:meth:`ReportContext.write_bytes` / :meth:`ReportContext.figure` (atomic, the
toolkit's one figure writer :func:`pgm.files.save_figure`).

Examples
--------
>>> import tempfile
>>> reg = Registry()
>>> @reg.section("one", "First")
... def first(ctx):
...     ctx.check(1 + 1 == 2, "arithmetic holds")
...     return ctx.section(["hello"])
>>> ctx = ReportContext(out_dir=Path(tempfile.mkdtemp()))
>>> [(s.key, s.title, s.lines) for s in run_sections(reg, ctx)], ctx.failures
([('one', 'First', ['hello'])], [])
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pgm.files import atomic_write_bytes, new_figure, save_figure

__all__ = ["Registry", "ReportContext", "Section", "SectionFunction", "run_sections"]


@dataclass
class Section:
    """What a section returns (the framework's one return contract).

    ``figures``: files it wrote, relative to the output folder (a report inlines them);
    ``rows``: final numbers for a summary table (a row with ``"once": True`` appears
    there only the first time its model does); ``seconds``: the time it took when it
    was computed; ``reused``: loaded from an earlier run rather than computed.
    """

    key: str
    title: str
    lines: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    reused: bool = False


#: a section: the run's context in, its :class:`Section` out
SectionFunction = Callable[[Any], Section]


class Registry(dict):
    """``{key: section function}`` in report order; :meth:`section` registers one.

    A plain dict otherwise (a test may replace an entry); the registered title is the
    default title of :meth:`ReportContext.section` and of a section that failed.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.titles: dict[str, str] = {}

    def section(self, key: str, title: str | None = None
                ) -> Callable[[SectionFunction], SectionFunction]:
        """Decorator appending a function under ``key`` (titled ``title``, default ``key``)."""
        def register(func: SectionFunction) -> SectionFunction:
            self[key] = func
            self.titles[key] = title or key
            return func
        return register

    def title(self, key: str) -> str:
        """The registered title of ``key`` (``key`` itself for an unregistered entry)."""
        return getattr(self, "titles", {}).get(key, key)


@dataclass(kw_only=True)
class ReportContext:
    """State shared by the sections of one run.

    Attributes
    ----------
    out_dir : the output folder.
    quick : sections should keep short.
    summary : lines for the console (see :meth:`note`).
    failures : descriptions of failed checks (see :meth:`check`).
    files : files written so far (see :meth:`write_bytes`, :meth:`figure`).
    current : ``(key, title)`` of the running section (set by :func:`run_sections`).
    """

    out_dir: Path = Path(".")
    quick: bool = False
    summary: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    current: tuple[str, str] = ("", "")

    def note(self, line: str) -> None:
        """Add a line to the console summary."""
        self.summary.append(line)

    def check(self, condition: bool, claim: str) -> bool:
        """Record a verified claim; a false one is a failure of the run."""
        if not condition:
            self.failures.append(claim)
        return bool(condition)

    def write_bytes(self, name: str, data: bytes) -> Path:
        """Write a file into the output folder atomically and remember it."""
        path = atomic_write_bytes(Path(self.out_dir) / name, data)
        self._remember(path)
        return path

    def write_text(self, name: str, text: str) -> Path:
        """:meth:`write_bytes` for UTF-8 text."""
        return self.write_bytes(name, text.encode("utf-8"))

    def figure(self, name: str, draw: Callable[[Any], Any], *,
               figsize: tuple[float, float] = (6.4, 4.0), dpi: float | None = None,
               **figure_kwargs) -> str:
        """Draw a figure with ``draw(fig)`` and write it to ``out_dir/name`` (atomic,
        :func:`pgm.files.save_figure`); returns ``name`` (for :attr:`Section.figures`)."""
        fig = new_figure(figsize, **figure_kwargs)
        draw(fig)
        self._remember(save_figure(fig, Path(self.out_dir) / name, dpi=dpi))
        return name

    def add_file(self, path: str | os.PathLike) -> Path:
        """Remember a file a section wrote by other means (e.g. a tiled image)."""
        path = Path(path)
        self._remember(path)
        return path

    def section(self, lines: Iterable[str] = (), **fields) -> Section:
        """A :class:`Section` of the running section's key and title with ``lines``
        (``fields``: any other field of :class:`Section`, e.g. ``title``, ``figures``)."""
        key, title = self.current
        fields.setdefault("title", title)
        return Section(key, lines=list(lines), **fields)

    def _remember(self, path: Path) -> None:
        if path not in self.files:
            self.files.append(path)


def run_sections(registry: Registry, ctx: ReportContext, *, only: Iterable[str] | None = None,
                 reuse: Callable[[Any, str], Section | None] | None = None,
                 keep: Callable[[Any, Section], Any] | None = None,
                 catch: bool = False,
                 echo: Callable[[Section, str], Any] | None = None) -> list[Section]:
    """Run the sections of ``registry`` (those in ``only``), in order; return their results.

    ``reuse(ctx, key)`` may return a finished :class:`Section` from an earlier run
    (then the section is not run, and ``echo`` gets the status ``"reused"``);
    ``keep(ctx, section)`` is called with each freshly computed one (to save it).
    With ``catch``, a section that raises is recorded as a failure of the run (and
    its section says so) instead of stopping it.  ``echo(section, status)`` is called
    after each one, status ``"ok"``, ``"FAILED"`` (a check failed or it raised) or
    ``"reused"``.
    """
    keys = None if only is None else set(only)
    out: list[Section] = []
    for key, func in registry.items():
        if keys is not None and key not in keys:
            continue
        title = registry.title(key) if isinstance(registry, Registry) else key
        ctx.current = (key, title)
        sec = reuse(ctx, key) if reuse is not None else None
        if sec is not None:
            status = "reused"
        else:
            t = time.perf_counter()
            before = len(ctx.failures)
            try:
                sec = func(ctx)
            except Exception as exc:
                if not catch:
                    raise
                ctx.failures.append(f"section {title!r} raised {type(exc).__name__}: {exc}")
                sec = Section(key, title, [f"**This section failed:** `{type(exc).__name__}: "
                                           f"{exc}`"])
            sec.seconds = time.perf_counter() - t
            status = "ok" if len(ctx.failures) == before else "FAILED"
            if keep is not None and status == "ok":
                keep(ctx, sec)
        out.append(sec)
        if echo is not None:
            echo(sec, status)
    ctx.current = ("", "")
    return out
