"""Loads the compiled extension and refuses, clearly, a binary built for another torch."""

from __future__ import annotations

import torch

try:
    from . import _C  # noqa: F401  (importing it registers torch.ops.sonix.*)
except ImportError as exc:  # pragma: no cover - only in a broken install
    raise ImportError(
        f"sonix: cannot load the compiled extension sonix._C ({exc}). Reinstall with "
        "`pip install --no-build-isolation .` in an environment where torch is installed."
    ) from exc


def _base(version: str) -> str:
    return version.split("+")[0]


BUILT_WITH: dict = _C.built_with()
if _base(BUILT_WITH["torch_version"]) != _base(torch.__version__):
    raise ImportError(
        f"sonix was built against torch {BUILT_WITH['torch_version']} but torch {torch.__version__} "
        "is installed; rebuild it with `pip install --no-build-isolation --force-reinstall .`"
    )

WITH_CUDA: bool = bool(BUILT_WITH["cuda"])
