"""IIR filtering: scipy-style sosfilt / filtfilt / sosfiltfilt / lfilter_zi / sosfilt_zi, and
torchaudio drop-ins (lfilter with clamp / batching, the biquad effects).

All run through the ``sonix::lfilter`` custom op (CPU and CUDA), are differentiable w.r.t. the signal
and the coefficients, and take the time axis last.
"""

from __future__ import annotations

import torch

from ..ops._checks import check_audio
from ..ops.filters import _acc_of, check_stability
from ..ops.filters import lfilter as _lfilter
from . import filter_design as _fd

__all__ = [
    "allpass_biquad",
    "band_biquad",
    "bandpass_biquad",
    "bandreject_biquad",
    "bass_biquad",
    "biquad",
    "check_stability",
    "equalizer_biquad",
    "filtfilt",
    "highpass_biquad",
    "lfilter",
    "lfilter_zi",
    "lowpass_biquad",
    "sosfilt",
    "sosfilt_zi",
    "sosfiltfilt",
    "treble_biquad",
]


# ---- torchaudio drop-ins -----------------------------------------------------------------------------


def lfilter(
    waveform: torch.Tensor,
    a_coeffs: torch.Tensor,
    b_coeffs: torch.Tensor,
    clamp: bool = True,
    batching: bool = True,
    *,
    zi: torch.Tensor | None = None,
):
    """``torchaudio.functional.lfilter`` drop-in (same arguments, output and clamping).

    waveform (..., time); a_coeffs, b_coeffs of the same shape, (order + 1,) or (num_filters, order + 1).
    With 2-D coefficients and batching=True, filter i runs on ``waveform[..., i, :]``; with
    batching=False every filter runs on the whole waveform and the output is (..., num_filters, time).
    clamp=True clips the output to [-1, 1] like torchaudio. Extra keyword zi (broadcast like the
    output's leading dims, order taps): returns ``(y, zf)`` instead of y, as scipy does.
    CPU / CUDA, autograd w.r.t. waveform and both coefficient tensors, torch.compile.
    """
    check_audio(waveform, "waveform")
    if a_coeffs.shape != b_coeffs.shape:
        raise ValueError(
            f"sonix: a_coeffs and b_coeffs must have the same shape, got {tuple(a_coeffs.shape)} and "
            f"{tuple(b_coeffs.shape)}"
        )
    if a_coeffs.dim() not in (1, 2):
        raise ValueError(f"sonix: a_coeffs must be 1-D or 2-D, got shape {tuple(a_coeffs.shape)}")
    if a_coeffs.dim() == 2:
        if batching:
            if waveform.dim() < 2 or waveform.shape[-2] != a_coeffs.shape[0]:
                raise ValueError(
                    f"sonix: with batching=True, waveform.shape[-2] must equal num_filters={a_coeffs.shape[0]}, "
                    f"got waveform shape {tuple(waveform.shape)}"
                )
        else:
            waveform = waveform.unsqueeze(-2)
    y, zf = _lfilter(waveform, a_coeffs.to(waveform.dtype), b_coeffs.to(waveform.dtype), zi)
    y = y.to(waveform.dtype)
    if clamp:
        y = y.clamp(-1.0, 1.0)
    return (y, zf) if zi is not None else y


def biquad(
    waveform: torch.Tensor, b0: float, b1: float, b2: float, a0: float, a1: float, a2: float
) -> torch.Tensor:
    """``torchaudio.functional.biquad`` drop-in: one biquad (coefficients may be tensors of the
    leading dims, for per-example filters), zero initial state, output clamped to [-1, 1]."""
    dt, dev = waveform.dtype, waveform.device
    cs = [torch.as_tensor(c, dtype=dt, device=dev) for c in (b0, b1, b2, a0, a1, a2)]
    cs = torch.broadcast_tensors(*cs)
    b = torch.stack(cs[:3], -1)
    a = torch.stack(cs[3:], -1)
    if b.dim() == 1:
        return lfilter(waveform, a, b)
    y, _ = _lfilter(waveform, a, b)
    return y.to(dt).clamp(-1.0, 1.0)


def _apply(waveform: torch.Tensor, ba: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    b, a = ba
    return biquad(waveform, *b.unbind(-1), *a.unbind(-1))


def lowpass_biquad(waveform: torch.Tensor, sample_rate: int, cutoff_freq, Q=0.707) -> torch.Tensor:
    """torchaudio's ``lowpass_biquad`` (RBJ lowpass).

    Like every ``*_biquad`` here, parameters may also be tensors: they broadcast against the
    waveform's leading dims (cutoff of shape (batch, 1) for a (batch, channels, time) waveform gives
    one filter per example, in one op call).
    """
    return _apply(
        waveform,
        _fd.biquad_coeffs(
            "lowpass", sample_rate, cutoff_freq, Q, dtype=waveform.dtype, device=waveform.device
        ),
    )


def highpass_biquad(waveform: torch.Tensor, sample_rate: int, cutoff_freq, Q=0.707) -> torch.Tensor:
    """torchaudio's ``highpass_biquad`` (RBJ highpass)."""
    return _apply(
        waveform,
        _fd.biquad_coeffs(
            "highpass", sample_rate, cutoff_freq, Q, dtype=waveform.dtype, device=waveform.device
        ),
    )


def bandpass_biquad(
    waveform, sample_rate: int, central_freq, Q=0.707, const_skirt_gain: bool = False
):
    """torchaudio's ``bandpass_biquad``: constant skirt gain (peak = Q) or constant 0 dB peak."""
    kind = "bandpass_skirt" if const_skirt_gain else "bandpass"
    return _apply(
        waveform,
        _fd.biquad_coeffs(
            kind, sample_rate, central_freq, Q, dtype=waveform.dtype, device=waveform.device
        ),
    )


def bandreject_biquad(waveform, sample_rate: int, central_freq, Q=0.707):
    """torchaudio's ``bandreject_biquad`` (RBJ notch)."""
    return _apply(
        waveform,
        _fd.biquad_coeffs(
            "bandreject", sample_rate, central_freq, Q, dtype=waveform.dtype, device=waveform.device
        ),
    )


def allpass_biquad(waveform, sample_rate: int, central_freq, Q=0.707):
    """torchaudio's ``allpass_biquad``."""
    return _apply(
        waveform,
        _fd.biquad_coeffs(
            "allpass", sample_rate, central_freq, Q, dtype=waveform.dtype, device=waveform.device
        ),
    )


def equalizer_biquad(waveform, sample_rate: int, center_freq, gain, Q=0.707):
    """torchaudio's ``equalizer_biquad`` (RBJ peaking EQ, gain in dB)."""
    return _apply(
        waveform,
        _fd.biquad_coeffs(
            "peaking",
            sample_rate,
            center_freq,
            Q,
            gain,
            dtype=waveform.dtype,
            device=waveform.device,
        ),
    )


def bass_biquad(waveform, sample_rate: int, gain, central_freq=100, Q=0.707):
    """torchaudio's ``bass_biquad`` (RBJ low shelf, gain in dB)."""
    return _apply(
        waveform,
        _fd.biquad_coeffs(
            "lowshelf",
            sample_rate,
            central_freq,
            Q,
            gain,
            dtype=waveform.dtype,
            device=waveform.device,
        ),
    )


def treble_biquad(waveform, sample_rate: int, gain, central_freq=3000, Q=0.707):
    """torchaudio's ``treble_biquad`` (RBJ high shelf, gain in dB)."""
    return _apply(
        waveform,
        _fd.biquad_coeffs(
            "highshelf",
            sample_rate,
            central_freq,
            Q,
            gain,
            dtype=waveform.dtype,
            device=waveform.device,
        ),
    )


def band_biquad(waveform, sample_rate: int, central_freq, Q=0.707, noise: bool = False):
    """torchaudio's ``band_biquad`` (SoX "band": two-pole resonator, optionally noise-oriented gain)."""
    dt, dev = waveform.dtype, waveform.device
    f = torch.as_tensor(central_freq, dtype=dt, device=dev)
    Q = torch.as_tensor(Q, dtype=dt, device=dev)
    w0 = 2 * torch.pi * f / sample_rate
    a2 = torch.exp(-2 * torch.pi * (f / Q) / sample_rate)
    a1 = -4 * a2 / (1 + a2) * torch.cos(w0)
    b0 = torch.sqrt(1 - a1 * a1 / (4 * a2)) * (1 - a2)
    if noise:
        b0 = torch.sqrt(((1 + a2) * (1 + a2) - a1 * a1) * (1 - a2) / (1 + a2))
    zero = torch.zeros_like(b0)
    return biquad(waveform, b0, zero, zero, torch.ones_like(b0), a1, a2)


# ---- scipy-style filtering -------------------------------------------------------------------------------


def _check_sos(sos: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    if not isinstance(sos, torch.Tensor):
        sos = torch.as_tensor(sos, dtype=_acc_of(x.dtype), device=x.device)
    if sos.dim() < 2 or sos.shape[-1] != 6:
        raise ValueError(f"sonix: sos must have shape (..., n_sections, 6), got {tuple(sos.shape)}")
    if sos.device != x.device:
        raise ValueError(
            f"sonix: sos and x must be on the same device, got {sos.device} and {x.device}"
        )
    return sos


def sosfilt(x: torch.Tensor, sos: torch.Tensor, zi: torch.Tensor | None = None):
    """Cascade of second-order sections along the last axis, like ``scipy.signal.sosfilt``.

    sos: (..., n_sections, 6) rows ``[b0, b1, b2, a0, a1, a2]``; leading dims broadcast against x's
    (per-example filters). zi: (n_sections, ..., 2) as scipy's, or None. Returns y, or ``(y, zf)``
    when zi is given. Each section is one ``sonix::lfilter`` call (float32 accumulation for float32 /
    half input). Autograd w.r.t. x, sos and zi; CPU / CUDA; torch.compile.
    """
    check_audio(x, "x")
    sos = _check_sos(sos, x)
    n = sos.shape[-2]
    if zi is not None and (zi.dim() < 2 or zi.shape[0] != n or zi.shape[-1] != 2):
        raise ValueError(f"sonix: zi must have shape ({n}, ..., 2), got {tuple(zi.shape)}")
    y = x
    zfs = []
    for s in range(n):
        y, zf = _lfilter(y, sos[..., s, 3:], sos[..., s, :3], None if zi is None else zi[s])
        zfs.append(zf)
    return (y, torch.stack(zfs)) if zi is not None else y


def lfilter_zi(b: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """Steady-state initial state of the step response, like ``scipy.signal.lfilter_zi``:
    (..., max(na, nb) - 1) for coefficients (..., na), (..., nb) (batched linear solve)."""
    b = torch.as_tensor(b)
    a = torch.as_tensor(a, device=b.device)
    dt = (
        torch.promote_types(_acc_of(b.dtype), _acc_of(a.dtype))
        if a.is_floating_point()
        else torch.float64
    )
    a, b = a.to(dt), b.to(dt)
    n = max(a.shape[-1], b.shape[-1])
    a = torch.nn.functional.pad(a, (0, n - a.shape[-1]))
    b = torch.nn.functional.pad(b, (0, n - b.shape[-1]))
    a, b = torch.broadcast_tensors(a, b)
    b = b / a[..., :1]
    a = a / a[..., :1]
    if n == 1:
        return a.new_zeros(a.shape[:-1] + (0,))
    m = n - 1
    eye = torch.eye(m, dtype=dt, device=a.device)
    comp = torch.zeros(a.shape[:-1] + (m, m), dtype=dt, device=a.device)
    comp[..., 0, :] = -a[..., 1:]
    if m > 1:
        comp[..., 1:, :-1] = eye[:-1, :-1] + comp[..., 1:, :-1]
    rhs = b[..., 1:] - a[..., 1:] * b[..., :1]
    return torch.linalg.solve(eye - comp.transpose(-1, -2), rhs)


def sosfilt_zi(sos: torch.Tensor) -> torch.Tensor:
    """Steady-state initial states of a cascade, like ``scipy.signal.sosfilt_zi``: (n_sections, ..., 2)
    for sos (..., n_sections, 6)."""
    sos = torch.as_tensor(sos)
    zi = lfilter_zi(sos[..., :3], sos[..., 3:])  # (..., n_sections, 2)
    gain = sos[..., :3].sum(-1) / sos[..., 3:].sum(-1)  # DC gain of each section
    scale = torch.cat([torch.ones_like(gain[..., :1]), torch.cumprod(gain, -1)[..., :-1]], -1)
    return (zi * scale.unsqueeze(-1)).movedim(-2, 0)


def _odd_ext(x: torch.Tensor, n: int) -> torch.Tensor:
    if n == 0:
        return x
    left = 2 * x[..., :1] - x[..., 1 : n + 1].flip(-1)
    right = 2 * x[..., -1:] - x[..., -n - 1 : -1].flip(-1)
    return torch.cat([left, x, right], -1)


def _check_padlen(x: torch.Tensor, padlen: int) -> None:
    if x.shape[-1] <= padlen:
        raise ValueError(
            f"sonix: x must be longer than padlen={padlen} samples for odd padding, got {x.shape[-1]}"
        )


def filtfilt(
    x: torch.Tensor, b: torch.Tensor, a: torch.Tensor, padlen: int | None = None
) -> torch.Tensor:
    """Zero-phase forward-backward filtering like ``scipy.signal.filtfilt(b, a, x)`` with its default
    odd extension of ``padlen = 3 * max(len(a), len(b))`` samples and lfilter_zi initial states.
    Coefficients (..., taps) broadcast against x's leading dims. Autograd, CPU / CUDA, compile."""
    check_audio(x, "x")
    b = torch.as_tensor(b, device=x.device)
    a = torch.as_tensor(a, device=x.device)
    n = max(a.shape[-1], b.shape[-1])
    padlen = 3 * n if padlen is None else padlen
    _check_padlen(x, padlen)
    zi = lfilter_zi(b, a)
    ext = _odd_ext(x, padlen)
    y, _ = _lfilter(ext, a, b, zi * ext[..., :1].to(zi.dtype))
    y = y.flip(-1)
    y, _ = _lfilter(y, a, b, zi * y[..., :1].to(zi.dtype))
    y = y.flip(-1)
    return y[..., padlen : y.shape[-1] - padlen]


def sosfiltfilt(x: torch.Tensor, sos: torch.Tensor, padlen: int | None = None) -> torch.Tensor:
    """Zero-phase cascade filtering like ``scipy.signal.sosfiltfilt(sos, x)``: odd extension, default
    padlen from scipy's rule ``3 * (2 * n_sections + 1 - min(#(b2 == 0), #(a2 == 0)))`` (which reads
    the coefficients: pass padlen to avoid the host read on CUDA / under torch.compile)."""
    check_audio(x, "x")
    sos = _check_sos(sos, x)
    if padlen is None:
        s2 = sos.reshape(-1, sos.shape[-2], 6)[0]
        zeros = min(int((s2[:, 2] == 0).sum()), int((s2[:, 5] == 0).sum()))
        padlen = 3 * (2 * sos.shape[-2] + 1 - zeros)
    _check_padlen(x, padlen)
    zi = sosfilt_zi(sos)  # (n_sections, ..., 2)
    ext = _odd_ext(x, padlen)

    def scaled(
        v: torch.Tensor,
    ) -> torch.Tensor:  # zi (S, zlead..., 2) times v's first sample (vlead..., 1)
        first = v[..., :1].to(zi.dtype)
        lead = max(zi.dim() - 2, first.dim() - 1)
        return zi.reshape(zi.shape[:1] + (1,) * (lead - zi.dim() + 2) + zi.shape[1:]) * first

    y, _ = sosfilt(ext, sos, scaled(ext))
    y = y.flip(-1)
    y, _ = sosfilt(y, sos, scaled(y))
    y = y.flip(-1)
    return y[..., padlen : y.shape[-1] - padlen]
