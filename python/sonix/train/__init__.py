"""A thin training loop (:func:`fit`), evaluation and exact-resume checkpoints, in plain PyTorch."""

from .checkpoint import load_checkpoint, save_checkpoint
from .loop import FitResult, evaluate, fit, seed_everything

__all__ = ["FitResult", "evaluate", "fit", "load_checkpoint", "save_checkpoint", "seed_everything"]
