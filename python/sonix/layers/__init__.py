"""nn.Modules of the fused model layers (state-dict compatible with the layers they replace)."""

from .antialias import Activation1d, SnakeParameters
from .causal_conv import CausalDepthwiseConv1d
from .pcen import PCEN
from .snake import Snake, Snake1d, SnakeBeta

__all__ = [
    "PCEN",
    "Activation1d",
    "CausalDepthwiseConv1d",
    "Snake",
    "Snake1d",
    "SnakeBeta",
    "SnakeParameters",
]
