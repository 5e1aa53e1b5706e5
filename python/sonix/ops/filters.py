"""Python side of the IIR filter ops: fake kernels, autograd, and the general ``lfilter`` wrapper.

``torch.ops.sonix.lfilter(x, a, b, zi)`` filters x (channels, time) with per-channel coefficients
(channels, order + 1) normalised by ``a[:, 0]`` (the op ignores that column) in the compute type
(float32; float64 for float64 input). It runs w = FIR_b(x) + zi, y = all-pole_a(w), which is scipy's
transposed direct form II with initial state zi, and also returns the final state zf, so filtering a
signal in chunks (zf of one chunk as zi of the next) equals filtering it whole.

Unstable filters (poles on or outside the unit circle) are not refused by the op: it computes what the
recurrence gives, which grows without bound. Use :func:`check_stability` (or the design functions,
which only build stable filters) to refuse them with a clear error.
"""

from __future__ import annotations

import torch

from .. import _loader  # noqa: F401  (registers torch.ops.sonix)
from ._checks import check_audio

_ops = torch.ops.sonix


def _acc_of(dtype: torch.dtype) -> torch.dtype:
    return torch.float64 if dtype == torch.float64 else torch.float32


@torch.library.register_fake("sonix::lfilter")
def _lfilter_fake(x, a, b, zi):
    y = torch.empty_like(x, memory_format=torch.contiguous_format)
    return y, a.new_empty((x.shape[0], a.shape[1] - 1))


@torch.library.register_fake("sonix::lfilter_backward")
def _lfilter_backward_fake(grad_y, grad_zf, x, y, a, b, coef_grads):
    gx = torch.empty_like(x, memory_format=torch.contiguous_format)
    return gx, torch.empty_like(a), torch.empty_like(b), a.new_empty((x.shape[0], a.shape[1] - 1))


def _lfilter_setup(ctx, inputs, output):
    x, a, b, zi = inputs
    ctx.save_for_backward(x, output[0], a, b)
    ctx.has_zi = zi is not None


def _lfilter_backward(ctx, grad_y, grad_zf):
    x, y, a, b = ctx.saved_tensors
    if grad_y is None:
        grad_y = torch.zeros_like(y)
    coef = bool(ctx.needs_input_grad[1] or ctx.needs_input_grad[2])
    gx, ga, gb, gzi = _ops.lfilter_backward(grad_y, grad_zf, x, y, a, b, coef)
    return gx, (ga if coef else None), (gb if coef else None), (gzi if ctx.has_zi else None)


torch.library.register_autograd("sonix::lfilter", _lfilter_backward, setup_context=_lfilter_setup)


# ---- public wrapper --------------------------------------------------------------------------------


def _as_coeffs(c, name: str, like: torch.Tensor) -> torch.Tensor:
    if not isinstance(c, torch.Tensor):
        c = torch.as_tensor(c, device=like.device)
        if not c.is_floating_point():
            c = c.to(_acc_of(like.dtype))
    if not c.is_floating_point():
        raise TypeError(f"sonix: {name} must be a floating-point tensor, got {c.dtype}")
    if c.dim() == 0 or c.shape[-1] == 0:
        raise ValueError(
            f"sonix: {name} must have shape (..., taps) with taps >= 1, got {tuple(c.shape)}"
        )
    if c.device != like.device:
        raise ValueError(
            f"sonix: {name} and x must be on the same device, got {c.device} and {like.device}"
        )
    return c


def _check_a0(a: torch.Tensor) -> None:
    """Refuses a[..., 0] == 0 (reads the values: skipped under torch.compile, a host sync on CUDA)."""
    if torch.compiler.is_compiling():
        return
    if bool((a[..., 0] == 0).any()):
        raise ValueError("sonix: a[..., 0] (the normaliser of the filter) must be non-zero, got 0")


def lfilter(
    x: torch.Tensor, a: torch.Tensor, b: torch.Tensor, zi: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """IIR filter along the last axis: ``a[0] y[n] = sum_i b[i] x[n-i] - sum_{i>=1} a[i] y[n-i]``.

    Args:
        x: signal (..., time), float16 / bfloat16 / float32 / float64, CPU or CUDA.
        a: denominator (..., na), ``a[..., 0] != 0``; leading dims broadcast against x's leading dims,
            so coefficients may be shared, per example or per channel.
        b: numerator (..., nb), same broadcasting. a and b are zero-padded to ``max(na, nb)`` taps.
        zi: initial state (..., max(na, nb) - 1) (scipy's transposed direct form II state, e.g. from
            :func:`sonix.functional.lfilter_zi` times the first sample), or None for rest.

    Returns:
        ``(y, zf)``: y (broadcast leading dims..., time) in x's dtype; zf (..., max(na, nb) - 1), the
        final state in the compute dtype, to pass as zi of the next chunk. The compute dtype is
        float64 for float64 x and float32 otherwise (float16 / bfloat16 x are widened); coefficients
        and zi are cast to it.

    Differentiable w.r.t. x, a, b and zi (backward is the custom op ``sonix::lfilter_backward``);
    traces under ``torch.compile(fullgraph=True)``. Raises ValueError when ``a[..., 0] == 0`` (checked
    eagerly; under torch.compile the check is skipped and the output is inf / NaN). Poles outside the
    unit circle are not refused here: see :func:`check_stability`.
    """
    check_audio(x, "x")
    a = _as_coeffs(a, "a", x)
    b = _as_coeffs(b, "b", x)
    acc = _acc_of(x.dtype)
    a = a.to(acc)
    b = b.to(acc)
    _check_a0(a)
    n = max(a.shape[-1], b.shape[-1])
    if a.shape[-1] < n:
        a = torch.nn.functional.pad(a, (0, n - a.shape[-1]))
    if b.shape[-1] < n:
        b = torch.nn.functional.pad(b, (0, n - b.shape[-1]))
    a0 = a[..., :1]
    a = a / a0
    b = b / a0
    shapes = [x.shape[:-1], a.shape[:-1], b.shape[:-1]]
    if zi is not None:
        if not isinstance(zi, torch.Tensor) or not zi.is_floating_point():
            raise TypeError("sonix: zi must be a floating-point tensor")
        if zi.dim() == 0 or zi.shape[-1] != n - 1:
            raise ValueError(
                f"sonix: zi must have shape (..., {n - 1}) (max(len(a), len(b)) - 1), got {tuple(zi.shape)}"
            )
        if zi.device != x.device:
            raise ValueError(
                f"sonix: zi and x must be on the same device, got {zi.device} and {x.device}"
            )
        zi = zi.to(acc)
        shapes.append(zi.shape[:-1])
    try:
        lead = torch.broadcast_shapes(*shapes)
    except RuntimeError as exc:
        raise ValueError(
            f"sonix: leading dims of x {tuple(x.shape)}, a {tuple(a.shape)}, b {tuple(b.shape)}"
            + (f", zi {tuple(zi.shape)}" if zi is not None else "")
            + " do not broadcast"
        ) from exc
    T = x.shape[-1]
    x2 = x.expand(lead + (T,)).reshape(-1, T)
    rows = x2.shape[0]
    a2 = a.expand(lead + (n,)).reshape(rows, n).contiguous()
    b2 = b.expand(lead + (n,)).reshape(rows, n).contiguous()
    zi2 = zi.expand(lead + (n - 1,)).reshape(rows, n - 1).contiguous() if zi is not None else None
    y, zf = _ops.lfilter(x2, a2, b2, zi2)
    return y.reshape(lead + (T,)), zf.reshape(lead + (n - 1,))


def check_stability(a: torch.Tensor, name: str = "a", margin: float = 0.0) -> None:
    """Raises ValueError when a denominator (..., taps) has a pole with ``|p| >= 1 - margin``.

    Reads the values (a host sync on CUDA); meant for validating user-given or learned coefficients
    before filtering, since :func:`lfilter` computes whatever the recurrence gives.
    """
    a = torch.as_tensor(a)
    if a.dim() == 0:
        raise ValueError(f"sonix: {name} must have shape (..., taps), got a scalar")
    a = a.detach().to("cpu", torch.float64)
    if bool((a[..., 0] == 0).any()):
        raise ValueError(f"sonix: {name}[..., 0] must be non-zero, got 0")
    order = a.shape[-1] - 1
    if order == 0:
        return
    rows = a.reshape(-1, order + 1)
    comp = torch.zeros(rows.shape[0], order, order, dtype=torch.float64)
    comp[:, 0, :] = -rows[:, 1:] / rows[:, :1]
    if order > 1:
        comp[:, 1:, :-1] = torch.eye(order - 1, dtype=torch.float64)
    radius = torch.linalg.eigvals(comp).abs().max(dim=-1).values
    worst = float(radius.max())
    if not worst < 1.0 - margin:
        raise ValueError(
            f"sonix: {name} is not a stable filter: largest pole magnitude {worst:.6g} must be < {1.0 - margin:g}"
        )
