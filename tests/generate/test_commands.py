"""The generate, evaluate and run commands refuse bad input with a clear message and exit code."""

from __future__ import annotations

import pytest

from beepbrain.cli import main


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "--pitch-channels", "11"],
        ["generate", "--drum-channels", "6"],
        ["generate", "--bars", "0"],
        ["generate", "--beats-per-bar", "2"],
        ["generate", "--count", "0"],
        ["generate", "--top-p", "0"],
        ["generate", "--temperature", "-1"],
        ["generate", "--prompt", "definitely not a song"],
        ["run", "--steps", "0"],
        ["run", "--bars", "200"],
        ["evaluate", "--max-bars", "0"],
    ],
)
def test_bad_arguments_exit_2_with_a_message(args, tmp_path, capsys):
    assert main([*args, "--data-dir", str(tmp_path)]) == 2
    assert "error" in capsys.readouterr().err


def test_generate_without_a_model_says_how_to_get_one(tmp_path, capsys):
    assert main(["generate", "--data-dir", str(tmp_path), "--bars", "1"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "no MLflow store" in err and "beepbrain run" in err
    assert not (tmp_path / "generated").exists() and not (tmp_path / "mlflow.db").exists()
