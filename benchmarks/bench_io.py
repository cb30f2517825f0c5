"""Model loading: pgm's BIF and UAI readers, against pgmpy's.

BIF: every bnlearn network under ``$PGM_DATA_DIR/bif`` is decompressed to a
temporary folder first (pgmpy needs plain files; decompression is not timed), then
loaded by ``pgm.io.read_bif`` and by ``pgmpy.readwrite.BIFReader(path).get_model()``.
pgm is timed as the best of several rounds after a warm-up; pgmpy, which takes
seconds per network, once per network, after one untimed warm-up load (asia), so
that neither its import nor its first-call costs are counted.  Both models are
checked to have the same variables and edges.  pgm's reading of the ``.bif.gz``
file itself (gunzip included) is timed too (column ``pgm_gz``).

UAI: every model under ``$PGM_DATA_DIR/uai`` is loaded with ``pgm.io.read_uai``
(plus its ``.evid`` file).  pgmpy's ``UAIReader`` is far slower (about a minute for
the 100-variable Grids_11), so it is timed only on one small model (Promedus_24, full runs only).

Usage::

    python benchmarks/bench_io.py [--quick] [--json FILE] [--no-pgmpy]

``--quick`` loads a few networks (pgmpy on the smallest ones only).
"""

from __future__ import annotations

import gzip
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    bench_parser,
    fmt_ratio,
    fmt_seconds,
    machine_info,
    optional_import,
    print_table,
    time_call,
    write_json,
)

from pgm.datasets import data_path  # noqa: E402
from pgm.io import read_bif, read_evidence, read_uai  # noqa: E402

BIF_QUICK = ("asia", "alarm", "insurance", "hepar2", "pathfinder", "munin")
PGMPY_QUICK = ("asia", "alarm", "insurance", "hepar2")
UAI_PEER = ("Promedus_24",)


def _once(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def bench_bif(args, readwrite) -> list[dict]:
    folder = data_path("bif")
    names = sorted(p.name[: -len(".bif.gz")] for p in folder.glob("*.bif.gz"))
    if args.quick:
        names = [n for n in names if n in BIF_QUICK]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if readwrite is not None:  # warm-up: pgmpy's first call pays one-time costs
            warm = Path(tmp) / "warmup.bif"
            warm.write_bytes(gzip.decompress((folder / "asia.bif.gz").read_bytes()))
            readwrite.BIFReader(str(warm)).get_model()
        for name in names:
            gz = folder / f"{name}.bif.gz"
            plain = Path(tmp) / f"{name}.bif"
            plain.write_bytes(gzip.decompress(gz.read_bytes()))
            bn = read_bif(plain)
            t_pgm = time_call(lambda p=plain: read_bif(p), repeat=3 if args.quick else 5,
                              number=1).best
            t_gz = time_call(lambda p=gz: read_bif(p), repeat=3 if args.quick else 5,
                             number=1).best
            row = {"network": name, "vars": len(bn), "edges": len(bn.edges),
                   "entries": sum(c.values.size for c in bn.cpds.values()),
                   "pgm": t_pgm, "pgm_gz": t_gz, "pgmpy": None, "speedup": None}
            if readwrite is not None and (not args.quick or name in PGMPY_QUICK):
                t0 = time.perf_counter()
                theirs = readwrite.BIFReader(str(plain)).get_model()
                t_peer = time.perf_counter() - t0
                if set(theirs.nodes()) != set(bn.nodes) or \
                        set(theirs.edges()) != set(bn.edges):
                    raise SystemExit(f"{name}: pgm and pgmpy disagree on the structure")
                row["pgmpy"] = t_peer
                row["speedup"] = t_peer / t_pgm
            rows.append(row)
            print(f"  {name:12s} pgm {fmt_seconds(t_pgm):>9s}  pgmpy {fmt_seconds(row['pgmpy']):>9s}"
                  f"  {fmt_ratio(row['speedup'])}", flush=True)
    return rows


def bench_uai(args, readwrite) -> list[dict]:
    folder = data_path("uai")
    paths = sorted(folder.glob("*.uai"))
    if args.quick:
        paths = paths[::6]
    rows = []
    for path in paths:
        name = path.name[: -len(".uai")]
        fg = read_uai(path)
        evid = path.with_name(path.name + ".evid")
        t = time_call(lambda p=path: read_uai(p), repeat=3 if args.quick else 5, number=1).best
        t_ev = time_call(lambda p=evid: read_evidence(p), repeat=3, number=1).best \
            if evid.exists() else None
        row = {"model": name, "vars": len(fg.variables), "factors": len(fg.factors),
               "entries": sum(f.size for f in fg.factors), "pgm": t, "pgm_evid": t_ev,
               "pgmpy": None, "speedup": None}
        if readwrite is not None and not args.quick and name in UAI_PEER:
            row["pgmpy"] = _once(lambda p=path: readwrite.UAIReader(str(p)).get_model())
            row["speedup"] = row["pgmpy"] / t
        rows.append(row)
    return rows


def main() -> None:
    parser = bench_parser(__doc__.splitlines()[0])
    parser.add_argument("--no-pgmpy", action="store_true", help="time pgm only")
    args = parser.parse_args()
    readwrite = None
    if not args.no_pgmpy:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            readwrite = optional_import("pgmpy.readwrite")
        if readwrite is None:
            print("pgmpy is not installed (pip install -e '.[bench]'): timing pgm only")
    warnings.filterwarnings("ignore")

    print("BIF networks (plain .bif; pgm_gz reads the .bif.gz)")
    bif = bench_bif(args, readwrite)
    print_table([{**r, "pgm": fmt_seconds(r["pgm"]), "pgm_gz": fmt_seconds(r["pgm_gz"]),
                  "pgmpy": fmt_seconds(r["pgmpy"]), "speedup": fmt_ratio(r["speedup"])}
                 for r in bif], ["network", "vars", "edges", "entries", "pgm", "pgm_gz",
                                 "pgmpy", "speedup"])
    both = [r for r in bif if r["pgmpy"] is not None]
    if both:
        tp, tq = sum(r["pgm"] for r in both), sum(r["pgmpy"] for r in both)
        print(f"total over {len(both)} networks: pgm {fmt_seconds(tp)}, pgmpy {fmt_seconds(tq)}, "
              f"{fmt_ratio(tq / tp)}")
    print(f"all {len(bif)} networks with pgm: {fmt_seconds(sum(r['pgm'] for r in bif))}")

    print("\nUAI models")
    uai = bench_uai(args, readwrite)
    print_table([{**r, "pgm": fmt_seconds(r["pgm"]), "pgm_evid": fmt_seconds(r["pgm_evid"]),
                  "pgmpy": fmt_seconds(r["pgmpy"]), "speedup": fmt_ratio(r["speedup"])}
                 for r in uai], ["model", "vars", "factors", "entries", "pgm", "pgm_evid",
                                 "pgmpy", "speedup"])
    print(f"all {len(uai)} models with pgm: {fmt_seconds(sum(r['pgm'] for r in uai))}")

    if args.json:
        write_json(args.json, {"benchmark": "io", "quick": args.quick,
                               "machine": machine_info(), "bif": bif, "uai": uai})


if __name__ == "__main__":
    main()
