"""``python -m sonix.bench [options]``: the same as ``sonix bench [options]``."""

import sys

from .app import main

if __name__ == "__main__":
    sys.exit(main())
