"""Inference: rebuild a model from a checkpoint, window long files, stream chunk by chunk, export.

Windowing (shared by the offline and streaming paths, so they agree exactly): a clip of ``T`` samples
is cut into windows of ``W`` samples starting at ``0, H, 2H, ...``; there are ``1`` window when
``T <= W``, else ``ceil((T - W) / H) + 1``, the last one zero-padded at the end. Every window goes
through front end + model on its own (per-window features, e.g. the per-example top_db clamp of the
log-mel front end, do not depend on the neighbours), and the clip's result is the mean over windows of
the logits (``aggregate="logits"``) or of the probabilities (``"probs"``). A :class:`Streamer` emits
each window as soon as its last sample arrives and the tail windows at :meth:`Streamer.finish`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from ..data import AudioDataset, Item, collate, find_audio
from ..models import build
from ..models.frontend import make_frontend
from ..train.checkpoint import load_checkpoint

__all__ = [
    "Predictor",
    "Streamer",
    "export",
    "load_exported",
    "n_windows",
    "predict_files",
    "to_csv",
    "to_json",
    "windows",
]


def n_windows(length: int, window: int, hop: int) -> int:
    """Windows of ``window`` samples every ``hop`` samples covering ``length`` samples (at least 1)."""
    return 1 if length <= window else math.ceil((length - window) / hop) + 1


def windows(waveform: Tensor, window: int, hop: int) -> Tensor:
    """``(channels, time)`` -> ``(n_windows, channels, window)``, the tail zero-padded."""
    n = n_windows(waveform.shape[-1], window, hop)
    need = (n - 1) * hop + window
    x = nn.functional.pad(waveform, (0, max(need - waveform.shape[-1], 0)))
    return x.unfold(-1, window, hop).transpose(0, 1)[:n]


class _Net(nn.Module):
    """Front end + model: waveform windows ``(batch, channels, window)`` -> logits ``(batch, classes)``."""

    def __init__(self, frontend: nn.Module | None, model: nn.Module) -> None:
        super().__init__()
        self.frontend, self.model = frontend, model

    def forward(self, x: Tensor) -> Tensor:
        return self.model(self.frontend(x) if self.frontend is not None else x)


@dataclass
class Predictor:
    """A model ready for inference. ``net(windows) -> logits``; ``window`` / ``hop`` in samples."""

    net: Callable[[Tensor], Tensor]
    classes: list[str]
    sample_rate: int
    window: int
    hop: int
    multi_label: bool = False
    device: torch.device = torch.device("cpu")

    @classmethod
    def from_checkpoint(
        cls,
        path: str | os.PathLike,
        *,
        window_seconds: float | None = None,
        hop_seconds: float | None = None,
        device: str | torch.device = "cpu",
    ) -> Predictor:
        """Rebuild model and front end from a :func:`sonix.train.fit` checkpoint (file or its folder).
        The window defaults to the training crop (1 s without one), the hop to half the window."""
        state = load_checkpoint(path)
        if state.get("model_config") is None:
            raise ValueError(
                f"sonix.infer: {path} has no model_config (the model is not one of sonix.models); "
                "build the model yourself and use Predictor(net=...)"
            )
        model = build(state["model_config"])
        model.load_state_dict(state["model"])
        frontend = make_frontend(state["frontend_config"]) if state.get("frontend_config") else None
        sr = int(state.get("sample_rate") or 16000)
        win_s = window_seconds or state.get("crop_seconds") or 1.0
        window = int(round(win_s * sr))
        hop = int(round(hop_seconds * sr)) if hop_seconds else max(window // 2, 1)
        if hop <= 0 or hop > window:
            raise ValueError(
                f"sonix.infer: hop must be in (0, window] samples, got hop {hop}, window {window}"
            )
        device = torch.device(device)
        net = _Net(frontend, model).to(device).eval()
        return cls(
            net,
            list(state.get("classes") or []),
            sr,
            window,
            hop,
            bool(state.get("multi_label")),
            device,
        )

    def probs(self, logits: Tensor) -> Tensor:
        return logits.sigmoid() if self.multi_label else logits.softmax(dim=-1)

    @torch.no_grad()
    def window_logits(self, batch: Tensor) -> Tensor:
        """``(n, channels, window)`` -> ``(n, classes)`` float32 logits."""
        return self.net(batch.to(self.device)).float().cpu()

    def aggregate(self, logits: Tensor, how: str = "logits") -> Tensor:
        """Mean over windows ``(n, classes) -> (classes,)`` of the logits, or of the probabilities."""
        if how == "logits":
            return self.probs(logits.mean(dim=0))
        if how == "probs":
            return self.probs(logits).mean(dim=0)
        raise ValueError(f"sonix.infer: aggregate must be 'logits' or 'probs', got {how!r}")

    def streamer(self, channels: int = 1, aggregate: str = "logits") -> Streamer:
        return Streamer(
            self.window_logits,
            self.window,
            self.hop,
            channels,
            lambda z: self.aggregate(z, aggregate),
        )


class Streamer:
    """Chunk-by-chunk inference whose result equals the offline windowing exactly.

    ``push(chunk)`` takes ``(channels, n)`` (or ``(n,)``) samples at the model's rate and returns the
    logits ``(k, classes)`` of the k windows completed by this chunk (k may be 0); ``finish()`` runs
    the zero-padded tail windows and returns the aggregated clip result. State: the samples not yet
    consumed by a window (at most ``window`` of them), the window count and the logits so far.
    """

    def __init__(
        self,
        window_logits: Callable[[Tensor], Tensor],
        window: int,
        hop: int,
        channels: int = 1,
        aggregate: Callable[[Tensor], Tensor] | None = None,
    ) -> None:
        self.fn, self.window, self.hop, self.channels = window_logits, window, hop, channels
        self.aggregate_fn = aggregate or (lambda z: z.mean(dim=0))
        self.buffer = torch.zeros(channels, 0)
        self.seen = 0  # samples pushed
        self.done = 0  # windows emitted
        self.logits: list[Tensor] = []

    def push(self, chunk: Tensor) -> Tensor:
        chunk = chunk.reshape(1, -1) if chunk.dim() == 1 else chunk
        if chunk.shape[0] != self.channels:
            raise ValueError(
                f"sonix.infer: chunk has {chunk.shape[0]} channels, the streamer {self.channels}"
            )
        self.buffer = torch.cat([self.buffer, chunk.float().cpu()], dim=-1)
        self.seen += chunk.shape[-1]
        out = []
        # buffer[0] is sample done * hop of the stream
        while self.buffer.shape[-1] >= self.window:
            out.append(self.buffer[:, : self.window])
            self.buffer = self.buffer[:, self.hop :]
            self.done += 1
        if not out:
            return torch.zeros(0, 0)
        z = self.fn(torch.stack(out))
        self.logits.append(z)
        return z

    def finish(self) -> Tensor:
        """Run the remaining (zero-padded) windows and return the aggregated result; resets the state."""
        total = n_windows(self.seen, self.window, self.hop)
        rest = total - self.done
        if rest > 0:
            tail = windows(self.buffer, self.window, self.hop)[:rest]
            self.logits.append(self.fn(tail))
        result = self.aggregate_fn(torch.cat(self.logits))
        self.__init__(self.fn, self.window, self.hop, self.channels, self.aggregate_fn)
        return result


def _inputs(paths: Iterable[str | os.PathLike]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        found = find_audio(p)
        if not found:
            raise FileNotFoundError(f"sonix infer: no audio files under {p}")
        files += found
    return files


def predict_files(
    predictor: Predictor,
    paths: Sequence[str | os.PathLike],
    *,
    batch_size: int = 32,
    aggregate: str = "logits",
    on_error: str = "raise",
    num_workers: int = 0,
) -> list[dict]:
    """Predict every audio file in ``paths`` (files or folders, recursive). Long files are cut into
    windows (see the module doc), windows of several files share a batch of ``batch_size``. Returns one
    record per file: ``{"path", "label", "score", "windows", "probs": {class: p}}`` (and
    ``"error"`` for skipped unreadable files with ``on_error="skip"``)."""
    files = _inputs(paths)
    ds = AudioDataset(
        [Item(str(f)) for f in files], sample_rate=predictor.sample_rate, on_error=on_error
    )
    loader = torch.utils.data.DataLoader(
        ds, batch_size=1, collate_fn=collate, num_workers=num_workers
    )
    records: list[dict] = []
    pending: list[tuple[int, Tensor]] = []  # (record index, windows)

    def flush() -> None:
        if not pending:
            return
        z = predictor.window_logits(torch.cat([w for _, w in pending]))
        start = 0
        for i, w in pending:
            rec, probs = records[i], predictor.aggregate(z[start : start + len(w)], aggregate)
            start += len(w)
            top = int(probs.argmax())
            rec.update(
                label=predictor.classes[top] if predictor.classes else top,
                score=float(probs[top]),
                probs={
                    (predictor.classes[k] if predictor.classes else str(k)): float(p)
                    for k, p in enumerate(probs)
                },
            )
        pending.clear()

    for n, batch in enumerate(loader):
        if batch["waveform"] is None:
            records.append({"path": str(files[n]), "error": "unreadable (skipped)"})
            continue
        w = windows(batch["waveform"][0], predictor.window, predictor.hop)
        records.append({"path": batch["path"][0], "windows": len(w)})
        pending.append((len(records) - 1, w))
        if sum(len(x) for _, x in pending) >= batch_size:
            flush()
    flush()
    return records


def to_json(records: list[dict]) -> str:
    return json.dumps(records, indent=1)


def to_csv(records: list[dict]) -> str:
    """One row per file: path, label, score, windows, then one probability column per class."""
    classes = next((list(r["probs"]) for r in records if "probs" in r), [])
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["path", "label", "score", "windows", *classes])
    for r in records:
        probs = r.get("probs", {})
        w.writerow(
            [
                r["path"],
                r.get("label", ""),
                r.get("score", ""),
                r.get("windows", ""),
                *(probs.get(c, "") for c in classes),
            ]
        )
    return buf.getvalue()


def export(predictor: Predictor, path: str | os.PathLike, channels: int = 1) -> Path:
    """Save front end + model as a ``torch.export`` program (``.pt2``) taking ``(batch, channels,
    window)`` float32 windows (dynamic batch) and returning logits; load with :func:`load_exported`.
    The program calls sonix's custom ops, so ``import sonix`` before loading it."""
    net = predictor.net
    example = torch.zeros(2, channels, predictor.window, device=predictor.device)
    batch = torch.export.Dim("batch", min=1, max=4096)
    program = torch.export.export(net, (example,), dynamic_shapes=({0: batch},))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No complete tensor found")
        _save(program, path, predictor, channels)
    return path


def _save(program, path: Path, predictor: Predictor, channels: int) -> None:
    torch.export.save(
        program,
        path,
        extra_files={
            "sonix.json": json.dumps(
                {
                    "classes": predictor.classes,
                    "sample_rate": predictor.sample_rate,
                    "window": predictor.window,
                    "hop": predictor.hop,
                    "multi_label": predictor.multi_label,
                    "channels": channels,
                }
            )
        },
    )


def load_exported(path: str | os.PathLike, device: str | torch.device = "cpu") -> Predictor:
    """A :class:`Predictor` around a program saved by :func:`export`."""
    extra = {"sonix.json": ""}
    with warnings.catch_warnings():
        # torch's pt2 loader warns about weight groups it merges; harmless for CPU/GPU-agnostic weights
        warnings.filterwarnings("ignore", message="No complete tensor found")
        program = torch.export.load(path, extra_files=extra)
    meta = json.loads(extra["sonix.json"])
    module = program.module().to(device)
    return Predictor(
        module,
        meta["classes"],
        meta["sample_rate"],
        meta["window"],
        meta["hop"],
        meta["multi_label"],
        torch.device(device),
    )
