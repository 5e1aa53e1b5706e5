"""Python side of the loss custom ops: fake (meta) kernels and autograd.

``sonix::stft_loss_sums`` returns per-row sums (batch, 4) from which the STFT losses are built with
ordinary torch ops (see :mod:`sonix.functional.losses`); its backward is the custom op
``sonix::stft_loss_sums_backward``, which recomputes the spectra block by block.
"""

from __future__ import annotations

import torch

from .. import _loader  # noqa: F401  (registers torch.ops.sonix)

_ops = torch.ops.sonix

N_TERMS = 4
"""Columns of stft_loss_sums: sum (|Y|-|X|)^2, sum |Y|^2, sum dist(ln|Y| - ln|X|), sum dist(|Y| - |X|)."""


def _real_of(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


@torch.library.register_fake("sonix::stft_loss_sums")
def _stft_loss_sums_fake(input, target, window, n_fft, hop_length, center, pad_mode, eps, distance):
    return input.new_empty((input.shape[0], N_TERMS), dtype=_real_of(input.dtype))


@torch.library.register_fake("sonix::stft_loss_sums_backward")
def _stft_loss_sums_backward_fake(
    grad,
    input,
    target,
    window,
    n_fft,
    hop_length,
    center,
    pad_mode,
    eps,
    distance,
    input_grad,
    target_grad,
):
    ct = _real_of(input.dtype)
    gx = input.new_empty(input.shape if input_grad else (0,), dtype=ct)
    gy = input.new_empty(input.shape if target_grad else (0,), dtype=ct)
    return gx, gy


def _stft_loss_sums_setup(ctx, inputs, output):
    input, target, window, *args = inputs
    ctx.save_for_backward(input, target, window)
    ctx.args = args


def _stft_loss_sums_backward(ctx, grad):
    input, target, window = ctx.saved_tensors
    need_x, need_y = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
    gx, gy = _ops.stft_loss_sums_backward(grad, input, target, window, *ctx.args, need_x, need_y)
    return (
        gx.to(input.dtype) if need_x else None,
        gy.to(target.dtype) if need_y else None,
    ) + (None,) * 7


torch.library.register_autograd(
    "sonix::stft_loss_sums", _stft_loss_sums_backward, setup_context=_stft_loss_sums_setup
)
