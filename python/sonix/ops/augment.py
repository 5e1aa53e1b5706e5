"""Python side of the augmentation ops: fake (meta) kernels and autograd.

``sonix::keyed_uniform`` / ``sonix::keyed_normal`` draw counter-based random numbers for row keys;
``sonix::augment_pointwise`` applies a fused chain of per-row pointwise stages, with its backward as
its own op (``sonix::augment_pointwise_backward``; the drawn parameters get no gradient).
"""

from __future__ import annotations

import torch

from .. import _loader  # noqa: F401  (registers torch.ops.sonix)

_ops = torch.ops.sonix

# Stage codes of the fused chain (csrc/augment/pointwise_math.h).
GAIN, HARD_CLIP, TANH, QUANTIZE = 0, 1, 2, 3
MAX_STAGES = 16


@torch.library.register_fake("sonix::keyed_uniform")
def _keyed_uniform_fake(keys, seed, step, stream, count):
    return keys.new_empty((keys.shape[0], count), dtype=torch.float64)


@torch.library.register_fake("sonix::keyed_normal")
def _keyed_normal_fake(keys, seed, step, stream, count, dtype):
    return keys.new_empty((keys.shape[0], count), dtype=dtype)


@torch.library.register_fake("sonix::augment_pointwise")
def _pointwise_fake(input, params, kinds):
    return torch.empty_like(input, memory_format=torch.contiguous_format)


@torch.library.register_fake("sonix::augment_pointwise_backward")
def _pointwise_backward_fake(grad, input, params, kinds):
    return torch.empty_like(input, memory_format=torch.contiguous_format)


def _pointwise_setup(ctx, inputs, output):
    input, params, kinds = inputs
    ctx.save_for_backward(input, params)
    ctx.kinds = kinds


def _pointwise_backward(ctx, grad):
    input, params = ctx.saved_tensors
    gx = (
        _ops.augment_pointwise_backward(grad, input, params, ctx.kinds)
        if ctx.needs_input_grad[0]
        else None
    )
    return gx, None, None


torch.library.register_autograd(
    "sonix::augment_pointwise", _pointwise_backward, setup_context=_pointwise_setup
)


def pointwise_chain(x: torch.Tensor, params: torch.Tensor, kinds: list[int]) -> torch.Tensor:
    """Applies the fused stage chain to x (rows, time); params (rows, len(kinds), 2)."""
    return _ops.augment_pointwise(x, params, kinds)
