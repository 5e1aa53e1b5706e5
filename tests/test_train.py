"""sonix.train.fit: exact resume, reproducibility, gradient accumulation, DDP (2 CPU processes, gloo)
equals one process on the same global batch; sonix.models forward shapes."""

from __future__ import annotations

import os
import socket

import pytest
import torch
import torch.multiprocessing as mp
from torch import nn

from sonix.data import AudioDataset, write_demo_dataset
from sonix.models import CNNTagger, ConformerClassifier, build, config_of
from sonix.models.frontend import make_frontend
from sonix.train import fit, load_checkpoint

FRONTEND = {"n_fft": 256, "hop_length": 160, "n_mels": 16}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    write_demo_dataset(root, 4, rates=(16000, 22050), seed=5)
    return root


class _Small(nn.Module):
    """No batch norm: per-rank batch statistics would make DDP differ from one process by design."""

    def __init__(self, n_mels: int = 16, n_classes: int = 5, dropout: float = 0.0) -> None:
        super().__init__()
        self.conv = nn.Conv1d(n_mels, 8, 3, padding=1)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(8, n_classes)

    def forward(self, x):
        return self.out(self.drop(torch.relu(self.conv(x.flatten(1, 2))).mean(-1)))


def _run(demo, model_seed=0, **kw):
    torch.manual_seed(model_seed)
    model = kw.pop(
        "model", lambda: CNNTagger(5, channels=(4, 8), dropout=0.3)
    )()  # built after seeding
    ds = AudioDataset(demo, crop_seconds=0.25, seed=1)
    kw.setdefault("batch_size", 4)
    return fit(model, ds, frontend=make_frontend(FRONTEND), progress=False, seed=0, **kw)


@pytest.mark.parametrize("bucket", [False, True])
def test_resume_continues_the_same_loss_curve(demo, tmp_path, bucket):
    sched = lambda opt: torch.optim.lr_scheduler.StepLR(opt, 2, 0.5)  # noqa: E731
    full = _run(demo, steps=7, scheduler=sched, bucket=bucket)
    first = _run(demo, steps=3, scheduler=sched, ckpt_dir=tmp_path, bucket=bucket)
    assert load_checkpoint(tmp_path)["position"] == 3  # mid-epoch (5 batches per epoch)
    second = _run(demo, steps=7, scheduler=sched, ckpt_dir=tmp_path, resume=True, bucket=bucket)
    assert first.losses + second.losses == full.losses  # bitwise
    for a, b in zip(
        full.model.state_dict().values(), second.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    lines = (tmp_path / "log.jsonl").read_text().splitlines()
    assert [int(__import__("json").loads(ln)["step"]) for ln in lines] == list(range(1, 8))


def test_seeded_runs_reproduce_and_seeds_differ(demo):
    a, b = _run(demo, steps=3), _run(demo, steps=3)
    assert a.losses == b.losses
    assert _run(demo, steps=3, model_seed=1).losses != a.losses


def test_grad_accum_matches_one_big_batch(demo):
    sgd = lambda p: torch.optim.SGD(p, 0.1)  # noqa: E731
    big = _run(demo, model=_Small, steps=2, batch_size=8, optimizer=sgd)
    acc = _run(demo, model=_Small, steps=2, batch_size=4, grad_accum=2, optimizer=sgd)
    for a, b in zip(big.model.parameters(), acc.model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(
        torch.tensor(big.losses), torch.tensor(acc.losses), rtol=1e-5, atol=1e-6
    )


def test_multilabel_and_validation(demo, tmp_path):
    from sonix.data import Item

    items = [
        Item(it.path, it.labels + (("loud",) if i % 2 else ()))
        for i, it in enumerate(AudioDataset(demo).items)
    ]
    ds = AudioDataset(items, crop_seconds=0.25, multi_label=True)
    torch.manual_seed(0)
    res = fit(
        CNNTagger(len(ds.classes), channels=(4,)),
        ds,
        val_data=ds,
        frontend=make_frontend(FRONTEND),
        batch_size=10,
        epochs=1,
        progress=False,
        ckpt_dir=tmp_path,
    )
    val = [r for r in res.history if "val_accuracy" in r]
    assert len(val) == 1 and 0.0 <= val[0]["val_accuracy"] <= 1.0 and val[0]["val_items"] == 20
    ck = load_checkpoint(tmp_path)
    assert (
        ck["multi_label"] and ck["classes"] == ds.classes and ck["frontend_config"]["n_mels"] == 16
    )
    rebuilt = build(ck["model_config"])
    rebuilt.load_state_dict(ck["model"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank: int, world: int, port: int, root: str, out: str) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world)
    )
    torch.set_num_threads(1)
    res = _run(
        root, model=_Small, steps=3, batch_size=4, optimizer=lambda p: torch.optim.SGD(p, 0.1)
    )
    if rank == 0:
        torch.save({"state": res.model.state_dict(), "losses": res.losses}, out)


def test_ddp_two_processes_equals_one_process(demo, tmp_path):
    out = str(tmp_path / "ddp.pt")
    mp.start_processes(
        _ddp_worker, args=(2, _free_port(), str(demo), out), nprocs=2, start_method="spawn"
    )
    ddp = torch.load(out)
    single = _run(
        demo, model=_Small, steps=3, batch_size=8, optimizer=lambda p: torch.optim.SGD(p, 0.1)
    )
    torch.testing.assert_close(
        torch.tensor(ddp["losses"]), torch.tensor(single.losses), rtol=1e-5, atol=1e-6
    )
    for k, v in single.model.state_dict().items():
        torch.testing.assert_close(ddp["state"][k], v, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", [CNNTagger, ConformerClassifier])
def test_models_shapes_config_and_grad(cls):
    model = cls(7) if cls is CNNTagger else cls(7, n_mels=16, d_model=32, n_layers=1)
    x = torch.randn(3, 1, 64 if cls is CNNTagger else 16, 37, requires_grad=True)
    y = model(x)
    assert y.shape == (3, 7)
    y.sum().backward()
    assert torch.isfinite(x.grad).all()
    again = build(config_of(model))
    assert type(again) is cls and again.config == model.config


def test_fit_rejects_bad_arguments(demo):
    with pytest.raises(ValueError, match="grad_accum"):
        _run(demo, steps=1, grad_accum=0)
    with pytest.raises(ValueError, match="resume=True needs ckpt_dir"):
        _run(demo, steps=1, resume=True)


def test_fit_passes_step_ids_and_lengths_to_a_sonix_augmentation(demo):
    from sonix.augment import Compose, Gain, PolarityInversion

    calls = []

    class Spy(Compose):
        def forward(self, samples, sample_rate=None, lengths=None, **kw):
            calls.append((sample_rate, lengths, kw["step"], kw["example_ids"].tolist()))
            return super().forward(samples, sample_rate, lengths, **kw)

    aug = Spy([Gain(p=1.0), PolarityInversion()], seed=3)
    a = _run(demo, steps=3, augment=aug)
    b = _run(demo, steps=3, augment=Spy([Gain(p=1.0), PolarityInversion()], seed=3))
    c = _run(demo, steps=3)
    assert a.losses == b.losses and a.losses != c.losses
    assert [s for _, _, s, _ in calls[:3]] == [0, 1, 2]
    assert all(
        sr == 16000 and lengths is not None and len(ids) == 4 for sr, lengths, _, ids in calls
    )
