"""A librosa-compatible subset on sonix ops: switch with ``from sonix.compat import librosa``.

Provided, with librosa 0.11's names, keyword-only arguments and defaults:

* ``stft``, ``istft``, ``power_to_db``, ``amplitude_to_db``
* ``filters.mel``, ``filters.get_window``
* ``feature.melspectrogram``, ``feature.mfcc``

Every function takes numpy arrays or torch tensors on any device and returns the same kind: numpy
in -> numpy out with librosa's output dtype; tensor in -> tensor on the input's device, with
autograd and torch.compile support through the sonix ops. Differences from librosa: errors are
ValueError / TypeError (not librosa's ParameterError); ``power_to_db`` / ``amplitude_to_db`` /
``mfcc`` take the top_db max over the whole array as librosa does (the sonix.functional and
transforms APIs take it per example); the ``pad_mode`` "empty" pads with zeros; ``filters.mel``
refuses fmax above sr / 2; ``mfcc`` supports ``dct_type=2`` only; float32 results are computed in
float32 (librosa computes float32 STFTs in float64 and rounds), so they agree to float32 precision.
librosa itself is never imported.
"""

from . import feature, filters
from .core import amplitude_to_db, istft, power_to_db, stft

__all__ = ["amplitude_to_db", "feature", "filters", "istft", "power_to_db", "stft"]
