"""``fit``: one explicit training loop. Read it top to bottom; copy and change what you need.

Per optimiser step: ``grad_accum`` micro-batches, each moved to the device, augmented, turned into
features by the front end (all on the device), run through the model under bf16 autocast (CUDA only),
loss scaled by ``1 / grad_accum`` and backpropagated (DDP syncs gradients on the last micro-batch).

Exact resume: the checkpoint holds model, optimiser, scheduler, every RNG, the epoch and how many
micro-batches of it were consumed. Data order comes from ``(seed, epoch)`` alone (the sampler), crops
from ``(seed, epoch, index)`` (the dataset), and the DataLoader gets its own generator so creating an
iterator does not touch the global RNG: after a resume, the run continues as if never stopped.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ..augment.base import Augmentation, AugmentOutput
from ..data import EpochBatchSampler, collate
from ..data.sampler import BucketBatchSampler
from .checkpoint import get_rng_state, load_checkpoint, save_checkpoint, set_rng_state
from .distributed import setup

__all__ = ["FitResult", "evaluate", "fit", "seed_everything"]


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@dataclass
class FitResult:
    """What :func:`fit` returns: the trained (unwrapped) model, the step and epoch reached, and every
    record it logged (one dict per optimiser step, ``{"val_...": ...}`` records after each epoch)."""

    model: nn.Module
    step: int
    epoch: int
    history: list[dict] = field(default_factory=list)

    @property
    def losses(self) -> list[float]:
        return [r["loss"] for r in self.history if "loss" in r]


def _default_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if target.dtype.is_floating_point:  # multi-hot: multi-label tagging
        return nn.functional.binary_cross_entropy_with_logits(logits, target)
    return nn.functional.cross_entropy(logits, target)


class _Logger:
    def __init__(self, path: Path | None, main: bool, resume_step: int | None) -> None:
        self.file = None
        self.tb = None
        if path is None or not main:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        if resume_step is not None and path.exists():
            # drop records written after the checkpoint by the interrupted run
            keep = [
                ln
                for ln in path.read_text().splitlines()
                if json.loads(ln).get("step", 0) <= resume_step
            ]
            path.write_text("".join(ln + "\n" for ln in keep))
        elif path.exists():
            path.unlink()
        self.file = open(path, "a")  # noqa: SIM115  (closed in close())
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(str(path.parent / "tensorboard"))
        except Exception:  # noqa: BLE001  (tensorboard not installed: JSONL only)
            self.tb = None

    def write(self, record: dict) -> None:
        if self.file is not None:
            self.file.write(json.dumps(record) + "\n")
            self.file.flush()
        if self.tb is not None:
            for k, v in record.items():
                if k not in ("step", "epoch") and isinstance(v, int | float):
                    self.tb.add_scalar(k, v, record.get("step", 0))

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        if self.tb is not None:
            self.tb.close()


def _unwrap(model: nn.Module) -> nn.Module:
    model = getattr(model, "_orig_mod", model)  # torch.compile
    return getattr(model, "module", model)  # DDP


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: Dataset,
    *,
    frontend: nn.Module | None = None,
    loss_fn: Callable | None = None,
    batch_size: int = 32,
    num_workers: int = 0,
    device: str | torch.device = "cpu",
) -> dict:
    """Mean loss and accuracy (single label: argmax; multi-label: per-label at p > 0.5) of ``model``
    on ``data``, in eval mode. Returns ``{"val_loss", "val_accuracy", "val_items", "val_skipped"}``."""
    loss_fn = loss_fn or _default_loss
    loader = DataLoader(
        data,
        batch_size=batch_size,
        collate_fn=collate,
        num_workers=num_workers,
        generator=torch.Generator(),
    )
    was_training = model.training
    model.eval()
    total, correct, count, skipped = 0.0, 0.0, 0, 0
    for batch in loader:
        skipped += batch["skipped"]
        if batch["waveform"] is None:
            continue
        x = batch["waveform"].to(device)
        y = batch["label"].to(device)
        feats = frontend(x) if frontend is not None else x
        logits = model(feats).float()
        total += float(loss_fn(logits, y)) * len(y)
        if y.dtype.is_floating_point:
            correct += float(((logits > 0) == (y > 0.5)).float().mean(dim=1).sum())
        else:
            correct += float((logits.argmax(dim=1) == y).sum())
        count += len(y)
    model.train(was_training)
    n = max(count, 1)
    return {
        "val_loss": total / n,
        "val_accuracy": correct / n,
        "val_items": count,
        "val_skipped": skipped,
    }


def fit(
    model: nn.Module,
    train_data: Dataset,
    *,
    val_data: Dataset | None = None,
    frontend: nn.Module | None = None,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    optimizer: torch.optim.Optimizer | Callable[[Any], torch.optim.Optimizer] | None = None,
    scheduler: Any | Callable[[torch.optim.Optimizer], Any] | None = None,
    lr: float = 1e-3,
    batch_size: int = 32,
    epochs: int = 1,
    steps: int | None = None,
    grad_accum: int = 1,
    max_grad_norm: float | None = None,
    amp: bool = True,
    compile: bool = False,
    bucket: bool = False,
    num_workers: int = 0,
    multiprocessing_context: str | None = None,
    ckpt_dir: str | os.PathLike | None = None,
    ckpt_every: int | None = None,
    resume: bool | str | os.PathLike = False,
    seed: int = 0,
    log: str | os.PathLike | None = None,
    progress: bool = True,
    device: str | torch.device | None = None,
    extra_state: dict | None = None,
) -> FitResult:
    """Train ``model`` on ``train_data`` (items as :class:`sonix.data.AudioDataset` gives them).

    Args:
        model: maps features ``frontend(waveform)`` (or the waveform, without front end) to logits.
        val_data: evaluated after every epoch (loss, accuracy), logged as ``val_*``.
        frontend / augment: modules run on the device inside the step: ``augment(waveform)`` (train
            only), then ``frontend(waveform)`` (e.g. :class:`sonix.transforms.LogMelSpectrogram`).
            A :class:`sonix.augment.Augmentation` (e.g. a Compose) is also given the sample rate,
            the valid lengths, the optimiser step and the dataset indices, so its draws are keyed
            by (its seed, step, example) and reproduce across resumes, batch sizes and ranks.
        loss_fn: ``(logits, labels) -> loss``; default cross-entropy, or BCE-with-logits when the
            labels are float (multi-label).
        optimizer: an optimiser over ``model.parameters()`` or ``params -> optimiser``; default AdamW(lr).
        scheduler: a scheduler or ``optimiser -> scheduler``; stepped once per optimiser step.
        batch_size: items per micro-batch per process (global batch = batch_size * world size *
            grad_accum).
        epochs / steps: train for ``epochs`` epochs, or exactly ``steps`` optimiser steps if given.
        amp: bf16 autocast on CUDA (ignored on CPU). compile: ``torch.compile`` the model.
        bucket: length-bucketed batches (:class:`sonix.data.BucketBatchSampler`) instead of a shuffle.
        ckpt_dir: write ``last.pt`` there after every epoch, every ``ckpt_every`` steps and at the end.
        resume: True resumes from ``ckpt_dir/last.pt`` when it exists; a path resumes from that file.
        seed: seeds model-independent randomness (data order, crops, augmentation RNG, dropout).
        log: JSONL metrics file (default ``ckpt_dir/log.jsonl``); also TensorBoard when installed.
        extra_state: stored in the checkpoint as is (e.g. the front-end config, class names).

    Under ``torchrun`` (WORLD_SIZE > 1) the model is wrapped in DDP (gloo on CPU, NCCL on CUDA) and
    every rank draws its share of each global batch. Returns a :class:`FitResult`.
    """
    if grad_accum < 1:
        raise ValueError(f"sonix.train: grad_accum must be >= 1, got {grad_accum}")
    if steps is None and epochs < 1:
        raise ValueError(f"sonix.train: epochs must be >= 1 (or give steps), got {epochs}")
    rank_info, device = setup(None if device is None else torch.device(device))
    main = rank_info.is_main
    seed_everything(seed)
    model.to(device)
    if frontend is not None:
        frontend.to(device)
    if optimizer is None:
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    elif not isinstance(optimizer, torch.optim.Optimizer):
        optimizer = optimizer(model.parameters())
    if scheduler is not None and callable(scheduler) and not hasattr(scheduler, "state_dict"):
        scheduler = scheduler(optimizer)

    # ---- data: the sampler decides order and sharding; it can start mid-epoch ----
    if bucket:
        sampler = BucketBatchSampler(
            train_data.durations(),
            batch_size,
            seed=seed,
            num_replicas=rank_info.world_size,
            rank=rank_info.rank,
        )
    else:
        sampler = EpochBatchSampler(
            len(train_data),
            batch_size,
            seed=seed,
            num_replicas=rank_info.world_size,
            rank=rank_info.rank,
        )
    batches_per_epoch = len(sampler)
    if batches_per_epoch == 0:
        raise ValueError("sonix.train: train_data is empty")
    steps_per_epoch = math.ceil(batches_per_epoch / grad_accum)
    total_steps = steps if steps is not None else epochs * steps_per_epoch

    # ---- resume ----
    ckpt_dir = Path(ckpt_dir) if ckpt_dir is not None else None
    step, epoch, position = 0, 0, 0
    state = None
    if resume:
        path = (
            Path(resume)
            if not isinstance(resume, bool)
            else (ckpt_dir / "last.pt" if ckpt_dir else None)
        )
        if path is None:
            raise ValueError(
                "sonix.train: resume=True needs ckpt_dir (or pass the checkpoint path)"
            )
        if path.exists() or not isinstance(resume, bool):
            state = load_checkpoint(path, map_location="cpu")
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            if scheduler is not None and state.get("scheduler") is not None:
                scheduler.load_state_dict(state["scheduler"])
            step, epoch, position = state["step"], state["epoch"], state["position"]
    log_path = Path(log) if log is not None else (ckpt_dir / "log.jsonl" if ckpt_dir else None)
    logger = _Logger(log_path, main, step if state is not None else None)

    train_model: nn.Module = model
    if rank_info.enabled:
        train_model = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    if compile:
        train_model = torch.compile(train_model)
    loss_fn = loss_fn or _default_loss
    use_amp = amp and device.type == "cuda"

    def checkpoint() -> None:
        if ckpt_dir is None or not main:
            return
        save_checkpoint(
            ckpt_dir / "last.pt",
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
                "rng": get_rng_state(),
                "step": step,
                "epoch": epoch,
                "position": position,
                "seed": seed,
                "model_config": _model_config(model),
                "frontend_config": getattr(frontend, "sonix_config", None),
                "classes": list(getattr(train_data, "classes", []) or []),
                "sample_rate": getattr(train_data, "sample_rate", None),
                "crop_seconds": getattr(train_data, "crop_seconds", None),
                "multi_label": bool(getattr(train_data, "multi_label", False)),
                **(extra_state or {}),
            },
        )

    bar = None
    if progress and main:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=total_steps, initial=step, desc="sonix train", unit="step", dynamic_ncols=True
        )
    history: list[dict] = []
    if state is not None:
        set_rng_state(state["rng"])  # last: nothing above may draw from the restored generators
    model.train()
    t_last = time.perf_counter()
    try:
        while step < total_steps:
            if hasattr(train_data, "set_epoch"):
                train_data.set_epoch(epoch)
            sampler.set_epoch(epoch, start_batch=position)
            loader = DataLoader(
                train_data,
                batch_sampler=sampler,
                collate_fn=collate,
                num_workers=num_workers,
                multiprocessing_context=multiprocessing_context if num_workers else None,
                pin_memory=device.type == "cuda",
                generator=torch.Generator().manual_seed(seed + epoch),
            )
            it = iter(loader)
            epoch_done = False
            while step < total_steps and not epoch_done:
                optimizer.zero_grad(set_to_none=True)
                loss_sum, items, skipped, micro = 0.0, 0, 0, 0
                while micro < grad_accum:
                    batch = next(it, None)
                    if batch is None:
                        epoch_done = True
                        break
                    position += 1
                    micro += 1
                    skipped += batch["skipped"]
                    if batch["waveform"] is None:
                        continue
                    last = micro == grad_accum or position == batches_per_epoch
                    sync = (
                        train_model.no_sync()
                        if rank_info.enabled and not last
                        else contextlib.nullcontext()
                    )
                    x = batch["waveform"].to(device, non_blocking=True)
                    y = batch["label"].to(device, non_blocking=True)
                    with sync:
                        if isinstance(augment, Augmentation):
                            # keyed by (its seed, optimiser step, dataset index): reproducible on
                            # resume and the same for an example whatever rank or batch it is in
                            out = augment(
                                x,
                                getattr(train_data, "sample_rate", None),
                                lengths=batch["lengths"].to(device)
                                if batch["lengths"] is not None
                                else None,
                                step=step,
                                example_ids=batch["index"].to(device),
                            )
                            x = out.samples if isinstance(out, AugmentOutput) else out
                        elif augment is not None:
                            x = augment(x)
                        if frontend is not None:
                            x = frontend(x)
                        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                            logits = train_model(x)
                        loss = loss_fn(logits.float(), y)
                        (loss / grad_accum).backward()
                    loss_sum += float(loss.detach())
                    items += len(y)
                if micro == 0:
                    break
                if max_grad_norm is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                step += 1
                if position >= batches_per_epoch:
                    epoch, position, epoch_done = epoch + 1, 0, True
                record = {
                    "step": step,
                    "epoch": epoch if position else epoch - 1,
                    "loss": _mean_over_ranks(loss_sum / micro, rank_info.enabled, device),
                    "lr": optimizer.param_groups[0]["lr"],
                    "items": items,
                    "skipped": skipped,
                    "seconds": round(time.perf_counter() - t_last, 4),
                }
                t_last = time.perf_counter()
                history.append(record)
                logger.write(record)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{record['loss']:.4f}", epoch=record["epoch"])
                if epoch_done and val_data is not None and main:
                    val = {
                        "step": step,
                        "epoch": epoch - 1,
                        **evaluate(
                            model,
                            val_data,
                            frontend=frontend,
                            loss_fn=loss_fn,
                            batch_size=batch_size,
                            device=device,
                        ),
                    }
                    history.append(val)
                    logger.write(val)
                    if bar is not None:
                        bar.write(
                            f"epoch {epoch - 1}: val_loss {val['val_loss']:.4f} val_accuracy {val['val_accuracy']:.3f}"
                        )
                if epoch_done or (ckpt_every and step % ckpt_every == 0):
                    checkpoint()
            del it, loader
        checkpoint()
    finally:
        if bar is not None:
            bar.close()
        logger.close()
        rank_info.close()
    return FitResult(model=model, step=step, epoch=epoch, history=history)


def _mean_over_ranks(value: float, distributed: bool, device: torch.device) -> float:
    if not distributed:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return float(t) / dist.get_world_size()


def _model_config(model: nn.Module) -> dict | None:
    from ..models import config_of

    return config_of(model)
