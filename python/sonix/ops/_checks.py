"""Argument checks whose messages name the argument, what was expected and what was given."""

from __future__ import annotations

import torch


def check_audio(x: torch.Tensor, name: str = "waveform", min_dim: int = 1) -> None:
    """Refuses non-tensors, integer / complex / bool audio and empty tensors."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"sonix: {name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        hint = (
            " (integer PCM: convert first, e.g. x.float() / 32768 for int16)"
            if not x.is_complex() and x.dtype != torch.bool
            else ""
        )
        raise TypeError(
            f"sonix: {name} must be a floating-point tensor (float16, bfloat16, float32 or float64), "
            f"got {x.dtype}{hint}"
        )
    if x.dim() < min_dim:
        raise ValueError(
            f"sonix: {name} must have at least {min_dim} dimension(s) (..., time), got shape {tuple(x.shape)}"
        )
    if x.numel() == 0:
        raise ValueError(f"sonix: {name} must be non-empty, got shape {tuple(x.shape)}")


def check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"sonix: {name} must be a positive integer, got {value!r}")
    return value


def check_same_device(a: torch.Tensor, na: str, b: torch.Tensor, nb: str) -> None:
    if a.device != b.device:
        raise ValueError(f"sonix: {na} and {nb} must be on the same device, got {a.device} and {b.device}")
