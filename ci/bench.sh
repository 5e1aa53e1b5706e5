#!/usr/bin/env bash
# Runs `sonix bench` from .venv with the arguments passed through (see `sonix bench --help`), e.g.
#   bash ci/bench.sh --quick
#   bash ci/bench.sh --presets whisper --repeats 10 --out bench-results/whisper
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/sonix ]; then
  echo "bench: .venv/bin/sonix is missing; run 'bash ci/setup_env.sh' first" >&2
  exit 2
fi
exec .venv/bin/sonix bench "$@"
