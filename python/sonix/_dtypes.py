"""The dtype sonix computes in, as ``compute_type`` in csrc/core/checks.h."""

from __future__ import annotations

import torch


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """float64 (and complex128) compute in float64; float32, float16 and bfloat16 in float32."""
    return torch.float64 if dtype in (torch.float64, torch.complex128) else torch.float32
