"""nn.Modules of the fused model layers (state-dict compatible with the layers they replace)."""

from .causal_conv import CausalDepthwiseConv1d
from .snake import Snake, Snake1d, SnakeBeta

__all__ = ["CausalDepthwiseConv1d", "Snake", "Snake1d", "SnakeBeta"]
