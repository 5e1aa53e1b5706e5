"""``Activation1d``: BigVGAN's anti-aliased activation as one fused op, loading BigVGAN weights as-is."""

from __future__ import annotations

import torch
from torch import nn

from ..functional.antialias import anti_alias_activation, antialias_filter
from ..reference import antialias as _ref


class SnakeParameters(nn.Module):
    """Per-channel Snake (``beta=False``) or SnakeBeta parameters with BigVGAN's names and init:
    ``alpha`` (and ``beta``) are ones * ``alpha`` or, with ``alpha_logscale``, zeros (exp(0) = 1)."""

    def __init__(
        self, channels: int, alpha: float = 1.0, beta: bool = True, alpha_logscale: bool = False
    ) -> None:
        super().__init__()
        self.alpha_logscale = alpha_logscale
        init = torch.zeros(channels) if alpha_logscale else torch.ones(channels) * alpha
        self.alpha = nn.Parameter(init.clone())
        self.beta = nn.Parameter(init.clone()) if beta else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ref.snake(x, self.alpha, self.beta, self.alpha_logscale)


def _snake_like(act: nn.Module) -> bool:
    return isinstance(getattr(act, "alpha", None), torch.Tensor)


class Activation1d(nn.Module):
    """BigVGAN's ``Activation1d``: upsample -> activation -> low-pass + downsample, on (B, C, T).

    ``activation`` is a Snake-like module (``alpha`` and optional ``beta`` per-channel parameters, log
    scale from its ``alpha_logscale`` or ``log_scale`` attribute: BigVGAN's Snake / SnakeBeta, sonix's
    own, or :class:`SnakeParameters`), which runs as the fused op ``sonix::anti_alias_activation``;
    any other module runs unfused through plain torch. The strings ``"snake"`` / ``"snakebeta"`` with
    ``channels`` build :class:`SnakeParameters`.

    The state dict has BigVGAN's layout (``act.alpha``, ``act.beta``, ``upsample.filter`` and
    ``downsample.lowpass.filter`` as (1, 1, K) buffers), so BigVGAN checkpoints load unchanged.
    CPU and CUDA; differentiable in x and the activation's parameters; torch.compile-friendly.
    """

    def __init__(
        self,
        activation: nn.Module | str,
        up_ratio: int = 2,
        down_ratio: int = 2,
        up_kernel_size: int = 12,
        down_kernel_size: int = 12,
        channels: int | None = None,
        alpha_logscale: bool = False,
    ) -> None:
        super().__init__()
        if isinstance(activation, str):
            if activation not in ("snake", "snakebeta") or channels is None:
                raise ValueError(
                    f"sonix: activation must be a module, or 'snake' / 'snakebeta' with channels, got {activation!r} "
                    f"(channels={channels})"
                )
            activation = SnakeParameters(
                channels, beta=activation == "snakebeta", alpha_logscale=alpha_logscale
            )
        self.up_ratio = up_ratio
        self.down_ratio = down_ratio
        self.act = activation
        self.upsample = nn.Module()
        self.upsample.register_buffer(
            "filter", antialias_filter(up_ratio, up_kernel_size).reshape(1, 1, -1)
        )
        self.downsample = nn.Module()
        self.downsample.lowpass = nn.Module()
        self.downsample.lowpass.register_buffer(
            "filter", antialias_filter(down_ratio, down_kernel_size).reshape(1, 1, -1)
        )

    def _log_scale(self) -> bool:
        return bool(getattr(self.act, "alpha_logscale", getattr(self.act, "log_scale", False)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up, down = self.upsample.filter, self.downsample.lowpass.filter
        if _snake_like(self.act):
            beta = getattr(self.act, "beta", None)
            beta = beta if isinstance(beta, torch.Tensor) else None
            return anti_alias_activation(
                x,
                self.act.alpha,
                beta,
                self.up_ratio,
                self.down_ratio,
                up,
                down,
                log_scale=self._log_scale(),
            )
        u = _ref.upsample(x, up.reshape(-1), self.up_ratio)
        return _ref.downsample(self.act(u), down.reshape(-1), self.down_ratio)

    def extra_repr(self) -> str:
        return (
            f"up_ratio={self.up_ratio}, down_ratio={self.down_ratio}, "
            f"up_kernel_size={self.upsample.filter.numel()}, down_kernel_size={self.downsample.lowpass.filter.numel()}"
        )
