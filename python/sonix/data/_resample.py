"""The one place the data pipeline resamples: ``sonix.functional.resample`` when it exists."""

from __future__ import annotations

from functools import lru_cache

import torch


@lru_cache(maxsize=16)
def _torchaudio_resampler(orig_freq: int, new_freq: int):
    import torchaudio.transforms

    # the module builds its windowed-sinc kernel once; torchaudio.functional.resample rebuilds it on
    # every call, which costs more than the convolution for short clips
    return torchaudio.transforms.Resample(orig_freq, new_freq)


def resample(waveform: torch.Tensor, orig_freq: int, new_freq: int) -> torch.Tensor:
    """Resample ``(..., time)`` float32 from ``orig_freq`` to ``new_freq`` Hz (identity when equal)."""
    if orig_freq == new_freq:
        return waveform
    from .. import functional

    fn = getattr(functional, "resample", None)
    if fn is not None:
        return fn(waveform, orig_freq, new_freq)
    # Fallback until the sonix resampler lands on this branch (the lead removes it at merge):
    # torchaudio's windowed-sinc resampler (same default parameters as torchaudio.functional.resample).
    with torch.no_grad():
        return _torchaudio_resampler(orig_freq, new_freq)(waveform)
