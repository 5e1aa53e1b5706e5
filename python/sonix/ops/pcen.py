"""Python side of the PCEN op: fake kernels and autograd (the backward is ``sonix::pcen_backward``)."""

from __future__ import annotations

import torch

from .. import _loader  # noqa: F401  (registers torch.ops.sonix)

_ops = torch.ops.sonix


def _state_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


@torch.library.register_fake("sonix::pcen")
def _pcen_fake(input, s, alpha, delta, r, initial_state, eps):
    b, c, _ = input.shape
    return input.new_empty(input.shape), input.new_empty((b, c), dtype=_state_dtype(input.dtype))


@torch.library.register_fake("sonix::pcen_backward")
def _pcen_backward_fake(grad, grad_state, input, s, alpha, delta, r, initial_state, eps):
    b, c, _ = input.shape
    return (
        input.new_empty(input.shape),
        s.new_empty(s.shape),
        alpha.new_empty(alpha.shape),
        delta.new_empty(delta.shape),
        r.new_empty(r.shape),
        input.new_empty((b, c), dtype=_state_dtype(input.dtype)),
    )


def _pcen_setup(ctx, inputs, output):
    input, s, alpha, delta, r, initial_state, eps = inputs
    ctx.save_for_backward(input, s, alpha, delta, r, initial_state)
    ctx.eps = eps


def _pcen_backward(ctx, grad, grad_state):
    input, s, alpha, delta, r, initial_state = ctx.saved_tensors
    gx, gs, ga, gd, gr, gm0 = _ops.pcen_backward(
        grad, grad_state, input, s, alpha, delta, r, initial_state, ctx.eps
    )
    gm0 = gm0.to(initial_state.dtype) if initial_state is not None else None
    return gx, gs, ga, gd, gr, gm0, None


torch.library.register_autograd("sonix::pcen", _pcen_backward, setup_context=_pcen_setup)
