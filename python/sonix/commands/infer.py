"""``sonix infer``: predict files/folders with a trained checkpoint (or exported program); stream; export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Predict labels for audio files with a checkpoint from `sonix train` (CKPT_DIR or its last.pt) or a "
        "program from --export (.pt2). Long files are cut into overlapping windows whose logits (or "
        "probabilities) are averaged. When a file sits in a folder named after a class, the accuracy over "
        "such files is printed."
    )
    p.add_argument(
        "model", metavar="MODEL", help="checkpoint (folder or .pt) or exported program (.pt2)"
    )
    p.add_argument(
        "inputs", metavar="INPUT", nargs="*", help="audio files or folders (searched recursively)"
    )
    p.add_argument(
        "--window-seconds",
        type=float,
        default=None,
        help="window length, s (default: the training crop)",
    )
    p.add_argument(
        "--hop-seconds",
        type=float,
        default=None,
        help="hop between windows, s (default: half the window)",
    )
    p.add_argument(
        "--aggregate",
        choices=("logits", "probs"),
        default="logits",
        help="average logits or probabilities over windows (default: logits)",
    )
    p.add_argument(
        "--batch-size", type=int, default=32, help="windows per forward pass (default: 32)"
    )
    p.add_argument(
        "--stream",
        type=float,
        default=None,
        metavar="CHUNK_SECONDS",
        help="feed each file chunk by chunk through the streaming path (same results; shows per-window output)",
    )
    p.add_argument(
        "--format", choices=("json", "csv"), default="json", help="output format (default: json)"
    )
    p.add_argument("--out", default=None, help="write the predictions here (default: stdout)")
    p.add_argument(
        "--export",
        default=None,
        metavar="PATH.pt2",
        help="save front end + model with torch.export to PATH.pt2 (then predicts INPUTs, if any)",
    )
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default: cpu)")
    p.add_argument(
        "--on-error",
        choices=("raise", "skip"),
        default="raise",
        help="unreadable files: stop, or skip and report them (default: raise)",
    )


def _stream(predictor, files, chunk_s, aggregate):
    from ..data import AudioDataset, Item

    chunk = max(int(chunk_s * predictor.sample_rate), 1)
    records = []
    for f in files:
        x = AudioDataset([Item(str(f))], sample_rate=predictor.sample_rate)[0]["waveform"]
        s = predictor.streamer(channels=x.shape[0], aggregate=aggregate)
        for i in range(0, x.shape[-1], chunk):
            z = s.push(x[:, i : i + chunk])
            for row in z:
                k = int(row.argmax())
                name = predictor.classes[k] if predictor.classes else k
                print(
                    f"{f} @ {(i + min(chunk, x.shape[-1] - i)) / predictor.sample_rate:.2f} s: window -> {name}",
                    file=sys.stderr,
                )
        probs = s.finish()
        top = int(probs.argmax())
        names = predictor.classes or [str(k) for k in range(len(probs))]
        records.append(
            {
                "path": str(f),
                "label": predictor.classes[top] if predictor.classes else top,
                "score": float(probs[top]),
                "probs": {name: float(v) for name, v in zip(names, probs, strict=True)},
            }
        )
    return records


def run(args: argparse.Namespace) -> int:
    from .. import infer

    path = Path(args.model)
    if not path.exists():
        raise SystemExit(
            f"sonix infer: {path} does not exist (give the --ckpt-dir of `sonix train`, its last.pt, or a .pt2 from --export)"
        )
    if not args.inputs and not args.export:
        raise SystemExit(
            "sonix infer: nothing to do: give INPUT files/folders and/or --export PATH.pt2"
        )
    try:
        if path.suffix == ".pt2":
            if args.window_seconds or args.hop_seconds:
                raise SystemExit(
                    "sonix infer: an exported program has a fixed window; drop --window-seconds/--hop-seconds"
                )
            predictor = infer.load_exported(path, device=args.device)
        else:
            predictor = infer.Predictor.from_checkpoint(
                path,
                window_seconds=args.window_seconds,
                hop_seconds=args.hop_seconds,
                device=args.device,
            )
    except ValueError as exc:
        raise SystemExit(f"sonix infer: {exc}") from None
    if args.export:
        out = infer.export(predictor, args.export)
        print(f"sonix infer: exported to {out}", file=sys.stderr)
    if not args.inputs:
        return 0
    try:
        if args.stream:
            records = _stream(predictor, infer._inputs(args.inputs), args.stream, args.aggregate)
        else:
            records = infer.predict_files(
                predictor,
                args.inputs,
                batch_size=args.batch_size,
                aggregate=args.aggregate,
                on_error=args.on_error,
            )
    except FileNotFoundError as exc:
        raise SystemExit(f"sonix infer: {exc}") from None
    text = infer.to_json(records) if args.format == "json" else infer.to_csv(records)
    if args.out:
        Path(args.out).write_text(text)
        print(f"sonix infer: wrote {len(records)} predictions to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text + ("\n" if not text.endswith("\n") else ""))
    known = [
        r for r in records if "label" in r and Path(r["path"]).parent.name in predictor.classes
    ]
    if known:
        acc = sum(r["label"] == Path(r["path"]).parent.name for r in known) / len(known)
        print(
            f"sonix infer: accuracy {acc:.3f} over {len(known)} files in class-named folders",
            file=sys.stderr,
        )
    return 0
