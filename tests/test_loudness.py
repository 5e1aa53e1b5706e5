"""BS.1770-4 integrated loudness against pyloudnorm on synthetic program material; normalisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import sonix.functional as F

pyln = pytest.importorskip("pyloudnorm")


def _program(kind: str, sr: int, seconds: float, channels: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    out = np.zeros((channels, n))
    for c in range(channels):
        if kind == "speech":  # noise bursts shaped like syllables, with pauses
            env = np.zeros(n)
            pos = 0
            while pos < n:
                length = int(rng.uniform(0.08, 0.3) * sr)
                env[pos : pos + length] = np.hanning(min(length, n - pos)) * rng.uniform(0.2, 1.0)
                pos += length + int(rng.uniform(0.02, 0.5) * sr)
            voiced = np.sin(2 * np.pi * rng.uniform(100, 220) * t) + 0.3 * rng.standard_normal(n)
            out[c] = 0.3 * env * voiced
        elif kind == "music":  # tones with a slow crescendo / decrescendo
            dyn = 10 ** (rng.uniform(-30, 0) / 20 * (0.5 + 0.5 * np.sin(2 * np.pi * t / seconds)))
            tones = sum(
                np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) / (k + 1)
                for k, f in enumerate(rng.uniform(80, 4000, 5))
            )
            out[c] = 0.2 * dyn * tones
        else:  # "gaps": loud passages separated by digital silence
            sig = 0.5 * np.sin(2 * np.pi * 440 * t) * rng.uniform(0.3, 1.0)
            sig[(t % 3.0) > 1.5] = 0.0
            out[c] = sig
    return out


@pytest.mark.parametrize("kind", ["speech", "music", "gaps"])
@pytest.mark.parametrize("sr,channels", [(48000, 2), (44100, 1), (16000, 2), (22050, 5)])
def test_integrated_loudness_matches_pyloudnorm(kind, sr, channels):
    x = _program(kind, sr, 6.0, channels, seed=len(kind) + channels)
    want = pyln.Meter(sr).integrated_loudness(x.T)
    got = F.integrated_loudness(torch.from_numpy(x), sr)
    assert abs(float(got) - want) < 0.1, (float(got), want)
    got32 = F.integrated_loudness(torch.from_numpy(x).float(), sr)
    assert abs(float(got32) - want) < 0.1


def test_loudness_batched_and_normalize():
    sr = 16000
    xs = np.stack(
        [_program(k, sr, 4.0, 2, seed=i) for i, k in enumerate(["speech", "music", "gaps"])]
    )
    x = torch.from_numpy(xs)
    got = F.integrated_loudness(x, sr)
    assert got.shape == (3,)
    for i in range(3):
        assert abs(float(got[i]) - pyln.Meter(sr).integrated_loudness(xs[i].T)) < 0.1
    y = F.loudness_normalize(x, sr, -23.0)
    torch.testing.assert_close(
        F.integrated_loudness(y, sr),
        torch.full((3,), -23.0, dtype=torch.float64),
        atol=1e-6,
        rtol=0,
    )
    silent = torch.zeros(1, 2, sr)
    assert torch.isneginf(F.integrated_loudness(silent, sr)).all()
    assert torch.equal(F.loudness_normalize(silent, sr), silent)


def test_loudness_bad_input():
    with pytest.raises(ValueError, match="at least"):
        F.integrated_loudness(torch.zeros(2, 100), 16000)
    with pytest.raises(ValueError, match="at most 5 channels"):
        F.integrated_loudness(torch.zeros(6, 16000), 16000)


def test_loudness_on_device(device):
    sr = 16000
    x = torch.from_numpy(_program("music", sr, 3.0, 2, seed=3))
    want = F.integrated_loudness(x, sr)
    got = F.integrated_loudness(x.to(device), sr)
    assert abs(float(got) - float(want)) < 1e-6
