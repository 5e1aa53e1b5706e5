"""``ConformerClassifier``: a small Conformer-style encoder with mean pooling, for clip labels."""

from __future__ import annotations

from torch import Tensor, nn

__all__ = ["ConformerClassifier"]


class _FeedForward(nn.Module):
    def __init__(self, d: int, mult: int, dropout: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.LayerNorm(d),
            nn.Linear(d, d * mult),
            nn.SiLU(),
            nn.Dropout(dropout),
            nn.Linear(d * mult, d),
            nn.Dropout(dropout),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class _ConvModule(nn.Module):
    """Pointwise conv + GLU, depthwise conv, norm, SiLU, pointwise conv (time on the last axis)."""

    def __init__(self, d: int, kernel_size: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.pw1 = nn.Conv1d(d, 2 * d, 1)
        self.dw = nn.Conv1d(d, d, kernel_size, padding=kernel_size // 2, groups=d)
        self.bn = nn.GroupNorm(1, d)
        self.pw2 = nn.Conv1d(d, d, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:  # (batch, time, d)
        h = self.norm(x).transpose(1, 2)
        h = nn.functional.glu(self.pw1(h), dim=1)
        h = self.pw2(nn.functional.silu(self.bn(self.dw(h))))
        return self.drop(h.transpose(1, 2))


class _Block(nn.Module):
    def __init__(self, d: int, heads: int, kernel_size: int, dropout: float) -> None:
        super().__init__()
        self.ff1 = _FeedForward(d, 4, dropout)
        self.attn_norm = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.conv = _ConvModule(d, kernel_size, dropout)
        self.ff2 = _FeedForward(d, 4, dropout)
        self.out_norm = nn.LayerNorm(d)

    def forward(self, x: Tensor) -> Tensor:
        x = x + 0.5 * self.ff1(x)
        h = self.attn_norm(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        x = x + self.conv(x)
        x = x + 0.5 * self.ff2(x)
        return self.out_norm(x)


class ConformerClassifier(nn.Module):
    """Conv subsampling (two stride-2 1-D convs over frames), ``n_layers`` Conformer blocks
    (half-step feed-forward, self-attention, convolution module, half-step feed-forward), mean
    pooling over time and a linear layer.

    Input ``(batch, mels, frames)`` (or ``(batch, channels, mels, frames)``, channels averaged);
    output ``(batch, n_classes)`` logits. Works with autograd, torch.compile and torch.export.
    """

    def __init__(
        self,
        n_classes: int,
        n_mels: int = 64,
        d_model: int = 96,
        n_layers: int = 2,
        heads: int = 4,
        kernel_size: int = 15,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.config = {
            "n_classes": n_classes,
            "n_mels": n_mels,
            "d_model": d_model,
            "n_layers": n_layers,
            "heads": heads,
            "kernel_size": kernel_size,
            "dropout": dropout,
        }
        self.in_norm = nn.BatchNorm1d(n_mels)
        self.subsample = nn.Sequential(
            nn.Conv1d(n_mels, d_model, 3, stride=2, padding=1),
            nn.SiLU(),
            nn.Conv1d(d_model, d_model, 3, stride=2, padding=1),
            nn.SiLU(),
        )
        self.blocks = nn.Sequential(
            *[_Block(d_model, heads, kernel_size, dropout) for _ in range(n_layers)]
        )
        self.head = nn.Linear(d_model, n_classes)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() == 4:
            x = x.mean(dim=1)
        h = self.subsample(self.in_norm(x)).transpose(1, 2)  # (batch, time', d)
        return self.head(self.blocks(h).mean(dim=1))
