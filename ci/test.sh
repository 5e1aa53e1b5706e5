#!/usr/bin/env bash
# Runs the test suite (hypothesis "ci" profile: derandomized, bounded examples) and ruff check.
# Assumes ci/setup_env.sh has run. Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv
if [ ! -x "$VENV/bin/python" ]; then
  echo "test: $VENV is missing; run 'bash ci/setup_env.sh' first" >&2
  exit 2
fi
export HYPOTHESIS_PROFILE=ci

"$VENV/bin/python" -m pytest tests -q --durations=10 "$@"
pytest_rc=$?
if [ "$pytest_rc" -eq 5 ]; then
  echo "test: pytest collected no tests" >&2
fi

"$VENV/bin/ruff" check .
ruff_rc=$?

echo "test: pytest exit ${pytest_rc}, ruff check exit ${ruff_rc}"
[ "$pytest_rc" -eq 0 ] && [ "$ruff_rc" -eq 0 ]
