"""Seeded test signals made in-process: exponential sine sweeps, a few harmonic tones with slow
amplitude modulation, and white noise. No network, no files; the same seed gives the same batch."""

from __future__ import annotations

import numpy as np


def test_signals(n_clips: int, seconds: float, sample_rate: int, seed: int = 0) -> np.ndarray:
    """(n_clips, round(seconds * sample_rate)) float32 in [-1, 1]; clip i does not depend on n_clips,
    so the first clips of a large batch equal a small batch made with the same seed."""
    n = int(round(seconds * sample_rate))
    t = np.arange(n, dtype=np.float64) / sample_rate
    out = np.empty((n_clips, n), dtype=np.float32)
    nyquist = sample_rate / 2
    for i in range(n_clips):
        rng = np.random.default_rng([seed, i])
        f0 = rng.uniform(20.0, 200.0)
        f1 = rng.uniform(0.5, 0.95) * nyquist
        k = np.log(f1 / f0)
        sweep = np.sin(2 * np.pi * f0 * seconds / k * np.expm1(t * k / seconds))
        tones = np.zeros(n)
        for _ in range(3):
            f = rng.uniform(80.0, 0.4 * nyquist)
            am = 0.5 + 0.5 * np.sin(
                2 * np.pi * rng.uniform(0.2, 3.0) * t + rng.uniform(0, 2 * np.pi)
            )
            tones += am * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
        noise = rng.standard_normal(n)
        x = 0.4 * sweep + 0.1 * tones + 10 ** (rng.uniform(-50, -20) / 20) * noise
        out[i] = x / max(1.0, np.abs(x).max())
    return out
