"""Plain-torch references of the fused layers (float64-capable; they document the math).

* DAC's ``Snake1d``: ``x + (alpha + 1e-9).reciprocal() * sin(alpha * x) ** 2`` with ``alpha`` of shape
  (1, C, 1), the input viewed as (batch, C, -1).
* BigVGAN's ``Snake`` / ``SnakeBeta``: ``x + 1 / (b + 1e-9) * sin(a * x) ** 2`` with per-channel
  ``alpha`` (and ``beta``) of shape (C,), ``a = exp(alpha)`` (``b = exp(beta)``) with
  ``alpha_logscale``, ``b = a`` for Snake.
* Causal depthwise conv1d: left zero padding by width - 1 and ``conv1d(groups=C)``, then the
  activation and the lengths mask.

The modules here keep the parameter names, shapes and initial values of DAC's and BigVGAN's, so
their state dicts are the reference layouts the sonix modules load.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

EPS = 1e-9


def snake(
    x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor | None = None, logscale: bool = False
) -> torch.Tensor:
    """Snake / SnakeBeta of x (..., C, T) with (C,) parameters, in x's dtype."""
    a = alpha.exp() if logscale else alpha
    b = a if beta is None else (beta.exp() if logscale else beta)
    a = a.unsqueeze(-1)
    b = b.unsqueeze(-1)
    return x + 1.0 / (b + EPS) * torch.sin(a * x) ** 2


class DACSnake1d(nn.Module):
    """DAC's Snake1d layout: ``alpha`` (1, C, 1), initialised to ones."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x = x.reshape(shape[0], shape[1], -1)
        x = x + (self.alpha + EPS).reciprocal() * torch.sin(self.alpha * x).pow(2)
        return x.reshape(shape)


class BigVGANSnake(nn.Module):
    """BigVGAN's Snake layout: ``alpha`` (C,), ones * alpha (zeros * alpha with alpha_logscale)."""

    def __init__(
        self,
        in_features: int,
        alpha: float = 1.0,
        alpha_trainable: bool = True,
        alpha_logscale: bool = False,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.alpha_logscale = alpha_logscale
        init = torch.zeros(in_features) if alpha_logscale else torch.ones(in_features)
        self.alpha = nn.Parameter(init * alpha, requires_grad=alpha_trainable)
        self.no_div_by_zero = EPS

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.alpha.unsqueeze(0).unsqueeze(-1)
        if self.alpha_logscale:
            a = torch.exp(a)
        return x + 1.0 / (a + self.no_div_by_zero) * torch.pow(torch.sin(x * a), 2)


class BigVGANSnakeBeta(nn.Module):
    """BigVGAN's SnakeBeta layout: ``alpha`` and ``beta`` (C,), initialised like BigVGANSnake's alpha."""

    def __init__(
        self,
        in_features: int,
        alpha: float = 1.0,
        alpha_trainable: bool = True,
        alpha_logscale: bool = False,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.alpha_logscale = alpha_logscale
        init = torch.zeros(in_features) if alpha_logscale else torch.ones(in_features)
        self.alpha = nn.Parameter(init * alpha, requires_grad=alpha_trainable)
        self.beta = nn.Parameter(init.clone() * alpha, requires_grad=alpha_trainable)
        self.no_div_by_zero = EPS

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.alpha.unsqueeze(0).unsqueeze(-1)
        b = self.beta.unsqueeze(0).unsqueeze(-1)
        if self.alpha_logscale:
            a = torch.exp(a)
            b = torch.exp(b)
        return x + 1.0 / (b + self.no_div_by_zero) * torch.pow(torch.sin(x * a), 2)


def activation(z: torch.Tensor, name: str | None) -> torch.Tensor:
    """The conv's fused activation on pre-activations z (B, C, T): none, silu, gelu (erf), glu."""
    if name in (None, "none"):
        return z
    if name == "silu":
        return F.silu(z)
    if name == "gelu":
        return F.gelu(z)
    if name == "glu":
        half = z.shape[-2] // 2
        return z[..., :half, :] * torch.sigmoid(z[..., half:, :])
    raise ValueError(f"unknown activation {name!r}")


def causal_conv1d(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    activation_name: str | None = None,
    lengths: torch.Tensor | None = None,
) -> torch.Tensor:
    """Causal depthwise conv of x (B, C, T) with weight (C, K) or (C, 1, K), bias (C,): zero history,
    then the activation; outputs at t >= lengths[b] are zero."""
    w = weight.reshape(weight.shape[0], 1, -1)
    z = F.conv1d(F.pad(x, (w.shape[-1] - 1, 0)), w, bias, groups=w.shape[0])
    y = activation(z, activation_name)
    if lengths is not None:
        t = torch.arange(x.shape[-1], device=x.device)
        y = y * (t < lengths.reshape(-1, 1, 1)).to(y.dtype)
    return y
