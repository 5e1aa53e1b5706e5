"""nn.Modules of fused model layers."""

from .antialias import Activation1d, SnakeParameters
from .pcen import PCEN

__all__ = ["PCEN", "Activation1d", "SnakeParameters"]
