"""The one place the data pipeline resamples: ``sonix.functional.resample`` when it exists."""

from __future__ import annotations

import torch


def resample(waveform: torch.Tensor, orig_freq: int, new_freq: int) -> torch.Tensor:
    """Resample ``(..., time)`` float32 from ``orig_freq`` to ``new_freq`` Hz (identity when equal)."""
    if orig_freq == new_freq:
        return waveform
    from .. import functional

    fn = getattr(functional, "resample", None)
    if fn is None:
        # Fallback until the sonix resampler lands on this branch (the lead removes it at merge):
        # torchaudio's windowed-sinc resampler has the same signature.
        import torchaudio.functional

        fn = torchaudio.functional.resample
    return fn(waveform, orig_freq, new_freq)
