"""Functional anti-aliased activation: BigVGAN's ``Activation1d`` with Snake / SnakeBeta, one fused op."""

from __future__ import annotations

import torch

from ..ops import antialias as _aa  # noqa: F401  (registers fake kernels and autograd)
from ..ops._checks import check_audio, check_positive_int
from ..reference.antialias import kaiser_sinc_filter1d

_ops = torch.ops.sonix


def antialias_filter(
    ratio: int, kernel_size: int = 12, dtype: torch.dtype = torch.float32, device=None
) -> torch.Tensor:
    """(kernel_size,) BigVGAN's low-pass for a resampling ratio: ``kaiser_sinc_filter1d(0.5 / ratio,
    0.6 / ratio, kernel_size)``, unit sum."""
    check_positive_int(ratio, "ratio")
    check_positive_int(kernel_size, "kernel_size")
    return kaiser_sinc_filter1d(0.5 / ratio, 0.6 / ratio, kernel_size, dtype=torch.float64).to(
        dtype=dtype, device=device
    )


def anti_alias_activation(
    x: torch.Tensor,
    alpha: torch.Tensor,
    beta: torch.Tensor | None = None,
    up_ratio: int = 2,
    down_ratio: int = 2,
    up_filter: torch.Tensor | None = None,
    down_filter: torch.Tensor | None = None,
    up_kernel_size: int = 12,
    down_kernel_size: int = 12,
    log_scale: bool = False,
) -> torch.Tensor:
    """Upsample by ``up_ratio`` (Kaiser-sinc, replicate padding, as BigVGAN's UpSample1d), apply Snake
    (``beta`` None: ``x + sin(a x)^2 / (a + 1e-9)``) or SnakeBeta (``x + sin(a x)^2 / (b + 1e-9)``)
    per channel, low-pass and downsample by ``down_ratio`` (BigVGAN's DownSample1d), fused: the
    upsampled signal never reaches memory.

    Args:
        x: (batch, channels, time) or (channels, time), float16 / bfloat16 / float32 / float64, CPU or
            CUDA. Half inputs compute in float32 and return their dtype.
        alpha, beta: (channels,) Snake parameters (``exp`` of them when ``log_scale``).
        up_filter, down_filter: filters of any shape with K elements (BigVGAN's (1, 1, K) buffers);
            default: :func:`antialias_filter` for the ratio and kernel size. They get no gradient.
    Returns:
        (..., channels, (time * up_ratio - 1) // down_ratio + 1) in x's dtype.

    Differentiable in x, alpha and beta (the backward is the custom op
    ``sonix::anti_alias_activation_backward``); traces under ``torch.compile(fullgraph=True)``.
    """
    check_audio(x, "x", min_dim=2)
    check_positive_int(up_ratio, "up_ratio")
    check_positive_int(down_ratio, "down_ratio")
    if x.dim() > 3:
        raise ValueError(
            f"sonix: x must have shape (batch, channels, time) or (channels, time), got {tuple(x.shape)}"
        )
    if up_filter is None:
        up_filter = antialias_filter(up_ratio, up_kernel_size, device=x.device)
    if down_filter is None:
        down_filter = antialias_filter(down_ratio, down_kernel_size, device=x.device)
    squeeze = x.dim() == 2
    x3 = x.unsqueeze(0) if squeeze else x
    y = _ops.anti_alias_activation(
        x3,
        alpha,
        beta,
        up_filter.reshape(-1),
        down_filter.reshape(-1),
        up_ratio,
        down_ratio,
        bool(log_scale),
    )
    return y.squeeze(0) if squeeze else y
