"""Plain-torch float64 reference of the windowed-sinc resampler, and resampling quality measurements.

The math, written once in the clearest form: output j of a resampling by new/orig sits at input
position t_j = j * orig / new and is sum_m x[m] * h(m - t_j) over every input m, where h is a
windowed sinc with its cutoff at ``rolloff`` times the lower Nyquist rate and ``lowpass_filter_width``
zero crossings on each side (the same filter as torchaudio's sinc_interp_hann / sinc_interp_kaiser).
The kernels compute the same sums with a per-phase tap table (or taps computed per output).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

KAISER_BETA_TORCHAUDIO = 14.769656459379492  # torchaudio's default beta for sinc_interp_kaiser


@dataclass(frozen=True)
class SincFilter:
    """A windowed-sinc low-pass: window "hann" or "kaiser" (with ``beta``), ``lowpass_filter_width``
    zero crossings per side, cutoff at ``rolloff`` times the lower of the two Nyquist rates."""

    lowpass_filter_width: float
    rolloff: float
    window: str = "kaiser"
    beta: float = KAISER_BETA_TORCHAUDIO

    def scale(self, orig: int, new: int) -> float:
        """Cutoff in cycles per two input samples (the sinc's argument scale)."""
        return self.rolloff * min(1.0, new / orig)

    def half_width(self, orig: int, new: int) -> int:
        """``left``: whole input samples the support reaches on each side of an output."""
        return int(math.floor(self.lowpass_filter_width / self.scale(orig, new)))


def sinc_taps(d: torch.Tensor, filt: SincFilter, scale: float) -> torch.Tensor:
    """h(d) at distances ``d`` (input samples, float64) from the output position; 0 off the support."""
    lpw = float(filt.lowpass_filter_width)
    u = d * scale
    r = u / lpw
    if filt.window == "hann":
        w = torch.cos(r * (math.pi / 2)) ** 2
    else:
        arg = filt.beta * torch.sqrt((1.0 - r * r).clamp_min(0.0))
        w = torch.special.i0(arg) / _i0(filt.beta)
    t = math.pi * u
    s = torch.where(
        t == 0, torch.ones_like(t), torch.sin(t) / torch.where(t == 0, torch.ones_like(t), t)
    )
    return torch.where((u > -lpw) & (u < lpw), s * w * scale, torch.zeros_like(u))


def _i0(x: float) -> float:
    return float(torch.special.i0(torch.tensor(x, dtype=torch.float64)))


def tap_table(orig: int, new: int, filt: SincFilter) -> tuple[torch.Tensor, int]:
    """(new, 2 * left + 2) float64 table of the taps of each phase p (output j = f * new + p reads
    inputs floor(j * orig / new) - left + k), and ``left``. orig and new are gcd-reduced."""
    left = filt.half_width(orig, new)
    p = torch.arange(new, dtype=torch.int64)
    frac = ((p * orig) % new).to(torch.float64) / new
    k = torch.arange(2 * left + 2, dtype=torch.float64) - left
    return sinc_taps(k[None, :] - frac[:, None], filt, filt.scale(orig, new)), left


def output_length(length: int, orig: int, new: int) -> int:
    return -(-new * length // orig)


def resample(x: torch.Tensor, orig: int, new: int, filt: SincFilter) -> torch.Tensor:
    """Direct windowed-sinc sum in float64 over the last dim: y[j] = sum_m x[m] h(m - j orig / new).
    O(out_len * in_len) memory: for tests on short signals."""
    g = math.gcd(orig, new)
    orig, new = orig // g, new // g
    n = x.shape[-1]
    if orig == new:
        return x.to(torch.float64)
    j = torch.arange(output_length(n, orig, new), dtype=torch.int64)
    base = (j * orig) // new
    frac = ((j * orig) % new).to(torch.float64) / new
    m = torch.arange(n, dtype=torch.int64)
    d = (m[None, :] - base[:, None]).to(torch.float64) - frac[:, None]
    h = sinc_taps(d, filt, filt.scale(orig, new))
    return x.to(torch.float64) @ h.T


# ---- quality measurements (shared by the tests and `sonix bench resample`) -------------------------

Resampler = Callable[[torch.Tensor], torch.Tensor]


def _sine(freq: float, sr: float, n: int) -> torch.Tensor:
    t = torch.arange(n, dtype=torch.float64) / sr
    return torch.sin(2 * math.pi * freq * t)


def _trim(n: int, frac: float = 0.2) -> slice:
    return slice(int(n * frac), int(n * (1 - frac)))


def sine_snr_db(fn: Resampler, orig: int, new: int, freqs=None, seconds: float = 0.5) -> float:
    """Worst SNR (dB) of resampled sines against the ideal sine at the new rate, over ``freqs``
    (default: 5 frequencies up to 0.7 x the lower Nyquist rate), away from the edges."""
    nyq = min(orig, new) / 2
    freqs = freqs if freqs is not None else [nyq * f for f in (0.02, 0.1, 0.3, 0.5, 0.7)]
    n = int(orig * seconds)
    worst = math.inf
    for f in freqs:
        y = fn(_sine(f, orig, n)).to(torch.float64)
        ideal = _sine(f, new, y.shape[-1])
        sl = _trim(y.shape[-1])
        err = (y[sl] - ideal[sl]).pow(2).sum()
        worst = min(worst, 10 * math.log10(float(ideal[sl].pow(2).sum()) / max(float(err), 1e-300)))
    return worst


def _spectrum_db(y: torch.Tensor) -> torch.Tensor:
    """Power spectrum (dB re the peak) of a Kaiser(beta=30)-windowed segment: sidelobes far below
    -200 dB, so leaks of -150 dB are visible."""
    w = torch.kaiser_window(y.shape[-1], periodic=False, beta=30.0, dtype=torch.float64)
    p = torch.fft.rfft(y * w).abs().pow(2)
    return 10 * torch.log10(p / p.max() + 1e-300)


def stopband_rejection_db(
    fn: Resampler, orig: int, new: int, n_freqs: int = 12, seconds: float = 0.5
) -> float:
    """Worst rejection (dB, positive) of what should not be in the output.

    Downsampling: input sines between the new Nyquist rate and 0.99 x the old one must vanish; the
    rejection is the output's RMS relative to the input's. Upsampling: the images of input sines
    (below 0.9 x the old Nyquist rate) above the old Nyquist rate, relative to the sine, from the
    output's spectrum."""
    n = int(orig * seconds)
    worst = math.inf
    if new < orig:
        for f in torch.linspace(new / 2, 0.99 * orig / 2, n_freqs).tolist():
            x = _sine(f, orig, n)
            y = fn(x).to(torch.float64)
            sl = _trim(y.shape[-1])
            ratio = float(y[sl].pow(2).mean()) / float(x.pow(2).mean())
            worst = min(worst, -10 * math.log10(max(ratio, 1e-300)))
        return worst
    for f in torch.linspace(0.05 * orig / 2, 0.9 * orig / 2, n_freqs).tolist():
        y = fn(_sine(f, orig, n)).to(torch.float64)
        sl = _trim(y.shape[-1])
        spec = _spectrum_db(y[sl])
        freqs = torch.fft.rfftfreq(sl.stop - sl.start, 1 / new)
        # Images start at orig - f; skip the main lobe of the analysis window around the sine.
        guard = 12 * new / (sl.stop - sl.start)
        worst = min(worst, -float(spec[freqs > orig / 2 + guard].max()))
    return worst


def passband_ripple_db(
    fn: Resampler, orig: int, new: int, edge: float = 0.8, n_freqs: int = 16
) -> float:
    """Largest gain deviation (dB, peak) of unit sines up to ``edge`` x the lower Nyquist rate; the gain
    is the amplitude of a least-squares fit of a sine and cosine at the new rate to the output."""
    nyq = min(orig, new) / 2
    n = int(orig * 0.25)
    worst = 0.0
    for f in torch.linspace(0.01 * nyq, edge * nyq, n_freqs).tolist():
        y = fn(_sine(f, orig, n)).to(torch.float64)
        sl = _trim(y.shape[-1])
        t = torch.arange(y.shape[-1], dtype=torch.float64)[sl] / new
        basis = torch.stack([torch.sin(2 * math.pi * f * t), torch.cos(2 * math.pi * f * t)], 1)
        coef = torch.linalg.lstsq(basis, y[sl, None]).solution
        worst = max(worst, abs(20 * math.log10(float(coef.norm()))))
    return worst
