"""Reference models (plain torch layers; small and readable) and a config-driven builder.

Every model keeps its constructor arguments in ``model.config`` so a checkpoint can rebuild it:
``build({"name": "cnn_tagger", "kwargs": model.config})``.
"""

from __future__ import annotations

from torch import nn

from .conformer import ConformerClassifier
from .tagger import CNNTagger

__all__ = ["MODELS", "CNNTagger", "ConformerClassifier", "build", "config_of"]

MODELS: dict[str, type[nn.Module]] = {"cnn_tagger": CNNTagger, "conformer": ConformerClassifier}


def config_of(model: nn.Module) -> dict | None:
    """``{"name", "kwargs"}`` for a model of :data:`MODELS` (None for other models)."""
    for name, cls in MODELS.items():
        if type(model) is cls:
            return {"name": name, "kwargs": dict(model.config)}
    return None


def build(config: dict) -> nn.Module:
    """A fresh model from ``{"name": one of MODELS, "kwargs": {...}}``."""
    name = config.get("name")
    if name not in MODELS:
        raise ValueError(f"sonix.models: unknown model {name!r}; choose from {sorted(MODELS)}")
    return MODELS[name](**config.get("kwargs", {}))
