"""``pgm denoise``: restore a binary image with the Ising MRF of PRML 8.3.3.

The input is an image file (binarized at ``--threshold``) or a built-in picture
(``--builtin shapes``, ``mnist`` or ``mnist:K``).  With ``--noise RATE`` each pixel
is flipped with that probability first (default 0.1 for a built-in image, 0 for a
file), and the accuracy against the clean image is reported; ``--reference CLEAN``
gives the clean image of an input that is already noisy.

Prints the accuracy (when the clean image is known), the energy and the time;
``--json`` prints ``{"ok", "accuracy", "energy", "seconds", "method", ...}`` instead
(strict JSON, as every subcommand).  ``-o/--out OUT.png`` writes the restored image
and ``--figure FIG.png`` a side-by-side figure (clean, noisy, restored, and for Gibbs
the marginal map); both atomically.  ``--seed`` (default
:data:`pgm.validation.DEFAULT_SEED`) seeds the noise and the sampler.

``--samples`` and ``--burn-in`` belong to ``--method gibbs`` and ``--sweeps`` to
``--method anneal``; given with another method they are refused (exit 2), as are
counts below 1, rates outside [0, 1] and non-finite couplings, and output paths that
are folders.  ``--memory-budget BYTES`` (default ``$PGM_MEMORY_BUDGET`` or 4 GiB) bounds
the image (a file's size is read from its header before decoding; Pillow's
decompression-bomb limit also holds) and the solver's arrays (the graph cut needs about
500 bytes a pixel): over it, exit 2 before anything is allocated.

Exit codes: 0 done, 2 unreadable image or bad arguments.
"""

from __future__ import annotations

import argparse

from pgm.cli.options import (
    add_json_option,
    add_memory_budget_option,
    add_out_option,
    add_seed_option,
)

EXIT_OK, EXIT_BAD_INPUT = 0, 2

METHOD_CHOICES = ("icm", "gibbs", "anneal", "graphcut")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``denoise`` (argparse only: no heavy import here)."""
    p = subparsers.add_parser(
        "denoise",
        help="restore a noisy binary image with an Ising MRF (ICM, Gibbs, annealing, graph cut)",
        description=(
            "Denoise a binary image with the Ising model of PRML 8.3.3,\n"
            "E(x, y) = h sum x_i - beta sum_{i~j} x_i x_j - eta sum x_i y_i.\n"
            "Give an IMAGE file or --builtin NAME; --noise flips pixels first and the\n"
            "accuracy against the clean image is printed."
        ),
        epilog=("examples:  pgm denoise --builtin shapes --noise 0.1 --method graphcut -o out.png\n"
                "           pgm denoise --builtin shapes --method gibbs --samples 100 --json\n"
                "           pgm denoise scan.png --method gibbs --figure fig.png --json"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("image", nargs="?", metavar="IMAGE",
                   help="input image (PNG or any format Pillow reads), binarized at --threshold")
    p.add_argument("--builtin", metavar="NAME",
                   help="use a built-in clean image instead: shapes, mnist (a 4x4 digit mosaic) "
                        "or mnist:K")
    p.add_argument("--size", type=int, default=256, metavar="N",
                   help="side of the built-in 'shapes' image (default 256)")
    p.add_argument("--threshold", type=float, default=0.5, metavar="T",
                   help="grey level in [0, 1] above which a pixel is +1 (default 0.5)")
    p.add_argument("--noise", type=float, default=None, metavar="RATE",
                   help="flip each pixel with this probability first (default 0.1 for --builtin, "
                        "0 for a file)")
    p.add_argument("--reference", metavar="CLEAN",
                   help="clean image to score against (when IMAGE is already noisy)")
    p.add_argument("--method", choices=METHOD_CHOICES, default="icm",
                   help="solver (default icm); graphcut is the exact MAP (beta >= 0)")
    p.add_argument("--beta", type=float, default=1.0, help="pixel-pixel coupling (default 1.0)")
    p.add_argument("--eta", type=float, default=2.1,
                   help="pixel-observation coupling (default 2.1)")
    p.add_argument("--h", type=float, default=0.0, help="bias; > 0 favours -1 (default 0.0)")
    p.add_argument("--connectivity", type=int, choices=(4, 8), default=4,
                   help="4 or 8 neighbours (default 4)")
    add_seed_option(p, "seed of the noise and of the gibbs/anneal sampler")
    p.add_argument("--samples", type=int, default=None, metavar="N",
                   help="--method gibbs only: recorded sweeps (default 200)")
    p.add_argument("--burn-in", type=int, default=None, metavar="N",
                   help="--method gibbs only: discarded sweeps (default 50)")
    p.add_argument("--sweeps", type=int, default=None, metavar="N",
                   help="--method anneal only: schedule length, temperatures 4 -> 0.05 "
                        "(default 300)")
    add_out_option(p, "write the restored image here (format from the suffix)", metavar="OUT")
    p.add_argument("--figure", metavar="FIG",
                   help="write a side-by-side figure (clean, noisy, restored, marginals)")
    add_memory_budget_option(p, "largest allocation allowed (the image and the solver's "
                                "arrays: about 500 bytes a pixel for graphcut)")
    add_json_option(p)
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Load, add noise, denoise, report and write the outputs."""
    import sys

    import numpy as np

    from pgm._config import check_allocation
    from pgm.cli.options import check_output_path, refuse_unused, seed_of, write_json
    from pgm.exceptions import PGMError
    from pgm.models.images import (
        add_flip_noise,
        binarize,
        builtin_image,
        pixel_accuracy,
        read_image,
        save_panels,
        write_image,
    )
    from pgm.models.ising import IsingDenoiser
    from pgm.validation import (
        check_float,
        check_nonnegative_int,
        check_positive_int,
        check_probability,
    )

    if (args.image is None) == (args.builtin is None):
        raise PGMError("give either an IMAGE file or --builtin NAME (not both)")
    if args.method != "gibbs":
        refuse_unused(args, ["--samples", "--burn-in"], f"with --method {args.method} "
                      "(--method gibbs only)")
    if args.method != "anneal":
        refuse_unused(args, ["--sweeps"], f"with --method {args.method} (--method anneal only)")
    check_positive_int("--size", args.size)
    check_probability("--threshold", args.threshold)
    if args.noise is not None:
        check_probability("the noise rate --noise", args.noise)
    for name in ("beta", "eta", "h"):
        check_float(f"--{name}", getattr(args, name))
    n_samples = check_positive_int("--samples", 200 if args.samples is None else args.samples)
    burn_in = check_nonnegative_int("--burn-in", 50 if args.burn_in is None else args.burn_in)
    sweeps = check_positive_int("--sweeps", 300 if args.sweeps is None else args.sweeps)
    seed = seed_of(args)
    budget = args.memory_budget
    if args.out is not None:
        check_output_path(args.out, "-o/--out")
    if args.figure is not None:
        check_output_path(args.figure, "--figure")
    if args.builtin is not None:
        clean = builtin_image(args.builtin, size=args.size, memory_budget=budget)
        source = f"built-in {args.builtin!r}"
        noise = 0.1 if args.noise is None else args.noise
    else:
        clean = binarize(read_image(args.image, memory_budget=budget), args.threshold)
        source = str(args.image)
        noise = 0.0 if args.noise is None else args.noise
    y = add_flip_noise(clean, noise, seed=seed)
    reference = clean if (args.builtin is not None or noise > 0) else None
    if args.reference is not None:
        reference = binarize(read_image(args.reference, memory_budget=budget), args.threshold)
        if reference.shape != y.shape:
            raise PGMError(f"reference image {args.reference} is {reference.shape[0]}x"
                           f"{reference.shape[1]}, the input {y.shape[0]}x{y.shape[1]}")
    model = IsingDenoiser(beta=args.beta, eta=args.eta, h=args.h, connectivity=args.connectivity)
    if args.method == "gibbs":
        res = model.gibbs(y, n_samples=n_samples, burn_in=burn_in, seed=seed, memory_budget=budget)
    elif args.method == "anneal":
        check_allocation(8 * sweeps, f"a schedule of {sweeps} temperatures", memory_budget=budget)
        res = model.anneal(y, np.geomspace(4.0, 0.05, sweeps), seed=seed, memory_budget=budget)
    else:
        res = model.denoise(y, args.method, memory_budget=budget)
    written = {}
    if args.out:
        written["out"] = str(write_image(args.out, res.image))
    if args.figure:
        panels = []
        if reference is not None:
            panels.append(("clean", reference))
        panels.append((f"noisy ({noise:g})" if noise > 0 else "input", y))
        title = args.method + (f" {res.accuracy(reference):.1%}" if reference is not None else "")
        panels.append((title + (" (MPM)" if args.method == "gibbs" else ""), res.image))
        if res.marginals is not None:
            panels.append(("P(x=+1 | y)", res.marginals))
        written["figure"] = str(save_panels(args.figure, panels))
    out = {
        "ok": True,
        "accuracy": None if reference is None else res.accuracy(reference),
        "energy": res.energy,
        "seconds": res.seconds,
        "method": args.method,
        "noisy_accuracy": None if reference is None else pixel_accuracy(y, reference),
        "shape": list(y.shape),
        "source": source,
        "noise": noise,
        "seed": seed,
        "parameters": {"beta": model.beta, "eta": model.eta, "h": model.h,
                       "connectivity": model.connectivity},
        **written,
    }
    if args.json:
        write_json(out)
        return EXIT_OK
    H, W = y.shape
    print(f"{source}: {H}x{W}, noise {noise:g} (seed {seed})")
    print(f"method {args.method}: beta={model.beta:g} eta={model.eta:g} h={model.h:g}, "
          f"{model.connectivity} neighbours")
    if reference is not None:
        print(f"accuracy: {out['accuracy']:.2%} of pixels correct "
              f"(noisy input {out['noisy_accuracy']:.2%})")
    print(f"energy:   {res.energy:.4f}")
    print(f"seconds:  {res.seconds:.3f}")
    for what, path in written.items():
        print(f"wrote {what}: {path}", file=sys.stdout)
    return EXIT_OK
