"""Data family: decode + resample + crop throughput of a DataLoader over real audio files.

The files are the demo dataset (``sonix.data.write_demo_dataset``: clips of five synthesised sound
classes; 1-2 s long in preset ``short``, 10 s in preset ``long``) written as 16-bit wav at mixed rates
(16, 22.05, 44.1 and 48 kHz). Every loader
delivers the same thing: a centred 1 s mono crop at 16 kHz per file, zero-padded into batches of
16, through a ``torch.utils.data.DataLoader`` with the same number of worker processes (2):

* ``sonix``: :class:`sonix.data.AudioDataset` (decodes only the frames of the crop with soundfile,
  then resamples them);
* ``librosa``: ``librosa.load(path, sr=16000)`` (whole file, soxr_hq resampling), then the crop;
* ``torchaudio``: soundfile decode of the whole file, a cached ``torchaudio.transforms.Resample`` per
  rate pair, then the crop (torchaudio >= 2.9 moved its decoders to torchcodec, not required here).

One timed call iterates the loader once over all files. The workers are persistent: the first call
(reported as "first call s") starts them, the best/median of the repeats are steady-state epochs. Each
loader's imports and first-call caches are warmed in the parent, which the forked workers inherit.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import torch

from .runner import Case, Context, speed_targets

FAMILY = "data"
RATES = (16000, 22050, 44100, 48000)
WORKERS = 2
BATCH = 16


@dataclass(frozen=True)
class Preset:
    name: str
    files_per_class: int
    quick_files_per_class: int
    seconds: tuple[float, float]  # range of file lengths
    target_rate: int = 16000
    crop_seconds: float = 1.0

    def describe(self) -> str:
        return (
            f"{self.files_per_class * 5} demo wav files ({self.seconds[0]:g}-{self.seconds[1]:g} s, "
            f"{', '.join(str(r) for r in RATES)} Hz) -> "
            f"centred {self.crop_seconds:g} s mono crops at {self.target_rate} Hz, batches of {BATCH}, "
            f"{WORKERS} DataLoader workers"
        )


PRESETS = {
    # clips about as long as the crop: decoding and resampling the whole file is the work
    "short": Preset("short", 40, 8, (1.0, 2.0)),
    # 10 s files (AudioSet-like) with 1 s training crops: only the crop needs decoding
    "long": Preset("long", 16, 4, (10.0, 10.0)),
}


@cache
def _files(n_per_class: int, seed: int, seconds: tuple[float, float]) -> tuple[str, ...]:
    from ..data import find_audio, write_demo_dataset

    root = Path(tempfile.mkdtemp(prefix="sonix-bench-data-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    write_demo_dataset(root, n_per_class, rates=RATES, seed=seed, seconds=seconds)
    return tuple(str(p) for p in find_audio(root))


@cache
def _torchaudio_resampler(orig_freq: int, new_freq: int):
    """torchaudio's cached module: torchaudio.functional.resample rebuilds its kernel on every call."""
    import torchaudio.transforms

    return torchaudio.transforms.Resample(orig_freq, new_freq)


def _center_crop(x: torch.Tensor, n: int) -> torch.Tensor:
    if x.shape[-1] <= n:
        return x
    off = (x.shape[-1] - n) // 2
    return x[..., off : off + n]


class _LibrosaDataset(torch.utils.data.Dataset):
    def __init__(self, files, sr: int, crop_s: float) -> None:
        self.files, self.sr, self.n = files, sr, int(round(crop_s * sr))

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> dict:
        import librosa

        y, _ = librosa.load(self.files[i], sr=self.sr, mono=True)
        x = _center_crop(torch.from_numpy(y)[None], self.n)
        return {"waveform": x, "label": torch.tensor(0), "index": i, "path": self.files[i]}


class _TorchaudioDataset(_LibrosaDataset):
    def __getitem__(self, i: int) -> dict:
        import soundfile as sf

        y, sr = sf.read(self.files[i], dtype="float32", always_2d=True)
        x = torch.from_numpy(y.T.copy()).mean(dim=0, keepdim=True)
        x = _center_crop(_torchaudio_resampler(sr, self.sr)(x), self.n)
        return {"waveform": x, "label": torch.tensor(0), "index": i, "path": self.files[i]}


def _dataset(impl: str, files, p: Preset):
    if impl == "sonix":
        from ..data import AudioDataset, Item

        return AudioDataset(
            [Item(f) for f in files],
            sample_rate=p.target_rate,
            crop_seconds=p.crop_seconds,
            crop="center",
        )
    cls = _LibrosaDataset if impl == "librosa" else _TorchaudioDataset
    return cls(files, p.target_rate, p.crop_seconds)


def _loader_run(impl: str, files, p: Preset):
    from ..data import collate

    ds = _dataset(impl, files, p)
    ds[0]  # imports and first-call caches in this process, inherited by the forked workers
    loader = torch.utils.data.DataLoader(
        ds,
        batch_size=BATCH,
        collate_fn=collate,
        num_workers=WORKERS,
        multiprocessing_context="fork",
        persistent_workers=True,  # the first (untimed-in-best) call starts them; repeats measure steady state
    )

    def run():
        n = 0
        for batch in loader:
            n += batch["waveform"].shape[0]
        if n != len(files):
            raise RuntimeError(f"{impl} loader delivered {n} of {len(files)} items")
        return None

    return run


def build_cases(ctx: Context) -> list[Case]:
    cases = []
    for name in ctx.presets:
        p = PRESETS[name]
        n_per_class = p.quick_files_per_class if ctx.quick else p.files_per_class
        impls = ["sonix"] + [b for b in ("librosa", "torchaudio") if b in ctx.baselines]
        for impl in impls:

            def make(impl=impl, p=p, n_per_class=n_per_class):
                return _loader_run(impl, _files(n_per_class, ctx.seed, p.seconds), p)

            cases.append(
                Case(
                    family=FAMILY,
                    preset=name,
                    op="load",
                    mode="decode+resample+crop",
                    impl=impl,
                    role="sonix" if impl == "sonix" else "baseline",
                    threads=f"{WORKERS} workers",
                    clips=n_per_class * 5,
                    audio_seconds=n_per_class * 5 * p.crop_seconds,
                    make=make,
                )
            )
    return cases


def memory_keys(cases: list[Case], quick: bool = False) -> list[tuple[str, str, str, str]]:
    return []  # throughput only: the loaders' memory lives in worker processes


def describe(ctx: Context) -> dict:
    return {name: PRESETS[name].describe() for name in ctx.presets}


def describe_presets() -> dict[str, str]:
    return {name: p.describe() for name, p in PRESETS.items()}


def targets(results) -> list[dict]:
    """The issue's target: the sonix loader at least 2x the librosa.load-based one."""
    what = "sonix loader throughput / librosa.load loader"
    presets = dict.fromkeys(r.preset for r in results if r.family == FAMILY)
    return [
        t
        for p in presets
        for t in speed_targets(results, FAMILY, p, "decode+resample+crop", "librosa", what, 2.0)
    ]


NOTES = (
    "data: one call iterates a 2-worker DataLoader (persistent workers) once over all files; "
    "audio s/s counts the 1 s crops delivered; the resampler is sonix.functional.resample where it "
    "exists (torchaudio.functional.resample until then, see sonix.data._resample)",
)
