"""Float64 per-example references of the time augmentations (``sonix.augment.time``): plain loops
over the examples (and, for the phase vocoder, over the frames, as librosa writes it), in numpy and
torch. Slow and obvious; the tests compare the batched transforms against them.
"""

from __future__ import annotations

import numpy as np
import torch

from .resample import SincFilter, sinc_taps


def _np(y) -> np.ndarray:
    return (
        y.detach().cpu().numpy().astype(np.float64)
        if torch.is_tensor(y)
        else np.asarray(y, np.float64)
    )


def _lengths(x: torch.Tensor, lengths) -> list[int]:
    return [x.shape[-1]] * x.shape[0] if lengths is None else [int(v) for v in lengths]


def shift(
    x: torch.Tensor, shifts: torch.Tensor, lengths=None, rollover: bool = True
) -> torch.Tensor:
    """x (batch, channels, time); shifts (batch, channels_p) int: each (example, channel) valid part
    moved by its shift with torch.roll (rollover) or zero-filled; padding stays zero."""
    b, c, _ = x.shape
    y = torch.zeros_like(x, dtype=torch.float64)
    for i, n in enumerate(_lengths(x, lengths)):
        for ch in range(c):
            s = int(shifts[i, ch if shifts.shape[1] > 1 else 0])
            seg = x[i, ch, :n].to(torch.float64)
            if rollover:
                out = torch.roll(seg, s) if n else seg
            else:
                out = torch.zeros_like(seg)
                if 0 <= s < n:
                    out[s:] = seg[: n - s]
                elif -n < s < 0:
                    out[: n + s] = seg[-s:]
            y[i, ch, :n] = out
    return y


def random_crop(x: torch.Tensor, offsets: torch.Tensor, length: int, lengths=None):
    """Crop of ``length`` samples at offsets (batch, channels_p) from each valid part (zeros past
    it); returns (y, new lengths = min(length, valid length))."""
    b, c, _ = x.shape
    y = torch.zeros(b, c, length, dtype=torch.float64)
    ns = _lengths(x, lengths)
    for i, n in enumerate(ns):
        for ch in range(c):
            o = int(offsets[i, ch if offsets.shape[1] > 1 else 0])
            seg = x[i, ch, o : min(n, o + length)].to(torch.float64)
            y[i, ch, : seg.shape[0]] = seg
    return y, torch.tensor([min(n, length) for n in ns])


def pad_to(x: torch.Tensor, offsets: torch.Tensor, length: int, lengths=None):
    """Each valid part placed at its offset (batch,) in ``length`` zeros; returns (y, offset + n)."""
    b, c, _ = x.shape
    y = torch.zeros(b, c, length, dtype=torch.float64)
    ns = _lengths(x, lengths)
    for i, n in enumerate(ns):
        o = int(offsets[i])
        y[i, :, o : o + n] = x[i, :, :n].to(torch.float64)
    return y, torch.tensor([int(offsets[i]) + n for i, n in enumerate(ns)])


# ---- phase vocoder (librosa's algorithm, written out) -----------------------------------------


def hann(n_fft: int) -> np.ndarray:
    """Periodic Hann window (scipy.signal.get_window("hann", n_fft))."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)


def stft(y: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """(n_fft // 2 + 1, 1 + len // hop) complex: centered frames, zero padding, periodic Hann."""
    yp = np.pad(y, (n_fft // 2, n_fft // 2))
    n_frames = 1 + (len(yp) - n_fft) // hop
    frames = np.stack([yp[k * hop : k * hop + n_fft] for k in range(n_frames)], 1)
    return np.fft.rfft(frames * hann(n_fft)[:, None], axis=0)


def phase_vocoder(d: np.ndarray, rate: float, hop: int, n_fft: int) -> np.ndarray:
    """librosa.phase_vocoder, one frame at a time."""
    steps = np.arange(0, d.shape[-1], rate, dtype=np.float64)
    out = np.zeros((d.shape[0], len(steps)), dtype=complex)
    advance = hop * np.linspace(0, np.pi, d.shape[0])
    acc = np.angle(d[:, 0])
    d = np.pad(d, [(0, 0), (0, 2)])
    for t, step in enumerate(steps):
        cols = d[:, int(step) : int(step + 2)]
        alpha = np.mod(step, 1.0)
        mag = (1.0 - alpha) * np.abs(cols[:, 0]) + alpha * np.abs(cols[:, 1])
        out[:, t] = mag * np.exp(1j * acc)
        dphase = np.angle(cols[:, 1]) - np.angle(cols[:, 0]) - advance
        dphase = dphase - 2.0 * np.pi * np.round(dphase / (2.0 * np.pi))
        acc = acc + advance + dphase
    return out


def istft(d: np.ndarray, n_fft: int, hop: int, length: int) -> np.ndarray:
    """Windowed overlap-add divided by the window envelope (where above the dtype's tiny), centered,
    cropped or zero-padded to ``length``."""
    w = hann(n_fft)
    n_frames = d.shape[1]
    total = n_fft + hop * (n_frames - 1)
    y = np.zeros(total)
    env = np.zeros(total)
    frames = np.fft.irfft(d, n=n_fft, axis=0) * w[:, None]
    for k in range(n_frames):
        y[k * hop : k * hop + n_fft] += frames[:, k]
        env[k * hop : k * hop + n_fft] += w * w
    ok = env > np.finfo(np.float64).tiny
    y[ok] /= env[ok]
    y = y[n_fft // 2 :]
    return np.pad(y, (0, max(0, length - len(y))))[:length]


def time_stretch(
    y, rate: float, n_fft: int = 512, hop: int | None = None, band: float = 1.0
) -> np.ndarray:
    """librosa.effects.time_stretch(y, rate=rate, n_fft=n_fft, hop_length=hop) in float64: length
    round(len / rate). band < 1 first zeroes the bins above band x Nyquist (PitchShift's low-pass)."""
    y = _np(y)
    hop = n_fft // 4 if hop is None else hop
    d = stft(y, n_fft, hop)
    if band < 1:
        d[np.arange(d.shape[0]) > band * (d.shape[0] - 1)] = 0
    return istft(phase_vocoder(d, rate, hop, n_fft), n_fft, hop, int(round(len(y) / rate)))


def sinc_resample(y, step: float, out_len: int, filt: SincFilter, scale: float) -> np.ndarray:
    """Direct windowed-sinc sum: out[j] = sum_i y[i] h(i - j * step), h the sinc of ``filt`` with
    its cutoff at ``scale`` x the input's Nyquist rate (float64, O(out_len * len) memory)."""
    y = torch.as_tensor(_np(y))
    pos = torch.arange(out_len, dtype=torch.float64) * step
    d = torch.arange(y.shape[0], dtype=torch.float64)[None, :] - pos[:, None]
    return (sinc_taps(d, filt, scale) @ y).numpy()


def pitch_shift(
    y,
    semitones: float,
    filt: SincFilter,
    antialias: float,
    n_fft: int = 512,
    hop: int | None = None,
) -> np.ndarray:
    """PitchShift of one row: stretch by rate = 2^(-semitones / 12) (upward shifts low-passed at
    antialias x rate x Nyquist in the STFT), then read the result at j / rate for j < len(y)."""
    rate = 2.0 ** (-semitones / 12.0)
    band = antialias * rate if rate < 1 else 1.0
    s = time_stretch(y, rate, n_fft, hop, band)
    return sinc_resample(s, 1.0 / rate, len(_np(y)), filt, filt.rolloff)


def speed_perturb(y, factor: float, sample_rate: int, filt: SincFilter) -> np.ndarray:
    """Resampling of one row from round(sample_rate * factor) Hz to sample_rate (the direct sum of
    :func:`sonix.reference.resample.resample`): length ceil(len * sr / round(sr * factor))."""
    from .resample import resample

    orig = int(round(sample_rate * factor))
    if orig == sample_rate:
        return _np(y)
    return resample(torch.as_tensor(_np(y)), orig, sample_rate, filt).numpy()
