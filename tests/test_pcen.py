"""PCEN: librosa parity in float64, the plain-torch reference, autograd (input, parameters, state),
streaming == offline, opcheck, torch.compile, half precision, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import HAS_CUDA
from hypothesis import given
from hypothesis import strategies as st

import sonix.functional as F
from sonix.layers import PCEN
from sonix.reference import pcen as ref

_ops = torch.ops.sonix


def _energy(shape, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(shape, generator=g, dtype=torch.float64) ** 4 * 20).to(dtype)


def _params(channels, seed=1, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(channels, generator=g, dtype=dtype)  # noqa: E731
    return u(0.02, 0.5), u(0.5, 1.0), u(0.5, 3.0), u(0.2, 0.8)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(gain=0.8, bias=10.0, power=0.25, time_constant=0.06, sr=16000, hop_length=160),
        dict(b=0.3, eps=1e-3),
    ],
)
def test_matches_librosa_float64(kwargs):
    librosa = pytest.importorskip("librosa")
    S = _energy((3, 40, 257))
    want = np.stack([librosa.pcen(s.numpy(), **kwargs) for s in S])
    got = F.pcen(S, **kwargs)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


def test_state_matches_librosa_zf():
    librosa = pytest.importorskip("librosa")
    S = _energy((6, 100))
    b = ref.smoothing_coefficient()
    _, zf = librosa.pcen(S.numpy(), return_zf=True)
    _, state = F.pcen(S, return_state=True)
    np.testing.assert_allclose((1 - b) * state.numpy(), zf[:, 0], rtol=1e-12)


@given(
    channels=st.integers(1, 6),
    frames=st.sampled_from([1, 2, 3, 17, 600, 1100]),
    lead=st.sampled_from([(), (1,), (2,), (2, 2)]),
    with_state=st.booleans(),
)
def test_matches_reference(channels, frames, lead, with_state):
    S = _energy(lead + (channels, frames), seed=frames)
    params = _params(channels)
    m0 = _energy(lead + (channels,), seed=3) + 0.1 if with_state else None
    got, gs = F.pcen(
        S,
        gain=params[1],
        bias=params[2],
        power=params[3],
        b=params[0],
        initial_state=m0,
        return_state=True,
    )
    m0_ref = m0.reshape(-1, channels) if m0 is not None else None
    want, ws = ref.pcen(S.reshape(-1, channels, frames), *params, 1e-6, m0_ref)
    torch.testing.assert_close(got, want.reshape(S.shape), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(gs, ws.reshape(gs.shape), rtol=1e-12, atol=1e-12)


def test_gradcheck_all_inputs():
    S = (_energy((1, 2, 12)) + 0.01).requires_grad_()
    params = [p.requires_grad_() for p in _params(2)]
    m0 = (_energy((1, 2), seed=5) + 0.2).requires_grad_()

    def fn(S, s, a, d, r, m0):
        return _ops.pcen(S, s, a, d, r, m0, 1e-6)  # both outputs: the final-state gradient path too

    assert torch.autograd.gradcheck(fn, (S, *params, m0))


@given(frames=st.integers(2, 300), cut=st.floats(0.05, 0.95))
def test_streaming_equals_offline(frames, cut):
    S = _energy((2, 4, frames), seed=frames)
    m = PCEN(4).double()
    whole = m(S)
    k = max(1, int(frames * cut))
    y1, st1 = m(S[..., :k], return_state=True)
    y2, _ = m(S[..., k:], initial_state=st1, return_state=True)
    torch.testing.assert_close(torch.cat([y1, y2], -1), whole, rtol=1e-13, atol=1e-13)


def test_streaming_gradients_equal_offline():
    S = _energy((1, 3, 50)).requires_grad_()
    m = PCEN(3).double()
    m(S).sum().backward()
    want_x, want_p = S.grad.clone(), [p.grad.clone() for p in m.parameters()]
    S.grad = None
    m.zero_grad()
    y1, st = m(S[..., :20], return_state=True)
    y2 = m(S[..., 20:], initial_state=st)
    (y1.sum() + y2.sum()).backward()
    torch.testing.assert_close(S.grad, want_x)
    for p, w in zip(m.parameters(), want_p, strict=True):
        torch.testing.assert_close(p.grad, w)


def test_module_defaults_equal_librosa():
    librosa = pytest.importorskip("librosa")
    S = _energy((2, 16, 120))
    m = PCEN(16).double()
    assert len(list(m.parameters())) == 4
    want = np.stack([librosa.pcen(s.numpy()) for s in S])
    np.testing.assert_allclose(
        m(S).detach().numpy(), want, rtol=1e-6, atol=1e-9
    )  # float32 log-parameters
    frozen = PCEN(16, trainable=False)
    assert len(list(frozen.parameters())) == 0 and "log_alpha" in frozen.state_dict()


def test_opcheck():
    S = _energy((2, 3, 30))
    params = [p.requires_grad_() for p in _params(3)]
    torch.library.opcheck(_ops.pcen, (S, *params, None, 1e-6))
    torch.library.opcheck(_ops.pcen, (S, *params, _energy((2, 3), seed=2) + 0.1, 1e-6))
    gy = torch.randn(2, 3, 30, dtype=torch.float64)
    torch.library.opcheck(
        _ops.pcen_backward, (gy, None, S, *[p.detach() for p in params], None, 1e-6)
    )


def test_compile_fullgraph_forward_backward():
    m = PCEN(4).double()
    S = _energy((2, 4, 64)).requires_grad_()
    compiled = torch.compile(m, fullgraph=True, backend="aot_eager")
    compiled(S).sum().backward()
    gx, gp = S.grad.clone(), m.log_alpha.grad.clone()
    S.grad = None
    m.zero_grad()
    m(S).sum().backward()
    torch.testing.assert_close(gx, S.grad)
    torch.testing.assert_close(gp, m.log_alpha.grad)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_low_precision_inputs(dtype):
    S = _energy((2, 8, 200)).to(dtype)
    got = F.pcen(S)
    want = F.pcen(S.double())
    assert got.dtype == dtype
    tol = {torch.float32: 1e-6, torch.float16: 2e-3, torch.bfloat16: 1e-2}[dtype]
    assert ((got.double() - want).abs() <= tol * want.abs().clamp_min(1e-3)).all()
    gx = torch.autograd.grad(F.pcen(S.requires_grad_()).float().sum(), S)[0]
    assert gx.dtype == dtype and torch.isfinite(gx).all()


def test_non_contiguous_and_not_mutated():
    wide = _energy((4, 10, 300))
    S = wide[::2, 1::2, 20:280]
    before = S.clone()
    torch.testing.assert_close(F.pcen(S), F.pcen(S.contiguous()))
    St = _energy((2, 100, 6)).transpose(1, 2)
    torch.testing.assert_close(F.pcen(St), F.pcen(St.contiguous()))
    assert torch.equal(S, before)


def test_bad_input():
    S = _energy((2, 3, 20))
    with pytest.raises(ValueError, match="gain must be a scalar or have shape"):
        F.pcen(S, gain=torch.ones(4))
    with pytest.raises(ValueError, match="initial_state must have shape"):
        F.pcen(S, initial_state=torch.ones(3))
    with pytest.raises(TypeError, match="floating-point"):
        F.pcen(S.long())
    with pytest.raises(ValueError, match="at least 2"):
        F.pcen(S[0, 0])
    with pytest.raises(ValueError, match="b must be in"):
        F.pcen(S, b=1.5)
    with pytest.raises(ValueError, match="s must have shape"):
        _ops.pcen(S, torch.ones(2), torch.ones(3), torch.ones(3), torch.ones(3), None, 1e-6)
    with pytest.raises(ValueError, match="bias must be > 0"):
        PCEN(3, bias=0.0)


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("frames", [1, 37, 5000])
def test_cuda_matches_cpu(dtype, frames):
    S = _energy((2, 5, frames)).to(dtype)
    params = [p.to(dtype) for p in _params(5)]
    m0 = _energy((2, 5), seed=9).to(dtype) + 0.1
    cpu_leaves = [t.clone().requires_grad_() for t in (S, *params, m0)]
    gpu_leaves = [t.cuda().requires_grad_() for t in (S, *params, m0)]
    yc, sc = _ops.pcen(*cpu_leaves, 1e-6)
    yg, sg = _ops.pcen(*gpu_leaves, 1e-6)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(yg.cpu(), yc, **tol)
    torch.testing.assert_close(sg.cpu(), sc, **tol)
    gy = torch.randn_like(yc)
    gc = torch.autograd.grad(yc, cpu_leaves, gy)
    gg = torch.autograd.grad(yg, gpu_leaves, gy.cuda())
    for a, b in zip(gg, gc, strict=True):
        torch.testing.assert_close(
            a.cpu(),
            b,
            rtol=1e-3 if dtype == torch.float32 else 1e-9,
            atol=1e-3 if dtype == torch.float32 else 1e-9,
        )
