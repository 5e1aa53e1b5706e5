"""Feature front ends described by a small dict, so checkpoints and ``sonix features`` can rebuild them."""

from __future__ import annotations

from torch import nn

__all__ = ["FRONTEND_DEFAULTS", "make_frontend"]

FRONTEND_DEFAULTS = {
    "kind": "logmel",
    "sample_rate": 16000,
    "n_fft": 512,
    "hop_length": 160,
    "n_mels": 64,
}


def make_frontend(config: dict | None = None) -> nn.Module:
    """A :class:`sonix.transforms.LogMelSpectrogram` (``kind="logmel"``: dB, top_db 80 per example) or
    :class:`sonix.transforms.MFCC` (``kind="mfcc"``, ``n_mfcc`` coefficients) from ``config`` (missing
    keys take :data:`FRONTEND_DEFAULTS`). Input ``(..., time)``, output ``(..., n_mels|n_mfcc, frames)``;
    the config is kept in ``module.sonix_config``."""
    from .. import transforms

    cfg = {**FRONTEND_DEFAULTS, **(config or {})}
    kind = cfg["kind"]
    mel = dict(n_fft=cfg["n_fft"], hop_length=cfg["hop_length"], n_mels=cfg["n_mels"])
    if kind == "logmel":
        module = transforms.LogMelSpectrogram(sample_rate=cfg["sample_rate"], **mel)
    elif kind == "mfcc":
        cfg.setdefault("n_mfcc", 20)
        module = transforms.MFCC(
            sample_rate=cfg["sample_rate"], n_mfcc=cfg["n_mfcc"], melkwargs=mel
        )
    else:
        raise ValueError(f"sonix: frontend kind must be 'logmel' or 'mfcc', got {kind!r}")
    module.sonix_config = cfg
    return module
