"""``collate``: pad a list of dataset items into a batch with lengths."""

from __future__ import annotations

import math

import torch

__all__ = ["Batch", "collate", "pad_batch"]


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
    shape = (len(waveforms), channels.pop(), longest)
    if torch.utils.data.get_worker_info() is not None:
        # In a DataLoader worker: build the batch in shared memory directly, so sending it to the
        # main process does not copy it into a new shared segment (as default_collate does).
        first = waveforms[0]
        storage = first._typed_storage()._new_shared(math.prod(shape), device=first.device)
        out = first.new(storage).resize_(shape).zero_()
    else:
        out = waveforms[0].new_zeros(shape)
    for i, w in enumerate(waveforms):
        out[i, :, : w.shape[-1]] = w
    return out, lengths


class Batch(dict):
    """A collated batch: a plain dict of tensors and lists.

    Pickled (a DataLoader worker sending it to the main process), its small tensors (lengths,
    labels, indices) travel inside the pickle as numpy arrays and only the waveform as a
    shared-memory tensor: torch's IPC costs about 1 ms per shared tensor per batch on these machines,
    which was most of the loader's time on short clips.
    """

    def __reduce__(self):
        small = {
            k: v.numpy()
            for k, v in self.items()
            if isinstance(v, torch.Tensor) and k != "waveform" and v.device.type == "cpu"
        }
        rest = {k: v for k, v in self.items() if k not in small}
        return (_rebuild_batch, (rest, small))


def _rebuild_batch(rest: dict, small: dict) -> Batch:
    batch = Batch(rest)
    batch.update({k: torch.from_numpy(v) for k, v in small.items()})
    return batch


def collate(items: list[dict | None]) -> dict:
    """Batch of :class:`~sonix.data.AudioDataset` items: ``waveform`` (B, C, T) zero-padded,
    ``lengths`` (B,), ``label`` (B,) int64 or (B, K) float32, ``index`` (B,), ``path`` list, and
    ``skipped``: how many items were None (unreadable files with ``on_error="skip"``)."""
    kept = [it for it in items if it is not None]
    skipped = len(items) - len(kept)
    if not kept:
        return Batch(waveform=None, lengths=None, label=None, index=None, path=[], skipped=skipped)
    waveform, lengths = pad_batch([it["waveform"] for it in kept])
    return Batch(
        waveform=waveform,
        lengths=lengths,
        label=torch.stack([it["label"] for it in kept]),
        index=torch.tensor([it["index"] for it in kept]),
        path=[it["path"] for it in kept],
        skipped=skipped,
    )
