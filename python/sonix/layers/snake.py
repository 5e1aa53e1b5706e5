"""Snake activations as nn.Modules that load DAC's and BigVGAN's state dicts unchanged."""

from __future__ import annotations

import torch
from torch import nn

from ..functional.layers import snake


class Snake1d(nn.Module):
    """DAC's ``Snake1d``: ``y = x + sin(alpha x)^2 / (alpha + 1e-9)`` per channel.

    Parameter ``alpha`` of shape (1, channels, 1), initialised to ones (DAC's layout and names).
    Input (..., channels, time) (channel dim -2), CPU or CUDA, any float dtype; output likewise.
    Autograd (input and alpha) and torch.compile(fullgraph=True) supported.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return snake(x, self.alpha.reshape(-1))


class Snake(nn.Module):
    """BigVGAN's ``Snake``: ``y = x + sin(a x)^2 / (a + 1e-9)``, ``a = exp(alpha)`` with ``alpha_logscale``.

    Parameter ``alpha`` of shape (in_features,): ones * alpha (zeros * alpha with log scale),
    trainable when ``alpha_trainable`` (BigVGAN's layout and names). Input (..., in_features, time).
    """

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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return snake(x, self.alpha, None, logscale=self.alpha_logscale)

    def extra_repr(self) -> str:
        return f"{self.in_features}, alpha_logscale={self.alpha_logscale}"


class SnakeBeta(nn.Module):
    """BigVGAN's ``SnakeBeta``: ``y = x + sin(a x)^2 / (b + 1e-9)``, ``a = exp(alpha)``, ``b = exp(beta)``
    with ``alpha_logscale``.

    Parameters ``alpha`` and ``beta`` of shape (in_features,), initialised like :class:`Snake`'s
    alpha (BigVGAN's layout and names). Input (..., in_features, time).
    """

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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return snake(x, self.alpha, self.beta, logscale=self.alpha_logscale)

    def extra_repr(self) -> str:
        return f"{self.in_features}, alpha_logscale={self.alpha_logscale}"
