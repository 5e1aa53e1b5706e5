"""nn.Modules of the fused model layers (state-dict compatible with the layers they replace)."""

from .causal_conv import CausalDepthwiseConv1d
from .snake import Snake, Snake1d, SnakeBeta

__all__ = ["CausalDepthwiseConv1d", "Snake", "Snake1d", "SnakeBeta"]
"""nn.Modules of fused model layers."""

from .antialias import Activation1d, SnakeParameters
from .pcen import PCEN

__all__ = ["PCEN", "Activation1d", "SnakeParameters"]
