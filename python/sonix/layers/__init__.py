"""nn.Modules of fused model layers."""

from .antialias import Activation1d, SnakeParameters

__all__ = ["Activation1d", "SnakeParameters"]
