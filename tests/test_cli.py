"""CLI smoke tests on tiny data: ``python -m sonix.cli`` in a subprocess for train and infer (the real
entry point), the rest in-process through ``sonix.cli.main`` (each subprocess pays the torch import)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from sonix.cli import build_parser, main

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def sonix(*args, cwd):
    r = subprocess.run(
        [sys.executable, "-m", "sonix.cli", *map(str, args)],
        cwd=cwd,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return r


@pytest.mark.parametrize("command", ["features", "train", "infer", "demo-data", "bench"])
def test_help_explains_every_option(command, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    sub = build_parser()._subparsers._group_actions[0].choices[command]
    for action in sub._actions:
        assert action.help, f"{command} {action.option_strings or action.dest} has no help"
        for opt in action.option_strings:
            assert opt in out


def test_demo_train_infer_export_stream(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo-data", "d", "--n-per-class", "2", "--seed", "1"]) == 0
    assert (tmp_path / "d" / "manifest.csv").exists() and len(
        list((tmp_path / "d").rglob("*.wav"))
    ) == 10
    sonix(
        "train",
        "d/manifest.csv",
        "--val",
        "d",
        "--epochs",
        1,
        "--batch-size",
        5,
        "--n-mels",
        16,
        "--n-fft",
        256,
        "--crop-seconds",
        0.5,
        "--workers",
        0,
        "--no-progress",
        "--augment",
        "standard",
        "--ckpt-dir",
        "run",
        cwd=tmp_path,
    )
    log = [json.loads(x) for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "loss" in r] == [1, 2] and "val_accuracy" in log[-1]
    r = sonix("infer", "run", "d/tone", "--format", "csv", "--export", "run/m.pt2", cwd=tmp_path)
    assert r.stdout.startswith("path,label,score,windows") and len(r.stdout.splitlines()) == 3
    assert "accuracy" in r.stderr and (tmp_path / "run" / "m.pt2").exists()
    capsys.readouterr()
    assert main(["infer", "run/m.pt2", "d/chirp"]) == 0
    offline = json.loads(capsys.readouterr().out)
    assert main(["infer", "run/m.pt2", "d/chirp", "--stream", "0.1", "--out", "s.json"]) == 0
    streamed = json.loads((tmp_path / "s.json").read_text())
    for a, b in zip(offline, streamed, strict=True):
        assert a["label"] == b["label"]
        np.testing.assert_allclose(
            list(a["probs"].values()), list(b["probs"].values()), rtol=1e-5, atol=1e-6
        )


def test_features_resumable_and_sharded(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    main(["demo-data", "d", "--n-per-class", "1", "--rates", "22050"])
    assert main(["features", "d", "f", "--n-mels", "20", "--workers", "2", "--no-progress"]) == 0
    arrays = sorted((tmp_path / "f").rglob("*.npy"))
    assert len(arrays) == 5 and "0 already done" in capsys.readouterr().err
    a = np.load(arrays[0])
    assert a.dtype == np.float32 and a.ndim == 3 and a.shape[:2] == (1, 20)
    main(["features", "d", "f", "--no-progress", "--workers", "0"])
    assert "5 already done" in capsys.readouterr().err
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert (
        main(
            [
                "features",
                "d",
                "g",
                "--kind",
                "mfcc",
                "--format",
                "pt",
                "--workers",
                "0",
                "--no-progress",
            ]
        )
        == 0
    )
    assert len(list((tmp_path / "g").rglob("*.pt"))) == 2  # files 1 and 3 of 5


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "nowhere"], "nowhere does not exist"),
        (["train", ".", "--epochs", "0"], "--epochs must be >= 1"),
        (["infer", "nothing.pt", "x.wav"], "nothing.pt does not exist"),
        (["demo-data", "d", "--n-per-class", "0"], "--n-per-class must be >= 1"),
        (["demo-data", "d", "--rates", "fast"], "--rates must be integers"),
        (["features", "nowhere", "out"], "nowhere does not exist"),
    ],
)
def test_errors_say_what_to_fix(argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit, match=message):
        main(argv)
