"""Loss modules: auraloss-compatible STFT losses and DAC / BigVGAN multi-scale mel loss, on fused ops."""

from .mel import MultiScaleMelLoss
from .stft import MultiResolutionSTFTLoss, STFTLoss

__all__ = ["MultiResolutionSTFTLoss", "MultiScaleMelLoss", "STFTLoss"]
