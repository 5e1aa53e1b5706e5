"""``sonix train``: train a reference model on a class folder or manifest."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Train a reference model (sonix.models) with sonix.train.fit on audio in DATA: a folder with one "
        "subfolder per class, or a .csv/.jsonl manifest (path,label[,start,end]). Under torchrun it runs DDP "
        "(gloo on CPU, NCCL on GPU). Writes CKPT_DIR/last.pt (resumable, and the input of `sonix infer`) "
        "and CKPT_DIR/log.jsonl (one record per step, val_* records after each epoch)."
    )
    p.add_argument("data", metavar="DATA", help="training data: class folder or manifest")
    p.add_argument(
        "--val", metavar="DATA", default=None, help="validation data, evaluated after every epoch"
    )
    p.add_argument(
        "--ckpt-dir", default="sonix-run", help="checkpoint and log folder (default: sonix-run)"
    )
    p.add_argument(
        "--model",
        choices=("cnn_tagger", "conformer"),
        default="cnn_tagger",
        help="model (default: cnn_tagger)",
    )
    p.add_argument(
        "--multi-label",
        action="store_true",
        help="labels are sets (manifest 'labels' a;b): sigmoid + BCE",
    )
    p.add_argument(
        "--sample-rate",
        type=int,
        default=16000,
        help="audio is resampled to this rate, Hz (default: 16000)",
    )
    p.add_argument(
        "--crop-seconds",
        type=float,
        default=1.0,
        help="random training crop, s; also the inference window (default: 1.0)",
    )
    p.add_argument(
        "--features",
        choices=("logmel", "mfcc"),
        default="logmel",
        help="front end on the device (default: logmel)",
    )
    p.add_argument(
        "--augment",
        choices=("none", "light", "standard"),
        default="none",
        help="augmentation on the device, seeded by --seed (sonix.augment.presets): light = gain, "
        "polarity, shift; standard = those plus colored noise and a random filter (default: none)",
    )
    p.add_argument("--n-mels", type=int, default=64, help="mel bands (default: 64)")
    p.add_argument("--n-fft", type=int, default=512, help="FFT size (default: 512)")
    p.add_argument(
        "--hop-length", type=int, default=160, help="hop in samples (default: 160, 10 ms at 16 kHz)"
    )
    p.add_argument("--epochs", type=int, default=10, help="epochs (default: 10)")
    p.add_argument(
        "--steps",
        type=int,
        default=None,
        help="stop after this many optimiser steps instead of --epochs",
    )
    p.add_argument(
        "--batch-size", type=int, default=32, help="items per micro-batch per process (default: 32)"
    )
    p.add_argument(
        "--grad-accum", type=int, default=1, help="micro-batches per optimiser step (default: 1)"
    )
    p.add_argument(
        "--lr", type=float, default=3e-3, help="peak AdamW learning rate (default: 3e-3)"
    )
    p.add_argument(
        "--weight-decay", type=float, default=1e-2, help="AdamW weight decay (default: 0.01)"
    )
    p.add_argument(
        "--schedule",
        choices=("onecycle", "constant"),
        default="onecycle",
        help="learning-rate schedule (default: onecycle)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=2,
        help="DataLoader worker processes (default: 2; 0 loads in this process)",
    )
    p.add_argument(
        "--device", default=None, help="cpu, cuda or cuda:N (default: cuda when available)"
    )
    p.add_argument("--no-amp", action="store_true", help="no bf16 autocast on CUDA")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument(
        "--resume", action="store_true", help="continue from CKPT_DIR/last.pt when it exists"
    )
    p.add_argument(
        "--ckpt-every",
        type=int,
        default=None,
        help="also checkpoint every N steps (default: every epoch)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of init, data order, crops and dropout (default: 0)",
    )
    p.add_argument(
        "--on-error",
        choices=("raise", "skip"),
        default="raise",
        help="unreadable files: stop, or skip and count them (default: raise)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import torch

    from ..augment import presets
    from ..data import AudioDataset
    from ..models import build
    from ..models.frontend import make_frontend
    from ..train import fit, seed_everything

    for name in (
        "epochs",
        "batch_size",
        "grad_accum",
        "sample_rate",
        "n_mels",
        "n_fft",
        "hop_length",
    ):
        if getattr(args, name) < 1:
            raise SystemExit(
                f"sonix train: --{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}"
            )
    for name in ("data", "val"):
        path = getattr(args, name)
        if path is not None and not Path(path).exists():
            raise SystemExit(
                f"sonix train: {path} does not exist (give a class folder or a .csv/.jsonl manifest)"
            )
    common = dict(
        sample_rate=args.sample_rate,
        crop_seconds=args.crop_seconds,
        multi_label=args.multi_label,
        on_error=args.on_error,
    )
    try:
        train = AudioDataset(args.data, seed=args.seed, **common)
        val = (
            AudioDataset(args.val, classes=train.classes, crop="center", **common)
            if args.val
            else None
        )
    except (ValueError, FileNotFoundError) as exc:
        raise SystemExit(f"sonix train: {exc}") from None
    feat = {
        "kind": args.features,
        "sample_rate": args.sample_rate,
        "n_fft": args.n_fft,
        "hop_length": args.hop_length,
        "n_mels": args.n_mels,
    }
    seed_everything(args.seed)
    frontend = make_frontend(feat)
    n_in = args.n_mels if args.features == "logmel" else frontend.sonix_config["n_mfcc"]
    kwargs = {"n_classes": len(train.classes)}
    if args.model == "conformer":
        kwargs["n_mels"] = n_in
    model = build({"name": args.model, "kwargs": kwargs})
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = None
    if args.schedule == "onecycle":
        world = int(os.environ.get("WORLD_SIZE", "1"))
        per_epoch = -(-len(train) // (args.batch_size * world))
        total = args.steps or args.epochs * -(-per_epoch // args.grad_accum)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=args.lr, total_steps=max(total, 1), pct_start=0.2
        )
    augment = presets.make(args.augment, seed=args.seed, sample_rate=args.sample_rate)
    result = fit(
        model,
        train,
        val_data=val,
        frontend=frontend,
        augment=augment,
        optimizer=optimizer,
        scheduler=scheduler,
        batch_size=args.batch_size,
        epochs=args.epochs,
        steps=args.steps,
        grad_accum=args.grad_accum,
        amp=not args.no_amp,
        compile=args.compile,
        num_workers=args.workers,
        ckpt_dir=args.ckpt_dir,
        ckpt_every=args.ckpt_every,
        resume=args.resume,
        seed=args.seed,
        progress=not args.no_progress,
        device=args.device,
    )
    val_recs = [r for r in result.history if "val_accuracy" in r]
    msg = f"sonix train: {result.step} steps, checkpoint {Path(args.ckpt_dir) / 'last.pt'}"
    if val_recs:
        msg += f", val_accuracy {val_recs[-1]['val_accuracy']:.3f}"
    if int(os.environ.get("RANK", "0")) == 0:
        print(msg, file=sys.stderr)
    return 0
