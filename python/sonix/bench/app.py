"""Command-line options of ``sonix bench`` / ``python -m sonix.bench`` and the run itself."""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from . import report
from .runner import (
    BASELINES,
    Context,
    available_baselines,
    fill_speedups,
    progress,
    run_cases,
    version_of,
)

FAMILIES = (
    "spectral",
    "filters",
    "resample",
    "convolve",
    "layers",
    "layers_extra",
    "losses",
    "data",
    "augment",
)
DEFAULT_OUT = "bench-results"
QUICK_EXCLUDED = ("torch.compile",)


def _family(name: str):
    return importlib.import_module(f"sonix.bench.{name}")


def _all_presets() -> list[str]:
    return [p for f in FAMILIES for p in _family(f).PRESETS]


def _split(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [v for item in values for v in item.split(",") if v]


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.description = (
        "Time sonix's ops against every installed baseline (librosa, torchaudio, nnAudio, plain torch, "
        "torch.compile of plain torch) on seeded synthetic audio, check every output against librosa in "
        "float64, and write bench.json, bench.md and bench.png to --out."
    )
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where the torch-based implementations run: auto is cuda when torch.cuda.is_available(), else cpu "
        "(librosa always runs on the CPU; default: auto)",
    )
    parser.add_argument(
        "--families",
        nargs="+",
        metavar="FAMILY",
        default=None,
        help=f"op families to run, space or comma separated, from: {', '.join(FAMILIES)} (default: all)",
    )
    parser.add_argument(
        "--presets",
        nargs="+",
        metavar="PRESET",
        default=None,
        help="presets to run, space or comma separated (default: all): "
        + "; ".join(
            f"{p}: {d}" for f in FAMILIES for p, d in _family(f).describe_presets().items()
        ),
    )
    parser.add_argument(
        "--baselines",
        nargs="+",
        metavar="NAME",
        default=None,
        help=f"baselines to compare with, from: {', '.join(BASELINES)}, or 'all'; missing ones are skipped with "
        "a note (default: all installed; with --quick all but torch.compile, whose cold compile takes 15-30 s "
        "per graph)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 2 clips per batch, no warmup call, 3 repeats, at most 5 s of repeats per case, peak "
        "memory of sonix and torch only, no torch.compile unless --baselines names it; about a minute on 2 idle "
        "cores once librosa's numba cache is warm (its first call in a fresh environment spends ~17 s compiling)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed calls per case; best and median are reported (default: 5, 3 with --quick)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="untimed calls after the first call and before the repeats (default: 1, 0 with --quick)",
    )
    parser.add_argument(
        "--max-case-seconds",
        type=float,
        default=None,
        help="fewer repeats (at least one) when they would take longer than this per case (default: 30, 5 with --quick)",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="clips per batch for every preset (default: the preset's, 2 with --quick)",
    )
    parser.add_argument(
        "--check-clips",
        type=int,
        default=2,
        help="clips of each output checked against the float64 librosa reference (default: 2)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the synthetic test signals: sine sweeps, tones, noise (default: 0)",
    )
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        help="folder for bench.json, bench.md and bench.png (default: bench-results)",
    )
    parser.add_argument(
        "--thp",
        choices=("inherit", "on", "off", "both"),
        default="inherit",
        help="THP_MEM_ALLOC_ENABLE (transparent huge pages in torch's CPU allocator, read once at start-up): keep "
        "the environment's setting, force it on or off (reruns the bench in a subprocess), or run both settings "
        "and report them side by side (default: inherit)",
    )
    parser.add_argument(
        "--no-memory",
        action="store_true",
        help="skip the peak-memory measurement (a subprocess on CPU)",
    )
    parser.add_argument("--no-plot", action="store_true", help="do not write bench.png")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return parser


def _replace_opt(argv: list[str], opt: str, value: str | None) -> list[str]:
    """argv without ``opt`` (``--opt v`` or ``--opt=v``), with ``--opt value`` appended unless value is None."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == opt:
            skip = True
            continue
        if a.startswith(opt + "="):
            continue
        out.append(a)
    return out + ([opt, value] if value is not None else [])


def _child(argv: list[str], thp: bool, quiet: bool = False) -> int:
    env = {**os.environ, "THP_MEM_ALLOC_ENABLE": "1" if thp else "0"}
    stdout = subprocess.DEVNULL if quiet else None
    return subprocess.call([sys.executable, "-m", "sonix.bench", *argv], env=env, stdout=stdout)


def _thp_now() -> bool:
    return os.environ.get("THP_MEM_ALLOC_ENABLE", "") == "1"


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


def _git_commit() -> str | None:
    try:
        return (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                timeout=5,
                cwd=Path(__file__).resolve().parent,
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        return None


def _write_outputs(run: dict, out: Path, plot: bool) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "bench.json", out / "bench.md"]
    report.write_json(paths[0], run)
    paths[1].write_text(report.markdown(run))
    if plot:
        why = report.plot(out / "bench.png", run)
        if why is None:
            paths.append(out / "bench.png")
        else:
            print(f"sonix bench: {why}", file=sys.stderr)
    return paths


def _run_both(args: argparse.Namespace, argv: list[str]) -> int:
    runs = []
    with tempfile.TemporaryDirectory(prefix="sonix-bench-") as tmp:
        for setting in (False, True):
            sub = Path(tmp) / ("thp-on" if setting else "thp-off")
            child_argv = _replace_opt(_replace_opt(argv, "--thp", "inherit"), "--out", str(sub))
            child_argv = [a for a in child_argv if a != "--no-plot"] + ["--no-plot"]
            print(f"sonix bench: THP_MEM_ALLOC_ENABLE={int(setting)}", file=sys.stderr)
            rc = _child(child_argv, setting, quiet=True)
            if rc != 0 and not (sub / "bench.json").exists():
                return rc
            runs.append(json.loads((sub / "bench.json").read_text()))
    merged = runs[0]
    merged["meta"]["thp"] = "both"
    merged["results"] = runs[0]["results"] + runs[1]["results"]
    merged["targets"] = runs[0]["targets"] + runs[1]["targets"]
    for key in ("memory_method", "memory_error"):
        merged["meta"][key] = merged["meta"].get(key) or runs[1]["meta"].get(key)
    paths = _write_outputs(merged, Path(args.out), not args.no_plot)
    print(report.markdown(merged))
    print("sonix bench: wrote " + ", ".join(str(p) for p in paths), file=sys.stderr)
    return 0


def run(args: argparse.Namespace, argv: list[str]) -> int:
    if args.thp == "both":
        return _run_both(args, argv)
    if args.thp in ("on", "off") and (args.thp == "on") != _thp_now():
        # The allocator reads the variable once, at the first allocation: rerun in a fresh process.
        return _child(_replace_opt(argv, "--thp", "inherit"), args.thp == "on")

    families = _split(args.families) or list(FAMILIES)
    bad = [f for f in families if f not in FAMILIES]
    if bad:
        raise SystemExit(f"sonix bench: unknown families {bad}; choose from {list(FAMILIES)}")
    presets = _split(args.presets) or _all_presets()
    bad = [p for p in presets if p not in _all_presets()]
    if bad:
        raise SystemExit(f"sonix bench: unknown presets {bad}; choose from {_all_presets()}")

    if args.device == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(args.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise SystemExit("sonix bench: --device cuda but torch.cuda.is_available() is False")

    notes = []
    wanted = _split(args.baselines)
    if wanted is None or wanted == ["all"]:
        wanted = list(BASELINES)
        if args.quick and args.baselines is None:
            wanted = [b for b in wanted if b not in QUICK_EXCLUDED]
            notes.append(
                "--quick leaves out torch.compile (cold compile 15-30 s per graph); add --baselines all"
            )
    bad = [b for b in wanted if b not in BASELINES]
    if bad:
        raise SystemExit(
            f"sonix bench: unknown baselines {bad}; choose from {list(BASELINES)} or 'all'"
        )
    baselines, skipped = available_baselines(wanted)
    for name, why in skipped.items():
        print(f"sonix bench: skipping {name}: {why}", file=sys.stderr)

    repeats = args.repeats if args.repeats is not None else (3 if args.quick else 5)
    warmup = args.warmup if args.warmup is not None else (0 if args.quick else 1)
    max_case = (
        args.max_case_seconds
        if args.max_case_seconds is not None
        else (5.0 if args.quick else 30.0)
    )
    thp = _thp_now()
    import sonix

    jobs = []
    for fam_name in families:
        fam = _family(fam_name)
        ctx = Context(
            device=device,
            presets=[p for p in presets if p in fam.PRESETS],
            baselines=baselines,
            quick=args.quick,
            batch=args.batch,
            seed=args.seed,
            check_clips=args.check_clips,
        )
        if ctx.presets:
            jobs.append((fam_name, fam, ctx, fam.build_cases(ctx)))
    t_start = time.perf_counter()
    total = sum(len(c) for *_, c in jobs)
    bar = progress(total, "sonix bench", disable=args.no_progress)
    results = []
    memory_method, memory_error = None, None
    try:
        for *_, cases in jobs:
            results += run_cases(cases, device, repeats, warmup, max_case, thp, bar)
    finally:
        bar.close()
    t_timed = time.perf_counter()
    if not args.no_memory:
        if device.type == "cuda":
            memory_method = "cuda"
        else:
            from .memory import measure_in_subprocess

            by_key = {(r.preset, r.op, r.mode, r.impl): r for r in results}
            for fam_name, fam, ctx, cases in jobs:
                keys = [
                    k
                    for k in fam.memory_keys(cases, args.quick)
                    if k in by_key and by_key[k].error is None
                ]
                if not keys:
                    continue
                print(
                    f"sonix bench: measuring peak memory of {len(keys)} cases in a subprocess",
                    file=sys.stderr,
                )
                mem = measure_in_subprocess(fam_name, ctx, keys)
                memory_method = mem.get("method", memory_method)
                memory_error = mem.get("error", memory_error)
                for item in mem.get("results", []):
                    r = by_key.get(tuple(item["key"]))
                    if r is not None and "peak_extra_mib" in item:
                        r.peak_extra_mib = item["peak_extra_mib"]
                    elif r is not None and "error" in item:
                        memory_error = item["error"]
    t_memory = time.perf_counter()
    fill_speedups(results)
    targets = [t for _, fam, _, _ in jobs for t in fam.targets(results)]
    notes += [n for _, fam, _, _ in jobs for n in getattr(fam, "NOTES", ())]

    run_record = {
        "meta": {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "argv": argv,
            "device": str(device),
            "device_name": _device_name(device),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "sonix": sonix.__version__,
            "sonix_cuda": bool(sonix.WITH_CUDA),
            "git_commit": _git_commit(),
            "thp": thp,
            "quick": args.quick,
            "repeats": repeats,
            "warmup": warmup,
            "max_case_seconds": max_case,
            "seed": args.seed,
            "baseline_versions": {
                b: version_of(b) for b in baselines if b not in ("torch", "torch.compile")
            },
            "skipped": skipped,
            "presets": {name: fam.describe(ctx) for name, fam, ctx, _ in jobs},
            "memory_method": memory_method,
            "memory_error": memory_error,
            "notes": notes,
            "wall_s": {"timing_and_checks": t_timed - t_start, "memory": t_memory - t_timed},
        },
        "results": [r.as_dict() for r in results],
        "targets": targets,
    }
    paths = _write_outputs(run_record, Path(args.out), not args.no_plot)
    print(report.markdown(run_record))
    print("sonix bench: wrote " + ", ".join(str(p) for p in paths), file=sys.stderr)
    failed_sonix = [r for r in results if r.role == "sonix" and r.error]
    for r in failed_sonix:
        print(
            f"sonix bench: sonix case failed: {r.preset} {r.op} {r.mode}: {r.error}",
            file=sys.stderr,
        )
    return 1 if failed_sonix else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = add_arguments(argparse.ArgumentParser(prog="python -m sonix.bench"))
    return run(parser.parse_args(argv), argv)
