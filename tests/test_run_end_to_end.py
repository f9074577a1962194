"""The main job end to end: `beepbrain run` on the bundled sample (tiny settings), then `beepbrain generate`
and `beepbrain evaluate` against the model it registered. Real Prefect, Dask, DuckDB and MLflow."""

from __future__ import annotations

import json
import re
from pathlib import Path

import mido
import pytest

from beepbrain.cli import main
from beepbrain.format import parse_song

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline_run(prefect_harness, tmp_path_factory):
    data = tmp_path_factory.mktemp("run") / "data"
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            [
                "run",
                "--data-dir",
                str(data),
                "--steps",
                "12",
                "--songs",
                "2",
                "--bars",
                "2",
                "--config",
                "tiny",
                "--workers",
                "1",
            ]
        )
    return code, out.getvalue(), data


def test_run_builds_everything_and_prints_valid_songs(pipeline_run):
    code, output, data = pipeline_run
    assert code == 0, output
    urls = re.findall(r"^Song \d+ \(seed \d+\): (https://www\.beepbox\.co/#\S+)$", output, flags=re.M)
    assert len(urls) == 2 and urls[0] != urls[1]
    for url in urls:
        song = parse_song(url)
        assert (song.bar_count, song.pitch_channel_count, song.noise_channel_count, song.rhythm) == (
            2,
            3,
            1,
            1,
        )
    assert (data / "corpus.duckdb").exists() and (data / "mlflow.db").exists()
    assert (data / "datasets" / "sample" / "manifest.json").exists()
    for word in ("data dir", "MLflow store", "MLflow UI", "mlflow ui --backend-store-uri", "generated files"):
        assert word in output
    rows = [json.loads(line) for line in (data / "generated" / "index.jsonl").read_text().splitlines()]
    assert [r["url"] for r in rows] == urls
    for row in rows:
        assert parse_song(Path(row["json"]).read_text()).to_url() == parse_song(row["url"]).to_url()
        assert mido.MidiFile(row["midi"]).length > 0


def test_generate_and_evaluate_use_the_registered_model(pipeline_run, capsys):
    code, _output, data = pipeline_run
    assert code == 0
    out = data / "more"
    args = [
        "generate",
        "--data-dir",
        str(data),
        "--rhythm",
        "3",
        "--pitch-channels",
        "2",
        "--drum-channels",
        "0",
        "--bars",
        "1",
        "--beats-per-bar",
        "4",
        "--seed",
        "9",
        "--count",
        "1",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    first = [json.loads(line) for line in (out / "index.jsonl").read_text().splitlines()]
    song = parse_song(first[0]["url"])
    assert (
        song.rhythm,
        song.pitch_channel_count,
        song.noise_channel_count,
        song.bar_count,
        song.beats_per_bar,
    ) == (3, 2, 0, 1, 4)
    assert main(args) == 0  # same seed, same song
    again = [json.loads(line) for line in (out / "index.jsonl").read_text().splitlines()]
    assert again[1]["url"] == first[0]["url"]

    prompt = out / "prompt.url"
    prompt.write_text(first[0]["url"])
    assert (
        main(["generate", "--data-dir", str(data), "--prompt", str(prompt), "--bars", "1", "--out", str(out)])
        == 0
    )
    continued = [json.loads(line) for line in (out / "index.jsonl").read_text().splitlines()][-1]
    assert parse_song(continued["url"]).bar_count == 2

    assert main(["generate", "--data-dir", str(data), "--prompt", "not a song"]) == 2
    capsys.readouterr()
    assert (
        main(
            ["evaluate", "--data-dir", str(data), "--samples", "1", "--max-bars", "1", "--max-tokens", "4000"]
        )
        == 0
    )
    report = capsys.readouterr().out
    assert re.search(
        r"val: model \d+\.\d+ bits/token, \d+\.\d+ bits/note; \d-gram \d+\.\d+ bits/token", report
    )
    assert "pitch_class_entropy" in report and "logged to MLflow run" in report


def test_run_and_generate_log_piano_rolls_to_the_models_mlflow_run(pipeline_run, capsys):
    """The training run of `beepbrain run` holds its songs' piano rolls; `beepbrain generate` adds its own
    there (`--no-log`: none)."""
    from mlflow.tracking import MlflowClient

    from beepbrain import settings

    code, output, data = pipeline_run
    assert code == 0
    run_id = re.search(r"\(run ([0-9a-f]{32})\)", output).group(1)
    client = MlflowClient(tracking_uri=settings.tracking_uri(data))

    def rolls() -> list[str]:
        return sorted(a.path for a in client.list_artifacts(run_id, "piano_rolls/generated"))

    before = rolls()
    pipeline_songs = [
        Path(json.loads(line)["json"]).stem + ".png"
        for line in (data / "generated" / "index.jsonl").read_text().splitlines()
    ]
    assert {f"piano_rolls/generated/{name}" for name in pipeline_songs} <= set(before)
    out = data / "rolls"
    args = [
        "generate",
        "--data-dir",
        str(data),
        "--bars",
        "1",
        "--seed",
        "41",
        "--count",
        "2",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    assert f"2 piano roll(s) in MLflow run {run_id}" in capsys.readouterr().out
    added = sorted(set(rolls()) - set(before))
    names = [
        Path(json.loads(line)["json"]).stem + ".png"
        for line in (out / "index.jsonl").read_text().splitlines()
    ]
    assert added == sorted(f"piano_rolls/generated/{name}" for name in names)
    local = Path(client.download_artifacts(run_id, added[0], str(data / "down")))
    assert local.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (
        main(
            [
                "generate",
                "--data-dir",
                str(data),
                "--bars",
                "1",
                "--seed",
                "77",
                "--out",
                str(out),
                "--no-log",
            ]
        )
        == 0
    )
    assert "piano roll" not in capsys.readouterr().out and len(rolls()) == len(before) + 2


def test_run_with_a_missing_source_fails_clearly(prefect_harness, tmp_path, capsys):
    code = main(
        [
            "run",
            "--data-dir",
            str(tmp_path / "data"),
            "--source",
            str(tmp_path / "nope.jsonl"),
            "--steps",
            "1",
            "--songs",
            "0",
        ]
    )
    assert code == 2  # a user error: told before the pipeline starts, one line
    err = capsys.readouterr().err
    assert "neither an http(s) URL" in err and len(err.strip().splitlines()) == 1
