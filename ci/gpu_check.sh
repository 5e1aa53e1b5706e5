#!/usr/bin/env bash
# GPU check, for a machine with a CUDA GPU where python has a CUDA build of torch, nvcc, pytest,
# scikit-build-core, cmake and ninja (the lent H200 machine: see /work/shared/docs/build-notes.md).
# Within GPU_CHECK_BUDGET_S (default 480 s = 8 min), each step under `timeout`, in this order:
#   1. build:     pip install --no-build-isolation --no-deps .   (SONIX_CUDA=ON, archs 90-real)
#   2. tests:     pytest tests -k cuda
#   3. sanitizer: compute-sanitizer --tool memcheck on ci/cuda_smoke.py (every op once, fwd+bwd,
#                 CPU vs CUDA) with torch's caching allocator off so memcheck sees each allocation
#   4. bench:     sonix bench --device cuda --quick
# Logs go to $OUT (the device tool's folder) or ./gpu-check; a short table is printed last.
# Exit status: 0 when every step passed. Environment: PYTHON (default python3), OUT,
# GPU_CHECK_BUDGET_S, SONIX_CUDA_ARCHS, BENCH_ARGS (extra arguments for the bench; default: a batch of 64
# clips, 10 repeats after 2 warmups, since the quick sizes are launch-bound on a GPU).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY=${PYTHON:-python3}
LOG=${OUT:-$PWD/gpu-check}
mkdir -p "$LOG"
BUDGET=${GPU_CHECK_BUDGET_S:-480}
START=$(date +%s)
export SONIX_CUDA=${SONIX_CUDA:-ON}
export SONIX_CUDA_ARCHS=${SONIX_CUDA_ARCHS:-90-real}  # H100/H200 only: one arch keeps the build short
export HYPOTHESIS_PROFILE=${HYPOTHESIS_PROFILE:-ci}

NAMES=()
STATUS=()
SECS=()

# step NAME CAP_SECONDS command...: runs the command under timeout (its cap or what is left of the
# budget, whichever is less), output to $LOG/NAME.log, and records the outcome.
step() {
  local name=$1 cap=$2
  shift 2
  local left=$((BUDGET - ($(date +%s) - START)))
  local t=$((cap < left ? cap : left))
  NAMES+=("$name")
  if [ "$t" -lt 10 ]; then
    STATUS+=("skipped (budget spent)")
    SECS+=(0)
    return 1
  fi
  echo "gpu_check: $name (at most ${t}s) -> $LOG/$name.log"
  local s rc
  s=$(date +%s)
  timeout --kill-after=10 "$t" "$@" >"$LOG/$name.log" 2>&1
  rc=$?
  SECS+=($(($(date +%s) - s)))
  case $rc in
    0) STATUS+=("ok") ;;
    124 | 137) STATUS+=("TIMEOUT after ${t}s") ;;
    *) STATUS+=("FAILED (exit $rc)") ;;
  esac
  return $rc
}

{
  echo "date: $(date -u +%FT%TZ)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
  command -v nvcc >/dev/null && nvcc --version | tail -2
  "$PY" -c "import sys, torch; print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda, 'available', torch.cuda.is_available())"
} >"$LOG/env.log" 2>&1
cat "$LOG/env.log"

# Optional pure-Python / binary wheels carried to a machine that cannot reach an index (the device
# tool's `carry: [".whl"]`): baselines such as auraloss, julius and soxr for the tests and the bench.
if compgen -G ".whl/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/sonix-site .whl/*.whl \
    && export PYTHONPATH=/tmp/sonix-site${PYTHONPATH:+:$PYTHONPATH}
fi

built=0
if step build 300 "$PY" -m pip install --no-build-isolation --no-deps -v .; then
  built=1
fi

if [ "$built" = 1 ]; then
  step cuda_tests 150 "$PY" -m pytest tests -k cuda -q -p no:cacheprovider --continue-on-collection-errors
  if [ "${STATUS[-1]}" = "FAILED (exit 5)" ]; then
    STATUS[-1]="no CUDA tests collected"
  fi

  SANITIZER=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -n 1)
  if [ -n "$SANITIZER" ] && [ -x "$SANITIZER" ]; then
    step memcheck 150 env PYTORCH_NO_CUDA_MEMORY_CACHING=1 "$SANITIZER" --tool memcheck --leak-check no \
      --error-exitcode 97 --target-processes all "$PY" ci/cuda_smoke.py
  else
    NAMES+=("memcheck")
    STATUS+=("skipped (no compute-sanitizer)")
    SECS+=(0)
  fi

  # shellcheck disable=SC2086  # BENCH_ARGS is a list of words
  step bench 150 "$PY" -m sonix.cli bench --device cuda --quick --no-progress --out "$LOG/bench" ${BENCH_ARGS:---batch 64 --repeats 10 --warmup 2}
else
  for s in cuda_tests memcheck bench; do
    NAMES+=("$s")
    STATUS+=("skipped (build failed)")
    SECS+=(0)
  done
fi

# Details first, the table last.
for i in "${!NAMES[@]}"; do
  if [[ ${STATUS[$i]} == FAILED* || ${STATUS[$i]} == TIMEOUT* ]]; then
    echo
    echo "---- last lines of $LOG/${NAMES[$i]}.log ----"
    tail -n 25 "$LOG/${NAMES[$i]}.log"
  fi
done
if [ -f "$LOG/memcheck.log" ]; then
  echo
  grep -E "^cuda_smoke:|ERROR SUMMARY" "$LOG/memcheck.log" | tail -n 14
fi
if [ -f "$LOG/cuda_tests.log" ]; then
  echo
  tail -n 3 "$LOG/cuda_tests.log"
fi
if [ -f "$LOG/bench/bench.md" ]; then
  echo
  grep -E "^\| (logmel|stft|rfft) \| fwd" "$LOG/bench/bench.md" | head -n 20
  grep -E "bare rfft" "$LOG/bench/bench.md"
fi

echo
printf '%-12s %-32s %8s  %s\n' step status seconds log
fail=0
for i in "${!NAMES[@]}"; do
  printf '%-12s %-32s %8s  %s\n' "${NAMES[$i]}" "${STATUS[$i]}" "${SECS[$i]}" "$LOG/${NAMES[$i]}.log"
  [[ ${STATUS[$i]} == ok || ${STATUS[$i]} == "no CUDA tests collected" ]] || fail=1
done
printf '%-12s %-32s %8s\n' total "$([ $fail = 0 ] && echo ok || echo FAILED)" $(($(date +%s) - START))
exit $fail
