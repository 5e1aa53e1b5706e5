"""``sonix bench``: sonix's ops against librosa, torchaudio, nnAudio, plain torch and torch.compile.

Layout: :mod:`.runner` (timing, cases, progress), :mod:`.signals` (seeded test audio),
:mod:`.memory` (peak memory in a subprocess), :mod:`.report` (JSON, markdown, PNG), :mod:`.app`
(options and the run), and one module per op family (:mod:`.spectral`).
"""

from .app import add_arguments, main, run

__all__ = ["add_arguments", "main", "run"]
