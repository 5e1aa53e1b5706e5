"""A drop-in for torch-audiomentations 0.12 backed by sonix transforms.

``from sonix.augment import torch_audiomentations as ta`` then use it like ``import
torch_audiomentations``: the same class names, constructor arguments and defaults, the same call
``t(samples, sample_rate=None, targets=None, target_rate=None)`` on samples (batch, channels, time),
returning a Tensor, or an :class:`ObjectDict` (``.samples``, ``.sample_rate``, ``.targets``,
``.target_rate``) with ``output_type="dict"``. As in 0.12, output_type=None means "tensor" with a
FutureWarning ("tensor" given explicitly: a DeprecationWarning); in eval mode a transform returns its
input unchanged.

What differs: randomness is keyed (no global RNG): every class takes an extra ``seed=None`` (None: a
fresh OS seed) and counts its calls, so the same seed gives the same augmentations call after call;
a container given a seed reseeds its children from it. Containers draw their choices per batch, like
torch-audiomentations. ``p_mode`` coarser than ``mode`` is honoured (one apply decision per batch or
example, parameters per example or channel). Targets pass through unchanged (TimeInversion reverses
them along frames, as torch-audiomentations does). AddBackgroundNoise reads windows from the
concatenation of its files (each scaled to RMS 1); windows can straddle two files, as when
torch-audiomentations concatenates short files. Files are read with soundfile (.wav, .flac, .ogg,
.aiff), mixed down to mono and resampled to the sample rate with :func:`sonix.functional.resample`.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ..ops._checks import check_audio
from .base import Augmentation, AugmentOutput, check_probability
from .random import Draws, default_stream, resolve_seed

_MODES = ("per_batch", "per_example", "per_channel")
# p_mode -> the modes it may go with (torch-audiomentations' rule: p_mode no finer than mode).
_P_MODES = {
    "per_batch": _MODES,
    "per_example": ("per_example", "per_channel"),
    "per_channel": ("per_channel",),
}
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".aiff", ".aif")


class ObjectDict(dict):
    """A dict with attribute access (``o.samples`` is ``o["samples"]``), as torch-audiomentations'."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


class EmptyPathException(ValueError):
    """No supported audio file was found in the given paths."""


class ModeNotSupportedException(ValueError):
    """The transform does not support the requested mode."""


def _output_type(output_type: str | None, who: str) -> str:
    if output_type is None:
        warnings.warn(
            f"{who}: output_type defaults to 'tensor' as in torch-audiomentations 0.12; pass "
            "output_type='dict' and read .samples to get the object output",
            FutureWarning,
            stacklevel=3,
        )
        return "tensor"
    if output_type == "tensor":
        warnings.warn(
            f"{who}: output_type='tensor' is deprecated in torch-audiomentations 0.12; "
            "output_type='dict' returns an object with .samples",
            DeprecationWarning,
            stacklevel=3,
        )
        return "tensor"
    if output_type == "dict":
        return "dict"
    raise ValueError(f"sonix: output_type must be None, 'tensor' or 'dict', got {output_type!r}")


def _sonix(module: str, name: str):
    """A sonix.augment class, imported when first needed (the compat layer does not require every
    sonix transform module to be importable)."""
    try:
        return getattr(importlib.import_module(f"sonix.augment.{module}"), name)
    except (ImportError, AttributeError) as e:
        raise ImportError(
            f"sonix: the torch-audiomentations compat {name} needs sonix.augment.{module}.{name}, "
            f"which could not be imported: {e}"
        ) from e


def _child_seed(seed: int, index: int) -> int:
    """A child's seed from its container's seed and position (splitmix64 finaliser)."""
    z = (seed + 0x9E3779B97F4A7C15 * (index + 1)) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return (z ^ (z >> 31)) & ((1 << 63) - 1)


def _reseed(t: nn.Module, seed: int) -> None:
    if isinstance(t, (BaseWaveformTransform, BaseCompose)):
        t.reseed(seed)
    elif isinstance(t, Augmentation):
        t.seed = seed


# ---- audio files ----------------------------------------------------------------------------------


def find_audio_files(paths) -> list[Path]:
    """The audio files among ``paths`` (a path or a list of paths, files or folders searched
    recursively, sorted), by extension."""
    items = list(paths) if isinstance(paths, (list, tuple, set)) else [paths]
    found: list[Path] = []
    for p in items:
        if str(p).lower().endswith(AUDIO_EXTENSIONS):
            found.append(Path(os.path.abspath(p)))
        elif os.path.isdir(p):
            for root, _, names in os.walk(p, followlinks=True):
                found += [
                    Path(os.path.abspath(root)) / n
                    for n in sorted(names)
                    if n.lower().endswith(AUDIO_EXTENSIONS)
                ]
    return found


def load_mono(path, sample_rate: int) -> Tensor:
    """A file as a float32 mono (time,) tensor at sample_rate (channels averaged, resampled)."""
    import soundfile

    from ..functional.resample import resample

    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    mono = torch.from_numpy(data).mean(dim=1)
    if mono.numel() == 0:
        raise ValueError(f"sonix: audio file {path} is empty")
    return resample(mono, int(rate), int(sample_rate)) if int(rate) != int(sample_rate) else mono


def _scan(paths, name: str) -> list[Path]:
    files = find_audio_files(paths)
    if not files:
        raise EmptyPathException(
            f"sonix: {name} must name audio files ({', '.join(AUDIO_EXTENSIONS)}) or folders "
            f"holding some, found none in {paths!r}"
        )
    return files


# ---- transforms -----------------------------------------------------------------------------------


class BaseWaveformTransform(nn.Module):
    """The torch-audiomentations transform interface over a sonix :class:`Augmentation`.

    Subclasses set the class flags and implement ``_make(sample_rate)`` (the sonix transform, built
    by ``self._build(cls, **arguments)``); transforms whose sonix counterpart depends on the sample
    rate set ``_rate_dependent`` and get one per rate. mode "per_channel" on a sonix transform without
    it runs the channels as examples (as torch-audiomentations does).
    """

    supported_modes = set(_MODES)
    supports_multichannel = True
    requires_sample_rate = True
    supports_target = True
    requires_target = False
    _rate_dependent = False

    def __init__(
        self,
        mode: str = "per_example",
        p: float = 0.5,
        p_mode: str | None = None,
        sample_rate: int | None = None,
        target_rate: int | None = None,
        output_type: str | None = None,
        seed: int | torch.Generator | None = None,
    ):
        super().__init__()
        name = type(self).__name__
        if mode not in self.supported_modes:
            raise ModeNotSupportedException(
                f"sonix: mode must be one of {sorted(self.supported_modes)} for {name}, got {mode!r}"
            )
        p_mode = mode if p_mode is None else p_mode
        if p_mode not in _P_MODES or mode not in _P_MODES[p_mode]:
            raise ValueError(
                f"sonix: p_mode must be None or one of {list(_P_MODES)} and no finer than "
                f"mode={mode!r} for {name}, got {p_mode!r}"
            )
        self.mode, self.p_mode = mode, p_mode
        self._p = check_probability(p)
        self.sample_rate, self.target_rate = sample_rate, target_rate
        self.output_type = _output_type(output_type, name)
        self.seed = resolve_seed(seed)
        self.step = 0
        self.are_parameters_frozen = False
        self.transform_parameters: dict[str, Tensor] = {}
        self._last: dict | None = None  # the last call's parameters (replayed when frozen)
        self._fold = False  # True: channels run as examples (per_channel on a sonix per_example)
        self._coin_stream = default_stream(f"{name}/p_mode")
        # The sonix transform(s): one, or one per sample rate when rate dependent.
        self.augments = nn.ModuleDict()

    # ---- the sonix side ---------------------------------------------------------------------------
    def _make(self, sample_rate: int | None) -> Augmentation:
        raise NotImplementedError

    def _build(self, cls: type[Augmentation], *args, **kwargs) -> Augmentation:
        """cls(*args, **kwargs) with this transform's p, mode and seed."""
        self._fold = self.mode == "per_channel" and "per_channel" not in cls.supported_modes
        mode = "per_example" if self._fold else self.mode
        return cls(*args, **kwargs, p=self._inner_p(), mode=mode, seed=self.seed)

    def _inner_p(self) -> float:
        # With a coarser p_mode the apply decision is taken here; the sonix transform then applies.
        return self._p if self.p_mode == self.mode else 1.0

    def _ready(self) -> None:
        """Builds the sonix transform now when possible (argument errors surface at construction)."""
        if not self._rate_dependent or self.sample_rate is not None:
            self.augment_for(self.sample_rate)

    def augment_for(self, sample_rate: int | None) -> Augmentation:
        """The sonix transform used at ``sample_rate``."""
        key = str(int(sample_rate)) if self._rate_dependent and sample_rate else "any"
        if key not in self.augments:
            aug = self._make(sample_rate)
            aug.seed = self.seed
            self.augments[key] = aug
        return self.augments[key]

    @property
    def p(self) -> float:
        return self._p

    @p.setter
    def p(self, p: float) -> None:
        self._p = check_probability(p)
        for aug in self.augments.values():
            aug.p = self._inner_p()

    def reseed(self, seed: int | torch.Generator | None) -> None:
        """A new seed (and a restarted call count)."""
        self.seed = resolve_seed(seed)
        self.step = 0
        for aug in self.augments.values():
            aug.seed = self.seed

    def freeze_parameters(self) -> None:
        """Replays the last call's parameters on the next calls (same batch size)."""
        self.are_parameters_frozen = True

    def unfreeze_parameters(self) -> None:
        self.are_parameters_frozen = False

    def is_sample_rate_required(self) -> bool:
        return self.requires_sample_rate

    def is_target_required(self) -> bool:
        return self.requires_target

    # ---- the call ---------------------------------------------------------------------------------
    def _output(self, samples, sample_rate, targets, target_rate):
        if self.output_type == "tensor":
            return samples
        return ObjectDict(
            samples=samples, sample_rate=sample_rate, targets=targets, target_rate=target_rate
        )

    def _targets(self, targets: Tensor, applied: Tensor) -> Tensor:
        """The targets after the transform; applied: (batch, channels_p) bool."""
        return targets

    def _check_targets(self, samples: Tensor, sample_rate, targets, target_rate):
        if not isinstance(targets, Tensor) or targets.dim() != 4:
            raise RuntimeError(
                "sonix: targets must be a 4-D tensor (batch_size, num_channels, num_frames, "
                f"num_classes), got {getattr(targets, 'shape', type(targets).__name__)}"
            )
        b, c, n = samples.shape
        if tuple(targets.shape[:2]) != (b, c):
            raise RuntimeError(
                f"sonix: targets must match samples in batch size and channels ({b}, {c}), got "
                f"{tuple(targets.shape[:2])}"
            )
        target_rate = target_rate or self.target_rate
        if target_rate is None:
            frames = targets.shape[2]
            if frames == 1:
                target_rate = 0  # one target for the whole example
            elif sample_rate:
                target_rate = round(sample_rate * frames / n)
        if not self.supports_target:
            warnings.warn(
                f"{type(self).__name__}: targets are passed through unchanged", stacklevel=3
            )
        return target_rate

    def forward(
        self,
        samples: Tensor = None,
        sample_rate: int | None = None,
        targets: Tensor | None = None,
        target_rate: int | None = None,
    ):
        """Augments samples (batch, channels, time); returns a Tensor or an ObjectDict (output_type)."""
        if not self.training:
            return self._output(samples, sample_rate, targets, target_rate)
        if not isinstance(samples, Tensor) or samples.dim() != 3:
            raise RuntimeError(
                "sonix: torch-audiomentations transforms take samples (batch_size, num_channels, "
                f"num_samples), got {getattr(samples, 'shape', type(samples).__name__)}"
            )
        b, c, n = samples.shape
        if samples.numel() == 0:
            warnings.warn(
                f"An empty samples tensor was passed to {type(self).__name__}", stacklevel=2
            )
            return self._output(samples, sample_rate, targets, target_rate)
        check_audio(samples, "samples")
        sample_rate = sample_rate or self.sample_rate
        if sample_rate is None and self.is_sample_rate_required():
            raise RuntimeError(
                f"sonix: {type(self).__name__} needs sample_rate (constructor or call)"
            )
        if targets is None and self.is_target_required():
            raise RuntimeError(f"sonix: {type(self).__name__} needs targets")
        if targets is not None:
            target_rate = self._check_targets(samples, sample_rate, targets, target_rate)

        aug = self.augment_for(sample_rate)
        x = samples.reshape(b * c, 1, n) if self._fold else samples
        frozen = self.are_parameters_frozen and self._last is not None
        replay = self._last if frozen else None
        ctx = aug.context(x, sample_rate, None, self.step, None, replay)
        if self.p_mode != self.mode and not frozen:
            ids = torch.arange(b, device=samples.device)
            coin = Draws(self.seed, self.step, self._coin_stream, self.p_mode, ids, c)
            active = coin.applied(self._p)[:, 0]  # (batch,)
            ctx.active = active.repeat_interleave(c) if self._fold else active
        y = aug.run(x, ctx)
        if self._fold:
            y = y.reshape(b, c, -1)
        params = ctx.log[aug.key(ctx)]
        applied = params["applied"].reshape(b, -1)  # (batch, channels_p)
        self._last = ctx.log
        self.transform_parameters = {**params, "should_apply": applied.reshape(-1)}
        self.step += 1
        if targets is not None:
            targets = self._targets(targets, applied)
        return self._output(y, sample_rate, targets, target_rate)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}, p={self._p}, p_mode={self.p_mode!r}"


def _base_args(kw: dict) -> dict:
    return {
        k: kw[k]
        for k in ("mode", "p", "p_mode", "sample_rate", "target_rate", "output_type", "seed")
    }


class Gain(BaseWaveformTransform):
    """Multiplies by a gain uniform in dB in [min_gain_in_db, max_gain_in_db] (sonix Gain, fused)."""

    requires_sample_rate = False

    def __init__(
        self,
        min_gain_in_db: float = -18.0,
        max_gain_in_db: float = 6.0,
        mode: str = "per_example",
        p: float = 0.5,
        p_mode: str | None = None,
        sample_rate: int | None = None,
        target_rate: int | None = None,
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(**_base_args(locals()))
        self.min_gain_in_db, self.max_gain_in_db = min_gain_in_db, max_gain_in_db
        self._ready()

    def _make(self, sample_rate):
        return self._build(
            _sonix("pointwise", "Gain"),
            min_gain_in_db=self.min_gain_in_db,
            max_gain_in_db=self.max_gain_in_db,
        )


class PolarityInversion(BaseWaveformTransform):
    """Multiplies by -1."""

    requires_sample_rate = False

    def __init__(
        self,
        mode: str = "per_example",
        p: float = 0.5,
        p_mode: str | None = None,
        sample_rate: int | None = None,
        target_rate: int | None = None,
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(**_base_args(locals()))
        self._ready()

    def _make(self, sample_rate):
        return self._build(_sonix("pointwise", "PolarityInversion"))


class PeakNormalization(BaseWaveformTransform):
    """Scales each example to peak 1 (apply_to "all" or "only_too_loud_sounds")."""

    requires_sample_rate = False

    def __init__(
        self,
        apply_to: str = "all",
        mode: str = "per_example",
        p: float = 0.5,
        p_mode: str | None = None,
        sample_rate: int | None = None,
        target_rate: int | None = None,
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(**_base_args(locals()))
        self.apply_to = apply_to
        self._ready()

    def _make(self, sample_rate):
        from .misc import PeakNormalization as _Peak

        return self._build(_Peak, apply_to=self.apply_to)


class TimeInversion(BaseWaveformTransform):
    """Reverses time (and the targets along frames)."""

    requires_sample_rate = False

    def __init__(
        self,
        mode: str = "per_example",
        p: float = 0.5,
        p_mode: str | None = None,
        sample_rate: int | None = None,
        target_rate: int | None = None,
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(**_base_args(locals()))
        self._ready()

    def _make(self, sample_rate):
        from .misc import TimeInversion as _Inv

        return self._build(_Inv)

    def _targets(self, targets: Tensor, applied: Tensor) -> Tensor:
        flip = applied.to(targets.device)[..., None, None]  # (batch, channels_p, 1, 1)
        return torch.where(flip, targets.flip(-2), targets)


class Identity(BaseWaveformTransform):
    """Returns its input."""

    requires_sample_rate = False

    def __init__(
        self,
        mode: str = "per_example",
        p: float = 0.5,
        p_mode: str | None = None,
        sample_rate: int | None = None,
        target_rate: int | None = None,
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(**_base_args(locals()))
        self._ready()

    def _make(self, sample_rate):
        from .misc import Identity as _Id

        return self._build(_Id)


class AddColoredNoise(BaseWaveformTransform):
    """Adds noise with a 1/f^decay spectrum at an SNR uniform in [min_snr_in_db, max_snr_in_db]."""

    def __init__(
        self,
        min_snr_in_db: float = 3.0,
        max_snr_in_db: float = 30.0,
        min_f_decay: float = -2.0,
        max_f_decay: float = 2.0,
        mode: str = "per_example",
        p: float = 0.5,
        p_mode: str | None = None,
        sample_rate: int | None = None,
        target_rate: int | None = None,
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(**_base_args(locals()))
        self.min_snr_in_db, self.max_snr_in_db = min_snr_in_db, max_snr_in_db
        self.min_f_decay, self.max_f_decay = min_f_decay, max_f_decay
        self._ready()

    def _make(self, sample_rate):
        return self._build(
            _sonix("noise", "AddColoredNoise"),
            min_snr_in_db=self.min_snr_in_db,
            max_snr_in_db=self.max_snr_in_db,
            min_f_decay=self.min_f_decay,
            max_f_decay=self.max_f_decay,
        )


class AddBackgroundNoise(BaseWaveformTransform):
    """Adds a window of background noise from files at an SNR in [min_snr_in_db, max_snr_in_db].

    background_paths: a file or folder or a list of them (a (num_noises, time) tensor at the sample
    rate is accepted too). The files are loaded at the first sample rate used (or the constructor's).
    """

    _rate_dependent = True

    def __init__(
        self,
        background_paths,
        min_snr_in_db: float = 3.0,
        max_snr_in_db: float = 30.0,
        mode: str = "per_example",
        p: float = 0.5,
        p_mode: str | None = None,
        sample_rate: int | None = None,
        target_rate: int | None = None,
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(**_base_args(locals()))
        if isinstance(background_paths, Tensor):
            self.background_paths: list[Path] = []
            self._bank = background_paths
            self._rate_dependent = False
        else:
            self.background_paths = _scan(background_paths, "background_paths")
            self._bank = None
        if min_snr_in_db > max_snr_in_db:
            raise ValueError(
                f"sonix: min_snr_in_db must be <= max_snr_in_db, got {min_snr_in_db} > {max_snr_in_db}"
            )
        self.min_snr_in_db, self.max_snr_in_db = min_snr_in_db, max_snr_in_db
        self._ready()

    def _make(self, sample_rate):
        bank = self._bank
        if bank is None:
            # One row: every file at RMS 1, end to end (windows may straddle two files).
            pieces = [load_mono(p, sample_rate) for p in self.background_paths]
            pieces = [x / x.pow(2).mean().sqrt().clamp_min(1e-12) for x in pieces]
            bank = torch.cat(pieces)[None]
        return self._build(
            _sonix("noise", "AddBackgroundNoise"),
            bank,
            min_snr_in_db=self.min_snr_in_db,
            max_snr_in_db=self.max_snr_in_db,
        )


class ApplyImpulseResponse(BaseWaveformTransform):
    """Convolves with an impulse response read from files, trimmed to the input length.

    ir_paths: a file or folder or a list of them (a (num_irs, ir_len) tensor at the sample rate is
    accepted too). convolve_mode must be "full" (torch-audiomentations' default: the convolution
    trimmed to the input length).
    """

    supports_target = False
    _rate_dependent = True

    def __init__(
        self,
        ir_paths,
        convolve_mode: str = "full",
        compensate_for_propagation_delay: bool = False,
        mode: str = "per_example",
        p: float = 0.5,
        p_mode: str | None = None,
        sample_rate: int | None = None,
        target_rate: int | None = None,
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(**_base_args(locals()))
        if convolve_mode != "full":
            raise ValueError(
                f"sonix: convolve_mode must be 'full' (the only mode supported), got {convolve_mode!r}"
            )
        if isinstance(ir_paths, Tensor):
            self.ir_paths: list[Path] = []
            self._bank = ir_paths
            self._rate_dependent = False
        else:
            self.ir_paths = _scan(ir_paths, "ir_paths")
            self._bank = None
        self.convolve_mode = convolve_mode
        self.compensate_for_propagation_delay = compensate_for_propagation_delay
        self._ready()

    def _make(self, sample_rate):
        bank = self._bank
        if bank is None:
            irs = [load_mono(p, sample_rate) for p in self.ir_paths]
            bank = torch.nn.utils.rnn.pad_sequence(irs, batch_first=True)  # zero tails
        return self._build(
            _sonix("noise", "ApplyImpulseResponse"),
            bank,
            compensate_for_propagation_delay=self.compensate_for_propagation_delay,
        )


class _Filter(BaseWaveformTransform):
    _sonix_name = ""
    _arg_names: tuple[str, ...] = ()

    def _make(self, sample_rate):
        args = {k: getattr(self, k) for k in self._arg_names}
        return self._build(_sonix("filters", self._sonix_name), **args)


class LowPassFilter(_Filter):
    """Low-pass biquad (sonix.augment.filters.LowPassFilter)."""

    _sonix_name = "LowPassFilter"
    _arg_names = ("min_cutoff_freq", "max_cutoff_freq")

    def __init__(
        self,
        min_cutoff_freq: float = 150.0,
        max_cutoff_freq: float = 7500.0,
        mode: str = "per_example",
        p: float = 0.5,
        p_mode: str | None = None,
        sample_rate: int | None = None,
        target_rate: int | None = None,
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(**_base_args(locals()))
        self.min_cutoff_freq, self.max_cutoff_freq = min_cutoff_freq, max_cutoff_freq
        self._ready()


class HighPassFilter(_Filter):
    """High-pass biquad (sonix.augment.filters.HighPassFilter)."""

    _sonix_name = "HighPassFilter"
    _arg_names = ("min_cutoff_freq", "max_cutoff_freq")

    def __init__(
        self,
        min_cutoff_freq: float = 20.0,
        max_cutoff_freq: float = 2400.0,
        mode: str = "per_example",
        p: float = 0.5,
        p_mode: str | None = None,
        sample_rate: int | None = None,
        target_rate: int | None = None,
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(**_base_args(locals()))
        self.min_cutoff_freq, self.max_cutoff_freq = min_cutoff_freq, max_cutoff_freq
        self._ready()


class _BandFilter(_Filter):
    _arg_names = (
        "min_center_frequency",
        "max_center_frequency",
        "min_bandwidth_fraction",
        "max_bandwidth_fraction",
    )

    def __init__(
        self,
        min_center_frequency: float = 200.0,
        max_center_frequency: float = 4000.0,
        min_bandwidth_fraction: float = 0.5,
        max_bandwidth_fraction: float = 1.99,
        mode: str = "per_example",
        p: float = 0.5,
        p_mode: str | None = None,
        sample_rate: int | None = None,
        target_rate: int | None = None,
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(**_base_args(locals()))
        self.min_center_frequency, self.max_center_frequency = (
            min_center_frequency,
            max_center_frequency,
        )
        self.min_bandwidth_fraction, self.max_bandwidth_fraction = (
            min_bandwidth_fraction,
            max_bandwidth_fraction,
        )
        self._ready()


class BandPassFilter(_BandFilter):
    """Band-pass biquad (sonix.augment.filters.BandPassFilter)."""

    _sonix_name = "BandPassFilter"


class BandStopFilter(_BandFilter):
    """Band-stop biquad (sonix.augment.filters.BandStopFilter)."""

    _sonix_name = "BandStopFilter"


class Shift(BaseWaveformTransform):
    """Shifts in time by an amount in [min_shift, max_shift] (shift_unit "fraction", "samples" or
    "seconds"), rolling over or filling with zeros."""

    supports_target = False

    def __init__(
        self,
        min_shift: float = -0.5,
        max_shift: float = 0.5,
        shift_unit: str = "fraction",
        rollover: bool = True,
        mode: str = "per_example",
        p: float = 0.5,
        p_mode: str | None = None,
        sample_rate: int | None = None,
        target_rate: int | None = None,
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(**_base_args(locals()))
        self.min_shift, self.max_shift = min_shift, max_shift
        self.shift_unit, self.rollover = shift_unit, rollover
        self._ready()

    def _make(self, sample_rate):
        return self._build(
            _sonix("time", "Shift"),
            min_shift=self.min_shift,
            max_shift=self.max_shift,
            shift_unit=self.shift_unit,
            rollover=self.rollover,
        )

    def is_sample_rate_required(self) -> bool:
        return self.shift_unit == "seconds"


class PitchShift(BaseWaveformTransform):
    """Transposes by semitones uniform in [min_transpose_semitones, max_transpose_semitones],
    keeping the duration."""

    _rate_dependent = True

    def __init__(
        self,
        min_transpose_semitones: float = -4.0,
        max_transpose_semitones: float = 4.0,
        mode: str = "per_example",
        p: float = 0.5,
        p_mode: str | None = None,
        sample_rate: int | None = None,
        target_rate: int | None = None,
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(**_base_args(locals()))
        self.min_transpose_semitones = min_transpose_semitones
        self.max_transpose_semitones = max_transpose_semitones
        self._ready()

    def _make(self, sample_rate):
        return self._build(
            _sonix("time", "PitchShift"),
            min_transpose_semitones=self.min_transpose_semitones,
            max_transpose_semitones=self.max_transpose_semitones,
            sample_rate=sample_rate,
        )


# ---- containers -----------------------------------------------------------------------------------


class BaseCompose(nn.Module):
    """A sequence of transforms with per-batch choices (torch-audiomentations' containers).

    Children may be compat transforms or containers, sonix transforms (called on the samples with
    the sample rate) or any nn.Module (called on the samples). seed: the container's own draws; when
    given, the children are reseeded from it (so one seed fixes the whole chain).
    """

    def __init__(
        self,
        transforms: Sequence[nn.Module],
        shuffle: bool = False,
        p: float = 1.0,
        p_mode: str | None = "per_batch",
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__()
        if p_mode not in (None, "per_batch"):
            raise ValueError(f"sonix: p_mode must be 'per_batch' for containers, got {p_mode!r}")
        self.p = check_probability(p)
        self.p_mode = "per_batch"
        self.shuffle = bool(shuffle)
        self.output_type = _output_type(output_type, type(self).__name__)
        self.transforms = nn.ModuleList(list(transforms))
        for t in self.transforms:
            if isinstance(t, (BaseWaveformTransform, BaseCompose)):
                t.output_type = "dict"
        self.are_parameters_frozen = False
        self._stream = default_stream(type(self).__name__)
        self.seed = resolve_seed(seed)
        self.step = 0
        if seed is not None:
            self.reseed(self.seed)

    def reseed(self, seed) -> None:
        """A new seed for the container and, derived from it, for every child."""
        self.seed = resolve_seed(seed)
        self.step = 0
        for i, t in enumerate(self.transforms):
            _reseed(t, _child_seed(self.seed, i))

    def _draws(self) -> Draws:
        ids = torch.zeros(1, dtype=torch.int64)
        return Draws(self.seed, self.step, self._stream, "per_batch", ids, 1)

    def freeze_parameters(self) -> None:
        self.are_parameters_frozen = True
        for t in self.transforms:
            if hasattr(t, "freeze_parameters"):
                t.freeze_parameters()

    def unfreeze_parameters(self) -> None:
        self.are_parameters_frozen = False
        for t in self.transforms:
            if hasattr(t, "unfreeze_parameters"):
                t.unfreeze_parameters()

    @property
    def supported_modes(self) -> set:
        modes = set(_MODES)
        for t in self.transforms:
            modes &= set(getattr(t, "supported_modes", _MODES))
        return modes

    @staticmethod
    def _call(t: nn.Module, inputs: ObjectDict) -> ObjectDict:
        if isinstance(t, (BaseWaveformTransform, BaseCompose)):
            out = t(**inputs)
            if isinstance(out, Tensor):
                inputs.samples = out
                return inputs
            return out
        if isinstance(t, Augmentation):
            out = t(inputs.samples, sample_rate=inputs.sample_rate)
            if isinstance(out, (AugmentOutput, tuple)):
                out = out[0]
        else:
            out = t(inputs.samples)
        inputs.samples = out
        return inputs

    def _run(self, order, samples, sample_rate, targets, target_rate):
        inputs = ObjectDict(
            samples=samples, sample_rate=sample_rate, targets=targets, target_rate=target_rate
        )
        for i in order:
            inputs = self._call(self.transforms[i], inputs)
        return inputs.samples if self.output_type == "tensor" else inputs


class Compose(BaseCompose):
    """Applies the transforms in order (a new random order per call with shuffle), with
    probability p per batch."""

    def forward(
        self,
        samples: Tensor = None,
        sample_rate: int | None = None,
        targets: Tensor | None = None,
        target_rate: int | None = None,
    ):
        d = self._draws()
        order: list[int] = []
        if bool(d.applied(self.p)[0, 0]):
            order = list(range(len(self.transforms)))
            if self.shuffle:
                order = d.uniform(len(self.transforms))[0, 0].argsort().tolist()
        self.step += 1
        return self._run(order, samples, sample_rate, targets, target_rate)


class SomeOf(BaseCompose):
    """Applies a random subset of the transforms (the same for the whole batch), in listed order.

    num_transforms: k (exactly k) or (min, max) (max None: all).
    """

    def __init__(
        self,
        num_transforms: int | tuple[int, int | None],
        transforms: Sequence[nn.Module],
        p: float = 1.0,
        p_mode: str | None = "per_batch",
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(transforms, p=p, p_mode=p_mode, output_type=output_type, seed=seed)
        n = len(self.transforms)
        if isinstance(num_transforms, tuple):
            lo, hi = num_transforms[0], num_transforms[1] or n
        else:
            lo = hi = num_transforms
        if not (isinstance(lo, int) and isinstance(hi, int) and 1 <= lo <= hi <= n):
            raise ValueError(
                f"sonix: num_transforms must be k or (min, max) with 1 <= min <= max <= {n}, got "
                f"{num_transforms!r}"
            )
        self.num_transforms = num_transforms
        self.min_num_transforms, self.max_num_transforms = lo, hi
        self.transform_indexes: list[int] = []

    def randomize_parameters(self, d: Draws | None = None) -> None:
        d = self._draws() if d is None else d
        count = int(d.integers(self.min_num_transforms, self.max_num_transforms)[0, 0])
        ranks = d.uniform(len(self.transforms))[0, 0].argsort()
        self.transform_indexes = sorted(ranks[:count].tolist())

    def forward(
        self,
        samples: Tensor = None,
        sample_rate: int | None = None,
        targets: Tensor | None = None,
        target_rate: int | None = None,
    ):
        d = self._draws()
        order: list[int] = []
        if bool(d.applied(self.p)[0, 0]):
            if not (self.are_parameters_frozen and self.transform_indexes):
                self.randomize_parameters(d)
            order = self.transform_indexes
        self.step += 1
        return self._run(order, samples, sample_rate, targets, target_rate)


class OneOf(SomeOf):
    """Applies one of the transforms, chosen per batch."""

    def __init__(
        self,
        transforms: Sequence[nn.Module],
        p: float = 1.0,
        p_mode: str | None = "per_batch",
        output_type: str | None = None,
        seed=None,
    ):
        super().__init__(1, transforms, p=p, p_mode=p_mode, output_type=output_type, seed=seed)


__all__ = [
    "AddBackgroundNoise",
    "AddColoredNoise",
    "ApplyImpulseResponse",
    "BandPassFilter",
    "BandStopFilter",
    "BaseCompose",
    "BaseWaveformTransform",
    "Compose",
    "EmptyPathException",
    "Gain",
    "HighPassFilter",
    "Identity",
    "LowPassFilter",
    "ModeNotSupportedException",
    "ObjectDict",
    "OneOf",
    "PeakNormalization",
    "PitchShift",
    "PolarityInversion",
    "Shift",
    "SomeOf",
    "TimeInversion",
]
