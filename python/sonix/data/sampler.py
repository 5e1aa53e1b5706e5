"""Batch samplers that know their epoch and can start mid-epoch (for exact resume), sharded over ranks.

Both give rank ``r`` of ``R`` the ``r``-th share of every *global* batch of ``batch_size * R`` items, so
a DDP run sees, step for step, the same global batches as a single process with ``batch_size * R``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import DistributedSampler, Sampler

__all__ = ["BucketBatchSampler", "EpochBatchSampler"]


class _Resumable(Sampler[list[int]]):
    epoch: int = 0
    start_batch: int = 0

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        """Epoch to draw (its shuffle) and how many of its batches to skip (resuming mid-epoch)."""
        self.epoch, self.start_batch = int(epoch), int(start_batch)


class EpochBatchSampler(_Resumable):
    """Batches of ``batch_size`` indices of one rank over a :class:`~torch.utils.data.DistributedSampler`
    (shuffled with ``seed + epoch``; with one replica it is a plain seeded shuffle)."""

    def __init__(
        self,
        n: int,
        batch_size: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"sonix.data: batch_size must be >= 1, got {batch_size}")
        self.batch_size, self.drop_last = batch_size, drop_last
        # drop_last here drops the uneven tail of the index list; whole-batch dropping is ours
        self.inner = DistributedSampler(
            range(n),
            num_replicas=num_replicas,
            rank=rank,
            shuffle=shuffle,
            seed=seed,
            drop_last=drop_last,
        )

    def _batches(self) -> list[list[int]]:
        self.inner.set_epoch(self.epoch)
        idx = list(self.inner)
        out = [idx[i : i + self.batch_size] for i in range(0, len(idx), self.batch_size)]
        if self.drop_last and out and len(out[-1]) < self.batch_size:
            out.pop()
        return out

    def __iter__(self) -> Iterator[list[int]]:
        yield from self._batches()[self.start_batch :]

    def __len__(self) -> int:
        n = len(self.inner)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class BucketBatchSampler(_Resumable):
    """Length-bucketed batches: a seeded shuffle is cut into pools of ``pool_batches`` global batches,
    each pool is sorted by length and cut into global batches, whose order is then shuffled. Padding
    shrinks to the spread of lengths inside a batch.

    Args:
        lengths: one number per dataset item (e.g. :meth:`AudioDataset.durations`).
        batch_size: items per batch per rank.
    """

    def __init__(
        self,
        lengths: Sequence[float],
        batch_size: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
        num_replicas: int = 1,
        rank: int = 0,
        pool_batches: int = 50,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"sonix.data: batch_size must be >= 1, got {batch_size}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"sonix.data: rank must be in [0, {num_replicas}), got {rank}")
        self.lengths = torch.as_tensor(list(lengths), dtype=torch.float64)
        self.batch_size, self.shuffle, self.seed, self.drop_last = (
            batch_size,
            shuffle,
            seed,
            drop_last,
        )
        self.num_replicas, self.rank, self.pool_batches = num_replicas, rank, pool_batches

    def _global_batches(self) -> list[list[int]]:
        n, g_size = len(self.lengths), self.batch_size * self.num_replicas
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(n, generator=g) if self.shuffle else torch.arange(n)
        pool = g_size * self.pool_batches
        batches = []
        for i in range(0, n, pool):
            chunk = order[i : i + pool]
            chunk = chunk[torch.argsort(self.lengths[chunk], stable=True)].tolist()
            batches += [chunk[j : j + g_size] for j in range(0, len(chunk), g_size)]
        if self.drop_last:
            batches = [b for b in batches if len(b) == g_size]
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=g).tolist()]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        for b in self._global_batches()[self.start_batch :]:
            if self.num_replicas > 1 and len(b) < self.batch_size * self.num_replicas:
                b = (b * self.batch_size * self.num_replicas)[: self.batch_size * self.num_replicas]
            yield b[self.rank :: self.num_replicas]  # a short last batch is padded by repetition

    def __len__(self) -> int:
        return len(self._global_batches())
