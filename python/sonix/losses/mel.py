"""Multi-scale mel loss of DAC (``dac.nn.loss.MelSpectrogramLoss``) and BigVGAN, on the fused mel op."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..functional import losses as F


class MultiScaleMelLoss(torch.nn.Module):
    """Sum over scales of ``log_weight * L1(pow * log_b(max(mel, clamp_eps)))`` and
    ``mag_weight * L1(mel)`` between magnitude mel spectrograms of prediction and target.

    Defaults are DAC's ``MelSpectrogramLoss``: n_mels (150, 80), window_lengths (2048, 512), hop =
    window // 4, clamp_eps 1e-5, mag_weight 1, log_weight 1, pow 2, log10, Slaney mel filterbank
    (librosa's) from mel_fmin to mel_fmax (None: Nyquist), periodic hann, centred reflect-padded STFT.
    BigVGAN v2's loss: ``n_mels=(5, 10, 20, 40, 80, 160, 320)``, ``window_lengths=(32, ..., 2048)``,
    ``mag_weight=0``, ``pow=1`` (BigVGAN v1's L1 of ``ln(max(mel, 1e-5))``: ``log_base="e"``; its
    ``sqrt(|X|^2 + 1e-9)`` magnitude and uncentred framing are not reproduced).

    ``weight`` is stored and not applied, as in DAC (its training loop scales each loss by it).

    ``forward(input, target)``: same shape (..., time), any float dtype, CPU or CUDA; a scalar
    (float64 for float64 inputs, else float32). Differentiable w.r.t. both; compiles.
    """

    def __init__(
        self,
        sample_rate: float = 44100,
        n_mels: Sequence[int] = (150, 80),
        window_lengths: Sequence[int] = (2048, 512),
        hop_lengths: Sequence[int] | None = None,
        mel_fmin: Sequence[float] = (0.0, 0.0),
        mel_fmax: Sequence[float | None] = (None, None),
        clamp_eps: float = 1e-5,
        mag_weight: float = 1.0,
        log_weight: float = 1.0,
        pow: float = 2.0,
        log_base: str = "10",
        weight: float = 1.0,
    ) -> None:
        super().__init__()
        self.sample_rate = sample_rate
        self.n_mels, self.window_lengths = list(n_mels), list(window_lengths)
        self.hop_lengths = (
            [w // 4 for w in window_lengths] if hop_lengths is None else list(hop_lengths)
        )
        self.mel_fmin, self.mel_fmax = list(mel_fmin), list(mel_fmax)
        self.clamp_eps, self.mag_weight, self.log_weight, self.pow = (
            clamp_eps,
            mag_weight,
            log_weight,
            pow,
        )
        self.log_base, self.weight = log_base, weight

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.multi_scale_mel_loss(
            input,
            target,
            self.sample_rate,
            self.n_mels,
            self.window_lengths,
            self.hop_lengths,
            self.mel_fmin,
            self.mel_fmax,
            self.clamp_eps,
            self.mag_weight,
            self.log_weight,
            self.pow,
            self.log_base,
        )
