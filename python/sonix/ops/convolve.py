"""Python side of the convolution custom ops: fake kernels and autograd (w.r.t. input and kernel).

The backward is ``sonix::fftconvolve_backward`` (correlations with the gradient), a custom op too.
"""

from __future__ import annotations

import torch

from .. import _loader  # noqa: F401  (registers torch.ops.sonix)

_ops = torch.ops.sonix


def _result_dtype(a: torch.dtype, b: torch.dtype) -> torch.dtype:
    return torch.promote_types(a, b)


@torch.library.register_fake("sonix::fftconvolve")
def _fftconvolve_fake(input, kernel, method):
    rows, n = input.shape
    return input.new_empty(
        (rows, n + kernel.shape[1] - 1), dtype=_result_dtype(input.dtype, kernel.dtype)
    )


@torch.library.register_fake("sonix::fftconvolve_backward")
def _fftconvolve_backward_fake(grad, input, kernel, method):
    return torch.empty_like(input, memory_format=torch.contiguous_format), torch.empty_like(
        kernel, memory_format=torch.contiguous_format
    )


def _setup(ctx, inputs, output):
    input, kernel, method = inputs
    ctx.save_for_backward(input, kernel)
    ctx.method = method


def _backward(ctx, grad):
    input, kernel = ctx.saved_tensors
    gx, gh = _ops.fftconvolve_backward(grad, input, kernel, ctx.method)
    return (
        (gx if ctx.needs_input_grad[0] else None),
        (gh if ctx.needs_input_grad[1] else None),
        None,
    )


torch.library.register_autograd("sonix::fftconvolve", _backward, setup_context=_setup)
