"""``auraloss.freq.STFTLoss`` / ``MultiResolutionSTFTLoss`` with the same constructor arguments.

Supported: fft / hop / window sizes, ``window`` (torch window name), ``w_sc``, ``w_log_mag``,
``w_lin_mag``, ``eps``, ``reduction`` ("mean" / "sum"), ``mag_distance`` ("L1" / "L2"), ``output``
("loss" / "full"), ``device`` and ``sample_rate`` (accepted, unused as in auraloss without a scale).
Refused with an error naming the option: ``w_phs != 0``, ``scale``, ``n_bins``,
``perceptual_weighting``, ``scale_invariance``, ``reduction="none"``.

Differences: inputs may be (..., time) (auraloss needs (batch, channels, time)); signals not longer
than ``fft_size // 2`` are reflect-padded numpy-style instead of raising; ``eps`` must be > 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..functional import losses as F


def _refuse(name: str, value: Any, default: Any) -> None:
    if value != default:
        raise ValueError(
            f"sonix: STFTLoss option {name}={value!r} is not supported (only {name}={default!r})"
        )


class STFTLoss(torch.nn.Module):
    """Single-resolution STFT loss (``auraloss.freq.STFTLoss``): one fused op per call.

    ``forward(input, target)`` takes prediction and target of the same shape (..., time), any float
    dtype, CPU or CUDA, and returns a scalar (``output="full"``: the tuple ``(loss, sc_mag_loss,
    log_mag_loss, lin_mag_loss, phs_loss)`` with 0.0 for terms whose weight is 0, as auraloss).
    Differentiable w.r.t. both; compiles with ``torch.compile(fullgraph=True)``.
    """

    def __init__(
        self,
        fft_size: int = 1024,
        hop_size: int = 256,
        win_length: int = 1024,
        window: str = "hann_window",
        w_sc: float = 1.0,
        w_log_mag: float = 1.0,
        w_lin_mag: float = 0.0,
        w_phs: float = 0.0,
        sample_rate: float | None = None,
        scale: str | None = None,
        n_bins: int | None = None,
        perceptual_weighting: bool = False,
        scale_invariance: bool = False,
        eps: float = 1e-8,
        output: str = "loss",
        reduction: str = "mean",
        mag_distance: str = "L1",
        device: Any = None,
    ) -> None:
        super().__init__()
        _refuse("w_phs", w_phs, 0.0)
        _refuse("scale", scale, None)
        _refuse("n_bins", n_bins, None)
        _refuse("perceptual_weighting", perceptual_weighting, False)
        _refuse("scale_invariance", scale_invariance, False)
        if output not in ("loss", "full"):
            raise ValueError(f"sonix: output must be 'loss' or 'full', got {output!r}")
        if reduction not in ("mean", "sum"):
            raise ValueError(
                f"sonix: STFTLoss option reduction={reduction!r} is not supported ('mean' or 'sum')"
            )
        if mag_distance not in ("L1", "L2"):
            raise ValueError(f"sonix: mag_distance must be 'L1' or 'L2', got {mag_distance!r}")
        if window not in F._WINDOWS:
            raise ValueError(f"sonix: window must be one of {F._WINDOWS}, got {window!r}")
        if not eps > 0:
            raise ValueError(f"sonix: eps must be > 0, got {eps!r}")
        self.fft_size, self.hop_size, self.win_length = fft_size, hop_size, win_length
        self.window = window
        self.w_sc, self.w_log_mag, self.w_lin_mag, self.w_phs = w_sc, w_log_mag, w_lin_mag, w_phs
        self.sample_rate, self.eps, self.output, self.reduction = (
            sample_rate,
            eps,
            output,
            reduction,
        )
        self.mag_distance = mag_distance

    def forward(self, input: torch.Tensor, target: torch.Tensor):
        sc, log_mag, lin_mag = F.stft_loss_terms(
            input,
            target,
            self.fft_size,
            self.hop_size,
            self.win_length,
            self.window,
            self.eps,
            self.reduction,
            self.mag_distance,
        )
        loss = self.w_sc * sc + self.w_log_mag * log_mag + self.w_lin_mag * lin_mag
        if self.output == "loss":
            return loss
        return (
            loss,
            sc if self.w_sc else 0.0,
            log_mag if self.w_log_mag else 0.0,
            lin_mag if self.w_lin_mag else 0.0,
            0.0,
        )

    def extra_repr(self) -> str:
        return f"fft_size={self.fft_size}, hop_size={self.hop_size}, win_length={self.win_length}"


class MultiResolutionSTFTLoss(torch.nn.Module):
    """Mean of :class:`STFTLoss` over resolutions (``auraloss.freq.MultiResolutionSTFTLoss``).

    Defaults are Parallel WaveGAN's: fft_sizes (1024, 2048, 512), hop_sizes (120, 240, 50),
    win_lengths (600, 1200, 240). Extra keyword arguments go to every :class:`STFTLoss`.
    ``output="full"`` returns ``(loss, [sc...], [log_mag...], [lin_mag...], [phs...])`` as auraloss.
    """

    def __init__(
        self,
        fft_sizes: Sequence[int] = (1024, 2048, 512),
        hop_sizes: Sequence[int] = (120, 240, 50),
        win_lengths: Sequence[int] = (600, 1200, 240),
        window: str = "hann_window",
        w_sc: float = 1.0,
        w_log_mag: float = 1.0,
        w_lin_mag: float = 0.0,
        w_phs: float = 0.0,
        sample_rate: float | None = None,
        scale: str | None = None,
        n_bins: int | None = None,
        perceptual_weighting: bool = False,
        scale_invariance: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if not (len(fft_sizes) == len(hop_sizes) == len(win_lengths)) or len(fft_sizes) == 0:
            raise ValueError(
                "sonix: fft_sizes, hop_sizes and win_lengths must be non-empty and of the same length, got "
                f"{len(fft_sizes)}, {len(hop_sizes)} and {len(win_lengths)}"
            )
        self.fft_sizes, self.hop_sizes, self.win_lengths = (
            list(fft_sizes),
            list(hop_sizes),
            list(win_lengths),
        )
        self.stft_losses = torch.nn.ModuleList(
            STFTLoss(
                fs,
                ss,
                wl,
                window,
                w_sc,
                w_log_mag,
                w_lin_mag,
                w_phs,
                sample_rate,
                scale,
                n_bins,
                perceptual_weighting,
                scale_invariance,
                **kwargs,
            )
            for fs, ss, wl in zip(fft_sizes, hop_sizes, win_lengths, strict=False)
        )

    def forward(self, input: torch.Tensor, target: torch.Tensor):
        full = self.stft_losses[0].output == "full"
        total = None
        parts: list[list] = [[], [], [], []]
        for f in self.stft_losses:
            out = f(input, target)
            loss = out[0] if full else out
            total = loss if total is None else total + loss
            if full:
                for i in range(4):
                    parts[i].append(out[i + 1])
        total = total / len(self.stft_losses)
        return (total, *parts) if full else total
