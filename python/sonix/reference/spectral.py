"""Reference spectrogram / mel / log: torch.stft -> |X|^power -> filterbank -> log, unfused."""

from __future__ import annotations

import torch


def log_compress(v: torch.Tensor, scale: float, offset: float, amin: float, bias: float) -> torch.Tensor:
    """scale * ln(max(v + offset, amin)) + bias."""
    return scale * torch.log(torch.clamp(v + offset, min=amin)) + bias


def spectrogram(
    x: torch.Tensor,
    window: torch.Tensor,
    n_fft: int,
    hop_length: int,
    center: bool = True,
    pad_mode: str = "reflect",
    power: float = 2.0,
) -> torch.Tensor:
    """|STFT|^power of (..., time) with an n_fft-long window; numpy-style reflect for short inputs."""
    lead = x.shape[:-1]
    x2 = x.reshape(-1, x.shape[-1])
    if center:
        pad = n_fft // 2
        if pad_mode == "reflect" and pad >= x2.shape[-1]:
            import numpy as np

            x2 = torch.from_numpy(np.pad(x2.detach().cpu().numpy(), ((0, 0), (pad, pad)), mode="reflect")).to(x2)
        else:
            mode = {"constant": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}
            x2 = torch.nn.functional.pad(x2[:, None], (pad, pad), mode=mode[pad_mode])[:, 0]
    spec = torch.stft(x2, n_fft, hop_length, window=window.to(x2.dtype), center=False, return_complex=True)
    mag2 = spec.real**2 + spec.imag**2
    out = mag2 if power == 2.0 else mag2.sqrt() if power == 1.0 else mag2 ** (power / 2)
    return out.reshape(lead + out.shape[-2:])


def mel_spectrogram(
    x: torch.Tensor,
    window: torch.Tensor,
    mel_fb: torch.Tensor | None,
    n_fft: int,
    hop_length: int,
    center: bool = True,
    pad_mode: str = "reflect",
    power: float = 2.0,
    log: tuple[float, float, float, float] | None = None,
) -> torch.Tensor:
    """Unfused sonix::mel_spectrogram: mel_fb is (n_freq, n_mels); log is (scale, offset, amin, bias)."""
    s = spectrogram(x, window, n_fft, hop_length, center, pad_mode, power)
    if mel_fb is not None:
        s = torch.matmul(s.transpose(-1, -2), mel_fb.to(s.dtype)).transpose(-1, -2)
    return log_compress(s, *log) if log is not None else s
