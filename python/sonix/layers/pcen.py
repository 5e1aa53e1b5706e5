"""Trainable PCEN (Wang et al. 2017; LEAF) as an nn.Module over the fused ``sonix::pcen`` op."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..functional.pcen import pcen
from ..reference.pcen import smoothing_coefficient


class PCEN(nn.Module):
    """Per-channel energy normalisation of (..., n_channels, frames) energies with per-channel
    smoothing s, gain alpha, bias delta and power r, stored as ``log_s``, ``log_alpha``,
    ``log_delta``, ``log_r`` (positive by construction; s is clamped to at most 1).

    Defaults are librosa.pcen's (gain 0.98, bias 2, power 0.5, time constant 0.4 s at sr 22050 and
    hop 512, eps 1e-6), so an untrained module equals ``librosa.pcen`` with those parameters.
    ``trainable=False`` keeps the parameters as buffers. ``forward(S, initial_state=None,
    return_state=False)`` streams: pass the returned state into the next call.
    """

    def __init__(
        self,
        n_channels: int,
        sr: float = 22050,
        hop_length: int = 512,
        time_constant: float = 0.4,
        gain: float = 0.98,
        bias: float = 2.0,
        power: float = 0.5,
        eps: float = 1e-6,
        s: float | None = None,
        trainable: bool = True,
    ) -> None:
        super().__init__()
        if s is None:
            s = smoothing_coefficient(sr, hop_length, time_constant)
        for name, value in (
            ("s", s),
            ("gain", gain),
            ("bias", bias),
            ("power", power),
            ("eps", eps),
        ):
            if not value > 0:
                raise ValueError(f"sonix: {name} must be > 0, got {value}")
        if s > 1:
            raise ValueError(f"sonix: s must be in (0, 1], got {s}")
        self.n_channels = n_channels
        self.eps = eps
        for name, value in (
            ("log_s", s),
            ("log_alpha", gain),
            ("log_delta", bias),
            ("log_r", power),
        ):
            t = torch.full((n_channels,), math.log(value))
            if trainable:
                self.register_parameter(name, nn.Parameter(t))
            else:
                self.register_buffer(name, t)

    def forward(
        self, S: torch.Tensor, initial_state: torch.Tensor | None = None, return_state: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        s = self.log_s.exp().clamp(max=1.0)
        return pcen(
            S,
            gain=self.log_alpha.exp(),
            bias=self.log_delta.exp(),
            power=self.log_r.exp(),
            b=s,
            eps=self.eps,
            initial_state=initial_state,
            return_state=return_state,
        )

    def extra_repr(self) -> str:
        return f"n_channels={self.n_channels}, eps={self.eps}"
