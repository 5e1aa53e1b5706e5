"""Plain-Python / float64 references of the augmentation ops: Philox4x32-10 (checked against the
Random123 known-answer vectors in the tests), the keyed uniforms and normals built from it, and the
pointwise stage chain."""

from __future__ import annotations

import math

import torch

_M0, _M1, _W0, _W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
_U32 = 0xFFFFFFFF


def philox4x32_10(
    counter: tuple[int, int, int, int], key: tuple[int, int]
) -> tuple[int, int, int, int]:
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for _ in range(10):
        p0, p1 = _M0 * c0, _M1 * c2
        c0, c1, c2, c3 = (
            ((p1 >> 32) ^ c1 ^ k0) & _U32,
            p1 & _U32,
            ((p0 >> 32) ^ c3 ^ k1) & _U32,
            p0 & _U32,
        )
        k0, k1 = (k0 + _W0) & _U32, (k1 + _W1) & _U32
    return c0, c1, c2, c3


def _block(
    seed: int, step: int, stream: int, row_key: int, block: int
) -> tuple[int, int, int, int]:
    s, rk = seed & ((1 << 64) - 1), row_key & ((1 << 64) - 1)
    channel = (rk >> 32) & 0xFFFF
    counter = (block & _U32, (stream & 0xFFFF) | (channel << 16), rk & _U32, step & _U32)
    return philox4x32_10(counter, (s & _U32, s >> 32))


def keyed_uniform(seed: int, step: int, stream: int, row_key: int, count: int) -> list[float]:
    """The float64 uniforms of one row, as ``sonix::keyed_uniform`` computes them."""
    out = []
    for j in range(count):
        w = _block(seed, step, stream, row_key, j >> 1)
        hi, lo = (w[0], w[1]) if j % 2 == 0 else (w[2], w[3])
        out.append((((hi >> 5) << 26) | (lo >> 6)) / 2.0**53)
    return out


def keyed_normal(seed: int, step: int, stream: int, row_key: int, count: int) -> list[float]:
    """The float64 standard normals of one row, as ``sonix::keyed_normal`` computes them (53-bit
    uniforms; the float32 path uses :func:`keyed_normal_f32_inputs`)."""
    u = keyed_uniform(seed, step, stream, row_key, 2 * ((count + 1) // 2))
    out = []
    for j in range(count):
        u0, u1 = u[2 * (j >> 1)], u[2 * (j >> 1) + 1]
        r = math.sqrt(-2.0 * math.log(1.0 - u0))
        out.append(r * (math.sin(2 * math.pi * u1) if j % 2 else math.cos(2 * math.pi * u1)))
    return out


def keyed_normal_f32(seed: int, step: int, stream: int, row_key: int, count: int) -> list[float]:
    """The float32 path's normals in float64 math: Box-Muller over 24-bit uniforms from words 0 and 2
    of each block (the op computes the same in float32, to a few ulp)."""
    out = []
    for j in range(count):
        w = _block(seed, step, stream, row_key, j >> 1)
        r = math.sqrt(-2.0 * math.log(1.0 - (w[0] >> 8) / 2.0**24))
        a = 2 * math.pi * (w[2] >> 8) / 2.0**24
        out.append(r * (math.sin(a) if j % 2 else math.cos(a)))
    return out


def pointwise_chain(x: torch.Tensor, params: torch.Tensor, kinds: list[int]) -> torch.Tensor:
    """The stage chain on x (rows, time) in float64, one row at a time (stage codes as in
    sonix.ops.augment: 0 gain, 1 hard clip, 2 tanh, 3 quantize)."""
    x = x.to(torch.float64)
    out = []
    for r in range(x.shape[0]):
        v = x[r]
        for s, kind in enumerate(kinds):
            p0, p1 = float(params[r, s, 0]), float(params[r, s, 1])
            if kind == 0:
                v = v * p0
            elif kind == 1:
                v = v.clamp(-p0, p0)
            elif kind == 2 and p0 != 0:
                v = p1 * torch.tanh(p0 * v)
            elif kind == 3 and p0 != 0:
                v = torch.round(v * p0) / p0
        out.append(v)
    return torch.stack(out)
