"""``sonix features``: extract log-mel / MFCC features of a folder of audio into .npy or .pt files.

Resumable (a file whose output exists is skipped; outputs are written to a temporary name and
renamed), parallel over worker processes, and sharded by RANK / WORLD_SIZE (set by torchrun): rank r
takes every WORLD_SIZE-th file of the sorted list, so several machines can share one folder.
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

_FRONTEND = None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Extract features of every audio file under IN into OUT (same relative paths, .npy or .pt): "
        "log-mel in dB (top_db 80) or MFCC, shape (channels, n_mels|n_mfcc, frames), float32. Files whose "
        "output exists are skipped (rerun to resume). Under torchrun, RANK/WORLD_SIZE shard the files."
    )
    p.add_argument("input", metavar="IN", help="audio file or folder (searched recursively)")
    p.add_argument("out", metavar="OUT", help="output folder")
    p.add_argument(
        "--kind", choices=("logmel", "mfcc"), default="logmel", help="feature (default: logmel)"
    )
    p.add_argument(
        "--sample-rate",
        type=int,
        default=16000,
        help="audio is resampled to this rate, Hz (default: 16000)",
    )
    p.add_argument("--n-fft", type=int, default=512, help="FFT size (default: 512)")
    p.add_argument("--hop-length", type=int, default=160, help="hop in samples (default: 160)")
    p.add_argument("--n-mels", type=int, default=64, help="mel bands (default: 64)")
    p.add_argument(
        "--n-mfcc", type=int, default=20, help="MFCC coefficients, with --kind mfcc (default: 20)"
    )
    p.add_argument("--mono", action="store_true", help="average the channels first")
    p.add_argument(
        "--format",
        choices=("npy", "pt"),
        default="npy",
        help="numpy .npy or torch .pt (default: npy)",
    )
    p.add_argument(
        "--workers", type=int, default=2, help="worker processes (default: 2; 0: this process)"
    )
    p.add_argument("--overwrite", action="store_true", help="recompute files whose output exists")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _init(config: dict) -> None:
    import torch

    from ..models.frontend import make_frontend

    global _FRONTEND
    torch.set_num_threads(1)  # one process per core
    _FRONTEND = make_frontend(config)


def _extract(src: str, dst: str, sample_rate: int, mono: bool, fmt: str) -> str | None:
    """Features of one file into ``dst``; returns an error message instead of raising."""
    import numpy as np
    import torch

    from ..data import AudioDataset, AudioLoadError, Item

    try:
        x = AudioDataset([Item(src)], sample_rate=sample_rate, mono=mono)[0]["waveform"]
    except AudioLoadError as exc:
        return str(exc)
    with torch.no_grad():
        feats = _FRONTEND(x).contiguous()
    dst_p = Path(dst)
    dst_p.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst_p.with_name(dst_p.name + f".tmp{os.getpid()}")
    if fmt == "npy":
        with open(tmp, "wb") as f:
            np.save(f, feats.numpy())
    else:
        torch.save(feats, tmp)
    os.replace(tmp, dst_p)
    return None


def run(args: argparse.Namespace) -> int:
    from ..data import find_audio

    src = Path(args.input)
    if not src.exists():
        raise SystemExit(f"sonix features: {src} does not exist (give an audio file or a folder)")
    for name in ("sample_rate", "n_fft", "hop_length", "n_mels", "n_mfcc"):
        if getattr(args, name) < 1:
            raise SystemExit(
                f"sonix features: --{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}"
            )
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    files = find_audio(src)[rank::world]
    base = src if src.is_dir() else src.parent
    out = Path(args.out)
    jobs = []
    for f in files:
        dst = (out / f.relative_to(base)).with_suffix("." + args.format)
        if args.overwrite or not dst.exists():
            jobs.append((str(f), str(dst)))
    config = {
        "kind": args.kind,
        "sample_rate": args.sample_rate,
        "n_fft": args.n_fft,
        "hop_length": args.hop_length,
        "n_mels": args.n_mels,
        "n_mfcc": args.n_mfcc,
    }
    print(
        f"sonix features: rank {rank}/{world}: {len(files)} files, {len(files) - len(jobs)} already done",
        file=sys.stderr,
    )
    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(jobs), desc=f"sonix features[{rank}]", unit="file", disable=args.no_progress
    )
    errors = []
    extra = (args.sample_rate, args.mono, args.format)
    if args.workers <= 0:
        _init(config)
        for s, d in jobs:
            if (err := _extract(s, d, *extra)) is not None:
                errors.append(err)
            bar.update(1)
    else:
        with ProcessPoolExecutor(args.workers, initializer=_init, initargs=(config,)) as pool:
            futures = [pool.submit(_extract, s, d, *extra) for s, d in jobs]
            for fut in as_completed(futures):
                if (err := fut.result()) is not None:
                    errors.append(err)
                bar.update(1)
    bar.close()
    for err in errors:
        print(f"sonix features: skipped: {err}", file=sys.stderr)
    print(
        f"sonix features: wrote {len(jobs) - len(errors)} files to {out}, {len(errors)} unreadable",
        file=sys.stderr,
    )
    return 1 if errors else 0
