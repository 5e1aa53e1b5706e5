"""Runs the public sonix ops once on CUDA (small inputs, forward and backward) and compares output and
input gradient with the same call on the CPU. Small on purpose: ci/gpu_check.sh runs it under
compute-sanitizer. Prints one line per op; exit status 0 when every op ran and matched."""

from __future__ import annotations

import sys
import traceback

import torch

import sonix
from sonix import augment as A
from sonix import functional as F

LOG_DB = sonix.LogSpec.db(10.0, 1e-10, 1.0)


def _cases():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4001, generator=g)  # a batch of 3, odd length
    spec = torch.stft(x, 400, 160, window=torch.hann_window(400), return_complex=True)

    def w(d, n=400):
        return torch.hann_window(n, device=d)

    def fb(d):
        return F.mel_filterbank(16000, 400, 40, device=d).t().contiguous()

    yield "stft", x, lambda v, d: F.stft(v, 400, 160, window=w(d))
    yield "stft strided", x, lambda v, d: F.stft(v[:, ::2], 256, 64, window=w(d, 256))
    yield "istft", spec, lambda v, d: F.istft(v, 400, 160, window=w(d), length=4001)
    yield "spectrogram", x, lambda v, d: F.spectrogram(v, 400, 160, window=w(d))
    yield (
        "mel+db",
        x,
        lambda v, d: F.mel_spectrogram(
            v, 16000, 400, hop_length=160, mel_fb=fb(d), window=w(d), log=LOG_DB, top_db=80.0
        ),
    )
    yield (
        "mel+log10",
        x,
        lambda v, d: F.mel_spectrogram(
            v,
            16000,
            400,
            hop_length=160,
            mel_fb=fb(d),
            window=w(d),
            log=sonix.LogSpec.log("10", 1e-10),
        ),
    )
    yield "mfcc", x, lambda v, d: F.mfcc(v, 16000, n_mfcc=13, n_fft=400, hop_length=160, n_mels=40)
    yield "power_to_db", x.abs()[None] + 1e-3, lambda v, d: F.power_to_db(v)
    yield (
        "mel half",
        x,
        lambda v, d: F.mel_spectrogram(v.half(), 16000, 400, hop_length=160, mel_fb=fb(d)).float(),
    )
    # ---- layers: snake, causal depthwise conv1d (parameters built on the device from fixed values)
    act = torch.randn(2, 6, 1001, generator=g)
    alpha = torch.randn(6, generator=g) * 0.3
    beta = torch.randn(6, generator=g) * 0.3
    cw = torch.randn(6, 31, generator=g) * 0.2
    cb = torch.randn(6, generator=g)
    lengths = torch.tensor([1001, 400])

    def p(t, d):
        return t.to(d)

    yield "snake", act, lambda v, d: F.snake(v, p(alpha, d).exp())
    yield "snakebeta log", act, lambda v, d: F.snake(v, p(alpha, d), p(beta, d), logscale=True)
    yield "snake half", act, lambda v, d: F.snake(v.half(), p(alpha, d).exp()).float()
    yield "causal_conv", act, lambda v, d: F.causal_conv1d(v, p(cw, d), p(cb, d))
    yield (
        "causal_conv glu",
        act,
        lambda v, d: F.causal_conv1d(
            v, p(cw[:, :5], d), p(cb, d), activation="glu", lengths=p(lengths, d)
        ),
    )
    yield (
        "causal_conv gelu",
        act,
        lambda v, d: F.causal_conv1d(v[:, :, ::2], p(cw[:, :4], d), None, activation="gelu"),
    )
    # losses: gradient w.r.t. the prediction, against a fixed target
    target = 0.8 * torch.roll(x, 7, -1)
    mrstft = sonix.losses.MultiResolutionSTFTLoss([256, 512, 128], [30, 60, 12], [150, 300, 60])
    yield "mrstft loss", x, lambda v, d: mrstft(v, target.to(d))
    yield "mrstft loss f64", x.double(), lambda v, d: mrstft(v, target.double().to(d))
    mel_loss = sonix.losses.MultiScaleMelLoss(16000, n_mels=[40, 20], window_lengths=[512, 128])
    yield "mel loss", x, lambda v, d: mel_loss(v, target.to(d))

    # ---- filters (IIR) ----
    def biquads(d):  # per-row lowpass biquads (b, a), each (3, 3)
        return F.biquad_coeffs(
            "lowpass", 16000, torch.tensor([300.0, 1000.0, 4000.0], device=d), 0.9
        )

    yield (
        "lfilter",
        x,
        lambda v, d: F.lfilter(v, biquads(d)[1].float(), biquads(d)[0].float(), clamp=False),
    )
    yield (
        "lfilter order 5",
        x,
        lambda v, d: sonix.ops.filters.lfilter(
            v, torch.tensor([1.0, -0.9, 0.3, -0.1, 0.05, -0.01], device=d), torch.ones(6, device=d)
        )[0],
    )
    yield (
        "sosfilt butter6",
        x,
        lambda v, d: F.sosfilt(v, F.butter_sos(6, 1000.0, fs=16000, device=d).float()),
    )
    yield (
        "filtfilt",
        x,
        lambda v, d: F.filtfilt(
            v, torch.tensor([0.2, 0.3], device=d), torch.tensor([1.0, -0.5], device=d)
        ),
    )
    yield (
        "lfilter half",
        x,
        lambda v, d: F.lfilter(
            v.half(), biquads(d)[1].float(), biquads(d)[0].float(), clamp=False
        ).float(),
    )
    # ---- resample / convolve ----
    yield "resample", x, lambda v, d: F.resample(v, 48000, 44100)
    yield "resample best", x, lambda v, d: F.resample(v, 44100, 16000, quality="best")
    yield "resample half", x, lambda v, d: F.resample(v.half(), 16000, 22050).float()
    yield "resample otf", x, lambda v, d: F.resample(v, 20001, 30001, quality="best")
    rates = torch.tensor([14400, 16000, 17600])
    yield "resample rates", x, lambda v, d: F.resample(v, rates.to(d), 16000)[0]
    h = torch.randn(3, 700, generator=g)
    yield "fftconvolve", x, lambda v, d: F.fftconvolve(v, h.to(d), "same")
    yield "convolve direct", x, lambda v, d: F.convolve(v, h[:, :20].to(d), "full", "direct")
    # layers_extra: fused anti-aliased activation (SnakeBeta, log scale) and PCEN
    act = torch.randn(2, 6, 1001, generator=g)
    aa_alpha, aa_beta = 0.3 * torch.randn(6, generator=g), 0.3 * torch.randn(6, generator=g)
    yield (
        "antialias",
        act,
        lambda v, d: F.anti_alias_activation(v, aa_alpha.to(d), aa_beta.to(d), log_scale=True),
    )
    yield (
        "antialias r3",
        act[:, :, :37],
        lambda v, d: F.anti_alias_activation(
            v, aa_alpha.to(d), None, 3, 2, up_kernel_size=7, down_kernel_size=5
        ),
    )
    yield "pcen", torch.rand(2, 5, 700, generator=g) ** 4 * 10, lambda v, d: F.pcen(v)
    # augment: keyed draws give the same parameters on both devices
    chain = A.Compose(
        [A.Gain(p=1.0), A.PolarityInversion(), A.TanhDistortion(p=1.0), A.Clipping(10, 10, p=1.0)],
        seed=0,
    )
    yield "augment chain", x, lambda v, d: chain(v, step=0)
    keys = torch.arange(3)
    yield (
        "keyed noise",
        x,
        lambda v, d: v + torch.ops.sonix.keyed_normal(keys.to(d), 1, 0, 5, 4001, torch.float32),
    )


def _run(fn, inp: torch.Tensor, device: str):
    v = inp.detach().clone().to(device).requires_grad_(True)
    out = fn(v, device)
    real = torch.view_as_real(out) if out.is_complex() else out
    real.sum().backward()
    if device == "cuda":
        torch.cuda.synchronize()
    return out.detach().cpu(), v.grad.detach().cpu()


def _rel(a: torch.Tensor, r: torch.Tensor) -> float:
    return ((a.to(r.dtype) - r).abs().max() / r.abs().max().clamp_min(1e-12)).item()


def main() -> int:
    if not torch.cuda.is_available():
        print("cuda_smoke: no CUDA device")
        return 2
    if not sonix.WITH_CUDA:
        print("cuda_smoke: sonix was built without CUDA kernels (build with SONIX_CUDA=ON)")
        return 2
    failed = 0
    for name, inp, fn in _cases():
        try:
            ref, ref_grad = _run(fn, inp, "cpu")
            out, grad = _run(fn, inp, "cuda")
            err, gerr = _rel(out, ref), _rel(grad, ref_grad)
            if "loss" in name:
                # log-magnitude L1: sign(ln|Y| - ln|X|) flips in single bins where |X| ~ |Y|, and cuFFT
                # and pocketfft round differently, so the gradient is compared by relative L2 norm
                gerr = (
                    (grad.double() - ref_grad.double()).norm() / ref_grad.double().norm()
                ).item()
            tol = 1e-2 if "half" in name else 1e-3
            ok = err < tol and gerr < tol
            failed += not ok
            print(
                f"cuda_smoke: {name:14s} rel err {err:.1e}, grad rel err {gerr:.1e}  {'ok' if ok else 'MISMATCH'}"
            )
        except Exception as exc:  # noqa: BLE001  (report every op, then fail)
            failed += 1
            print(
                f"cuda_smoke: {name:14s} FAILED {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            )
            traceback.print_exc(limit=3, file=sys.stderr)
    print(f"cuda_smoke: {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
