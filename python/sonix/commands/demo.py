"""``sonix demo-data``: write the synthesised demo dataset."""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..data.demo import CLASSES

    p.description = (
        "Write a small labelled dataset of synthesised sounds ("
        + ", ".join(CLASSES)
        + ") with random pitch, "
        "timbre, duration, level, background noise and SNR: OUT/<class>/<class>_<i>.wav and OUT/manifest.csv "
        "(path,label). Use a different --seed for a validation set."
    )
    p.add_argument(
        "out", metavar="OUT", help="folder to write (created; existing files are overwritten)"
    )
    p.add_argument("--n-per-class", type=int, default=40, help="clips per class (default: 40)")
    p.add_argument(
        "--rates",
        default="16000,22050,44100",
        help="comma-separated sample rates, one drawn per clip (default: 16000,22050,44100)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed; the same seed writes the same files (default: 0)",
    )
    p.add_argument(
        "--format",
        choices=("wav", "flac", "ogg"),
        default="wav",
        help="audio format (default: wav)",
    )


def run(args: argparse.Namespace) -> int:
    from ..data.demo import write_demo_dataset

    try:
        rates = [int(r) for r in args.rates.split(",") if r]
    except ValueError:
        raise SystemExit(
            f"sonix demo-data: --rates must be integers separated by commas, got {args.rates!r}"
        ) from None
    if not rates or min(rates) < 8000:
        raise SystemExit(f"sonix demo-data: --rates must be >= 8000 Hz each, got {args.rates!r}")
    if args.n_per_class < 1:
        raise SystemExit(f"sonix demo-data: --n-per-class must be >= 1, got {args.n_per_class}")
    manifest = write_demo_dataset(
        args.out, args.n_per_class, rates=rates, seed=args.seed, fmt=args.format
    )
    print(f"sonix demo-data: wrote {manifest}", file=sys.stderr)
    return 0
