"""Python side of the resampling custom ops: fake (meta) kernels and autograd.

Both ops are linear in the signal; their backward ops are the adjoint (transposed polyphase)
resamplers, custom ops themselves, whose own gradients are the forward ops again (so double
backward works and everything traces under torch.compile(fullgraph=True)). The tap table and the
rates are constants: no gradient flows to them.
"""

from __future__ import annotations

import torch

from .. import _loader  # noqa: F401  (registers torch.ops.sonix)

_ops = torch.ops.sonix


# ---- resample_poly (tap table) -------------------------------------------------------------------


@torch.library.register_fake("sonix::resample_poly")
def _poly_fake(input, taps, orig, up, left, in_offset, out_start, out_len):
    return input.new_empty((input.shape[0], out_len))


@torch.library.register_fake("sonix::resample_poly_backward")
def _poly_backward_fake(grad, taps, orig, up, left, in_offset, out_start, in_len):
    return grad.new_empty((grad.shape[0], in_len))


def _poly_setup(ctx, inputs, output):
    input, taps, orig, up, left, in_offset, out_start, out_len = inputs
    ctx.save_for_backward(taps)
    ctx.args = (orig, up, left, in_offset, out_start)
    ctx.in_len = input.shape[1]


def _poly_backward(ctx, grad):
    (taps,) = ctx.saved_tensors
    gx = _ops.resample_poly_backward(grad, taps, *ctx.args, ctx.in_len)
    return gx, None, None, None, None, None, None, None


torch.library.register_autograd("sonix::resample_poly", _poly_backward, setup_context=_poly_setup)


def _poly_adj_setup(ctx, inputs, output):
    grad, taps, orig, up, left, in_offset, out_start, in_len = inputs
    ctx.save_for_backward(taps)
    ctx.args = (orig, up, left, in_offset, out_start)
    ctx.out_len = grad.shape[1]


def _poly_adj_backward(ctx, gg):
    (taps,) = ctx.saved_tensors
    return (
        _ops.resample_poly(gg, taps, *ctx.args, ctx.out_len),
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    )


torch.library.register_autograd(
    "sonix::resample_poly_backward", _poly_adj_backward, setup_context=_poly_adj_setup
)


# ---- resample_varying (a source rate per row, taps computed in the kernel) ------------------------


@torch.library.register_fake("sonix::resample_varying")
def _varying_fake(input, orig, up, left, n_taps, rolloff, lpw, window, beta, out_len):
    return input.new_empty((input.shape[0], out_len))


@torch.library.register_fake("sonix::resample_varying_backward")
def _varying_backward_fake(grad, orig, up, left, n_taps, rolloff, lpw, window, beta, in_len):
    return grad.new_empty((grad.shape[0], in_len))


def _varying_setup(ctx, inputs, output):
    input, orig, *args, out_len = inputs
    ctx.save_for_backward(orig)
    ctx.args = args
    ctx.in_len = input.shape[1]


def _varying_backward(ctx, grad):
    (orig,) = ctx.saved_tensors
    gx = _ops.resample_varying_backward(grad, orig, *ctx.args, ctx.in_len)
    return (gx,) + (None,) * 9


torch.library.register_autograd(
    "sonix::resample_varying", _varying_backward, setup_context=_varying_setup
)


def _varying_adj_setup(ctx, inputs, output):
    grad, orig, *args, in_len = inputs
    ctx.save_for_backward(orig)
    ctx.args = args
    ctx.out_len = grad.shape[1]


def _varying_adj_backward(ctx, gg):
    (orig,) = ctx.saved_tensors
    return (_ops.resample_varying(gg, orig, *ctx.args, ctx.out_len),) + (None,) * 9


torch.library.register_autograd(
    "sonix::resample_varying_backward", _varying_adj_backward, setup_context=_varying_adj_setup
)
