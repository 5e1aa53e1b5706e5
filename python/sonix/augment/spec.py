"""SpecAugment: random frequency and time masks on spectrograms, per example, in one masked fill.

These transforms take spectrograms, not waveforms: x is (freq, frames), (batch, freq, frames) or
(batch, channels, freq, frames), any float dtype (real), CPU or CUDA; ``lengths`` counts valid FRAMES.
Widths and starts follow torchaudio's iid masking: per example (or channel, or batch, by mode) and per
mask, width uniform integer in [0, param] and start uniform in [0, size - width]. Time masks lie
inside the valid frames; frequency masks cover the valid frames only, so the padding is never touched.
"""

from __future__ import annotations

import torch

from .base import Augmentation, AugmentContext, AugmentOutput, Params, check_probability
from .random import Draws


def _check_count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"sonix: {name} must be a non-negative integer, got {value!r}")
    return value


def _to_bcft(x: torch.Tensor):
    """(freq, frames), (batch, freq, frames) or (batch, channels, freq, frames) -> 4-D and the inverse."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"sonix: specgram must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(
            f"sonix: specgram must be a real floating-point tensor (take .abs() of a complex STFT), "
            f"got {x.dtype}"
        )
    if x.numel() == 0:
        raise ValueError(f"sonix: specgram must be non-empty, got shape {tuple(x.shape)}")
    if x.dim() == 2:
        return x[None, None], lambda y: y[0, 0]
    if x.dim() == 3:
        return x[:, None], lambda y: y[:, 0]
    if x.dim() == 4:
        return x, lambda y: y
    raise ValueError(
        "sonix: specgram must be (freq, frames), (batch, freq, frames) or "
        f"(batch, channels, freq, frames), got shape {tuple(x.shape)}"
    )


def _spans(u_width: torch.Tensor, u_start: torch.Tensor, max_width, size):
    """Integer (width, start) from uniforms: width uniform in [0, max_width], start uniform in
    [0, size - width]; max_width and size are ints or tensors broadcasting with the uniforms."""
    width = torch.floor(u_width * (max_width + 1)).to(torch.int64)
    width = torch.minimum(width, torch.as_tensor(max_width, device=width.device))
    room = size - width
    start = torch.floor(u_start * (room + 1)).to(torch.int64)
    return width, torch.minimum(start, torch.as_tensor(room, device=start.device))


def spec_mask(
    x: torch.Tensor, params: Params, lengths: torch.Tensor | None, mask_value: float | str
) -> torch.Tensor:
    """Applies the drawn masks: x (batch, channels, freq, frames); params "applied" (batch, channels_p)
    and "freq_start" / "freq_width" / "time_start" / "time_width" (batch, channels_p, n) int64.

    Pure tensor code (no host sync): torch.compile(fullgraph=True) compiles it. Masked positions get
    the fill value and a zero gradient; with mask_value "mean" the fill is each (example, channel)'s
    mean over its valid frames, as a constant (detached).
    """
    b, c, f, t = x.shape
    fpos = torch.arange(f, device=x.device)
    tpos = torch.arange(t, device=x.device)
    fs, fw = params["freq_start"], params["freq_width"]
    ts, tw = params["time_start"], params["time_width"]
    in_f = ((fpos >= fs[..., None]) & (fpos < (fs + fw)[..., None])).any(-2)  # (b, cp, F)
    in_t = ((tpos >= ts[..., None]) & (tpos < (ts + tw)[..., None])).any(-2)  # (b, cp, T)
    band = in_f[..., :, None]
    if lengths is not None:
        valid = tpos < lengths[:, None]  # (b, T)
        band = band & valid[:, None, None, :]
    mask = (band | in_t[..., None, :]) & params["applied"][..., None, None]  # (b, cp, F, T)
    if mask_value != "mean":
        return x.masked_fill(mask, float(mask_value))
    xd = x.detach()
    if lengths is None:
        mean = xd.mean(dim=(-2, -1), keepdim=True)
    else:
        w = valid.to(x.dtype)[:, None, None, :]
        count = (lengths.to(x.dtype) * f).clamp_min(1)[:, None, None, None]
        mean = (xd * w).sum(dim=(-2, -1), keepdim=True) / count
    return torch.where(mask, mean, x)


class SpecAugment(Augmentation):
    """Frequency and time masking of spectrograms (Park et al. 2019; torchaudio iid semantics).

    Args:
        freq_mask_param: largest frequency mask width (bins); each mask's width is uniform in
            [0, min(freq_mask_param, freq)].
        time_mask_param: largest time mask width (frames); capped per example by
            floor(max_time_fraction * valid frames).
        n_freq_masks, n_time_masks: masks of each kind per example (they may overlap).
        mask_value: the fill, a number or "mean" (the (example, channel)'s mean over valid frames).
        max_time_fraction: torchaudio TimeMasking's ``p``: a time mask covers at most this fraction
            of the valid frames.
        p: probability of masking an example (per example / channel / batch by ``mode``).
        mode: "per_example" (channels share masks), "per_channel" or "per_batch" (same uniforms for
            all; widths still scale with each example's valid frames).
        seed: int, torch.Generator or None (see :class:`~sonix.augment.Augmentation`).

    Call: ``aug(specgram, lengths=None, *, step, example_ids, return_params, params)`` with specgram
    (freq, frames), (batch, freq, frames) or (batch, channels, freq, frames) and lengths (batch,) valid
    frame counts. Returns the masked tensor (same shape and dtype), or an AugmentOutput when lengths
    were given or return_params is True. Padding frames are never changed.
    """

    leaks_into_padding = False

    def __init__(
        self,
        freq_mask_param: int = 27,
        time_mask_param: int = 100,
        n_freq_masks: int = 2,
        n_time_masks: int = 2,
        mask_value: float | str = 0.0,
        max_time_fraction: float = 1.0,
        p: float = 1.0,
        mode: str = "per_example",
        seed=None,
    ):
        super().__init__(p, mode, seed, None)
        self.freq_mask_param = _check_count(freq_mask_param, "freq_mask_param")
        self.time_mask_param = _check_count(time_mask_param, "time_mask_param")
        self.n_freq_masks = _check_count(n_freq_masks, "n_freq_masks")
        self.n_time_masks = _check_count(n_time_masks, "n_time_masks")
        if not (
            mask_value == "mean"
            or (isinstance(mask_value, (int, float)) and not isinstance(mask_value, bool))
        ):
            raise ValueError(f"sonix: mask_value must be a number or 'mean', got {mask_value!r}")
        self.mask_value = mask_value
        self.max_time_fraction = check_probability(max_time_fraction, "max_time_fraction")

    def draw(self, d: Draws, x: torch.Tensor, ctx: AugmentContext) -> Params:
        f, t = x.shape[-2:]
        nf, nt = self.n_freq_masks, self.n_time_masks
        uf = self._uniforms(d, 2 * nf, x.device)  # (batch, channels_p, 2 n): widths then starts
        ut = self._uniforms(d, 2 * nt, x.device)
        fw, fs = _spans(uf[..., :nf], uf[..., nf:], min(self.freq_mask_param, f), f)
        if ctx.lengths is None:
            valid = torch.full((x.shape[0], 1, 1), t, dtype=torch.int64, device=x.device)
        else:
            valid = ctx.lengths[:, None, None]
        cap = torch.floor(self.max_time_fraction * valid.to(torch.float64)).to(torch.int64)
        max_tw = cap.clamp_max(self.time_mask_param)
        tw, ts = _spans(ut[..., :nt], ut[..., nt:], max_tw, valid)
        return {"freq_start": fs, "freq_width": fw, "time_start": ts, "time_width": tw}

    @staticmethod
    def _uniforms(d: Draws, n: int, device) -> torch.Tensor:
        if n == 0:
            return torch.zeros(d.batch, d.channels_p, 0, dtype=torch.float64, device=device)
        return d.uniform(n)

    def apply(self, x: torch.Tensor, params: Params, ctx: AugmentContext) -> torch.Tensor:
        return spec_mask(x, params, ctx.lengths, self.mask_value)

    def forward(  # type: ignore[override]
        self,
        specgram: torch.Tensor,
        lengths: torch.Tensor | None = None,
        *,
        step: int | None = None,
        example_ids: torch.Tensor | None = None,
        return_params: bool = False,
        params: dict[str, Params] | None = None,
    ) -> torch.Tensor | AugmentOutput:
        """Masks specgram (see the class docstring); lengths are valid frame counts."""
        x, restore = _to_bcft(specgram)
        ctx = self.context(x, None, lengths, step, example_ids, params)
        y = self.run(x, ctx)
        if step is None:
            self.step += 1
        out = restore(y)
        if lengths is None and not return_params:
            return out
        return AugmentOutput(out, ctx.lengths, ctx.log)

    def extra_repr(self) -> str:
        return (
            f"freq_mask_param={self.freq_mask_param}, time_mask_param={self.time_mask_param}, "
            f"n_freq_masks={self.n_freq_masks}, n_time_masks={self.n_time_masks}, "
            f"mask_value={self.mask_value!r}, max_time_fraction={self.max_time_fraction}, "
            + super().extra_repr()
        )


class FrequencyMasking(SpecAugment):
    """``n_masks`` frequency masks of width uniform in [0, freq_mask_param] (torchaudio's
    FrequencyMasking with iid_masks=True, batched). Same call as :class:`SpecAugment`."""

    def __init__(
        self,
        freq_mask_param: int,
        n_masks: int = 1,
        mask_value: float | str = 0.0,
        p: float = 1.0,
        mode: str = "per_example",
        seed=None,
    ):
        super().__init__(freq_mask_param, 0, n_masks, 0, mask_value, 1.0, p, mode, seed)


class TimeMasking(SpecAugment):
    """``n_masks`` time masks of width uniform in [0, min(time_mask_param, floor(max_time_fraction *
    valid frames))] inside the valid frames (torchaudio's TimeMasking with iid_masks=True, its ``p``
    being ``max_time_fraction``). Same call as :class:`SpecAugment`."""

    def __init__(
        self,
        time_mask_param: int,
        n_masks: int = 1,
        max_time_fraction: float = 1.0,
        mask_value: float | str = 0.0,
        p: float = 1.0,
        mode: str = "per_example",
        seed=None,
    ):
        super().__init__(
            0, time_mask_param, 0, n_masks, mask_value, max_time_fraction, p, mode, seed
        )


__all__ = ["FrequencyMasking", "SpecAugment", "TimeMasking", "spec_mask"]
