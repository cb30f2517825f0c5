"""A fuzz campaign: the fuzz suite's targets run for as long as asked, with counts.

Runs :func:`pgm.cli.fuzz.fuzz_targets` (mutated BIF and UAI files, evidence strings,
damaged RBM files, random command lines) round-robin, each for an equal share of
``--minutes``, under a small memory budget, and prints how many cases ended in each
outcome class (``ok``, ``pgm_error``, and the failures ``crash``, ``timeout``,
``memory``), with the first failures of each target.  Exit 1 when any case failed.

    python benchmarks/fuzz_campaign.py --minutes 10 [--targets bif,cli] [--json out.json]
    python benchmarks/fuzz_campaign.py --quick          # a few seconds per target

This is a robustness campaign, not a timing: OPENBLAS settings do not matter here.
"""

from __future__ import annotations

import collections
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bench_parser, machine_info, print_table, write_json  # noqa: E402
from hypothesis.errors import NonInteractiveExampleWarning  # noqa: E402


def run_target(target, seconds: float) -> tuple[collections.Counter, list[str]]:
    """Draw and run cases of ``target`` for ``seconds``; counts per outcome and failures."""
    counts: collections.Counter = collections.Counter()
    failures: list[str] = []
    stop = time.monotonic() + seconds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        while time.monotonic() < stop:
            case = target.cases.example()
            outcome = target.run(case)
            counts[outcome.kind] += 1
            if outcome.failed and len(failures) < 5:
                failures.append(f"{target.describe(case)}: {outcome.kind}: {outcome.detail}")
    return counts, failures


def main() -> int:
    parser = bench_parser(__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=float, default=2.0, help="total time (default 2)")
    parser.add_argument("--targets", default="bif,uai,evidence,npz,cli",
                        help="comma-separated targets (default all)")
    parser.add_argument("--budget", type=int, default=512 * 2**20,
                        help="memory budget of the cases in bytes (default 512 MiB)")
    args = parser.parse_args()
    names = [t.strip() for t in args.targets.split(",") if t.strip()]
    os.environ["PGM_MEMORY_BUDGET"] = str(args.budget)
    os.environ.setdefault("TQDM_DISABLE", "1")

    from pgm.cli.fuzz import fuzz_targets

    total = 0.25 * len(names) if args.quick else args.minutes * 60
    rows, failures = [], {}
    with tempfile.TemporaryDirectory() as work:
        targets = fuzz_targets(work, seconds=30, memory_limit=2 * args.budget)
        unknown = sorted(set(names) - set(targets))
        if unknown:
            parser.error(f"unknown targets {unknown}; choose from {sorted(targets)}")
        for name in names:
            start = time.monotonic()
            counts, fails = run_target(targets[name], total / len(names))
            n = sum(counts.values())
            rows.append({"target": name, "cases": n, **{k: counts.get(k, 0) for k in
                         ("ok", "pgm_error", "crash", "timeout", "memory")},
                         "cases/s": n / max(time.monotonic() - start, 1e-9)})
            failures[name] = fails
    print_table(rows, markdown=args.markdown)
    for name, fails in failures.items():
        for line in fails:
            print(f"FAIL [{name}] {line}")
    if args.json:
        write_json(args.json, {"machine": machine_info(), "minutes": total / 60,
                               "budget": args.budget, "rows": rows, "failures": failures})
    return 1 if any(r["crash"] or r["timeout"] or r["memory"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
