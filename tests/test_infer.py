"""sonix.infer: windowing, streaming == offline, batched file inference, export round trip, outputs."""

from __future__ import annotations

import csv
import io
import json

import pytest
import torch

from sonix.data import AudioDataset, Item, write_demo_dataset
from sonix.infer import (
    Predictor,
    Streamer,
    export,
    load_exported,
    n_windows,
    predict_files,
    to_csv,
    to_json,
    windows,
)
from sonix.models import CNNTagger
from sonix.models.frontend import make_frontend
from sonix.train import fit


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("infer")
    write_demo_dataset(root / "data", 2, rates=(16000, 22050), seed=7)
    torch.manual_seed(0)
    ds = AudioDataset(root / "data", crop_seconds=0.5)
    fit(
        CNNTagger(len(ds.classes), channels=(4, 8)),
        ds,
        frontend=make_frontend({"n_fft": 256, "hop_length": 128, "n_mels": 16}),
        steps=2,
        batch_size=5,
        progress=False,
        ckpt_dir=root / "run",
    )
    return root


@pytest.mark.parametrize("length", [1, 99, 100, 101, 160, 250, 251, 777])
@pytest.mark.parametrize("window,hop", [(100, 50), (100, 30), (100, 100)])
def test_windows_cover_the_clip(length, window, hop):
    x = torch.arange(1, length + 1, dtype=torch.float32)[None]
    w = windows(x, window, hop)
    n = n_windows(length, window, hop)
    assert w.shape == (n, 1, window)
    assert (n - 1) * hop + window >= length and (n == 1 or (n - 2) * hop + window < length)
    for k in range(n):
        seg = x[0, k * hop : k * hop + window]
        assert torch.equal(w[k, 0, : len(seg)], seg) and torch.all(w[k, 0, len(seg) :] == 0)


@pytest.mark.parametrize("chunk", [1, 37, 800, 8000, 100000])
def test_streaming_equals_offline(trained, chunk):
    p = Predictor.from_checkpoint(trained / "run", hop_seconds=0.2)
    x = torch.randn(1, 16000 + 1234, generator=torch.Generator().manual_seed(1)) * 0.1
    offline_windows = p.window_logits(windows(x, p.window, p.hop))
    s = p.streamer()
    emitted = [s.push(c) for c in torch.split(x, chunk, dim=-1)]
    got = s.finish()
    streamed_windows = torch.cat([e for e in emitted if e.numel()])
    assert len(streamed_windows) < len(offline_windows)  # some windows come out before the end
    torch.testing.assert_close(
        streamed_windows, offline_windows[: len(streamed_windows)], rtol=1e-5, atol=1e-5
    )
    torch.testing.assert_close(got, p.aggregate(offline_windows), rtol=1e-5, atol=1e-6)
    assert s.seen == 0  # finish() resets for the next stream


def test_streamer_short_clip_and_channel_check():
    fn = lambda w: w.sum(dim=(1, 2))[:, None]  # noqa: E731
    s = Streamer(fn, 10, 5)
    s.push(torch.ones(3))
    torch.testing.assert_close(s.finish(), torch.tensor([3.0]))
    with pytest.raises(ValueError, match="channels"):
        s.push(torch.ones(2, 4))


def test_predict_files_batches_and_aggregates(trained):
    p = Predictor.from_checkpoint(trained / "run")
    files = sorted((trained / "data").rglob("*.wav"))
    recs = predict_files(p, [trained / "data"], batch_size=3)
    assert [r["path"] for r in recs] == [str(f) for f in files]
    for f, r in zip(files, recs, strict=True):
        x = AudioDataset([Item(str(f))], sample_rate=16000)[0]["waveform"]
        ref = p.aggregate(p.window_logits(windows(x, p.window, p.hop)))
        assert r["windows"] == n_windows(x.shape[-1], p.window, p.hop) >= 2
        torch.testing.assert_close(
            torch.tensor(list(r["probs"].values())), ref, rtol=1e-5, atol=1e-6
        )
        assert (
            r["label"] == p.classes[int(ref.argmax())] and abs(sum(r["probs"].values()) - 1) < 1e-5
        )
    probs = predict_files(p, [files[0]], aggregate="probs")[0]
    assert abs(sum(probs["probs"].values()) - 1) < 1e-5
    rows = list(csv.DictReader(io.StringIO(to_csv(recs))))
    assert len(rows) == len(recs) and set(p.classes) <= set(rows[0])
    assert json.loads(to_json(recs))[0]["path"] == recs[0]["path"]


def test_export_round_trip(trained, tmp_path):
    p = Predictor.from_checkpoint(trained / "run")
    path = export(p, tmp_path / "m.pt2")
    q = load_exported(path)
    assert (q.classes, q.sample_rate, q.window, q.hop) == (
        p.classes,
        p.sample_rate,
        p.window,
        p.hop,
    )
    for batch in (1, 3):
        x = torch.randn(batch, 1, p.window, generator=torch.Generator().manual_seed(batch)) * 0.1
        torch.testing.assert_close(q.window_logits(x), p.window_logits(x), rtol=1e-5, atol=1e-5)


def test_unreadable_input_is_named_or_reported(trained, tmp_path):
    p = Predictor.from_checkpoint(trained / "run")
    (tmp_path / "bad.wav").write_bytes(b"garbage")
    with pytest.raises(Exception, match="bad.wav"):
        predict_files(p, [tmp_path / "bad.wav"])
    recs = predict_files(p, [tmp_path / "bad.wav"], on_error="skip")
    assert recs == [{"path": str(tmp_path / "bad.wav"), "error": "unreadable (skipped)"}]
