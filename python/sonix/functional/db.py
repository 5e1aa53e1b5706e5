"""Amplitude / power to decibels, and top_db clamping, on the fused ``sonix::log_compress`` op."""

from __future__ import annotations

import math

import torch

from ..ops._checks import check_audio

_ops = torch.ops.sonix
_LN10 = math.log(10.0)


def apply_top_db(db: torch.Tensor, top_db: float, dims: int = 2) -> torch.Tensor:
    """Clamps each example to (its max - top_db); the max is taken over the last ``dims`` dims.

    ``dims=2`` treats every (..., freq, time) spectrogram separately (per example and channel).
    """
    if top_db < 0:
        raise ValueError(f"sonix: top_db must be non-negative, got {top_db}")
    peak = db.amax(dim=tuple(range(-dims, 0)), keepdim=True)
    return torch.maximum(db, peak - top_db)


def _to_db(x: torch.Tensor, multiplier: float, amin: float, ref, top_db: float | None, dims: int) -> torch.Tensor:
    check_audio(x, "input")
    if not amin > 0:
        raise ValueError(f"sonix: amin must be > 0, got {amin}")
    if isinstance(ref, str):
        if ref != "max":
            raise ValueError(f"sonix: ref must be a positive number or 'max', got {ref!r}")
        db = _ops.log_compress(x, multiplier / _LN10, 0.0, amin, 0.0)
        db = db - db.amax(dim=tuple(range(-dims, 0)), keepdim=True)
    else:
        if not ref > 0:
            raise ValueError(f"sonix: ref must be > 0, got {ref}")
        db = _ops.log_compress(x, multiplier / _LN10, 0.0, amin, -multiplier * math.log10(max(amin, ref)))
    return apply_top_db(db, top_db, dims) if top_db is not None else db


def power_to_db(
    S: torch.Tensor, ref: float | str = 1.0, amin: float = 1e-10, top_db: float | None = 80.0, dims: int = 2
) -> torch.Tensor:
    """``10 log10(max(S, amin) / max(ref, amin))``, clamped to max - top_db per example.

    ``ref="max"`` uses each example's maximum. Any shape (..., freq, time); autograd; compiles.
    """
    return _to_db(S, 10.0, amin, ref, top_db, dims)


def amplitude_to_db(
    S: torch.Tensor, ref: float | str = 1.0, amin: float = 1e-5, top_db: float | None = 80.0, dims: int = 2
) -> torch.Tensor:
    """``20 log10(max(S, amin) / max(ref, amin))``, clamped to max - top_db per example."""
    return _to_db(S, 20.0, amin, ref, top_db, dims)


def amplitude_to_DB(  # noqa: N802 (torchaudio's name)
    x: torch.Tensor, multiplier: float, amin: float, db_multiplier: float, top_db: float | None = None
) -> torch.Tensor:
    """torchaudio.functional.amplitude_to_DB, same arguments and per-example top_db packing."""
    check_audio(x, "x")
    y = _ops.log_compress(x, multiplier / _LN10, 0.0, amin, -multiplier * db_multiplier)
    if top_db is None:
        return y
    shape = y.shape
    packed = shape[-3] if y.dim() > 2 else 1
    y = y.reshape(-1, packed, shape[-2], shape[-1])
    y = torch.maximum(y, (y.amax(dim=(-3, -2, -1)) - top_db).view(-1, 1, 1, 1))
    return y.reshape(shape)
