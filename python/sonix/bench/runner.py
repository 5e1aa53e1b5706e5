"""Timing utilities, the benchmark case / result records, baseline discovery and a progress bar.

A family module (``sonix.bench.spectral``, ...) turns a :class:`Context` into a list of
:class:`Case`; :func:`run_cases` times each one in this process (first call, warmup, then the best
and the median of N repeats, synchronising CUDA around every call) and checks its output.
"""

from __future__ import annotations

import dataclasses
import gc
import importlib
import importlib.util
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

# Every implementation the benchmarks know, in table order. "sonix" is the library under test,
# "rfft" a lower bound (a bare FFT of frames already cut and windowed), the rest are baselines.
IMPLS = (
    "sonix",
    "librosa",
    "torchaudio",
    "nnAudio",
    "torch",
    "torch.compile",
    "rfft",
    "julius",
    "soxr",
    "scipy",
    "scipy-loop",
    "torch-audiomentations",
    "audiomentations",
)
BASELINES = (
    "librosa",
    "torchaudio",
    "nnAudio",
    "torch",
    "torch.compile",
    "julius",
    "soxr",
    "scipy",
    "torch-audiomentations",
    "audiomentations",
)

_MODULE_OF = {
    "librosa": "librosa",
    "torchaudio": "torchaudio",
    "nnAudio": "nnAudio",
    "julius": "julius",
    "soxr": "soxr",
    "scipy": "scipy",
    "torch-audiomentations": "torch_audiomentations",
    "audiomentations": "audiomentations",
}


def available_baselines(wanted: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """(the wanted baselines that can run here, {skipped baseline: why})."""
    ok, skipped = [], {}
    for name in wanted:
        module = _MODULE_OF.get(name)
        if module is None:
            ok.append(name)
            continue
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            skipped[name] = f"not installed (pip install {module})"
            continue
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001  (a broken baseline install must not stop the run)
            skipped[name] = f"failed to import: {type(exc).__name__}: {exc}"
            continue
        ok.append(name)
    return ok, skipped


def version_of(name: str) -> str | None:
    module = _MODULE_OF.get(name, "torch" if name.startswith("torch") or name == "rfft" else name)
    if module == "sonix":
        import sonix

        return sonix.__version__
    mod = sys.modules.get(module)
    if mod is None:
        return None
    return str(getattr(mod, "__version__", "?"))


@dataclass
class Context:
    """What a family needs to build its cases."""

    device: torch.device
    presets: list[str]
    baselines: list[str]
    quick: bool = False
    batch: int | None = None  # clips per batch; None: the preset's own (a smaller one with --quick)
    seed: int = 0
    check_clips: int = 2


@dataclass
class Case:
    """One timed configuration. ``make`` builds the timed closure (it may allocate inputs, modules,
    compiled graphs); the closure returns the output that ``check`` compares with the reference."""

    family: str
    preset: str
    op: str  # "logmel" | "stft" | "rfft"
    mode: str  # "fwd" | "fwd+bwd"
    impl: str
    role: str  # "sonix" | "baseline" | "bound"
    threads: str
    clips: int
    audio_seconds: float  # total audio in one call
    make: Callable[[], Callable[[], Any]]
    check: Callable[[Any], dict] | None = None
    note: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.preset, self.op, self.mode, self.impl)

    @property
    def group(self) -> tuple[str, str, str]:
        """Rows compared with each other: the same preset, operation and mode (rfft joins stft)."""
        return (self.preset, "stft" if self.op == "rfft" else self.op, self.mode)


@dataclass
class Result:
    family: str
    preset: str
    op: str
    mode: str
    impl: str
    role: str
    threads: str
    device: str
    clips: int
    audio_seconds: float
    thp: bool
    first_call_s: float | None = None
    best_s: float | None = None
    median_s: float | None = None
    repeats: int = 0
    times_s: list[float] = field(default_factory=list)
    audio_s_per_s: float | None = None
    speedup_vs_fastest_baseline: float | None = None
    errors: dict = field(default_factory=dict)
    peak_extra_mib: float | None = None
    note: str = ""
    error: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed_call(fn: Callable[[], Any], device: torch.device) -> tuple[float, Any]:
    synchronize(device)
    t0 = time.perf_counter()
    out = fn()
    synchronize(device)
    return time.perf_counter() - t0, out


@dataclass
class Timing:
    first_call_s: float
    times_s: list[float]
    output: Any

    @property
    def best_s(self) -> float:
        return min(self.times_s)

    @property
    def median_s(self) -> float:
        return statistics.median(self.times_s)


def measure(
    fn: Callable[[], Any],
    device: torch.device,
    repeats: int,
    warmup: int = 1,
    max_seconds: float | None = None,
) -> Timing:
    """Times ``fn``: one first call (compilation, numba, plan caches: reported on its own), ``warmup``
    untimed calls, then up to ``repeats`` timed calls, stopping early (after at least one) when the
    next call would take the repeats past ``max_seconds``. Returns the output of the last call."""
    first, out = timed_call(fn, device)
    for _ in range(warmup):
        del out
        _, out = timed_call(fn, device)
    times: list[float] = []
    while len(times) < max(1, repeats):
        if times and max_seconds is not None and sum(times) + times[-1] > max_seconds:
            break
        del out
        t, out = timed_call(fn, device)
        times.append(t)
    return Timing(first, times, out)


def cuda_peak_extra_mib(fn: Callable[[], Any], device: torch.device) -> float:
    """Peak CUDA memory allocated during one call beyond what was allocated before it."""
    synchronize(device)
    gc.collect()
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    out = fn()
    synchronize(device)
    peak = torch.cuda.max_memory_allocated(device)
    del out
    return (peak - base) / 2**20


class _SimpleBar:
    """A minimal stand-in for tqdm: one line, rewritten in place, on stderr."""

    def __init__(self, total: int, desc: str, disable: bool) -> None:
        self.total, self.n, self.desc, self.disable = total, 0, desc, disable
        self.t0 = time.perf_counter()

    def set_postfix_str(self, text: str) -> None:
        if not self.disable:
            elapsed = time.perf_counter() - self.t0
            sys.stderr.write(
                f"\r{self.desc} {self.n}/{self.total} [{elapsed:5.1f}s] {text[:60]:<60}"
            )
            sys.stderr.flush()

    def update(self, n: int = 1) -> None:
        self.n += n
        self.set_postfix_str("")

    def close(self) -> None:
        if not self.disable:
            sys.stderr.write("\n")


def progress(total: int, desc: str, disable: bool = False):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _SimpleBar(total, desc, disable)
    return tqdm(total=total, desc=desc, disable=disable, file=sys.stderr, dynamic_ncols=True)


def run_cases(
    cases: Sequence[Case],
    device: torch.device,
    repeats: int,
    warmup: int,
    max_case_seconds: float | None,
    thp: bool,
    bar=None,
) -> list[Result]:
    """Times and checks every case in order; a failing case is recorded with its error and skipped."""
    results = []
    for case in cases:
        if bar is not None:
            bar.set_postfix_str(f"{case.preset} {case.op} {case.mode} {case.impl}")
        res = Result(
            family=case.family,
            preset=case.preset,
            op=case.op,
            mode=case.mode,
            impl=case.impl,
            role=case.role,
            threads=case.threads,
            device="cpu" if case.impl == "librosa" else str(device),
            clips=case.clips,
            audio_seconds=case.audio_seconds,
            thp=thp,
            note=case.note,
        )
        fn = None
        try:
            fn = case.make()
            timing = measure(fn, device, repeats, warmup, max_case_seconds)
            res.first_call_s = timing.first_call_s
            res.times_s = timing.times_s
            res.best_s, res.median_s, res.repeats = (
                timing.best_s,
                timing.median_s,
                len(timing.times_s),
            )
            res.audio_s_per_s = case.audio_seconds / timing.best_s
            if case.check is not None and timing.output is not None:
                res.errors = case.check(timing.output)
            del timing
            if device.type == "cuda" and case.impl != "librosa":
                res.peak_extra_mib = cuda_peak_extra_mib(fn, device)
        except Exception as exc:  # noqa: BLE001  (report and go on with the other cases)
            res.error = f"{type(exc).__name__}: {exc}"
            tb = traceback.format_exc(limit=3)
            res.note = (res.note + " " if res.note else "") + tb.strip().splitlines()[-1]
        finally:
            del fn
            gc.collect()
        results.append(res)
        if bar is not None:
            bar.update(1)
    return results


def fill_speedups(results: Sequence[Result]) -> None:
    """speedup = best time of the fastest baseline in the row's group / the row's best time."""
    fastest: dict[tuple, float] = {}
    for r in results:
        if r.role == "baseline" and r.best_s is not None:
            k = (r.thp, r.preset, "stft" if r.op == "rfft" else r.op, r.mode)
            fastest[k] = min(fastest.get(k, float("inf")), r.best_s)
    for r in results:
        k = (r.thp, r.preset, "stft" if r.op == "rfft" else r.op, r.mode)
        if r.best_s is not None and k in fastest:
            r.speedup_vs_fastest_baseline = fastest[k] / r.best_s


def torch_threads(device: torch.device) -> str:
    """The threads column of a torch-based row."""
    return "GPU" if device.type == "cuda" else f"{torch.get_num_threads()} (torch)"


def sized_presets(ctx: Context, presets: dict, field: str, quick: int) -> list:
    """The presets named in ``ctx.presets`` (frozen dataclasses) with their batch ``field`` set from
    ``--batch``, else ``quick`` under ``--quick``, else left as the preset has it."""
    out = []
    for name in ctx.presets:
        p = presets[name]
        size = ctx.batch or (quick if ctx.quick else getattr(p, field))
        out.append(dataclasses.replace(p, **{field: size}))
    return out


def target_row(
    preset: str, thp: bool, what: str, value: float, target: float, at_most: bool = False
) -> dict:
    """One row of the targets table: ``value`` met when >= ``target`` (``at_most``: when <= it)."""
    met = value <= target if at_most else value >= target
    return {
        "preset": preset,
        "thp": thp,
        "what": what,
        "ratio": value,
        "target": target,
        "met": met,
    }


def speed_targets(
    results: Sequence[Result],
    family: str,
    preset: str,
    mode: str,
    baseline: str,
    what: str,
    target: float,
    sonix_over_baseline: bool = False,
    op: str | None = None,
) -> list[dict]:
    """Per THP setting, the ratio baseline time / sonix time of (preset, mode[, op]) as a target row;
    ``sonix_over_baseline``: sonix time / baseline time, met when at most ``target``."""
    rows = {}
    for r in results:
        if (
            r.family == family
            and r.preset == preset
            and r.mode == mode
            and (op is None or r.op == op)
        ):
            rows[(r.thp, r.impl)] = r
    out = []
    for thp in dict.fromkeys(t for t, _ in rows):
        s, b = rows.get((thp, "sonix")), rows.get((thp, baseline))
        if s is None or b is None or s.best_s is None or b.best_s is None:
            continue
        ratio = s.best_s / b.best_s if sonix_over_baseline else b.best_s / s.best_s
        out.append(target_row(preset, thp, what, ratio, target, at_most=sonix_over_baseline))
    return out
