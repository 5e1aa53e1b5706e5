"""fftconvolve / convolve: against scipy.signal.fftconvolve (all modes, per-example kernels, kernel
longer than the signal, length 1), the direct and FFT paths against each other, autograd, opcheck,
compile."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import HAS_CUDA, make_signal
from hypothesis import given
from hypothesis import strategies as st

import sonix.functional as F

signal = pytest.importorskip("scipy.signal")
_ops = torch.ops.sonix


def _scipy(x: torch.Tensor, h: torch.Tensor, mode: str) -> torch.Tensor:
    lead = torch.broadcast_shapes(x.shape[:-1], h.shape[:-1])
    xe = x.expand(lead + x.shape[-1:]).reshape(-1, x.shape[-1]).numpy()
    he = h.expand(lead + h.shape[-1:]).reshape(-1, h.shape[-1]).numpy()
    out = np.stack([signal.fftconvolve(a, b, mode=mode) for a, b in zip(xe, he, strict=True)])
    return torch.from_numpy(out).reshape(lead + out.shape[-1:])


@given(
    n=st.integers(1, 3000),
    m=st.integers(1, 700),
    mode=st.sampled_from(["full", "same", "valid"]),
    shapes=st.sampled_from([((), ()), ((3,), (3,)), ((3,), ()), ((2, 2), (1, 2)), ((1,), (4,))]),
    method=st.sampled_from(["auto", "direct", "fft"]),
)
def test_matches_scipy(n, m, mode, shapes, method):
    xs, hs = shapes
    x = make_signal(xs + (n,))
    h = make_signal(hs + (m,), seed=1)
    got = F.convolve(x, h, mode, method)
    want = _scipy(x, h, mode)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9 * max(n, m))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_room_impulse_responses_float32(mode):
    """Overlap-add in several blocks: 2 s signals with per-example 0.3 s IRs."""
    x = make_signal((4, 32000), dtype=torch.float32)
    h = make_signal((4, 4800), seed=3, dtype=torch.float32) * torch.exp(-torch.arange(4800) / 800.0)
    got = F.fftconvolve(x, h, mode)
    want = _scipy(x.double(), h.double(), mode)
    assert got.dtype == torch.float32
    assert (got.double() - want).abs().max() <= 2e-5 * want.abs().max()


def test_overlap_add_long_signal():
    """Rows longer than 2^20 samples go through the overlap-add blocks."""
    x = torch.randn(2, 1_100_000, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    h = make_signal((2, 300), seed=1)
    got = F.fftconvolve(x, h, "same")
    want = _scipy(x, h, "same")
    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_low_precision(dtype):
    x = make_signal((2, 900))
    h = make_signal((2, 100), seed=2)
    got = F.fftconvolve(x.to(dtype), h.to(dtype))
    want = _scipy(x.to(dtype).double(), h.to(dtype).double(), "full")
    assert got.dtype == dtype
    eps = 4e-3 if dtype == torch.float16 else 3e-2
    assert (got.double() - want).abs().max() <= eps * want.abs().max()


def test_non_contiguous():
    x = make_signal((3, 2000))[:, ::2]
    h = make_signal((100, 3), seed=1).T
    torch.testing.assert_close(F.fftconvolve(x, h), F.fftconvolve(x.contiguous(), h.contiguous()))


@pytest.mark.parametrize("method,hs", [("direct", (2,)), ("fft", (1,)), ("fft", (2,))])
def test_gradcheck(method, hs):
    x = make_signal((2, 17)).requires_grad_()
    h = make_signal(hs + (6,), seed=1).requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: F.convolve(a, b, "same", method), (x, h))
    assert torch.autograd.gradcheck(
        lambda a, b: F.convolve(a, b, "full", method),
        (x, h[..., :1].detach().clone().requires_grad_()),
    )


def test_opcheck():
    x = torch.randn(3, 50, requires_grad=True)
    for h, method in (
        (torch.randn(3, 7, requires_grad=True), 1),
        (torch.randn(1, 70, requires_grad=True), 2),
    ):
        torch.library.opcheck(_ops.fftconvolve.default, (x, h, method))
    g = torch.randn(3, 56)
    torch.library.opcheck(_ops.fftconvolve_backward.default, (g, x.detach(), torch.randn(3, 7), 0))


def test_compile_fullgraph():
    def fn(a, b):
        return F.fftconvolve(a, b, "same") * 2

    x = make_signal((2, 3000), dtype=torch.float32)
    h = make_signal((2, 300), seed=1, dtype=torch.float32)
    cf = torch.compile(fn, fullgraph=True)
    torch.testing.assert_close(cf(x, h), fn(x, h))


def test_bad_input():
    x = make_signal((2, 100))
    with pytest.raises(ValueError, match="mode"):
        F.fftconvolve(x, x, "circular")
    with pytest.raises(ValueError, match="method"):
        F.convolve(x, x, method="winograd")
    with pytest.raises(ValueError, match="broadcast"):
        F.fftconvolve(x, make_signal((3, 10)))
    with pytest.raises(TypeError, match="h"):
        F.fftconvolve(x, x.long())
    with pytest.raises(ValueError, match="kernel"):
        _ops.fftconvolve(x, make_signal((3, 10)), 0)


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
@pytest.mark.parametrize("method", ["direct", "fft"])
def test_cuda_matches_cpu(method):
    x = make_signal((3, 20000), dtype=torch.float32)
    h = make_signal((3, 3000), seed=1, dtype=torch.float32)
    for mode in ("full", "same", "valid"):
        want = F.convolve(x, h, mode, method)
        got = F.convolve(x.cuda(), h.cuda(), mode, method).cpu()
        assert (got - want).abs().max() <= 1e-4 * want.abs().max()
    xg, hg = x.double().cuda().requires_grad_(), h.double().cuda().requires_grad_()
    y = F.convolve(xg, hg, "same", method)
    gy = torch.randn_like(y)
    gc = torch.autograd.grad(y, (xg, hg), gy)
    xc, hc = x.double().requires_grad_(), h.double().requires_grad_()
    gcpu = torch.autograd.grad(F.convolve(xc, hc, "same", method), (xc, hc), gy.cpu())
    for a, b in zip(gc, gcpu, strict=True):
        torch.testing.assert_close(a.cpu(), b, rtol=1e-9, atol=1e-9)
