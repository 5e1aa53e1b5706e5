"""``collate``: pad a list of dataset items into a batch with lengths."""

from __future__ import annotations

import torch

__all__ = ["collate", "pad_batch"]


def pad_batch(
    waveforms: list[torch.Tensor], multiple_of: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(channels, time_i)`` tensors -> ``(batch, channels, max_time)`` zero-padded at the end, and
    the ``(batch,)`` int64 lengths. ``multiple_of`` rounds the padded length up."""
    channels = {w.shape[0] for w in waveforms}
    if len(channels) != 1:
        raise ValueError(
            f"sonix.data: items of a batch have different channel counts {sorted(channels)}; "
            "use mono=True or group files by channel count"
        )
    lengths = torch.tensor([w.shape[-1] for w in waveforms], dtype=torch.int64)
    longest = int(lengths.max()) if len(waveforms) else 0
    longest = -(-longest // multiple_of) * multiple_of
    out = waveforms[0].new_zeros(len(waveforms), channels.pop(), longest)
    for i, w in enumerate(waveforms):
        out[i, :, : w.shape[-1]] = w
    return out, lengths


def collate(items: list[dict | None]) -> dict:
    """Batch of :class:`~sonix.data.AudioDataset` items: ``waveform`` (B, C, T) zero-padded,
    ``lengths`` (B,), ``label`` (B,) int64 or (B, K) float32, ``index`` (B,), ``path`` list, and
    ``skipped``: how many items were None (unreadable files with ``on_error="skip"``)."""
    kept = [it for it in items if it is not None]
    skipped = len(items) - len(kept)
    if not kept:
        return {
            "waveform": None,
            "lengths": None,
            "label": None,
            "index": None,
            "path": [],
            "skipped": skipped,
        }
    waveform, lengths = pad_batch([it["waveform"] for it in kept])
    return {
        "waveform": waveform,
        "lengths": lengths,
        "label": torch.stack([it["label"] for it in kept]),
        "index": torch.tensor([it["index"] for it in kept]),
        "path": [it["path"] for it in kept],
        "skipped": skipped,
    }
