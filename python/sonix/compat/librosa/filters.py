"""librosa.filters: ``mel`` and ``get_window``."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from ... import functional as F
from ._common import get_window as _get_window
from ._common import torch_dtype

__all__ = ["get_window", "mel"]


def mel(
    *,
    sr: float,
    n_fft: int,
    n_mels: int = 128,
    fmin: float = 0.0,
    fmax: float | None = None,
    htk: bool = False,
    norm: str | float | None = "slaney",
    dtype: Any = np.float32,
    device: torch.device | str | None = None,
) -> Any:
    """librosa.filters.mel: the (n_mels, 1 + n_fft // 2) mel filterbank (Slaney scale and area norm
    by default; ``htk=True`` for the HTK scale, ``norm`` None / "slaney" / a p-norm).

    Returns a numpy array of ``dtype`` (float32 by default, rounded from float64 as librosa does),
    or a torch tensor when ``dtype`` is a torch dtype or ``device`` is given (sonix extension).
    Like librosa, warns when some filters are empty. Unlike librosa, ``fmax`` above sr / 2 is refused.
    """
    out_dtype = torch_dtype(dtype)
    # librosa fills a weights array of ``dtype`` with the triangles, then scales it in place by the
    # float64 Slaney norm; rounding the same two times makes float32 filterbanks bit-identical.
    slaney = isinstance(norm, str) and norm == "slaney"
    fb64 = F.mel_filterbank(
        sr, n_fft, n_mels, fmin, fmax, htk, None if slaney else norm, dtype=torch.float64
    )
    if slaney:
        fb64 = (
            fb64.to(out_dtype).to(torch.float64)
            * _slaney_enorm(sr, n_mels, fmin, fmax, htk)[:, None]
        )
    nonempty = fb64.amax(dim=1) > 0
    if fmin == 0:  # librosa exempts the filters whose lower edge is 0 Hz: only the first one
        nonempty[0] = True
    if not bool(nonempty.all()):
        warnings.warn(
            "Empty filters detected in mel frequency basis. Some channels will produce empty responses. "
            "Try increasing your sampling rate (and fmax) or reducing n_mels.",
            stacklevel=2,
        )
    fb = fb64.to(out_dtype)
    if isinstance(dtype, torch.dtype) or device is not None:
        return fb.to(device)
    return fb.numpy()


def _slaney_enorm(
    sr: float, n_mels: int, fmin: float, fmax: float | None, htk: bool
) -> torch.Tensor:
    """2 / (band width in Hz) of each filter, from librosa.mel_frequencies (float64)."""
    scale = "htk" if htk else "slaney"
    fmax = float(sr) / 2 if fmax is None else float(fmax)
    lo, hi = (
        float(F.hz_to_mel(torch.tensor(float(f), dtype=torch.float64), scale)) for f in (fmin, fmax)
    )
    f_pts = F.mel_to_hz(torch.linspace(lo, hi, n_mels + 2, dtype=torch.float64), scale)
    return 2.0 / (f_pts[2 : n_mels + 2] - f_pts[:n_mels])


def get_window(window: Any, Nx: int, *, fftbins: bool | None = True) -> np.ndarray:  # noqa: N803
    """librosa.filters.get_window: a float64 numpy window of length Nx (periodic when ``fftbins``).
    Hann / Hamming / Blackman / boxcar are computed with torch; other specs use scipy."""
    return _get_window(window, Nx, fftbins=bool(fftbins)).numpy()
