"""Additive noise and reverberation at a drawn SNR / wet mix: AddColoredNoise, AddBackgroundNoise,
ApplyImpulseResponse. Every example gets its own noise, bank row, offset and SNR; the batch is
processed in one pass (one FFT pair, one gather, one convolution), without a loop over examples.

SNR semantics (torch-audiomentations'): per example and channel, the noise is scaled so that
20 log10(RMS(signal) / RMS(noise)) equals the drawn SNR, both RMS taken over the valid samples
(``lengths``); a silent channel gets no noise. Noise is only added to the valid samples.
"""

from __future__ import annotations

import torch

from .._dtypes import compute_dtype
from ..functional.convolve import fftconvolve
from ..ops import augment as _aug  # noqa: F401  (fake kernels of the keyed ops)
from .base import Augmentation, AugmentContext, Params, check_range, length_mask, where_applied
from .random import NOISE_STREAM_BIT, Draws

_ops = torch.ops.sonix

_NOISE_STREAM = NOISE_STREAM_BIT | 0x4E5  # the stream of noise drawn from a logged key
_KEY_STREAM_FLIP = 0x4000  # the key draw's stream: apart from the transform's parameter stream


def draw_noise_keys(d: Draws, per_channel: bool) -> torch.Tensor:
    """int64 (batch, channels if per_channel else 1) keys of sample-level noise: 48 random bits per
    example (and channel), drawn per example whatever the mode (in per_batch mode the parameters are
    shared, the noise is not). Logged with the parameters, so a replay gets the same noise."""
    mode = "per_channel" if per_channel else "per_example"
    rows = Draws(d.seed, d.step, d.stream ^ _KEY_STREAM_FLIP, mode, d.example_ids, d.channels)
    u = rows.uniform(2)
    lo = torch.floor(u[..., 0] * 2.0**32).to(torch.int64)
    hi = torch.floor(u[..., 1] * 2.0**16).to(torch.int64)
    return lo | (hi << 32)


def keyed_noise(keys: torch.Tensor, count: int, dtype: torch.dtype) -> torch.Tensor:
    """Standard normal noise (*keys.shape, count) in dtype (float32 / float64), a pure function of
    each key (the op reads its low 48 bits)."""
    n = _ops.keyed_normal(keys.reshape(-1), 0, 0, _NOISE_STREAM, count, dtype)
    return n.reshape(keys.shape + (count,))


def white_spectrum(keys: torch.Tensor, time: int, dtype: torch.dtype) -> torch.Tensor:
    """The rfft (*keys.shape, time // 2 + 1) of a white Gaussian noise of ``time`` samples up to a
    constant scale, drawn in the frequency domain (one FFT fewer than rfft of time-domain noise):
    bins with independent standard normal real and imaginary parts, the DC and (even time)
    Nyquist bins real. Those two have half the variance the rfft of real noise gives them: callers
    shaping the spectrum scale them by sqrt(2) (:func:`edge_gain`)."""
    n_freq = time // 2 + 1
    z = keyed_noise(keys, 2 * n_freq, dtype).reshape(keys.shape + (n_freq, 2))
    z[..., 0, 1] = 0  # our own fresh tensor: zero the imaginary parts in place
    if time % 2 == 0:
        z[..., -1, 1] = 0
    return torch.view_as_complex(z)


def edge_gain(time: int, dtype: torch.dtype, device) -> torch.Tensor:
    """(time // 2 + 1,) ones with sqrt(2) at DC and (even time) Nyquist: with :func:`white_spectrum`,
    the spectrum of real white noise in distribution."""
    g = torch.ones(time // 2 + 1, dtype=dtype, device=device)
    g[0] = 2**0.5
    if time % 2 == 0:
        g[-1] = 2**0.5
    return g


def valid_mean_square(x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """Mean square over the valid samples of x (batch, channels, time) -> (batch, channels), 0 for
    empty rows."""
    sq = torch.linalg.vector_norm(x, dim=-1).square()  # one pass, no squared copy
    if lengths is None:
        return sq / x.shape[-1]
    return sq / lengths.clamp_min(1).to(x.dtype)[:, None]


def snr_scale(
    x: torch.Tensor, noise: torch.Tensor, snr_db: torch.Tensor, lengths: torch.Tensor | None
) -> torch.Tensor:
    """(batch, channels) factor that scales noise to the SNR snr_db (batch, channels_p) per example
    and channel against x, RMS over the valid samples (noise zero on the padding); 0 where the
    noise or the signal is silent. Differentiable w.r.t. x (through the signal RMS)."""
    tiny = torch.finfo(x.dtype).tiny
    sig_ms = valid_mean_square(x, lengths)
    noise_ms = valid_mean_square(noise, lengths)
    ratio = torch.sqrt(sig_ms.clamp_min(tiny) / noise_ms.clamp_min(tiny))
    scale = ratio / torch.pow(10.0, snr_db / 20.0).to(x.dtype)
    return torch.where((sig_ms > 0) & (noise_ms > 0), scale, torch.zeros_like(scale))


def add_at_snr(
    x: torch.Tensor, noise: torch.Tensor, snr_db: torch.Tensor, lengths: torch.Tensor | None
) -> torch.Tensor:
    """x + noise scaled to the SNR snr_db (batch, channels_p) per example and channel (see
    :func:`snr_scale`); noise (batch, 1 or channels, time), zero on the padding."""
    return torch.addcmul(x, snr_scale(x, noise, snr_db, lengths)[..., None], noise)


def _check_bank(bank, name: str, allowed_dims: tuple[int, ...], shape_text: str) -> torch.Tensor:
    if not isinstance(bank, torch.Tensor):
        raise TypeError(
            f"sonix: {name} must be a torch.Tensor {shape_text}, got {type(bank).__name__}"
        )
    if not bank.is_floating_point():
        raise TypeError(f"sonix: {name} must be a floating-point tensor, got {bank.dtype}")
    if bank.dim() not in allowed_dims:
        raise ValueError(f"sonix: {name} must have shape {shape_text}, got {tuple(bank.shape)}")
    if bank.numel() == 0:
        raise ValueError(
            f"sonix: {name} must hold at least one non-empty row {shape_text}, "
            f"got {tuple(bank.shape)}"
        )
    if not bool(torch.isfinite(bank).all()):
        raise ValueError(f"sonix: {name} must be finite, got NaN or inf values")
    silent = (bank.reshape(bank.shape[0], -1) == 0).all(-1)
    if bool(silent.any()):
        rows = silent.nonzero()[:, 0].tolist()
        raise ValueError(f"sonix: {name} rows must not be all zeros, got silent rows {rows[:8]}")
    return bank.detach().contiguous()


def _check_device(bank: torch.Tensor, name: str, x: torch.Tensor) -> None:
    if bank.device != x.device:
        raise ValueError(
            f"sonix: {name} is on {bank.device} but samples are on {x.device}: move the transform "
            "with .to(device)"
        )


def on_applied_examples(x: torch.Tensor, params: Params, lengths: torch.Tensor | None, fn):
    """y = fn(x_sub, params_sub, lengths_sub) on the examples with a row applied, x elsewhere.

    Eagerly only those examples are computed (noise and FFTs are the cost; the choice is a host
    sync); under torch.compile all of them. fn returns x_sub changed only on its applied rows."""
    if torch.compiler.is_compiling():
        return fn(x, params, lengths)
    sel = params["applied"].any(1).nonzero()[:, 0]
    if sel.numel() == x.shape[0]:
        return fn(x, params, lengths)
    if sel.numel() == 0:
        return x
    sub = {k: v.index_select(0, sel) for k, v in params.items()}
    y = fn(x.index_select(0, sel), sub, None if lengths is None else lengths.index_select(0, sel))
    return x.index_copy(0, sel, y)


class AddColoredNoise(Augmentation):
    """Adds noise with power spectral density ~ 1/f^f_decay at a drawn SNR.

    f_decay (uniform in [min_f_decay, max_f_decay]): 0 white, 1 pink (-3 dB / octave), 2 brown
    (-6 dB / octave), -1 blue, -2 violet. White Gaussian noise over the whole time axis is shaped in
    the rfft domain by the magnitude k^(-f_decay / 2) at bin k (DC removed). snr_in_db uniform in
    [min_snr_in_db, max_snr_in_db]; the SNR is met exactly per example and channel over the valid
    samples.

    Like torch-audiomentations, per_example / per_batch add the same noise to every channel of an
    example (scaled per channel) and per_channel independent noise per channel; per_batch shares
    the SNR and f_decay, not the noise. Unlike it, the noise is not one second tiled, and f_decay is
    the exponent of the power spectrum (torch-audiomentations' mask 1 / linspace(1, sqrt(sr / 2))
    ^ f_decay applies it to the magnitude, so its "pink" falls 6 dB / octave).

    The noise comes from a 48-bit key per example drawn with the parameters (``noise_key``), so
    replaying logged parameters reproduces it. Its spectrum is drawn directly (complex Gaussian
    bins, :func:`white_spectrum`) and shaped, then one irfft (over the batch's time axis:
    the noise of an example also depends on how far the batch is padded). Differentiable w.r.t.
    the input (through the RMS).
    """

    def __init__(
        self,
        min_snr_in_db: float = 3.0,
        max_snr_in_db: float = 30.0,
        min_f_decay: float = -2.0,
        max_f_decay: float = 2.0,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        self.min_snr_in_db, self.max_snr_in_db = check_range(
            min_snr_in_db, max_snr_in_db, "snr_in_db"
        )
        self.min_f_decay, self.max_f_decay = check_range(min_f_decay, max_f_decay, "f_decay")

    def draw(self, d: Draws, x, ctx) -> Params:
        return {
            "snr_in_db": d.between(self.min_snr_in_db, self.max_snr_in_db),
            "f_decay": d.between(self.min_f_decay, self.max_f_decay),
            "noise_key": draw_noise_keys(d, self.mode == "per_channel"),
        }

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        return on_applied_examples(x, params, ctx.lengths, self._add)

    def _add(self, x: torch.Tensor, params: Params, lengths: torch.Tensor | None) -> torch.Tensor:
        acc = compute_dtype(x.dtype)
        t = x.shape[-1]
        spectrum = white_spectrum(params["noise_key"], t, acc)  # (batch, 1 or channels, t // 2 + 1)
        k = torch.arange(spectrum.shape[-1], device=x.device, dtype=acc)
        # Magnitude k^(-f_decay / 2): power ~ 1/f^f_decay. DC removed (k = 0 would be 0 or inf).
        log_k = torch.log(k.clamp_min(1.0))
        edges = edge_gain(t, acc, x.device) * (k > 0).to(acc)
        mag = torch.exp(-0.5 * params["f_decay"].to(acc)[..., None] * log_k) * edges
        noise = torch.fft.irfft(spectrum * mag, n=t)
        if lengths is not None:
            noise = noise * length_mask(lengths, t).to(acc)
        scale = snr_scale(x.to(acc), noise, params["snr_in_db"], lengths)
        # Rows not applied get scale 0: x + 0 * noise is x exactly (the noise is finite).
        scale = torch.where(params["applied"], scale, torch.zeros_like(scale))
        return torch.addcmul(x.to(acc), scale[..., None], noise).to(x.dtype)


class AddBackgroundNoise(Augmentation):
    """Adds a window of a noise from a bank at a drawn SNR.

    noise_bank: (num_noises, time_n) (mono: the same noise on every channel of an example) or
    (num_noises, channels, time_n) (channel c of the bank on channel c), any float dtype; a buffer
    (non-persistent: not in the state dict) that moves with ``.to(device)``. Per example (channel,
    batch, by mode) a bank row ``noise_index`` (uniform) and a start ``offset``: when time_n is at
    least the valid length, a random window (offset uniform in [0, time_n - length]); when shorter,
    the noise is tiled (wrapping around, offset uniform in [0, time_n - 1]). snr_in_db uniform in
    [min_snr_in_db, max_snr_in_db], met exactly per example and channel over the valid samples.
    Differentiable w.r.t. the input (through the RMS).
    """

    def __init__(
        self,
        noise_bank: torch.Tensor,
        min_snr_in_db: float = 3.0,
        max_snr_in_db: float = 30.0,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        bank = _check_bank(
            noise_bank, "noise_bank", (2, 3), "(num_noises, time) or (num_noises, channels, time)"
        )
        self.register_buffer(
            "noise_bank", bank if bank.dim() == 3 else bank[:, None], persistent=False
        )
        self.min_snr_in_db, self.max_snr_in_db = check_range(
            min_snr_in_db, max_snr_in_db, "snr_in_db"
        )

    def draw(self, d: Draws, x, ctx) -> Params:
        n, _, span = self.noise_bank.shape
        index = d.integers(0, n - 1)
        length = (
            torch.full((x.shape[0],), x.shape[-1], dtype=torch.int64, device=x.device)
            if ctx.lengths is None
            else ctx.lengths
        )[:, None]
        # Window start: the noise covers the valid part without wrapping when it is long enough.
        top = torch.where(length <= span, span - length, torch.full_like(length, span - 1))
        offset = torch.floor(d.uniform() * (top + 1).to(torch.float64)).to(torch.int64)
        return {
            "noise_index": index,
            "offset": torch.minimum(offset, top),
            "snr_in_db": d.between(self.min_snr_in_db, self.max_snr_in_db),
        }

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        _check_device(self.noise_bank, "noise_bank", x)
        c, bc = x.shape[1], self.noise_bank.shape[1]
        if bc not in (1, c):
            raise ValueError(
                f"sonix: noise_bank has {bc} channels but samples have {c}: give a mono bank "
                "(num_noises, time) or one with the samples' channels"
            )
        return on_applied_examples(x, params, ctx.lengths, self._add)

    def _noise(self, params: Params, channels: int, t: int) -> torch.Tensor:
        """The bank windows, (batch, 1 or channels, t) in the bank's dtype: bank row
        ``noise_index`` (channel c of a multichannel bank for channel c) read from ``offset``,
        wrapping around, by one index_select."""
        bank = self.noise_bank
        _, bc, span = bank.shape
        dev = bank.device
        groups = channels if (bc > 1 or params["applied"].shape[1] > 1) else 1
        ch = (
            torch.arange(groups, device=dev)
            if bc > 1
            else torch.zeros(1, dtype=torch.int64, device=dev)
        )
        # (batch, groups): where the rows start in the flat bank
        start = (params["noise_index"] * bc + ch) * span
        offset = params["offset"].expand(start.shape)
        flat = bank.reshape(-1)
        if not torch.compiler.is_compiling() and bool((offset <= span - t).all()):
            # No window wraps: rows of the (overlapping) view of every window of length t.
            windows = flat.as_strided((flat.numel() - t + 1, t), (1, 1))
            return windows.index_select(0, (start + offset).reshape(-1)).reshape(start.shape + (t,))
        # (offset + i) % span as offset + (i % span), minus span once past the end (no division
        # on the batch); int32 indices when the bank allows.
        itype = torch.int32 if flat.numel() < 2**31 else torch.int64
        pos = offset.to(itype)[..., None] + (torch.arange(t, device=dev) % span).to(itype)
        pos = torch.where(pos >= span, pos - span, pos) + start.to(itype)[..., None]
        return flat.index_select(0, pos.reshape(-1)).reshape(pos.shape)

    def _add(self, x: torch.Tensor, params: Params, lengths: torch.Tensor | None) -> torch.Tensor:
        acc = compute_dtype(x.dtype)
        noise = self._noise(params, x.shape[1], x.shape[-1]).to(acc)
        if lengths is not None:
            noise = noise * length_mask(lengths, x.shape[-1]).to(acc)
        y = add_at_snr(x.to(acc), noise, params["snr_in_db"], lengths)
        return where_applied(params["applied"], y.to(x.dtype), x)


class ApplyImpulseResponse(Augmentation):
    """Convolves with an impulse response from a bank (reverberation, microphones, rooms).

    ir_bank: (num_irs, ir_len), any float dtype, used as given (not normalised); a buffer
    (non-persistent) that moves with ``.to(device)``. Per example (channel, batch, by mode) a bank
    row ``ir_index`` (uniform) and a wet/dry mix ``wet`` uniform in [min_wet, max_wet] within
    [0, 1]: y = wet * (x * ir) + (1 - wet) * x, the convolution trimmed to the input length. With
    compensate_for_propagation_delay the convolution is read from the IR's peak (argmax |ir|), like
    torch-audiomentations, so the direct sound stays aligned with the input. The padding of x
    (``lengths``) is treated as silence. Convolution by FFT (:func:`sonix.functional.fftconvolve`),
    only on the rows applied (all rows under torch.compile). Differentiable w.r.t. the input.
    """

    def __init__(
        self,
        ir_bank: torch.Tensor,
        min_wet: float = 1.0,
        max_wet: float = 1.0,
        compensate_for_propagation_delay: bool = False,
        p: float = 0.5,
        mode: str = "per_example",
        seed=None,
        sample_rate: int | None = None,
    ):
        super().__init__(p, mode, seed, sample_rate)
        bank = _check_bank(ir_bank, "ir_bank", (2,), "(num_irs, ir_len)")
        self.register_buffer("ir_bank", bank, persistent=False)
        self.min_wet, self.max_wet = check_range(min_wet, max_wet, "wet")
        if self.min_wet < 0 or self.max_wet > 1:
            raise ValueError(
                "sonix: min_wet and max_wet must be in [0, 1], "
                f"got [{self.min_wet}, {self.max_wet}]"
            )
        self.compensate_for_propagation_delay = bool(compensate_for_propagation_delay)

    def draw(self, d: Draws, x, ctx) -> Params:
        return {
            "ir_index": d.integers(0, self.ir_bank.shape[0] - 1),
            "wet": d.between(self.min_wet, self.max_wet),
        }

    def _reverb(self, x: torch.Tensor, index: torch.Tensor, wet: torch.Tensor) -> torch.Tensor:
        """x (rows, time), index (rows,), wet (rows,) float64 -> the mix, (rows, time)."""
        t = x.shape[-1]
        ir = self.ir_bank.index_select(0, index).to(x.dtype)  # (rows, ir_len)
        full = fftconvolve(x, ir)  # (rows, time + ir_len - 1)
        if self.compensate_for_propagation_delay:
            start = ir.detach().abs().argmax(-1)
            wet_part = full.gather(-1, start[:, None] + torch.arange(t, device=x.device))
        else:
            wet_part = full[:, :t]
        w = wet.to(x.dtype)[:, None]
        return w * wet_part + (1 - w) * x

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        applied = params["applied"]
        _check_device(self.ir_bank, "ir_bank", x)
        b, c, t = x.shape
        if ctx.lengths is not None:  # the read-ahead of the delay compensation must see silence
            x = x * length_mask(ctx.lengths, t).to(x.dtype)
        rows = x.reshape(b * c, t)
        index = params["ir_index"].expand(b, c).reshape(-1)
        wet = params["wet"].expand(b, c).reshape(-1)
        on = applied.expand(b, c).reshape(-1)
        if torch.compiler.is_compiling():
            y = torch.where(on[:, None], self._reverb(rows, index, wet), rows)
            return y.reshape(b, c, t)
        sel = on.nonzero()[:, 0]
        if sel.numel() == 0:
            return x
        y = rows.index_copy(0, sel, self._reverb(rows[sel], index[sel], wet[sel]))
        return y.reshape(b, c, t)


__all__ = ["AddBackgroundNoise", "AddColoredNoise", "ApplyImpulseResponse"]
