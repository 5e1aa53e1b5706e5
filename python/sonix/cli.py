"""The ``sonix`` command. Subcommands: ``bench`` (``sonix bench --help`` lists its options)."""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    from .bench.app import add_arguments

    parser = argparse.ArgumentParser(
        prog="sonix",
        description="sonix: fast, differentiable, librosa-exact audio ops for PyTorch.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_arguments(
        sub.add_parser(
            "bench",
            help="benchmark sonix against librosa, torchaudio, nnAudio, torch and torch.compile",
        )
    )
    return parser


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if args.command == "bench":
        from .bench.app import run

        return run(args, argv[argv.index("bench") + 1 :])
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
