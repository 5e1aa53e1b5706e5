"""Shared test configuration: hypothesis profiles, device parametrisation, seeded test signals."""

from __future__ import annotations

import math
import os

import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

HAS_CUDA = torch.cuda.is_available()
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device"))]


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    return request.param


def make_signal(shape, sr: float = 16000.0, dtype=torch.float64, seed: int = 0) -> torch.Tensor:
    """Sum of a sweep, a few harmonics and noise: broadband like real audio, seeded."""
    g = torch.Generator().manual_seed(seed)
    n = shape[-1]
    t = torch.arange(n, dtype=torch.float64) / sr
    rows = math.prod(shape[:-1]) if len(shape) > 1 else 1
    out = []
    for r in range(rows):
        f0 = 110.0 * (1 + r % 5)
        sweep = torch.sin(2 * math.pi * (f0 * t + 0.5 * (sr / 8) * t**2 / max(t[-1].item(), 1e-9)))
        harm = sum(0.3 / k * torch.sin(2 * math.pi * f0 * k * t + k) for k in range(1, 6))
        out.append(0.4 * sweep + harm + 0.05 * torch.randn(n, generator=g, dtype=torch.float64))
    return torch.stack(out).reshape(shape).to(dtype)
