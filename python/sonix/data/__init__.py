"""Audio data loading: decode (soundfile), mix down, resample, crop, pad, batch, bucket, shard.

Plain PyTorch pieces to use with ``torch.utils.data.DataLoader``::

    ds = AudioDataset("data/train", sample_rate=16000, crop_seconds=1.0)
    loader = DataLoader(ds, batch_sampler=EpochBatchSampler(len(ds), 32), collate_fn=collate,
                        num_workers=2)
"""

from .collate import Batch, collate, pad_batch
from .dataset import AUDIO_EXTENSIONS, AudioDataset, AudioLoadError, Item, find_audio, read_manifest
from .demo import CLASSES as DEMO_CLASSES
from .demo import write_demo_dataset
from .sampler import BucketBatchSampler, EpochBatchSampler

__all__ = [
    "Batch",
    "AUDIO_EXTENSIONS",
    "DEMO_CLASSES",
    "AudioDataset",
    "AudioLoadError",
    "BucketBatchSampler",
    "EpochBatchSampler",
    "Item",
    "collate",
    "find_audio",
    "pad_batch",
    "read_manifest",
    "write_demo_dataset",
]
