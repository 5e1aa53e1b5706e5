"""Counter-based randomness for augmentation: every number is a pure function of
(seed, step, example id, channel, stream, slot), computed by Philox4x32-10 in the ``sonix::keyed_uniform``
and ``sonix::keyed_normal`` ops (CPU and CUDA give the same uniforms bit for bit).

An example therefore gets the same augmentation whatever batch it sits in, whatever the batch size,
device or DDP rank, as long as it is given the same example id and step. No global RNG state is read
or advanced.
"""

from __future__ import annotations

import math
import secrets
import zlib

import torch

from ..ops import augment as _aug  # noqa: F401  (fake kernels)

_ops = torch.ops.sonix

MODES = ("per_example", "per_channel", "per_batch")
BATCH_ID = 0xFFFFFFFF  # the example id every per_batch draw uses
NOISE_STREAM_BIT = 0x8000  # streams of sample-level noise, apart from the parameter streams
_MASK63 = (1 << 63) - 1


def resolve_seed(seed: int | torch.Generator | None) -> int:
    """An int seed as given; a torch.Generator: one 63-bit draw from it (taken once, at construction);
    None: a fresh random seed from the OS (not reproducible: pass a seed to reproduce a run)."""
    if seed is None:
        return secrets.randbits(63)
    if isinstance(seed, torch.Generator):
        return int(
            torch.randint(
                0, _MASK63, (1,), generator=seed, dtype=torch.int64, device=seed.device
            ).item()
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(
            f"sonix: seed must be an int, a torch.Generator or None, got {type(seed).__name__}"
        )
    return seed & ((1 << 64) - 1) if seed >= 0 else seed & _MASK63


def default_stream(name: str) -> int:
    """A stable 15-bit stream id from a name (a transform's class name)."""
    return zlib.crc32(name.encode()) & 0x7FFF


def row_keys(example_ids: torch.Tensor, channels: int, mode: str) -> torch.Tensor:
    """The int64 row keys of a draw: (batch,) per example, (batch * channels,) per channel, (1,) per batch."""
    if mode == "per_batch":
        return torch.full((1,), BATCH_ID, dtype=torch.int64, device=example_ids.device)
    ids = example_ids & 0xFFFFFFFF
    if mode == "per_example":
        return ids
    ch = torch.arange(channels, dtype=torch.int64, device=example_ids.device) << 32
    return (ids[:, None] | ch[None, :]).reshape(-1)


class Draws:
    """The random numbers of one transform in one call.

    Parameter draws have shape (batch, channels_p, ...) with channels_p = channels per channel, 1
    otherwise (per_batch draws are the same for every example). Slot 0 is the apply decision; every
    call of :meth:`uniform` takes the next slots, so the parameters of a transform come in the order it
    draws them.
    """

    def __init__(
        self, seed: int, step: int, stream: int, mode: str, example_ids: torch.Tensor, channels: int
    ):
        self.seed, self.step, self.stream, self.mode = seed, step, stream, mode
        self.example_ids, self.channels = example_ids, channels
        self.batch = example_ids.shape[0]
        self.channels_p = channels if mode == "per_channel" else 1
        self.keys = row_keys(example_ids, channels, mode)
        self._next = 1
        self._noise = 0

    def _seed_arg(self) -> int:
        # The op takes a signed int64; the bits are what matter.
        return self.seed - (1 << 64) if self.seed >= 1 << 63 else self.seed

    def _at(self, first: int, count: int) -> torch.Tensor:
        u = _ops.keyed_uniform(self.keys, self._seed_arg(), self.step, self.stream, first + count)[
            :, first:
        ]
        u = u.reshape(-1, self.channels_p, count)
        return u.expand(self.batch, self.channels_p, count) if self.mode == "per_batch" else u

    def applied(self, p: float, active: torch.Tensor | None = None) -> torch.Tensor:
        """(batch, channels_p) bool: u < p, and the example is active (selected by a parent)."""
        mask = self._at(0, 1)[..., 0] < p
        return mask if active is None else mask & active[:, None]

    def uniform(self, n: int | None = None) -> torch.Tensor:
        """float64 uniforms in [0, 1): (batch, channels_p), or (batch, channels_p, n)."""
        count = 1 if n is None else n
        u = self._at(self._next, count)
        self._next += count
        return u[..., 0] if n is None else u

    def between(self, low: float, high: float) -> torch.Tensor:
        """Uniform in [low, high], float64 (batch, channels_p)."""
        return low + (high - low) * self.uniform()

    def log_between(self, low: float, high: float) -> torch.Tensor:
        """Log-uniform in [low, high] (both > 0), float64 (batch, channels_p)."""
        return torch.exp(math.log(low) + (math.log(high) - math.log(low)) * self.uniform())

    def integers(self, low: int, high: int) -> torch.Tensor:
        """Uniform integers in [low, high] (inclusive), int64 (batch, channels_p)."""
        k = torch.floor(self.uniform() * (high - low + 1)).to(torch.int64)
        return low + k.clamp_max(high - low)

    def normal(self, count: int, dtype: torch.dtype) -> torch.Tensor:
        """Standard normal noise, (batch, channels, count), one independent sequence per example and
        channel whatever the mode (the k-th call of a transform draws its k-th noise stream)."""
        stream = (self.stream + 0x101 * self._noise) & 0x7FFF | NOISE_STREAM_BIT
        self._noise += 1
        keys = row_keys(self.example_ids, self.channels, "per_channel")
        n = _ops.keyed_normal(keys, self._seed_arg(), self.step, stream, count, dtype)
        return n.reshape(self.batch, self.channels, count)

    def gamma(self, shape: float) -> torch.Tensor:
        """Gamma(shape, 1) variates, float64 (batch, channels_p), by Marsaglia-Tsang with 16 keyed
        proposals per row (shape < 1: boosted by U^(1/shape)); the chance that all 16 are rejected is
        below 1e-20, and the last proposal is then kept."""
        if not shape > 0:
            raise ValueError(f"sonix: gamma shape must be > 0, got {shape}")
        boost = shape < 1
        a = shape + 1 if boost else shape
        d = a - 1.0 / 3.0
        c = 1.0 / math.sqrt(9.0 * d)
        k = 16
        u = self.uniform(3 * k)
        u1, u2, u3 = u[..., :k], u[..., k : 2 * k], u[..., 2 * k :]
        z = torch.sqrt(-2 * torch.log1p(-u1)) * torch.cos(2 * math.pi * u2)
        v = (1 + c * z) ** 3
        ok = (v > 0) & (
            torch.log1p(-u3) < 0.5 * z**2 + d - d * v + d * torch.log(v.clamp_min(1e-300))
        )
        first = torch.where(
            ok.any(-1),
            ok.to(torch.int8).argmax(-1),
            torch.full_like(ok[..., 0], k - 1, dtype=torch.int64),
        )
        g = d * v.clamp_min(0).gather(-1, first[..., None])[..., 0]
        if boost:
            g = g * self.uniform() ** (1.0 / shape)
        return g

    def beta(self, a: float, b: float) -> torch.Tensor:
        """Beta(a, b) variates, float64 (batch, channels_p), as X / (X + Y) of two gamma variates."""
        x = self.gamma(a)
        y = self.gamma(b)
        return x / (x + y).clamp_min(1e-300)
