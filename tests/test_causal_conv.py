"""Causal depthwise conv1d: float64 reference (F.conv1d with left padding), activations, lengths,
gradients, opcheck, compile, streaming == offline, nn.Conv1d state dicts, half inputs, bad input."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import sonix.functional.layers as FL
import sonix.layers as SL
from sonix.reference import layers as ref

ACTS = [None, "silu", "gelu", "glu"]
WIDTHS = st.sampled_from([2, 3, 4, 5, 6, 7, 9, 15, 16, 31, 33, 64])


def _rand(shape, seed=0, dtype=torch.float64, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=torch.float64).to(dtype).to(device)


def _problem(batch, channels, time, width, seed=0, dtype=torch.float64, device="cpu"):
    x = _rand((batch, channels, time), seed, dtype, device)
    w = _rand((channels, width), seed + 1, torch.float64, device) / width**0.5
    b = _rand((channels,), seed + 2, torch.float64, device)
    return x, w, b


@given(
    batch=st.integers(1, 3),
    half_channels=st.integers(1, 4),
    time=st.integers(1, 300),
    width=WIDTHS,
    act=st.sampled_from(ACTS),
    bias=st.booleans(),
    use_lengths=st.booleans(),
)
def test_matches_reference_float64(batch, half_channels, time, width, act, bias, use_lengths):
    channels = 2 * half_channels
    x, w, b = _problem(batch, channels, time, width, seed=time)
    lengths = (
        torch.randint(0, time + 2, (batch,), generator=torch.Generator().manual_seed(time))
        if use_lengths
        else None
    )
    got = FL.causal_conv1d(x, w, b if bias else None, activation=act, lengths=lengths)
    want = ref.causal_conv1d(x, w, b if bias else None, act, lengths)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


@given(time=st.integers(1, 700), width=WIDTHS, act=st.sampled_from(ACTS))
def test_float32_vs_float64(time, width, act):
    x, w, b = _problem(2, 6, time, width, seed=width)
    want = ref.causal_conv1d(x, w, b, act)
    got = FL.causal_conv1d(x.float(), w.float(), b.float(), activation=act)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got.double(), want, rtol=1e-5, atol=1e-5)


def test_leading_dims_and_conv1d_weight_layout():
    x, w, b = _problem(6, 4, 50, 5)
    x4 = x.reshape(2, 3, 4, 50)
    got = FL.causal_conv1d(x4, w.reshape(4, 1, 5), b)
    assert got.shape == (2, 3, 4, 50)
    torch.testing.assert_close(
        got.reshape(6, 4, 50), ref.causal_conv1d(x, w, b), rtol=1e-12, atol=1e-12
    )
    torch.testing.assert_close(
        FL.causal_conv1d(x[0], w, b), ref.causal_conv1d(x[:1], w, b)[0], rtol=1e-12, atol=1e-12
    )


def test_noncontiguous_inputs():
    x, w, b = _problem(3, 8, 301, 7)
    xs = x[:, ::2, 1::2]
    ws = torch.cat([w, w], 1)[::2, ::2]  # (4, 7) strided
    assert not xs.is_contiguous() and not ws.is_contiguous()
    torch.testing.assert_close(
        FL.causal_conv1d(xs, ws, b[::2]), ref.causal_conv1d(xs, ws, b[::2]), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("act", ACTS)
def test_half_inputs(dtype, act, device):
    x, w, b = _problem(2, 6, 257, 9, dtype=dtype, device=device)
    got = FL.causal_conv1d(x, w.float(), b.float(), activation=act)
    assert got.dtype == dtype
    want = ref.causal_conv1d(x.double().cpu(), w.cpu(), b.cpu(), act)
    # the kernel's error <= 2x PyTorch's own error in that dtype (float32 accumulation)
    theirs = ref.causal_conv1d(x.cpu(), w.to(dtype).cpu(), b.to(dtype).cpu(), act).double()
    own = (theirs - want).abs().max().item()
    assert (got.double().cpu() - want).abs().max().item() <= 2 * own + 1e-3


def test_lengths_mask_and_no_leak():
    x, w, b = _problem(3, 4, 100, 9)
    lengths = torch.tensor([100, 37, 0])
    y = FL.causal_conv1d(x, w, b, activation="silu", lengths=lengths)
    assert (y[1, :, 37:] == 0).all() and (y[2] == 0).all()
    # changing the input past the lengths changes neither the output nor the gradients
    x2 = x.clone()
    x2[1, :, 37:] = 1e3
    x2[2] = -5.0
    xs = [t.clone().requires_grad_(True) for t in (x, x2)]
    ws = [w.clone().requires_grad_(True) for _ in range(2)]
    outs = [
        FL.causal_conv1d(xi, wi, b, activation="silu", lengths=lengths)
        for xi, wi in zip(xs, ws, strict=True)
    ]
    torch.testing.assert_close(outs[0], outs[1])
    gy = _rand(outs[0].shape, 9)
    for o in outs:
        o.backward(gy)
    torch.testing.assert_close(ws[0].grad, ws[1].grad)
    assert (xs[0].grad[1, :, 37:] == 0).all() and (xs[0].grad[2] == 0).all()


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("width", [2, 4, 31, 11])
def test_gradcheck(act, width, device):
    x, w, b = _problem(2, 4, 23, width, device=device)
    lengths = torch.tensor([23, 15], device=device)
    args = tuple(t.clone().requires_grad_(True) for t in (x, w, b))
    assert torch.autograd.gradcheck(
        lambda *t: FL.causal_conv1d(*t, activation=act, lengths=lengths), args
    )


@given(time=st.integers(1, 400), width=WIDTHS, act=st.sampled_from(ACTS), bias=st.booleans())
def test_float32_gradients_vs_float64(time, width, act, bias):
    x, w, b = _problem(2, 4, time, width, seed=time + width)
    gy = _rand((2, 2 if act == "glu" else 4, time), 5)

    def grads(dtype, fn):
        ts = [t.to(dtype).detach().clone().requires_grad_(True) for t in (x, w, b)]
        fn(ts[0], ts[1], ts[2] if bias else None).backward(gy.to(dtype))
        return [t.grad for t in (ts if bias else ts[:2])]

    want = grads(torch.float64, lambda x_, w_, b_: ref.causal_conv1d(x_, w_, b_, act))
    got = grads(torch.float32, lambda x_, w_, b_: FL.causal_conv1d(x_, w_, b_, activation=act))
    for g_, w_ in zip(got, want, strict=True):
        torch.testing.assert_close(
            g_.double(), w_, rtol=1e-4, atol=1e-4 * (1 + w_.abs().max().item())
        )


def test_backward_deterministic():
    x, w, b = _problem(4, 16, 2000, 31, dtype=torch.float32)
    gy = _rand((4, 16, 2000), 3, torch.float32)
    a = torch.ops.sonix.causal_conv1d_backward(gy, x, w.float(), b.float(), None, "silu")
    c = torch.ops.sonix.causal_conv1d_backward(gy, x, w.float(), b.float(), None, "silu")
    for u, v in zip(a, c, strict=True):
        assert torch.equal(u, v)


def test_opcheck():
    x, w, b = _problem(2, 4, 40, 5, dtype=torch.float32)
    w, b = w.float(), b.float()
    lengths = torch.tensor([40, 11])
    for act in ("none", "glu"):
        torch.library.opcheck(
            torch.ops.sonix.causal_conv1d.default,
            (x.requires_grad_(), w.requires_grad_(), b.requires_grad_(), lengths, act),
        )
    torch.library.opcheck(
        torch.ops.sonix.causal_conv1d.default, (x.detach(), w.detach(), None, None, "gelu")
    )
    gy = torch.randn(2, 4, 40)
    torch.library.opcheck(
        torch.ops.sonix.causal_conv1d_backward.default,
        (gy, x.detach(), w.detach(), None, None, "silu"),
    )
    state = torch.randn(2, 4, 4)
    torch.library.opcheck(
        torch.ops.sonix.causal_conv1d_update.default,
        (x.detach()[..., :7], state, w.detach(), b.detach(), "none"),
    )


def test_compile_fullgraph():
    torch._dynamo.reset()
    mod = SL.CausalDepthwiseConv1d(6, 7, activation="glu")
    x = torch.randn(2, 6, 90, requires_grad=True)
    lengths = torch.tensor([90, 40])
    compiled = torch.compile(mod, fullgraph=True, backend="aot_eager")
    y = compiled(x, lengths)
    torch.testing.assert_close(y, mod(x, lengths))
    y.sum().backward()
    gx = x.grad.clone()
    x.grad = None
    mod(x, lengths).sum().backward()
    torch.testing.assert_close(gx, x.grad)
    step = torch.compile(mod.step, fullgraph=True, backend="aot_eager")
    with torch.no_grad():
        yc, _ = step(x[..., :10])
        torch.testing.assert_close(yc, mod(x)[..., :10])


# ---- streaming -------------------------------------------------------------------------------------------


@given(
    width=WIDTHS,
    act=st.sampled_from(ACTS),
    chunks=st.lists(st.integers(1, 70), min_size=1, max_size=6),
    dtype=st.sampled_from([torch.float64, torch.float32]),
)
def test_streaming_equals_offline(width, act, chunks, dtype):
    time = sum(chunks)
    x, w, b = _problem(2, 4, time, width, dtype=dtype)
    w, b = w.to(dtype), b.to(dtype)
    offline = FL.causal_conv1d(x, w, b, activation=act)
    state, outs, t0 = None, [], 0
    for n in chunks:
        piece = x[..., t0 : t0 + n]
        prev = None if state is None else state.clone()
        y, new_state = FL.causal_conv1d_update(piece, state, w, b, act)
        if prev is not None:
            assert torch.equal(state, prev)  # inputs are not mutated
        outs.append(y)
        state, t0 = new_state, t0 + n
    assert torch.equal(torch.cat(outs, -1), offline)
    # the state is the last width - 1 inputs (zero-padded on the left)
    padded = torch.nn.functional.pad(x, (width - 1, 0))
    assert torch.equal(state, padded[..., -(width - 1) :])


def test_module_step_matches_forward():
    mod = SL.CausalDepthwiseConv1d(8, 4, activation="silu")
    x = torch.randn(3, 8, 100)
    state = mod.init_state(3)
    outs = []
    with torch.no_grad():
        for t0 in range(0, 100, 13):
            y, state = mod.step(x[..., t0 : t0 + 13], state)
            outs.append(y)
        torch.testing.assert_close(torch.cat(outs, -1), mod(x), rtol=0, atol=0)


# ---- modules and nn.Conv1d state dicts -----------------------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
def test_state_dict_round_trip_with_conv1d(bias):
    conv = torch.nn.Conv1d(6, 6, 9, groups=6, bias=bias)
    mod = SL.CausalDepthwiseConv1d(6, 9, bias=bias)
    assert {k: v.shape for k, v in mod.state_dict().items()} == {
        k: v.shape for k, v in conv.state_dict().items()
    }
    mod.load_state_dict(conv.state_dict())
    x = torch.randn(2, 6, 77)
    want = conv(torch.nn.functional.pad(x, (8, 0)))
    torch.testing.assert_close(mod(x), want, rtol=1e-5, atol=1e-5)
    conv2 = torch.nn.Conv1d(6, 6, 9, groups=6, bias=bias)
    conv2.load_state_dict(mod.state_dict())
    torch.testing.assert_close(conv2(torch.nn.functional.pad(x, (8, 0))), want)


def test_module_init_like_conv1d():
    torch.manual_seed(0)
    conv = torch.nn.Conv1d(5, 5, 7, groups=5)
    torch.manual_seed(0)
    mod = SL.CausalDepthwiseConv1d(5, 7)
    torch.testing.assert_close(mod.state_dict(), conv.state_dict())


# ---- bad input --------------------------------------------------------------------------------------------


def test_bad_inputs():
    x = torch.randn(2, 4, 30)
    w = torch.randn(4, 5)
    with pytest.raises(ValueError, match=r"weight must have shape \(4, width\)"):
        FL.causal_conv1d(x, torch.randn(3, 5))
    with pytest.raises(ValueError, match=r"width must be in \[2, 64\], got 1"):
        FL.causal_conv1d(x, torch.randn(4, 1))
    with pytest.raises(ValueError, match=r"width must be in \[2, 64\], got 65"):
        FL.causal_conv1d(x, torch.randn(4, 65))
    with pytest.raises(ValueError, match="even number of channels, got 3"):
        FL.causal_conv1d(torch.randn(2, 3, 30), torch.randn(3, 5), activation="glu")
    with pytest.raises(ValueError, match="activation must be"):
        FL.causal_conv1d(x, w, activation="relu")
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        FL.causal_conv1d(x, w, torch.randn(5))
    with pytest.raises(ValueError, match="lengths must have one entry per example"):
        FL.causal_conv1d(x, w, lengths=torch.tensor([3]))
    with pytest.raises(TypeError, match="lengths must be an integer tensor"):
        FL.causal_conv1d(x, w, lengths=torch.tensor([3.0, 4.0]))
    with pytest.raises(ValueError, match=r"conv_state must have shape \(2, 4, 4\)"):
        FL.causal_conv1d_update(x, torch.zeros(2, 4, 3), w)
    with pytest.raises(ValueError, match="width must be in"):
        torch.ops.sonix.causal_conv1d(x, torch.randn(4, 70), None, None, "none")
    with pytest.raises(ValueError, match="even number of channels"):
        torch.ops.sonix.causal_conv1d(torch.randn(2, 3, 30), torch.randn(3, 5), None, None, "glu")
    with pytest.raises(ValueError, match="activation must be one of"):
        torch.ops.sonix.causal_conv1d(x, w, None, None, "tanh")
    with pytest.raises(ValueError, match="kernel_size must be in"):
        SL.CausalDepthwiseConv1d(4, 70)
    with pytest.raises(ValueError, match="even number"):
        SL.CausalDepthwiseConv1d(5, 3, activation="glu")


# ---- CUDA against CPU -------------------------------------------------------------------------------------


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("width", [3, 4, 31, 17])
def test_cuda_matches_cpu(act, width):
    x, w, b = _problem(3, 8, 3001, width, dtype=torch.float32)
    w, b = w.float(), b.float()
    lengths = torch.tensor([3001, 1000, 5])
    gy = _rand((3, 4 if act == "glu" else 8, 3001), 4, torch.float32)
    outs = {}
    for dev in ("cpu", "cuda"):
        ts = [t.detach().clone().to(dev).requires_grad_(True) for t in (x, w, b)]
        y = FL.causal_conv1d(*ts, activation=act, lengths=lengths.to(dev))
        y.backward(gy.to(dev))
        ys, st_ = FL.causal_conv1d_update(
            x[..., :100].to(dev), x[..., 100 : 100 + width - 1].to(dev), w.to(dev), b.to(dev), act
        )
        outs[dev] = [y, *(t.grad for t in ts), ys, st_]
    for u, v in zip(outs["cpu"], outs["cuda"], strict=True):
        torch.testing.assert_close(v.cpu(), u, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("act", ["none", "glu"])
def test_backward_strided_grad(act):
    """Expanded (stride 0) and strided upstream gradients give the same result as contiguous ones."""
    x, w, b = _problem(2, 4, 300, 7, dtype=torch.float32)
    w, b = w.float(), b.float()
    cout = 2 if act == "glu" else 4
    for g in (
        torch.ones(()).expand(2, cout, 300),
        _rand((2, cout, 600), 4, torch.float32)[..., ::2],
        _rand((2, 300, cout), 5, torch.float32).transpose(1, 2),
    ):
        got = torch.ops.sonix.causal_conv1d_backward(g, x, w, b, None, act)
        want = torch.ops.sonix.causal_conv1d_backward(g.contiguous(), x, w, b, None, act)
        for u, v in zip(got, want, strict=True):
            torch.testing.assert_close(u, v, rtol=1e-6, atol=1e-6)
