"""Process-group set-up for DDP under ``torchrun`` (or any launcher that sets RANK / WORLD_SIZE)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = ["Dist", "setup"]


@dataclass
class Dist:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    created: bool = False  # this call created the process group (and tears it down)

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def close(self) -> None:
        if self.created and dist.is_initialized():
            dist.destroy_process_group()


def setup(device: torch.device | None) -> tuple[Dist, torch.device]:
    """Join (or create, from the torchrun environment) the default process group: NCCL when the
    device is CUDA, gloo otherwise. Returns the rank info and this rank's device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", os.environ.get("RANK", "0")))
    if device is None:
        device = torch.device(
            f"cuda:{local}"
            if torch.cuda.is_available() and world > 1
            else ("cuda" if torch.cuda.is_available() else "cpu")
        )
    device = torch.device(device)
    if world <= 1 and not dist.is_initialized():
        return Dist(), device
    created = False
    if not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        created = True
    return Dist(dist.get_rank(), dist.get_world_size(), local, created), device
