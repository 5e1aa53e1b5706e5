"""Python side of the Snake ops: fake (meta) kernels and autograd.

``sonix::snake`` takes a (batch, channels, time) input and per-channel (channels,) parameters; the
backward is its own op (``sonix::snake_backward``) returning the input gradient and the per-channel
parameter gradients (reduced inside the op, deterministically), so both trace under torch.compile.
"""

from __future__ import annotations

import torch

from .. import _loader  # noqa: F401  (registers torch.ops.sonix)

_ops = torch.ops.sonix


@torch.library.register_fake("sonix::snake")
def _snake_fake(input, alpha, beta, logscale):
    return torch.empty_like(input, memory_format=torch.contiguous_format)


@torch.library.register_fake("sonix::snake_backward")
def _snake_backward_fake(grad, input, alpha, beta, logscale):
    gx = torch.empty_like(input, memory_format=torch.contiguous_format)
    ga = alpha.new_empty(alpha.shape)
    gb = beta.new_empty(beta.shape) if beta is not None else alpha.new_empty((0,))
    return gx, ga, gb


def _snake_setup(ctx, inputs, output):
    input, alpha, beta, logscale = inputs
    ctx.save_for_backward(input, alpha, beta)
    ctx.logscale = logscale


def _snake_backward(ctx, grad):
    input, alpha, beta = ctx.saved_tensors
    gx, ga, gb = _ops.snake_backward(grad, input, alpha, beta, ctx.logscale)
    return (
        gx if ctx.needs_input_grad[0] else None,
        ga if ctx.needs_input_grad[1] else None,
        gb if beta is not None and ctx.needs_input_grad[2] else None,
        None,
    )


torch.library.register_autograd("sonix::snake", _snake_backward, setup_context=_snake_setup)
