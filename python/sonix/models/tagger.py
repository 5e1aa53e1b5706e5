"""``CNNTagger``: a small 2-D CNN audio tagger on log-mel features."""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["CNNTagger"]


class CNNTagger(nn.Module):
    """Conv blocks (3x3 conv, batch norm, ReLU, 2x2 max-pool) over (mels, frames), then global
    mean+max pooling over time, mean over mels, dropout and a linear layer to ``n_classes`` logits.

    Input ``(batch, mels, frames)`` or ``(batch, in_channels, mels, frames)`` float; output
    ``(batch, n_classes)`` logits (softmax / cross-entropy for one label, sigmoid / BCE for many).
    Works with autograd, torch.compile and torch.export.
    """

    def __init__(
        self,
        n_classes: int,
        in_channels: int = 1,
        channels: tuple[int, ...] = (16, 32, 64),
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.config = {
            "n_classes": n_classes,
            "in_channels": in_channels,
            "channels": list(channels),
            "dropout": dropout,
        }
        layers: list[nn.Module] = [nn.BatchNorm2d(in_channels)]  # per-channel feature scaling
        prev = in_channels
        for c in channels:
            layers += [
                nn.Conv2d(prev, c, 3, padding=1, bias=False),
                nn.BatchNorm2d(c),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2, ceil_mode=True),
            ]
            prev = c
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(prev, n_classes))

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() == 3:
            x = x.unsqueeze(1)
        h = self.features(x).mean(dim=2)  # (batch, channels, frames')
        h = h.mean(dim=-1) + h.amax(dim=-1)
        return self.head(h)
