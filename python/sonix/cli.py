"""The ``sonix`` command. Subcommands: ``bench``, ``features``, ``train``, ``infer``, ``demo-data``
(``sonix COMMAND --help`` lists each one's options)."""

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
    for name, module, help_ in _COMMANDS:
        _command(module).add_arguments(sub.add_parser(name, help=help_))
    return parser


# name, module in sonix.commands, one-line help
_COMMANDS = (
    (
        "features",
        "features",
        "extract log-mel / MFCC features of a folder into .npy / .pt (resumable, parallel, sharded)",
    ),
    (
        "train",
        "train",
        "train a reference model on a class folder or manifest (DDP under torchrun)",
    ),
    (
        "infer",
        "infer",
        "predict files or folders with a checkpoint; stream; export with torch.export",
    ),
    ("demo-data", "demo", "write a small synthesised labelled dataset (wav + manifest.csv)"),
)


def _command(module: str):
    import importlib

    return importlib.import_module(f"sonix.commands.{module}")


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if args.command == "bench":
        from .bench.app import run

        return run(args, argv[argv.index("bench") + 1 :])
    for name, module, _ in _COMMANDS:
        if args.command == name:
            return _command(module).run(args)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
