"""API-compatible front ends for other audio libraries, computed by sonix ops.

``from sonix.compat import librosa`` in place of ``import librosa`` (see :mod:`sonix.compat.librosa`).
Submodules are imported on demand; nothing here imports the real libraries.
"""

__all__ = ["librosa"]
