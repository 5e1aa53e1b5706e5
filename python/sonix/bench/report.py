"""Writes a run as JSON (everything, for comparing runs), a markdown table and a PNG bar plot."""

from __future__ import annotations

import json
from pathlib import Path

from .memory import METHODS


def _fmt(v, spec: str = ".4f", empty: str = "—") -> str:
    return empty if v is None else format(v, spec)


def _err_cells(r: dict) -> tuple[str, str]:
    e = r.get("errors") or {}
    if not e:
        return "—", "—"
    unit = f" {e['unit']}" if e.get("unit") else ""
    return f"{e['max_abs_err']:.2e}{unit}", f"{e['max_rel_err']:.2e}"


def write_json(path: Path, run: dict) -> None:
    path.write_text(json.dumps(run, indent=2, default=str) + "\n")


def markdown(run: dict) -> str:
    meta = run["meta"]
    thp_values = sorted({r["thp"] for r in run["results"]})
    lines = [
        "# sonix bench",
        "",
        f"- device: **{meta['device']}** ({meta['device_name']}); {meta['cpu_count']} CPU cores; "
        f"torch {meta['torch']} with {meta['torch_threads']} intra-op threads; sonix {meta['sonix']} "
        f"(CUDA kernels built: {meta['sonix_cuda']})",
        f"- THP_MEM_ALLOC_ENABLE (transparent huge pages in torch's CPU allocator): "
        f"{', '.join('on' if t else 'off' for t in thp_values)}",
        f"- repeats: best and median of up to {meta['repeats']} calls after {meta['warmup']} warmup call(s) "
        f"and one first call (reported apart: torch.compile and numba compile there); quick: {meta['quick']}",
        f"- baselines: {', '.join(f'{k} {v}' for k, v in meta['baseline_versions'].items()) or 'none'}",
        "- threads column: librosa's FFT (numpy pocketfft) runs on one core; torch-based rows use torch's "
        "intra-op threads",
        "- vs fastest baseline: best time of the fastest baseline in the same preset/op/mode divided by the "
        "row's best time (>1: faster than every baseline). rfft is a lower bound, not a baseline.",
        "",
    ]
    for name, reason in meta.get("skipped", {}).items():
        lines.append(f"- skipped {name}: {reason}")
    if meta.get("skipped"):
        lines.append("")
    for family, presets in meta["presets"].items():
        lines += [f"## {family}", ""]
        for preset, desc in presets.items():
            lines += [f"### preset `{preset}`: {desc}", ""]
            refs = sorted(
                {
                    r["errors"]["reference"]
                    for r in run["results"]
                    if r["family"] == family and r["preset"] == preset and r.get("errors")
                }
            )
            if refs:
                lines += [f"Errors against {', '.join(refs)} on the first clips.", ""]
            header = "| op | mode | impl | threads | best s | median s | audio s/s | vs fastest baseline | max abs err | max rel err | first call s |"
            if len(thp_values) > 1:
                header = header.replace("| op |", "| THP | op |")
            lines += [header, "|" + "---|" * (header.count("|") - 1)]
            for r in run["results"]:
                if r["family"] != family or r["preset"] != preset:
                    continue
                abs_e, rel_e = _err_cells(r)
                speed = _fmt(r["speedup_vs_fastest_baseline"], ".2f")
                speed = speed + "x" if speed != "—" else speed
                cells = [
                    r["op"],
                    r["mode"],
                    f"**{r['impl']}**" if r["role"] == "sonix" else r["impl"],
                    r["threads"],
                    _fmt(r["best_s"], ".3g"),
                    _fmt(r["median_s"], ".3g"),
                    _fmt(r["audio_s_per_s"], ",.0f"),
                    speed,
                    abs_e,
                    rel_e,
                    _fmt(r["first_call_s"], ".2f"),
                ]
                if r.get("error"):
                    cells[4] = f"failed: {r['error'][:80]}"
                if len(thp_values) > 1:
                    cells.insert(0, "on" if r["thp"] else "off")
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
    targets = run.get("targets", [])
    if targets:
        lines += [
            "## targets",
            "",
            "Each row names what it compares: a ratio of best times (> 1: sonix is faster or the ratio is "
            "what the target bounds) or an error.",
            "",
        ]
        lines += ["| preset | THP | value | what | target met |", "|---|---|---|---|---|"]
        for t in targets:
            met = "—" if t["met"] is None else ("yes" if t["met"] else "**no**")
            thp = "on" if t["thp"] else "off"
            value = f"{t['ratio']:.2e}" if "error" in t["what"] else f"{t['ratio']:.2f}x"
            lines.append(f"| {t['preset']} | {thp} | {value} | {t['what']} | {met} |")
        if any("bare rfft" in t["what"] for t in targets):
            lines += [
                "",
                "(bare rfft rows: best forward times; the rfft gets frames already cut and windowed)",
            ]
        lines.append("")
    mem = [r for r in run["results"] if r.get("peak_extra_mib") is not None]
    if mem or meta.get("memory_error"):
        lines += ["## peak extra memory of one call", ""]
        if meta.get("memory_method"):
            lines += [
                f"Measured as {METHODS.get(meta['memory_method'], meta['memory_method'])}.",
                "",
            ]
        if meta.get("memory_error"):
            lines += [f"Memory measurement failed: {meta['memory_error']}", ""]
        if mem:
            lines += [
                "| preset | op | mode | impl | THP | peak extra MiB | MiB per audio minute |",
                "|---|---|---|---|---|---|---|",
            ]
            for r in mem:
                per_min = r["peak_extra_mib"] / (r["audio_seconds"] / 60)
                lines.append(
                    f"| {r['preset']} | {r['op']} | {r['mode']} | {r['impl']} | {'on' if r['thp'] else 'off'} | "
                    f"{r['peak_extra_mib']:.1f} | {per_min:.2f} |"
                )
            lines.append("")
    notes = []
    for r in run["results"]:
        text = (
            f"{r['impl']} ({r['preset']} {r['op']} {r['mode']}): {r['note']}"
            if r.get("note")
            else None
        )
        if text and r.get("error") is None:
            text = f"{r['impl']} ({r['op']}): {r['note']}"
        if text and text not in notes:
            notes.append(text)
    notes += list(meta.get("notes", []))
    if meta.get("wall_s"):
        notes.append(
            ", ".join(f"{k.replace('_', ' ')}: {v:.0f} s" for k, v in meta["wall_s"].items())
        )
    if notes:
        lines += ["## notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines).rstrip() + "\n"


def plot(path: Path, run: dict) -> str | None:
    """Horizontal bars of audio seconds per second, one panel per preset/op/mode."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib not installed: no plot"
    groups: dict[tuple, list[dict]] = {}
    for r in run["results"]:
        if r["best_s"] is None:
            continue
        op = "stft" if r["op"] == "rfft" else r["op"]
        groups.setdefault((r["preset"], op, r["mode"]), []).append(r)
    if not groups:
        return "no timed results: no plot"
    thp_both = len({r["thp"] for r in run["results"]}) > 1
    n = len(groups)
    cols = 2
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(
        rows, cols, figsize=(12, 2.2 + 0.45 * max(len(g) for g in groups.values()) * rows)
    )
    axes = list(axes.flat) if hasattr(axes, "flat") else [axes]
    colors = {"sonix": "#d62728", "baseline": "#1f77b4", "bound": "#7f7f7f"}
    for ax, ((preset, op, mode), rows_) in zip(axes, groups.items(), strict=False):
        labels = [r["impl"] + (" [THP]" if thp_both and r["thp"] else "") for r in rows_]
        vals = [r["audio_s_per_s"] for r in rows_]
        ax.barh(range(len(rows_)), vals, color=[colors[r["role"]] for r in rows_])
        ax.set_yticks(range(len(rows_)), labels)
        ax.invert_yaxis()
        ax.set_title(f"{preset}: {op} {mode}", fontsize=10)
        ax.set_xlabel("audio seconds per second (higher is better)")
        for i, r in enumerate(rows_):
            s = r.get("speedup_vs_fastest_baseline")
            txt = f"{r['best_s'] * 1e3:.1f} ms" + (f"  {s:.2f}x" if s is not None else "")
            ax.text(vals[i], i, " " + txt, va="center", fontsize=8)
        ax.set_xlim(0, max(vals) * 1.5)
    for ax in axes[n:]:
        ax.axis("off")
    meta = run["meta"]
    fig.suptitle(
        f"sonix bench on {meta['device']} ({meta['device_name']}), torch {meta['torch']}, "
        f"{meta['torch_threads']} threads{' (quick)' if meta['quick'] else ''}",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None
