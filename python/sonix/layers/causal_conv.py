"""Causal depthwise conv1d as an nn.Module with nn.Conv1d's parameters, plus a streaming step."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..functional.layers import (
    MAX_WIDTH,
    MIN_WIDTH,
    _activation_name,
    causal_conv1d,
    causal_conv1d_update,
)


class CausalDepthwiseConv1d(nn.Module):
    """Causal depthwise conv1d with fused bias and activation (None, "silu", "gelu", "glu").

    Parameters are exactly those of ``nn.Conv1d(channels, channels, kernel_size, groups=channels)``
    (``weight`` (channels, 1, kernel_size), ``bias`` (channels,), same initialisation), so state
    dicts load both ways. ``forward(x, lengths=None)`` takes (..., channels, time) and returns
    (..., channels or channels / 2 with glu, time); ``step(x_chunk, state)`` streams (batch,
    channels, chunk) pieces and returns ``(y_chunk, new_state)``, equal to the offline result.
    CPU and CUDA, any float dtype; autograd and torch.compile(fullgraph=True) for ``forward``.
    """

    def __init__(
        self, channels: int, kernel_size: int, bias: bool = True, activation: str | None = None
    ) -> None:
        super().__init__()
        if not MIN_WIDTH <= kernel_size <= MAX_WIDTH:
            raise ValueError(
                f"sonix: kernel_size must be in [{MIN_WIDTH}, {MAX_WIDTH}], got {kernel_size}"
            )
        self.activation = _activation_name(activation)
        if self.activation == "glu" and channels % 2:
            raise ValueError(
                f"sonix: activation 'glu' needs an even number of channels, got {channels}"
            )
        self.channels = channels
        self.kernel_size = kernel_size
        self.weight = nn.Parameter(torch.empty(channels, 1, kernel_size))
        self.bias = nn.Parameter(torch.empty(channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """nn.Conv1d's initialisation (kaiming uniform with a = sqrt(5); bias uniform in +-1/sqrt(fan_in))."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.kernel_size)
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return causal_conv1d(x, self.weight, self.bias, activation=self.activation, lengths=lengths)

    def init_state(self, batch: int, dtype: torch.dtype | None = None, device=None) -> torch.Tensor:
        """Zero history (batch, channels, kernel_size - 1) for the start of a stream."""
        return torch.zeros(
            batch,
            self.channels,
            self.kernel_size - 1,
            dtype=dtype or self.weight.dtype,
            device=device or self.weight.device,
        )

    def step(
        self, x: torch.Tensor, state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One streaming chunk: x (batch, channels, chunk), state from :meth:`init_state` or the last
        step (None: start of stream). Returns (y_chunk, new_state); inputs are not modified."""
        return causal_conv1d_update(x, state, self.weight, self.bias, self.activation)

    def extra_repr(self) -> str:
        return f"{self.channels}, kernel_size={self.kernel_size}, bias={self.bias is not None}, activation={self.activation!r}"
