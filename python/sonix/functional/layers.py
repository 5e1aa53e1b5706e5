"""Functional API of the fused model layers: Snake / SnakeBeta and causal depthwise conv1d.

All functions run on CPU and CUDA, accept float16 / bfloat16 / float32 / float64 inputs (float32
math for the half types, output in the input dtype), support autograd (input and parameters; the
backward passes are custom ops too) and trace under ``torch.compile(fullgraph=True)``.
"""

from __future__ import annotations

import torch

from ..ops import causal_conv as _cc
from ..ops import snake as _snake  # noqa: F401  (registers the fake / autograd kernels)
from ..ops._checks import check_audio, check_same_device

_ops = torch.ops.sonix

MIN_WIDTH = 2
MAX_WIDTH = 64


def _as_batched(x: torch.Tensor, name: str) -> tuple[torch.Tensor, torch.Size]:
    """(..., C, T) -> (batch, C, T) and the shape to restore."""
    check_audio(x, name, min_dim=2)
    return x.reshape(-1, x.shape[-2], x.shape[-1]), x.shape


def _channel_param(p: torch.Tensor, name: str, channels: int, x: torch.Tensor) -> torch.Tensor:
    if not isinstance(p, torch.Tensor):
        raise TypeError(f"sonix: {name} must be a torch.Tensor, got {type(p).__name__}")
    if p.dim() != 1 or p.shape[0] != channels:
        raise ValueError(
            f"sonix: {name} must have shape ({channels},): one value per channel of the input (dim -2), "
            f"got shape {tuple(p.shape)}"
        )
    check_same_device(p, name, x, "input")
    return p


def snake(
    x: torch.Tensor,
    alpha: torch.Tensor,
    beta: torch.Tensor | None = None,
    *,
    logscale: bool = False,
) -> torch.Tensor:
    """Snake (``beta=None``) or SnakeBeta activation, ``y = x + sin(a x)^2 / (b + 1e-9)`` per channel.

    Args:
        x: (..., C, T) input (channel dim -2), any float dtype, CPU or CUDA.
        alpha: (C,) frequencies; ``a = exp(alpha)`` when ``logscale``, else ``a = alpha``.
        beta: (C,) magnitudes (SnakeBeta); ``b = exp(beta)`` when ``logscale``. None: ``b = a`` (Snake).
        logscale: parameters are logarithms (BigVGAN's ``alpha_logscale``).

    Returns:
        y with x's shape and dtype (contiguous). Differentiable in x, alpha and beta.
    """
    xb, shape = _as_batched(x, "input")
    channels = xb.shape[1]
    alpha = _channel_param(alpha, "alpha", channels, x)
    if beta is not None:
        beta = _channel_param(beta, "beta", channels, x)
    return _ops.snake(xb, alpha, beta, bool(logscale)).reshape(shape)


def _activation_name(activation: str | None) -> str:
    name = "none" if activation is None else activation
    if name not in _cc.ACTIVATIONS:
        raise ValueError(
            f"sonix: activation must be None or one of {list(_cc.ACTIVATIONS)}, got {activation!r}"
        )
    return name


def _conv_weight(weight: torch.Tensor, channels: int, x: torch.Tensor) -> torch.Tensor:
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"sonix: weight must be a torch.Tensor, got {type(weight).__name__}")
    if weight.dim() == 3 and weight.shape[1] == 1:
        weight = weight.reshape(weight.shape[0], weight.shape[2])
    if weight.dim() != 2 or weight.shape[0] != channels:
        raise ValueError(
            f"sonix: weight must have shape ({channels}, width) or ({channels}, 1, width) for an input with "
            f"{channels} channels, got shape {tuple(weight.shape)}"
        )
    width = weight.shape[1]
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"sonix: weight width must be in [{MIN_WIDTH}, {MAX_WIDTH}], got {width}")
    check_same_device(weight, "weight", x, "input")
    return weight


def _check_conv(
    xb: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, activation: str | None
) -> tuple[torch.Tensor, torch.Tensor | None, str]:
    channels = xb.shape[1]
    name = _activation_name(activation)
    if name == "glu" and channels % 2:
        raise ValueError(
            f"sonix: activation 'glu' needs an even number of channels, got {channels}"
        )
    weight = _conv_weight(weight, channels, xb)
    if bias is not None:
        bias = _channel_param(bias, "bias", channels, xb)
    return weight, bias, name


def causal_conv1d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    *,
    activation: str | None = None,
    lengths: torch.Tensor | None = None,
) -> torch.Tensor:
    """Causal depthwise conv1d with fused bias and activation.

    ``z[b, c, t] = bias[c] + sum_k weight[c, k] * x[b, c, t - (K - 1) + k]`` (zero history), then
    ``activation``: None, "silu", "gelu" (erf form) or "glu" (``z[:C/2] * sigmoid(z[C/2:])``, C/2
    output channels).

    Args:
        x: (..., C, T) input (channel dim -2), any float dtype, CPU or CUDA.
        weight: (C, K) or nn.Conv1d's (C, 1, K) taps, 2 <= K <= 64.
        bias: (C,) or None.
        activation: None, "none", "silu", "gelu" or "glu" (C must be even).
        lengths: optional (batch,) integer lengths (x viewed as (batch, C, T)); outputs at
            t >= lengths[b] are 0 and send no gradient back.

    Returns:
        (..., C or C/2, T) in x's dtype. Differentiable in x, weight and bias.
    """
    xb, shape = _as_batched(x, "input")
    weight, bias, name = _check_conv(xb, weight, bias, activation)
    if lengths is not None:
        if (
            not isinstance(lengths, torch.Tensor)
            or lengths.is_floating_point()
            or lengths.is_complex()
        ):
            raise TypeError("sonix: lengths must be an integer tensor of shape (batch,)")
        if lengths.numel() != xb.shape[0]:
            raise ValueError(
                f"sonix: lengths must have one entry per example ({xb.shape[0]}), got shape {tuple(lengths.shape)}"
            )
        check_same_device(lengths, "lengths", x, "input")
        lengths = lengths.reshape(-1).to(torch.int64)
    y = _ops.causal_conv1d(xb, weight, bias, lengths, name)
    return y.reshape(shape[:-2] + y.shape[-2:])


def causal_conv1d_update(
    x: torch.Tensor,
    conv_state: torch.Tensor | None,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    activation: str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One streaming step of :func:`causal_conv1d`: returns ``(y_chunk, new_state)``.

    Args:
        x: (batch, C, chunk) next samples (chunk >= 1).
        conv_state: (batch, C, K - 1) the last K - 1 input samples so far (zeros at the start), or
            None for the start of a stream.
        weight, bias, activation: as in :func:`causal_conv1d`.

    Returns:
        y_chunk (batch, C or C/2, chunk) in x's dtype, equal to the matching slice of the offline
        result; new_state (batch, C, K - 1) in conv_state's dtype (x's when None). Inputs are never
        modified. Inference only (no autograd); traces under torch.compile.
    """
    check_audio(x, "input", min_dim=3)
    if x.dim() != 3:
        raise ValueError(
            f"sonix: input must have shape (batch, channels, chunk), got shape {tuple(x.shape)}"
        )
    weight, bias, name = _check_conv(x, weight, bias, activation)
    batch, channels, width = x.shape[0], x.shape[1], weight.shape[1]
    if conv_state is None:
        conv_state = x.new_zeros((batch, channels, width - 1))
    expect = (batch, channels, width - 1)
    if tuple(conv_state.shape) != expect:
        raise ValueError(
            f"sonix: conv_state must have shape {expect}, got {tuple(conv_state.shape)}"
        )
    check_same_device(conv_state, "conv_state", x, "input")
    return _ops.causal_conv1d_update(x, conv_state, weight, bias, name)
