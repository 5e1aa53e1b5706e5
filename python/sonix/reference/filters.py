"""Plain-torch IIR oracles (float64-capable, slow: a Python loop over time). Also the documentation of
what ``sonix::lfilter`` computes: scipy's transposed direct form II with state zi."""

from __future__ import annotations

import torch


def lfilter(
    x: torch.Tensor, a: torch.Tensor, b: torch.Tensor, zi: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """x (..., T); a, b (..., n) (same n, broadcast against x's leading dims); zi (..., n - 1).

    Returns (y, zf): ``y[t] = (b[0] x[t] + z[0]) / a[0]`` and
    ``z[k] <- z[k + 1] + (b[k + 1] x[t] - a[k + 1] y[t]) / a[0]`` with coefficients normalised by a[0].
    """
    b = b / a[..., :1]
    a = a / a[..., :1]
    n = a.shape[-1]
    lead = torch.broadcast_shapes(x.shape[:-1], a.shape[:-1], b.shape[:-1])
    z = (
        torch.zeros(lead + (n - 1,), dtype=x.dtype, device=x.device)
        if zi is None
        else zi.expand(lead + (n - 1,)).clone()
    )
    x = x.expand(lead + x.shape[-1:])
    ys = []
    for t in range(x.shape[-1]):
        xt = x[..., t]
        yt = b[..., 0] * xt + (z[..., 0] if n > 1 else 0)
        if n > 1:
            shifted = torch.cat([z[..., 1:], torch.zeros_like(z[..., :1])], -1)
            z = shifted + b[..., 1:] * xt[..., None] - a[..., 1:] * yt[..., None]
        ys.append(yt)
    return torch.stack(ys, -1), z


def sosfilt(x: torch.Tensor, sos: torch.Tensor) -> torch.Tensor:
    """Cascade of sections (..., n_sections, 6) along x's last axis, zero initial state."""
    for s in range(sos.shape[-2]):
        x, _ = lfilter(x, sos[..., s, 3:], sos[..., s, :3])
    return x
