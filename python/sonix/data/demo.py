"""A small labelled dataset of synthesised sounds, for demos, tests and the ``data`` benchmark.

Five classes, each drawn with random pitch, timbre, duration, level, background noise and SNR:

* ``tone``: one sinusoid with a little vibrato and an attack/decay envelope;
* ``chirp``: a sweep up or down over one to three octaves (linear or exponential);
* ``noise_burst``: band-passed noise bursts (one to three);
* ``clicks``: a train of short damped clicks at a random rate;
* ``harmonic``: a harmonic stack (random number of partials, random spectral tilt).

Each clip is placed at a random offset in a clip of 1.0-2.0 s of background noise and written as a
16-bit wav at a rate drawn from ``rates`` (mixed rates exercise the resampler).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

__all__ = ["CLASSES", "make_clip", "write_demo_dataset"]

CLASSES = ("chirp", "clicks", "harmonic", "noise_burst", "tone")


def _envelope(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    attack = max(1, int(sr * rng.uniform(0.002, 0.05)))
    decay = rng.uniform(1.0, 8.0) / max(n / sr, 1e-3)
    t = np.arange(n) / sr
    env = np.exp(-decay * t * rng.uniform(0.1, 1.0))
    env[:attack] *= np.linspace(0.0, 1.0, attack)
    return env


def _bandpass_noise(n: int, sr: int, lo: float, hi: float, rng: np.random.Generator) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / sr)
    spec[(f < lo) | (f > hi)] = 0.0
    x = np.fft.irfft(spec, n)
    return x / (np.abs(x).max() + 1e-9)


def _event(cls: str, n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / sr
    nyq = sr / 2
    if cls == "tone":
        f0 = rng.uniform(150, min(3000, 0.4 * nyq))
        vib = rng.uniform(0, 0.01) * np.sin(2 * np.pi * rng.uniform(3, 7) * t)
        return np.sin(2 * np.pi * f0 * t * (1 + vib)) * _envelope(n, sr, rng)
    if cls == "chirp":
        f0 = rng.uniform(150, 800)
        f1 = min(f0 * 2 ** rng.uniform(1, 3), 0.45 * nyq)
        if rng.random() < 0.5:
            f0, f1 = f1, f0
        dur = n / sr
        if rng.random() < 0.5:
            phase = 2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * dur))
        else:
            k = (f1 / f0) ** (1 / dur)
            phase = 2 * np.pi * f0 * (k**t - 1) / np.log(k)
        return np.sin(phase) * np.hanning(n) ** 0.3
    if cls == "noise_burst":
        out = np.zeros(n)
        for _ in range(rng.integers(1, 4)):
            m = int(n * rng.uniform(0.15, 0.5))
            s = rng.integers(0, n - m + 1)
            lo = rng.uniform(100, 2000)
            hi = min(lo * 2 ** rng.uniform(1, 4), 0.95 * nyq)
            out[s : s + m] += _bandpass_noise(m, sr, lo, hi, rng) * np.hanning(m)
        return out
    if cls == "clicks":
        out = np.zeros(n)
        rate = rng.uniform(4, 25)
        m = max(8, int(sr * rng.uniform(0.001, 0.004)))
        click = rng.standard_normal(m) * np.exp(-np.arange(m) / (m / 4))
        for s in np.arange(rng.uniform(0, 1 / rate), n / sr, 1 / rate):
            i = int(s * sr)
            out[i : i + m] += click[: n - i]
        return out
    if cls == "harmonic":
        f0 = rng.uniform(80, 400)
        tilt = rng.uniform(0.5, 2.0)
        out = np.zeros(n)
        for k in range(1, rng.integers(3, 12) + 1):
            if k * f0 < 0.45 * nyq:
                out += np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi)) / k**tilt
        return out * _envelope(n, sr, rng)
    raise ValueError(f"sonix.data.demo: unknown class {cls!r}; choose from {CLASSES}")


def make_clip(
    cls: str, sr: int, rng: np.random.Generator, seconds: tuple[float, float] = (1.0, 2.0)
) -> np.ndarray:
    """One float32 mono clip of class ``cls`` at ``sr`` Hz: an event of 0.3-1.0 s at a random place in
    ``seconds`` (a range; default 1.0-2.0 s) of coloured background noise, at an SNR of 0-30 dB, peak
    level 0.2-0.9."""
    n = int(sr * rng.uniform(*seconds))
    m = int(sr * rng.uniform(0.3, 1.0))
    event = _event(cls, m, sr, rng)
    event /= np.sqrt(np.mean(event**2)) + 1e-9
    clip = np.zeros(n)
    start = rng.integers(0, n - m + 1)
    clip[start : start + m] = event
    noise = rng.standard_normal(n)
    noise = np.cumsum(noise) * rng.uniform(0.0, 0.05) + noise  # some low-frequency colour
    noise /= np.sqrt(np.mean(noise**2)) + 1e-9
    snr_db = rng.uniform(0, 30)
    clip += noise * 10 ** (-snr_db / 20) * np.sqrt(m / n)
    clip *= rng.uniform(0.2, 0.9) / (np.abs(clip).max() + 1e-9)
    return clip.astype(np.float32)


def write_demo_dataset(
    out: str | os.PathLike,
    n_per_class: int = 40,
    *,
    rates: Sequence[int] = (16000, 22050, 44100),
    seed: int = 0,
    classes: Sequence[str] = CLASSES,
    fmt: str = "wav",
    seconds: tuple[float, float] = (1.0, 2.0),
) -> Path:
    """Write ``out/<class>/<class>_<i>.<fmt>`` and ``out/manifest.csv`` (path, label); returns the
    manifest path. Clip lengths are drawn from the ``seconds`` range. Deterministic for a given seed."""
    if n_per_class < 1:
        raise ValueError(f"sonix demo-data: --n-per-class must be >= 1, got {n_per_class}")
    out = Path(out)
    rng = np.random.default_rng(seed)
    rows = []
    for cls in classes:
        (out / cls).mkdir(parents=True, exist_ok=True)
        for i in range(n_per_class):
            sr = int(rng.choice(list(rates)))
            rel = f"{cls}/{cls}_{i:04d}.{fmt}"
            sf.write(
                out / rel,
                make_clip(cls, sr, rng, seconds),
                sr,
                subtype="PCM_16" if fmt != "ogg" else None,
            )
            rows.append((rel, cls))
    manifest = out / "manifest.csv"
    with open(manifest, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label"])
        w.writerows(rows)
    return manifest
