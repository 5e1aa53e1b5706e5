"""Snake / SnakeBeta: float64 references (DAC, BigVGAN layouts), gradients, opcheck, compile, the
vectorised float32 sin/cos, half-precision inputs and bad-input errors."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import sonix.functional.layers as FL
import sonix.layers as SL
from sonix.reference import layers as ref


def _params(channels: int, seed: int = 0, dtype=torch.float64, logscale: bool = False):
    g = torch.Generator().manual_seed(seed)
    if logscale:
        return (
            torch.randn(channels, generator=g, dtype=dtype) * 0.5,
            torch.randn(channels, generator=g, dtype=dtype) * 0.5,
        )
    return (
        torch.rand(channels, generator=g, dtype=dtype) * 2 + 0.2,
        torch.rand(channels, generator=g, dtype=dtype) * 2 + 0.2,
    )


def _x(shape, seed=1, dtype=torch.float64, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(shape, generator=g, dtype=torch.float64) * 2).to(dtype).to(device)


# ---- the vectorised float32 sin / cos -------------------------------------------------------------


def _ulp(v: torch.Tensor) -> torch.Tensor:
    f = v.float().abs()
    return (torch.nextafter(f, torch.full_like(f, math.inf)) - f).double()


@pytest.mark.parametrize("span", [math.pi, 100.0, 8192.0])
def test_fast_sincos_ulp(span):
    """sin, cos: <= 2 ulp against float64 where |result| > 1e-3, absolute error < 2^-23 on the range."""
    g = torch.Generator().manual_seed(0)
    x = ((torch.rand(1_000_000, generator=g, dtype=torch.float64) * 2 - 1) * span).float()
    # and points next to multiples of pi/2, where the reduction cancels most
    k = torch.arange(-int(span / (math.pi / 2)), int(span / (math.pi / 2)) + 1, dtype=torch.float64)
    near = (k * math.pi / 2).float()
    x = torch.cat([x, near, torch.nextafter(near, near + 1), torch.nextafter(near, near - 1)])
    s, c, s2 = torch.ops.sonix._fast_sincos(x)
    xd = x.double()
    for got, want in ((s, torch.sin(xd)), (c, torch.cos(xd))):
        err = (got.double() - want).abs()
        assert err.max() < 2.0**-23
        big = want.abs() > 1e-3
        assert (err[big] / _ulp(want[big])).max() <= 2.0
    # sin^2 on its own (the Snake forward): squaring doubles the sine's relative error
    want = torch.sin(xd) ** 2
    err = (s2.double() - want).abs()
    assert err.max() < 3e-7
    big = want > 1e-3
    assert (err[big] / _ulp(want[big])).max() <= 4.5


def test_fast_sincos_beyond_range_and_specials():
    x = torch.tensor(
        [1e5, -3e6, 1e30, math.inf, -math.inf, math.nan, 0.0, -0.0, 8192.5], dtype=torch.float32
    )
    s, c, s2 = torch.ops.sonix._fast_sincos(x)
    torch.testing.assert_close(s, torch.sin(x), equal_nan=True)
    torch.testing.assert_close(c, torch.cos(x), equal_nan=True)
    torch.testing.assert_close(s2, torch.sin(x) ** 2, equal_nan=True)


# ---- forward against the references ----------------------------------------------------------------


@given(
    batch=st.integers(1, 3),
    channels=st.integers(1, 9),
    time=st.integers(1, 700),
    beta=st.booleans(),
    logscale=st.booleans(),
    lead=st.sampled_from([(), (2,)]),
)
def test_snake_matches_reference_float64(batch, channels, time, beta, logscale, lead):
    a, b = _params(channels, batch + time, logscale=logscale)
    x = _x(lead + (batch, channels, time))
    got = FL.snake(x, a, b if beta else None, logscale=logscale)
    want = ref.snake(x, a, b if beta else None, logscale)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


@given(
    channels=st.integers(1, 6),
    time=st.integers(1, 1500),
    beta=st.booleans(),
    scale=st.sampled_from([1.0, 30.0, 3000.0]),
)
def test_snake_float32_vs_float64(channels, time, beta, scale):
    a, b = _params(channels, time)
    x = _x((2, channels, time)) * scale
    want = ref.snake(x, a, b if beta else None)
    got = FL.snake(x.float(), a.float(), b.float() if beta else None)
    assert got.dtype == torch.float32
    # float32 rounding of x, a*x (relative 2^-24 of |a x|, which sin turns into an absolute error)
    tol = 4e-7 * (1 + x.abs() + (a.view(-1, 1) * x).abs() / (b if beta else a).view(-1, 1))
    assert ((got.double() - want).abs() <= tol).all()


def test_snake_large_and_special_values():
    x = torch.tensor([[[1e5, -2e4, math.inf, -math.inf, math.nan, 0.0, 1.0, 9000.0]]])
    a = torch.tensor([1.3])
    got = FL.snake(x, a)
    want = ref.snake(x.double(), a.double()).float()
    torch.testing.assert_close(got, want, equal_nan=True, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("beta", [False, True])
def test_snake_half_inputs(dtype, beta, device):
    a, b = _params(5)
    x = _x((2, 5, 333), dtype=dtype, device=device)
    got = FL.snake(x, a.float().to(device), b.float().to(device) if beta else None)
    assert got.dtype == dtype
    want = ref.snake(x.double().cpu(), a, b if beta else None)
    # error of the kernel <= rounding of the result to the half type (fp32 math inside)
    eps = torch.finfo(dtype).eps
    assert ((got.double().cpu() - want).abs() <= eps * want.abs() + 1e-6).all()


def test_snake_noncontiguous_input():
    a, b = _params(4)
    base = _x((3, 8, 501))
    x = base[:, ::2, 1::2]  # strided channels and time
    assert not x.is_contiguous()
    torch.testing.assert_close(FL.snake(x, a, b), ref.snake(x, a, b), rtol=1e-12, atol=1e-12)
    xt = _x((3, 40, 4)).transpose(1, 2)  # (3, 4, 40) with channels last in memory
    torch.testing.assert_close(FL.snake(xt, a), ref.snake(xt, a), rtol=1e-12, atol=1e-12)


def test_snake_two_dim_input():
    a, _ = _params(3)
    x = _x((3, 100))
    torch.testing.assert_close(FL.snake(x, a), ref.snake(x, a), rtol=1e-12, atol=1e-12)


def test_snake_does_not_mutate():
    a, b = _params(3)
    x = _x((2, 3, 64))
    x0, a0, b0 = x.clone(), a.clone(), b.clone()
    FL.snake(x, a, b, logscale=True)
    assert torch.equal(x, x0) and torch.equal(a, a0) and torch.equal(b, b0)


# ---- gradients ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("beta", [False, True])
@pytest.mark.parametrize("logscale", [False, True])
def test_snake_gradcheck(beta, logscale, device):
    a, b = _params(3, logscale=logscale)
    x = _x((2, 3, 17), device=device).requires_grad_(True)
    a = a.to(device).requires_grad_(True)
    b = b.to(device).requires_grad_(True)
    args = (x, a, b) if beta else (x, a)
    assert torch.autograd.gradcheck(lambda *t: FL.snake(*t, logscale=logscale), args)


@given(
    channels=st.integers(1, 5), time=st.integers(1, 900), beta=st.booleans(), logscale=st.booleans()
)
def test_snake_float32_gradients_vs_float64(channels, time, beta, logscale):
    a, b = _params(channels, time, logscale=logscale)
    x = _x((3, channels, time))
    gy = _x((3, channels, time), seed=7)

    def grads(dtype, fn):
        xs = x.to(dtype).detach().clone().requires_grad_(True)
        as_ = a.to(dtype).detach().clone().requires_grad_(True)
        bs = b.to(dtype).detach().clone().requires_grad_(True)
        out = fn(xs, as_, bs if beta else None, logscale)
        out.backward(gy.to(dtype))
        return xs.grad.double(), as_.grad.double(), bs.grad.double() if beta else None

    want = grads(torch.float64, ref.snake)
    got = grads(torch.float32, lambda x_, a_, b_, ls: FL.snake(x_, a_, b_, logscale=ls))
    for gg, ww in zip(got, want, strict=True):
        if ww is None:
            continue
        scale = ww.abs().max().item() + (
            gy.abs().sum() if gg.dim() == 1 and gg.numel() == channels else 1
        )
        assert (gg - ww).abs().max() <= 2e-5 * float(scale)


def test_snake_backward_deterministic():
    a, b = _params(8)
    x = _x((4, 8, 3000)).float()
    gy = _x((4, 8, 3000), seed=3).float()
    outs = []
    for _ in range(2):
        outs.append(torch.ops.sonix.snake_backward(gy, x, a.float(), b.float(), False))
    for u, v in zip(*outs, strict=True):
        assert torch.equal(u, v)


def test_snake_opcheck():
    a, b = _params(3)
    x = _x((2, 3, 40)).float()
    torch.library.opcheck(
        torch.ops.sonix.snake.default, (x, a.float().requires_grad_(), b.float(), True)
    )
    torch.library.opcheck(
        torch.ops.sonix.snake.default, (x.requires_grad_(), a.float().requires_grad_(), None, False)
    )
    g = torch.randn_like(x)
    torch.library.opcheck(
        torch.ops.sonix.snake_backward.default, (g, x.detach(), a.float(), None, False)
    )


def test_snake_compile_fullgraph():
    torch._dynamo.reset()
    mod = SL.SnakeBeta(4, alpha_logscale=True)
    with torch.no_grad():
        mod.alpha.normal_(0, 0.3)
        mod.beta.normal_(0, 0.3)
    x = torch.randn(2, 4, 50, requires_grad=True)
    compiled = torch.compile(mod, fullgraph=True, backend="aot_eager")
    y = compiled(x)
    torch.testing.assert_close(y, mod(x))
    y.sum().backward()
    gx = x.grad.clone()
    x.grad = None
    mod(x).sum().backward()
    torch.testing.assert_close(gx, x.grad)


# ---- modules and state dicts --------------------------------------------------------------------------


def test_snake1d_loads_dac_state_dict():
    dac = ref.DACSnake1d(6)
    with torch.no_grad():
        dac.alpha.uniform_(0.1, 3.0)
    mod = SL.Snake1d(6)
    mod.load_state_dict(dac.state_dict())
    assert mod.alpha.shape == (1, 6, 1)
    x = torch.randn(2, 6, 300)
    torch.testing.assert_close(mod(x), dac(x), rtol=2e-6, atol=2e-6)
    y = mod(x.requires_grad_(True))
    y.sum().backward()
    assert mod.alpha.grad.shape == (1, 6, 1)
    dac.load_state_dict(mod.state_dict())  # and back


@pytest.mark.parametrize("logscale", [False, True])
@pytest.mark.parametrize("trainable", [False, True])
def test_snake_and_snakebeta_load_bigvgan_state_dicts(logscale, trainable):
    for ref_cls, cls in ((ref.BigVGANSnake, SL.Snake), (ref.BigVGANSnakeBeta, SL.SnakeBeta)):
        theirs = ref_cls(5, alpha=1.0, alpha_trainable=trainable, alpha_logscale=logscale)
        with torch.no_grad():
            for p in theirs.parameters():
                p.copy_(torch.randn(5) * 0.3 + (0.0 if logscale else 1.0))
        ours = cls(5, alpha=1.0, alpha_trainable=trainable, alpha_logscale=logscale)
        assert set(ours.state_dict()) == set(theirs.state_dict())
        ours.load_state_dict(theirs.state_dict())
        assert all(p.requires_grad == trainable for p in ours.parameters())
        x = torch.randn(3, 5, 200)
        torch.testing.assert_close(ours(x), theirs(x), rtol=2e-6, atol=2e-6)
        theirs.load_state_dict(ours.state_dict())


def test_module_initial_values_match_reference():
    for logscale in (False, True):
        torch.testing.assert_close(
            SL.SnakeBeta(3, alpha=0.5, alpha_logscale=logscale).state_dict(),
            ref.BigVGANSnakeBeta(3, alpha=0.5, alpha_logscale=logscale).state_dict(),
        )
    torch.testing.assert_close(SL.Snake1d(4).state_dict(), ref.DACSnake1d(4).state_dict())


# ---- bad input --------------------------------------------------------------------------------------


def test_snake_bad_inputs():
    x = torch.randn(2, 4, 10)
    with pytest.raises(ValueError, match=r"alpha must have shape \(4,\)"):
        FL.snake(x, torch.ones(3))
    with pytest.raises(ValueError, match=r"beta must have shape \(4,\)"):
        FL.snake(x, torch.ones(4), torch.ones(5))
    with pytest.raises(ValueError, match="at least 2 dimension"):
        FL.snake(torch.randn(10), torch.ones(1))
    with pytest.raises(TypeError, match="floating-point"):
        FL.snake(torch.ones(2, 4, 10, dtype=torch.int32), torch.ones(4))
    with pytest.raises(ValueError, match="alpha must have shape"):
        torch.ops.sonix.snake(x, torch.ones(3), None, False)
    with pytest.raises(ValueError, match="input must have 3 dimensions"):
        torch.ops.sonix.snake(x[0], torch.ones(4), None, False)
    with pytest.raises(ValueError, match="one value per channel"):
        SL.Snake1d(3)(x)


# ---- CUDA against CPU -------------------------------------------------------------------------------------


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("beta", [False, True])
def test_snake_cuda_matches_cpu(beta):
    a, b = _params(7, logscale=True)
    x = _x((3, 7, 5001)).float()
    gy = _x((3, 7, 5001), seed=5).float()
    outs = {}
    for dev in ("cpu", "cuda"):
        xs = x.detach().clone().to(dev).requires_grad_(True)
        as_ = a.detach().float().to(dev).requires_grad_(True)
        bs = b.detach().float().to(dev).requires_grad_(True)
        y = FL.snake(xs, as_, bs if beta else None, logscale=True)
        y.backward(gy.to(dev))
        outs[dev] = [y, xs.grad, as_.grad] + ([bs.grad] if beta else [])
    for u, v in zip(outs["cpu"], outs["cuda"], strict=True):
        torch.testing.assert_close(v.cpu(), u, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_snake_backward_strided_grad(dtype):
    """Expanded (stride 0) and strided upstream gradients give the same result as contiguous ones."""
    a, b = _params(4)
    x = _x((2, 4, 300), dtype=dtype)
    a, b = a.to(dtype), b.to(dtype)
    for g in (
        torch.ones((), dtype=dtype).expand(2, 4, 300),
        _x((2, 4, 600), seed=4, dtype=dtype)[..., ::2],
        _x((2, 300, 4), seed=5, dtype=dtype).transpose(1, 2),
    ):
        got = torch.ops.sonix.snake_backward(g, x, a, b, True)
        want = torch.ops.sonix.snake_backward(g.contiguous(), x, a, b, True)
        for u, v in zip(got, want, strict=True):
            torch.testing.assert_close(u, v, rtol=1e-6, atol=1e-6)
