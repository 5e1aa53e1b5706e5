"""Python side of the causal depthwise conv1d ops: fake (meta) kernels and autograd.

``sonix::causal_conv1d`` takes a (batch, channels, time) input and a (channels, width) weight; its
backward is its own op (``sonix::causal_conv1d_backward``: input, weight and bias gradients, the
parameter reductions done inside, deterministically). ``sonix::causal_conv1d_update`` is the
streaming step (inference: no autograd).
"""

from __future__ import annotations

import torch

from .. import _loader  # noqa: F401  (registers torch.ops.sonix)

_ops = torch.ops.sonix

ACTIVATIONS = ("none", "silu", "gelu", "glu")


def _out_channels(channels, activation: str):
    return channels // 2 if activation == "glu" else channels


@torch.library.register_fake("sonix::causal_conv1d")
def _causal_conv1d_fake(input, weight, bias, lengths, activation):
    batch, channels, time = input.shape
    return input.new_empty((batch, _out_channels(channels, activation), time))


@torch.library.register_fake("sonix::causal_conv1d_backward")
def _causal_conv1d_backward_fake(grad, input, weight, bias, lengths, activation):
    gx = torch.empty_like(input, memory_format=torch.contiguous_format)
    gw = weight.new_empty(weight.shape)
    gb = bias.new_empty(bias.shape) if bias is not None else weight.new_empty((0,))
    return gx, gw, gb


@torch.library.register_fake("sonix::causal_conv1d_update")
def _causal_conv1d_update_fake(input, conv_state, weight, bias, activation):
    batch, channels, chunk = input.shape
    y = input.new_empty((batch, _out_channels(channels, activation), chunk))
    return y, conv_state.new_empty(conv_state.shape)


def _setup(ctx, inputs, output):
    input, weight, bias, lengths, activation = inputs
    ctx.save_for_backward(input, weight, bias, lengths)
    ctx.activation = activation


def _backward(ctx, grad):
    input, weight, bias, lengths = ctx.saved_tensors
    gx, gw, gb = _ops.causal_conv1d_backward(grad, input, weight, bias, lengths, ctx.activation)
    return (
        gx if ctx.needs_input_grad[0] else None,
        gw if ctx.needs_input_grad[1] else None,
        gb if bias is not None and ctx.needs_input_grad[2] else None,
        None,
        None,
    )


torch.library.register_autograd("sonix::causal_conv1d", _backward, setup_context=_setup)
