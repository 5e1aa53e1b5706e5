"""Per-example float64 oracles of the noise, impulse-response and biquad augmentations
(sonix.augment.noise / sonix.augment.filters): plain numpy / scipy loops over examples and channels,
given the parameters a transform drew (``return_params=True``)."""

from __future__ import annotations

import math

import numpy as np
import scipy.signal
import torch


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


def _valid(lengths, b: int, time: int) -> int:
    return time if lengths is None else int(lengths[b])


def _add_at_snr(x: np.ndarray, noise: np.ndarray, snr_db: float, n: int) -> np.ndarray:
    """One channel: x + noise scaled so that RMS(x[:n]) / RMS(noise[:n]) = 10^(snr_db / 20)."""
    y = x.copy()
    if n == 0:
        return y
    sig = math.sqrt(np.mean(x[:n] ** 2))
    nrms = math.sqrt(np.mean(noise[:n] ** 2))
    if sig == 0 or nrms == 0:
        return y
    y[:n] += noise[:n] * (sig / 10 ** (snr_db / 20) / nrms)
    return y


def colored_noise(spectrum: np.ndarray, f_decay: float, time: int) -> np.ndarray:
    """A white noise spectrum (time // 2 + 1,) complex shaped to a power spectrum ~ 1/f^f_decay:
    bin k (k >= 1) times k^(-f_decay / 2), DC bin zeroed; then the inverse rfft of ``time`` samples."""
    k = np.arange(spectrum.shape[0], dtype=np.float64)
    mag = np.zeros_like(k)
    mag[1:] = k[1:] ** (-f_decay / 2)
    return np.fft.irfft(spectrum * mag, n=time)


def white_spectrum(normals: np.ndarray, time: int) -> np.ndarray:
    """(..., time // 2 + 1) complex spectrum from (..., 2 * (time // 2 + 1)) standard normals taken
    as (real, imaginary) pairs; DC and (even time) Nyquist real with variance 2, as the rfft of real
    white noise has them."""
    spec = normals[..., 0::2] + 1j * normals[..., 1::2]
    spec[..., 0] = normals[..., 0] * math.sqrt(2)
    if time % 2 == 0:
        spec[..., -1] = normals[..., -2] * math.sqrt(2)
    return spec


def add_colored_noise(x, normals, applied, snr_db, f_decay, lengths=None) -> torch.Tensor:
    """x (batch, channels, time); normals (batch, 1 or channels, 2 * (time // 2 + 1)) the standard
    normals of the white spectrum (:func:`white_spectrum`); applied, snr_db, f_decay (batch, 1 or
    channels); lengths (batch,) or None."""
    x = _np(x).astype(np.float64)
    white = white_spectrum(_np(normals).astype(np.float64), x.shape[-1])
    applied, snr_db, f_decay = _np(applied), _np(snr_db), _np(f_decay)
    out = x.copy()
    b_n, c_n, t = x.shape
    for b in range(b_n):
        for c in range(c_n):
            cp = c if applied.shape[1] > 1 else 0
            if not applied[b, cp]:
                continue
            spec = white[b, c if white.shape[1] > 1 else 0]
            noise = colored_noise(spec, float(f_decay[b, cp]), t)
            out[b, c] = _add_at_snr(x[b, c], noise, float(snr_db[b, cp]), _valid(lengths, b, t))
    return torch.from_numpy(out)


def add_background_noise(x, bank, applied, index, offset, snr_db, lengths=None) -> torch.Tensor:
    """bank (num_noises, time_n) or (num_noises, channels, time_n); index, offset, snr_db, applied
    (batch, 1 or channels). The noise of a channel is
    np.take(row, offset + arange(time), mode="wrap") (a window, or the row tiled when shorter)."""
    x, bank = _np(x).astype(np.float64), _np(bank).astype(np.float64)
    if bank.ndim == 2:
        bank = bank[:, None]
    applied, index, offset, snr_db = _np(applied), _np(index), _np(offset), _np(snr_db)
    out = x.copy()
    b_n, c_n, t = x.shape
    for b in range(b_n):
        for c in range(c_n):
            cp = c if applied.shape[1] > 1 else 0
            if not applied[b, cp]:
                continue
            row = bank[int(index[b, cp]), c if bank.shape[1] > 1 else 0]
            noise = np.take(row, int(offset[b, cp]) + np.arange(t), mode="wrap")
            out[b, c] = _add_at_snr(x[b, c], noise, float(snr_db[b, cp]), _valid(lengths, b, t))
    return torch.from_numpy(out)


def apply_impulse_response(
    x, irs, applied, index, wet, compensate: bool, lengths=None
) -> torch.Tensor:
    """irs (num_irs, ir_len); index, wet, applied (batch, 1 or channels).
    y = wet * conv + (1 - wet) x with conv = scipy.signal.convolve(x, ir)[start : start + time]
    (x zero past its length), start = argmax |ir| when compensating, else 0."""
    x, irs = _np(x).astype(np.float64), _np(irs).astype(np.float64)
    applied, index, wet = _np(applied), _np(index), _np(wet)
    out = x.copy()
    b_n, c_n, t = x.shape
    for b in range(b_n):
        xb = x[b].copy()
        xb[:, _valid(lengths, b, t) :] = 0
        for c in range(c_n):
            cp = c if applied.shape[1] > 1 else 0
            if not applied[b, cp]:
                continue
            ir = irs[int(index[b, cp])]
            start = int(np.argmax(np.abs(ir))) if compensate else 0
            conv = scipy.signal.convolve(xb[c], ir, method="direct")[start : start + t]
            w = float(wet[b, cp])
            out[b, c] = w * conv + (1 - w) * xb[c]
    return torch.from_numpy(out)


def rbj_biquad(kind: str, sr: float, freq: float, q: float, gain_db: float = 0.0):
    """RBJ Audio-EQ-Cookbook biquad (b, a), numpy float64, a[0]-normalised. kinds: lowpass,
    highpass, bandpass (0 dB peak), bandreject, peaking, lowshelf, highshelf."""
    w0 = 2 * math.pi * freq / sr
    cw, sw = math.cos(w0), math.sin(w0)
    alpha = sw / (2 * q)
    big_a = 10 ** (gain_db / 40)
    if kind == "lowpass":
        b = [(1 - cw) / 2, 1 - cw, (1 - cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "highpass":
        b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "bandpass":
        b = [alpha, 0.0, -alpha]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "bandreject":
        b = [1.0, -2 * cw, 1.0]
        a = [1 + alpha, -2 * cw, 1 - alpha]
    elif kind == "peaking":
        b = [1 + alpha * big_a, -2 * cw, 1 - alpha * big_a]
        a = [1 + alpha / big_a, -2 * cw, 1 - alpha / big_a]
    elif kind in ("lowshelf", "highshelf"):
        s = 2 * math.sqrt(big_a) * alpha
        ap, am = big_a + 1, big_a - 1
        if kind == "lowshelf":
            b = [big_a * (ap - am * cw + s), 2 * big_a * (am - ap * cw), big_a * (ap - am * cw - s)]
            a = [ap + am * cw + s, -2 * (am + ap * cw), ap + am * cw - s]
        else:
            b = [
                big_a * (ap + am * cw + s),
                -2 * big_a * (am + ap * cw),
                big_a * (ap + am * cw - s),
            ]
            a = [ap - am * cw + s, 2 * (am - ap * cw), ap - am * cw - s]
    else:
        raise ValueError(f"unknown kind {kind!r}")
    b, a = np.asarray(b), np.asarray(a)
    return b / a[0], a / a[0]


def biquad_filter(x, kind: str, sr: float, applied, freq, q, gain_db, nyquist_fraction=0.499):
    """scipy.signal.lfilter of each applied row with its RBJ biquad; freq clamped to
    nyquist_fraction * sr. applied, freq, q, gain_db (batch, 1 or channels)."""
    x = _np(x).astype(np.float64)
    applied, freq, q, gain_db = _np(applied), _np(freq), _np(q), _np(gain_db)
    out = x.copy()
    b_n, c_n, _ = x.shape
    for b in range(b_n):
        for c in range(c_n):
            cp = c if applied.shape[1] > 1 else 0
            if not applied[b, cp]:
                continue
            f = min(float(freq[b, cp]), nyquist_fraction * sr)
            bb, aa = rbj_biquad(kind, sr, f, float(q[b, cp]), float(gain_db[b, cp]))
            out[b, c] = scipy.signal.lfilter(bb, aa, x[b, c])
    return torch.from_numpy(out)
