"""sonix.augment.spec (SpecAugment, FrequencyMasking, TimeMasking) and sonix.augment.mix (Mixup):
per-example loop references, lengths, distributions, determinism, replay, autograd, compile, errors."""

from __future__ import annotations

import math

import pytest
import scipy.stats
import torch

from sonix.augment.mix import MixOutput, Mixup
from sonix.augment.spec import FrequencyMasking, SpecAugment, TimeMasking, spec_mask

# ---- references -----------------------------------------------------------------------------------


def ref_spec_mask(x, params, lengths, mask_value):
    """Loops over examples, channels and masks in float64: the masked spectrogram from the params."""
    x = x.to(torch.float64)
    b, c, f, t = x.shape
    out = x.clone()
    for i in range(b):
        valid = t if lengths is None else int(lengths[i])
        for ch in range(c):
            cp = ch if params["applied"].shape[1] > 1 else 0
            if not bool(params["applied"][i, cp]):
                continue
            if mask_value == "mean":
                fill = x[i, ch, :, :valid].mean().item() if valid else 0.0
            else:
                fill = float(mask_value)
            for s, w in zip(
                params["freq_start"][i, cp].tolist(),
                params["freq_width"][i, cp].tolist(),
                strict=True,
            ):
                out[i, ch, s : s + w, :valid] = fill
            for s, w in zip(
                params["time_start"][i, cp].tolist(),
                params["time_width"][i, cp].tolist(),
                strict=True,
            ):
                assert s + w <= valid
                out[i, ch, :, s : s + w] = fill
    return out


def ref_mixup(x, params):
    """Loops over the batch in float64: lam x[i] + (1 - lam) x[partner] on applied rows."""
    x = x.to(torch.float64)
    out = x.clone()
    for i in range(x.shape[0]):
        if bool(params["applied"][i, 0]):
            lam = params["lam"][i, 0].item()
            out[i] = lam * x[i] + (1 - lam) * x[int(params["partner"][i, 0])]
    return out


def spec(shape, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g, dtype=torch.float64).add(0.5).to(dtype)


# ---- SpecAugment ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["per_example", "per_channel", "per_batch"])
@pytest.mark.parametrize("mask_value", [0.0, -3.5, "mean"])
def test_spec_augment_matches_loop_reference(mode, mask_value):
    x = spec((5, 2, 12, 30))
    lengths = torch.tensor([30, 17, 1, 0, 25])
    aug = SpecAugment(5, 9, 2, 3, mask_value=mask_value, mode=mode, seed=3)
    out = aug(x, lengths=lengths, return_params=True)
    p = out.params["SpecAugment"]
    cp = 2 if mode == "per_channel" else 1
    assert p["freq_width"].shape == (5, cp, 2) and p["time_width"].shape == (5, cp, 3)
    expected = ref_spec_mask(x, p, lengths, mask_value)
    torch.testing.assert_close(out.samples.to(torch.float64), expected, rtol=1e-6, atol=1e-6)
    assert torch.equal(out.lengths, lengths)


def test_spec_augment_shapes_3d_2d_and_dtypes():
    for shape in [(3, 10, 20), (10, 20)]:
        for dtype in (torch.float32, torch.float64, torch.bfloat16, torch.float16):
            x = spec(shape, dtype=dtype)
            y = SpecAugment(4, 5, seed=0)(x)
            assert y.shape == x.shape and y.dtype == dtype
            assert bool((y == 0).any())  # masked something (widths 0 for all 4 masks is unlikely)
    x3 = spec((3, 10, 20))
    a, b = SpecAugment(4, 5, seed=1), SpecAugment(4, 5, seed=1)
    assert torch.equal(a(x3), b(x3[:, None])[:, 0])  # 3-D is 4-D with one channel


def test_spec_augment_padding_untouched_and_time_masks_inside_valid_frames():
    x = spec((6, 1, 8, 40))
    lengths = torch.tensor([40, 31, 10, 3, 1, 0])
    for step in range(20):
        out = SpecAugment(8, 40, 3, 3, mask_value=-1.0, seed=5)(
            x, lengths, step=step, return_params=True
        )
        for i, n in enumerate(lengths.tolist()):
            assert torch.equal(out.samples[i, :, :, n:], x[i, :, :, n:])
        p = out.params["SpecAugment"]
        end = p["time_start"] + p["time_width"]
        assert bool((end <= lengths[:, None, None]).all())
        assert bool((p["time_start"] >= 0).all()) and bool((p["freq_start"] >= 0).all())
        assert bool((p["freq_start"] + p["freq_width"] <= 8).all())


def test_spec_augment_width_and_start_distributions():
    # Many examples (ids): widths cover [0, param] uniformly and starts stay in [0, size - width].
    n = 4000
    x = torch.ones(n, 1, 16, 50)
    aug = SpecAugment(6, 10, 1, 1, seed=11)
    p = aug(x, example_ids=torch.arange(n) * 7919, return_params=True).params["SpecAugment"]
    fw, fs = p["freq_width"].flatten(), p["freq_start"].flatten()
    tw, ts = p["time_width"].flatten(), p["time_start"].flatten()
    for w, param in ((fw, 6), (tw, 10)):
        counts = torch.bincount(w, minlength=param + 1)
        assert counts.numel() == param + 1
        assert scipy.stats.chisquare(counts.numpy()).pvalue > 1e-3
    assert bool((fs <= 16 - fw).all()) and bool((ts <= 50 - tw).all())
    # Given width 0, the start is uniform over all 17 / 51 positions (start - 0 can reach size).
    assert int(fs.max()) == 16 and int(ts.max()) == 50
    # freq_mask_param beyond the size is capped at the size.
    big = SpecAugment(100, 0, 1, 0, seed=0)(torch.ones(500, 1, 4, 5), return_params=True)
    assert int(big.params["SpecAugment"]["freq_width"].max()) == 4


def test_time_masking_max_time_fraction_caps_widths_per_example():
    x = torch.ones(300, 1, 2, 100)
    lengths = torch.randint(0, 101, (300,), generator=torch.Generator().manual_seed(0))
    out = TimeMasking(80, n_masks=2, max_time_fraction=0.2, seed=4)(x, lengths, return_params=True)
    tw = out.params["TimeMasking"]["time_width"]
    cap = torch.floor(0.2 * lengths.to(torch.float64)).to(torch.int64)
    assert bool((tw <= cap[:, None, None]).all())
    reached = (tw == cap[:, None, None]) & (cap[:, None, None] >= 5)
    assert bool(reached.any())  # the cap is reached
    assert out.params["TimeMasking"]["freq_width"].shape[-1] == 0


def test_frequency_masking_masks_whole_bands_only():
    x = spec((8, 1, 20, 30))
    y = FrequencyMasking(6, n_masks=2, seed=2)(x)
    masked = y == 0
    rows = masked.all(-1)  # a bin is masked across all frames or not at all
    assert torch.equal(masked, rows[..., None].expand_as(masked))
    assert bool(rows.any())


def test_spec_augment_modes_share_masks_as_documented():
    x = spec((4, 3, 10, 20))
    y = SpecAugment(5, 8, mode="per_example", seed=1)(x) == 0
    assert all(torch.equal(y[:, 0], y[:, c]) for c in range(3))
    y = SpecAugment(5, 8, mode="per_channel", seed=1)(x) == 0
    assert not all(torch.equal(y[:, 0], y[:, c]) for c in range(3))
    y = SpecAugment(5, 8, mode="per_batch", seed=1)(x) == 0
    assert all(torch.equal(y[0], y[i]) for i in range(4))


def test_spec_augment_determinism_and_example_ids():
    x = spec((4, 2, 10, 25))
    ids = torch.tensor([5, 99, 7, 123456789])
    a = SpecAugment(5, 8, seed=42)(x, example_ids=ids, step=3)
    b = SpecAugment(5, 8, seed=42)(x, example_ids=ids, step=3)
    assert torch.equal(a, b)
    for i in range(4):
        one = SpecAugment(5, 8, seed=42)(x[i : i + 1], example_ids=ids[i : i + 1], step=3)
        assert torch.equal(one, a[i : i + 1])
    aug = SpecAugment(5, 8, seed=42)
    assert not torch.equal(aug(x), aug(x))  # the internal step moves on
    assert not torch.equal(a, SpecAugment(5, 8, seed=43)(x, example_ids=ids, step=3))


def test_spec_augment_replay_and_probability():
    x = spec((64, 1, 10, 20))
    aug = SpecAugment(5, 8, p=0.5, seed=0)
    out = aug(x, return_params=True)
    again = aug(x, params=out.params)
    assert torch.equal(out.samples, again)
    applied = out.params["SpecAugment"]["applied"][:, 0]
    assert 16 < int(applied.sum()) < 48
    assert torch.equal(out.samples[~applied], x[~applied])
    assert torch.equal(SpecAugment(5, 8, p=0.0, seed=0)(x), x)


def test_spec_augment_mean_fill_is_the_valid_mean():
    x = spec((3, 2, 6, 12), dtype=torch.float64)
    lengths = torch.tensor([12, 5, 9])
    out = SpecAugment(6, 0, 1, 0, mask_value="mean", seed=9)(x, lengths, return_params=True)
    p = out.params["SpecAugment"]
    for i, n in enumerate(lengths.tolist()):
        s, w = int(p["freq_start"][i, 0, 0]), int(p["freq_width"][i, 0, 0])
        if w:
            for c in range(2):
                mean = x[i, c, :, :n].mean()
                assert torch.allclose(out.samples[i, c, s : s + w, :n], mean.expand(w, n))


def test_spec_augment_gradient_zero_on_masked_positions():
    x = spec((3, 1, 8, 16), dtype=torch.float64).requires_grad_()
    for mask_value in (0.0, "mean"):
        y = SpecAugment(4, 6, mask_value=mask_value, seed=1)(x, step=0)
        w = torch.randn_like(y)
        (g,) = torch.autograd.grad((y * w).sum(), x)
        masked = SpecAugment(4, 6, mask_value=mask_value, seed=1)(x.detach(), step=0) != x.detach()
        assert bool(masked.any())
        assert torch.equal(g[masked], torch.zeros_like(g[masked]))
        assert torch.equal(g[~masked], w[~masked])
    small = spec((2, 1, 3, 4), dtype=torch.float64).requires_grad_()
    aug = SpecAugment(2, 2, mask_value=0.5, seed=0)  # "mean" is a detached fill: no gradcheck
    assert torch.autograd.gradcheck(lambda v: aug(v, step=0), (small,))


def test_spec_mask_compiles_fullgraph_given_params():
    x = spec((3, 2, 8, 16))
    lengths = torch.tensor([16, 9, 4])
    for mask_value in (0.0, "mean"):
        out = SpecAugment(4, 6, mask_value=mask_value, seed=2)(x, lengths, return_params=True)
        p = out.params["SpecAugment"]
        torch._dynamo.reset()
        fn = torch.compile(spec_mask, fullgraph=True, backend="eager")
        assert torch.equal(fn(x, p, lengths, mask_value), out.samples)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"freq_mask_param": -1}, "freq_mask_param"),
        ({"time_mask_param": 2.5}, "time_mask_param"),
        ({"n_freq_masks": -2}, "n_freq_masks"),
        ({"n_time_masks": True}, "n_time_masks"),
        ({"mask_value": "median"}, "mask_value"),
        ({"max_time_fraction": 1.5}, "max_time_fraction"),
        ({"p": 2.0}, "p must"),
        ({"mode": "per_sample"}, "mode"),
    ],
)
def test_spec_augment_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SpecAugment(**kwargs)


def test_spec_augment_bad_input():
    aug = SpecAugment(seed=0)
    with pytest.raises(TypeError, match="specgram"):
        aug(torch.ones(2, 4, 5, dtype=torch.int64))
    with pytest.raises(TypeError, match="specgram"):
        aug(torch.ones(2, 4, 5, dtype=torch.complex64))
    with pytest.raises(ValueError, match="specgram"):
        aug(torch.ones(1, 2, 3, 4, 5))
    with pytest.raises(ValueError, match="lengths"):
        aug(torch.ones(2, 4, 5), lengths=torch.tensor([5, 6]))
    with pytest.raises(ValueError, match="lengths"):
        aug(torch.ones(2, 4, 5), lengths=torch.tensor([5]))


# ---- Mixup ----------------------------------------------------------------------------------------


def test_mixup_matches_loop_reference_and_mixes_targets():
    x = torch.randn(6, 2, 50, dtype=torch.float64)
    targets = torch.softmax(torch.randn(6, 4, dtype=torch.float64), -1)
    out = Mixup(alpha=0.4, p=0.7, seed=1)(x, targets, return_params=True)
    assert isinstance(out, MixOutput)
    p = out.params["Mixup"]
    assert sorted(p["partner"][:, 0].tolist()) == list(range(6))  # a permutation
    torch.testing.assert_close(out.samples, ref_mixup(x, p), rtol=1e-13, atol=1e-13)
    torch.testing.assert_close(out.targets, ref_mixup(targets, p), rtol=1e-13, atol=1e-13)
    off = ~p["applied"][:, 0]
    assert torch.equal(out.samples[off], x[off]) and torch.equal(out.targets[off], targets[off])
    assert out.lengths is None


def test_mixup_return_types_and_shapes():
    x = torch.randn(4, 30)
    y, t = Mixup(seed=0)(x)
    assert t is None and y.shape == x.shape
    x4 = torch.randn(4, 2, 5, 30)  # (batch, channels, freq, frames): mixed alike
    out = Mixup(seed=0)(x4, return_params=True)
    torch.testing.assert_close(
        out.samples, ref_mixup(x4, out.params["Mixup"]).to(torch.float32), rtol=1e-6, atol=1e-6
    )
    for dtype in (torch.float16, torch.bfloat16):
        y, _ = Mixup(seed=0)(x.to(dtype))
        assert y.dtype == dtype


def test_mixup_integer_and_bool_targets():
    x = torch.randn(5, 1, 20)
    classes = torch.tensor([0, 2, 1, 2, 0])
    with pytest.raises(ValueError, match="num_classes"):
        Mixup(seed=0)(x, classes)
    out = Mixup(seed=0, num_classes=3)(x, classes, return_params=True)
    onehot = torch.nn.functional.one_hot(classes, 3).to(torch.float64)
    torch.testing.assert_close(
        out.targets.to(torch.float64), ref_mixup(onehot, out.params["Mixup"]), rtol=1e-6, atol=1e-7
    )
    assert torch.allclose(out.targets.sum(-1), torch.ones(5))
    multi = torch.rand(5, 3) > 0.5
    _, t = Mixup(seed=0)(x, multi)
    assert t.dtype == torch.float32 and bool(((t >= 0) & (t <= 1)).all())
    with pytest.raises(ValueError, match="num_classes"):
        Mixup(seed=0, num_classes=3)(x, torch.tensor([0, 1, 3, 0, 0]))
    with pytest.raises(ValueError, match="batch"):
        Mixup(seed=0)(x, torch.ones(4, 3))


def test_mixup_lengths_are_the_longer_of_the_pair():
    x = torch.randn(6, 1, 40)
    lengths = torch.tensor([40, 10, 25, 0, 33, 7])
    x = x * (torch.arange(40) < lengths[:, None, None])
    out = Mixup(p=0.8, seed=2)(x, lengths=lengths, return_params=True)
    p = out.params["Mixup"]
    partner, applied = p["partner"][:, 0], p["applied"][:, 0]
    expected = torch.where(applied, torch.maximum(lengths, lengths[partner]), lengths)
    assert torch.equal(out.lengths, expected)
    for i, n in enumerate(out.lengths.tolist()):
        assert bool((out.samples[i, :, n:] == 0).all())


def test_mixup_lambda_statistics_match_beta():
    # One call over many example ids: lam per example ~ Beta(alpha, alpha).
    n = 20000
    x = torch.zeros(n, 1, 1)
    for alpha in (0.4, 2.0):
        out = Mixup(alpha=alpha, seed=7)(x, example_ids=torch.arange(n), return_params=True)
        lam = out.params["Mixup"]["lam"][:, 0].numpy()
        var = 1.0 / (4 * (2 * alpha + 1))
        assert abs(lam.mean() - 0.5) < 4 * math.sqrt(var / n)
        assert abs(lam.var() - var) < 0.05 * var
        assert scipy.stats.kstest(lam, "beta", args=(alpha, alpha)).pvalue > 1e-3


def test_mixup_determinism_and_permutation_changes_per_step():
    x = torch.randn(8, 1, 16)
    a, _ = Mixup(seed=3)(x, step=5)
    b, _ = Mixup(seed=3)(x, step=5)
    assert torch.equal(a, b)
    aug = Mixup(seed=3)
    perms = {
        tuple(aug(x, return_params=True).params["Mixup"]["partner"][:, 0].tolist())
        for _ in range(5)
    }
    assert len(perms) > 1
    out = aug(x, return_params=True)
    assert torch.equal(aug(x, params=out.params)[0], out.samples)
    # lam of an example depends on its id, not on its place in the batch.
    ids = torch.tensor([10, 11, 12, 13, 14, 15, 16, 17])
    full = Mixup(seed=3)(x, example_ids=ids, step=0, return_params=True).params["Mixup"]["lam"]
    rev = Mixup(seed=3)(x, example_ids=ids.flip(0), step=0, return_params=True).params["Mixup"][
        "lam"
    ]
    assert torch.equal(full, rev.flip(0))


def test_mixup_per_batch_mode_and_probability():
    x = torch.randn(8, 1, 16)
    lam = Mixup(mode="per_batch", seed=1)(x, return_params=True).params["Mixup"]["lam"]
    assert bool((lam == lam[0]).all())
    p = Mixup(p=0.0, seed=1)(x, return_params=True)
    assert torch.equal(p.samples, x)
    with pytest.raises(ValueError, match="mode"):
        Mixup(mode="per_channel")


def test_mixup_gradcheck():
    x = torch.randn(3, 1, 5, dtype=torch.float64, requires_grad=True)
    aug = Mixup(seed=0)
    assert torch.autograd.gradcheck(lambda v: aug(v, step=0)[0], (x,))


@pytest.mark.parametrize("alpha", [0, -1.0, True, "0.4"])
def test_mixup_bad_alpha(alpha):
    with pytest.raises(ValueError, match="alpha"):
        Mixup(alpha=alpha)


def test_mixup_bad_input():
    with pytest.raises(ValueError, match="samples"):
        Mixup(seed=0)(torch.randn(10))
    with pytest.raises(TypeError, match="samples"):
        Mixup(seed=0)(torch.ones(2, 10, dtype=torch.int32))
    with pytest.raises(ValueError, match="num_classes"):
        Mixup(num_classes=0)


def test_mixup_inside_compose_updates_lengths():
    from sonix.augment import Compose, Gain

    x = torch.randn(6, 1, 30)
    lengths = torch.tensor([30, 12, 5, 30, 0, 18])
    x = x * (torch.arange(30) < lengths[:, None, None])
    out = Compose([Gain(p=1.0), Mixup(seed=0)], seed=4)(x, lengths=lengths, return_params=True)
    p = out.params["1.Mixup"]
    assert torch.equal(out.lengths, torch.maximum(lengths, lengths[p["partner"][:, 0]]))
    for i, n in enumerate(out.lengths.tolist()):
        assert bool((out.samples[i, :, n:] == 0).all())


def test_spec_augment_and_mixup_same_on_every_device(device):
    x = spec((4, 2, 10, 25))
    lengths = torch.tensor([25, 20, 3, 0])
    want = SpecAugment(5, 8, mask_value="mean", seed=1)(x, lengths, step=2).samples
    got = SpecAugment(5, 8, mask_value="mean", seed=1)(x.to(device), lengths.to(device), step=2)
    torch.testing.assert_close(got.samples.cpu(), want, rtol=1e-6, atol=1e-6)
    w = torch.randn(6, 1, 40)
    want = Mixup(seed=1)(w, torch.rand(6, 3), step=2)
    got = Mixup(seed=1)(w.to(device), torch.rand(6, 3).to(device), step=2)
    torch.testing.assert_close(got[0].cpu(), want[0], rtol=1e-6, atol=1e-6)
