"""Python side of the fused anti-aliased activation op: fake kernels and autograd.

``sonix::anti_alias_activation(input (B, C, T), alpha (C,), beta (C,) | None, up_filter (K_up,),
down_filter (K_down,), up_ratio, down_ratio, log_scale)`` computes BigVGAN's ``Activation1d`` with a
Snake (beta None) or SnakeBeta activation; the backward is ``sonix::anti_alias_activation_backward``.
The filters are constants (BigVGAN keeps them as buffers): they get no gradient.
"""

from __future__ import annotations

import torch

from .. import _loader  # noqa: F401  (registers torch.ops.sonix)

_ops = torch.ops.sonix


def output_length(length: int, up_ratio: int, down_ratio: int) -> int:
    """Samples out of the fused op for ``length`` samples in."""
    return (length * up_ratio - 1) // down_ratio + 1


@torch.library.register_fake("sonix::anti_alias_activation")
def _aa_fake(input, alpha, beta, up_filter, down_filter, up_ratio, down_ratio, log_scale):
    b, c, t = input.shape
    return input.new_empty((b, c, output_length(t, up_ratio, down_ratio)))


@torch.library.register_fake("sonix::anti_alias_activation_backward")
def _aa_backward_fake(
    grad, input, alpha, beta, up_filter, down_filter, up_ratio, down_ratio, log_scale
):
    gb = beta.new_empty(beta.shape) if beta is not None else alpha.new_empty((0,))
    return input.new_empty(input.shape), alpha.new_empty(alpha.shape), gb


def _aa_setup(ctx, inputs, output):
    input, alpha, beta, up_filter, down_filter, up_ratio, down_ratio, log_scale = inputs
    ctx.save_for_backward(input, alpha, beta, up_filter, down_filter)
    ctx.args = (up_ratio, down_ratio, log_scale)


def _aa_backward(ctx, grad):
    input, alpha, beta, up_filter, down_filter = ctx.saved_tensors
    gx, ga, gb = _ops.anti_alias_activation_backward(
        grad, input, alpha, beta, up_filter, down_filter, *ctx.args
    )
    return gx, ga, (gb if beta is not None else None), None, None, None, None, None


torch.library.register_autograd(
    "sonix::anti_alias_activation", _aa_backward, setup_context=_aa_setup
)
