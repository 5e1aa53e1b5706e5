"""Fused anti-aliased activation (BigVGAN Activation1d): against the plain-torch float64 reference,
autograd (x, alpha, beta), opcheck, torch.compile, BigVGAN state dicts, half precision, bad input."""

from __future__ import annotations

import pytest
import torch
from conftest import HAS_CUDA, make_signal
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

import sonix.functional as F
from sonix.layers import Activation1d, SnakeParameters
from sonix.reference import antialias as ref

_ops = torch.ops.sonix


def _params(channels, beta=True, log_scale=False, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    if log_scale:
        a = 0.3 * torch.randn(channels, generator=g, dtype=dtype)
        b = 0.3 * torch.randn(channels, generator=g, dtype=dtype)
    else:
        a = 0.5 + torch.rand(channels, generator=g, dtype=dtype)
        b = 0.5 + torch.rand(channels, generator=g, dtype=dtype)
    return a, (b if beta else None)


def _filters(ru, rd, ku, kd, dtype=torch.float64):
    return F.antialias_filter(ru, ku, dtype), F.antialias_filter(rd, kd, dtype)


def _run_ref(x, a, b, fu, fd, ru, rd, log_scale):
    return ref.anti_alias_activation(x, a, b, fu, fd, ru, rd, log_scale)


@given(
    ru=st.integers(1, 4),
    rd=st.integers(1, 4),
    extra_ku=st.integers(0, 13),
    kd=st.integers(1, 16),
    length=st.sampled_from([1, 2, 3, 5, 11, 64, 257, 2049, 4500]),
    beta=st.booleans(),
    log_scale=st.booleans(),
    batch=st.sampled_from([1, 2]),
)
def test_matches_reference_float64(ru, rd, extra_ku, kd, length, beta, log_scale, batch):
    ku = ru + extra_ku
    x = make_signal((batch, 3, length))
    a, b = _params(3, beta, log_scale)
    fu, fd = _filters(ru, rd, ku, kd)
    got = F.anti_alias_activation(x, a, b, ru, rd, fu, fd, log_scale=log_scale)
    want = _run_ref(x, a, b, fu, fd, ru, rd, log_scale)
    assert got.shape == want.shape == (batch, 3, (length * ru - 1) // rd + 1)
    torch.testing.assert_close(got, want, rtol=1e-11, atol=1e-11)


@given(
    ru=st.integers(1, 3),
    rd=st.integers(1, 3),
    extra_ku=st.integers(0, 9),
    kd=st.integers(1, 13),
    length=st.sampled_from([1, 2, 4, 7, 100, 2100]),
    beta=st.booleans(),
    log_scale=st.booleans(),
)
def test_backward_matches_reference(ru, rd, extra_ku, kd, length, beta, log_scale):
    """Arbitrary (non-symmetric) filters, so a transposed tap order would show."""
    ku = ru + extra_ku
    g = torch.Generator().manual_seed(length + ku)
    x = make_signal((2, 3, length))
    a, b = _params(3, beta, log_scale)
    fu = torch.randn(ku, generator=g, dtype=torch.float64)
    fd = torch.randn(kd, generator=g, dtype=torch.float64)
    leaves = [t.clone().requires_grad_() for t in (x, a) + ((b,) if beta else ())]
    bb = leaves[2] if beta else None
    out_len = (length * ru - 1) // rd + 1
    gy = torch.randn(2, 3, out_len, generator=g, dtype=torch.float64)
    want = torch.autograd.grad(
        _run_ref(leaves[0], leaves[1], bb, fu, fd, ru, rd, log_scale), leaves, gy
    )
    got = torch.autograd.grad(
        F.anti_alias_activation(leaves[0], leaves[1], bb, ru, rd, fu, fd, log_scale=log_scale),
        leaves,
        gy,
    )
    for g_, w_ in zip(got, want, strict=True):
        torch.testing.assert_close(g_, w_, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("beta,log_scale", [(True, True), (False, False), (True, False)])
def test_gradcheck(beta, log_scale):
    x = make_signal((1, 2, 9)).requires_grad_()
    a, b = _params(2, beta, log_scale)
    a.requires_grad_()
    if b is not None:
        b.requires_grad_()
    fu, fd = _filters(2, 2, 12, 12)
    fn = lambda x, a, b: F.anti_alias_activation(x, a, b, 2, 2, fu, fd, log_scale=log_scale)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x, a, b))


def test_opcheck():
    x = make_signal((2, 3, 40))
    a, b = _params(3)
    fu, fd = _filters(2, 2, 12, 12)
    for beta in (b, None):
        args = (x, a.clone().requires_grad_(), beta, fu, fd, 2, 2, True)
        torch.library.opcheck(_ops.anti_alias_activation, args)
    gy = torch.randn(2, 3, 40, dtype=torch.float64)
    torch.library.opcheck(_ops.anti_alias_activation_backward, (gy, x, a, b, fu, fd, 2, 2, False))


def test_compile_fullgraph_forward_backward():
    m = Activation1d("snakebeta", channels=3, alpha_logscale=True).double()
    x = make_signal((2, 3, 300)).requires_grad_()
    compiled = torch.compile(m, fullgraph=True, backend="aot_eager")
    y = compiled(x)
    y.square().sum().backward()
    gx, ga = x.grad.clone(), m.act.alpha.grad.clone()
    x.grad = None
    m.zero_grad()
    m(x).square().sum().backward()
    torch.testing.assert_close(gx, x.grad)
    torch.testing.assert_close(ga, m.act.alpha.grad)


class _BigVGANSnakeBeta(nn.Module):
    """BigVGAN's SnakeBeta parameter layout (alpha, beta, alpha_logscale) with its math."""

    def __init__(self, channels, alpha_logscale):
        super().__init__()
        self.alpha_logscale = alpha_logscale
        self.alpha = nn.Parameter(0.2 * torch.randn(channels))
        self.beta = nn.Parameter(0.2 * torch.randn(channels))

    def forward(self, x):
        return ref.snake(x, self.alpha, self.beta, self.alpha_logscale)


class _BigVGANActivation1d(nn.Module):
    """The module layout of BigVGAN's Activation1d (upsample.filter, downsample.lowpass.filter)."""

    def __init__(self, act, ratio=2, kernel=12):
        super().__init__()
        self.act = act
        self.upsample = nn.Module()
        self.upsample.register_buffer(
            "filter", ref.kaiser_sinc_filter1d(0.5 / ratio, 0.6 / ratio, kernel).view(1, 1, -1)
        )
        self.downsample = nn.Module()
        self.downsample.lowpass = nn.Module()
        self.downsample.lowpass.register_buffer(
            "filter", ref.kaiser_sinc_filter1d(0.5 / ratio, 0.6 / ratio, kernel).view(1, 1, -1)
        )
        self.ratio = ratio

    def forward(self, x):
        u = ref.upsample(x, self.upsample.filter.view(-1), self.ratio)
        return ref.downsample(self.act(u), self.downsample.lowpass.filter.view(-1), self.ratio)


@pytest.mark.parametrize("log_scale", [True, False])
def test_loads_bigvgan_state_dict(log_scale):
    torch.manual_seed(0)
    theirs = _BigVGANActivation1d(_BigVGANSnakeBeta(8, log_scale))
    sd = theirs.state_dict()
    assert set(sd) == {"act.alpha", "act.beta", "upsample.filter", "downsample.lowpass.filter"}
    ours = Activation1d(SnakeParameters(8, beta=True, alpha_logscale=log_scale))
    ours.load_state_dict(sd)  # strict: same keys and shapes
    torch.testing.assert_close(ours.upsample.filter, theirs.upsample.filter)
    x = torch.randn(2, 8, 500)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    # Their module as the activation also runs fused.
    torch.testing.assert_close(Activation1d(theirs.act)(x), theirs(x), rtol=1e-5, atol=1e-5)


def test_non_snake_activation_runs_unfused():
    m = Activation1d(nn.LeakyReLU(0.1))
    x = torch.randn(2, 4, 100)
    want = ref.downsample(
        nn.functional.leaky_relu(ref.upsample(x, m.upsample.filter.view(-1), 2), 0.1),
        m.downsample.lowpass.filter.view(-1),
        2,
    )
    torch.testing.assert_close(m(x), want)


def test_float32_error_small():
    """float32 (vectorised sin) vs float64: relative error near float32 rounding."""
    x = 3 * make_signal((2, 4, 5000))
    a, b = _params(4, True, True)
    fu, fd = _filters(2, 2, 12, 12)
    want = _run_ref(x, a, b, fu, fd, 2, 2, True)
    got = F.anti_alias_activation(
        x.float(), a.float(), b.float(), 2, 2, fu.float(), fd.float(), log_scale=True
    )
    err = (got.double() - want).abs().max() / want.abs().max()
    assert got.dtype == torch.float32 and err < 2e-6


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_inputs(dtype):
    """Half inputs compute in float32: error vs float64 (on the rounded input) within a few output ulps."""
    x = make_signal((2, 3, 700)).to(dtype)
    a, b = _params(3, True, True, dtype=torch.float32)
    got = F.anti_alias_activation(x, a, b, log_scale=True)
    fu, fd = _filters(2, 2, 12, 12)
    want = _run_ref(x.double(), a.double(), b.double(), fu, fd, 2, 2, True)
    assert got.dtype == dtype
    ulp = torch.finfo(dtype).eps
    assert ((got.double() - want).abs() <= ulp * want.abs().clamp_min(1.0)).all()
    gx = torch.autograd.grad(
        F.anti_alias_activation(x.requires_grad_(), a, b, log_scale=True).float().sum(), x
    )[0]
    assert gx.dtype == dtype and torch.isfinite(gx).all()


def test_non_contiguous_input():
    wide = make_signal((4, 6, 900))
    x = wide[::2, 1::2, 50:850]
    assert not x.is_contiguous()
    a, b = _params(3)
    torch.testing.assert_close(
        F.anti_alias_activation(x, a, b), F.anti_alias_activation(x.contiguous(), a, b)
    )
    xt = make_signal((2, 300, 3)).transpose(1, 2)
    torch.testing.assert_close(
        F.anti_alias_activation(xt, a, b), F.anti_alias_activation(xt.contiguous(), a, b)
    )


def test_two_dim_input_and_inputs_not_mutated():
    x = make_signal((3, 100))
    a, b = _params(3)
    before = x.clone()
    y = F.anti_alias_activation(x, a, b)
    assert y.shape == (3, 100)
    torch.testing.assert_close(y, F.anti_alias_activation(x[None], a, b)[0])
    assert torch.equal(x, before)


def test_bad_input():
    x = torch.randn(2, 3, 50)
    a = torch.ones(3)
    with pytest.raises(ValueError, match="alpha must have shape"):
        F.anti_alias_activation(x, torch.ones(4))
    with pytest.raises(ValueError, match="beta must have shape"):
        F.anti_alias_activation(x, a, torch.ones(2))
    with pytest.raises(TypeError, match="floating-point"):
        F.anti_alias_activation(x.long(), a)
    with pytest.raises(ValueError, match="up_ratio"):
        F.anti_alias_activation(x, a, up_ratio=0)
    with pytest.raises(ValueError, match="up_filter must have between"):
        F.anti_alias_activation(x, a, up_ratio=4, up_filter=torch.ones(3))
    with pytest.raises(ValueError, match="shape"):
        F.anti_alias_activation(torch.randn(1, 2, 3, 50), a)
    with pytest.raises(ValueError, match="non-empty"):
        F.anti_alias_activation(torch.randn(2, 3, 0), a)
    with pytest.raises(ValueError, match="grad must have shape"):
        fu, fd = _filters(2, 2, 12, 12, torch.float32)
        _ops.anti_alias_activation_backward(torch.randn(2, 3, 49), x, a, None, fu, fd, 2, 2, False)
    with pytest.raises(ValueError, match="snake"):
        Activation1d("gelu")


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize(
    "ru,rd,ku,kd,length", [(2, 2, 12, 12, 5000), (3, 2, 7, 5, 1), (1, 3, 4, 9, 333)]
)
def test_cuda_matches_cpu(dtype, ru, rd, ku, kd, length):
    x = make_signal((2, 5, length)).to(dtype)
    a, b = _params(5, True, True, dtype=torch.float32)
    fu, fd = _filters(ru, rd, ku, kd, torch.float32)
    leaves_cpu = [t.clone().requires_grad_() for t in (x, a, b)]
    leaves_gpu = [t.cuda().requires_grad_() for t in (x, a, b)]
    y_cpu = F.anti_alias_activation(*leaves_cpu, ru, rd, fu, fd, log_scale=True)
    y_gpu = F.anti_alias_activation(*leaves_gpu, ru, rd, fu.cuda(), fd.cuda(), log_scale=True)
    tol = dict(rtol=1e-2, atol=1e-2) if dtype == torch.bfloat16 else dict(rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(y_gpu.cpu(), y_cpu, **tol)
    gy = torch.randn_like(y_cpu)
    g_cpu = torch.autograd.grad(y_cpu, leaves_cpu, gy)
    g_gpu = torch.autograd.grad(y_gpu, leaves_gpu, gy.cuda())
    for gc, gg in zip(g_cpu, g_gpu, strict=True):
        torch.testing.assert_close(
            gg.cpu(),
            gc,
            rtol=1e-3 if dtype != torch.bfloat16 else 5e-2,
            atol=1e-3 if dtype != torch.bfloat16 else 5e-1,
        )
