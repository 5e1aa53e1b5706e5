"""sonix.data: folder/manifest datasets, resampling, crops, errors, collate, samplers, workers."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import torch

from sonix.data import (
    DEMO_CLASSES,
    AudioDataset,
    AudioLoadError,
    BucketBatchSampler,
    EpochBatchSampler,
    Item,
    collate,
    write_demo_dataset,
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    write_demo_dataset(root, 2, rates=(16000, 22050, 44100), seed=3)
    return root


def _tone(path, sr, seconds, freq, channels=1):
    t = np.arange(int(sr * seconds)) / sr
    y = 0.5 * np.sin(2 * np.pi * freq * t)
    y = np.stack([y * (c + 1) / channels for c in range(channels)], axis=1)
    sf.write(path, y, sr)
    return path


def test_folder_dataset_labels_and_shapes(demo):
    ds = AudioDataset(demo, sample_rate=16000, crop_seconds=0.5)
    assert ds.classes == sorted(DEMO_CLASSES) and len(ds) == 10
    batch = collate([ds[i] for i in range(len(ds))])
    assert batch["waveform"].shape == (10, 1, 8000)
    assert batch["waveform"].dtype == torch.float32
    assert batch["lengths"].tolist() == [8000] * 10
    assert [ds.classes[k] for k in batch["label"]] == [ds.items[i].labels[0] for i in range(10)]
    assert batch["skipped"] == 0


def test_manifest_csv_jsonl_ranges_and_multilabel(tmp_path):
    _tone(tmp_path / "a.wav", 44100, 2.0, 440.0)
    _tone(tmp_path / "b.flac", 22050, 1.0, 1000.0)
    (tmp_path / "m.csv").write_text("path,labels,start,end\na.wav,x;y,0.5,1.25\nb.flac,y,,\n")
    ds = AudioDataset(tmp_path / "m.csv", sample_rate=16000, multi_label=True)
    a, b = ds[0], ds[1]
    assert a["length"] == 12000 and b["length"] == 16000  # 0.75 s and 1 s at 16 kHz
    assert a["label"].tolist() == [1.0, 1.0] and b["label"].tolist() == [0.0, 1.0]
    rows = [
        {"path": "a.wav", "labels": ["x"], "start": 0.0, "end": 0.5},
        {"path": "b.flac", "label": "y"},
    ]
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds = AudioDataset(tmp_path / "m.jsonl", sample_rate=16000)
    assert ds.classes == ["x", "y"] and ds[0]["length"] == 8000 and int(ds[1]["label"]) == 1
    batch = collate([ds[0], ds[1]])
    assert batch["waveform"].shape == (2, 1, 16000) and batch["lengths"].tolist() == [8000, 16000]
    assert torch.all(batch["waveform"][0, :, 8000:] == 0)


@pytest.mark.parametrize("sr", [16000, 22050, 44100, 48000])
def test_resampled_tone_keeps_frequency(tmp_path, sr):
    _tone(tmp_path / "t.wav", sr, 1.0, 1000.0)
    x = AudioDataset([Item(str(tmp_path / "t.wav"))], sample_rate=16000)[0]["waveform"][0]
    assert abs(x.shape[-1] - 16000) <= 1
    spec = torch.fft.rfft(
        x[1000:-1000] * torch.hann_window(x.shape[-1] - 2000, dtype=x.dtype)
    ).abs()
    peak_hz = spec.argmax().item() * 16000 / (x.shape[-1] - 2000)
    assert abs(peak_hz - 1000.0) < 3.0


def test_multichannel_and_mono(tmp_path):
    _tone(tmp_path / "s.wav", 22050, 0.5, 300.0, channels=2)
    items = [Item(str(tmp_path / "s.wav"))]
    stereo = AudioDataset(items, sample_rate=16000, mono=False)[0]["waveform"]
    mono = AudioDataset(items, sample_rate=16000)[0]["waveform"]
    assert stereo.shape == (2, 8000) and mono.shape == (1, 8000)
    torch.testing.assert_close(mono[0], stereo.mean(dim=0))
    torch.testing.assert_close(
        stereo[1], 2 * stereo[0], rtol=1e-3, atol=2e-4
    )  # 16-bit quantisation


def test_random_crops_depend_on_seed_epoch_index_only(demo):
    ds = AudioDataset(demo, crop_seconds=0.25, seed=1)
    a = ds[3]["waveform"]
    _ = ds[4]
    assert torch.equal(ds[3]["waveform"], a)  # not on call order
    ds.set_epoch(1)
    assert not torch.equal(ds[3]["waveform"], a)
    ds.set_epoch(0)
    assert torch.equal(ds[3]["waveform"], a)
    fixed = AudioDataset(demo, crop_seconds=0.25, crop="center")
    fixed.set_epoch(5)
    assert torch.equal(
        fixed[3]["waveform"], AudioDataset(demo, crop_seconds=0.25, crop="center")[3]["waveform"]
    )


@pytest.fixture
def with_corrupt(tmp_path):
    _tone(tmp_path / "good.wav", 16000, 0.5, 440.0)
    (tmp_path / "bad.wav").write_bytes(b"RIFF\x00\x00not really a wav file")
    return [Item(str(tmp_path / "good.wav"), ("a",)), Item(str(tmp_path / "bad.wav"), ("a",))]


def test_corrupt_file_raises_naming_it(with_corrupt):
    ds = AudioDataset(with_corrupt)
    assert ds[0]["length"] == 8000
    with pytest.raises(AudioLoadError, match="bad.wav"):
        ds[1]
    with pytest.raises(AudioLoadError, match="missing.wav"):
        AudioDataset([Item("/nonexistent/missing.wav", ("a",))])[0]


def test_corrupt_file_skipped_and_counted(with_corrupt):
    ds = AudioDataset(with_corrupt * 2, on_error="skip")
    loader = torch.utils.data.DataLoader(ds, batch_size=2, collate_fn=collate)
    batches = list(loader)
    assert sum(b["skipped"] for b in batches) == 2
    assert all(b["waveform"].shape == (1, 1, 8000) for b in batches)  # no zero-filled stand-ins
    assert ds.skipped == 2


def test_bad_arguments_are_named(demo, tmp_path):
    with pytest.raises(ValueError, match="on_error"):
        AudioDataset(demo, on_error="ignore")
    with pytest.raises(ValueError, match="crop"):
        AudioDataset(demo, crop="middle")
    with pytest.raises(ValueError, match="class subfolders"):
        AudioDataset(tmp_path)
    (tmp_path / "m.txt").write_text("x")
    with pytest.raises(ValueError, match=r"\.csv or \.jsonl"):
        AudioDataset(tmp_path / "m.txt")


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_multiworker_loading_matches_single_process(demo, context):
    ds = AudioDataset(demo, crop_seconds=0.3, seed=2)
    ds.set_epoch(1)
    sampler = EpochBatchSampler(len(ds), 4, seed=0)
    ref = list(torch.utils.data.DataLoader(ds, batch_sampler=sampler, collate_fn=collate))
    got = list(
        torch.utils.data.DataLoader(
            ds,
            batch_sampler=sampler,
            collate_fn=collate,
            num_workers=2,
            multiprocessing_context=context,
        )
    )
    assert len(got) == len(ref) == 3
    for a, b in zip(ref, got, strict=True):
        assert torch.equal(a["waveform"], b["waveform"]) and torch.equal(a["label"], b["label"])


def test_epoch_sampler_shards_global_batches_and_resumes():
    full = EpochBatchSampler(21, 6, seed=4)
    ranks = [EpochBatchSampler(21, 3, seed=4, num_replicas=2, rank=r) for r in range(2)]
    for s in (full, *ranks):
        s.set_epoch(2)
    for g, a, b in zip(list(full), list(ranks[0]), list(ranks[1]), strict=False):
        if len(g) == 6:
            assert sorted(a + b) == sorted(g)
    later = list(full)[2:]
    full.set_epoch(2, start_batch=2)
    assert list(full) == later
    full.set_epoch(3)
    assert sorted(i for b in full for i in b) == list(range(21))


def test_bucket_sampler_groups_lengths():
    lengths = [float(i % 17) for i in range(200)]
    s = BucketBatchSampler(lengths, 10, seed=0, pool_batches=20)
    batches = list(s)
    assert sorted(i for b in batches for i in b) == list(range(200))
    spread = np.mean([max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches])
    assert spread < 2.0  # random batches of 10 would spread ~14
    ranks = [
        BucketBatchSampler(lengths, 5, seed=0, pool_batches=20, num_replicas=2, rank=r)
        for r in range(2)
    ]
    for g, a, b in zip(batches, list(ranks[0]), list(ranks[1]), strict=True):
        assert sorted(a + b) == sorted(g)
    s.set_epoch(0, start_batch=5)
    assert list(s) == batches[5:]


def test_batch_pickles_small_tensors_inline_and_round_trips():
    import pickle

    from sonix.data import Batch

    items = [
        {"waveform": torch.randn(1, n), "label": torch.tensor(i), "index": i, "path": f"f{i}"}
        for i, n in enumerate((5, 9, 7))
    ]
    batch = collate(items)
    assert isinstance(batch, Batch)
    back = pickle.loads(pickle.dumps(batch))
    assert isinstance(back, Batch) and back.keys() == batch.keys()
    for k, v in batch.items():
        if isinstance(v, torch.Tensor):
            assert torch.equal(back[k], v) and back[k].dtype == v.dtype
        else:
            assert back[k] == v
