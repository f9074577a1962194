"""Piano rolls: `beepbrain song show` on a real song writes a PNG with every channel's notes in its colour, drum
lanes below the pitches; `log_piano_rolls` puts PNGs into a real local MLflow store (SQLite, an artifact
folder)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from beepbrain.cli import main
from beepbrain.format import new_song, parse_song
from beepbrain.format.song import Note
from beepbrain.generate.pianoroll import (
    DRUM_COLORS,
    PITCH_COLORS,
    channel_color,
    log_piano_rolls,
    piano_roll_figure,
    save_piano_roll,
)


def _plays(song, channel: int) -> bool:
    return any((p := song.pattern_at(channel, bar)) is not None and p.notes for bar in range(song.bar_count))


@pytest.fixture(scope="module")
def record(reference_records):
    """A real song of 3+ pitch and 2+ drum channels, each of them playing, at most 24 bars."""
    for r in reference_records:
        if r["ok"]:
            song = parse_song(r["data"])
            if (
                song.pitch_channel_count >= 3
                and song.noise_channel_count >= 2
                and song.bar_count <= 24
                and all(_plays(song, i) for i in range(song.channel_count))
            ):
                return r
    raise AssertionError("no such song in the test corpus")


def _pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def _mask(pixels: np.ndarray, color: str) -> np.ndarray:
    rgb = tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))
    return np.all(pixels == rgb, axis=-1)


def test_show_draws_every_channel_in_its_colour(capsys, tmp_path, record):
    song = parse_song(record["data"])
    out = tmp_path / "roll.png"
    code = main(["song", "show", record["data"], "--out", str(out)])
    stdout, stderr = capsys.readouterr()
    assert (code, stdout, stderr) == (0, f"{out}\n", "")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = _pixels(out)
    width, height = (piano_roll_figure(song).get_size_inches() * 100).round().astype(int)
    assert pixels.shape == (height, width, 3)
    assert width >= 800 and height >= 500

    # Notes are drawn without antialiasing, so each playing channel's exact colour covers many pixels
    # (labels in the same colour are a few dozen at most); the colours of channels the song lacks are absent.
    left = int(width * 0.13)  # right of the channel labels
    counts = {
        i: int(_mask(pixels[:, left:], channel_color(song, i)).sum()) for i in range(song.channel_count)
    }
    assert all(n > 100 for n in counts.values()), counts
    assert len({channel_color(song, i) for i in range(song.channel_count)}) == song.channel_count
    for color in PITCH_COLORS[song.pitch_channel_count :] + DRUM_COLORS[song.noise_channel_count :]:
        assert _mask(pixels, color).sum() == 0, color

    # Drum lanes lie below the pitch channels, drum channel 1's lane above drum channel 2's.
    rows = {
        i: np.nonzero(_mask(pixels[:, left:], channel_color(song, i)).any(axis=1))[0]
        for i in range(song.channel_count)
    }
    lowest_pitch = max(rows[i].max() for i in range(song.pitch_channel_count))
    drums = range(song.pitch_channel_count, song.channel_count)
    assert all(rows[i].min() > lowest_pitch for i in drums)
    assert np.median(rows[drums[0]]) < np.median(rows[drums[1]])


def test_show_reads_a_file_and_takes_dpi(capsys, tmp_path, record):
    song_file = tmp_path / "my-song.url"
    song_file.write_text(f"https://www.beepbox.co/#{record['data']}\n", encoding="utf-8")
    out = tmp_path / "deep" / "roll.png"  # the folder is made
    assert main(["song", "show", str(song_file), "--out", str(out), "--dpi", "50"]) == 0
    capsys.readouterr()
    full = piano_roll_figure(parse_song(record["data"])).get_size_inches() * 50
    assert _pixels(out).shape[:2] == tuple(full.round().astype(int))[::-1]


def test_show_bad_out_exits_2_with_one_line(capsys, tmp_path, record):
    (tmp_path / "a-file").write_text("")
    code = main(["song", "show", record["data"], "--out", str(tmp_path / "a-file" / "roll.png")])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err.startswith("beepbrain song: cannot write ") and err.count("\n") == 1
    code = main(["song", "show", record["data"], "--out", str(tmp_path / "r.png"), "--dpi", "0"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "") and "--dpi" in err and err.count("\n") == 1


def test_hand_built_and_empty_songs(tmp_path):
    """No drum channels, a bend, a song without notes: all drawn."""
    song = new_song(pitch_channels=1, noise_channels=0, bars=2, beats_per_bar=4)
    note = Note.simple(36, 0, 48)
    note.pins[-1].interval = 5  # a bend up a fourth
    song.channels[0].patterns[0].notes = [note]
    song.channels[0].bars = [1, 0]
    pixels = _pixels(save_piano_roll(song, tmp_path / "one.png", title="one note"))
    assert _mask(pixels, PITCH_COLORS[0]).sum() > 100
    empty = new_song(pitch_channels=2, noise_channels=1, bars=4)
    pixels = _pixels(save_piano_roll(empty, tmp_path / "empty.png"))
    assert _mask(pixels, PITCH_COLORS[1]).sum() < 100  # only its label


def test_log_piano_rolls_to_a_local_mlflow_store(tmp_path, record):
    import mlflow
    from mlflow.tracking import MlflowClient

    # BeepBrain's own local arrangement (settings.tracking_uri): a SQLite store, artifacts in a folder.
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment(
        "piano-rolls", artifact_location=(tmp_path / "mlartifacts").as_uri()
    )
    run_id = client.create_run(experiment).info.run_id
    song = parse_song(record["data"])
    small = new_song(pitch_channels=1, noise_channels=1, bars=2, beats_per_bar=4)
    small.channels[0].patterns[0].notes = [Note.simple(30, 0, 24)]
    small.channels[0].bars = [1, 1]

    paths = log_piano_rolls(client, run_id, [("song 01", song), ("song 01", small), ("a/b", small)])
    assert paths == ["piano_rolls/song-01.png", "piano_rolls/song-01-2.png", "piano_rolls/a-b.png"]
    assert log_piano_rolls(uri, run_id, [("by uri", small)], artifact_dir="more") == ["more/by-uri.png"]
    import os

    previous, env = mlflow.get_tracking_uri(), os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(uri)  # mlflow also writes MLFLOW_TRACKING_URI: put both back for later tests
    try:
        assert log_piano_rolls(mlflow, run_id, [("by module", small)]) == ["piano_rolls/by-module.png"]
    finally:
        mlflow.set_tracking_uri(previous)
        if env is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = env
    assert log_piano_rolls(client, run_id, []) == []

    reader = MlflowClient(tracking_uri=uri)
    listed = sorted(a.path for a in reader.list_artifacts(run_id, "piano_rolls"))
    assert listed == [
        "piano_rolls/a-b.png",
        "piano_rolls/by-module.png",
        "piano_rolls/song-01-2.png",
        "piano_rolls/song-01.png",
    ]
    assert [a.path for a in reader.list_artifacts(run_id, "more")] == ["more/by-uri.png"]
    local = reader.download_artifacts(run_id, "piano_rolls/song-01.png", str(tmp_path / "down"))
    pixels = _pixels(local)
    assert pixels.shape[1] >= 800
    assert sorted(p.name for p in (tmp_path / "mlartifacts").rglob("*.png")) == [
        "a-b.png",
        "by-module.png",
        "by-uri.png",
        "song-01-2.png",
        "song-01.png",
    ]
    assert all(_mask(pixels, channel_color(song, i)).sum() > 100 for i in range(song.channel_count))


def test_generated_and_evaluation_piano_rolls_land_under_piano_rolls(tmp_path, record):
    """`beepbrain generate`'s rows (the first `limit`), and an evaluation's generated and test songs, as PNGs
    under piano_rolls/generated and piano_rolls/test of a real local MLflow run."""
    from mlflow.tracking import MlflowClient

    from beepbrain.generate.batch import log_piano_rolls_to_model_run, model_run_id
    from beepbrain.generate.pianoroll import log_eval_piano_rolls, log_generated_piano_rolls

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("rolls", artifact_location=(tmp_path / "mlartifacts").as_uri())
    run_id = client.create_run(experiment).info.run_id
    small = new_song(pitch_channels=1, noise_channels=1, bars=2, beats_per_bar=4)
    small.channels[0].patterns[0].notes = [Note.simple(30, 0, 24)]
    small.channels[0].bars = [1, 1]
    song = parse_song(record["data"])
    rows = [
        {"url": s.to_url(), "json": str(tmp_path / f"song-x-{i + 1:02d}-seed{i}.json")}
        for i, s in enumerate([small, song, small])
    ]

    assert log_generated_piano_rolls(uri, run_id, rows, limit=2) == [
        "piano_rolls/generated/song-x-01-seed0.png",
        "piano_rolls/generated/song-x-02-seed1.png",
    ]
    assert log_eval_piano_rolls(client, run_id, [small] * 5, [song, small], limit=4) == [
        *(f"piano_rolls/generated/evaluate-{i:02d}.png" for i in range(1, 5)),
        "piano_rolls/test/test-01.png",
        "piano_rolls/test/test-02.png",
    ]
    assert log_eval_piano_rolls(client, run_id, [], [], limit=4) == []
    listed = {a.path for a in MlflowClient(tracking_uri=uri).list_artifacts(run_id, "piano_rolls/generated")}
    assert len(listed) == 6 and all(p.endswith(".png") for p in listed)
    assert [a.path for a in client.list_artifacts(run_id, "piano_rolls/test")] == [
        "piano_rolls/test/test-01.png",
        "piano_rolls/test/test-02.png",
    ]

    # the commands' helper: the model's run (a registered version's, or a runs:/ URI's), never an exception
    assert model_run_id({"run_id": None, "model_uri": f"runs:/{run_id}/model"}) == run_id
    assert model_run_id({"run_id": "abc", "model_uri": "models:/beepbrain/1"}) == "abc"
    assert model_run_id({"run_id": None, "model_uri": "models:/beepbrain/1"}) is None
    line = log_piano_rolls_to_model_run({"run_id": run_id}, uri, rows[2:], limit=8)
    assert line == f"1 piano roll(s) in MLflow run {run_id} under piano_rolls/generated/"
    assert log_piano_rolls_to_model_run({"run_id": run_id}, uri, rows, limit=0) == ""
    assert "names no MLflow run" in log_piano_rolls_to_model_run({}, uri, rows, limit=8)
    warnings = []
    assert (
        log_piano_rolls_to_model_run(
            {"run_id": run_id}, uri, [{"url": "not a song", "json": "x.json"}], limit=8, warn=warnings.append
        )
        == ""
    )
    assert len(warnings) == 1 and run_id in warnings[0]
