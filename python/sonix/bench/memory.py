"""Peak extra CPU memory of one call, measured in a fresh subprocess.

tracemalloc does not see torch's allocations and torch keeps no CPU peak statistics, so this reads
the kernel's resident-set high-water mark. The child process sets glibc's mmap threshold to a fixed
128 KiB (``MALLOC_MMAP_THRESHOLD_``), so every large tensor is its own mapping and its pages leave
the resident set when it is freed; then, per case: one untimed call (plan caches, lazy library
state), ``/proc/self/clear_refs`` reset of VmHWM, VmRSS before, one call, VmHWM after. The number
is (VmHWM - VmRSS before), the minimum of two such calls (one with --quick): the input is resident before and not
counted; the output, temporaries and (fwd+bwd) the autograd graph and gradient are.

Where ``/proc/self/clear_refs`` cannot be written (gVisor), each case runs in its own process and
the number is the ``resource.getrusage`` maxrss delta across its first call (library start-up
included, so a little higher).

On CUDA the runner uses ``torch.cuda.max_memory_allocated`` in-process instead.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import json
import os
import re
import resource
import subprocess
import sys

_ENV = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"}


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        m = re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M)
    return int(m.group(1)) if m else -1


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def _trim() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _peak_hwm(fn, calls: int = 2) -> float:
    out = fn()
    del out
    best = None
    for _ in range(calls):
        _trim()
        _reset_hwm()
        before = _status_kib("VmRSS")
        out = fn()
        peak = _status_kib("VmHWM")
        del out
        extra = (peak - before) / 1024
        best = extra if best is None else min(best, extra)
    return best


def _peak_maxrss(fn) -> float:
    _trim()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = fn()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del out
    return (after - before) / 1024


def _child(spec: dict) -> dict:
    import torch

    from .runner import Context

    family = importlib.import_module(f"sonix.bench.{spec['family']}")
    ctx = Context(
        device=torch.device("cpu"),
        presets=spec["presets"],
        baselines=spec["baselines"],
        quick=spec["quick"],
        batch=spec["batch"],
        seed=spec["seed"],
    )
    wanted = {tuple(k) for k in spec["keys"]}
    method = "vmhwm" if (spec.get("method") != "maxrss" and _reset_hwm()) else "maxrss"
    if method == "maxrss" and len(wanted) > 1:
        out: dict = {"method": "maxrss", "results": []}
        for key in spec["keys"]:
            one = _spawn({**spec, "keys": [key], "method": "maxrss"}, timeout=spec.get("timeout"))
            out["results"] += one.get("results", [])
            if "error" in one:
                out["results"].append({"key": key, "error": one["error"]})
        return out
    results = []
    for case in family.build_cases(ctx):
        if case.key not in wanted:
            continue
        try:
            fn = case.make()
            mib = _peak_hwm(fn, 1 if ctx.quick else 2) if method == "vmhwm" else _peak_maxrss(fn)
            results.append({"key": list(case.key), "peak_extra_mib": mib})
        except Exception as exc:  # noqa: BLE001
            results.append({"key": list(case.key), "error": f"{type(exc).__name__}: {exc}"})
        finally:
            fn = None
            _trim()
    return {"method": method, "results": results}


def _spawn(spec: dict, timeout: float | None = None) -> dict:
    env = {**os.environ, **_ENV}
    proc = subprocess.run(
        [sys.executable, "-m", "sonix.bench.memory"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {
            "error": f"memory subprocess exited {proc.returncode}: {' | '.join(tail)}",
            "results": [],
        }
    return json.loads(lines[-1])


def measure_in_subprocess(
    family: str, ctx, keys: list[tuple[str, str, str, str]], timeout: float | None = 600
) -> dict:
    """{"method": ..., "results": [{"key": [preset, op, mode, impl], "peak_extra_mib": float}, ...]}"""
    spec = {
        "family": family,
        "presets": list(ctx.presets),
        "baselines": list(ctx.baselines),
        "quick": ctx.quick,
        "batch": ctx.batch,
        "seed": ctx.seed,
        "keys": [list(k) for k in keys],
        "timeout": timeout,
    }
    try:
        return _spawn(spec, timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"memory subprocess timed out after {timeout} s", "results": []}


METHODS = {
    "vmhwm": "peak RSS (VmHWM, reset through /proc/self/clear_refs) minus RSS before one call, in a "
    "subprocess with a fixed 128 KiB glibc mmap threshold; input not counted, output counted",
    "maxrss": "resource.getrusage maxrss delta across the first call, one subprocess per case "
    "(includes library start-up)",
    "cuda": "torch.cuda.max_memory_allocated during one call minus memory_allocated before it",
}


if __name__ == "__main__":
    print(json.dumps(_child(json.loads(sys.stdin.read()))))
