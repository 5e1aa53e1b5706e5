"""``AudioDataset``: labelled audio from a class folder or a CSV/JSONL manifest, decoded with soundfile.

An item is a dict ``{"waveform": (channels, time) float32, "length": int, "label": ..., "index": int,
"path": str}``. Crops are drawn from ``(seed, epoch, index)`` alone, so they do not depend on the
worker that loads the item or on how many items came before it: resumed and distributed runs see the
same crops as an uninterrupted single-process run. Only the part of the file a crop needs is decoded.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from ._resample import resample

__all__ = [
    "AUDIO_EXTENSIONS",
    "AudioDataset",
    "AudioLoadError",
    "Item",
    "find_audio",
    "read_manifest",
]

AUDIO_EXTENSIONS = (
    ".wav",
    ".flac",
    ".ogg",
    ".opus",
    ".aiff",
    ".aif",
    ".au",
    ".w64",
    ".caf",
    ".mp3",
)


class AudioLoadError(RuntimeError):
    """A file could not be decoded; the message names the file."""


@dataclass(frozen=True)
class Item:
    """One example: a file (or a [start, end) second range of it) and its label names."""

    path: str
    labels: tuple[str, ...] = ()
    start: float | None = None
    end: float | None = None


@dataclass
class _Info:
    sample_rate: int
    frames: int


def find_audio(root: str | os.PathLike) -> list[Path]:
    """Audio files under ``root`` (recursive, sorted), by extension."""
    root = Path(root)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise FileNotFoundError(f"sonix.data: {root} is neither a file nor a folder")
    return sorted(
        p for p in root.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file()
    )


def _split_labels(value) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return tuple(v.strip() for v in str(value).replace(";", ",").split(",") if v.strip())


def _opt_float(value) -> float | None:
    return None if value is None or value == "" else float(value)


def read_manifest(path: str | os.PathLike) -> list[Item]:
    """Items of a CSV (header ``path,label[,start,end]``; ``labels`` may hold several names separated by
    ``;``) or JSONL manifest (one object a line, same keys; ``labels`` may be a list). Relative paths are
    relative to the manifest's folder."""
    path = Path(path)
    base = path.parent
    rows: list[dict] = []
    if path.suffix.lower() == ".jsonl":
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise ValueError(f"sonix.data: {path}, line {n}: not JSON ({exc})") from exc
    elif path.suffix.lower() == ".csv":
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    else:
        raise ValueError(f"sonix.data: manifest {path} must end in .csv or .jsonl")
    items = []
    for n, row in enumerate(rows, 1):
        if "path" not in row:
            raise ValueError(
                f"sonix.data: {path}, row {n}: no 'path' column (columns: {list(row)})"
            )
        p = Path(row["path"])
        labels = _split_labels(row.get("labels", row.get("label")))
        start, end = _opt_float(row.get("start")), _opt_float(row.get("end"))
        items.append(Item(str(p if p.is_absolute() else base / p), labels, start, end))
    return items


def _folder_items(root: Path) -> list[Item]:
    classes = sorted(d.name for d in root.iterdir() if d.is_dir())
    if not classes:
        raise ValueError(
            f"sonix.data: {root} has no class subfolders (expected ROOT/<class>/<file>)"
        )
    items = [Item(str(p), (c,)) for c in classes for p in find_audio(root / c)]
    if not items:
        raise ValueError(f"sonix.data: no audio files ({', '.join(AUDIO_EXTENSIONS)}) under {root}")
    return items


@dataclass
class AudioDataset(torch.utils.data.Dataset):
    """Labelled audio from ``source``: a folder with one subfolder per class, a ``.csv``/``.jsonl``
    manifest, or a list of :class:`Item`.

    Args:
        sample_rate: every item is resampled to this rate (Hz).
        mono: average the channels to one; else keep them (items of a batch must agree).
        crop_seconds: cut a crop of this length (shorter clips stay short and are padded by
            :func:`collate`); None keeps the whole clip (or its manifest [start, end) range).
        crop: "random" (redrawn every epoch from (seed, epoch, index)), "center" or "start".
        classes: label names in index order; default: sorted names found in the data.
        multi_label: labels become multi-hot float vectors (for BCE) instead of class indices.
        on_error: "raise" an :class:`AudioLoadError` naming the file, or "skip": the item comes back
            as None, :func:`collate` drops it and counts it in the batch's ``"skipped"``.
        seed: seed of the random crops.
    """

    source: str | os.PathLike | Sequence[Item]
    sample_rate: int = 16000
    mono: bool = True
    crop_seconds: float | None = None
    crop: str = "random"
    classes: Sequence[str] | None = None
    multi_label: bool = False
    on_error: str = "raise"
    seed: int = 0
    items: list[Item] = field(init=False)
    epoch: int = field(init=False, default=0)
    skipped: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if self.crop not in ("random", "center", "start"):
            raise ValueError(
                f"sonix.data: crop must be 'random', 'center' or 'start', got {self.crop!r}"
            )
        if self.on_error not in ("raise", "skip"):
            raise ValueError(
                f"sonix.data: on_error must be 'raise' or 'skip', got {self.on_error!r}"
            )
        if self.sample_rate <= 0:
            raise ValueError(f"sonix.data: sample_rate must be positive, got {self.sample_rate}")
        if self.crop_seconds is not None and self.crop_seconds <= 0:
            raise ValueError(f"sonix.data: crop_seconds must be positive, got {self.crop_seconds}")
        src = self.source
        if isinstance(src, str | os.PathLike):
            src = Path(src)
            self.items = _folder_items(src) if src.is_dir() else read_manifest(src)
        else:
            self.items = list(src)
        if self.classes is None:
            self.classes = sorted({lab for it in self.items for lab in it.labels})
        self.classes = list(self.classes)
        self._class_index = {c: i for i, c in enumerate(self.classes)}
        unknown = sorted({lab for it in self.items for lab in it.labels} - set(self._class_index))
        if unknown:
            raise ValueError(
                f"sonix.data: labels {unknown[:5]} are not in classes {self.classes[:10]}"
            )

    def __len__(self) -> int:
        return len(self.items)

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose random crops are drawn (call before creating the loader's iterator)."""
        self.epoch = int(epoch)

    def durations(self) -> list[float]:
        """Length of every item in seconds, from the file headers (for :class:`BucketBatchSampler`);
        unreadable files count as 0 s (they fail or are skipped when loaded)."""
        out = []
        for it in self.items:
            try:
                info = sf.info(it.path)
                total = info.frames / info.samplerate
            except Exception:  # noqa: BLE001  (reported when the item is loaded)
                total = 0.0
            start = it.start or 0.0
            end = min(it.end, total) if it.end is not None else total
            seconds = max(end - start, 0.0)
            out.append(min(seconds, self.crop_seconds) if self.crop_seconds else seconds)
        return out

    def label_tensor(self, labels: Sequence[str]) -> torch.Tensor:
        """Class index (int64 scalar; -1 when unlabelled) or, with ``multi_label``, a multi-hot float32
        vector."""
        if self.multi_label:
            y = torch.zeros(len(self.classes))
            for lab in labels:
                y[self._class_index[lab]] = 1.0
            return y
        if not labels:
            return torch.tensor(-1)  # unlabelled (inference)
        if len(labels) != 1:
            raise ValueError(
                f"sonix.data: single-label data needs one label per item, got {labels}"
            )
        return torch.tensor(self._class_index[labels[0]])

    def _window(self, item: Item, index: int, info: _Info) -> tuple[int, int]:
        """[first, last) source frames to decode."""
        sr = info.sample_rate
        first = 0 if item.start is None else int(round(item.start * sr))
        last = info.frames if item.end is None else min(info.frames, int(round(item.end * sr)))
        if last <= first:
            raise ValueError(
                f"empty range [{item.start}, {item.end}) s of a {info.frames / sr:.3f} s file"
            )
        if self.crop_seconds is None:
            return first, last
        # Source frames for exactly crop_seconds at the target rate (one extra for rounding).
        want = math.ceil(self.crop_seconds * sr) + 1
        span = last - first
        if span <= want:
            return first, last
        if self.crop == "start":
            offset = 0
        elif self.crop == "center":
            offset = (span - want) // 2
        else:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            offset = int(rng.integers(0, span - want + 1))
        return first + offset, first + offset + want

    def load(self, index: int) -> dict:
        """The item at ``index``, decoded, mixed down (``mono``), resampled and cropped."""
        item = self.items[index]
        try:
            with sf.SoundFile(item.path) as f:  # one open for the header and the frames
                meta = _Info(int(f.samplerate), int(f.frames))
                first, last = self._window(item, index, meta)
                f.seek(first)
                data = f.read(last - first, dtype="float32", always_2d=True)
            if data.shape[0] == 0:
                raise ValueError("no samples decoded")
            if not np.isfinite(data).all():
                raise ValueError("non-finite samples")
        except Exception as exc:  # noqa: BLE001  (libsndfile raises several types; all name the file)
            raise AudioLoadError(f"sonix.data: cannot read {item.path}: {exc}") from exc
        # (channels, frames); a mono (frames, 1) array transposes to a contiguous row without a copy
        x = torch.from_numpy(data.T if data.shape[1] == 1 else data.T.copy())
        if self.mono and x.shape[0] > 1:
            x = x.mean(dim=0, keepdim=True)
        x = resample(x, meta.sample_rate, self.sample_rate)
        if self.crop_seconds is not None:
            x = x[:, : int(round(self.crop_seconds * self.sample_rate))]
        return {
            "waveform": x.contiguous(),
            "length": x.shape[-1],
            "label": self.label_tensor(item.labels),
            "index": index,
            "path": item.path,
        }

    def __getitem__(self, index: int) -> dict | None:
        if self.on_error == "raise":
            return self.load(index)
        try:
            return self.load(index)
        except AudioLoadError:
            self.skipped += 1  # this process's count; batches carry theirs in "skipped"
            return None
