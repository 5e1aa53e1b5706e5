"""The one place the data pipeline resamples: ``sonix.functional.resample`` (quality "default")."""

from __future__ import annotations

import torch

from ..functional import resample as _resample


def resample(waveform: torch.Tensor, orig_freq: int, new_freq: int) -> torch.Tensor:
    """Resample ``(..., time)`` float32 from ``orig_freq`` to ``new_freq`` Hz (identity when equal).

    The polyphase table of each (orig, new) pair is built once and cached by ``sonix.functional.resample``.
    """
    if orig_freq == new_freq:
        return waveform
    with torch.no_grad():
        return _resample(waveform, orig_freq, new_freq)
