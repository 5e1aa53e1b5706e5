"""Functional PCEN (per-channel energy normalisation), librosa.pcen's math as one fused op."""

from __future__ import annotations

import torch

from ..ops import pcen as _pcen  # noqa: F401  (registers fake kernels and autograd)
from ..ops._checks import check_audio
from ..reference.pcen import smoothing_coefficient

_ops = torch.ops.sonix

ParamLike = float | torch.Tensor


def _per_channel(value: ParamLike, name: str, channels: int, like: torch.Tensor) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        if value.dim() > 1 or (value.dim() == 1 and value.numel() not in (1, channels)):
            raise ValueError(
                f"sonix: {name} must be a scalar or have shape ({channels},), got {tuple(value.shape)}"
            )
        return value.reshape(-1).expand(channels) if value.numel() == 1 else value.reshape(-1)
    dtype = like.dtype if like.dtype == torch.float64 else torch.float32
    return torch.full((channels,), float(value), dtype=dtype, device=like.device)


def pcen(
    S: torch.Tensor,
    sr: float = 22050,
    hop_length: int = 512,
    gain: ParamLike = 0.98,
    bias: ParamLike = 2.0,
    power: ParamLike = 0.5,
    time_constant: float = 0.4,
    eps: float = 1e-6,
    b: ParamLike | None = None,
    initial_state: torch.Tensor | None = None,
    return_state: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """PCEN of an energy spectrogram, as ``librosa.pcen`` (``max_size=1``):

        M[t] = (1 - b) M[t-1] + b S[t];  out = (S / (eps + M)^gain + bias)^power - bias^power

    Args:
        S: (..., n_channels, frames) non-negative energies, float16 / bfloat16 / float32 / float64,
            CPU or CUDA (half inputs compute in float32).
        gain, bias, power, b: floats or (n_channels,) tensors (alpha, delta, r, s of Wang et al.);
            tensors get gradients. ``b`` None: librosa's coefficient from ``time_constant``, ``sr`` and
            ``hop_length``. power must be > 0 and bias > 0 (librosa's power=0 / bias=0 branches are
            not supported).
        initial_state: (..., n_channels) smoother value before the first frame; None: 1 everywhere,
            librosa's default (``lfilter_zi``; librosa's ``zi`` equals ``(1 - b) * initial_state``).
        return_state: also return the final smoother value (..., n_channels), to feed the next chunk
            of a stream: chunked calls give the same output as one call on the whole signal.

    Returns:
        out in S's dtype (and the state, float32 or float64). Differentiable in S, the parameter
        tensors and initial_state (backward: ``sonix::pcen_backward``); torch.compile(fullgraph=True).
    """
    check_audio(S, "S", min_dim=2)
    if eps <= 0:
        raise ValueError(f"sonix: eps must be > 0, got {eps}")
    lead, channels, frames = S.shape[:-2], S.shape[-2], S.shape[-1]
    if b is None:
        b = smoothing_coefficient(sr, hop_length, time_constant)
    if not isinstance(b, torch.Tensor) and not 0 < b <= 1:
        raise ValueError(f"sonix: b must be in (0, 1], got {b}")
    params = [
        _per_channel(v, n, channels, S)
        for v, n in ((b, "b"), (gain, "gain"), (bias, "bias"), (power, "power"))
    ]
    x = S.reshape(-1, channels, frames)
    state = None
    if initial_state is not None:
        if tuple(initial_state.shape) != tuple(S.shape[:-1]):
            raise ValueError(
                f"sonix: initial_state must have shape {tuple(S.shape[:-1])} (S without its frame axis), "
                f"got {tuple(initial_state.shape)}"
            )
        state = initial_state.reshape(-1, channels)
    out, final = _ops.pcen(x, *params, state, float(eps))
    out = out.reshape(S.shape)
    if return_state:
        return out, final.reshape(tuple(lead) + (channels,))
    return out
