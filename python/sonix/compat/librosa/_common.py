"""Array conversion and window helpers shared by the librosa-compatible functions."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

_TORCH_OF_NUMPY = {
    np.dtype(np.float16): torch.float16,
    np.dtype(np.float32): torch.float32,
    np.dtype(np.float64): torch.float64,
    np.dtype(np.complex64): torch.complex64,
    np.dtype(np.complex128): torch.complex128,
}
_NUMPY_OF_TORCH = {v: k for k, v in _TORCH_OF_NUMPY.items()}

ArrayLike = Any
"""A numpy array (or anything ``np.asarray`` accepts) or a torch.Tensor."""


def as_tensor(x: ArrayLike, name: str) -> tuple[torch.Tensor, bool]:
    """(tensor, was_numpy): tensors pass through untouched; anything else goes through np.asarray
    and shares memory with the tensor when it can (a copy only for read-only / negative strides)."""
    if isinstance(x, torch.Tensor):
        return x, False
    if x is None:
        raise ValueError(f"sonix: {name} must be an array, got None")
    arr = np.asarray(x)
    if not arr.flags.writeable or any(s < 0 for s in arr.strides):
        arr = arr.copy()
    return torch.from_numpy(arr), True


def to_output(t: torch.Tensor, was_numpy: bool) -> Any:
    """numpy in -> numpy out (CPU), tensor in -> the tensor (same device, autograd kept)."""
    return t.detach().cpu().numpy() if was_numpy else t


def torch_dtype(dtype: Any) -> torch.dtype:
    """A torch dtype from a torch dtype, a numpy dtype / type, or a dtype string."""
    if isinstance(dtype, torch.dtype):
        return dtype
    nd = np.dtype(dtype)
    if nd not in _TORCH_OF_NUMPY:
        raise TypeError(f"sonix: unsupported dtype {nd} (expected float16/32/64 or complex64/128)")
    return _TORCH_OF_NUMPY[nd]


def real_float(x: torch.Tensor) -> torch.Tensor:
    """Integer / bool audio becomes float64 (numpy's promotion); floating audio is kept."""
    return x if x.is_floating_point() or x.is_complex() else x.to(torch.float64)


def check_positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"sonix: {name}={value!r} must be a positive integer")
    return int(value)


_COSINE_WINDOWS: dict[str, Callable[..., torch.Tensor]] = {}
for _names, _fn in (
    (("hann", "han"), torch.hann_window),
    (("hamming", "hamm", "ham"), torch.hamming_window),
    (("blackman", "black", "blk"), torch.blackman_window),
):
    for _n in _names:
        _COSINE_WINDOWS[_n] = _fn
_ONES = ("boxcar", "box", "ones", "rect", "rectangular")


def get_window(window: Any, Nx: int, *, fftbins: bool = True) -> torch.Tensor:  # noqa: N803 (librosa's name)
    """librosa.filters.get_window as a CPU float64 tensor.

    "hann", "hamming", "blackman" (and scipy's aliases) and "boxcar" / "ones" / "rect" are computed
    with torch (periodic when ``fftbins``, symmetric otherwise, as scipy). A callable is called as
    ``window(Nx)``; an array / tensor of length Nx is used as is. Other specs (tuples such as
    ("kaiser", 4.0), other names, floats) are passed to ``scipy.signal.get_window``, imported only then.
    """
    Nx = check_positive_int(Nx, "Nx")
    if callable(window):
        return torch.as_tensor(np.asarray(window(Nx)), dtype=torch.float64)
    if isinstance(window, str):
        key = window.lower()
        if key in _COSINE_WINDOWS:
            return _COSINE_WINDOWS[key](Nx, periodic=fftbins, dtype=torch.float64)
        if key in _ONES:
            return torch.ones(Nx, dtype=torch.float64)
    elif isinstance(window, (torch.Tensor, np.ndarray, list)):
        w = window.detach().to("cpu", torch.float64) if isinstance(window, torch.Tensor) else None
        w = w if w is not None else torch.as_tensor(np.asarray(window, dtype=np.float64))
        if w.dim() != 1 or w.shape[0] != Nx:
            raise ValueError(f"sonix: window size mismatch: got {tuple(w.shape)}, expected ({Nx},)")
        return w
    try:
        import scipy.signal
    except ImportError as e:  # pragma: no cover - scipy is a librosa dependency
        raise ValueError(
            f"sonix: window {window!r} needs scipy; built in are 'hann', 'hamming', 'blackman', 'boxcar' "
            "and arrays / tensors"
        ) from e
    return torch.as_tensor(
        scipy.signal.get_window(window, Nx, fftbins=fftbins), dtype=torch.float64
    )


def pad_center(w: torch.Tensor, size: int) -> torch.Tensor:
    """librosa.util.pad_center along the last dim: zero-pad to ``size``, (size - n) // 2 on the left."""
    n = w.shape[-1]
    if n > size:
        raise ValueError(f"sonix: target size ({size}) must be at least input size ({n})")
    left = (size - n) // 2
    return torch.nn.functional.pad(w, (left, size - n - left))


# np.pad modes of librosa.stft -> sonix op pad modes; 'symmetric' / 'linear_ramp' are padded here.
_OP_PAD_MODES = {
    "constant": "constant",
    "empty": "constant",
    "reflect": "reflect",
    "edge": "replicate",
}
_MANUAL_PAD_MODES = ("symmetric", "linear_ramp")


def frame_padding(
    x: torch.Tensor, n_fft: int, center: bool, pad_mode: Any
) -> tuple[torch.Tensor, bool, str]:
    """(signal, center, op pad_mode) for the sonix ops that reproduce librosa's centring with np.pad
    ``pad_mode``. 'empty' (uninitialised in numpy) is zeros here."""
    if not center:
        return x, False, "constant"
    if isinstance(pad_mode, str) and pad_mode in _OP_PAD_MODES:
        return x, True, _OP_PAD_MODES[pad_mode]
    if isinstance(pad_mode, str) and pad_mode in _MANUAL_PAD_MODES:
        p = n_fft // 2
        if p == 0:
            return x, False, "constant"
        if p > x.shape[-1]:
            raise ValueError(
                f"sonix: pad_mode={pad_mode!r} needs a signal of at least n_fft // 2 = {p} samples"
            )
        if pad_mode == "symmetric":
            left, right = x[..., :p].flip(-1), x[..., -p:].flip(-1)
        else:  # np.pad linear_ramp with end_values 0: linspace(0, edge, p, endpoint=False)
            ramp = torch.arange(p, dtype=torch.float64, device=x.device).div_(p).to(x.dtype)
            left, right = x[..., :1] * ramp, x[..., -1:] * ramp.flip(0)
        return torch.cat([left, x, right], dim=-1), False, "constant"
    raise ValueError(
        f"sonix: pad_mode={pad_mode!r} is not supported; use one of "
        f"{sorted(_OP_PAD_MODES) + list(_MANUAL_PAD_MODES)}"
    )


def window_sumsquare(window: torch.Tensor, n_frames: int, hop_length: int) -> torch.Tensor:
    """Sum of the squared (n_fft-long) window over n_frames frames hop_length apart:
    (n_fft + hop_length * (n_frames - 1),), in the window's dtype and device."""
    n_fft = window.shape[0]
    blocks = math.ceil(n_fft / hop_length)
    w2 = torch.nn.functional.pad(window * window, (0, blocks * hop_length - n_fft)).view(
        blocks, hop_length
    )
    env = window.new_zeros(n_frames + blocks - 1, hop_length)
    for r in range(blocks):
        env[r : r + n_frames] += w2[r]
    return env.reshape(-1)[: n_fft + hop_length * (n_frames - 1)]
